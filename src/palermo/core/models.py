"""Organisations, users and their roles, the audit trail, API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.roles import OrganisationType, Role


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    org_type = models.CharField(_("type"), max_length=40, choices=OrganisationType.choices)
    country = models.CharField(
        _("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. RS")
    )
    is_identification_body = models.BooleanField(
        _("competent identification body"),
        default=False,
        help_text=_("Takes formal identification decisions and oversees every open case."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works with Palermo (never a victim: victims are case records)."""

    # How many API tokens the last password change revoked (for the page that says so).
    tokens_revoked = 0
    # The language chosen with the switcher (a code of settings.LANGUAGES); empty: the
    # browser's. Kept on the profile so the choice follows the user to another device.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")

    def save(self, *args: object, **kwargs: object) -> None:
        # A password set on an existing user — web change, reset link, admin, Django's
        # changepassword, a shell — revokes all their API tokens, in the same transaction.
        # (Django sets ``_password`` in ``set_password`` only; the hash upgrade at sign-in
        # clears it before saving, so a sign-in revokes nothing.)
        if self._password is None or self._state.adding:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            return
        from django.db import transaction

        from palermo.core.tokens import tokens_revoke_all

        with transaction.atomic():
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            self.tokens_revoked = tokens_revoke_all(user=self, reason="password changed")

    def memberships_active(self) -> models.QuerySet[Membership]:
        return self.memberships.filter(organisation__is_active=True).select_related("organisation")

    def organisations(self) -> list[Organisation]:
        # Kept on the instance like roles_in: a request's user object lives for one request,
        # and the middleware, the menu and the views all ask (issue 13: one query, not three).
        cached = self.__dict__.get("_palermo_organisations")
        if cached is None:
            seen: dict[int, Organisation] = {}
            roles: dict[int, set[str]] = {}
            for m in self.memberships_active():
                seen.setdefault(m.organisation_id, m.organisation)
                roles.setdefault(m.organisation_id, set()).add(m.role)
            cached = self.__dict__["_palermo_organisations"] = list(seen.values())
            # The same rows answer roles_in for each of these organisations (the policy check).
            self.__dict__.setdefault("_palermo_roles", {}).update(roles)
        return list(cached)

    def roles_in(self, organisation: Organisation) -> set[str]:
        cache = self.__dict__.setdefault("_palermo_roles", {})
        if organisation.pk not in cache:
            cache[organisation.pk] = set(
                self.memberships.filter(
                    organisation=organisation, organisation__is_active=True
                ).values_list("role", flat=True)
            )
        return set(cache[organisation.pk])

    def permissions_in(self, organisation: Organisation) -> frozenset[str]:
        from palermo.core.policy import permissions_for_roles

        # Asked dozens of times per page (menu, actions): kept like the roles it comes from.
        cache = self.__dict__.setdefault("_palermo_permissions", {})
        if organisation.pk not in cache:
            cache[organisation.pk] = permissions_for_roles(self.roles_in(organisation))
        return cache[organisation.pk]


class Membership(models.Model):
    """One role of one user in one organisation. A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership")
        ]
        ordering = ["organisation__name", "role"]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} @ {self.organisation}"


class AuditAction(models.TextChoices):
    CREATE = "create", _("create")
    READ = "read", _("read")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    EXPORT = "export", _("export")
    LOGIN = "login", _("login")
    LOGOUT = "logout", _("logout")
    LOGIN_FAILED = "login_failed", _("failed login")
    REFUSED = "refused", _("refused")
    BREAK_GLASS = "break_glass", _("break-glass access")


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail.

    ``seq`` numbers sealed entries without gaps; ``hash`` covers this entry's content
    and the previous entry's hash, so editing, inserting or deleting any entry
    breaks the chain at that point (see ``palermo.core.chain``). Object ids are
    pseudonymous references, never names.
    """

    # Empty until the sealer chains the entry (``palermo.core.audit.seal``); ``id`` is
    # the insertion order.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_ref = models.CharField(max_length=80, blank=True, db_index=True)
    purpose = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, default="ok")
    client = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # What the sealer looks for, every half second: stays as small as the backlog.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="core_audit_unsealed"
            )
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_ref}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")


class AuditChainHead(models.Model):
    """The single row that holds the end of the chain.

    Only the sealer locks it (writers never touch it), so entries get consecutive
    ``seq`` numbers with any number of writers; verification compares it with the last entry, so deleting the
    newest entries is detected too.
    """

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"


class PersonalAccessToken(models.Model):
    """A token for a machine client, acting as one user for one organisation.

    Only a SHA-256 digest is stored; the token itself is shown once at creation.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("personal access token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Second factors and single sign-on links (issue 11, item 6) live in their own module.
from palermo.core.mfa_models import (  # noqa: E402, F401
    OidcIdentity,
    RecoveryCode,
    TotpDevice,
    WebAuthnCredential,
)
