"""User journeys of the platform foundation, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out

pytestmark = pytest.mark.browser


def test_newcomer_signs_in_sees_role_dashboard_and_signs_out(page, demo_users):
    sign_in(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_text("National Referral Coordination Office (fictional)").first).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Audit trail")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    sign_out(page)
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_skip_link_is_first_and_reaches_main(page, demo_users):
    sign_in(page, "analyst")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_wrong_password_keeps_username_and_says_why(page, demo_users):
    page.goto("/")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("analyst")


def test_other_organisation_is_refused_and_refusal_is_audited(page, demo_users):
    # A case worker of an NGO tries to open the national audit trail.
    sign_in(page, "caseworker")
    page.goto("/audit/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    sign_out(page)
    # The co-ordinator finds the refusal in the audit trail.
    sign_in(page, "coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    page.get_by_label("Action").select_option("refused")
    page.get_by_label("User").fill("caseworker")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("refused")


def test_token_created_once_and_revoked_after_confirmation(page, demo_users):
    sign_in(page, "police")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("evidence importer")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Token").input_value()
    assert token.startswith("plm_")
    page.get_by_role("link", name="Revoke…").click()
    expect(page.get_by_role("heading", name="Revoke this token?")).to_be_visible()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("revoked", exact=True)).to_be_visible()
