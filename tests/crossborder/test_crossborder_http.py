"""Pages and API: roles refused, bad input shown beside the field and nothing stored, the
inbox's answers, audit records; and the CLI."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from palermo.core.models import AuditEntry
from palermo.crossborder import services
from palermo.crossborder.models import Handover, TransferConsent
from tests.cases.cases_helpers import open_case, user
from tests.crossborder.conftest import A, B


def signed_in(name: str) -> Client:
    c = Client()
    c.force_login(user(name))
    return c


def test_pages_refuse_the_wrong_roles(instances):
    with instances.as_(A):
        assert signed_in("inspector").get("/crossborder/").status_code == 403
        assert signed_in("analyst").get("/crossborder/send/").status_code == 403
        page = signed_in("caseworker").get("/crossborder/")
        assert page.status_code == 200
        # The partner country by its name, not its code.
        assert b"Partners in the trust list" in page.content and b">Albania<" in page.content
        assert b"Received" not in page.content  # incoming is for co-ordinators
        assert b"Received" in signed_in("coordinator").get("/crossborder/").content
    assert AuditEntry.objects.filter(
        action="refused", details__permission="crossborder.send"
    ).exists()


def test_consent_and_send_in_the_browser_forms(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        c = signed_in("caseworker")
        form = {
            "action": "consent",
            "c-case": case.reference,
            "c-partner": B,
            "c-purpose": "assistance",
            "c-groups": ["identity", "exploitation"],
        }
        page = c.post("/crossborder/send/", form)  # risks not explained
        assert page.status_code == 200
        assert b"Explain the risks" in page.content
        assert not TransferConsent.objects.exists()
        page = c.post("/crossborder/send/", form | {"c-risks_explained": "on"})
        assert b"The transfer consent is recorded." in page.content
        send = {
            "action": "send",
            "s-case": case.reference,
            "s-partner": B,
            "s-purpose": "return",  # consent was for assistance only
            "s-handling": "H2",
        }
        page = c.post("/crossborder/send/", send)
        assert b"No valid transfer consent" in page.content
        assert not Handover.objects.exists()
        resp = c.post("/crossborder/send/", send | {"s-purpose": "assistance"})
        assert resp.status_code == 302
        page = c.get(resp["Location"])
        assert b"Signed receipt: received." in page.content
        h = Handover.objects.get(local_entity=A)
        assert case.reference.encode() not in resp["Location"].encode()
        carried = c.get(f"/crossborder/handovers/{h.pk}/envelope.jwe")
        assert carried.content.decode() == h.envelope
        # Another shelter's case worker may not open it.
        assert signed_in("outreach").get(f"/crossborder/handovers/{h.pk}/").status_code in (
            403,
            404,
        )
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B)
        # A case worker may send but not receive: an incoming hand-over's id answers as an
        # unknown one does (404), and the refusal is audited.
        worker = signed_in("caseworker")
        refusals = AuditEntry.objects.filter(action="refused").count()
        assert worker.get(f"/crossborder/handovers/{incoming.pk}/").status_code == 404
        assert worker.get("/crossborder/handovers/999999/").status_code == 404
        assert AuditEntry.objects.filter(action="refused").count() == refusals + 1
        co = signed_in("coordinator")
        page = co.get(f"/crossborder/handovers/{incoming.pk}/")
        assert b"Information received" in page.content and b"prs_FirstName" in page.content
        resp = co.post(f"/crossborder/handovers/{incoming.pk}/act/", {"action": "accept"})
        assert resp.status_code == 302
        incoming.refresh_from_db()
        assert incoming.state == "accepted" and incoming.case_ref
    with instances.as_(A):
        page = c.get(f"/crossborder/handovers/{h.pk}/")
        assert b"Accepted" in page.content


def test_api_send_and_inbox_answers(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        co = signed_in("caseworker")
        r = co.post(
            "/api/v1/crossborder/consents",
            {
                "case": case.reference,
                "partner": B,
                "purpose": "assistance",
                "groups": ["identity"],
                "risks_explained": True,
            },
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        bad = co.post(
            "/api/v1/crossborder/handovers",
            {"case": case.reference, "partner": B, "purpose": "assistance", "handling": "H9"},
            content_type="application/json",
        )
        assert bad.status_code == 422
        r = co.post(
            "/api/v1/crossborder/handovers",
            {"case": case.reference, "partner": B, "purpose": "assistance", "handling": "H0"},
            content_type="application/json",
        )
        assert r.status_code == 201 and r.json()["state"] == "received"
        assert r.json()["groups"] == ["identity"]
        listed = co.get("/api/v1/crossborder/handovers").json()
        assert [h["jti"] for h in listed] == [r.json()["jti"]]
        refused = signed_in("analyst").get("/api/v1/crossborder/handovers")
        assert refused.status_code == 403
    with instances.as_(B):
        anon = Client()
        r = anon.post("/api/v1/crossborder/inbox", "nonsense", content_type="application/jose")
        assert (r.status_code, r.content) == (400, b"malformed")
        r = anon.post("/api/v1/crossborder/inbox", "a" * 300_000, content_type="application/jose")
        assert r.status_code == 413
    assert Handover.objects.filter(local_entity=B).count() == 1


def test_cli_keys_trust_list_and_receive(instances, tmp_path, capsys):
    from typer.testing import CliRunner

    from palermo.cli import app

    runner = CliRunner()
    with instances.as_(B):
        out = runner.invoke(app, ["crossborder", "trust-list", "show"])
        assert out.exit_code == 0 and "NOT VALID" not in out.output and B in out.output
        out = runner.invoke(app, ["crossborder", "keys", "show"])
        assert out.exit_code == 0 and '"d"' not in out.output
        old = tmp_path / "old.jws"
        old.write_text(instances.trust_token(version=1))
        out = runner.invoke(app, ["crossborder", "trust-list", "load", str(old)])
        assert out.exit_code == 1 and "version" in out.output + (out.stderr or "")
    with instances.as_(A):
        case = open_case("caseworker")
        from tests.crossborder.test_crossborder_exchange import consent

        consent(case)
        instances.offline.add(B)
        jwe = tmp_path / "handover.jwe"
        out = runner.invoke(
            app,
            [
                "crossborder",
                "send",
                "--as",
                "caseworker",
                "--case",
                case.reference,
                "--partner",
                B,
                "--purpose",
                "assistance",
                "--out",
                str(jwe),
            ],
        )
        assert out.exit_code == 0, out.output
        assert "awaiting receipt" in out.output
    with instances.as_(B):
        receipt = tmp_path / "receipt.jws"
        out = runner.invoke(app, ["crossborder", "receive", str(jwe), "--receipt", str(receipt)])
        assert out.exit_code == 0, out.output
        jwe.write_text(jwe.read_text()[:-3] + "AAA")
        out = runner.invoke(app, ["crossborder", "receive", str(jwe)])
        assert out.exit_code == 1
    with instances.as_(A):
        worker = user("caseworker")
        services.receipt_import(worker, worker.organisations()[0], receipt.read_text())
        out = runner.invoke(app, ["crossborder", "status"])
        assert "received" in out.output and "1 hand-overs." in out.output


@pytest.mark.parametrize("name", ["home.html", "send.html", "handover.html"])
def test_templates_use_the_scroll_container_for_tables(name):
    from pathlib import Path

    import palermo.crossborder

    text = (Path(palermo.crossborder.__file__).parent / "templates/crossborder" / name).read_text()
    assert text.count("<table") == text.count('class="table-scroll"><table')
    json.dumps(name)


def test_administrator_loads_a_newer_trust_list_and_a_forgery_is_refused(instances):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from palermo.crossborder import trust as tr

    with instances.as_(A):
        admin = signed_in("admin")
        assert signed_in("caseworker").get("/crossborder/trust-list/").status_code == 403
        page = admin.get("/crossborder/trust-list/")
        assert page.status_code == 200 and b"http://palermo-b.test" in page.content
        forged = tr.sign(
            tr.unverified_payload(instances.trust_token(version=2)), tr.new_anchor_key("rogue")
        )
        page = admin.post(
            "/crossborder/trust-list/", {"file": SimpleUploadedFile("l.jws", forged.encode())}
        )
        assert b"does not verify" in page.content
        assert services.trust_list().version == 1
        resp = admin.post(
            "/crossborder/trust-list/",
            {"file": SimpleUploadedFile("l.jws", instances.trust_token(version=2).encode())},
        )
        assert resp.status_code == 302
        assert services.trust_list().version == 2
