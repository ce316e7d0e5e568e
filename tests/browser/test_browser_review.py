"""Review before high-stakes actions and the stepped interview, in a real browser (issue 15,
items 2 and 6): input kept across steps, back and forward; the identification decision is
restated before it is saved; a form sent twice acts once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

REASONS = "Reasonable grounds: withheld passport, debt to the recruiter, no pay."


def test_the_stepped_interview_keeps_input_across_steps_back_and_forward_on_a_phone(
    page, demo_users
):
    from palermo.screening.models import Screening

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "inspector")
    page.goto("/screening/new/")
    page.get_by_label("Age (years)").fill("34")
    page.get_by_label("Labour exploitation").check()
    page.get_by_role("button", name="Start the interview").click()
    first = page.locator("#step-progress")
    expect(first).to_contain_text(re.compile(r"Step 1 of \d+"))  # wait for the page
    total = int(re.search(r"Step 1 of (\d+)", first.inner_text()).group(1))
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text(f"Step 2 of {total}")).to_be_visible()

    # Step 2: tick one indicator, give its source and a note.
    box = page.locator("fieldset.dimension input[type=checkbox]").first
    key = box.get_attribute("name")
    box.check()
    row = page.locator(".indicator", has=page.locator(f"input[name={key}]"))
    row.get_by_text("Guidance, source and note").click()
    row.get_by_label("Source").select_option("observed")
    row.get_by_label(re.compile("^Note")).fill("seen at the farm gate")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text(f"Step 3 of {total}")).to_be_visible()
    expect(page.locator(".tally")).to_contain_text("1 answer marked so far")

    # Step 3: tick another, then go back with the step's own button.
    other = page.locator("fieldset.dimension input[type=checkbox]").first
    other_key = other.get_attribute("name")
    other.check()
    page.get_by_role("button", name="Save and go back").click()
    expect(page.get_by_text(f"Step 2 of {total}")).to_be_visible()
    expect(page.locator(f"input[name={key}]")).to_be_checked()
    note_row = page.locator(".indicator", has=page.locator(f"input[name={key}]"))
    expect(note_row.get_by_label(re.compile("^Note"))).to_have_value("seen at the farm gate")
    expect(note_row.get_by_label("Source")).to_have_value("observed")
    expect(page.locator(".tally")).to_contain_text("2 answers marked so far")

    # The browser's own back and forward buttons: the pages are read again from the saved draft.
    page.go_back()
    page.go_forward()
    page.goto(page.url)
    expect(page.locator(f"input[name={key}]")).to_be_checked()

    # Jump forward with the list of steps (it saves this step first): step 3 kept its tick.
    page.locator("nav.steps").get_by_role("button").nth(2).click()
    expect(page.get_by_text(f"Step 3 of {total}")).to_be_visible()
    expect(page.locator(f"input[name={other_key}]")).to_be_checked()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The summary lists both before assessing; nothing is assessed yet.
    page.get_by_role("button", name="Save and review the answers").click()
    expect(page.get_by_text("2 indicators marked")).to_be_visible()
    expect(page.get_by_text("note recorded")).to_be_visible()
    assert Screening.objects.get().status == "draft"
    page.get_by_role("button", name="Assess").click()
    expect(page.get_by_role("heading", name=re.compile("Screening result"))).to_be_visible()


def _case(by: str = "outreach") -> str:
    from palermo.cases import services
    from palermo.core.models import User

    actor = User.objects.get(username=by)
    return services.case_open(
        actor=actor,
        organisation=actor.organisations()[0],
        source="hotline",
        source_ref="HOT-BROWSER-1",
        person={"given_name": "Mira"},
        exploitation_forms=["ForcedLabour"],
        is_child_or_presumed_child=False,
    ).reference


def test_the_decision_is_restated_before_it_is_saved_and_a_double_submit_records_one(
    page, demo_users
):
    from palermo.cases.models import Case, IdentificationDecision

    ref = _case()
    sign_in(page, "coordinator")
    page.goto(f"/cases/{ref}/decide/")
    radios = page.locator("input[name=outcome]")
    expect(radios).to_have_count(3)
    for i in range(3):
        expect(radios.nth(i)).not_to_be_checked()  # nothing preselected

    # Sending without choosing: told beside the field, nothing saved.
    page.get_by_label("Reasons").fill(REASONS)
    page.get_by_role("button", name="Continue: check before saving").click()
    expect(page.locator(".field.has-error")).to_contain_text("required")
    expect(page.get_by_label("Reasons")).to_have_value(REASONS)

    page.get_by_label("Presumed victim (reasonable grounds)").check()
    page.get_by_role("button", name="Continue: check before saving").click()
    expect(
        page.get_by_role("heading", name="Check the decision before you save it")
    ).to_be_visible()
    review = page.locator("dl.review")
    expect(review).to_contain_text("Presumed victim (reasonable grounds)")
    expect(review).to_contain_text(REASONS)
    expect(page.locator("ul.consequences")).to_contain_text("reflection and recovery period")
    expect(page.locator("ul.starts li").first).to_be_visible()
    assert not IdentificationDecision.objects.exists()

    # Change: back to the form with the answers kept.
    page.get_by_role("button", name="Change the answers").click()
    expect(page.get_by_label("Presumed victim (reasonable grounds)")).to_be_checked()
    expect(page.get_by_label("Reasons")).to_have_value(REASONS)
    page.get_by_role("button", name="Continue: check before saving").click()
    # The review page must have loaded before the script reads its form.
    expect(
        page.get_by_role("heading", name="Check the decision before you save it")
    ).to_be_visible()

    # The confirmation sent twice (a double click, a retry): one decision.
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector('form.narrow');
            const body = new FormData(form);
            body.append('step', 'confirm');
            const out = [];
            for (let i = 0; i < 2; i++) {
                const r = await fetch(location.pathname, {method: 'POST', body, redirect: 'manual'});
                out.push(r.type === 'opaqueredirect' ? 302 : r.status);
            }
            return out;
        }"""
    )
    assert statuses == [302, 302], statuses
    assert IdentificationDecision.objects.filter(case__reference=ref).count() == 1
    assert Case.objects.get(reference=ref).identification_status == "presumed"
    page.goto(f"/cases/{ref}/")
    expect(page.locator(".case-state")).to_contain_text("Presumed victim")


def test_an_empty_referral_opens_no_case_and_names_what_is_missing(page, demo_users):
    from palermo.cases.models import Case

    sign_in(page, "outreach")
    page.goto("/cases/new/")
    page.get_by_role("button", name="Open the case").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Say what the referral is about")
    expect(summary).to_contain_text("Give a way to find the person again")
    expect(page.locator(".field.has-error")).to_have_count(3)
    assert Case.objects.count() == 0
