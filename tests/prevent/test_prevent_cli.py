"""`palermo prevent import-licences|import-adverts|screen-adverts`."""

from __future__ import annotations

import json

from tests.prevent.prevent_helpers import licence_csv
from typer.testing import CliRunner

from palermo.prevent.cli import app
from palermo.prevent.models import Advert, Lead, Licence

runner = CliRunner()


def test_import_licences_all_or_nothing(demo_world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        licence_csv(
            "A,1,DE,valid,,https://example.org,2026-11-30",
            "B,2,DE,unknown,,https://example.org,2026-11-30",
        )
    )
    r = runner.invoke(app, ["import-licences", str(bad), "--title", "T", "--as", "coordinator"])
    assert r.exit_code == 1 and "row 2 status" in r.output
    assert Licence.objects.count() == 0
    good = tmp_path / "good.csv"
    good.write_bytes(licence_csv("A,1,DE,valid,,https://example.org,2026-11-30"))
    r = runner.invoke(app, ["import-licences", str(good), "--title", "T", "--as", "police"])
    assert r.exit_code == 2 and "may not" in r.output
    r = runner.invoke(app, ["import-licences", str(good), "--title", "T", "--as", "coordinator"])
    assert r.exit_code == 0 and Licence.objects.count() == 1


def test_import_and_screen_adverts(demo_world, tmp_path):
    f = tmp_path / "ads.jsonl"
    lines = [
        {"text": "Urgent! No experience needed, registration fee 200 EUR.", "ref": "a1"},
        {"text": "Urgent! No experience needed, registration fee 300 EUR.", "ref": "a2"},
        {"text": "Plumber in Graz, permanent contract.", "ref": "a3"},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    r = runner.invoke(app, ["screen-adverts", str(f)])
    assert r.exit_code == 0, r.output
    out = [json.loads(line) for line in r.output.splitlines()]
    assert out[0]["group"] == out[1]["group"] != out[2]["group"]
    assert {x["indicator"] for x in out[0]["flags"]} == {"urgency", "no_experience", "fee"}
    assert Advert.objects.count() == 0  # screening stores nothing
    r = runner.invoke(app, ["import-adverts", str(f), "--label", "cli", "--as", "police"])
    assert r.exit_code == 0 and "3 adverts imported; 2 new leads." in r.output
    assert Lead.objects.count() == 2


def test_unreadable_input_is_refused_with_its_line(demo_world, tmp_path):
    f = tmp_path / "ads.jsonl"
    f.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    r = runner.invoke(app, ["screen-adverts", str(f)])
    assert r.exit_code == 1 and "Line 2 is not JSON." in r.output
    b = tmp_path / "bin.jsonl"
    b.write_bytes(b"\x00\x01")
    r = runner.invoke(app, ["import-adverts", str(b), "--label", "x", "--as", "police"])
    assert r.exit_code == 1 and "binary file" in r.output
