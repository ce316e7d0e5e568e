"""The network page (issue 15, item 10): filters by scope, role and alert typology on the server;
data for the interactive graph (Cytoscape.js, vendored, CSP-safe); the SVG fallback as a group
of links (no nested interactive controls)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from django.urls import reverse

import palermo.investigate as investigate_pkg


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


@pytest.fixture
def demo_inv(demo_world, monkeypatch):
    from palermo.investigate import demo
    from palermo.investigate.models import Investigation

    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    monkeypatch.setattr(demo, "ROWS", 3_000)
    demo.demo_investigation(random.Random(1))
    return Investigation.objects.get(title=demo.TITLE)


def _graph(html: str) -> dict:
    m = re.search(r'<script id="network-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "the graph's data is on the page"
    return json.loads(m.group(1))


def _rows(html: str) -> list[str]:
    table = html.split('<table class="accounts">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="acct-\d+" data-node="(n\d+)">', table)


def test_the_network_page_carries_the_graph_for_the_library_and_a_fallback(
    client, persona, demo_inv
):
    client.force_login(persona("police"))
    url = reverse("investigate:network", args=[demo_inv.reference])
    resp = client.get(url)
    html = resp.content.decode()
    assert resp.status_code == 200
    # Cytoscape.js from Palermo's own static files, with the stylesheet it would otherwise inject
    assert "investigate/vendor/cytoscape/cytoscape.min.js" in html
    assert 'id="__________cytoscape_stylesheet"' in html
    assert "<style" not in html and " style=" not in html
    graph = _graph(html)
    ids = {n["id"] for n in graph["nodes"]}
    assert graph["edges"] and all(e["source"] in ids and e["target"] in ids for e in graph["edges"])
    assert set(_rows(html)) == ids  # every node has its row in the accounts table
    # the server-drawn fallback: links inside a group, not inside an image
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="group"' in svg and 'role="img"' not in svg
    assert '<a href="#acct-' in html
    # the vendored library ships with its licence
    vendor = Path(investigate_pkg.__file__).parent / "static/investigate/vendor/cytoscape"
    assert "Permission is hereby granted" in (vendor / "LICENSE").read_text()


def test_filter_by_role_keeps_those_accounts_and_the_payments_touching_them(
    client, persona, demo_inv
):
    from palermo.investigate import services

    client.force_login(persona("police"))
    url = reverse("investigate:network", args=[demo_inv.reference])
    net = services.network(demo_inv)
    roles = {r.account_key: r.role for r in net.roles}
    role = sorted(set(roles.values()))[0]
    html = client.get(url, {"role": role}).content.decode()
    graph = _graph(html)
    by_id = {n["id"]: n for n in graph["nodes"]}
    assert graph["edges"]
    for e in graph["edges"]:
        assert role in (by_id[e["source"]]["role"], by_id[e["target"]]["role"])
    # every account drawn has the role or is a counterparty of one that has it
    near = {x for e in graph["edges"] for x in (e["source"], e["target"])}
    assert all(n["role"] == role or n["id"] in near for n in graph["nodes"])
    assert any(n["role"] == role for n in graph["nodes"])
    whole = _graph(client.get(url).content.decode())
    assert len(graph["nodes"]) < len(whole["nodes"])


def test_filter_by_typology_draws_only_the_accounts_of_those_alerts(client, persona, demo_inv):
    from palermo.investigate import services

    client.force_login(persona("police"))
    url = reverse("investigate:network", args=[demo_inv.reference])
    typologies = services.alert_typologies(demo_inv)
    assert typologies
    whole = _graph(client.get(url).content.decode())
    narrowed = _graph(client.get(url, {"typology": typologies[0]}).content.decode())
    assert 0 < len(narrowed["nodes"]) <= len(whole["nodes"])


def test_a_bad_filter_is_said_and_the_default_network_is_shown(client, persona, demo_inv):
    client.force_login(persona("police"))
    url = reverse("investigate:network", args=[demo_inv.reference])
    html = client.get(url, {"role": "ringleader", "scope": "everything"}).content.decode()
    assert 'id="id_role_error"' in html and 'id="id_scope_error"' in html
    assert _graph(html)["nodes"] == _graph(client.get(url).content.decode())["nodes"]


def test_the_network_needs_the_investigation(client, persona, demo_inv):
    client.force_login(persona("caseworker"))
    url = reverse("investigate:network", args=[demo_inv.reference])
    assert client.get(url, {"role": "collector"}).status_code in (403, 404)
