"""Online-risk journeys in a real browser on a 390 px wide screen: a person checks a job offer
with JavaScript off and on (cited warnings, the licence registry, hotlines; no horizontal scroll,
only the CSRF cookie, no serious accessibility violation); a witness reports a situation and the
labour inspector triages it into an NRM referral; an investigator imports adverts, sees the
campaign as one lead with highlighted flags, and opens a referral from it."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fail_fast_on_server_errors, sign_in
from tests.browser.test_browser_axe import BLOCKING, axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def with_prevent_demo(demo_users, monkeypatch):
    from palermo.prevent.demo import demo_prevent

    monkeypatch.setenv("PALERMO_DEMO_PREVENT", "1")
    demo_prevent(random.Random(2026))


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"


def _answer_the_offer(page) -> None:
    page.goto("/check/")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Check a job offer")).to_be_visible()
    _fits(page)
    fee = page.get_by_role("group", name="Have you been asked to pay a fee")
    fee.get_by_label("Yes").check()
    page.get_by_role("group", name="keep your passport").get_by_label("Yes").check()
    page.get_by_role("group", name="written contract").get_by_label("I don't know").check()
    page.get_by_label("Name of the agency or employer").fill("Svit Pratsi")
    page.get_by_label("Country you leave from").select_option("UA")
    page.get_by_label("Country of the job").select_option("PL")
    page.get_by_role("button", name="Check the offer").click()
    page.wait_for_load_state()
    expect(page.get_by_text("2 warning signs found.")).to_be_visible()


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_a_person_checks_a_job_offer(browser, live_server, with_prevent_demo, javascript):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=javascript,
        viewport={"width": 390, "height": 844},
    )
    fail_fast_on_server_errors(context)
    page = context.new_page()
    try:
        _answer_the_offer(page)
        expect(
            page.get_by_role(
                "heading", name="Fair recruiters do not charge workers: the employer pays."
            )
        ).to_be_visible()
        page.get_by_text("Why this is a warning sign").first.click()
        expect(
            page.get_by_role("link", name="Private Employment Agencies Convention").first
        ).to_be_visible()
        expect(page.get_by_text("Світ Праці ТОВ — Suspended")).to_be_visible()
        expect(page.get_by_text("Ukraine: hotline")).to_be_visible()
        expect(page.get_by_text("Ask for the contract in your language")).to_be_visible()
        _fits(page)
        assert {c["name"] for c in context.cookies()} <= {"csrftoken"}
        if javascript:
            blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
            assert not blocking, blocking
    finally:
        context.close()


def test_a_report_is_triaged_into_an_nrm_referral(page, with_prevent_demo):
    from palermo.prevent.models import WorkerReport

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/report/")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Report a situation")).to_be_visible()
    _fits(page)
    page.get_by_label("I saw it or heard about it").check()
    page.get_by_label("Country where it happens").select_option("DE")
    page.get_by_label("Kind of work").select_option("construction")
    page.get_by_label("Passport or identity card taken").check()
    page.get_by_label("What happened?").fill(
        "Builders sleep on the site; the foreman keeps passports."
    )
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Thank you: your report was sent")).to_be_visible()
    report = WorkerReport.objects.get(country="DE")
    assert page.context.cookies() == [] or {c["name"] for c in page.context.cookies()} <= {
        "csrftoken"
    }

    sign_in(page, "inspector")
    page.goto("/prevent/reports/")
    page.wait_for_load_state()
    expect(page.get_by_text("4 reports")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name=f"Report {report.pk}").click()
    page.wait_for_load_state()
    expect(page.get_by_text("the foreman keeps passports")).to_be_visible()
    _fits(page)
    page.get_by_role("button", name="Open a referral").click()
    page.wait_for_load_state()
    expect(
        page.get_by_text(re.compile(r"^Referral NRM-\w{4}-\w{4} opened in the NRM\.$"))
    ).to_be_visible()
    report.refresh_from_db()
    assert report.status == "referred" and report.case_reference.startswith("NRM-")


def test_an_investigator_screens_adverts_and_opens_a_referral_from_a_lead(page, with_prevent_demo):
    from palermo.cases.models import VictimContext
    from palermo.prevent.models import Lead

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "police")
    page.goto("/prevent/")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Advert screening")).to_be_visible()
    _fits(page)
    page.get_by_label("Name of this batch").fill("Pasted from a job board")
    page.get_by_label("Format").select_option("text")
    page.get_by_label("Or paste adverts here").fill(
        "Dancers wanted for a club abroad, a tourist visa is enough, write on Telegram.\n\n"
        "Plumber wanted in Graz, permanent contract, apply with your CV."
    )
    page.get_by_role("button", name="Import and screen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("2 adverts imported; 2 new leads.")).to_be_visible()

    campaign = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    page.get_by_role("link", name=f"Lead {campaign.pk}", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text("12 adverts from one template.")).to_be_visible()
    expect(page.locator("mark.flag").first).to_be_visible()
    _fits(page)
    page.get_by_label("Country of recruitment").fill("UA")
    page.get_by_role("button", name="Open a referral").click()
    page.wait_for_load_state()
    expect(
        page.get_by_text(re.compile(r"^Referral NRM-\w{4}-\w{4} opened in the NRM\.$"))
    ).to_be_visible()
    campaign.refresh_from_db()
    ctx = VictimContext.objects.get(case__reference=campaign.case_reference)
    assert ctx.methods_of_recruitment == ["ThroughOnlineSocialNetworks"]


def test_police_attach_an_advert_to_an_investigation_and_pages_pass_axe(page, with_prevent_demo):
    from palermo.core.models import User
    from palermo.investigate import services as inv_services
    from palermo.prevent.models import AdvertEvidence, Lead

    police = User.objects.get(username="police")
    inv = inv_services.investigation_create(
        actor=police, organisation=police.organisations()[0], title="Online recruiter"
    )
    campaign = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    advert = campaign.adverts.first()
    sign_in(page, "police")
    page.goto(f"/prevent/leads/{campaign.pk}/")
    page.wait_for_load_state()
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, blocking
    box = page.locator("article").first
    box.get_by_text("Attach as evidence to an investigation or a case").click()
    box.get_by_label("Attach to").select_option("investigation")
    box.get_by_label("reference").fill(inv.reference)
    box.get_by_role("button", name="Attach").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Advert attached.")).to_be_visible()
    expect(page.locator("article").first.get_by_text(inv.reference)).to_be_visible()
    assert AdvertEvidence.objects.get().advert_id == advert.pk

    page.context.clear_cookies()
    sign_in(page, "online")
    page.goto("/prevent/statistics/")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Online-risk statistics")).to_be_visible()
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, blocking
