"""FtM export, evidence pack (HTML, PDF) and the typer sub-app."""

from __future__ import annotations

import io
import json

from typer.testing import CliRunner

from palermo.investigate.cli import app
from palermo.investigate.ftm import ftm_schemata, make_id
from palermo.investigate.workspace import Workspace

HOTEL = (901, "Hotel <script>alert(1)</script> Adria")


def _records(pay):
    employer = (50, "Adria Cleaning d.o.o.")
    recs = [pay(i, 100, 300 + i, i) for i in (1, 2, 3)]  # a funnel into 100
    recs += [pay(employer, 7, 1000, 0, description="salary March")]
    recs += [pay(100, HOTEL, 80, 2 * k, hour=23) for k in range(8)]
    return recs


def _investigation(ws, pay, iban, recs=None):
    ws.ingest_records(recs or _records(pay), source_name="bank-export.csv")
    ws.add_parties(
        [
            {
                "party_id": "v7",
                "schema": "Person",
                "name": "Holder Number7",
                "iban": iban(7),
                "birth_date": "1999-05-01",
                "address": "Ulica Kralja Petra 5, Sarajevo",
                "role": "victim",
            },
            {"party_id": "s1", "schema": "Person", "name": "Boss Man", "role": "suspect"},
        ]
    )
    ws.add_relation(
        "Debt",
        "party:v7",
        "party:s1",
        {"amount": "3000", "currency": "EUR", "summary": "travel debt"},
    )
    ws.judge_match(f"account:{iban(7)}", "party:v7", "same", decided_by="inv1")
    ws.run_rules()


def _export(ws) -> list[dict]:
    buf = io.StringIO()
    n = ws.export_ftm(buf)
    lines = buf.getvalue().splitlines()
    assert n == len(lines)
    return [json.loads(line) for line in lines]


def test_ftm_export_uses_published_schemata_with_required_properties(ws, pay, iban):
    _investigation(ws, pay, iban)
    entities = _export(ws)
    schemata = ftm_schemata()
    ids = {e["id"] for e in entities}
    assert len(ids) == len({(e["id"], e["schema"]) for e in entities})
    for e in entities:
        spec = schemata[e["schema"]]
        assert set(e["properties"]) <= set(spec["properties"]), e
        assert set(spec["required"]) <= set(e["properties"]), e
        for prop in (
            "payer",
            "beneficiary",
            "payerAccount",
            "beneficiaryAccount",
            "owner",
            "asset",
            "employer",
            "employee",
            "debtor",
            "creditor",
            "addressEntity",
        ):
            for ref in e["properties"].get(prop, []):
                assert ref in ids, (prop, e)
    kinds = {e["schema"] for e in entities}
    assert {
        "Payment",
        "BankAccount",
        "Ownership",
        "Person",
        "Employment",
        "Debt",
        "Address",
    } <= kinds
    payment = next(e for e in entities if e["schema"] == "Payment")
    assert "bank-export.csv" in payment["properties"]["summary"][0]


def test_ftm_ids_are_deterministic_and_judged_matches_share_one_entity(pay, iban):
    exports = []
    recs = _records(pay)
    for _ in range(2):
        with Workspace(":memory:", memory_limit=None) as ws:
            _investigation(ws, pay, iban, recs)
            exports.append(sorted(e["id"] for e in _export(ws)))
    assert exports[0] == exports[1]
    with Workspace(":memory:", memory_limit=None) as ws:
        _investigation(ws, pay, iban)
        entities = _export(ws)
    victim = [
        e
        for e in entities
        if e["schema"] == "Person" and "1999-05-01" in e["properties"].get("birthDate", [])
    ]
    assert len(victim) == 1
    own = [
        e
        for e in entities
        if e["schema"] == "Ownership"
        and e["properties"]["asset"] == [make_id("BankAccount", iban(7))]
    ]
    assert own[0]["properties"]["owner"] == [
        victim[0]["id"]
    ]  # the account holder is the case-file person


def test_evidence_pack_html_lists_alerts_transactions_and_source_hashes(ws, pay, iban):
    _investigation(ws, pay, iban)
    est = ws.proceeds(offender_accounts=[iban(100)])
    html = ws.evidence_pack_html(
        title="Operation Test", case_ref="NRM-0001", prepared_by="FIU analyst", proceeds=est
    )
    for needle in (
        "THB-NET-FANIN",
        "THB-SEX-LATENIGHT",
        "FIN-2020-A008",
        "bank-export.csv, line 1",
        ws.sources()[0]["source_id"],
        "Confiscation method",
        "pro-rata",
        "<svg",
    ):
        assert needle in html, needle
    i = html.find("<script>")
    assert i < 0, html[i - 300 : i + 60]
    assert "&lt;script&gt;" in html


