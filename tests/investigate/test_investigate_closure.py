"""Closing and reopening an investigation: owner only, read-only while closed (web and
API), every change refused without touching anything, reads and downloads still served."""

from __future__ import annotations

import typing

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

# tests/investigate is on sys.path (pytest's rootdir-relative imports): helpers of the shell tests
from test_investigate_shell import statement_csv
from test_investigate_shell_api import _h

from palermo.core.models import AuditEntry, Organisation
from palermo.investigate import api as investigate_api
from palermo.investigate import services
from palermo.investigate.models import (
    INVESTIGATING_TYPES,
    AlertDecision,
    ClosureReason,
    Investigation,
    InvestigationMember,
    InvestigationParty,
    StatementFile,
)

BASE = "/api/v1/investigations"


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


def _upload(client, inv: Investigation, data: bytes, name: str = "statement.csv"):
    f = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(
        reverse("investigate:upload", args=[inv.reference]),
        {"file": f, "kind": "csv", "profile": "pkg:palermo-canonical"},
        follow=True,
    )


@pytest.fixture
def investigation(login_as, client) -> Investigation:
    """An investigation of the police with one statement, a red-flag run, and the FIU as member."""
    login_as("police")
    client.post(reverse("investigate:create"), {"title": "Operation Harbour"})
    inv = Investigation.objects.get(title="Operation Harbour")
    assert _upload(client, inv, statement_csv()).status_code == 200
    client.post(reverse("investigate:run", args=[inv.reference]))
    fiu = Organisation.objects.get(name__startswith="Financial Intelligence")
    client.post(reverse("investigate:member_add", args=[inv.reference]), {"organisation": fiu.pk})
    assert InvestigationMember.objects.filter(investigation=inv, organisation=fiu).exists()
    return inv


def _close(client, inv: Investigation, follow: bool = False, **data: str):
    return client.post(
        reverse("investigate:close", args=[inv.reference]),
        {"reason": "referred_to_prosecution", "confirm": "on", **data},
        follow=follow,
    )


def test_owner_closes_with_a_reason_and_the_page_becomes_read_only(client, investigation):
    inv = investigation
    page = client.get(reverse("investigate:detail", args=[inv.reference])).content.decode()
    assert "Close the investigation" in page and "Run red flags" in page
    resp = _close(client, inv)
    assert resp.status_code == 302
    inv.refresh_from_db()
    assert inv.status == "closed" and inv.closure_reason == "referred_to_prosecution"
    assert inv.closed_at is not None and inv.closed_by.username == "police"
    assert (
        AuditEntry.objects.filter(
            object_ref=inv.reference,
            details__what="close",
            details__reason="referred_to_prosecution",
        ).count()
        == 1
    )
    page = client.get(reverse("investigate:detail", args=[inv.reference])).content.decode()
    assert "Referred to the prosecution" in page and "Reopen the investigation" in page
    for gone in (
        "Run red flags",
        "Import a statement",
        "Give access",
        "Close the investigation",
        reverse("investigate:decide", args=[inv.reference]),
    ):
        assert gone not in page, gone
    # reading and downloading stay possible
    assert client.get(reverse("investigate:network", args=[inv.reference])).status_code == 200
    assert client.get(reverse("investigate:proceeds", args=[inv.reference])).status_code == 200
    assert client.get(reverse("investigate:pack_html", args=[inv.reference])).status_code == 200


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"reason": ""}, "This field is required"),
        ({"reason": "bored"}, "Select a valid choice"),
        ({"confirm": ""}, "This field is required"),
    ],
)
def test_closing_needs_a_reason_and_a_confirmation(client, investigation, data, field_message):
    resp = _close(client, investigation, **data)
    assert resp.status_code == 422 and field_message in resp.content.decode()
    investigation.refresh_from_db()
    assert investigation.status == "open"


def test_every_change_to_a_closed_investigation_is_refused_and_changes_nothing(
    client, investigation
):
    inv = investigation
    alert = services.alert_views(inv)[0]
    _close(client, inv)
    statements = StatementFile.objects.filter(investigation=inv).count()
    audits = AuditEntry.objects.filter(object_ref=inv.reference, action="update").count()
    posts = {
        "upload": {
            "file": SimpleUploadedFile(
                "other.csv",
                statement_csv(["X1,2024-03-20 10:00:00,5.00,EUR,,,,,,,"]),
                content_type="text/csv",
            ),
            "kind": "csv",
            "profile": "pkg:palermo-canonical",
        },
        "run": {},
        "decide": {"alert_key": alert.alert_key, "decision": "confirmed"},
        "party_add": {"schema": "Person", "name": "Marko Horvat", "role": "suspect"},
        "member_add": {
            "organisation": Organisation.objects.filter(org_type__in=INVESTIGATING_TYPES)
            .exclude(
                pk__in=[inv.organisation_id, *inv.members.values_list("organisation_id", flat=True)]
            )
            .first()
            .pk
        },
        "case_link": {"case": "C-2026-0001"},
        "judge": {"left": "a", "right": "b", "decision": "same"},
        "proceeds": {"offenders": [alert.subject]},
    }
    for name, data in posts.items():
        resp = client.post(reverse(f"investigate:{name}", args=[inv.reference]), data)
        assert resp.status_code == 302 and resp["Location"].endswith(f"/{inv.reference}/"), name
        page = client.get(resp["Location"]).content.decode()
        assert "is closed, so nothing in it can be changed" in page, name
    assert StatementFile.objects.filter(investigation=inv).count() == statements
    assert not AlertDecision.objects.filter(investigation=inv).exists()
    assert not InvestigationParty.objects.filter(investigation=inv).exists()
    assert AuditEntry.objects.filter(object_ref=inv.reference, action="update").count() == audits


