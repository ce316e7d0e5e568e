"""A screener's journey in a real browser: start, interview by dimension, draft, assess, result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def answer_steps(page, keys: list[str], *, act: str = "") -> None:
    """Go through the remaining steps of the interview, ticking ``keys`` where they are asked
    (and the act on the Palermo step), then open the summary."""
    while True:
        # Every step has this button: once it is there, the step's page has loaded.
        page.get_by_role("button", name="Save and review the answers").wait_for()
        for key in keys:
            box = page.locator(f"input[name=ind_{key}]")
            if box.count():
                box.check()
        if act and page.locator(f"input[name=act][value={act}]").count():
            page.locator(f"input[name=act][value={act}]").check()
        # Wait for the next step's page before looking for its boxes: without it the loop
        # can read the step it just left while the browser is still navigating.
        if page.get_by_role("button", name="Save and continue").count():
            with page.expect_navigation():
                page.get_by_role("button", name="Save and continue").click()
        else:
            with page.expect_navigation():
                page.get_by_role("button", name="Save and review the answers").click()
            return


def test_screener_screens_a_person_and_gets_an_explained_result(page, demo_users):
    sign_in(page, "inspector")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screenings").click()
    expect(page.get_by_text("Your organisation has no screenings yet.")).to_be_visible()
    page.get_by_role("link", name="Screen a person").click()
    page.get_by_label("Age (years)").fill("34")
    page.get_by_label("Labour exploitation").check()
    page.get_by_role("button", name="Start the interview").click()
    expect(page.get_by_role("heading", name=re.compile("Screening interview"))).to_be_visible()

    expect(page.get_by_text(re.compile(r"Step 1 of \d+"))).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()

    # Dimension 1: deceptive recruitment – tick three, add a note to one.
    page.locator("input[name=ind_deceived_about_wages]").check()
    page.locator("input[name=ind_deceived_about_conditions]").check()
    page.locator("input[name=ind_deceived_about_contract]").check()
    row = page.locator(".indicator", has=page.locator("input[name=ind_deceived_about_wages]"))
    row.get_by_text("Guidance, source and note").click()
    row.get_by_label("Source").select_option("self_reported")
    row.get_by_label(re.compile("^Note")).fill("promised EUR 50 a day")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".tally")).to_contain_text("3 answers marked so far")

    # Dimensions 4 and 5: exploitation and coercion at destination, in their own steps.
    answer_steps(
        page,
        [
            "excessive_working_hours",
            "wage_manipulation",
            "coerced_documents_confiscated",
            "coerced_wages_withheld",
        ],
    )
    expect(page.get_by_role("heading", name=re.compile("Review the answers"))).to_be_visible()
    expect(page.get_by_text("7 indicators marked")).to_be_visible()
    page.get_by_role("button", name="Assess").click()

    expect(page.get_by_role("heading", name=re.compile("Screening result"))).to_be_visible()
    expect(page.locator(".result-summary")).to_contain_text("Presumed victim")
    expect(page.locator(".result-summary")).to_contain_text("Trafficking for labour exploitation")
    expect(page.locator("ol.explanation li").first).to_be_visible()
    expect(page.get_by_role("button", name="Print summary")).to_be_visible()
    # The note stays in the file, not in the printable result.
    expect(page.get_by_text("promised EUR 50 a day")).to_have_count(0)

    # One action refers the person: the case file opens with the screened form preselected.
    page.get_by_role("link", name="Refer to the NRM").click()
    expect(page.get_by_label("Forced labour", exact=False).first).to_be_checked()
    page.get_by_label("Given name").fill("Ana")
    page.get_by_label("The person agrees to be referred").check()
    page.get_by_role("button", name="Refer and open the case").click()
    expect(page.get_by_text(re.compile(r"Referred: case \S+ opened"))).to_be_visible()
    expect(page.get_by_text(re.compile("Referred: case"))).to_have_count(
        2
    )  # message + result page note
    expect(page.get_by_role("link", name="Refer to the NRM")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screenings").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody tr")).to_contain_text("Presumed victim")
    expect(page.locator("table tbody tr")).to_contain_text("referred")


def test_invalid_answer_is_shown_next_to_the_field_and_nothing_saved(page, demo_users):
    sign_in(page, "inspector")
    page.goto("/screening/new/")
    page.get_by_label("Age (years)").fill("150")
    page.get_by_role("button", name="Start the interview").click()
    expect(page.locator(".field.has-error").first).to_contain_text("less than or equal to 120")
    expect(page.locator(".field.has-error").nth(1)).to_contain_text("required")
    expect(page.get_by_label("Age (years)")).to_have_value("150")


def test_a_child_recruited_into_begging_is_trafficking_of_a_child_on_a_phone(page, demo_users):
    """Palermo Art. 3(c) on a 390 px screen: a 15-year-old, a declared act (recruitment),
    exploitation positive, no means: trafficking of a child, with child protection, a
    guardian and no detention, and no labour-rights referral."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "inspector")
    page.goto("/screening/new/")
    page.get_by_label("Age (years)").fill("15")
    page.get_by_label("Labour exploitation").check()
    page.get_by_role("button", name="Start the interview").click()
    answer_steps(page, ["excessive_working_hours", "no_access_to_education"], act="recruitment")
    page.get_by_role("button", name="Assess").click()

    summary = page.locator(".result-summary")
    expect(summary).to_contain_text("Presumed victim")
    expect(summary).to_contain_text("Trafficking of a child for labour exploitation")
    expect(page.locator(".child-rule")).to_contain_text("Art. 3(c)")
    steps = page.locator("ul.next-steps")
    expect(steps.locator("[data-step=notify_child_protection]")).to_be_visible()
    expect(steps.locator("[data-step=request_guardian]")).to_be_visible()
    expect(steps.locator("[data-step=no_detention]")).to_contain_text("Do not detain the child")
    expect(steps.locator("[data-step=refer_labour_rights]")).to_have_count(0)
    expect(page.get_by_text("labour-rights case")).to_have_count(0)
    # Nothing wider than the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)"""
    )
    assert overflow <= 0, wide
