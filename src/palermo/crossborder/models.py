"""Cross-border hand-over: trust lists, transfer consents, hand-overs, messages received.

Rows are kept per *local entity* (this instance's entity id): a test or a demo can run two
instances over one database and each sees only its own side. Personal data lives only in
``Handover.payload`` (the decrypted data of an incoming hand-over, encrypted at rest and
deleted on revocation); everything else names cases by their pseudonymous reference.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.encryption import EncryptedJSONField, EncryptedModel, EncryptedTextField
from palermo.crossborder import vocabulary as v


def _choices(words: dict[str, str]) -> list[tuple[str, Any]]:
    """A vocabulary as model choices, labels in the reader's language (lazy)."""
    return [(code, _(label)) for code, label in words.items()]


class TrustListRecord(models.Model):
    """A signed trust list as loaded (the highest version is in force)."""

    local_entity = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    issuer = models.CharField(max_length=300)
    token = models.TextField()
    expires_at = models.DateTimeField()
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["local_entity", "version"], name="cb_trust_version")
        ]

    def __str__(self) -> str:
        return f"trust list v{self.version}"


class TransferConsent(models.Model):
    """The person's consent to a transfer to one partner for one purpose and some groups."""

    local_entity = models.CharField(max_length=200)
    case_ref = models.CharField(max_length=20, db_index=True)
    partner = models.CharField(max_length=200)
    purpose = models.CharField(max_length=30, choices=_choices(v.PURPOSES))
    groups = models.JSONField(default=list)
    risks_explained = models.BooleanField(default=False)
    guardian_consent = models.BooleanField(default=False)
    given_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.case_ref})"


class Direction(models.TextChoices):
    OUT = "out", _("Sent")
    IN = "in", _("Received")


class HandoverState(models.TextChoices):
    SENT = "sent", _("Sent, awaiting receipt")
    RECEIVED = "received", _("Receipt received")
    REFUSED = "refused", _("Refused by the partner")
    QUARANTINE = "quarantine", _("Waiting for a co-ordinator")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked; data deleted")
    CLOSED = "closed", _("Closed")


class Handover(EncryptedModel):
    local_entity = models.CharField(max_length=200)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    jti = models.CharField(max_length=64)
    partner = models.CharField(max_length=200)
    case_ref = models.CharField(max_length=20, blank=True, db_index=True)
    case_pseudonym = models.CharField(max_length=64)
    groups = models.JSONField(default=list)
    purpose = models.CharField(max_length=30, choices=_choices(v.PURPOSES))
    legal_basis = models.CharField(max_length=30, choices=_choices(v.LEGAL_BASES))
    handling = models.CharField(max_length=2, choices=_choices(v.HANDLING))
    child = models.BooleanField(default=False)
    state = models.CharField(max_length=12, choices=HandoverState.choices)
    last_status = models.CharField(max_length=20, choices=_choices(v.STATUSES), blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=64)
    envelope = models.TextField(blank=True)  # outgoing: encrypted to the partner (file export)
    payload = EncryptedJSONField(blank=True, null=True)  # incoming: the decrypted data
    receipt = models.TextField(blank=True)
    receipt_reason = models.CharField(max_length=30, blank=True)
    at = models.DateTimeField()
    due_by = models.DateField(null=True, blank=True)  # the loop should close by then
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=30, blank=True)
    deletion_receipt = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["local_entity", "direction", "partner", "jti"], name="cb_handover_jti"
            )
        ]

    def __str__(self) -> str:
        return f"hand-over {self.jti}"


class StatusUpdate(models.Model):
    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="updates")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=20, choices=_choices(v.STATUSES))
    jti = models.CharField(max_length=64)
    at = models.DateTimeField()
    receipt = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status} ({self.jti})"


class InboundMessage(models.Model):
    """Every message id received from a partner: a duplicate is answered with the same
    receipt (idempotent); another message under a known id is a replay and refused."""

    local_entity = models.CharField(max_length=200)
    sender = models.CharField(max_length=200)
    jti = models.CharField(max_length=64)
    typ = models.CharField(max_length=10)
    digest = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10)
    reason = models.CharField(max_length=30, blank=True)
    receipt = models.TextField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["local_entity", "sender", "jti"], name="cb_inbound_jti")
        ]

    def __str__(self) -> str:
        return f"{self.typ} {self.jti}"


class PoliceExchange(EncryptedModel):
    """An exchange made over a police channel, recorded on the case (not carried by Palermo).

    The note may name people or facts of the investigation: encrypted at rest like case notes.
    """

    local_entity = models.CharField(max_length=200)
    case_ref = models.CharField(max_length=20, db_index=True)
    channel = models.CharField(max_length=20, choices=_choices(v.POLICE_CHANNELS))
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    reference = models.CharField(max_length=100)
    handling = models.CharField(max_length=2, choices=_choices(v.HANDLING))
    country = models.CharField(max_length=2)
    exchanged_on = models.DateField()
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-exchanged_on", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk} ({self.case_ref})"
