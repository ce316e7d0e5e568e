"""`palermo monitor import-recommendations|indicators|report`."""

from __future__ import annotations

from tests.monitor.monitor_helpers import GOOD_ROWS, csv_file
from typer.testing import CliRunner

from palermo.monitor.cli import app
from palermo.monitor.models import Recommendation

runner = CliRunner()


def test_import_recommendations_all_or_nothing(monitor_demo, tmp_path):
    before = Recommendation.objects.count()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(*GOOD_ROWS, 'osce,R,9,2025-01-01,nowhere,Gov,"t",,'))
    r = runner.invoke(app, ["import-recommendations", str(bad), "--as", "coordinator"])
    assert r.exit_code == 1 and "row 5 thematic_area" in r.output
    assert Recommendation.objects.count() == before
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(*GOOD_ROWS))
    r = runner.invoke(
        app, ["import-recommendations", str(good), "--as", "coordinator", "--dry-run"]
    )
    assert (
        r.exit_code == 0 and "would import" in r.output and Recommendation.objects.count() == before
    )
    r = runner.invoke(app, ["import-recommendations", str(good), "--as", "coordinator"])
    assert r.exit_code == 0 and Recommendation.objects.count() == before + 3


def test_import_needs_a_user_who_may(monitor_demo, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(*GOOD_ROWS))
    assert runner.invoke(app, ["import-recommendations", str(good)]).exit_code == 2
    r = runner.invoke(app, ["import-recommendations", str(good), "--as", "analyst"])
    assert r.exit_code == 2 and "may not" in r.output
    assert not Recommendation.objects.filter(source_body="us_tip").exists()


def test_report_and_indicators(monitor_demo, tmp_path):
    out = tmp_path / "report.pdf"
    r = runner.invoke(app, ["report", "--out", str(out), "--as", "analyst"])
    assert r.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    html = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--out", str(html)]).exit_code == 0
    assert "Action plan progress" in html.read_text()
    r = runner.invoke(app, ["indicators"])
    assert r.exit_code == 0 and "victims_by_form" in r.output
