"""Statistics journeys in a real browser: an analyst opens the dashboard and downloads a table;
a co-ordinator imports a small HTCDS file through preview and confirmation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

HTCDS = (
    "prs_FirstName,prs_SecondName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation\n"
    "Zora,Fictive,Feminine,MD,2025-03-02,ForcedLabour\n"
    "Ilir,Sample,Masculine,AL,2025-04-11,SexualExploitation\n"
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Uploads waiting for confirmation go under VAR_DIR: keep the tests' in a temporary directory."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def with_demo_cases(demo_users, monkeypatch):
    from palermo.cases.demo import demo_cases

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    demo_cases(random.Random(2026))


def test_analyst_opens_the_dashboard_and_downloads_a_table(page, with_demo_cases):
    sign_in(page, "analyst")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Statistics", exact=True
    ).click()
    expect(
        page.get_by_role("heading", name="Statistics for the National Rapporteur")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Victims by sex")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download “Victims by sex” as CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("category,")
    cells = [c for line in text.splitlines()[1:] for c in line.split(",")[1:]]
    assert cells and all(c == "x" or int(c) == 0 or int(c) >= 11 for c in cells)
    # An analyst sees no import link.
    expect(page.get_by_role("link", name="Import HTCDS or KoboToolbox data")).to_have_count(0)


def test_coordinator_imports_an_htcds_file_with_preview_and_confirm(page, demo_users):
    from palermo.cases.models import Case

    sign_in(page, "coordinator")
    page.goto("/stats/")
    expect(page.get_by_text("No cases to count yet")).to_be_visible()
    page.get_by_role("link", name="Import HTCDS or KoboToolbox data").click()
    page.get_by_label("HTCDS 2.0 file (CSV or XLSX)").check()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "cases.csv", "mimeType": "text/csv", "buffer": HTCDS.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_text("2 row(s) read: 2 valid, 0 rejected.")).to_be_visible()
    assert "Zora" not in page.url
    assert Case.objects.count() == 0
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("heading", name="Import done")).to_be_visible()
    expect(page.get_by_text("2 case(s) opened, 0 updated, 0 unchanged.")).to_be_visible()
    assert Case.objects.count() == 2
