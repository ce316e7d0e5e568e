"""The tabletop facilitator's page at 390 px: the clock delivers the walk-in inject, the
facilitator records a team's answer to its first question, and the AAR shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_browser_exercise import _fits, exercise_loaded  # noqa: F401

pytestmark = pytest.mark.browser


def test_facilitator_records_a_decision_at_390px(page, live_server, exercise_loaded):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "chief")
    page.goto("/exercise/direction/")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Speed (e.g. 10) or time to jump to (e.g. D2 09:00)").fill("D1 10:05")
    page.get_by_role("button", name="Jump", exact=True).click()
    page.wait_for_load_state()
    page.goto("/exercise/tabletop/")
    expect(page.get_by_text("What do you do in the first ten minutes?").first).to_be_visible()
    box = page.get_by_label("1. What do you do in the first ten minutes?").first
    box.fill("Private room, Kelvan interpreter by phone, no driver present")
    box.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("1. What do you do in the first ten minutes?").first).to_have_value(
        "Private room, Kelvan interpreter by phone, no driver present"
    )
    _fits(page)
    page.goto("/exercise/aar/")
    expect(page.get_by_text("Kelvan interpreter by phone").first).to_be_visible()
