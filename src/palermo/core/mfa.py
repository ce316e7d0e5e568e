"""Two-step sign-in: who must use a second factor, and the factors themselves.

Nothing here is home-made cryptography: TOTP codes come from ``pyotp`` (RFC 6238),
passkeys are verified by ``webauthn`` (py_webauthn, Duo Labs), QR codes are drawn
by ``segno``. Recovery codes are 80 random bits from ``secrets``, stored as SHA-256
digests like API tokens (see ``tokens.py``).

Every change and every second-factor check is audited with ``object_type="mfa"``
and an ``event`` in the details; failed checks go through Django's
``user_login_failed`` signal, so they are audited *and* count towards django-axes'
lock-out exactly like a wrong password.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.mfa_models import RecoveryCode, TotpDevice, WebAuthnCredential
from palermo.core.roles import Role

# segno and py_webauthn (with its X.509 stack) are imported where used: most requests
# never draw a QR code or check a passkey, and start-up time matters on small servers.

TOTP_STEP = 30  # seconds
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side: clocks on phones drift
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class MfaError(Exception):
    """A refused enrolment or check, with a message for the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- who must use a second factor (pure rule) ---------------------------------------


def requires_mfa(roles: Iterable[str], required_roles: Iterable[str]) -> bool:
    """True when any of ``roles`` (held in any organisation) is a required role."""
    return not set(required_roles).isdisjoint(roles)


def required_roles() -> frozenset[str]:
    configured = frozenset(getattr(settings, "PALERMO_MFA_REQUIRED_ROLES", []))
    unknown = configured - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(
            f"PALERMO_MFA_REQUIRED_ROLES names unknown roles {sorted(unknown)}; "
            f"use some of {', '.join(Role.values)}."
        )
    return configured


def user_requires_mfa(user: Any) -> bool:
    """Every membership counts, in any organisation: acting for another one does not
    lower the bar for the account."""
    wanted = required_roles()
    if not wanted:
        return False
    return requires_mfa(user.memberships.values_list("role", flat=True), wanted)


@dataclass(frozen=True)
class Factors:
    totp: bool
    passkeys: int
    recovery_left: int

    @property
    def enrolled(self) -> bool:
        return self.totp or self.passkeys > 0


def factors_of(user: Any) -> Factors:
    return Factors(
        totp=TotpDevice.objects.filter(user=user).exists(),
        passkeys=WebAuthnCredential.objects.filter(user=user).count(),
        recovery_left=RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
    )


def is_enrolled(user: Any) -> bool:
    """One query: it runs on every request of a session that has not passed a second step."""
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(Q(totp_device__isnull=False) | Q(webauthn_credentials__isnull=False))
        .exists()
    )


_EVENT_ACTION = {
    "enrolled": "create",
    "removed": "delete",
    "recovery_codes_generated": "update",
    "verified": "login",
    "recovery_code_used": "login",
}


def audit_event(
    user: Any, event: str, *, request: Any = None, actor: Any = None, **details: Any
) -> None:
    audit.record(
        action=_EVENT_ACTION[event],
        actor=actor or user,
        organisation=getattr(request, "organisation", None),
        object_type="mfa",
        object_ref=str(user.pk),
        details={"event": event, **details},
        request=request,
    )


