"""The investigations API: need-to-know, upload, run, alerts, decisions, evidence pack."""

from __future__ import annotations

import pytest
from schwifty import IBAN

from palermo.core.models import AuditEntry
from palermo.investigate.models import AlertDecision, StatementFile

BASE = "/api/v1/investigations"


def ib(n: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


def statement_csv(extra: list[str] = ()) -> bytes:
    rows = [
        "tx_ref,booked_at,amount,currency,payer_iban,payer_name,payee_iban,payee_name,description,mcc,channel"
    ]
    for i in (1, 2, 3):
        rows.append(
            f"S{i},2024-03-01 10:00:00,1000.00,EUR,{ib(50)},Adria Cleaning doo,{ib(i)},W{i},salary March,,"
        )
        rows.append(
            f"K{i},2024-03-02 10:00:00,600.00,EUR,{ib(i)},W{i},{ib(60)},Marko Horvat,rent,,"
        )
    rows.extend(extra)
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


def _h(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _create(client, token: str, **body: object) -> dict:
    resp = client.post(
        BASE, {"title": "Operation Harbour", **body}, content_type="application/json", **_h(token)
    )
    assert resp.status_code == 201, resp.content
    return resp.json()


def _upload(client, token: str, ref: str, data: bytes, name: str = "s.csv", **fields: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {
        "file": SimpleUploadedFile(name, data, content_type="text/csv"),
        "kind": "csv",
        "profile": "palermo-canonical",
        **fields,
    }
    return client.post(f"{BASE}/{ref}/statements", payload, **_h(token))


def test_create_list_read_and_need_to_know(client, api_token):
    police, fiu = api_token("police"), api_token("fiu")
    inv = _create(client, police)
    ref = inv["reference"]
    assert ref.startswith("INV-") and inv["statements"] == []
    listed = client.get(BASE, **_h(police)).json()
    assert listed["count"] == 1 and listed["items"][0]["reference"] == ref and listed["page"] == 1
    assert client.get(f"{BASE}/{ref}", **_h(police)).status_code == 200
    other = client.get(f"{BASE}/{ref}", **_h(fiu))
    assert other.status_code == 404 and other.json() == {"detail": "Not found.", "errors": []}
    assert client.get(BASE, **_h(fiu)).json()["count"] == 0
    assert AuditEntry.objects.filter(action="refused", object_ref=ref).exists()


def test_screener_and_caseworker_are_refused(client, api_token):
    for who in ("inspector", "caseworker"):
        resp = client.get(BASE, **_h(api_token(who)))
        assert resp.status_code == 403 and resp.json()["detail"]


def test_create_validates_input(client, api_token):
    police = api_token("police")
    resp = client.post(BASE, {"title": ""}, content_type="application/json", **_h(police))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "title"
    resp = client.post(
        BASE,
        {"title": "x", "cases": ["NRM-0000-0000"]},
        content_type="application/json",
        **_h(police),
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "cases"
    resp = client.post(
        BASE, {"title": "x", "members": [999999]}, content_type="application/json", **_h(police)
    )
    assert resp.status_code == 422
    from palermo.core.models import Organisation

    ngo = Organisation.objects.get(name__startswith="Safe Harbour")
    resp = client.post(
        BASE, {"title": "x", "members": [ngo.pk]}, content_type="application/json", **_h(police)
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "members"
    fiu = Organisation.objects.get(name__startswith="Financial Intelligence")
    resp = client.post(
        BASE, {"title": "Joint", "members": [fiu.pk]}, content_type="application/json", **_h(police)
    )
    assert resp.status_code == 201 and resp.json()["members"][0]["id"] == fiu.pk
    assert (
        client.get(f"{BASE}/{resp.json()['reference']}", **_h(api_token("fiu"))).status_code == 200
    )


def test_upload_bad_rows_rejected_then_good_file_idempotent(client, api_token):
    police = api_token("police")
    ref = _create(client, police)["reference"]
    bad = _upload(
        client,
        police,
        ref,
        statement_csv([f"X,2024-03-05 10:00:00,abc,EUR,{ib(5)},A,{ib(6)},B,,,"]),
    )
    # A background job: 202 with the job (the tests' immediate backend has run it already).
    assert bad.status_code == 202 and bad.json()["status"] == "failed"
    body = bad.json()["report"]
    assert (
        body["ok"] is False
        and body["rows_inserted"] == 0
        and body["errors"][0]["field"] == "amount"
    )
    assert StatementFile.objects.count() == 0
    ok = _upload(client, police, ref, statement_csv())
    assert (
        ok.status_code == 202
        and ok.json()["status"] == "done"
        and ok.json()["report"]["rows_inserted"] == 6
    )
    assert client.get(ok.json()["url"], **_h(police)).json()["summary"]["rows_inserted"] == 6
    again = _upload(client, police, ref, statement_csv())
    assert again.status_code == 202 and again.json()["report"]["already_imported"] is True
    assert client.get(f"{BASE}/{ref}", **_h(police)).json()["statements"][0]["rows_inserted"] == 6
    unknown = _upload(client, police, ref, statement_csv(), profile="no-such-profile")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "profile"


def test_run_alerts_decide_and_pack(client, api_token):
    police = api_token("police")
    ref = _create(client, police)["reference"]
    _upload(client, police, ref, statement_csv())
    job = client.post(f"{BASE}/{ref}/run", **_h(police)).json()
    assert job["status"] == "done"
    run = job["summary"]
    assert run["alerts"] >= 1
    assert {s["rule_id"] for s in run["skipped"]}  # some rules lack data here, and are reported
    alerts = client.get(f"{BASE}/{ref}/alerts", **_h(police)).json()
    kick = next(a for a in alerts["items"] if a["rule_id"] == "THB-LAB-WAGE-KICKBACK")
    assert kick["transactions"] and kick["transactions"][0]["source_id"] and kick["sources"]
    resp = client.post(
        f"{BASE}/{ref}/alerts/{kick['alert_key']}/decision",
        {"decision": "dismissed", "note": "ok"},
        content_type="application/json",
        **_h(police),
    )
    assert resp.status_code == 200 and resp.json()["decision"] == "dismissed"
    assert AlertDecision.objects.filter(alert_key=kick["alert_key"]).exists()
    client.post(f"{BASE}/{ref}/run", **_h(police))
    open_keys = {
        a["alert_key"] for a in client.get(f"{BASE}/{ref}/alerts", **_h(police)).json()["items"]
    }
    assert kick["alert_key"] not in open_keys
    with_decided = client.get(f"{BASE}/{ref}/alerts?include_decided=true", **_h(police)).json()[
        "items"
    ]
    assert any(
        a["alert_key"] == kick["alert_key"] and a["decision"] == "dismissed" for a in with_decided
    )
    again = client.post(
        f"{BASE}/{ref}/alerts/{kick['alert_key']}/decision",
        {"decision": "confirmed"},
        content_type="application/json",
        **_h(police),
    )
    assert again.status_code == 422
    missing = client.post(
        f"{BASE}/{ref}/alerts/abc/decision",
        {"decision": "confirmed"},
        content_type="application/json",
        **_h(police),
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "alert_key"
    html = client.get(f"{BASE}/{ref}/evidence-pack", **_h(police))
    assert (
        html.status_code == 200
        and html["Content-Type"].startswith("text/html")
        and html["X-Pack-Digest"]
    )
    pdf = client.get(f"{BASE}/{ref}/evidence-pack?format=pdf", **_h(police))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="export", object_ref=ref).count() == 2
    assert client.get(f"{BASE}/{ref}/evidence-pack", **_h(api_token("fiu"))).status_code == 404


def test_matches_network_proceeds_attach_and_ftm(client, api_token, persona):
    from tests.cases.cases_helpers import open_case

    from palermo.core.models import Membership
    from palermo.core.roles import Role

    police_user = persona("police")
    Membership.objects.create(
        user=police_user, organisation=police_user.organisations()[0], role=Role.CASE_WORKER
    )
    case = open_case("police", exploitation_forms=["labour"])
    police = api_token("police")
    ref = _create(client, police, cases=[case.reference])["reference"]
    _upload(client, police, ref, statement_csv())
    client.post(f"{BASE}/{ref}/run", **_h(police))
    assert client.get(f"{BASE}/{ref}/matches", **_h(police)).json()["count"] == 0
    net = client.get(f"{BASE}/{ref}/network", **_h(police)).json()
    assert any(e["payee"] == ib(60) for e in net["edges"])
    bad = client.post(
        f"{BASE}/{ref}/proceeds",
        {"offenders": ["nobody"]},
        content_type="application/json",
        **_h(police),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "offenders"
    est = client.post(
        f"{BASE}/{ref}/proceeds",
        {"offenders": [ib(60)], "victims": [ib(1), ib(2), ib(3)]},
        content_type="application/json",
        **_h(police),
    )
    assert est.status_code == 200 and est.json()["confiscation_total"] == "1800.00"
    assert (
        est.json()["compensation_total"] == "1800.00"
        and "pro-rata" in est.json()["confiscation_method"]
    )
    claim = client.post(
        f"{BASE}/{ref}/proceeds/attach",
        {"case": case.reference, "total": "compensation"},
        content_type="application/json",
        **_h(police),
    )
    assert (
        claim.status_code == 201
        and claim.json()["source"] == "offender"
        and claim.json()["amount"] == "1800.00"
    )
    not_linked = client.post(
        f"{BASE}/{ref}/proceeds/attach",
        {"case": "NRM-AAAA-AAAA", "total": "compensation"},
        content_type="application/json",
        **_h(police),
    )
    assert not_linked.status_code == 422
    ftm = client.get(f"{BASE}/{ref}/ftm", **_h(police))
    assert ftm.status_code == 200 and b"Payment" in ftm.content
    judge = client.post(
        f"{BASE}/{ref}/matches",
        {"left": f"account:{ib(1)}", "right": f"account:{ib(2)}", "decision": "different"},
        content_type="application/json",
        **_h(police),
    )
    assert judge.status_code == 200 and judge.json()["decision"] == "different"
    unknown = client.post(
        f"{BASE}/{ref}/matches",
        {"left": "account:x", "right": "account:y", "decision": "same"},
        content_type="application/json",
        **_h(police),
    )
    assert unknown.status_code == 422


def test_attach_by_the_team_then_refused_once_off_the_case_team(client, api_token, persona):
    from tests.cases.cases_helpers import open_case

    from palermo.cases.models import TeamRole
    from palermo.cases.services import team_add, team_remove

    case = open_case("police", exploitation_forms=["labour"])
    police = api_token("police")
    ref = _create(client, police, cases=[case.reference])["reference"]
    _upload(client, police, ref, statement_csv())
    client.post(f"{BASE}/{ref}/run", **_h(police))
    client.post(
        f"{BASE}/{ref}/proceeds",
        {"offenders": [ib(60)]},
        content_type="application/json",
        **_h(police),
    )

    def attach():
        return client.post(
            f"{BASE}/{ref}/proceeds/attach",
            {"case": case.reference, "total": "confiscation"},
            content_type="application/json",
            **_h(police),
        )

    # The police unit is on the case team: as investigators they record the claim.
    resp = attach()
    assert resp.status_code == 201, resp.content
    assert case.compensation_claims.count() == 1
    # Once the unit has left the case team, it may no longer act on the case.
    coordinator = persona("coordinator")
    acting = coordinator.organisations()[0]
    team_add(
        actor=coordinator,
        organisation=acting,
        case=case,
        member=persona("caseworker").organisations()[0],
        role=TeamRole.LEAD,
    )
    team_remove(
        actor=coordinator,
        organisation=acting,
        case=case,
        member=persona("police").organisations()[0],
    )
    resp = attach()
    assert resp.status_code == 403 and "may not act on this case" in resp.json()["detail"]
    assert case.compensation_claims.count() == 1


# --- the fuzzer as an investigator (the platform's fuzz test runs as a co-ordinator, who gets 403 here) ---

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from palermo.wsgi import application  # noqa: E402

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex="^/api/v1/investigations"
)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_investigation_api_never_fails_as_an_investigator(case, api_token, keep_connection):
    token = api_token("police")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


@pytest.fixture
def keep_connection():
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_members_and_case_links_after_creation(client, api_token):
    from tests.cases.cases_helpers import open_case

    from palermo.core.models import Organisation

    police, fiu = api_token("police"), api_token("fiu")
    ref = _create(client, police)["reference"]
    fiu_org = Organisation.objects.get(name__startswith="Financial Intelligence Unit")
    ngo = Organisation.objects.get(name__startswith="Safe Harbour")

    def post(token: str, path: str, body: dict):
        return client.post(
            f"{BASE}/{ref}/{path}", body, content_type="application/json", **_h(token)
        )

    # Only investigating organisations, only known ones, and never by a non-owner.
    resp = post(police, "members", {"organisation": ngo.pk})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "organisation"
    assert post(police, "members", {"organisation": 999999}).status_code == 422
    assert (
        post(fiu, "members", {"organisation": fiu_org.pk}).status_code == 404
    )  # not theirs to see
    resp = post(police, "members", {"organisation": fiu_org.pk})
    assert resp.status_code == 200 and [m["id"] for m in resp.json()["members"]] == [fiu_org.pk]
    assert client.get(f"{BASE}/{ref}", **_h(fiu)).status_code == 200  # the member now sees it
    assert post(fiu, "members", {"organisation": fiu_org.pk}).status_code == 403  # owner only

    # A case must exist and be visible to the one who links it.
    resp = post(police, "cases", {"case": "NRM-0000-0000"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "case"
    case = open_case("police", exploitation_forms=["labour"])
    resp = post(police, "cases", {"case": case.reference})
    assert resp.status_code == 200 and resp.json()["cases"] == [case.reference]
    assert post(police, "cases", {"case": case.reference}).json()["cases"] == [
        case.reference
    ]  # idempotent
    assert (
        AuditEntry.objects.filter(
            action="update", object_ref=ref, details__what="case_link"
        ).count()
        == 2
    )
