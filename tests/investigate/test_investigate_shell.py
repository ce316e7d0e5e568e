"""The investigation shell through the Django test client: need-to-know, import, red flags,
decisions, entity resolution, proceeds attached to a compensation claim, audited downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from schwifty import IBAN

from palermo.core.models import AuditEntry, Membership, Organisation
from palermo.core.roles import Role
from palermo.investigate import services
from palermo.investigate.models import (
    AlertDecision,
    Investigation,
    InvestigationMember,
    MatchJudgement,
    StatementFile,
)


def ib(n: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


BOSS = ib(60)
WORKERS = [ib(1), ib(2), ib(3)]
HEADER = "tx_ref,booked_at,amount,currency,payer_iban,payer_name,payee_iban,payee_name,description,mcc,channel"


def statement_csv(extra: list[str] = ()) -> bytes:
    """A small payer → payee statement (palermo-canonical): three workers hand 60% of their wage
    to one account, which then pays a hotel seven times."""
    rows = [HEADER]
    n = 0

    def add(
        day: int,
        amount: str,
        payer: tuple[str, str],
        payee: tuple[str, str],
        desc: str,
        mcc: str = "",
    ) -> None:
        nonlocal n
        n += 1
        rows.append(
            f"T{n},2024-03-{day:02d} 10:00:00,{amount},EUR,{payer[0]},{payer[1]},{payee[0]},{payee[1]},{desc},{mcc},"
        )

    employer = (ib(50), "Adria Cleaning doo")
    boss = (BOSS, "Marko Horvat")
    for i, w in enumerate(WORKERS, 1):
        add(1, "1000.00", employer, (w, f"Worker Number{i}"), "salary March")
        add(2, "600.00", (w, f"Worker Number{i}"), boss, "rent")
    for d in range(3, 10):
        add(d, "80.00", boss, (ib(70), "Hotel Adria"), "room", "7011")
    rows.extend(extra)
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    return tmp_path


def _create(client, title: str = "Operation Harbour", **extra: object) -> Investigation:
    resp = client.post(reverse("investigate:create"), {"title": title, **extra})
    assert resp.status_code == 302, resp.content[:2000]
    return Investigation.objects.get(title=title)


def _upload(client, inv: Investigation, data: bytes, name: str = "statement.csv", **fields: str):
    f = SimpleUploadedFile(name, data, content_type="text/csv")
    payload = {"file": f, "kind": "csv", "profile": "pkg:palermo-canonical", **fields}
    # The import runs as a background job (at once, under the tests' immediate backend): follow to its page.
    return client.post(reverse("investigate:upload", args=[inv.reference]), payload, follow=True)


def _last_job():
    from palermo.jobs.models import Job

    return Job.objects.latest("id")


def _tx_count(inv: Investigation) -> int:
    with services.open_workspace(inv) as ws:
        return ws.con.execute("SELECT count(*) FROM tx").fetchone()[0]


def _audits(**kw: object) -> int:
    return AuditEntry.objects.filter(**kw).count()


# --- need-to-know -------------------------------------------------------------------------------


def test_owner_creates_and_sees_other_org_gets_404_and_refusal_is_audited(login_as, client):
    login_as("police")
    inv = _create(client)
    assert inv.reference.startswith("INV-") and inv.organisation.name.startswith("Riverside Police")
    resp = client.get(reverse("investigate:detail", args=[inv.reference]))
    assert resp.status_code == 200 and inv.reference in resp.content.decode()
    assert _audits(action="read", object_type="investigation", object_ref=inv.reference) >= 1
    assert _audits(action="create", object_type="investigation", object_ref=inv.reference) == 1
    listing = client.get(reverse("investigate:list"), {"q": inv.reference})
    assert inv.reference in listing.content.decode()

    login_as("fiu")  # an investigator, but at another organisation
    assert client.get(reverse("investigate:detail", args=[inv.reference])).status_code == 404
    assert client.get(reverse("investigate:network", args=[inv.reference])).status_code == 404
    assert client.get(reverse("investigate:pack_html", args=[inv.reference])).status_code == 404
    assert _audits(action="refused", object_type="investigation", object_ref=inv.reference) >= 3
    assert inv.reference not in client.get(reverse("investigate:list")).content.decode()
    # a reference that does not exist looks the same
    assert client.get(reverse("investigate:detail", args=["INV-1999-0001"])).status_code == 404


def test_member_organisation_gets_access(login_as, client):
    login_as("police")
    inv = _create(client)
    fiu = Organisation.objects.get(name__startswith="Financial Intelligence")
    resp = client.post(
        reverse("investigate:member_add", args=[inv.reference]), {"organisation": fiu.pk}
    )
    assert resp.status_code == 302
    assert InvestigationMember.objects.filter(investigation=inv, organisation=fiu).exists()
    login_as("fiu")
    assert client.get(reverse("investigate:detail", args=[inv.reference])).status_code == 200


@pytest.mark.parametrize("who", ["inspector", "caseworker", "coordinator"])
def test_users_without_investigate_are_refused(login_as, client, who):
    login_as("police")
    inv = _create(client)
    login_as(who)
    assert client.get(reverse("investigate:list")).status_code == 403
    assert client.get(reverse("investigate:detail", args=[inv.reference])).status_code == 403
    assert client.post(reverse("investigate:run", args=[inv.reference])).status_code == 403


def test_only_investigating_organisations_open_investigations(persona):
    from palermo.core.errors import InvalidInput  # noqa: F401 - documents the other refusal

    ngo = Organisation.objects.get(name__startswith="Safe Harbour")
    police = persona("police")
    Membership.objects.create(user=police, organisation=ngo, role=Role.INVESTIGATOR)
    with pytest.raises(services.NotAllowed):
        services.investigation_create(actor=police, organisation=ngo, title="x")


# --- import ---------------------------------------------------------------------------------------


def test_upload_with_bad_rows_imports_nothing_and_lists_each_row(login_as, client):
    login_as("police")
    inv = _create(client)
    bad = statement_csv(
        [
            f"X1,2024-03-31 10:00:00,not-a-number,EUR,{ib(5)},A,{ib(6)},B,,,",
            f"X2,31.03.2024,10.00,EUR,{ib(5)},A,{ib(6)},B,,,",
        ]
    )
    resp = _upload(client, inv, bad)
    assert resp.status_code == 200 and _last_job().status == "failed"
    body = resp.content.decode()
    assert "nothing was imported" in body
    assert "amount" in body and "booked_at" in body
    assert StatementFile.objects.filter(investigation=inv).count() == 0
    assert _tx_count(inv) == 0
    assert _audits(object_ref=inv.reference, outcome="rejected") == 1


def test_zero_amount_row_is_imported_with_a_warning_naming_its_line(login_as, client):
    login_as("police")
    inv = _create(client)
    resp = _upload(
        client,
        inv,
        statement_csv([f"Z1,2024-03-20 10:00:00,0.00,EUR,{ib(5)},A,{ib(6)},B,fee reversal,,"]),
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "14 transactions added" in body
    assert (
        "1 transaction has an amount of zero" in body and "<td>15</td>" in body
    )  # header is line 1
    assert _tx_count(inv) == 14


def test_reimport_is_idempotent(login_as, client):
    login_as("police")
    inv = _create(client)
    first = _upload(client, inv, statement_csv())
    assert first.status_code == 200 and "13 transactions added" in first.content.decode()
    second = _upload(client, inv, statement_csv(), name="same-again.csv")
    assert second.status_code == 200 and "imported before" in second.content.decode()
    assert StatementFile.objects.filter(investigation=inv).count() == 1
    assert _tx_count(inv) == 13


def test_csv_needs_a_profile_and_the_error_is_next_to_the_field(login_as, client):
    login_as("police")
    inv = _create(client)
    resp = _upload(client, inv, statement_csv(), profile="")
    assert resp.status_code == 422 and "Choose one of the mapping profiles" in resp.content.decode()


def test_saved_mapping_profile_is_offered_and_used(login_as, client):
    login_as("police")
    definition = (
        "date_format: '%Y-%m-%d %H:%M:%S'\namount_mode: graph\ndelimiter: ','\ncolumns:\n"
        "  bank_ref: tx_ref\n  booked_at: booked_at\n  amount: amount\n  currency: currency\n"
        "  payer_account: payer_iban\n  payer_name: payer_name\n  payee_account: payee_iban\n"
        "  payee_name: payee_name\n  description: description\n  mcc: mcc\n"
    )
    resp = client.post(
        reverse("investigate:profiles"),
        {"slug": "fiu-export", "label": "FIU export", "definition": definition},
    )
    assert resp.status_code == 302
    bad = client.post(
        reverse("investigate:profiles"),
        {"slug": "broken", "label": "x", "definition": "columns: 3"},
    )
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    inv = _create(client)
    ok = _upload(client, inv, statement_csv(), profile="org:fiu-export")
    assert ok.status_code == 200 and "13 transactions added" in ok.content.decode()


# --- red flags ------------------------------------------------------------------------------------


def _imported(client) -> Investigation:
    inv = _create(client)
    assert _upload(client, inv, statement_csv()).status_code == 200
    return inv


def test_alerts_name_rule_source_and_transactions_and_decisions_persist_across_reruns(
    login_as, client
):
    login_as("police")
    inv = _imported(client)
    assert client.post(reverse("investigate:run", args=[inv.reference])).status_code == 302
    page = client.get(reverse("investigate:detail", args=[inv.reference])).content.decode()
    assert "THB-LAB-WAGE-KICKBACK" in page and "THB-SEX-HOTEL" in page
    assert "FATF-APG-2018" in page or "FIN-20" in page  # the public source is named
    assert "THB-LAB-NO-PAYROLL" in page  # skipped for lack of data, and said so
    assert "salary March" not in page or "rent" in page  # the transactions are listed
    alerts = services.alert_views(inv)
    kick = next(a for a in alerts if a.rule_id == "THB-LAB-WAGE-KICKBACK")
    assert len(kick.transactions) == len(kick.tx_ids) >= 3
    resp = client.post(
        reverse("investigate:decide", args=[inv.reference]),
        {"alert_key": kick.alert_key, "decision": "confirmed", "note": "wage kickbacks"},
    )
    assert resp.status_code == 302
    assert AlertDecision.objects.filter(
        investigation=inv, alert_key=kick.alert_key, decision="confirmed"
    ).exists()
    client.post(reverse("investigate:run", args=[inv.reference]))
    assert kick.alert_key not in {a.alert_key for a in services.alert_views(inv)}
    assert "THB-LAB-WAGE-KICKBACK" not in {a.rule_id for a in services.alert_views(inv)}
    # deciding twice is refused with a message, nothing changes
    client.post(
        reverse("investigate:decide", args=[inv.reference]),
        {"alert_key": kick.alert_key, "decision": "dismissed"},
    )
    assert (
        AlertDecision.objects.get(investigation=inv, alert_key=kick.alert_key).decision
        == "confirmed"
    )
    assert _audits(action="update", object_ref=inv.reference, details__what="alert_decide") == 1


# --- entity resolution ------------------------------------------------------------------------------


def test_match_judgement_persists_and_reapplies(login_as, client):
    login_as("police")
    inv = _imported(client)
    resp = client.post(
        reverse("investigate:party_add", args=[inv.reference]),
        {"schema": "Person", "name": "Horvat Marko", "role": "suspect", "iban": BOSS},
    )
    assert resp.status_code == 302
    bad = client.post(
        reverse("investigate:party_add", args=[inv.reference]),
        {"schema": "Person", "name": "X", "role": "suspect", "iban": "DE00 1234"},
    )
    assert bad.status_code == 422 and "has-error" in bad.content.decode()
    proposals = services.match_proposals(inv)
    assert [(p.left, p.right) for p in proposals] == [(f"account:{BOSS}", "party:P1")]
    resp = client.post(
        reverse("investigate:judge", args=[inv.reference]),
        {"left": f"account:{BOSS}", "right": "party:P1", "decision": "same"},
    )
    assert resp.status_code == 302
    assert MatchJudgement.objects.filter(investigation=inv, decision="same").count() == 1
    # a new workspace connection, the store re-applies the judgement
    assert services.match_proposals(inv) == []
    with services.open_workspace(inv) as ws:
        clusters = ws.clusters()
    assert clusters[f"account:{BOSS}"] == clusters["party:P1"]


# --- network, proceeds, attach --------------------------------------------------------------------


def test_network_page_draws_the_graph_without_data_in_links(login_as, client):
    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    page = client.get(reverse("investigate:network", args=[inv.reference])).content.decode()
    assert "<svg" in page and 'href="#acct-' in page and BOSS in page
    assert f'href="?{BOSS}' not in page
    # By default the graph is the alerts' accounts; the whole network is one fixed switch away.
    assert 'href="?scope=all"' in page
    whole = client.get(
        reverse("investigate:network", args=[inv.reference]), {"scope": "all"}
    ).content.decode()
    assert "<svg" in whole and 'href="?"' in whole


def _case_for_police():
    from tests.cases.cases_helpers import open_case

    return open_case("police", exploitation_forms=["labour"])


def _estimate(client, inv):
    resp = client.post(
        reverse("investigate:proceeds", args=[inv.reference]),
        {"offenders": [BOSS], "victims": WORKERS},
    )
    assert resp.status_code == 200
    return resp.content.decode()


def test_proceeds_attach_refused_once_the_organisation_left_the_case_team(
    login_as, client, persona
):
    from palermo.cases.models import TeamRole
    from palermo.cases.services import team_add, team_remove

    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    case = _case_for_police()
    assert (
        client.post(
            reverse("investigate:case_link", args=[inv.reference]), {"case": case.reference}
        ).status_code
        == 302
    )
    page = _estimate(client, inv)
    assert "1,800.00 EUR" in page and "pro-rata" in page  # amounts grouped as English writes them
    coordinator = persona("coordinator")
    team_add(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        case=case,
        member=persona("caseworker").organisations()[0],
        role=TeamRole.LEAD,
    )
    team_remove(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        case=case,
        member=persona("police").organisations()[0],
    )
    resp = client.post(
        reverse("investigate:attach", args=[inv.reference]),
        {"case": case.reference, "total": "confiscation"},
        follow=True,
    )
    assert "You may not act on this case" in resp.content.decode()
    assert not case.compensation_claims.exists()


def test_proceeds_attach_refused_to_a_team_member_without_the_proceedings_right(
    login_as, client, persona
):
    # A police user who is only a screener there (no investigator role) cannot open the
    # investigation at all; an investigator whose role lacks RECORD_PROCEEDINGS is refused by
    # the case file. Simulate the second by withdrawing the permission from the role table.
    from unittest import mock

    from palermo.core import policy

    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    case = _case_for_police()
    client.post(reverse("investigate:case_link", args=[inv.reference]), {"case": case.reference})
    _estimate(client, inv)
    table = dict(policy.ROLE_PERMISSIONS)
    table[Role.INVESTIGATOR] = table[Role.INVESTIGATOR] - {policy.Perm.RECORD_PROCEEDINGS}
    with mock.patch.object(policy, "ROLE_PERMISSIONS", table):
        resp = client.post(
            reverse("investigate:attach", args=[inv.reference]),
            {"case": case.reference, "total": "confiscation"},
            follow=True,
        )
    assert "You may not record a compensation claim" in resp.content.decode()
    assert not case.compensation_claims.exists()
    assert (
        _audits(action="refused", object_ref=case.reference, details__what="proceeds_attach") == 1
    )


def test_proceeds_attach_creates_a_claim_with_timeline_and_audit(login_as, client, persona):
    from palermo.cases.models import CaseEvent, CaseTeamMember

    # The police unit that opened the case is on its team; as investigators they seek
    # compensation for the victim in the proceedings (Perm.RECORD_PROCEEDINGS).
    org = persona("police").organisations()[0]
    case = _case_for_police()
    assert CaseTeamMember.objects.filter(
        case=case, organisation=org, removed_at__isnull=True
    ).exists()
    login_as("police")
    inv = _create(client, cases=case.reference)
    assert _upload(client, inv, statement_csv()).status_code == 200
    client.post(reverse("investigate:run", args=[inv.reference]))
    _estimate(client, inv)
    resp = client.post(
        reverse("investigate:attach", args=[inv.reference]),
        {"case": case.reference, "total": "confiscation"},
        follow=True,
    )
    assert "Compensation claim of 1,800.00 EUR recorded" in resp.content.decode()
    claim = case.compensation_claims.get()
    assert claim.source == "confiscated_assets" and str(claim.amount) == "1800.00"
    assert CaseEvent.objects.filter(case=case, summary__contains=inv.reference).exists()
    assert _audits(object_ref=case.reference, details__what="compensation_claim_record") == 1
    assert _audits(action="update", object_ref=inv.reference, details__what="proceeds_attach") == 1


# --- downloads --------------------------------------------------------------------------------------


def test_downloads_are_audited(login_as, client):
    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    html = client.get(reverse("investigate:pack_html", args=[inv.reference]))
    assert html.status_code == 200 and b"THB-LAB-WAGE-KICKBACK" in html.content
    assert "attachment" in html["Content-Disposition"]
    pdf = client.get(reverse("investigate:pack_pdf", args=[inv.reference]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ftm = client.get(reverse("investigate:ftm", args=[inv.reference]))
    assert (
        ftm.status_code == 200
        and b'"schema": "Payment"' in ftm.content
        or b'"schema":"Payment"' in ftm.content
    )
    assert _audits(action="export", object_ref=inv.reference) == 3


def test_workspace_file_lives_under_the_configured_folder(login_as, client, workspace_dir):
    login_as("police")
    inv = _imported(client)
    assert Path(inv.workspace_path).is_file()
    assert str(workspace_dir) in str(inv.workspace_path)


# --- the CLI on a Palermo investigation ---------------------------------------------------------------


def test_cli_import_run_report_on_an_investigation(persona, tmp_path):
    from typer.testing import CliRunner

    from palermo.investigate.cli import app

    police = persona("police")
    inv = services.investigation_create(
        actor=police, organisation=police.organisations()[0], title="CLI case"
    )
    stmt = tmp_path / "s.csv"
    stmt.write_bytes(statement_csv())
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "import",
            str(stmt),
            "--profile",
            "palermo-canonical",
            "--investigation",
            inv.reference,
            "--as",
            "police",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "13 transactions imported" in res.output
    assert StatementFile.objects.filter(investigation=inv).count() == 1
    res = runner.invoke(app, ["run", "--investigation", inv.reference, "--as", "police"])
    assert res.exit_code == 0 and "THB-LAB-WAGE-KICKBACK: 1 alerts" in res.output
    out = tmp_path / "pack.html"
    res = runner.invoke(
        app,
        [
            "report",
            "--html",
            str(out),
            "--offender",
            BOSS,
            "--investigation",
            inv.reference,
            "--as",
            "police",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "1800.00" in out.read_text()
    assert _audits(action="export", object_ref=inv.reference, actor_username="police") == 1
    # someone without a need to know gets nothing
    res = runner.invoke(app, ["run", "--investigation", inv.reference, "--as", "fiu"])
    assert res.exit_code == 2 and "no investigation" in res.output


def test_pack_holds_open_and_confirmed_alerts_not_dismissed_ones(login_as, client, persona):
    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    alerts = {a.rule_id: a for a in services.alert_views(inv)}
    police = persona("police")
    org = police.organisations()[0]
    services.alert_decide(
        actor=police,
        organisation=org,
        investigation=inv,
        alert_key=alerts["THB-LAB-WAGE-KICKBACK"].alert_key,
        decision="confirmed",
    )
    services.alert_decide(
        actor=police,
        organisation=org,
        investigation=inv,
        alert_key=alerts["THB-SEX-HOTEL"].alert_key,
        decision="dismissed",
    )
    html, digest = services.evidence_pack(
        actor=police, organisation=org, investigation=inv, fmt="html"
    )
    text = html.decode()
    assert "THB-LAB-WAGE-KICKBACK" in text
    # employer -> three workers -> the boss: the boss is named the gatherer of a
    # scatter-gather, not also a funnel fed by single-use accounts
    assert "THB-NET-SCATTER-GATHER" in text and "THB-NET-FANIN" not in text
    assert "THB-SEX-HOTEL" not in text  # dismissed
    assert len(digest) == 64


@pytest.mark.parametrize(
    ("kind", "name", "data"),
    [
        ("camt053", "statement.xml", b"<Document><not-camt/></Document>"),
        ("camt053", "statement.xml", b"\x00\x01 not xml at all"),
        ("amlsim", "transactions.csv", b"a,b\n1,2\n"),
        ("amlsim", "transactions.parquet", b"PAR1 garbage"),
        ("csv", "statement.csv", b"\xff\xfe\x00garbage;;;\n"),
    ],
)
def test_malformed_files_are_rejected_without_a_server_error(login_as, client, kind, name, data):
    login_as("police")
    inv = _create(client)
    f = SimpleUploadedFile(name, data)
    resp = client.post(
        reverse("investigate:upload", args=[inv.reference]),
        {"file": f, "kind": kind, "profile": "pkg:palermo-canonical"},
        follow=True,
    )
    assert (
        resp.status_code == 200 and _last_job().status == "failed"
    )  # the job failed, with its reason
    assert "could not be read" in resp.content.decode() or "rejected" in resp.content.decode()
    assert StatementFile.objects.filter(investigation=inv).count() == 0


def test_camt053_statement_imports(login_as, client):
    login_as("police")
    inv = _create(client)
    camt = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-31T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2024-03-31T10:00:00</CreDtTm>
<Acct><Id><IBAN>{ib(1)}</IBAN></Id><Ownr><Nm>Ana Kovac</Nm></Ownr></Acct>
<Ntry><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2024-03-04</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>R1</AcctSvcrRef></Refs>
<RltdPties><Cdtr><Nm>Hotel Adria</Nm></Cdtr><CdtrAcct><Id><IBAN>{ib(70)}</IBAN></Id></CdtrAcct></RltdPties>
<RmtInf><Ustrd>room</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
""".encode()
    resp = client.post(
        reverse("investigate:upload", args=[inv.reference]),
        {"file": SimpleUploadedFile("march.xml", camt), "kind": "camt053"},
        follow=True,
    )
    assert resp.status_code == 200, resp.content.decode()[-3000:]
    assert StatementFile.objects.get(investigation=inv).kind == "camt053"


