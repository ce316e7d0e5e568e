"""The file-only commands of the statistics context."""

from __future__ import annotations

from typer.testing import CliRunner

from palermo.stats.cli import anonymity_app, preview_import
from palermo.stats.synthetic import synthetic_ctdc_frame

QIS = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
]


def test_release_then_check_passes_and_raw_data_fails(tmp_path):
    source = tmp_path / "source.csv"
    released = tmp_path / "release.csv"
    synthetic_ctdc_frame(3000, seed=5).write_csv(source, null_value="-99")
    runner = CliRunner()
    result = runner.invoke(anonymity_app, ["release", str(source), str(released)])
    assert result.exit_code == 0, result.output
    assert "suppression alone would keep" in result.output
    args = ["check", str(released)] + [a for q in QIS for a in ("--qi", q)]
    ok = runner.invoke(anonymity_app, args)
    assert ok.exit_code == 0 and "OK" in ok.output
    raw = runner.invoke(
        anonymity_app, ["check", str(source), "--qi", "age", "--qi", "citizenship", "--k", "11"]
    )
    assert raw.exit_code == 1 and "FAIL" in raw.output


def test_preview_import_dispatches(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("prs_Gender\nFeminine\n")
    assert preview_import(path, "htcds").ok
    kobo = tmp_path / "kobo.csv"
    kobo.write_text("prs_Gender;_uuid\nFeminine;a\n")
    assert preview_import(kobo, "kobo").records[0].identity_key == "odk-instance:a"