def second_factor_failed(request: Any, user: Any, factor: str) -> None:
    """Audit a wrong second factor and count it towards the lock-out (django-axes)."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "palermo_factor": factor},
        request=request,
    )


# --- TOTP ---------------------------------------------------------------------------------


def totp_new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def totp_uri(user: Any, secret: str) -> str:
    issuer = getattr(settings, "PALERMO_MFA_ISSUER", "Palermo")
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).provisioning_uri(
        name=user.get_username(), issuer_name=issuer
    )


def qr_svg(data: str) -> str:
    """An inline SVG QR code, drawn on the server (no third-party script)."""
    import segno

    return segno.make(data, error="m").svg_inline(scale=4, border=2, title=None)


def totp_match_step(secret: str, code: str, *, now: float, last_step: int) -> int | None:
    """The time step ``code`` belongs to, or None. Steps at or before ``last_step`` are
    refused, so an observed code cannot be replayed."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
    current = int(now // TOTP_STEP)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if step > last_step and secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def totp_enrol(
    *, actor: Any, secret: str, code: str, request: Any = None, now: float | None = None
) -> list[str]:
    """Confirm the app with one code; returns fresh recovery codes when the user has none."""
    if TotpDevice.objects.filter(user=actor).exists():
        raise MfaError(_("An authenticator app is already set up; remove it first."))
    step = totp_match_step(secret, code, now=time.time() if now is None else now, last_step=0)
    if step is None:
        raise MfaError(
            _("That code is not right. Check the time on your phone and try the newest code."),
            "code",
        )
    with transaction.atomic():
        TotpDevice.objects.create(user=actor, secret=secret, last_step=step)
        audit_event(actor, "enrolled", request=request, factor="totp")
        codes = _maybe_first_recovery_codes(actor, request)
    return codes


def totp_verify(*, user: Any, code: str, now: float | None = None) -> bool:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return False
        step = totp_match_step(
            device.secret, code, now=time.time() if now is None else now, last_step=device.last_step
        )
        if step is None:
            return False
        device.last_step = step
        device.last_used_at = timezone.now()
        device.save(update_fields=["last_step", "last_used_at"])
    return True


def totp_remove(*, actor: Any, request: Any = None) -> None:
    with transaction.atomic():
        _refuse_last_factor(actor, removing_totp=True)
        deleted, _n = TotpDevice.objects.filter(user=actor).delete()
        if deleted:
            audit_event(actor, "removed", request=request, factor="totp")


def _refuse_last_factor(
    user: Any, *, removing_totp: bool = False, removing_passkey: bool = False
) -> None:
    if not user_requires_mfa(user):
        return
    f = factors_of(user)
    left = (0 if removing_totp else int(f.totp)) + f.passkeys - (1 if removing_passkey else 0)
    if left < 1:
        raise MfaError(
            _(
                "Your role requires two-step sign-in: set up another method before removing this one."
            )
        )


# --- recovery codes -----------------------------------------------------------------------


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(16))  # ~79 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def recovery_codes_generate(*, actor: Any, request: Any = None) -> list[str]:
    """Replace every recovery code of ``actor``; the clear codes are returned once."""
    codes = [_new_code() for _i in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=actor).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=actor, digest=_digest(c)) for c in codes)
        audit_event(actor, "recovery_codes_generated", request=request, count=len(codes))
    return codes


def _maybe_first_recovery_codes(user: Any, request: Any) -> list[str]:
    if RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        return []
    return recovery_codes_generate(actor=user, request=request)


def recovery_code_use(*, user: Any, code: str, request: Any = None) -> bool:
    """Spend one recovery code. A code works once."""
    digest = _digest(code)
    with transaction.atomic():
        found = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, digest=digest, used_at__isnull=True)
            .first()
        )
        if found is None:
            return False
        found.used_at = timezone.now()
        found.save(update_fields=["used_at"])
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit_event(user, "recovery_code_used", request=request, remaining=left)
    return True


# --- WebAuthn passkeys ----------------------------------------------------------------------


def _user_handle(user: Any) -> bytes:
    # Stable, opaque, not personal: derived from the primary key and the deployment's key.
    return hashlib.sha256(f"palermo-webauthn:{settings.SECRET_KEY}:{user.pk}".encode()).digest()


