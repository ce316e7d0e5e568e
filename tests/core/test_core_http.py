"""The web shell through HTTP: sign-in, lock-out, dashboards, refusals, tokens, audit viewer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from palermo.core.demo import DEMO_PASSWORD
from palermo.core.models import AuditEntry, PersonalAccessToken


def login(client: Client, username: str, password: str = DEMO_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_success_is_audited_and_lands_on_dashboard(client, demo_world):
    response = login(client, "caseworker")
    assert response.status_code == 302 and response.url == reverse("dashboard")
    entry = AuditEntry.objects.filter(action="login").latest("id")
    assert entry.actor_username == "caseworker"
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Safe Harbour Shelter NGO" in page.content.decode()


def test_failed_login_is_audited_without_the_password(client, demo_world):
    response = login(client, "caseworker", "wrong-password-123")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    entry = AuditEntry.objects.filter(action="login_failed").latest("id")
    assert entry.actor_username == "caseworker" and entry.outcome == "failed"
    assert "wrong-password" not in str(entry.details)


def test_lockout_after_repeated_failures(client, demo_world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "analyst", "not-the-password")
    # Even the right password is now refused.
    response = login(client, "analyst")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_demo_sign_in_page_lists_the_demo_logins(client, demo_world, settings):
    """Someone trying the demo on a phone has no terminal to read the logins from: the sign-in
    page names the fictional users there are (the supply context's too) and the password."""
    from palermo.core.demo import DEMO_MORE_USERS

    settings.PALERMO_DEMO = True
    html = client.get(reverse("login")).content.decode()
    assert "Trying the demo?" in html and DEMO_PASSWORD in html
    assert "<strong>coordinator</strong>" in html and "<strong>inspector</strong>" in html
    # The supply step is registered but did not run here: its users are not offered.
    assert {u for u, _o, _r in DEMO_MORE_USERS} >= {"procurement", "diligence"}
    assert "<strong>procurement</strong>" not in html


@pytest.mark.parametrize("where", ["deployment", "exercise"])
def test_no_logins_are_offered_outside_the_demo(client, demo_world, settings, where):
    settings.PALERMO_DEMO = where == "exercise"
    settings.PALERMO_EXERCISE = "harbour" if where == "exercise" else ""
    html = client.get(reverse("login")).content.decode()
    assert "Trying the demo?" not in html and DEMO_PASSWORD not in html


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_logout_requires_post_and_ends_session(login_as):
    client = login_as("analyst")
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize(
    "username, sees, does_not_see",
    [
        (
            "coordinator",
            ["Audit trail", "Cases", "Statistics"],
            ["Administration", "Investigations"],
        ),
        ("admin", ["Administration", "Audit trail"], ["Cases", "Statistics"]),
        ("analyst", ["Statistics"], ["Audit trail", "Cases", "Administration"]),
        ("police", ["Screenings", "Investigations"], ["Audit trail", "Statistics"]),
        ("caseworker", ["Cases", "Screenings"], ["Audit trail", "Investigations"]),
    ],
)
def test_dashboard_by_role(login_as, username, sees, does_not_see):
    html = login_as(username).get(reverse("dashboard")).content.decode()
    for label in sees:
        assert label in html, label
    for label in does_not_see:
        assert f">{label}<" not in html, label


def test_refusal_is_shown_and_audited(login_as):
    client = login_as("caseworker")
    response = client.get(reverse("audit_list"))
    assert response.status_code == 403
    assert "recorded in the audit trail" in response.content.decode()
    entry = AuditEntry.objects.filter(action="refused").latest("id")
    assert entry.actor_username == "caseworker"
    assert entry.details["permission"] == "core.view_audit"


def test_admin_site_follows_the_policy(login_as, client):
    assert login_as("caseworker").get("/admin/").status_code == 403
    assert AuditEntry.objects.filter(action="refused", actor_username="caseworker").exists()
    client.logout()
    assert login_as("admin").get("/admin/").status_code == 200
    assert login_as("admin").get("/admin/core/organisation/").status_code == 200


def test_admin_changes_are_audited(login_as, persona):
    client = login_as("admin")
    org = persona("caseworker").organisations()[0]
    response = client.post(
        f"/admin/core/organisation/{org.pk}/change/",
        {
            "name": org.name + " (renamed)",
            "org_type": org.org_type,
            "country": org.country,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_type="organisation", action="update").latest("id")
    assert entry.object_ref == str(org.pk) and "name" in entry.details["fields"]


def test_user_without_membership_sees_nothing(client, db):
    from palermo.core.models import User

    user = User.objects.create_user("loner", password="A-long-password-1")
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "not a member of any active organisation" in html
    assert client.get(reverse("audit_list")).status_code == 403


def test_security_headers(login_as):
    response = login_as("analyst").get(reverse("dashboard"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_csrf_is_enforced(demo_world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "analyst", "password": DEMO_PASSWORD})
    assert response.status_code == 403


def test_session_cookie_settings(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_COOKIE_HTTPONLY
    # The idle timeout is kept by palermo.core.sessions (tests/cases/test_cases_page_budget.py).
    assert "palermo.core.sessions.IdleTimeoutSessionMiddleware" in settings.MIDDLEWARE


def test_password_change_rejects_weak_password_and_keeps_old(login_as, persona):
    client = login_as("analyst")
    response = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "too short" in html and 'class="error"' in html
    assert persona("analyst").check_password(DEMO_PASSWORD)


def test_password_reset_sends_mail_for_known_address_only(client, demo_world, mailoutbox):
    client.post(reverse("password_reset"), {"email": "analyst@example.org"})
    client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert len(mailoutbox) == 1


def test_switch_organisation(client, persona, db):
    from palermo.core.models import Membership, Organisation

    user = persona("analyst")
    other = Organisation.objects.get(name__startswith="Safe Harbour")
    Membership.objects.create(user=user, organisation=other, role="case_worker")
    client.force_login(user)
    client.get(reverse("dashboard"))
    assert client.get(reverse("audit_list")).status_code == 403
    client.post(reverse("switch_organisation"), {"organisation": other.pk})
    html = client.get(reverse("dashboard")).content.decode()
    assert "You act for <strong>Safe Harbour" in html
    # Not a member: refused with a message, nothing changes.
    foreign = Organisation.objects.get(name__startswith="Financial")
    client.post(reverse("switch_organisation"), {"organisation": foreign.pk})
    assert "You act for <strong>Safe Harbour" in client.get(reverse("dashboard")).content.decode()


def test_token_ui_create_show_once_and_revoke_with_confirmation(login_as):
    client = login_as("police")
    response = client.post(reverse("token_list"), {"name": "case import script"})
    html = response.content.decode()
    assert "will not be shown again" in html
    token = PersonalAccessToken.objects.get(name="case import script")
    assert token.digest not in html
    clear = html.split('id="new-token" readonly value="')[1].split('"')[0]
    assert clear.startswith("plm_")
    assert client.get(reverse("token_list")).content.decode().count(clear) == 0
    # Revoking asks first.
    confirm = client.get(reverse("token_revoke", args=[token.pk]))
    assert "Revoke this token?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    client.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_form_errors_keep_input(login_as):
    client = login_as("police")
    response = client.post(reverse("token_list"), {"name": "", "expires_at": "2001-01-01"})
    html = response.content.decode()
    assert 'class="error"' in html
    assert PersonalAccessToken.objects.count() == 0
    response = client.post(reverse("token_list"), {"name": "old", "expires_at": "2001-01-01"})
    assert "must be in the future" in response.content.decode()
    assert 'value="old"' in response.content.decode()
    assert PersonalAccessToken.objects.count() == 0


def test_cannot_revoke_someone_elses_token(login_as, api_token, persona):
    api_token("analyst")
    token = PersonalAccessToken.objects.get(user=persona("analyst"))
    client = login_as("police")
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_audit_viewer_filters_paginates_and_exports(login_as):
    client = login_as("coordinator")
    for _ in range(3):
        client.get(reverse("audit_list"))
    response = client.get(reverse("audit_list"), {"action": "login_failed"})
    assert response.status_code == 200
    response = client.get(reverse("audit_list"), {"since": "2026-02-01", "until": "2026-01-01"})
    assert "before the start date" in response.content.decode()
    export = client.get(reverse("audit_export"), {"action": "read"})
    body = b"".join(export.streaming_content).decode()
    assert body.splitlines()[0].startswith("seq,at,actor_username")
    assert "audit_trail" in body
    assert AuditEntry.objects.filter(action="export", object_type="audit_trail").exists()


def test_administrator_sees_only_own_organisation_entries(login_as, persona):
    from palermo.core import audit

    police = persona("police")
    audit.record(
        action="read",
        actor=police,
        organisation=police.organisations()[0],
        object_type="case",
        object_ref="C-POLICE",
    )
    html = login_as("admin").get(reverse("audit_list"), {"object_ref": "C-POLICE"}).content.decode()
    assert "No entries match" in html
    html = (
        login_as("coordinator")
        .get(reverse("audit_list"), {"object_ref": "C-POLICE"})
        .content.decode()
    )
    assert "C-POLICE" in html


def test_interface_is_translatable(client, demo_world):
    # A shipped language (its catalogue is complete, tests/web/test_i18n.py).
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Вхід до Palermo" in html and 'lang="uk"' in html
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in to Palermo" in html


def test_audit_export_does_not_carry_spreadsheet_formulas(client, login_as):
    """A username typed at the login form lands in the audit trail; exported, it must
    open as text, not as a live formula (CSV injection)."""
    import csv
    import io

    attack = '=HYPERLINK("http://example.invalid","open me")'
    client.post("/accounts/login/", {"username": attack, "password": "wrong"})
    export = login_as("coordinator").get(reverse("audit_export"), {"action": "login_failed"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    usernames = [r["actor_username"] for r in rows]
    assert "'" + attack in usernames
    assert not any(u.startswith(("=", "+", "-", "@")) for u in usernames)
