"""Security regressions for two-step sign-in: lock-out counts wrong second factors,
codes cannot be replayed, the password alone opens nothing, recovery codes are never
stored in clear, a passkey answers only for its owner, and API tokens stay the
machine path."""

from __future__ import annotations

import json
import time

import pyotp
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from palermo.core import mfa
from palermo.core.demo import DEMO_PASSWORD
from palermo.core.mfa_models import TotpDevice
from palermo.core.models import AuditEntry, User
from tests.security.soft_webauthn import SoftAuthenticator

ORIGIN = "http://testserver"


def password_login(client: Client, username: str, password: str = DEMO_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


@pytest.fixture
def analyst_totp(demo_world):
    """The analyst with an authenticator app whose last used step is long past."""
    secret = pyotp.random_base32(32)
    TotpDevice.objects.create(user=User.objects.get(username="analyst"), secret=secret)
    return secret


def test_wrong_second_factors_lock_the_account_like_wrong_passwords(client, analyst_totp, settings):
    password_login(client, "analyst")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("mfa_verify"), {"code": "000000"}).status_code == 200
    locked = client.post(reverse("mfa_verify"), {"code": "000000"})
    assert locked.status_code == 429
    # The pending sign-in is gone; the right code no longer helps, nor the password.
    again = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(analyst_totp).now()})
    assert again.status_code == 302 and again.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert password_login(client, "analyst").status_code == 429
    assert "_auth_user_id" not in client.session
    failures = AuditEntry.objects.filter(action="login_failed", object_type="mfa")
    assert failures.count() == settings.AXES_FAILURE_LIMIT


def test_second_step_refused_once_locked_by_wrong_passwords(client, analyst_totp, settings):
    password_login(client, "analyst")  # right password: waiting for the code
    guesser = Client()  # same address, guessing the password meanwhile
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_login(guesser, "analyst", "not-the-password")
    response = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(analyst_totp).now()})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_a_totp_code_is_accepted_once(client, analyst_totp):
    code = pyotp.TOTP(analyst_totp).now()
    password_login(client, "analyst")
    assert client.post(reverse("mfa_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    other = Client()  # an onlooker who saw the code
    password_login(other, "analyst")
    replay = other.post(reverse("mfa_verify"), {"code": code})
    assert replay.status_code == 200 and "_auth_user_id" not in other.session


def test_password_alone_opens_neither_pages_nor_api(client, analyst_totp):
    password_login(client, "analyst")
    assert client.get(reverse("dashboard")).status_code == 302
    assert client.get("/api/v1/organisations").status_code == 401
    assert client.get(reverse("mfa_setup")).status_code == 302  # not a signed-in page either


def test_session_without_second_factor_is_signed_out(client, analyst_totp):
    # A session made around the login view (here force_login) for an enrolled
    # account must not reach anything.
    client.force_login(User.objects.get(username="analyst"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url
    assert "_auth_user_id" not in client.session


def test_totp_secret_is_sealed_at_rest_and_still_verifies(client, analyst_totp):
    """A database dump alone cannot mint codes: the shared secret is encrypted like personal fields."""
    with connection.cursor() as cur:
        cur.execute("SELECT secret FROM core_totpdevice")
        (stored,) = cur.fetchone()
    assert analyst_totp not in stored and stored.startswith("ev1:")
    assert TotpDevice.objects.get().secret == analyst_totp  # opened by the application
    password_login(client, "analyst")
    resp = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(analyst_totp).now()})
    assert resp.status_code == 302 and client.get("/dashboard/").status_code == 200


def test_recovery_codes_are_never_stored_in_clear(client, demo_world):
    user = User.objects.get(username="analyst")
    TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    codes = mfa.recovery_codes_generate(actor=user)
    with connection.cursor() as cur:
        cur.execute("SELECT digest FROM core_recoverycode")
        stored = " ".join(r[0] for r in cur.fetchall())
        cur.execute("SELECT details FROM core_auditentry")
        trail = " ".join(str(r[0]) for r in cur.fetchall())
    for code in codes:
        assert code not in stored and mfa.normalise_recovery_code(code) not in stored
        assert code not in trail and mfa.normalise_recovery_code(code) not in trail


def test_another_users_passkey_cannot_finish_this_sign_in(client, demo_world):
    mallory_key = SoftAuthenticator()
    mallory = Client()
    password_login(mallory, "caseworker")
    options = mallory.post(reverse("mfa_passkey_register_options")).json()
    mallory.post(
        reverse("mfa_passkey_register"),
        data=json.dumps({"name": "m", "credential": mallory_key.register(options, origin=ORIGIN)}),
        content_type="application/json",
    )
    TotpDevice.objects.create(
        user=User.objects.get(username="analyst"), secret=pyotp.random_base32(32)
    )
    password_login(client, "analyst")  # the attacker knows the analyst's password
    options = client.post(reverse("mfa_passkey_options")).json()
    response = client.post(
        reverse("mfa_passkey_verify"),
        data=json.dumps(mallory_key.assert_(options, origin=ORIGIN)),
        content_type="application/json",
    )
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_a_passkey_assertion_cannot_be_replayed(client, demo_world):
    key = SoftAuthenticator()
    password_login(client, "analyst")
    options = client.post(reverse("mfa_passkey_register_options")).json()
    client.post(
        reverse("mfa_passkey_register"),
        data=json.dumps({"name": "k", "credential": key.register(options, origin=ORIGIN)}),
        content_type="application/json",
    )
    client.post(reverse("logout"))
    password_login(client, "analyst")
    options = client.post(reverse("mfa_passkey_options")).json()
    assertion = json.dumps(key.assert_(options, origin=ORIGIN))
    assert (
        client.post(
            reverse("mfa_passkey_verify"), data=assertion, content_type="application/json"
        ).status_code
        == 200
    )
    client.post(reverse("logout"))
    thief = Client()
    password_login(thief, "analyst")
    thief.post(reverse("mfa_passkey_options"))
    replay = thief.post(
        reverse("mfa_passkey_verify"), data=assertion, content_type="application/json"
    )
    assert replay.status_code == 400 and "_auth_user_id" not in thief.session


def test_second_step_keeps_the_safe_next_and_drops_a_foreign_one(client, analyst_totp):
    password_login(client, "analyst", next="https://evil.example/phish")
    done = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(analyst_totp).now()})
    assert done.url == reverse("dashboard")
    client.post(reverse("logout"))
    password_login(client, "analyst", next=reverse("token_list"))
    done = client.post(
        reverse("mfa_verify"), {"code": pyotp.TOTP(analyst_totp).at(time.time() + 30)}
    )
    assert done.url == reverse("token_list")


def test_api_tokens_remain_the_machine_path(client, api_token, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    token = api_token("coordinator")  # made before; scripts keep working without MFA
    response = client.get("/api/v1/organisations", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_required_user_session_reaches_no_api_until_enrolled(client, demo_world, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    password_login(client, "coordinator")
    assert client.get("/api/v1/organisations").status_code == 403
    assert client.post(reverse("token_list"), {"name": "x"}).status_code == 302  # no token minting
    assert not User.objects.get(username="coordinator").api_tokens.exists()


def test_session_key_changes_at_the_password_step(client, analyst_totp):
    session = client.session  # the test client sets this session's cookie
    session["planted"] = True
    session.save()
    planted = session.session_key
    password_login(client, "analyst")
    assert client.session.session_key != planted
    assert "palermo_mfa_pending" in client.session
