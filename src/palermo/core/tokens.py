"""Personal access tokens for machine clients: created and revoked by their
owner, stored as SHA-256 digests, shown in clear exactly once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from palermo.core import audit
from palermo.core.models import AuditAction, Organisation, PersonalAccessToken, User

TOKEN_PREFIX = "plm_"  # noqa: S105 – a public prefix that lets secret scanners spot leaked tokens


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def token_create(
    *, actor: User, organisation: Organisation, name: str, expires_at: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns the record and the clear token (show it once)."""
    name = (name or "").strip()
    if not name:
        raise TokenError("name", "Give the token a name, e.g. the system that will use it.")
    if len(name) > 100:
        raise TokenError("name", "Use at most 100 characters.")
    if organisation not in actor.organisations():
        raise TokenError("organisation", "You are not a member of this organisation.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("expires_at", "The expiry date must be in the future.")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=actor,
            organisation=organisation,
            name=name,
            prefix=clear[:12],
            digest=_digest(clear),
            expires_at=expires_at,
        )
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            organisation=organisation,
            object_type="api_token",
            object_ref=str(token.pk),
        )
    return token, clear


def token_revoke(*, actor: User, token: PersonalAccessToken) -> None:
    if token.user_id != actor.pk:
        raise PermissionError("only the owner revokes a token")
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            action=AuditAction.DELETE,
            actor=actor,
            organisation=token.organisation,
            object_type="api_token",
            object_ref=str(token.pk),
        )


def tokens_revoke_all(*, user: User, reason: str, actor: User | None = None) -> int:
    """Revoke every token of ``user`` not revoked yet; each revocation audited with ``reason``.

    Called on every password change or reset (``User.save``): whoever changes a password
    expects every way in with the old credentials to stop. Returns how many were revoked.
    """
    with transaction.atomic():
        live = list(
            PersonalAccessToken.objects.select_for_update()
            .select_related("organisation")
            .filter(user=user, revoked_at__isnull=True)
            .order_by("id")
        )
        if not live:
            return 0
        PersonalAccessToken.objects.filter(pk__in=[t.pk for t in live]).update(
            revoked_at=timezone.now()
        )
        for token in live:
            audit.record(
                action=AuditAction.DELETE,
                actor=actor or user,
                organisation=token.organisation,
                object_type="api_token",
                object_ref=str(token.pk),
                details={"reason": reason},
            )
    return len(live)


def token_authenticate(clear: str) -> PersonalAccessToken | None:
    if not clear or not clear.startswith(TOKEN_PREFIX) or len(clear) > 200:
        return None
    token = (
        PersonalAccessToken.objects.select_related("user", "organisation")
        .filter(digest=_digest(clear), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or not token.organisation.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Touch at most once a minute: a write per API call would dominate its cost.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
