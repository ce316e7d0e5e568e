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
    expect(
        page.get_by_text("National Referral Coordination Office (fictional)").first
    ).to_be_visible()
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


def test_required_role_enrols_an_authenticator_app_then_signs_in_with_it(
    page, demo_users, settings
):
    """Two-step sign-in on a phone-sized screen: held on enrolment, QR code and key,
    recovery codes shown once, then every sign-in asks for the app's code."""
    import time

    import pyotp

    from palermo.core.demo import DEMO_PASSWORD

    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    expect(page.get_by_role("alert")).to_contain_text("Your role requires two-step sign-in")
    page.goto("/dashboard/")  # nothing else is reachable yet
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("[data-totp-secret]").get_attribute("data-totp-secret")
    page.get_by_label("Code shown by the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="I have kept them — continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    sign_out(page)

    page.goto("/")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/$"))
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    # The reason next to the field, and in the error summary at the top, which links to it.
    expect(page.locator("#id_code_error")).to_contain_text("That code is not right")
    expect(page.get_by_role("link", name=re.compile("That code is not right"))).to_be_visible()
    # Enrolment used the current step; the next step's code is inside the window.
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="My work")).to_be_visible()


def test_passkey_added_then_used_to_sign_in(page, demo_users):
    """WebAuthn end to end through mfa.js, with Chromium's virtual authenticator
    (DevTools protocol): real key pair, real signatures, checked by the server."""
    from palermo.core.demo import DEMO_PASSWORD
    from palermo.core.mfa_models import WebAuthnCredential

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, "analyst")
    page.get_by_role("link", name="Two-step sign-in").click()
    page.get_by_label("Name of the new passkey").fill("virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert WebAuthnCredential.objects.get().name == "virtual key"
    page.get_by_role("link", name="I have kept them — continue").click()
    sign_out(page)

    page.goto("/")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/$"))
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert WebAuthnCredential.objects.get().last_used_at is not None


def test_the_api_docs_page_shows_the_operations(page, db):
    """The interactive docs render the schema: one key twice in it (an operation's 429) made
    the page say "Parser error: duplicated mapping key" and show no operation at all."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/api/v1/docs")
    expect(page.get_by_text("/api/v1/me", exact=True).first).to_be_visible()
    expect(page.get_by_text("Parser error")).to_have_count(0)
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