def test_a_workspace_held_by_another_process_is_answered_503_not_500(
    login_as, client, monkeypatch, api_token
):
    import duckdb

    login_as("police")
    inv = _create(client)

    def held(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException("Could not set lock on file")

    monkeypatch.setattr(services, "Workspace", held)
    resp = client.get(reverse("investigate:detail", args=[inv.reference]))
    assert resp.status_code == 503 and "in use by another process" in resp.content.decode()
    api = client.post(
        f"/api/v1/investigations/{inv.reference}/run",
        HTTP_AUTHORIZATION=f"Bearer {api_token('police')}",
    )
    # The run is a background job: the job fails with the reason, and the page says so.
    assert api.status_code == 202 and api.json()["status"] == "failed"
    assert "in use by another process" in api.json()["error"]


def test_people_of_linked_cases_are_added_only_as_far_as_the_case_file_shows_them(
    login_as, client, persona
):
    from palermo.cases import services as case_services
    from palermo.investigate.models import InvestigationParty

    case = _case_for_police()
    login_as("police")
    inv = _create(client, cases=case.reference)
    resp = client.post(reverse("investigate:parties_from_cases", args=[inv.reference]), follow=True)
    assert "is not shown to your organisation" in resp.content.decode()
    assert not InvestigationParty.objects.filter(investigation=inv, role="victim").exists()
    # the identification body records a legal basis for the police: now the identity is shown
    coordinator = persona("coordinator")
    police_org = persona("police").organisations()[0]
    case_services.legal_basis_record(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        case=case,
        member=police_org,
        basis="Court order 12/2026",
    )
    client.post(reverse("investigate:parties_from_cases", args=[inv.reference]))
    client.post(reverse("investigate:parties_from_cases", args=[inv.reference]))  # idempotent
    victims = InvestigationParty.objects.filter(investigation=inv, role="victim")
    assert [(p.name, p.record_ref) for p in victims] == [("Ana Example", case.reference)]
    assert victims[0].phone


def test_references_keep_counting_past_four_digits(persona):
    from django.utils import timezone

    police = persona("police")
    org = police.organisations()[0]
    year = timezone.now().year
    Investigation.objects.create(
        reference=f"INV-{year}-9999",
        title="a",
        organisation=org,
        workspace_file="a",
        created_at=timezone.now(),
    )
    Investigation.objects.create(
        reference=f"INV-{year}-10000",
        title="b",
        organisation=org,
        workspace_file="b",
        created_at=timezone.now(),
    )
    inv = services.investigation_create(actor=police, organisation=org, title="c")
    assert inv.reference == f"INV-{year}-10001"


def _police_case_with_legal_basis(persona):
    from palermo.cases import services as case_services

    case = _case_for_police()
    coordinator = persona("coordinator")
    case_services.legal_basis_record(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        case=case,
        member=persona("police").organisations()[0],
        basis="Court order 12/2026",
    )
    return case


def test_people_are_not_taken_over_when_a_member_organisation_may_not_see_them(
    login_as, client, persona
):
    from palermo.investigate.models import InvestigationParty

    case = _police_case_with_legal_basis(persona)  # the police may see the victim; the FIU may not
    fiu_org = persona("fiu").organisations()[0]
    login_as("police")
    inv = _create(client, cases=case.reference)
    services.member_add(
        actor=persona("police"),
        organisation=persona("police").organisations()[0],
        investigation=inv,
        member=fiu_org,
    )
    resp = client.post(reverse("investigate:parties_from_cases", args=[inv.reference]), follow=True)
    assert "or to every organisation sharing this investigation" in resp.content.decode()
    assert not InvestigationParty.objects.filter(investigation=inv, role="victim").exists()


def test_an_organisation_that_may_not_see_the_people_taken_over_cannot_be_given_access(
    login_as, client, persona, api_token
):
    from palermo.investigate.models import InvestigationMember, InvestigationParty

    case = _police_case_with_legal_basis(persona)
    login_as("police")
    inv = _create(client, cases=case.reference)
    client.post(reverse("investigate:parties_from_cases", args=[inv.reference]))
    assert InvestigationParty.objects.filter(investigation=inv, role="victim").exists()
    fiu_org = persona("fiu").organisations()[0]
    resp = client.post(
        f"/api/v1/investigations/{inv.reference}/members",
        {"organisation": fiu_org.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token('police')}",
    )
    assert resp.status_code == 422
    error = resp.json()["errors"][0]
    assert error["field"] == "organisation" and case.reference in error["message"]
    assert not InvestigationMember.objects.filter(investigation=inv).exists()
