"""Single sign-on against a real OpenID Connect provider run on 127.0.0.1 in the test
(tests/security/oidc_provider.py): Authlib fetches discovery and keys, exchanges the
code over HTTP and checks the RS256 ID token. Identity only: an unknown identity is
refused, nothing is created, and forged or replayed tokens are refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from django.test import Client
from django.urls import reverse

from palermo.core import oidc
from palermo.core.mfa_models import OidcIdentity, TotpDevice
from palermo.core.models import AuditEntry, Membership, User
from tests.conftest import needs_french
from tests.security.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.waits import WAIT_SECONDS


@pytest.fixture
def provider(settings, demo_world):
    with OidcProvider() as p:
        settings.PALERMO_OIDC_DISCOVERY_URL = p.url  # the issuer; discovery path is added
        settings.PALERMO_OIDC_CLIENT_ID = CLIENT_ID
        settings.PALERMO_OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.PALERMO_OIDC_LABEL = "Test State ID"
        yield p


def sso(client: Client, provider: OidcProvider):
    """Start at Palermo, 'sign in' at the provider, come back to the callback."""
    start = client.get(reverse("oidc_login"))
    assert start.status_code == 302 and start.url.startswith(provider.url + "/authorize")
    query = parse_qs(urlsplit(start.url).query)
    assert query["scope"] == ["openid email profile"] and query["nonce"] and query["state"]
    at_idp = requests.get(start.url, allow_redirects=False, timeout=WAIT_SECONDS)
    back = urlsplit(at_idp.headers["Location"])
    assert back.path == reverse("oidc_callback")
    return client.get(f"{back.path}?{back.query}")


def link(username: str, provider: OidcProvider, subject: str = "idp-subject-1") -> User:
    user = User.objects.get(username=username)
    OidcIdentity.objects.create(user=user, issuer=provider.url, subject=subject)
    return user


def test_button_only_when_configured(client, settings, db):
    settings.PALERMO_OIDC_DISCOVERY_URL = ""
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_login")).status_code == 404
    settings.PALERMO_OIDC_DISCOVERY_URL = "https://id.example.gov"
    settings.PALERMO_OIDC_CLIENT_ID = "palermo"
    settings.PALERMO_OIDC_LABEL = "State ID"
    assert "Sign in with State ID" in client.get(reverse("login")).content.decode()


def test_linked_identity_signs_in(client, provider):
    link("caseworker", provider)
    response = sso(client, provider)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200 and "Safe Harbour Shelter NGO" in page.content.decode()
    login = AuditEntry.objects.filter(action="login").latest("id")
    assert login.actor_username == "caseworker"
    assert OidcIdentity.objects.get().last_login_at is not None


def test_unknown_identity_is_refused_and_nothing_is_created(client, provider):
    users, memberships = User.objects.count(), Membership.objects.count()
    response = sso(client, provider)
    assert response.status_code == 403
    assert "No Palermo account is linked to this identity" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    entry = AuditEntry.objects.filter(action="login_failed").latest("id")
    assert entry.details == {"via": "oidc", "reason": "unknown_identity"}


def test_link_by_verified_email_when_the_deployment_allows_it(client, provider, settings):
    settings.PALERMO_OIDC_LINK_BY_EMAIL = True
    provider.claims = {"sub": "idp-77", "email": "Analyst@example.org", "email_verified": True}
    response = sso(client, provider)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    ident = OidcIdentity.objects.get()
    assert (ident.user.username, ident.subject, ident.issuer) == ("analyst", "idp-77", provider.url)
    assert AuditEntry.objects.filter(object_type="oidc_identity", action="create").exists()


@pytest.mark.parametrize("verified", [False, "true", None])
def test_unverified_email_never_links(client, provider, settings, verified):
    settings.PALERMO_OIDC_LINK_BY_EMAIL = True
    provider.claims = {"sub": "idp-78", "email": "analyst@example.org", "email_verified": verified}
    assert sso(client, provider).status_code == 403
    assert not OidcIdentity.objects.exists()


def test_email_never_relinks_an_account_linked_to_another_subject(client, provider, settings):
    settings.PALERMO_OIDC_LINK_BY_EMAIL = True
    link("analyst", provider, subject="the-real-analyst")
    provider.claims = {
        "sub": "someone-else",
        "email": "analyst@example.org",
        "email_verified": True,
    }
    assert sso(client, provider).status_code == 403
    assert OidcIdentity.objects.count() == 1


def test_email_link_is_off_by_default(client, provider):
    provider.claims = {"sub": "idp-79", "email": "analyst@example.org", "email_verified": True}
    assert sso(client, provider).status_code == 403


@pytest.mark.parametrize(
    "misbehaviour, error",
    [
        ("sign_with_forger_key", "BadSignatureError"),
        ("wrong_nonce", "InvalidClaimError"),  # a replayed or injected token
        ("wrong_issuer", "InvalidClaimError"),
        ("wrong_audience", "InvalidClaimError"),
        ("foreign_audience_with_azp", "InvalidClaimError"),
    ],
)
def test_forged_or_misdirected_tokens_are_refused(client, provider, misbehaviour, error):
    link("caseworker", provider)
    setattr(provider, misbehaviour, True)
    response = sso(client, provider)
    assert response.status_code == 403
    assert "Sign-in through the identity service failed" in response.content.decode()
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(action="login_failed").latest("id")
    assert entry.details == {"via": "oidc", "reason": f"invalid_response:{error}"}


def test_callback_with_a_foreign_state_is_refused(client, provider):
    link("caseworker", provider)
    victim = Client()
    start = victim.get(reverse("oidc_login"))
    at_idp = requests.get(start.url, allow_redirects=False, timeout=WAIT_SECONDS)
    back = urlsplit(at_idp.headers["Location"])
    # An attacker makes the victim's browser land on *their* code (login CSRF): the
    # state is not in this browser's session, so nothing happens.
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert provider.token_requests == 0


def test_inactive_user_is_refused(client, provider):
    user = link("caseworker", provider)
    user.is_active = False
    user.save()
    assert sso(client, provider).status_code == 403


def test_required_role_still_asks_for_palermo_second_factor(client, provider, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    user = link("coordinator", provider)
    TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    response = sso(client, provider)
    assert response.status_code == 302 and response.url == reverse("mfa_verify")
    assert "_auth_user_id" not in client.session


def test_trusted_idp_mfa_satisfies_the_requirement(client, provider, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    settings.PALERMO_OIDC_TRUSTED_AMR = ["hwk", "mfa"]
    link("coordinator", provider)
    provider.claims = {"sub": "idp-subject-1", "amr": ["pwd", "hwk"]}
    response = sso(client, provider)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.get(reverse("audit_list")).status_code == 200
    verified = AuditEntry.objects.filter(object_type="mfa", action="login").latest("id")
    assert verified.details == {"event": "verified", "factor": "oidc", "via": "oidc"}


def test_untrusted_amr_does_not_satisfy_the_requirement(client, provider, settings):
    settings.PALERMO_MFA_REQUIRED_ROLES = ["coordinator"]
    settings.PALERMO_OIDC_TRUSTED_AMR = ["hwk"]
    link("coordinator", provider)
    provider.claims = {"sub": "idp-subject-1", "amr": ["pwd", "otp"]}
    response = sso(client, provider)
    assert response.url == reverse("mfa_setup")
    assert client.get(reverse("dashboard")).url == reverse("mfa_setup")


def test_idp_mfa_rule():
    assert oidc.idp_mfa_satisfied({"amr": ["pwd", "hwk"]}, ["hwk"], [])
    assert oidc.idp_mfa_satisfied({"acr": "eidas-high"}, [], ["eidas-high"])
    assert not oidc.idp_mfa_satisfied({"amr": ["pwd"]}, ["hwk"], ["eidas-high"])
    assert not oidc.idp_mfa_satisfied(
        {"amr": ["hwk"], "acr": "x"}, [], []
    )  # nothing trusted by default
    assert not oidc.idp_mfa_satisfied({"amr": {"hwk": 1}}, ["hwk"], [])  # malformed
    assert not oidc.idp_mfa_satisfied({"acr": ""}, [], [""])


def test_sso_keeps_a_safe_next_and_drops_a_foreign_one(client, provider):
    link("caseworker", provider)
    start = client.get(reverse("oidc_login"), {"next": reverse("token_list")})
    at_idp = requests.get(start.url, allow_redirects=False, timeout=WAIT_SECONDS)
    back = urlsplit(at_idp.headers["Location"])
    assert client.get(f"{back.path}?{back.query}").url == reverse("token_list")
    client.post(reverse("logout"))
    start = client.get(reverse("oidc_login"), {"next": "https://evil.example/"})
    at_idp = requests.get(start.url, allow_redirects=False, timeout=WAIT_SECONDS)
    back = urlsplit(at_idp.headers["Location"])
    assert client.get(f"{back.path}?{back.query}").url == reverse("dashboard")


def test_unreachable_provider_is_a_clear_message(client, settings, db):
    settings.PALERMO_OIDC_DISCOVERY_URL = "http://127.0.0.1:9/"  # nothing listens there
    settings.PALERMO_OIDC_CLIENT_ID = "palermo-unreachable"
    response = client.get(reverse("oidc_login"))
    assert response.status_code == 502
    assert "The identity service cannot be reached" in response.content.decode()


@needs_french
def test_sign_in_page_in_french(client, provider):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Se connecter avec Test State ID" in page.content.decode()
