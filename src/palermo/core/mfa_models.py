"""Second factors (TOTP, WebAuthn passkeys, recovery codes) and single sign-on links.

Kept apart from ``models.py`` so the sign-in machinery reads as one unit; the
models belong to the ``core`` app (imported at the end of ``models.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.encryption import EncryptedCharField, EncryptedModel


class TotpDevice(EncryptedModel):
    """An authenticator app (RFC 6238, 30-second steps, 6 digits). One per user.

    The shared secret is sealed at rest like personal fields (docs/security.md, "Encryption at
    rest"): a database dump alone cannot mint codes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = EncryptedCharField(max_length=64)  # base32, as the authenticator app holds it
    # The last time step accepted: a code is never accepted twice (replay).
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")

    def __str__(self) -> str:
        return f"TOTP #{self.pk}"


class WebAuthnCredential(models.Model):
    """A passkey or security key registered through WebAuthn."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webauthn_credentials"
    )
    name = models.CharField(_("name"), max_length=100)
    credential_id = models.TextField()  # base64url, as the browser sends it
    credential_digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the id
    public_key = models.BinaryField()  # COSE key
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("passkey")

    def __str__(self) -> str:
        return self.name


class RecoveryCode(models.Model):
    """A one-time code for a lost device. Only a SHA-256 digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")

    def __str__(self) -> str:
        return f"recovery code #{self.pk}"


class OidcIdentity(models.Model):
    """Links an identity at the deployment's OpenID Connect provider to a Palermo user.

    Identity only: organisations and roles are still granted in Palermo.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(_("issuer"), max_length=300)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="uniq_oidc_identity")
        ]
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")

    def __str__(self) -> str:
        return f"{self.issuer} · {self.subject}"
