"""`palermo export htcds|ctdc|stats`, `palermo import htcds|kobo`, `palermo anonymity check` via CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core.models import AuditEntry
from palermo.stats.htcds_rows import preview_htcds_file

pytestmark = pytest.mark.django_db

runner = CliRunner()
QI_ARGS = [
    a
    for q in (
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "majorityStatus",
        "citizenship",
        "CountryOfExploitation",
    )
    for a in ("--qi", q)
]


def test_export_htcds_csv_and_xlsx(tmp_path, demo_cases):
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["export", "htcds", str(out), "--as", "coordinator"])
    assert result.exit_code == 0, result.output
    assert "80 case(s) written" in result.output
    assert preview_htcds_file(out).rows_read == 80
    xlsx = tmp_path / "cases.xlsx"
    assert (
        runner.invoke(
            app, ["export", "htcds", str(xlsx), "--format", "xlsx", "--as", "coordinator"]
        ).exit_code
        == 0
    )
    assert preview_htcds_file(xlsx).rows_read == 80
    assert AuditEntry.objects.filter(action="export", object_type="htcds_export").count() == 2


def test_export_htcds_refused_to_an_analyst(tmp_path, demo_cases):
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["export", "htcds", str(out), "--as", "analyst"])
    assert result.exit_code == 1 and "Refused" in result.output
    assert not out.exists()


def test_export_ctdc_then_anonymity_check_passes(tmp_path, demo_cases):
    out = tmp_path / "ctdc.csv"
    result = runner.invoke(app, ["export", "ctdc", str(out), "--k", "11"])
    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "suppression alone" in result.output
    check = runner.invoke(app, ["anonymity", "check", str(out), *QI_ARGS, "--k", "11"])
    assert check.exit_code == 0 and "OK" in check.output
    assert AuditEntry.objects.filter(
        object_type="ctdc_release", actor_username="command line"
    ).exists()


def test_export_stats_has_no_small_cell(tmp_path, demo_cases):
    out = tmp_path / "stats.csv"
    result = runner.invoke(app, ["export", "stats", str(out), "--as", "analyst"])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "table,category,year,value,status"
    values = [line.rsplit(",", 2)[1] for line in lines[1:]]
    assert all(v == "x" or int(v) == 0 or int(v) >= 11 for v in values)
    assert any(line.startswith("flow_citizenship_to_country_of_exploitation") for line in lines)


def test_import_htcds_dry_run_then_import_then_reimport(tmp_path, demo_world):
    from palermo.cases.models import Case

    f = tmp_path / "in.csv"
    f.write_text(
        "prs_FirstName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation\n"
        "Zora,Feminine,MD,2025-03-02,ForcedLabour\nIlir,Masculine,AL,2025-04-11,Servitude\n"
    )
    dry = runner.invoke(app, ["import", "htcds", str(f), "--as", "coordinator", "--dry-run"])
    assert dry.exit_code == 0 and "Would create 2 case(s)" in dry.output
    assert Case.objects.count() == 0
    done = runner.invoke(app, ["import", "htcds", str(f), "--as", "coordinator"])
    assert done.exit_code == 0 and "2 case(s) created" in done.output
    again = runner.invoke(app, ["import", "htcds", str(f), "--as", "coordinator"])
    assert "0 case(s) created, 0 updated, 2 unchanged" in again.output
    assert Case.objects.count() == 2


def test_import_malformed_reports_every_row_and_imports_nothing(tmp_path, demo_world):
    from palermo.cases.models import Case

    f = tmp_path / "bad.csv"
    f.write_text("prs_Gender,prs_Citizenship\nFemale,MD\nFeminine,ZZ\n")
    result = runner.invoke(app, ["import", "htcds", str(f), "--as", "coordinator"])
    assert result.exit_code == 1
    assert "row 2: prs_Gender" in result.output and "row 3: prs_Citizenship" in result.output
    assert "Nothing was imported" in result.output
    assert Case.objects.count() == 0


def test_import_refused_without_import_permission(tmp_path, demo_world):
    f = tmp_path / "in.csv"
    f.write_text("prs_Gender\nFeminine\n")
    result = runner.invoke(app, ["import", "htcds", str(f), "--as", "analyst"])
    assert result.exit_code == 1 and "Refused" in result.output


def test_import_kobo_json(tmp_path, demo_world):
    from palermo.cases.models import Case

    f = tmp_path / "kobo.json"
    f.write_text(
        json.dumps(
            {
                "results": [
                    {
                        "_uuid": "a1",
                        "prs_Gender": "Feminine",
                        "prs_Citizenship": "UA",
                        "vic_TypeOfExploitation": "ForcedLabour",
                    },
                ]
            }
        )
    )
    result = runner.invoke(app, ["import", "kobo", str(f), "--as", "coordinator"])
    assert result.exit_code == 0, result.output
    assert Case.objects.count() == 1
    again = runner.invoke(app, ["import", "kobo", str(f), "--as", "coordinator"])
    assert "0 case(s) created" in again.output and Case.objects.count() == 1


def test_unknown_user_is_an_error(tmp_path, demo_world):
    result = runner.invoke(app, ["export", "htcds", str(tmp_path / "x.csv"), "--as", "nobody"])
    assert result.exit_code == 2
