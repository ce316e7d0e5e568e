"""Single sign-on with the deployment's OpenID Connect provider (Authlib client).

Identity only. The provider says *who* signs in; organisations and roles are still
granted in Palermo. A provider identity maps to a Palermo user by the pair
(issuer, ``sub``) stored in ``OidcIdentity``: linked by an administrator, or, when
``PALERMO_OIDC_LINK_BY_EMAIL`` is on, on first sign-in to the one active user whose
e-mail equals the provider's *verified* e-mail. Anyone else is refused; no account
and no role is ever created from a token.

Authlib checks the ID token: signature against the provider's published keys
(``none`` and HMAC-with-public-key tricks refused), issuer, audience, expiry, and the
nonce stored in this session; ``state`` protects the redirect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.mfa_models import OidcIdentity
from palermo.core.policy import public

_NEXT_KEY = "palermo_oidc_next"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_clients: dict[tuple[str, ...], Any] = {}


def enabled() -> bool:
    return bool(
        getattr(settings, "PALERMO_OIDC_DISCOVERY_URL", "")
        and getattr(settings, "PALERMO_OIDC_CLIENT_ID", "")
    )


def label() -> str:
    return getattr(settings, "PALERMO_OIDC_LABEL", "") or _("your organisation's identity service")


def discovery_url() -> str:
    url = str(settings.PALERMO_OIDC_DISCOVERY_URL).rstrip("/")
    if not url.endswith("/.well-known/openid-configuration"):
        url += "/.well-known/openid-configuration"  # an issuer URL was given
    return url


def client() -> Any:
    key = (
        discovery_url(),
        settings.PALERMO_OIDC_CLIENT_ID,
        settings.PALERMO_OIDC_CLIENT_SECRET,
        settings.PALERMO_OIDC_SCOPES,
    )
    if key not in _clients:
        from authlib.integrations.django_client import OAuth  # imported when SSO is used

        oauth = OAuth()
        oauth.register(
            "palermo_idp",
            client_id=settings.PALERMO_OIDC_CLIENT_ID,
            client_secret=settings.PALERMO_OIDC_CLIENT_SECRET,
            server_metadata_url=key[0],
            client_kwargs={"scope": settings.PALERMO_OIDC_SCOPES, "timeout": 10},
        )
        _clients[key] = oauth.create_client("palermo_idp")
    return _clients[key]


def _client_errors() -> tuple[type[Exception], ...]:
    """What a misbehaving provider or network raises through Authlib."""
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    return (AuthlibBaseError, JoseError, requests.RequestException)


# --- pure rules -------------------------------------------------------------------------------


def idp_mfa_satisfied(
    claims: Mapping[str, Any], trusted_amr: Iterable[str], trusted_acr: Iterable[str]
) -> bool:
    """Does the provider's own sign-in count as Palermo's second factor?

    Only when the deployment names the ``amr`` methods or ``acr`` levels it trusts
    and the ID token carries one of them. Nothing is trusted by default.
    """
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if not isinstance(amr, list):
        amr = []
    if set(map(str, amr)) & set(trusted_amr):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr != "" and acr in set(trusted_acr)


def user_for_identity(*, issuer: str, claims: Mapping[str, Any], request: Any = None) -> Any | None:
    """The Palermo user this provider identity belongs to, or None (refused)."""
    subject = str(claims.get("sub") or "")
    if not subject:
        return None
    with transaction.atomic():
        link = (
            OidcIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if link is not None:
            link.last_login_at = timezone.now()
            link.save(update_fields=["last_login_at"])
            return link.user if link.user.is_active else None
        if not getattr(settings, "PALERMO_OIDC_LINK_BY_EMAIL", False):
            return None
        email = claims.get("email")
        if (
            claims.get("email_verified") is not True
            or not isinstance(email, str)
            or "@" not in email
        ):
            return None
        matches = list(
            get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)[:2]
        )
        if len(matches) != 1:
            return None  # none, or ambiguous: an administrator links by hand
        user = matches[0]
        if OidcIdentity.objects.filter(user=user, issuer=issuer).exists():
            return None  # already linked to another subject: never re-link silently
        link = OidcIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, last_login_at=timezone.now()
        )
        audit.record(
            action="create",
            actor=user,
            object_type="oidc_identity",
            object_ref=str(link.pk),
            details={"via": "verified_email"},
            request=request,
        )
        return user


# --- views ---------------------------------------------------------------------------------------


def _refuse(request: HttpRequest, reason: str, message: str, status: int = 403) -> HttpResponse:
    audit.record(
        action="login_failed",
        outcome="failed",
        object_type="user",
        request=request,
        details={"via": "oidc", "reason": reason},
    )
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "oidc_enabled": enabled(),
            "oidc_label": label(),
            "oidc_error": message,
            "next": "",
        },
        status=status,
    )


@public("single sign-on: redirect to the identity provider")
def oidc_login(request: HttpRequest) -> HttpResponse:
    if not enabled():
        raise Http404
    from palermo.core.mfa_views import _safe_next

    request.session[_NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    try:
        return client().authorize_redirect(
            request, request.build_absolute_uri(reverse("oidc_callback"))
        )
    except (*_client_errors(), ValueError, KeyError) as exc:
        return _refuse(
            request,
            f"provider_unreachable:{type(exc).__name__}",
            _(
                "The identity service cannot be reached. Try again later or sign in with your password."
            ),
            status=502,
        )


@public("single sign-on: the identity provider returns here")
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not enabled():
        raise Http404
    failed = _(
        "Sign-in through the identity service failed. Try again, or sign in with your password."
    )
    c = client()
    try:
        issuer = str(c.load_server_metadata()["issuer"])
        token = c.authorize_access_token(
            request,
            # Authlib's OIDC checks accept a foreign audience when `azp` names us: the
            # audience must contain this client, as OpenID Connect Core 3.1.3.7 says.
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "values": [settings.PALERMO_OIDC_CLIENT_ID]},
                "sub": {"essential": True},
            },
        )
    except (
        *_client_errors(),
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        return _refuse(request, f"invalid_response:{type(exc).__name__}", failed)
    claims = token.get("userinfo")
    if not claims:
        return _refuse(request, "no_id_token", failed)
    user = user_for_identity(issuer=issuer, claims=claims, request=request)
    if user is None:
        return _refuse(
            request,
            "unknown_identity",
            _(
                "No Palermo account is linked to this identity. Ask your Palermo administrator to link it; "
                "organisations and roles are granted in Palermo."
            ),
        )
    from palermo.core.mfa_views import after_first_factor

    trusted = idp_mfa_satisfied(
        claims, settings.PALERMO_OIDC_TRUSTED_AMR, settings.PALERMO_OIDC_TRUSTED_ACR
    )
    next_url = request.session.pop(_NEXT_KEY, None) or reverse(settings.LOGIN_REDIRECT_URL)
    return after_first_factor(
        request,
        user,
        backend=_MODEL_BACKEND,
        next_url=next_url,
        via="oidc",
        second_factor="oidc" if trusted else None,
    )
