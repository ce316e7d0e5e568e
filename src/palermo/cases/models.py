"""The NRM case file, in HTCDS 2.0 vocabulary where the standard has a word for it.

Field comments name the HTCDS field (``prs_``, ``vic_``, ``cas_``, ``hte_``,
``per_``, ``con_``). Personal data lives in ``Person`` (identity and
contacts) and in free-text fields; everything that identifies a case outside
its file is the pseudonymous ``Case.reference``.

Writes go through ``palermo.cases.services``; reads through
``palermo.cases.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from palermo.cases import workflow as wf
from palermo.core.encryption import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedModel,
    EncryptedTextField,
)


def _choices(mapping: Any) -> list[tuple[str, str]]:
    """A workflow label table as model choices, labels in the reader's language (lazy)."""
    from palermo.cases.wf_words import translated

    words = translated(mapping)
    return [(k, words[k]) for k in mapping]


class Record(models.Model):
    """Base of the case-file records: printed by kind and number, never by a personal value."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CaseSource(models.TextChoices):
    SCREENING = "screening", _("Screening")
    HOTLINE = "hotline", _("Hotline call")
    AGENCY = "agency", _("Another agency")
    TRANSNATIONAL = "transnational", _("Another country (transnational referral)")
    SELF_REFERRAL = "self_referral", _("Self-referral")


class CaseOrigin(models.TextChoices):
    """Where the person was identified, when the statistics count it apart (set at opening
    from the referring screening; not an HTCDS field)."""

    NONE = "", _("not recorded")
    SUPPLY_INSPECTION = "supply_inspection", _("Supply-chain labour inspection")


class CaseStatus(models.TextChoices):  # HTCDS cas_Status
    ACTIVE = wf.STATUS_ACTIVE, _("Active")
    FOLLOW_UP = wf.STATUS_FOLLOW_UP, _("Follow up")
    CLOSED = wf.STATUS_CLOSED, _("Closed")
    CLOSED_REFERRED = wf.STATUS_CLOSED_REFERRED, _("Closed referred")


class Case(EncryptedModel):
    """One person's NRM case. ``reference`` is the only identifier used outside the file."""

    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE
    )  # cas_Status
    phase = models.CharField(
        max_length=20, choices=_choices(wf.PHASE_LABELS), default=wf.IDENTIFICATION
    )
    identification_status = models.CharField(  # → vic_TraffickingStatus
        max_length=20, choices=_choices(wf.IDENTIFICATION_LABELS), default=wf.POTENTIAL
    )
    decision_organisation = models.ForeignKey(  # → vic_TraffickingStatusDecisionMakingOrg
        "core.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_child = models.BooleanField(default=False)  # a child or presumed child (CoE Art. 10(3))
    nationality = models.CharField(max_length=2, blank=True)  # first prs_Citizenship, for lists
    exploitation_types = models.JSONField(default=list, blank=True)  # vic_TypeOfExploitation (copy)
    source = models.CharField(max_length=20, choices=CaseSource.choices)
    source_ref = models.CharField(max_length=80, blank=True)  # pseudonymous, e.g. SCR-XXXX-XXXX
    origin = models.CharField(max_length=30, choices=CaseOrigin.choices, default="", blank=True)
    referring_organisation = models.ForeignKey(  # cas_ReferringOrganisation
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    incoming_referral_date = models.DateField()  # cas_IncomingReferralDate
    reason_for_incoming_referral = models.CharField(
        max_length=40, blank=True
    )  # cas_ReasonForIncomingReferral
    referring_country = models.CharField(max_length=2, blank=True)  # transnational referrals
    summary = EncryptedTextField(
        blank=True
    )  # cas_IncomingReferralDetails (personal: victim context)
    lead_organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case_owner = models.ForeignKey(  # cas_CaseOwner
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cooperates_with_authorities = models.BooleanField(null=True, blank=True)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(
        max_length=30, blank=True, choices=_choices(wf.CLOSURE_REASONS)
    )
    closure_details = EncryptedTextField(blank=True)  # cas_ReasonForCaseClosure
    next_deadline = models.DateField(null=True, blank=True)  # earliest open task, kept by services
    version = models.PositiveIntegerField(default=1)  # optimistic lock

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="case_opened_idx"),
            models.Index(fields=["status", "-opened_at"], name="case_status_idx"),
            models.Index(fields=["phase", "-opened_at"], name="case_phase_idx"),
            models.Index(fields=["nationality", "-opened_at"], name="case_nat_idx"),
            models.Index(fields=["next_deadline"], name="case_deadline_idx"),
            # LIKE 'NRM-7K%' on PostgreSQL needs the pattern operator class: Django adds that
            # index itself for a unique CharField (cases_case_reference_…_like), so none here.
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def htcds_trafficking_status(self) -> str:
        return wf.HTCDS_TRAFFICKING_STATUS[self.identification_status]

    @property
    def is_open(self) -> bool:
        return self.phase != wf.CLOSED


class CaseExploitation(Record):
    """One form of exploitation of a case, for search (the list is also on ``Case``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exploitation_rows")
    code = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="uniq_case_exploitation")
        ]
        indexes = [models.Index(fields=["code", "case"], name="case_expl_code_idx")]


class Person(EncryptedModel, Record):
    """The victim or presumed victim: minimal personal data (HTCDS prs_)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="person")
    # identity
    given_name = EncryptedCharField(max_length=100, blank=True)  # prs_FirstName
    family_name = EncryptedCharField(max_length=100, blank=True)  # prs_SecondName
    birthdate = EncryptedDateField(null=True, blank=True)  # prs_Birthdate
    gender = models.CharField(max_length=30, blank=True)  # prs_Gender
    citizenship = models.JSONField(default=list, blank=True)  # prs_Citizenship (ISO 3166-1 alpha-2)
    primary_language = models.CharField(max_length=3, blank=True)  # prs_PrimaryLanguage (ISO 639)
    secondary_language = models.CharField(max_length=3, blank=True)  # prs_SecondaryLanguage
    identity_number = EncryptedCharField(
        max_length=60, blank=True, index="identity_number_index"
    )  # prs_IdentityNumber
    # current address and contacts (case team only)
    phone = EncryptedCharField(max_length=20, blank=True)  # prs_MobilePhone, E.164
    email = EncryptedEmailField(blank=True)  # prs_Email
    street = EncryptedCharField(max_length=200, blank=True)  # prs_MailingStreet
    city = EncryptedCharField(max_length=100, blank=True)  # prs_MailingCity
    postal_code = EncryptedCharField(max_length=20, blank=True)  # prs_MailingPostalCode
    country = models.CharField(max_length=2, blank=True)  # prs_MailingCountry
    # keyed hash (HMAC-SHA256, index key) of the normalised identity number: exact-match search only
    identity_number_index = models.CharField(
        max_length=64, blank=True, editable=False, db_index=True
    )

    IDENTITY_FIELDS = (
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "citizenship",
        "primary_language",
        "secondary_language",
        "identity_number",
    )
    CONTACT_FIELDS = ("phone", "email", "street", "city", "postal_code", "country")


class VictimContext(Record):
    """How the person was recruited, controlled and exploited (HTCDS vic_)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="context")
    methods_of_recruitment = models.JSONField(default=list, blank=True)  # vic_MethodOfRecruitment
    methods_of_control = models.JSONField(default=list, blank=True)  # vic_MethodsOfControl
    exploitation_types = models.JSONField(default=list, blank=True)  # vic_TypeOfExploitation
    forced_labour_industry = models.CharField(max_length=60, blank=True)  # vic_ForcedLabourIndustry
    sex_exploitation_types = models.JSONField(default=list, blank=True)  # vic_TypeOfSexExploitation
    relationship_to_trafficker = models.CharField(
        max_length=20, blank=True
    )  # vic_RelationshipToTrafficker
    age_when_trafficked = models.PositiveSmallIntegerField(
        null=True, blank=True
    )  # vic_AgeWhenTrafficked
    countries_of_recruitment = models.JSONField(default=list, blank=True)  # ISO 3166-1 alpha-2
    countries_of_transit = models.JSONField(default=list, blank=True)
    countries_of_exploitation = models.JSONField(default=list, blank=True)

    FIELDS = (
        "methods_of_recruitment",
        "methods_of_control",
        "exploitation_types",
        "forced_labour_industry",
        "sex_exploitation_types",
        "relationship_to_trafficker",
        "age_when_trafficked",
        "countries_of_recruitment",
        "countries_of_transit",
        "countries_of_exploitation",
    )


class TraffickingEvent(EncryptedModel, Record):
    """One event in the history of the trafficking (HTCDS hte_)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_events")
    event_type = models.CharField(max_length=20)  # hte_Type: Recruitment, Transit, Exploitation
    date = models.DateField(null=True, blank=True)  # hte_Date
    country = models.CharField(max_length=2, blank=True)  # hte_Country (ISO 3166-1 alpha-2)
    city = models.CharField(max_length=100, blank=True)  # hte_City
    description = EncryptedTextField(blank=True)  # hte_Description
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]


