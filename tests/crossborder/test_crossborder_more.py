"""Overdue loops, declines, statuses about unknown hand-overs, police-channel records, the
trust list expiring under a sender, and the demo step."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from palermo.core.errors import Conflict, InvalidInput
from palermo.crossborder import envelope as env
from palermo.crossborder import selectors, services
from palermo.crossborder.models import Handover, PoliceExchange, TrustListRecord
from tests.cases.cases_helpers import acting, open_case
from tests.crossborder.conftest import A, B
from tests.crossborder.test_crossborder_exchange import consent, send


def test_overdue_loop_and_decline(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        h = send(case)
        assert not selectors.is_overdue(h)
        Handover.objects.filter(pk=h.pk).update(due_by=date.today() - timedelta(days=1))
        h.refresh_from_db()
        assert selectors.is_overdue(h)
        worker, shelter = acting("caseworker")
        listed = selectors.handovers(worker, shelter, direction="out")
        assert [x.pk for x in listed] == [h.pk]
    with instances.as_(B):
        coordinator, office = acting("coordinator")
        incoming = Handover.objects.get(local_entity=B, jti=h.jti)
        with pytest.raises(InvalidInput, match="Accept or decline"):
            services.status_send(coordinator, office, incoming.pk, "assistance_started")
        services.status_send(coordinator, office, incoming.pk, "declined")
        with pytest.raises(Conflict, match="finished"):
            services.status_send(coordinator, office, incoming.pk, "closed")
    with instances.as_(A):
        h.refresh_from_db()
        assert (h.state, h.last_status) == ("declined", "declined")
        assert not selectors.is_overdue(h)  # the loop is closed


def test_status_about_an_unknown_hand_over_is_refused_with_a_signed_reason(instances):
    with instances.as_(A):
        p = services.trust_list().find(B)
        _, envelope = env.seal(
            typ="status",
            body={"ref": "u" * 24, "status": "closed"},
            sender_id=A,
            sender_keys=services.signer_keys(),
            recipient=p,
            now=services.now_ts(),
        )
        token = instances.transport(p, envelope)
        r = env.verify_receipt(token, trust=services.trust_list(), own_id=A, now=services.now_ts())
        assert (r.outcome, r.reason) == ("rejected", "unknown_handover")


def test_police_channel_exchange_is_recorded_not_carried(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        worker, shelter = acting("caseworker")
        with pytest.raises(InvalidInput) as exc:
            services.police_exchange_record(
                worker,
                shelter,
                case_ref=case.reference,
                channel="carrier_pigeon",
                reference="",
                handling="H2",
                country="Albania",
                exchanged_on=date.today(),
            )
        assert {e.field for e in exc.value.errors} == {"channel", "reference", "country"}
        assert not PoliceExchange.objects.exists()
        rec = services.police_exchange_record(
            worker,
            shelter,
            case_ref=case.reference,
            channel="siena",
            reference="SIENA 2026/000117",
            handling="H2",
            country="AL",
            exchanged_on=date.today(),
        )
        assert rec.case_ref == case.reference


def test_a_partner_expiring_after_sending_stops_status_and_revocation(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        h = send(case)
    instances.load_trust(
        instances.trust_token(
            version=2, valid_from=instances.now - 7200, valid_until=instances.now - 1
        )
    )
    with instances.as_(A):
        worker, shelter = acting("caseworker")
        with pytest.raises(Conflict, match="Nothing goes to this partner"):
            services.revoke(worker, shelter, h.pk, "sent_in_error")
        h.refresh_from_db()
        assert h.revoked_at is None


def test_demo_step_sets_up_both_instances_and_is_idempotent(
    demo_world, tmp_path, settings, monkeypatch
):
    from palermo.crossborder.demo import PARTNER_ID, demo_crossborder

    monkeypatch.setenv("PALERMO_DEMO_CROSSBORDER", "1")
    settings.VAR_DIR = tmp_path
    settings.CROSSBORDER_ENTITY_ID = "http://127.0.0.1:8000"
    settings.CROSSBORDER_KEYS_FILE = str(tmp_path / "keys.json")
    settings.CROSSBORDER_ANCHORS_FILE = str(tmp_path / "anchors.json")
    services._trust_cache.clear()
    assert "v1" in demo_crossborder(random.Random(1))
    assert "already" in demo_crossborder(random.Random(1))
    found = services.trust_list()
    assert {p.entity_id for p in found.partners} == {"http://127.0.0.1:8000", PARTNER_ID}
    # The partner-country instance (`palermo demo --partner`; here the same test database,
    # its own entity id) puts the same signed list in force, once.
    settings.CROSSBORDER_ENTITY_ID = PARTNER_ID
    settings.CROSSBORDER_KEYS_FILE = str(tmp_path / "crossborder-demo-partner-keys.json")
    with pytest.raises(Conflict):
        services.trust_list()  # nothing shared: the main demo no longer loads it for the partner
    monkeypatch.setenv("PALERMO_DEMO_ROLE", "partner")
    monkeypatch.setenv("PALERMO_DEMO_MAIN_VAR", str(tmp_path))
    assert "partner-country instance" in demo_crossborder(random.Random(1))
    assert services.trust_list().version == found.version
    assert "already" in demo_crossborder(random.Random(1))
    assert TrustListRecord.objects.filter(local_entity=PARTNER_ID).count() == 1


PARTNER_ENV = (
    "PALERMO_VAR_DIR",
    "DATABASE_URL",
    "PALERMO_FIELD_KEYS_FILE",
    "PALERMO_CROSSBORDER_ENTITY_ID",
    "PALERMO_CROSSBORDER_KEYS_FILE",
    "PALERMO_CROSSBORDER_ANCHORS_FILE",
    "PALERMO_DEMO_ROLE",
    "PALERMO_DEMO_MAIN_VAR",
    "PALERMO_SESSION_COOKIE_NAME",
    "PALERMO_CSRF_COOKIE_NAME",
    "PALERMO_DEMO_PARTNER",
)


@pytest.fixture
def partner_env(tmp_path, monkeypatch):
    import os

    for name in PARTNER_ENV:  # monkeypatch restores each after the test
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)
    monkeypatch.setenv("PALERMO_VAR_DIR", str(tmp_path))
    return os.environ


def test_partner_demo_has_its_own_database_keys_and_cookies(partner_env, tmp_path):
    from palermo.cli import _partner_environment

    (tmp_path / "crossborder-demo-trust-list.jws").write_text("x.y.z")
    assert _partner_environment(None) == 8001
    var = tmp_path.resolve() / "partner-demo"
    assert partner_env["PALERMO_VAR_DIR"] == str(var)
    assert partner_env["DATABASE_URL"] == f"sqlite:///{var / 'palermo.sqlite3'}"
    assert partner_env["PALERMO_CROSSBORDER_ENTITY_ID"] == "http://127.0.0.1:8001"
    assert partner_env["PALERMO_CROSSBORDER_KEYS_FILE"].endswith(
        "crossborder-demo-partner-keys.json"
    )
    assert partner_env["PALERMO_SESSION_COOKIE_NAME"] != "sessionid"
    assert "PALERMO_FIELD_KEYS_FILE" not in partner_env


def test_partner_demo_refuses_without_main_demo_or_on_another_port(partner_env, tmp_path):
    from typer.testing import CliRunner

    from palermo.cli import app

    r = CliRunner().invoke(app, ["demo", "--partner", "--no-serve"])
    assert r.exit_code == 2 and "prepare the main demo first" in r.output
    assert "DATABASE_URL" not in partner_env  # nothing changed
    (tmp_path / "crossborder-demo-trust-list.jws").write_text("x.y.z")
    r = CliRunner().invoke(app, ["demo", "--partner", "--port", "8002", "--no-serve"])
    assert r.exit_code == 2 and "port 8001" in r.output
    assert "DATABASE_URL" not in partner_env


def test_police_exchange_over_the_api(instances):
    from django.test import Client

    from palermo.core.models import AuditEntry
    from tests.cases.cases_helpers import user

    with instances.as_(A):
        case = open_case("caseworker")
        c = Client()
        c.force_login(user("caseworker"))
        body = {
            "case": case.reference,
            "channel": "interpol",
            "reference": "I-24/7 2026-117",
            "handling": "H1",
            "country": "AL",
            "exchanged_on": "2026-11-30",
        }
        r = c.post("/api/v1/crossborder/police-exchanges", body, content_type="application/json")
        assert r.status_code == 201
        bad = c.post(
            "/api/v1/crossborder/police-exchanges",
            body | {"country": "al"},
            content_type="application/json",
        )
        assert bad.status_code == 422
        assert PoliceExchange.objects.count() == 1
        assert AuditEntry.objects.filter(
            object_type="crossborder_police_exchange", object_ref=case.reference
        ).exists()
