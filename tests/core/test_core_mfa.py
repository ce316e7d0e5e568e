"""Two-step sign-in: the requirement rule, TOTP codes, recovery codes, passkeys and
the HTTP journeys (enrol, sign in, wrong code, required role held, admin reset)."""

from __future__ import annotations

import json
import re
import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.soft_webauthn import SoftAuthenticator

from palermo.core import mfa
from palermo.core.demo import DEMO_PASSWORD
from palermo.core.mfa_models import RecoveryCode, TotpDevice, WebAuthnCredential
from palermo.core.models import AuditEntry
from palermo.core.roles import Role

REQUIRED = ["coordinator", "investigator", "administrator"]
ORIGIN = "http://testserver"

# --- the requirement rule (pure) ---------------------------------------------------------

roles = st.sets(st.sampled_from(Role.values))
# The rule is cheap; only a loaded CI machine makes generation look slow.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@relaxed
@given(held=roles, required=roles)
def test_required_exactly_when_a_held_role_is_required(held, required):
    assert mfa.requires_mfa(held, required) == any(r in required for r in held)


@relaxed
@given(held=roles)
def test_nothing_required_when_no_role_is_configured(held):
    assert not mfa.requires_mfa(held, [])


@relaxed
@given(held=roles, required=roles, extra=roles)
def test_more_roles_never_lower_the_bar(held, required, extra):
    if mfa.requires_mfa(held, required):
        assert mfa.requires_mfa(held | extra, required)


def test_unknown_configured_role_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator", "supervisor"]
    with pytest.raises(ImproperlyConfigured, match="supervisor"):
        mfa.required_roles()


