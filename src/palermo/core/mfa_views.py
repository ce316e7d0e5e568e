"""Two-step sign-in in the request cycle: the login view, the second-factor step,
enrolment pages, and the middleware that holds a session to them.

The password (or the identity provider) is the first factor. When the account has a
second factor, the password does **not** sign in: the user id waits in the session
("pending", 5 minutes) until a TOTP code, a passkey or a recovery code is checked;
only then does Django's ``login()`` run. A user whose role requires MFA but who has
not enrolled is signed in and held by ``MfaMiddleware`` on the enrolment pages until
a factor is set up.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palermo.core import mfa, oidc
from palermo.core.mfa_models import WebAuthnCredential
from palermo.core.policy import authenticated, public
from palermo.core.request import PalermoRequest, SignedInRequest


def bytes_to_base64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


def base64url_to_bytes(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


PENDING_KEY = "palermo_mfa_pending"  # {"uid", "backend", "next", "at", "via"}
MFA_OK_KEY = "palermo_mfa"  # how this session passed the second step
PENDING_SECONDS = 300
_TOTP_SETUP_KEY = "palermo_totp_setup"
_WEBAUTHN_REG_KEY = "palermo_webauthn_reg"
_WEBAUTHN_AUTH_KEY = "palermo_webauthn_auth"
_NEXT_KEY = "palermo_mfa_next"

# Pages a session that still owes a second factor may reach.
MFA_EXEMPT_URL_NAMES = frozenset(
    {
        "login",
        "logout",
        "healthz",
        "mfa_verify",
        "mfa_passkey_options",
        "mfa_passkey_verify",
        "mfa_setup",
        "mfa_totp_setup",
        "mfa_recovery_codes",
        "mfa_passkey_register_options",
        "mfa_passkey_register",
        "oidc_login",
        "oidc_callback",
    }
)


# --- the first factor hands over here ------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def after_first_factor(
    request: HttpRequest,
    user: Any,
    *,
    backend: str,
    next_url: str,
    via: str,
    second_factor: str | None = None,
) -> HttpResponse:
    """Finish a sign-in whose first factor (password or identity provider) succeeded."""
    request.session.pop(PENDING_KEY, None)
    if second_factor is None and mfa.is_enrolled(user):
        # A new session key for the half-signed-in state: a session id planted
        # before the password does not carry over (login() cycles it again).
        request.session.cycle_key()
        request.session[PENDING_KEY] = {
            "uid": user.pk,
            "backend": backend,
            "next": next_url,
            "at": time.time(),
            "via": via,
        }
        return redirect("mfa_verify")
    if second_factor is not None:
        mfa.audit_event(user, "verified", request=request, factor=second_factor, via=via)
    auth_login(request, user, backend=backend)
    if second_factor is not None:
        request.session[MFA_OK_KEY] = second_factor
        return redirect(next_url)
    if mfa.user_requires_mfa(user):
        request.session[_NEXT_KEY] = next_url
        messages.info(request, _("Your role requires two-step sign-in. Set it up to continue."))
        return redirect("mfa_setup")
    return redirect(next_url)


class LoginView(auth_views.LoginView):
    """Django's login form, with the second step and the single sign-on button."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        return after_first_factor(
            self.request,
            user,
            backend=user.backend,
            next_url=self.get_success_url(),
            via="password",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["oidc_enabled"] = oidc.enabled()
        ctx["oidc_label"] = oidc.label()
        ctx["demo_logins"] = _demo_logins()
        if ctx["demo_logins"]:
            from palermo.core.demo import DEMO_PASSWORD

            ctx["demo_password"] = DEMO_PASSWORD
        return ctx


def _demo_logins() -> list[tuple[str, str, str]]:
    """On the demo only: the fictional users someone trying Palermo can sign in as, and
    what each does (the password is the one printed by `palermo demo` and in the README).
    Only users the demo data created; none in an exercise or a real deployment."""
    if not settings.PALERMO_DEMO or settings.PALERMO_EXERCISE:
        return []
    from palermo.core.demo import demo_people

    people = demo_people()
    there = set(
        get_user_model()
        .objects.filter(username__in=[u for u, _r, _o in people], is_active=True)
        .values_list("username", flat=True)
    )
    return [person for person in people if person[0] in there]


login = public("signing in")(LoginView.as_view())


def _pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=data.get("uid"), is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return user, data


