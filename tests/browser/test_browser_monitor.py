"""Monitoring journey in a real browser, on a 390 px wide screen: the co-ordinator imports
recommendations, links one to a measure, adds evidence from the case statistics, and downloads
the annual report."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.monitor.monitor_helpers import GOOD_ROWS, csv_file

pytestmark = pytest.mark.browser


@pytest.fixture
def with_monitor_demo(demo_users, monkeypatch):
    from palermo.monitor.demo import demo_monitor

    monkeypatch.setenv("PALERMO_DEMO_MONITOR", "1")
    demo_monitor(random.Random(2026))


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"


def test_coordinator_imports_links_adds_evidence_and_downloads_the_report(
    page, with_monitor_demo, tmp_path
):
    from palermo.monitor.models import Evidence, Recommendation

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "coordinator")
    page.goto("/monitor/")
    expect(page.get_by_role("heading", name="Monitoring commitments")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Import recommendations").first.click()
    upload = tmp_path / "recommendations.csv"
    upload.write_bytes(csv_file(*GOOD_ROWS))
    page.get_by_label("Recommendations file (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("3 recommendations are ready to import.")).to_be_visible()
    page.get_by_role("button", name="Import every row").click()
    expect(page.get_by_text("3 recommendations imported.")).to_be_visible()
    _fits(page)
    assert Recommendation.objects.filter(source_body="us_tip").count() == 1

    page.get_by_role(
        "link", name="TIP Report 2025 (fictional), § Prioritised recommendation 3"
    ).click()
    page.get_by_label("Measure that answers it").select_option(
        label="1.1 Guardian on call within 72 hours for every presumed child victim"
    )
    page.get_by_role("button", name="Link the measure").click()
    expect(page.get_by_text("Linked to the measure.")).to_be_visible()
    _fits(page)
    page.get_by_role(
        "link", name="1.1 Guardian on call within 72 hours for every presumed child victim"
    ).click()
    page.get_by_label("Kind of evidence").select_option(label="Published statistics")
    page.get_by_label("Title").fill("Victims registered in 2025")
    page.get_by_label("Case reference, indicator id or year (for a link)").fill("2025")
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Evidence added.")).to_be_visible()
    expect(page.get_by_role("link", name="statistics 2025")).to_be_visible()
    _fits(page)
    assert Evidence.objects.filter(kind="statistics", target="2025").exists()

    for url in ("/monitor/plans/", "/monitor/indicators/", "/monitor/recommendations/?overdue=on"):
        page.goto(
            url.replace("/plans/", f"/plans/{Evidence.objects.first().measure.objective.plan_id}/")
        )
        _fits(page)
    page.goto("/monitor/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Annual report (PDF)").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_a_survey_is_sent_answered_step_by_step_and_read_across_respondents(
    page, with_monitor_demo
):
    from palermo.monitor.models import SurveyResponse

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "coordinator")
    page.goto("/monitor/surveys/")
    page.get_by_label("Title").fill("Survey 2026 (fictional)")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_text("Survey created as a draft.")).to_be_visible()
    _fits(page)
    page.get_by_label("Safe Harbour Shelter NGO (fictional)").check()
    page.get_by_label("Answers due by").fill("2030-01-31")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("The survey was sent.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "caseworker")
    page.goto("/monitor/surveys/")
    expect(
        page.get_by_role("heading", name="Waiting for your organisation's answers")
    ).to_be_visible()
    page.get_by_role("link", name="Survey 2026 (fictional)").first.click()  # straight to answering
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    page.get_by_label("Yes").first.check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Step 2 of 9")).to_be_visible()
    page.get_by_role("button", name="Save and go back").click()
    # the answer given in step 1 is still there, and the follow-up question is asked
    expect(page.get_by_label("Yes").first).to_be_checked()
    page.get_by_label("No").first.check()
    page.get_by_role("button", name="Save and continue").click()
    for step in range(2, 9):
        expect(page.get_by_text(f"Step {step} of 9")).to_be_visible()
        _fits(page)
        page.get_by_label("No").first.check()
        page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    _fits(page)
    page.get_by_role("button", name="Submit the answers").click()
    expect(
        page.get_by_text("Your organisation's answers were submitted. Thank you.")
    ).to_be_visible()
    assert SurveyResponse.objects.filter(
        assignment__survey__title="Survey 2026 (fictional)", submitted=True
    ).exists()

    page.context.clear_cookies()
    sign_in(page, "analyst")
    page.goto("/monitor/surveys/")
    page.get_by_role("link", name="Survey 2026 (fictional)").first.click()
    page.get_by_role("link", name="Answers across respondents").click()
    expect(page.get_by_text("1 of 1 respondents answered").first).to_be_visible()
    _fits(page)
    # The rapporteur downloads the annual report, charts included.
    page.goto("/monitor/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Annual report (DOCX, editable)").click()
    with open(info.value.path(), "rb") as fh:
        assert fh.read(2) == b"PK"  # a Word document (a zip)
