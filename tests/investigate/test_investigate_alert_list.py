"""The red-flag alerts on the investigation page: filtered by rule, typology, status and
account, sorted and paged on the server (issue 15, item 10)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from palermo.investigate import alertlist

# --- the pure list rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class A:
    rule_id: str
    typology: str
    subject: str
    score: float
    decision: str
    tx_ids: tuple[str, ...]


alerts_st = st.lists(
    st.builds(
        A,
        rule_id=st.sampled_from(["R1", "R2", "R3"]),
        typology=st.sampled_from(["fan_in", "cycle", ""]),
        subject=st.sampled_from(["account:A", "account:B", "phone:1"]),
        score=st.floats(0, 1),
        decision=st.sampled_from(["", "confirmed", "dismissed"]),
        tx_ids=st.lists(st.text("t", min_size=1, max_size=3), max_size=4).map(tuple),
    ),
    max_size=30,
)
filters_st = st.builds(
    alertlist.AlertFilter,
    rule=st.sampled_from(["", "R1", "R2"]),
    typology=st.sampled_from(["", "fan_in", "cycle"]),
    status=st.sampled_from(alertlist.STATUSES),
    account=st.one_of(st.none(), st.integers(-1, 4)),
    sort=st.sampled_from(alertlist.SORTS),
)


@given(alerts_st, filters_st)
def test_every_alert_kept_passes_every_filter_and_none_that_passes_is_lost(alerts, f):
    kept = alertlist.apply(alerts, f)
    subjects = alertlist.subjects(alerts)
    account = (
        subjects[f.account] if f.account is not None and 0 <= f.account < len(subjects) else None
    )

    def passes(a: A) -> bool:
        return (
            (not f.rule or a.rule_id == f.rule)
            and (not f.typology or a.typology == f.typology)
            and f.status in ("all", a.decision or "open")
            and (f.account is None or a.subject == account)
        )

    assert sorted(map(id, kept)) == sorted(id(a) for a in alerts if passes(a))


@given(alerts_st, filters_st)
def test_the_order_is_the_one_asked_for(alerts, f):
    kept = alertlist.apply(alerts, f)
    pairs = list(zip(kept, kept[1:], strict=False))
    if f.sort == "score":
        assert all(a.score >= b.score for a, b in pairs)
    elif f.sort == "-score":
        assert all(a.score <= b.score for a, b in pairs)
    elif f.sort == "size":
        assert all(len(a.tx_ids) >= len(b.tx_ids) for a, b in pairs)
    elif f.sort == "rule":
        assert all(a.rule_id <= b.rule_id for a, b in pairs)
    elif f.sort == "subject":
        assert all(a.subject <= b.subject for a, b in pairs)


@given(alerts_st)
def test_the_status_counts_add_up(alerts):
    c = alertlist.counts(alerts)
    assert c["open"] + c["confirmed"] + c["dismissed"] == c["all"] == len(alerts)


def test_an_account_out_of_range_matches_nothing_rather_than_everything():
    alerts = [A("R1", "fan_in", "account:A", 0.5, "", ("t",))]
    assert alertlist.apply(alerts, alertlist.AlertFilter(account=7)) == []
    assert alertlist.apply(alerts, alertlist.AlertFilter(account=0)) == alerts


# --- the page -------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


PAGE = 5


@pytest.fixture
def demo_inv(demo_world, monkeypatch):
    from palermo.investigate import demo, views

    monkeypatch.setattr(views, "ALERT_PAGE_SIZE", PAGE)  # the small demo has 18 alerts
    from palermo.investigate.models import Investigation

    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    monkeypatch.setattr(demo, "ROWS", 3_000)
    demo.demo_investigation(random.Random(1))
    return Investigation.objects.get(title=demo.TITLE)


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="alert-card[^"]*" id="alert-([^"]+)"', html)


def test_the_alerts_are_paged_filtered_and_sorted_on_the_server(client, persona, demo_inv):
    from palermo.investigate import services

    client.force_login(persona("police"))
    url = reverse("investigate:detail", args=[demo_inv.reference])
    every = services.alert_views(demo_inv, include_decided=True, with_transactions=False)
    assert len(every) > PAGE, "the demo needs more than a page of alerts"

    html = client.get(url).content.decode()
    first = _cards(html)
    assert len(first) == PAGE
    assert f"{len(every)} open alerts" in html  # the heading still counts them all
    assert 'rel="next"' in html and "#alerts" in html
    best = sorted(every, key=lambda a: (-a.score, a.rule_id, a.subject))[:PAGE]
    assert first == [a.alert_key for a in best]

    second = _cards(client.get(url, {"page": 2}).content.decode())
    assert second and not set(second) & set(first)

    typology = next(a.typology for a in every if a.typology)
    html = client.get(url, {"typology": typology, "sort": "subject"}).content.decode()
    keys = _cards(html)
    wanted = [a for a in every if a.typology == typology]
    assert len(keys) == min(PAGE, len(wanted))
    assert (
        keys
        == [
            a.alert_key
            for a in alertlist.apply(
                every, alertlist.AlertFilter(typology=typology, sort="subject")
            )
        ][:PAGE]
    )

    # an account is chosen by its place in the list: no account number in the URL
    subjects = alertlist.subjects(every)
    resp = client.get(url, {"account": "0"})
    keys = _cards(resp.content.decode())
    assert keys and all(a.subject == subjects[0] for a in every if a.alert_key in keys)
    assert subjects[0] not in resp.request["QUERY_STRING"]


def test_a_bad_filter_is_said_beside_its_field_and_the_list_stays_whole(client, persona, demo_inv):
    client.force_login(persona("police"))
    url = reverse("investigate:detail", args=[demo_inv.reference])
    resp = client.get(url, {"status": "maybe"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="alerts-status_error"' in html
    assert len(_cards(html)) == PAGE


def test_a_decision_returns_to_the_same_filtered_list_and_shows_under_its_status(
    client, persona, demo_inv
):
    from palermo.investigate import services

    client.force_login(persona("police"))
    every = services.alert_views(demo_inv, include_decided=True, with_transactions=False)
    target = every[0]
    resp = client.post(
        reverse("investigate:decide", args=[demo_inv.reference]),
        {
            "alert_key": target.alert_key,
            "decision": "confirmed",
            "note": "seen",
            "back": f"typology={target.typology}&sort=rule&page=1&x=<script>",
        },
    )
    assert resp.status_code == 302
    assert resp["Location"].endswith(f"?typology={target.typology}&sort=rule&page=1#alerts")
    page = client.get(resp["Location"])
    html = page.content.decode()
    assert "Alert confirmed." in html and 'class="success"' in html
    # the message list is a real list inside a status region (axe: a list's role kept)
    assert re.search(r'<div class="messages" role="status"[^>]*><ul><li class="success">', html)
    assert target.alert_key not in _cards(html)
    confirmed = client.get(
        reverse("investigate:detail", args=[demo_inv.reference]), {"status": "confirmed"}
    ).content.decode()
    assert _cards(confirmed) == [target.alert_key]
    assert "seen" in confirmed


def test_the_alert_filters_need_the_investigation(client, persona, demo_inv):
    client.force_login(persona("caseworker"))
    url = reverse("investigate:detail", args=[demo_inv.reference])
    assert client.get(url, {"status": "all"}).status_code in (403, 404)