def test_evidence_pack_pdf_and_digest(tmp_path, ws, pay, iban):
    _investigation(ws, pay, iban)
    pack = ws.evidence_pack_pdf(
        tmp_path / "pack.pdf",
        title="Operation Test",
        case_ref="NRM-0001",
        prepared_by="FIU analyst",
    )
    data = (tmp_path / "pack.pdf").read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
    again = ws.evidence_pack(title="Operation Test", case_ref="NRM-0001", prepared_by="FIU analyst")
    assert len(pack.digest) == 64 and {a["rule_id"] for a in again.alerts} == {
        a["rule_id"] for a in pack.alerts
    }


def test_evidence_pack_keeps_confirmed_alerts_and_leaves_dismissed_ones_out(ws, pay, iban):
    _investigation(ws, pay, iban)
    alerts = ws.alerts()
    assert len(alerts) >= 2
    confirmed, dismissed = alerts[0], alerts[1]
    ws.decide_alert(confirmed.alert_key, "confirmed", decided_by="fiu")
    ws.decide_alert(dismissed.alert_key, "dismissed", decided_by="fiu")
    pack = ws.evidence_pack(title="Operation Test", case_ref="NRM-0001", prepared_by="FIU analyst")
    keys = {a["alert_key"] for a in pack.alerts}
    assert confirmed.alert_key in keys and dismissed.alert_key not in keys
    assert keys == {a.alert_key for a in ws.alerts(include_decided=True)} - {dismissed.alert_key}


def test_confirming_alerts_keeps_the_beneficial_owner_that_they_point_to(ws, pay, iban):
    # The network's "flagged" payments are those of standing alerts (open and confirmed):
    # confirming the alerts behind a beneficial owner must not make the role disappear.
    _investigation(ws, pay, iban)
    before = {(r.account_key, r.role) for r in ws.network().roles}
    assert any(role == "beneficial_owner" for _, role in before)
    for a in ws.alerts():
        ws.decide_alert(a.alert_key, "confirmed", decided_by="fiu")
    assert {(r.account_key, r.role) for r in ws.network().roles} == before
    for a in ws.alerts(include_decided=True):
        ws.decide_alert(a.alert_key, "dismissed", decided_by="fiu")
    assert not any(r.role == "beneficial_owner" for r in ws.network().roles)


def test_cli_import_run_report_export(tmp_path):
    runner = CliRunner()
    work = tmp_path / "inv.duckdb"
    csv = tmp_path / "d.csv"
    csv.write_text(
        "date,amount,dc,currency,counterparty,counterparty_account,details,reference\n"
        + "".join(
            f"2024-03-{d:02d},19.99,D,EUR,Locanto Classifieds,,advert,R{d}\n" for d in (1, 4, 8)
        )
    )
    account = "DE89370400440532013000"
    args = [
        "import",
        str(work),
        str(csv),
        "--profile",
        "generic-direction-column",
        "--account",
        account,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 transactions imported" in result.output
    assert "imported before" in runner.invoke(app, args).output
    result = runner.invoke(app, ["run", str(work)])
    assert "THB-SEX-ADS: 1 alerts" in result.output and "skipped, missing" in result.output
    out = runner.invoke(app, ["run", str(work), "--json", "--rule", "THB-SEX-ADS"]).output
    assert json.loads(out)["suppressed"] == 0
    html, pdf = tmp_path / "p.html", tmp_path / "p.pdf"
    result = runner.invoke(
        app, ["report", str(work), "--html", str(html), "--pdf", str(pdf), "--offender", account]
    )
    assert result.exit_code == 0, result.output
    assert "THB-SEX-ADS" in html.read_text() and pdf.read_bytes().startswith(b"%PDF")
    result = runner.invoke(app, ["export-ftm", str(work), str(tmp_path / "e.jsonl")])
    assert result.exit_code == 0 and "entities" in result.output
    assert "THB-NET-CYCLE" in runner.invoke(app, ["rules"]).output
    assert "palermo-canonical" in runner.invoke(app, ["profiles"]).output


def test_cli_rejected_import_exits_non_zero_and_imports_nothing(tmp_path):
    runner = CliRunner()
    work = tmp_path / "inv.duckdb"
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "date,amount,dc,currency,counterparty,counterparty_account,details,reference\n"
        "2024-13-01,19.99,D,EUR,X,,advert,R1\n"
    )
    result = runner.invoke(
        app,
        [
            "import",
            str(work),
            str(csv),
            "--profile",
            "generic-direction-column",
            "--account",
            "DE89370400440532013000",
        ],
    )
    assert result.exit_code == 1 and "line 2: booked_at" in result.output
    with Workspace(work, memory_limit=None) as ws:
        assert ws.con.execute("SELECT count(*) FROM tx").fetchone()[0] == 0
