"""Rate limits of the password-reset form, which anyone may post without an account.

Without them one visitor could have Palermo send any number of reset e-mails to any staff
member's address (red-team finding: 30 e-mails to one address in a few seconds), and use the
form as an oracle for which addresses hold an account as fast as they liked (a reset e-mail
is sent, and takes time, only for an address that does).

Two counters (``core.ratelimit``: keyed hashes in the shared cache, nothing stored in clear):
per client address (``core.client``; an IPv6 /64 counts as one client) and per e-mail
address asked for, so many addresses cannot flood one inbox either. Past a limit the form
answers exactly as before — the "check your e-mail" page — but sends nothing, so the answer
says neither that a limit was reached nor whether the address holds an account. The audit
trail gets one ``rate_limited`` entry when a counter first goes over in a window and one more
each time the requests past it reach 10, 100, 1,000 … (never the address asked for).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from palermo.core import audit, ratelimit
from palermo.core.client import client_address

OBJ = "password_reset"


def _limit(kind: str) -> tuple[int, int]:
    count, window = settings.PALERMO_PASSWORD_RESET_RATE_LIMITS[kind]
    return int(count), int(window)


def _check(kind: str, key: str, request: Any) -> bool:
    count, window = _limit(kind)
    verdict = ratelimit.hit(f"password-reset-{kind}", key, count, window)
    if not verdict.allowed and ratelimit.is_power_of_ten(verdict.over_by):
        audit.record(
            action="refused",
            object_type=OBJ,
            outcome="refused",
            details={"reason": "rate_limited", "limit": kind, "over_limit": verdict.over_by},
            request=request,
            actor_username="anonymous",
        )
    return verdict.allowed


def allow(request: Any, email: str) -> bool:
    """Count this reset request against its client and the address asked for; False once
    either is over its limit (then nothing is to be sent)."""
    if not _check("client", ratelimit.address_bucket(client_address(request)), request):
        return False
    return _check("email", email.strip().casefold(), request)
