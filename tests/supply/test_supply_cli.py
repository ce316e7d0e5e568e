"""`palermo supply import-sites|import-risk|screen|report|remind`."""

from __future__ import annotations

from typer.testing import CliRunner

from palermo.supply.cli import app
from palermo.supply.models import OrderLine, RiskEdition, Site
from tests.supply.supply_helpers import DOL_ROWS, dol_file, orders_file, site_id, sites_file

runner = CliRunner()


def test_import_sites_all_or_nothing_and_needs_a_user_who_may(supply_demo, tmp_path):
    before = Site.objects.count()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sites_file(f"{site_id('XA', 300)},A,1 Road,XA,,,,,,", ",B,2 Road,QQ,,,,,,"))
    r = runner.invoke(app, ["import-sites", str(bad), "--as", "procurement"])
    assert r.exit_code == 1 and "row 3 country_code" in r.output
    assert Site.objects.count() == before
    good = tmp_path / "good.csv"
    good.write_bytes(sites_file(f"{site_id('XA', 300)},Zed Mill,1 Road,XA,,,,,,"))
    assert runner.invoke(app, ["import-sites", str(good)]).exit_code == 2
    r = runner.invoke(app, ["import-sites", str(good), "--as", "diligence"])
    assert r.exit_code == 2 and "may not" in r.output
    r = runner.invoke(app, ["import-sites", str(good), "--as", "procurement", "--dry-run"])
    assert r.exit_code == 0 and "would import" in r.output and Site.objects.count() == before
    r = runner.invoke(app, ["import-sites", str(good), "--as", "procurement"])
    assert r.exit_code == 0 and "1 new" in r.output and Site.objects.count() == before + 1


def test_import_risk_checks_provenance_and_rows(supply_demo, tmp_path):
    """The national co-ordinator imports (a procurement officer may not: tests/security)."""
    f = tmp_path / "dol.csv"
    f.write_bytes(dol_file(*DOL_ROWS))
    common = ["--source", "US DOL (test)", "--licence", "public domain", "--as", "coordinator"]
    r = runner.invoke(
        app, ["import-risk", str(f), "--edition", "2024", "--retrieved-on", "15/01/2026", *common]
    )
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    r = runner.invoke(
        app, ["import-risk", str(f), "--edition", "", "--retrieved-on", "2026-01-15", *common]
    )
    assert r.exit_code == 1 and "edition" in r.output
    before = RiskEdition.objects.count()
    r = runner.invoke(
        app, ["import-risk", str(f), "--edition", "2024", "--retrieved-on", "2026-01-15", *common]
    )
    assert r.exit_code == 0 and "4 rows imported" in r.output
    assert RiskEdition.objects.count() == before + 1
    assert RiskEdition.objects.get(is_current=True).edition == "2024"
    r = runner.invoke(
        app,
        ["import-risk", str(f), "--edition", "2025", "--retrieved-on", "2026-01-15", *common[:-1]]
        + ["procurement"],
    )
    assert r.exit_code == 2 and "may not" in r.output
    assert RiskEdition.objects.get(is_current=True).edition == "2024"


def test_screen_prints_reasons_and_keeps_only_when_asked(supply_demo, tmp_path):
    f = tmp_path / "po.csv"
    f.write_bytes(
        orders_file("PO-C,1,Acme,,XB,Bricks,,10,,workforce", "PO-C,2,Acme,,FR,Paper,,10,,")
    )
    before = OrderLine.objects.count()
    r = runner.invoke(app, ["screen", str(f), "--as", "procurement"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("PO-C/1\thigh")
    assert any("row 4" in line for line in lines)  # the list row cited
    assert OrderLine.objects.count() == before
    r = runner.invoke(app, ["screen", str(f), "--as", "procurement", "--keep"])
    assert r.exit_code == 0 and OrderLine.objects.count() == before + 2


def test_screen_out_writes_the_results_file_and_keeps_nothing(supply_demo, tmp_path):
    import csv
    import io

    f = tmp_path / "po.csv"
    f.write_bytes(
        orders_file("PO-D,1,=Acme,,XB,Bricks,,10,,workforce", "PO-D,2,Acme,,FR,Paper,,10.5,0.5,")
    )
    out = tmp_path / "results.csv"
    before = OrderLine.objects.count()
    r = runner.invoke(app, ["screen", str(f), "--as", "procurement", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "2 lines screened (1 high, 0 medium, 1 low)" in r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(x["ref"], x["level"], x["exposure"]) for x in rows] == [
        ("PO-D/1", "high", "10.00"),
        ("PO-D/2", "low", "5.25"),
    ]
    assert rows[0]["supplier_name"] == "'=Acme"  # neutralised: a spreadsheet shows it as text
    assert "(+3) Bricks from" in rows[0]["reasons"] and "row 4" in rows[0]["reasons"]
    assert OrderLine.objects.count() == before
    # Errors: the same messages as the import, no file written.
    bad = tmp_path / "bad.csv"
    bad.write_bytes(orders_file("PO-E,1,Acme,,QQ,Bricks,,-1,,"))
    out.unlink()
    r = runner.invoke(app, ["screen", str(bad), "--as", "procurement", "--out", str(out)])
    assert r.exit_code == 1 and "row 2 origin_country" in r.output and "row 2 value" in r.output
    assert not out.exists()
    r = runner.invoke(app, ["screen", str(f), "--as", "procurement", "--out", str(out), "--keep"])
    assert r.exit_code == 2 and not out.exists()
    r = runner.invoke(app, ["screen", str(f), "--as", "diligence", "--out", str(out)])
    assert r.exit_code == 2 and not out.exists()


def test_report_and_remind(supply_demo):
    r = runner.invoke(app, ["report", "--as", "diligence"])
    assert r.exit_code == 0 and "corrective actions: 3 open, 1 overdue" in r.output
    r = runner.invoke(app, ["remind"])
    assert r.exit_code == 0 and "1 overdue corrective action(s)." in r.output


def test_import_findings_dry_run_then_all_or_nothing(supply_demo, tmp_path):
    from palermo.supply.models import CorrectiveAction

    before = CorrectiveAction.objects.count()
    header = "supplier_company_id,indicator,finding,description,owner,due_on\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + "DEMO-0001,debt_bondage,non_compliance,Fees,HR,2026-06-30\n"
        + "DEMO-0001,not_an_indicator,observation,x,HR,2026-06-30\n"
    )
    r = runner.invoke(app, ["import-findings", str(bad), "--as", "procurement"])
    assert r.exit_code == 1 and "row 3" in r.output and "indicator" in r.output
    assert CorrectiveAction.objects.count() == before
    good = tmp_path / "good.csv"
    good.write_text(header + "DEMO-0001,debt_bondage,non_compliance,Fees,HR,2026-06-30\n")
    r = runner.invoke(app, ["import-findings", str(good), "--as", "diligence"])
    assert r.exit_code == 2 and CorrectiveAction.objects.count() == before
    r = runner.invoke(app, ["import-findings", str(good), "--as", "procurement", "--dry-run"])
    assert r.exit_code == 0 and "would be imported" in r.output
    assert CorrectiveAction.objects.count() == before
    r = runner.invoke(app, ["import-findings", str(good), "--as", "procurement"])
    assert r.exit_code == 0 and CorrectiveAction.objects.count() == before + 1
