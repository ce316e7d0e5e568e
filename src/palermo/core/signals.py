"""Logins, logouts and failed logins go into the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from palermo.core import audit
from palermo.core.models import AuditAction


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(
        action=AuditAction.LOGIN,
        actor=user,
        request=request,
        object_type="user",
        object_ref=str(user.pk),
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(
            action=AuditAction.LOGOUT,
            actor=user,
            request=request,
            object_type="user",
            object_ref=str(user.pk),
        )


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The attempted username is kept (truncated): it is what an administrator
    # needs to spot a guessing attack. The password never reaches this signal.
    # A wrong second factor comes through here too (palermo.core.mfa), so it is
    # audited and counted by django-axes like a wrong password.
    factor = credentials.get("palermo_factor")
    audit.record(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        outcome="failed",
        actor_username=str(credentials.get("username", ""))[:150],
        object_type="mfa" if factor else "user",
        details={"event": "verify_failed", "factor": str(factor)} if factor else None,
    )
