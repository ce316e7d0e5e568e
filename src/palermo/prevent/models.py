"""Online risk and outreach: the licence registry, anonymous worker reports, adverts and leads.

What is *not* here: anything typed into the public "check a job offer" page, which is answered
from memory and never stored. A worker report keeps no IP address and no browser details; its
free text and contact details are encrypted at rest, and contact details exist only with
consent. Adverts are public texts an analyst imported; their leads carry the analyst's decision
so that a re-import does not ask again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.core.encryption import EncryptedCharField, EncryptedModel, EncryptedTextField


class LicenceStatus(models.TextChoices):  # licences.STATUSES
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")
    DELISTED = "delisted", _("Delisted")
    BANNED = "banned", _("Banned")


class ListKind(models.TextChoices):  # licences.KINDS
    LICENCE = "licence", _("Official licence list")
    ETHICAL = "ethical", _("Ethically certified recruiters")


class LicenceList(models.Model):
    """One imported list, as its publisher gave it on the day it was retrieved."""

    kind = models.CharField(_("kind of list"), max_length=10, choices=ListKind.choices)
    title = models.CharField(_("title"), max_length=200)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    retrieved_on = models.DateField()  # the oldest retrieval date of its rows
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Licence(models.Model):
    """One agency (or certified recruiter) in one list."""

    licence_list = models.ForeignKey(LicenceList, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(max_length=300)
    name_key = models.CharField(max_length=300, db_index=True)  # licences.normalise_name
    licence_number = models.CharField(max_length=100, blank=True, db_index=True)
    country = models.CharField(max_length=2)
    status = models.CharField(max_length=10, choices=LicenceStatus.choices)
    valid_until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300)
    retrieved_on = models.DateField()

    class Meta:
        ordering = ["name_key", "id"]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    NEW = "new", _("Waiting for triage")
    DISMISSED = "dismissed", _("Dismissed")
    LABOUR_RIGHTS = "labour_rights", _("Passed to a labour-rights route")
    REFERRED = "referred", _("Referral opened in the NRM")


class WorkerReport(EncryptedModel):
    """An anonymous report from the public form. No IP address, no user agent, no account."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )  # the organisation the deployment designates to triage reports
    received_on = models.DateField()  # a day, not a time: less to single a reporter out
    who = models.CharField(max_length=10)  # reports.WHO
    country = models.CharField(max_length=2, blank=True)
    place = EncryptedCharField(max_length=200, blank=True)
    work_kind = models.CharField(max_length=20, blank=True)  # reports.WORK_KINDS
    signs = models.JSONField(default=list, blank=True)  # reports.SIGNS
    description = EncryptedTextField(blank=True)
    consent_to_contact = models.BooleanField(default=False)
    contact = EncryptedCharField(max_length=200, blank=True)  # empty unless consent
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    case_reference = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"worker report {self.pk}"


class LeadDecision(models.TextChoices):
    OPEN = "open", _("Not decided")
    DISMISSED = "dismissed", _("Dismissed")
    MONITOR = "monitor", _("Monitor")
    INVESTIGATE = "investigate", _("Open an investigation")
    PLATFORM = "platform", _("Reported to the platform")
    REFERRED = "referred", _("Referral opened in the NRM")


class AdvertBatch(models.Model):
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()
    label = models.CharField(max_length=200)
    adverts = models.PositiveIntegerField(default=0)
    new_leads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.label


class Lead(models.Model):
    """Adverts from one template (one recruiter's campaign), and the analyst's decision."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    signature = models.BinaryField()  # MinHash of the first advert (adverts.signature)
    decision = models.CharField(
        max_length=20, choices=LeadDecision.choices, default=LeadDecision.OPEN
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    case_reference = models.CharField(max_length=20, blank=True)
    indicators = models.JSONField(default=list, blank=True)  # union over its adverts
    language = models.CharField(max_length=8, blank=True)  # of its first advert

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"lead {self.pk}"


class Advert(models.Model):
    batch = models.ForeignKey(AdvertBatch, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="adverts")
    external_ref = models.CharField(max_length=300, blank=True)  # the platform's id or link
    text = models.TextField()
    template_hash = models.CharField(max_length=64, db_index=True)
    language = models.CharField(max_length=8)
    language_score = models.FloatField(default=0.0)
    flags = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=dict, blank=True)
    agency_matches = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"advert {self.pk}"


class EvidenceTarget(models.TextChoices):
    INVESTIGATION = "investigation", _("Investigation")
    CASE = "case", _("Case")


class AdvertEvidence(models.Model):
    """An advert attached as evidence to an investigation or a case, by its reference.

    The link is kept here because the other contexts are reached only through their services:
    the target is checked through their selectors when it is attached (a case also gets a note
    on its timeline through ``cases.services.note_add``)."""

    advert = models.ForeignKey(Advert, on_delete=models.PROTECT, related_name="evidence")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    target = models.CharField(max_length=15, choices=EvidenceTarget.choices)
    reference = models.CharField(max_length=30)
    note = models.CharField(max_length=500, blank=True)
    attached_at = models.DateTimeField()
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-attached_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["advert", "target", "reference"], name="prevent_evidence_once"
            )
        ]

    def __str__(self) -> str:
        return f"advert {self.advert_id} → {self.target} {self.reference}"