def test_a_member_organisation_may_neither_close_nor_reopen(client, login_as, investigation):
    inv = investigation
    login_as("fiu")
    page = client.get(reverse("investigate:detail", args=[inv.reference])).content.decode()
    assert "Close the investigation" not in page
    assert _close(client, inv).status_code == 403
    inv.refresh_from_db()
    assert inv.status == "open"
    login_as("police")
    _close(client, inv)
    login_as("fiu")
    page = client.get(reverse("investigate:detail", args=[inv.reference])).content.decode()
    assert "Referred to the prosecution" in page and "Reopen the investigation" not in page
    assert client.post(reverse("investigate:reopen", args=[inv.reference])).status_code == 403
    inv.refresh_from_db()
    assert inv.status == "closed"
    assert AuditEntry.objects.filter(action="refused", object_ref=inv.reference).count() >= 2


def test_reopening_makes_it_writable_again(client, investigation):
    inv = investigation
    _close(client, inv, reason="no_further_action")
    resp = client.post(reverse("investigate:reopen", args=[inv.reference]))
    assert resp.status_code == 302
    inv.refresh_from_db()
    assert (inv.status, inv.closure_reason, inv.closed_at, inv.closed_by) == (
        "open",
        "",
        None,
        None,
    )
    assert (
        AuditEntry.objects.filter(
            object_ref=inv.reference, action="update", details__what="reopen"
        ).count()
        == 1
    )
    resp = client.post(
        reverse("investigate:party_add", args=[inv.reference]),
        {"schema": "Person", "name": "Marko Horvat", "role": "suspect"},
    )
    assert resp.status_code == 302
    assert InvestigationParty.objects.filter(investigation=inv).count() == 1
    # reopening an open investigation is answered with a message, nothing else
    resp = client.post(reverse("investigate:reopen", args=[inv.reference]), follow=True)
    assert "is open already" in resp.content.decode()


def test_closing_twice_is_refused_with_a_message(client, investigation):
    _close(client, investigation)
    resp = _close(client, investigation, reason="merged", follow=True)
    assert "is closed, so nothing in it can be changed" in resp.content.decode()
    investigation.refresh_from_db()
    assert investigation.closure_reason == "referred_to_prosecution"


def test_api_close_reopen_and_409_while_closed(client, api_token, investigation):
    police, fiu = api_token("police"), api_token("fiu")
    ref = investigation.reference
    assert (
        client.post(
            f"{BASE}/{ref}/close",
            {"reason": "concluded"},
            content_type="application/json",
            **_h(fiu),
        ).status_code
        == 403
    )
    bad = client.post(
        f"{BASE}/{ref}/close", {"reason": "whatever"}, content_type="application/json", **_h(police)
    )
    assert bad.status_code == 422
    resp = client.post(
        f"{BASE}/{ref}/close",
        {"reason": "concluded"},
        content_type="application/json",
        **_h(police),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert (
        body["status"] == "closed" and body["closure_reason"] == "concluded" and body["closed_at"]
    )
    run = client.post(f"{BASE}/{ref}/run", **_h(police))
    assert run.status_code == 409 and "is closed" in run.json()["detail"]
    alert = services.alert_views(investigation)[0]
    decision = client.post(
        f"{BASE}/{ref}/alerts/{alert.alert_key}/decision",
        {"decision": "confirmed"},
        content_type="application/json",
        **_h(fiu),
    )
    assert decision.status_code == 409  # a member organisation, too
    assert not AlertDecision.objects.filter(investigation=investigation).exists()
    assert client.get(f"{BASE}/{ref}", **_h(fiu)).json()["status"] == "closed"
    assert client.get(f"{BASE}/{ref}/evidence-pack", **_h(police)).status_code == 200
    reopened = client.post(f"{BASE}/{ref}/reopen", **_h(police))
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["closure_reason"] == "" and reopened.json()["closed_at"] is None
    assert client.post(f"{BASE}/{ref}/run", **_h(police)).status_code == 202  # a background job


def test_api_reasons_are_the_models_reasons():
    literal = typing.get_type_hints(investigate_api.CloseIn)["reason"]
    assert set(typing.get_args(literal)) == set(ClosureReason.values)


def test_lists_filter_by_status(client, api_token, investigation):
    other = services.investigation_create(
        actor=investigation.created_by,
        organisation=investigation.organisation,
        title="Operation Still Open",
    )
    _close(client, investigation)
    listing = client.get(reverse("investigate:list"), {"status": "closed"}).content.decode()
    assert investigation.reference in listing and other.reference not in listing
    listing = client.get(reverse("investigate:list"), {"status": "open"}).content.decode()
    assert other.reference in listing and investigation.reference not in listing
    both = client.get(reverse("investigate:list")).content.decode()
    assert investigation.reference in both and other.reference in both
    police = api_token("police")
    closed = client.get(BASE, {"status": "closed"}, **_h(police)).json()
    assert [i["reference"] for i in closed["items"]] == [investigation.reference]
    assert client.get(BASE, {"status": "shut"}, **_h(police)).status_code == 422