def _complete(request: HttpRequest, user: Any, data: dict[str, Any], factor: str) -> str:
    request.session.pop(PENDING_KEY, None)
    mfa.audit_event(user, "verified", request=request, factor=factor, via=data.get("via", ""))
    auth_login(request, user, backend=data["backend"])
    request.session[MFA_OK_KEY] = factor
    return str(data.get("next") or reverse(settings.LOGIN_REDIRECT_URL))


def _locked(request: HttpRequest, user: Any) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def _locked_response(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)


# --- the second step at sign-in -----------------------------------------------------------


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


@public("second sign-in step: the password was right, the second factor is asked here")
def mfa_verify(request: PalermoRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.error(request, _("Your sign-in has expired. Please sign in again."))
        return redirect("login")
    user, data = pending
    if _locked(request, user):
        return _locked_response(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        compact = "".join(code.split())
        if compact.isdigit() and len(compact) == mfa.TOTP_DIGITS:
            factor, ok = "totp", mfa.totp_verify(user=user, code=compact)
        else:
            factor, ok = (
                "recovery_code",
                mfa.recovery_code_use(user=user, code=code, request=request),
            )
        if ok:
            return redirect(_complete(request, user, data, factor))
        mfa.second_factor_failed(request, user, factor)
        if getattr(request, "axes_locked_out", False):
            return _locked_response(request)
        form.add_error("code", _("That code is not right. Try the newest code from your app."))
    factors = mfa.factors_of(user)
    return render(request, "core/mfa_verify.html", {"form": form, "factors": factors})


def _rp(request: HttpRequest) -> tuple[str, str]:
    host = request.get_host()
    rp_id = getattr(settings, "PALERMO_WEBAUTHN_RP_ID", "") or host.rsplit(":", 1)[0].strip("[]")
    return rp_id, f"{request.scheme}://{host}"


@public("second sign-in step: passkey challenge for the pending sign-in")
@require_POST
def mfa_passkey_options(request: PalermoRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return JsonResponse(
            {"error": _("Your sign-in has expired. Please sign in again.")}, status=400
        )
    rp_id, _origin = _rp(request)
    options, challenge = mfa.webauthn_authentication_options(user=pending[0], rp_id=rp_id)
    request.session[_WEBAUTHN_AUTH_KEY] = bytes_to_base64url(challenge)
    return HttpResponse(options, content_type="application/json")


@public("second sign-in step: passkey answer for the pending sign-in")
@require_POST
def mfa_passkey_verify(request: PalermoRequest) -> HttpResponse:
    pending = _pending(request)
    challenge = request.session.pop(_WEBAUTHN_AUTH_KEY, None)
    if pending is None or not challenge:
        return JsonResponse(
            {"error": _("Your sign-in has expired. Please sign in again.")}, status=400
        )
    user, data = pending
    if _locked(request, user):
        request.session.pop(PENDING_KEY, None)
        return JsonResponse({"error": _("Too many failed sign-in attempts.")}, status=429)
    rp_id, origin = _rp(request)
    ok = mfa.webauthn_authenticate(
        user=user,
        credential=request.body.decode("utf-8", "replace"),
        challenge=base64url_to_bytes(challenge),
        rp_id=rp_id,
        origin=origin,
    )
    if not ok:
        mfa.second_factor_failed(request, user, "webauthn")
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
        return JsonResponse({"error": _("The passkey was not accepted.")}, status=400)
    return JsonResponse({"redirect": _complete(request, user, data, "webauthn")})


# --- enrolment and management (signed in) --------------------------------------------------


def _continue_url(request: HttpRequest) -> str:
    return _safe_next(request, request.session.get(_NEXT_KEY))


@authenticated
def mfa_setup(request: SignedInRequest) -> HttpResponse:
    factors = mfa.factors_of(request.user)
    return render(
        request,
        "core/mfa_setup.html",
        {
            "factors": factors,
            "required": mfa.user_requires_mfa(request.user),
            "passkeys": WebAuthnCredential.objects.filter(user=request.user),
            "satisfied": bool(request.session.get(MFA_OK_KEY)),
        },
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code shown by the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(
        request,
        "core/mfa_recovery_codes.html",
        {"codes": codes, "continue_url": _continue_url(request)},
    )


@authenticated
def mfa_totp_setup(request: SignedInRequest) -> HttpResponse:
    user = request.user
    if mfa.factors_of(user).totp:
        messages.info(request, _("An authenticator app is already set up."))
        return redirect("mfa_setup")
    secret = request.session.get(_TOTP_SETUP_KEY)
    if not secret or request.method == "GET":
        secret = mfa.totp_new_secret()
        request.session[_TOTP_SETUP_KEY] = secret
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_enrol(
                actor=user, secret=secret, code=form.cleaned_data["code"], request=request
            )
        except mfa.MfaError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(_TOTP_SETUP_KEY, None)
            request.session[MFA_OK_KEY] = "totp"
            messages.success(request, _("Your authenticator app is set up."))
            if codes:
                return _show_recovery_codes(request, codes)
            return redirect(_continue_url(request))
    uri = mfa.totp_uri(user, secret)
    return render(
        request,
        "core/mfa_totp_setup.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(uri),
            "secret": secret,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@authenticated
@require_POST
def mfa_totp_remove(request: SignedInRequest) -> HttpResponse:
    try:
        mfa.totp_remove(actor=request.user, request=request)
    except mfa.MfaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The authenticator app was removed."))
    return redirect("mfa_setup")


@authenticated
@require_POST
def mfa_recovery_codes(request: SignedInRequest) -> HttpResponse:
    if not mfa.is_enrolled(request.user):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect("mfa_setup")
    codes = mfa.recovery_codes_generate(actor=request.user, request=request)
    return _show_recovery_codes(request, codes)


@authenticated
@require_POST
def mfa_passkey_register_options(request: SignedInRequest) -> HttpResponse:
    rp_id, _origin = _rp(request)
    options, challenge = mfa.webauthn_registration_options(user=request.user, rp_id=rp_id)
    request.session[_WEBAUTHN_REG_KEY] = bytes_to_base64url(challenge)
    return HttpResponse(options, content_type="application/json")


@authenticated
@require_POST
def mfa_passkey_register(request: SignedInRequest) -> HttpResponse:
    challenge = request.session.pop(_WEBAUTHN_REG_KEY, None)
    if not challenge:
        return JsonResponse({"error": _("The request has expired. Try again.")}, status=400)
    try:
        body = json.loads(request.body.decode("utf-8"))
        credential = body["credential"]
        name = str(body.get("name", ""))
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": _("The passkey could not be registered. Try again.")}, status=400
        )
    rp_id, origin = _rp(request)
    try:
        _cred, codes = mfa.webauthn_register(
            actor=request.user,
            name=name,
            credential=credential,
            challenge=base64url_to_bytes(challenge),
            rp_id=rp_id,
            origin=origin,
            request=request,
        )
    except mfa.MfaError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    request.session[MFA_OK_KEY] = "webauthn"
    messages.success(request, _("Your passkey is registered."))
    if codes:
        # Shown once, on the next page: kept in the session only until then.
        request.session["palermo_show_codes"] = codes
        return JsonResponse({"redirect": reverse("mfa_new_codes")})
    return JsonResponse({"redirect": _continue_url(request)})


@authenticated
def mfa_new_codes(request: SignedInRequest) -> HttpResponse:
    codes = request.session.pop("palermo_show_codes", None)
    if not codes:
        return redirect("mfa_setup")
    return _show_recovery_codes(request, list(codes))


@authenticated
@require_POST
def mfa_passkey_remove(request: SignedInRequest, credential_id: int) -> HttpResponse:
    try:
        mfa.webauthn_remove(actor=request.user, credential_id=credential_id, request=request)
    except mfa.MfaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The passkey was removed."))
    return redirect("mfa_setup")


# --- the gate -------------------------------------------------------------------------------


class MfaMiddleware:
    """A signed-in session that has not passed a second factor, for an account that
    has one or whose role requires one, reaches only the pages above.

    * enrolled account, session without second factor (signed in before enrolling
      elsewhere, or a session made some other way): signed out, back to sign-in;
    * required role, nothing enrolled: held on the enrolment pages.

    API tokens do not pass here (they authenticate inside the API, per request):
    they remain the machine path, see docs/security.md.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.session.get(MFA_OK_KEY):
            return self.get_response(request)
        enrolled = mfa.is_enrolled(user)
        if not enrolled and not mfa.user_requires_mfa(user):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        if match is not None and match.url_name in MFA_EXEMPT_URL_NAMES and not enrolled:
            return self.get_response(request)
        if match is not None and match.url_name in {"login", "logout", "healthz"}:
            return self.get_response(request)
        is_api = request.path_info.startswith("/api/")
        if enrolled:
            auth_logout(request)
            if is_api:
                return JsonResponse(
                    {"detail": _("Sign in again with your second factor.")}, status=401
                )
            messages.info(request, _("Sign in again with your second factor."))
            return redirect_to_login(request.get_full_path())
        if is_api:
            return JsonResponse(
                {
                    "detail": _(
                        "Your role requires two-step sign-in: set it up in the web application first."
                    )
                },
                status=403,
            )
        return redirect("mfa_setup")