def test_role_in_any_organisation_counts(persona, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["investigator"]
    assert mfa.user_requires_mfa(persona("police"))  # screener and investigator
    assert not mfa.user_requires_mfa(persona("caseworker"))


# --- TOTP codes (pure, explicit clock) ---------------------------------------------------

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # a fixed instant: no dependence on the wall clock


def test_totp_accepts_current_and_adjacent_steps_once():
    totp = pyotp.TOTP(SECRET)
    step = int(NOW // 30)
    assert mfa.totp_match_step(SECRET, totp.at(NOW), now=NOW, last_step=0) == step
    assert mfa.totp_match_step(SECRET, totp.at(NOW - 30), now=NOW, last_step=0) == step - 1
    assert mfa.totp_match_step(SECRET, totp.at(NOW + 30), now=NOW, last_step=0) == step + 1
    # Too old, too new, or already used:
    assert mfa.totp_match_step(SECRET, totp.at(NOW - 90), now=NOW, last_step=0) is None
    assert mfa.totp_match_step(SECRET, totp.at(NOW + 90), now=NOW, last_step=0) is None
    assert mfa.totp_match_step(SECRET, totp.at(NOW), now=NOW, last_step=step) is None


@relaxed
@given(code=st.text(max_size=12))
def test_totp_refuses_anything_but_the_right_six_digits(code):
    right = {pyotp.TOTP(SECRET).at(NOW + d) for d in (-30, 0, 30)}
    result = mfa.totp_match_step(SECRET, code, now=NOW, last_step=0)
    assert (result is not None) == ("".join(code.split()) in right)


def test_recovery_codes_normalise_case_spaces_and_dashes():
    assert mfa.normalise_recovery_code(" ABCD-efgh ijkm-NPQR ") == "abcdefghijkmnpqr"


# --- HTTP journeys -------------------------------------------------------------------------


def password_login(client: Client, username: str, password: str = DEMO_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def enrol_totp(client: Client) -> tuple[str, list[str]]:
    """Set up an authenticator app as the signed-in user, reading the key off the page."""
    page = client.get(reverse("mfa_totp_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html  # the QR code, drawn on the server
    secret = re.search(r'data-totp-secret="([A-Z2-7]+)"', html).group(1)
    done = client.post(reverse("mfa_totp_setup"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.content
    codes = re.findall(
        r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.content.decode()
    )
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    return secret, codes


def next_code(secret: str) -> str:
    # Enrolment spent the current step; the next step's code is inside the window.
    return pyotp.TOTP(secret).at(time.time() + 30)


@pytest.fixture
def enrolled(client, demo_world):
    """The analyst (no required role) with an authenticator app; client signed out."""
    password_login(client, "analyst")
    secret, codes = enrol_totp(client)
    client.post(reverse("logout"))
    return secret, codes


def test_enrolment_is_audited_and_stores_codes_hashed(client, demo_world):
    password_login(client, "analyst")
    secret, codes = enrol_totp(client)
    device = TotpDevice.objects.get(user__username="analyst")
    assert device.secret == secret
    stored = set(RecoveryCode.objects.filter(user=device.user).values_list("digest", flat=True))
    assert len(stored) == len(codes) and not any(
        c.replace("-", "") in d for c in codes for d in stored
    )
    events = [e.details.get("event") for e in AuditEntry.objects.filter(object_type="mfa")]
    assert "enrolled" in events and "recovery_codes_generated" in events


def test_wrong_enrolment_code_is_refused_next_to_the_field(client, demo_world):
    password_login(client, "analyst")
    client.get(reverse("mfa_totp_setup"))
    response = client.post(reverse("mfa_totp_setup"), {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TotpDevice.objects.exists()


def test_login_asks_for_the_second_factor_and_accepts_the_app_code(client, enrolled):
    secret, _codes = enrolled
    response = password_login(client, "analyst")
    assert response.status_code == 302 and response.url == reverse("mfa_verify")
    assert "_auth_user_id" not in client.session  # the password alone did not sign in
    assert client.get(reverse("dashboard")).status_code == 302
    response = client.post(reverse("mfa_verify"), {"code": next_code(secret)})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    verified = AuditEntry.objects.filter(object_type="mfa", action="login").latest("id")
    assert verified.details == {"event": "verified", "factor": "totp", "via": "password"}


def test_wrong_code_is_refused_audited_and_not_signed_in(client, enrolled):
    password_login(client, "analyst")
    response = client.post(reverse("mfa_verify"), {"code": "123456"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action="login_failed").latest("id")
    assert failed.actor_username == "analyst" and failed.object_type == "mfa"
    assert failed.details == {"event": "verify_failed", "factor": "totp"}


def test_recovery_code_works_once(client, enrolled):
    _secret, codes = enrolled
    password_login(client, "analyst")
    response = client.post(reverse("mfa_verify"), {"code": codes[0].upper()})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    used = AuditEntry.objects.filter(object_type="mfa", action="login").order_by("id")
    assert [e.details["event"] for e in used] == ["recovery_code_used", "verified"]
    assert used[0].details["remaining"] == mfa.RECOVERY_CODE_COUNT - 1
    client.post(reverse("logout"))
    password_login(client, "analyst")
    again = client.post(reverse("mfa_verify"), {"code": codes[0]})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_regenerating_recovery_codes_replaces_the_old_ones(client, enrolled):
    secret, old = enrolled
    password_login(client, "analyst")
    client.post(reverse("mfa_verify"), {"code": next_code(secret)})
    page = client.post(reverse("mfa_recovery_codes"))
    new = re.findall(r"<code>([a-z2-9-]{19})</code>", page.content.decode())
    assert len(new) == mfa.RECOVERY_CODE_COUNT and not set(new) & set(old)
    user = TotpDevice.objects.get().user
    assert not mfa.recovery_code_use(user=user, code=old[1])
    assert mfa.recovery_code_use(user=user, code=new[1])


def test_pending_sign_in_expires(client, enrolled):
    secret, _codes = enrolled
    password_login(client, "analyst")
    session = client.session
    session["palermo_mfa_pending"]["at"] -= 301
    session.save()
    response = client.post(reverse("mfa_verify"), {"code": next_code(secret)})
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_required_role_is_held_on_enrolment_until_enrolled(client, demo_world, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = REQUIRED
    response = password_login(client, "coordinator")
    assert response.status_code == 302 and response.url == reverse("mfa_setup")
    for name in ("dashboard", "audit_list", "token_list"):
        held = client.get(reverse(name))
        assert held.status_code == 302 and held.url == reverse("mfa_setup"), name
    api = client.get("/api/v1/organisations")
    assert api.status_code == 403
    assert "requires two-step sign-in" in client.get(reverse("mfa_setup")).content.decode()
    secret, _codes = enrol_totp(client)
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    # Thereafter every login asks for the second factor.
    assert password_login(client, "coordinator").url == reverse("mfa_verify")
    client.post(reverse("mfa_verify"), {"code": next_code(secret)})
    assert client.get(reverse("audit_list")).status_code == 200


def test_role_without_requirement_signs_in_with_password_only(client, demo_world, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = REQUIRED
    response = password_login(client, "caseworker")
    assert response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_required_user_cannot_remove_the_last_factor(client, demo_world, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = REQUIRED
    password_login(client, "coordinator")
    enrol_totp(client)
    response = client.post(reverse("mfa_totp_remove"), follow=True)
    assert "set up another method before removing" in response.content.decode()
    assert TotpDevice.objects.filter(user__username="coordinator").exists()


def test_admin_resets_a_users_two_step_sign_in(client, demo_world, settings, login_as):
    settings.PALERMO_MFA_REQUIRED_ROLES = REQUIRED
    worker = Client()
    password_login(worker, "coordinator")
    enrol_totp(worker)
    coordinator = TotpDevice.objects.get().user
    admin = login_as("admin")
    session = admin.session
    session["palermo_mfa"] = "totp"  # the administrator passed their own second step
    session.save()
    response = admin.post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_step", "_selected_action": [coordinator.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Two-step sign-in was reset for 1 user" in response.content.decode()
    assert (
        not mfa.factors_of(coordinator).enrolled
        and not RecoveryCode.objects.filter(user=coordinator).exists()
    )
    entry = AuditEntry.objects.filter(object_type="mfa", action="delete").latest("id")
    assert entry.actor_username == "admin" and entry.object_ref == str(coordinator.pk)
    assert entry.details["event"] == "reset" and entry.details["totp"] == 1
    # The coordinator enrols again at the next sign-in.
    again = Client()
    assert password_login(again, "coordinator").url == reverse("mfa_setup")


def test_non_administrator_cannot_reset(persona, login_as):
    device = TotpDevice.objects.create(user=persona("analyst"), secret=SECRET)
    response = login_as("coordinator").post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_step", "_selected_action": [device.user.pk]},
    )
    assert response.status_code == 403
    assert TotpDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(object_type="mfa", action="delete").exists()


# --- passkeys (software authenticator, real signatures) -----------------------------------


def register_passkey(client: Client, authenticator: SoftAuthenticator, name: str = "desk key"):
    options = client.post(reverse("mfa_passkey_register_options")).json()
    credential = authenticator.register(options, origin=ORIGIN)
    return client.post(
        reverse("mfa_passkey_register"),
        data=json.dumps({"name": name, "credential": credential}),
        content_type="application/json",
    )


def passkey_login(client: Client, authenticator: SoftAuthenticator, **kwargs):
    password_login(client, "analyst")
    options = client.post(reverse("mfa_passkey_options")).json()
    assertion = authenticator.assert_(options, origin=kwargs.pop("origin", ORIGIN), **kwargs)
    return client.post(
        reverse("mfa_passkey_verify"), data=json.dumps(assertion), content_type="application/json"
    )


def test_passkey_registration_and_sign_in(client, demo_world):
    password_login(client, "analyst")
    key = SoftAuthenticator()
    response = register_passkey(client, key)
    assert response.status_code == 200, response.content
    assert response.json()["redirect"] == reverse("mfa_new_codes")
    codes_page = client.get(reverse("mfa_new_codes"))
    assert len(re.findall(r"<code>[a-z2-9-]{19}</code>", codes_page.content.decode())) == 10
    assert client.get(reverse("mfa_new_codes")).status_code == 302  # shown once
    cred = WebAuthnCredential.objects.get()
    assert cred.name == "desk key" and cred.sign_count == 0
    client.post(reverse("logout"))
    response = passkey_login(client, key)
    assert response.status_code == 200 and response.json()["redirect"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    cred.refresh_from_db()
    assert cred.sign_count == 1 and cred.last_used_at is not None


def test_passkey_signed_by_another_key_is_refused(client, demo_world):
    from cryptography.hazmat.primitives.asymmetric import ec

    password_login(client, "analyst")
    key = SoftAuthenticator()
    register_passkey(client, key)
    client.post(reverse("logout"))
    response = passkey_login(client, key, key=ec.generate_private_key(ec.SECP256R1()))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert (
        AuditEntry.objects.filter(action="login_failed").latest("id").details["factor"]
        == "webauthn"
    )


def test_passkey_from_another_origin_is_refused(client, demo_world):
    password_login(client, "analyst")
    key = SoftAuthenticator()
    register_passkey(client, key)
    client.post(reverse("logout"))
    response = passkey_login(client, key, origin="https://phishing.example")
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_registration_with_a_stale_challenge_is_refused(client, demo_world):
    password_login(client, "analyst")
    options = client.post(reverse("mfa_passkey_register_options")).json()
    client.post(reverse("mfa_passkey_register_options"))  # a new challenge replaces it
    credential = SoftAuthenticator().register(options, origin=ORIGIN)
    response = client.post(
        reverse("mfa_passkey_register"),
        data=json.dumps({"name": "x", "credential": credential}),
        content_type="application/json",
    )
    assert response.status_code == 400 and not WebAuthnCredential.objects.exists()