def webauthn_registration_options(*, user: Any, rp_id: str) -> tuple[str, bytes]:
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=getattr(settings, "PALERMO_MFA_ISSUER", "Palermo"),
        user_id=_user_handle(user),
        user_name=user.get_username(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
            for c in WebAuthnCredential.objects.filter(user=user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), options.challenge


def _credential_digest(credential_id: bytes) -> str:
    return hashlib.sha256(credential_id).hexdigest()


def webauthn_register(
    *,
    actor: Any,
    name: str,
    credential: str | dict[str, Any],
    challenge: bytes,
    rp_id: str,
    origin: str,
    request: Any = None,
) -> tuple[WebAuthnCredential, list[str]]:
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import InvalidJSONStructure, InvalidRegistrationResponse

    name = (name or "").strip()[:100] or _("Passkey")
    try:
        verified = verify_registration_response(
            credential=credential if isinstance(credential, str) else json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (
        InvalidRegistrationResponse,
        InvalidJSONStructure,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        raise MfaError(_("The passkey could not be registered. Try again.")) from exc
    digest = _credential_digest(verified.credential_id)
    with transaction.atomic():
        if WebAuthnCredential.objects.filter(credential_digest=digest).exists():
            raise MfaError(_("This passkey is already registered."))
        cred = WebAuthnCredential.objects.create(
            user=actor,
            name=name,
            credential_id=bytes_to_base64url(verified.credential_id),
            credential_digest=digest,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        audit_event(actor, "enrolled", request=request, factor="webauthn", credential=cred.pk)
        codes = _maybe_first_recovery_codes(actor, request)
    return cred, codes


def webauthn_authentication_options(*, user: Any, rp_id: str) -> tuple[str, bytes]:
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
            for c in WebAuthnCredential.objects.filter(user=user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def webauthn_authenticate(
    *, user: Any, credential: str | dict[str, Any], challenge: bytes, rp_id: str, origin: str
) -> bool:
    """Check an assertion by one of ``user``'s own passkeys (signature, challenge,
    origin, RP id, counter)."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure

    try:
        data = json.loads(credential) if isinstance(credential, str) else credential
        raw_id = base64url_to_bytes(str(data["rawId"]))
    except (ValueError, KeyError, TypeError):
        return False
    with transaction.atomic():
        stored = (
            WebAuthnCredential.objects.select_for_update()
            .filter(user=user, credential_digest=_credential_digest(raw_id))
            .first()
        )
        if stored is None:
            return False
        try:
            verified = verify_authentication_response(
                credential=json.dumps(data),
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(stored.public_key),
                credential_current_sign_count=stored.sign_count,
            )
        except (
            InvalidAuthenticationResponse,
            InvalidJSONStructure,
            ValueError,
            KeyError,
            TypeError,
        ):
            return False
        stored.sign_count = verified.new_sign_count
        stored.last_used_at = timezone.now()
        stored.save(update_fields=["sign_count", "last_used_at"])
    return True


def webauthn_remove(*, actor: Any, credential_id: int, request: Any = None) -> None:
    with transaction.atomic():
        cred = WebAuthnCredential.objects.filter(user=actor, pk=credential_id).first()
        if cred is None:
            raise MfaError(_("No such passkey."))
        _refuse_last_factor(actor, removing_passkey=True)
        cred.delete()
        audit_event(actor, "removed", request=request, factor="webauthn", credential=credential_id)


# --- lost device: an administrator resets everything --------------------------------------


def mfa_reset(*, actor: Any, organisation: Any, user: Any, request: Any = None) -> dict[str, int]:
    """Remove every second factor of ``user`` (lost phone or key). Audited; the user
    must enrol again at the next sign-in if their role requires it."""
    with transaction.atomic():
        removed = {
            "totp": TotpDevice.objects.filter(user=user).delete()[0],
            "webauthn": WebAuthnCredential.objects.filter(user=user).delete()[0],
            "recovery_codes": RecoveryCode.objects.filter(user=user).delete()[0],
        }
        audit.record(
            action="delete",
            actor=actor,
            organisation=organisation,
            object_type="mfa",
            object_ref=str(user.pk),
            details={"event": "reset", **removed},
            request=request,
        )
    return removed
