"""Saved screenings: what the screener recorded and what the engine suggested."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.encryption import EncryptedJSONField, EncryptedModel


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    COMPLETED = "completed", _("assessed")
    REFERRED = "referred", _("referred")


class ScreeningOrigin(models.TextChoices):
    """Where the person was met, when it was somewhere the statistics count apart. The
    referral passes it to the case (``cases.services.referral_receive(origin=…)``)."""

    NONE = "", _("not recorded")
    SUPPLY_INSPECTION = "supply_inspection", _("Supply-chain labour inspection")


class Screening(EncryptedModel):
    """One screening of one person. ``reference`` is pseudonymous and is the only
    identifier that appears in URLs, the API and the audit trail."""

    reference = models.CharField(max_length=20, unique=True)
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        max_length=12, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT, db_index=True
    )
    # The screener's answers, as the engine's input mapping. Notes are personal data:
    # sealed at rest as one JSON document (palermo.core.encryption).
    answers = EncryptedJSONField(default=dict)
    # The engine's result (``ScreeningResult.to_dict()``); holds no notes.
    result = models.JSONField(null=True, blank=True)
    assessment = models.CharField(max_length=60, blank=True, db_index=True)
    suggested_status = models.CharField(max_length=30, blank=True)
    presumed_child = models.BooleanField(default=False)
    engine_version = models.CharField(max_length=20, blank=True)
    case_reference = models.CharField(max_length=40, blank=True)
    origin = models.CharField(
        max_length=30, choices=ScreeningOrigin.choices, default="", blank=True
    )
    # Optimistic lock: a save must name the version it was based on.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return self.reference
