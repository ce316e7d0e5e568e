"""Case-file journeys in a real browser: refer, decide, refer to a shelter under consent,
and a child's guardian deadline that becomes overdue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def shelter_in_directory(demo_users):
    from palermo.cases.models import ServiceProvider
    from palermo.core.models import Organisation

    ServiceProvider.objects.create(
        organisation=Organisation.objects.get(name__startswith="Safe Harbour"),
        service_types=["shelter", "psychological"],
        capacity=10,
        languages=["en", "ro"],
        area_served="Northern District",
    )


def _open_case(page, *, child: bool = False) -> str:
    page.goto("/cases/new/")
    page.get_by_label("Referral from").select_option("screening")
    page.get_by_label("Their reference").fill("SCR-JRNY-0001")
    page.get_by_label("Given name").fill("Mira")
    page.get_by_label("Family name").fill("Placeholder")
    page.get_by_label("Citizenship").select_option("MD")
    page.get_by_label("Forced labour").check()
    page.get_by_label("Current address: street").fill("7 Hidden Lane")
    page.get_by_label("City").fill("Demo City")
    if child:
        page.get_by_label("A child or presumed child").check()
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_load_state()
    match = re.search(r"NRM-[A-Z0-9]{4}-[A-Z0-9]{4}", page.content())
    assert match, "the reference is shown after referring"
    return match.group(0)


def test_refer_decide_refer_to_shelter_with_consent_shelter_sees_only_what_consent_allows(
    page, shelter_in_directory
):
    # 1. A labour inspector (a screener) refers the person they screened.
    sign_in(page, "inspector")
    ref = _open_case(page)
    expect(page.get_by_role("heading", name="Referral received")).to_be_visible()
    expect(page.get_by_text("Mira")).to_have_count(0)
    sign_out(page)

    # 2. The co-ordinator decides "presumed" and puts an NGO in charge.
    sign_in(page, "coordinator")
    page.goto(f"/cases/{ref}/")
    expect(page.get_by_text("Potential victim (referred, not yet decided)")).to_be_visible()
    expect(page.get_by_text("7 Hidden Lane")).to_have_count(0)  # contacts: case team only
    page.get_by_role("link", name="Identification decision").click()
    page.get_by_label("Presumed victim (reasonable grounds)").check()
    page.get_by_label("Reasons").fill(
        "Reasonable grounds: withheld passport, debt to the recruiter, no pay."
    )
    page.get_by_role("button", name="Continue: check before saving").click()
    page.get_by_role("button", name="Confirm and record the decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator(".case-state")).to_contain_text("Presumed victim")
    expect(page.locator("tr[data-rule=reflection_recovery_period]")).to_be_visible()
    page.get_by_role("link", name="Add to the case team").click()
    page.get_by_label("Organisation").select_option(label="Eastbay Outreach NGO (fictional)")
    page.get_by_label("Role in the case").select_option("lead")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Organisation added to the case team.")).to_be_visible()
    sign_out(page)

    # 3. The NGO case worker records consent (identity only) and refers to the shelter.
    sign_in(page, "outreach")
    page.goto(f"/cases/{ref}/")
    expect(page.locator("dd.address")).to_contain_text("7 Hidden Lane")
    page.get_by_role("link", name="Record consent").click()
    page.get_by_label("Identity: name, date of birth").check()
    page.get_by_label("With whom").select_option(label="Safe Harbour Shelter NGO (fictional)")
    page.get_by_label("For what purpose").select_option("shelter")
    page.get_by_label("Given by").select_option("person")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    page.get_by_role("link", name="Refer to a service").click()
    page.locator("#id_service_type").select_option("shelter")
    page.get_by_label("Service provider").select_option(
        label="Safe Harbour Shelter NGO (fictional)"
    )
    page.get_by_label("Consent that covers this referral").select_option(index=1)
    page.get_by_label("What the person needs").fill("A safe place to stay from tonight.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Referral sent.")).to_be_visible()
    expect(page.locator("td.referral-status")).to_have_text("sent")
    sign_out(page)

    # 4. The shelter accepts and sees only what the consent allows.
    sign_in(page, "caseworker")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="Referrals to my organisation").click()
    page.get_by_role("link", name="Safe accommodation (shelter)").click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Referral accepted.")).to_be_visible()
    expect(page.locator("dd.referral-status")).to_have_text("accepted")
    expect(page.locator("dd.person-name")).to_have_text("Mira Placeholder")
    expect(page.locator("dd.shared-groups")).to_have_text("Identity")
    expect(page.get_by_text("Victim context: not covered by the consent.")).to_be_visible()
    expect(page.get_by_text("7 Hidden Lane")).to_have_count(0)
    expect(page.get_by_text("withheld passport")).to_have_count(0)
    # The case page itself shows the same limits, and nothing to change.
    page.goto(f"/cases/{ref}/")
    expect(page.locator("dd.person-name")).to_contain_text("Mira")
    expect(page.get_by_text("7 Hidden Lane")).to_have_count(0)
    expect(page.get_by_role("heading", name="Timeline")).to_have_count(0)
    expect(page.get_by_role("heading", name="Victim context")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Actions on this case")).to_have_count(0)


def test_child_case_shows_the_guardian_deadline_and_it_becomes_overdue(page, demo_users):
    from palermo.cases import clock

    sign_in(page, "outreach")
    ref = _open_case(page, child=True)
    expect(page).to_have_url(re.compile(rf"/cases/{ref}/$"))
    expect(page.get_by_text("Child protection applies.")).to_be_visible()
    guardian = page.locator("tr[data-rule=guardian_appointment]")
    # Dates as the reader's language writes them (English: day month year, "5 Dec 2026").
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("en"):
        due = date_format(clock.today() + timedelta(days=3), "SHORT_DATE_FORMAT")
    expect(guardian).to_contain_text("Appoint a guardian for the child")
    expect(guardian).to_contain_text(due)
    expect(guardian).to_contain_text("Due soon")

    # Four days later, nobody has appointed a guardian.
    with clock.travel(clock.now() + timedelta(days=4)):
        page.reload()
        expect(guardian).to_contain_text("Overdue")
        sign_out(page)
        sign_in(page, "coordinator")
        page.goto("/cases/oversight/")
        row = page.locator("table.overdue tbody tr", has_text=ref).filter(
            has_text="Appoint a guardian"
        )
        expect(row).to_have_count(1)
        expect(row).to_contain_text(due)