class SuspectLink(EncryptedModel, Record):
    """A person linked to the case as a suspected perpetrator (HTCDS per_), for investigators."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspects")
    name_or_alias = EncryptedCharField(max_length=200)
    roles = models.JSONField(default=list, blank=True)  # per_RoleInProcess
    organisation = models.CharField(max_length=200, blank=True)  # per_Organisation
    details = EncryptedTextField(blank=True)  # per_RoleDetails
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Lead case work")
    REFERRER = "referrer", _("Referring organisation")
    ASSISTANCE = "assistance", _("Assistance and protection")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    OTHER = "other", _("Other")


class CaseTeamMember(Record):
    """An organisation assigned to a case. Removal is recorded, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=Q(removed_at__isnull=True),
                name="uniq_active_team_member",
            )
        ]
        indexes = [models.Index(fields=["organisation", "case"], name="team_org_case_idx")]


class CaseEvent(EncryptedModel, Record):
    """One entry of the case timeline. Append-only: a correction is a new entry."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)  # standard wording, no personal values
    text = EncryptedTextField(blank=True)  # a note's text (personal data)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="corrections"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at", "-id"], name="event_case_at_idx")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("timeline entries are append-only: add a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("timeline entries are append-only")


class IdentificationDecision(EncryptedModel, Record):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=20, choices=_choices(wf.IDENTIFICATION_LABELS))
    previous_status = models.CharField(max_length=20)
    reasons = EncryptedTextField()
    basis = models.CharField(max_length=20, blank=True)  # "", "appeal", "new_facts"
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Appeal(EncryptedModel, Record):
    """An appeal against an identification decision, and its outcome."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appeals")
    decision = models.ForeignKey(
        IdentificationDecision, on_delete=models.RESTRICT, related_name="appeals"
    )
    lodged_on = models.DateField()
    grounds = EncryptedTextField()
    status = models.CharField(
        max_length=12, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_reasons = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-lodged_on", "-id"]


class Consent(EncryptedModel, Record):
    """What may be shared, with whom, for what purpose; given and withdrawn with dates (HTCDS con_)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    scopes = models.JSONField(
        default=list
    )  # field groups: identity, victim_context, safeguards, contact
    recipient = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=30, choices=_choices(wf.CONSENT_PURPOSES))
    given_by = models.CharField(max_length=30, choices=_choices(wf.CONSENT_GIVERS))
    given_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)
    notes = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["case", "recipient"], name="consent_case_recipient_idx")]


class LegalBasis(Record):
    """A recorded legal basis (e.g. a court order) for law enforcement to see the person's identity."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_bases")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(max_length=300)
    valid_until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()


class ServiceProvider(Record):
    """An entry of the service directory."""

    organisation = models.OneToOneField(
        "core.Organisation", on_delete=models.CASCADE, related_name="service_provider"
    )
    service_types = models.JSONField(default=list)
    capacity = models.PositiveIntegerField(
        default=0, help_text=_("Places or clients at a time; 0 if not limited.")
    )
    languages = models.JSONField(default=list, blank=True)  # ISO 639-1
    area_served = models.CharField(max_length=200, blank=True)
    is_closed_facility = models.BooleanField(
        default=False, help_text=_("Residents may not leave freely. Never used for children.")
    )
    accepts_children = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return str(self.organisation)


class ServiceReferral(EncryptedModel, Record):
    """A referral of the person to a service: sent → accepted/declined → delivered → closed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="service_referrals")
    service_type = models.CharField(max_length=30, choices=_choices(wf.SERVICE_TYPES))
    provider = models.ForeignKey(
        ServiceProvider, on_delete=models.PROTECT, related_name="referrals"
    )
    receiving_organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    sending_organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    consent = models.ForeignKey(Consent, on_delete=models.RESTRICT, related_name="referrals")
    status = models.CharField(
        max_length=12, default=wf.REFERRAL_SENT, choices=[(s, s) for s in wf.REFERRAL_STATUSES]
    )
    details = EncryptedTextField(blank=True)  # what the person needs (shared under the consent)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = EncryptedTextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, blank=True, choices=_choices(wf.REFERRAL_OUTCOMES))
    outcome_details = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["receiving_organisation", "status"], name="referral_recv_idx")
        ]


class Task(Record):
    """A task with a deadline; many come from the rules file (``rule_key``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, default="deadline")  # entitlement, deadline, task
    rule_key = models.CharField(max_length=60, blank=True)
    rule_version = models.CharField(max_length=20, blank=True)
    starts_on = models.DateField()
    due_on = models.DateField()
    assigned_organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    remind_days_before = models.PositiveSmallIntegerField(default=2)
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(done_at__isnull=True), name="task_open_due_idx"
            ),
            models.Index(fields=["case", "due_on"], name="task_case_due_idx"),
        ]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class ChildSafeguard(Record):
    """Guardian and child protection for a child's case (OSCE's eight steps)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="child")
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian_appointed_on = models.DateField(null=True, blank=True)
    child_protection_authority = models.CharField(max_length=200, blank=True)
    child_protection_notified_on = models.DateField(null=True, blank=True)


class BestInterestsDetermination(Record):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="bids")
    factors = models.JSONField()  # the seven factors → assessment
    durable_solution = models.CharField(max_length=30, choices=_choices(wf.DURABLE_SOLUTIONS))
    participants = models.CharField(max_length=300, blank=True)
    decided_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_on", "-id"]


class ReturnRiskAssessment(EncryptedModel, Record):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="return_assessments")
    country = models.CharField(max_length=2)
    answers = models.JSONField()  # the four questions → yes/no/unknown
    notes = EncryptedTextField(blank=True)
    conclusion = models.CharField(max_length=20)
    assessed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on", "-id"]


class ReturnRecord(EncryptedModel, Record):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="returns")
    country = models.CharField(max_length=2)
    returned_on = models.DateField()
    assessment = models.ForeignKey(
        ReturnRiskAssessment, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    override_reason = EncryptedTextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()


class NonPunishment(EncryptedModel, Record):
    """An offence committed under compulsion, and the decision on it (CoE Art. 26)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="non_punishment")
    offence = models.CharField(max_length=300)
    compulsion = EncryptedTextField()
    decision = models.CharField(
        max_length=20, choices=_choices(wf.NON_PUNISHMENT_DECISIONS), default="pending"
    )
    decided_by_body = models.CharField(max_length=200, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()


class CompensationClaim(Record):
    """A compensation claim (CoE Art. 15): amount, source and status."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="compensation_claims")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=30, choices=_choices(wf.COMPENSATION_SOURCES))
    status = models.CharField(
        max_length=12, default="planned", choices=[(s, s) for s in wf.COMPENSATION_STATUSES]
    )
    filed_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    amount_awarded = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()


class CriminalProceeding(Record):
    """Criminal proceedings the person takes part in: where, how far they are, and in what role
    (witness, injured party …). Palermo's own fields: HTCDS 2.0 has none for them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proceedings")
    country = models.CharField(max_length=2)  # where the proceedings run, ISO 3166-1 alpha-2
    stage = models.CharField(max_length=20, choices=_choices(wf.PROCEEDINGS_STAGES))
    roles = models.JSONField(default=list)  # codes of wf.PROCEEDINGS_ROLES
    authority = models.CharField(max_length=200, blank=True)  # court or prosecution office
    stage_on = models.DateField(null=True, blank=True)  # since when at this stage
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class IdentityDocument(EncryptedModel, Record):
    """An identity or travel document the person holds or is missing (withheld, lost …). In
    the case file's identity group: type, issuing country and number say who the person is."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(max_length=20, choices=_choices(wf.DOCUMENT_TYPES))
    issuing_country = models.CharField(max_length=2, blank=True)  # "" when not known
    status = models.CharField(max_length=24, choices=_choices(wf.DOCUMENT_STATUSES))
    number = EncryptedCharField(max_length=wf.DOCUMENT_NUMBER_MAX, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class BreakGlassAccess(EncryptedModel, Record):
    """Emergency access to a whole case file: reasoned, audited, flagged to co-ordinators."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reason = EncryptedTextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["case", "user", "expires_at"], name="breakglass_idx")]
