"""Investigations: the Django shell around the DuckDB workspace (``workspace.py``).

An investigation is owned by one investigating organisation (police, FIU,
prosecution, labour inspectorate); member organisations may be added. Only
those organisations, and only their users with ``Perm.INVESTIGATE``, see it.
The transactions themselves live in the investigation's workspace file; the
database keeps what must survive and be audited: the imported files, the
alert decisions, the entity-resolution judgements and the case records added.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.encryption import EncryptedCharField, EncryptedModel, EncryptedTextField
from palermo.core.roles import OrganisationType

INVESTIGATING_TYPES = frozenset(
    {
        OrganisationType.LAW_ENFORCEMENT,
        OrganisationType.FINANCIAL_INTELLIGENCE_UNIT,
        OrganisationType.PROSECUTION,
        OrganisationType.LABOUR_INSPECTORATE,
    }
)


def workspace_root() -> Path:
    """Folder of the workspace files: ``PALERMO_INVESTIGATIONS_DIR`` or ``<VAR_DIR>/investigations``."""
    root = getattr(settings, "PALERMO_INVESTIGATIONS_DIR", None)
    return Path(root) if root else Path(settings.VAR_DIR) / "investigations"


class InvestigationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    """Why an investigation was closed: a choice, not free text, so that it can be
    shown to every member organisation and kept in the audit trail."""

    REFERRED_TO_PROSECUTION = "referred_to_prosecution", _("Referred to the prosecution")
    NO_FURTHER_ACTION = "no_further_action", _("No further action (insufficient evidence)")
    MERGED = "merged", _("Merged into another investigation")
    CONCLUDED = "concluded", _("Concluded")


class Investigation(models.Model):
    reference = models.CharField(max_length=20, unique=True)  # INV-2026-0001: pseudonymous
    title = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InvestigationStatus.choices, default=InvestigationStatus.OPEN
    )
    # Set while closed (a closed investigation is read-only until its owner reopens it).
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    workspace_file = models.CharField(max_length=200)  # relative to workspace_root()
    # offender/victim account keys and reference wage of the last proceeds estimate (used by the pack)
    proceeds_settings = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        """Closed investigations are read-only (services._require_open)."""
        return self.status == InvestigationStatus.CLOSED

    @property
    def workspace_path(self) -> Path:
        return workspace_root() / self.workspace_file


class InvestigationMember(models.Model):
    """Another organisation with access to the investigation."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="members"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "organisation"], name="inv_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.investigation_id}:{self.organisation_id}"


class InvestigationCase(models.Model):
    """A link to an NRM case (whose compensation claim the proceeds may feed)."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="case_links"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["investigation", "case"], name="inv_case_unique")
        ]

    def __str__(self) -> str:
        return f"{self.investigation_id}:{self.case_id}"


class StatementFile(models.Model):
    """An imported statement file and its provenance hash."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="statements"
    )
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    profile = models.CharField(max_length=100, blank=True)
    rows = models.PositiveIntegerField()
    rows_inserted = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["imported_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "sha256"], name="inv_statement_unique")
        ]

    def __str__(self) -> str:
        return self.sha256


class MappingProfile(models.Model):
    """A CSV mapping profile saved by an organisation (same keys as ``profiles/*.yaml``)."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    slug = models.SlugField(max_length=80)
    label = models.CharField(max_length=200)
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="inv_profile_unique")
        ]

    def __str__(self) -> str:
        return self.slug


class AlertDecision(EncryptedModel):
    """An investigator's decision on an alert (also written to the workspace, which suppresses it)."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="alert_decisions"
    )
    alert_key = models.CharField(max_length=64)
    rule_id = models.CharField(max_length=60)
    subject = models.CharField(max_length=200)
    tx_count = models.PositiveIntegerField()
    decision = models.CharField(
        max_length=10, choices=[("confirmed", _("confirmed")), ("dismissed", _("dismissed"))]
    )
    note = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "alert_key"], name="inv_alert_decision_unique"
            )
        ]

    def __str__(self) -> str:
        return self.alert_key


class MatchJudgement(EncryptedModel):
    """An entity-resolution judgement (``same`` / ``different``) on a pair of records."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="judgements"
    )
    pair_key = models.CharField(max_length=600)
    left = models.CharField(max_length=300)
    right = models.CharField(max_length=300)
    decision = models.CharField(
        max_length=10, choices=[("same", _("same")), ("different", _("different"))]
    )
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField()
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["pair_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "pair_key"], name="inv_judgement_unique"
            )
        ]

    def __str__(self) -> str:
        return self.pair_key


class InvestigationParty(EncryptedModel):
    """A person or company from case work, added so statements can be matched against it."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="parties"
    )
    party_id = models.CharField(max_length=20)  # P1, P2 … within the investigation
    schema = models.CharField(max_length=12, default="Person")
    # copied from case work: sealed at rest like the case file's identity and contacts
    name = EncryptedCharField(max_length=200)
    iban = EncryptedCharField(max_length=42, blank=True)
    phone = EncryptedCharField(max_length=40, blank=True)
    email = EncryptedCharField(max_length=200, blank=True)
    address = EncryptedCharField(max_length=300, blank=True)
    role = models.CharField(max_length=10, default="other")
    record_ref = models.CharField(max_length=40, blank=True)  # the NRM case it came from, if any
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "party_id"], name="inv_party_unique")
        ]

    def __str__(self) -> str:
        return self.party_id
