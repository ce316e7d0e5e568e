"""Forms of the case pages. They only shape input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.cases import vocabulary
from palermo.cases import wf_words as wf
from palermo.cases.models import CaseSource, ServiceProvider, TeamRole
from palermo.core.models import Organisation
from palermo.core.selectors import organisations_to_choose
from palermo.web.display import htcds_choices

DATE = forms.DateInput(attrs={"type": "date"})


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—"), *list(choices)]


def _countries() -> list[tuple[str, str]]:
    """ISO 3166 countries by name in the reader's language, in that language's order."""
    from palermo.web.display import country_name

    named = [(c, country_name(c)) for c in vocabulary.countries()]
    return [(c, f"{n} ({c})") for c, n in sorted(named, key=lambda x: x[1].casefold())]


def _languages() -> list[tuple[str, str]]:
    """ISO 639 languages by name in the reader's language, in that language's order."""
    from palermo.web.display import language_name

    named = [(c, language_name(c)) for c in vocabulary.languages()]
    return [(c, f"{n} ({c})") for c, n in sorted(named, key=lambda x: x[1].casefold())]


class OrganisationChoices(forms.Form):
    """A form with organisation drop-downs: it lists (and so accepts) only the organisations the
    reader may name (``core.selectors.organisations_to_choose``: in an exercise instance a
    trainee's own team's). ``actor`` is required, so a view cannot forget it."""

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def organisations(self) -> Any:
        return organisations_to_choose(self.actor)


class VersionForm(forms.Form):
    """Every edit of the case carries the version it was based on (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


REFERRAL_MINIMUM = {
    wf.REFERRAL_SUBJECT: (
        "exploitation_forms",
        _(
            "Say what the referral is about: choose a form of exploitation, or describe what happened."
        ),
    ),
    wf.REFERRAL_PERSON: (
        "given_name",
        _(
            "Give a way to find the person again: their reference with the referring organisation, "
            "a name or a phone number."
        ),
    ),
}


class OpenCaseForm(forms.Form):
    # No preselected source: who referred the person is a fact to record, not a default.
    source = forms.ChoiceField(label=_("Referral from"), choices=_blank(CaseSource.choices))
    source_ref = forms.CharField(
        label=_("Their reference"),
        max_length=80,
        required=False,
        help_text=_("e.g. the screening or hotline reference. Never a name."),
    )
    referral_date = forms.DateField(label=_("Referral received on"), required=False, widget=DATE)
    referring_country = forms.ChoiceField(
        label=_("Referring country (transnational referral)"), required=False
    )
    is_child = forms.BooleanField(
        label=_("A child or presumed child"),
        required=False,
        help_text=_(
            "If the age is uncertain and there are reasons to believe the person is a child, tick this."
        ),
    )
    exploitation_forms = forms.MultipleChoiceField(
        label=_("Forms of exploitation"), required=False, widget=forms.CheckboxSelectMultiple
    )
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    citizenship = forms.ChoiceField(label=_("Citizenship"), required=False)
    primary_language = forms.ChoiceField(label=_("Language"), required=False)
    phone = forms.CharField(label=_("Phone (international format)"), max_length=30, required=False)
    street = forms.CharField(label=_("Current address: street"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    summary = forms.CharField(
        label=_("What the referral says"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10_000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referring_country"].choices = _blank(_countries())
        self.fields["citizenship"].choices = _blank(_countries())
        self.fields["primary_language"].choices = _blank(_languages())
        self.fields["exploitation_forms"].choices = htcds_choices("vic_TypeOfExploitation")

    # The screening's referral form knows who the person is from the screening's reference.
    reference_known = False

    def clean(self) -> dict[str, Any]:
        """A referral's minimum (issue 15, item 6): what it is about, and a way to find the
        person again. An empty form opens no case; each message sits beside its field."""
        data = super().clean() or {}
        for problem in wf.referral_minimum_problems(
            exploitation_forms=data.get("exploitation_forms") or [],
            summary=data.get("summary") or "",
            person_known=self.reference_known
            or any(
                (data.get(k) or "").strip()
                for k in ("source_ref", "given_name", "family_name", "phone")
            ),
        ):
            field_name, message = REFERRAL_MINIMUM[problem]
            if field_name in self.fields and field_name not in self.errors:
                self.add_error(field_name, message)
        return data


class DecisionForm(VersionForm):
    # Radio buttons, none chosen: a decision about a person is never a default (issue 15, item 6).
    outcome = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (wf.PRESUMED, wf.IDENTIFICATION_LABELS[wf.PRESUMED]),
            (wf.IDENTIFIED, wf.IDENTIFICATION_LABELS[wf.IDENTIFIED]),
            (wf.NOT_IDENTIFIED, wf.IDENTIFICATION_LABELS[wf.NOT_IDENTIFIED]),
        ],
    )
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000
    )
    basis = forms.ChoiceField(
        label=_("Changing a 'not identified' status: on what grounds"),
        required=False,
        choices=[("", "—"), ("appeal", _("on appeal")), ("new_facts", _("on new facts"))],
    )


class TransitionForm(VersionForm):
    target = forms.ChoiceField(label=_("Move to phase"), choices=list(wf.PHASE_LABELS.items()))
    closure_reason = forms.ChoiceField(
        label=_("Reason for closure (when closing)"),
        required=False,
        choices=_blank(wf.CLOSURE_REASONS.items()),
    )
    closure_details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000
    )
    corrects_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class InterpreterRequestForm(forms.Form):
    language = forms.ChoiceField(label=_("Language the person needs"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = _blank(_languages())


class PersonForm(VersionForm):
    """Fields are removed by the view for groups the actor may not see."""

    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    birthdate = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    gender = forms.ChoiceField(label=_("Gender"), required=False)
    citizenship = forms.MultipleChoiceField(
        label=_("Citizenship"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    primary_language = forms.ChoiceField(label=_("Primary language"), required=False)
    secondary_language = forms.ChoiceField(label=_("Second language"), required=False)
    identity_number = forms.CharField(
        label=_("Identity document number"), max_length=60, required=False
    )
    phone = forms.CharField(label=_("Phone (international format)"), max_length=30, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    street = forms.CharField(label=_("Current address: street"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = _blank(htcds_choices("prs_Gender"))
        self.fields["citizenship"].choices = _countries()
        self.fields["primary_language"].choices = _blank(_languages())
        self.fields["secondary_language"].choices = _blank(_languages())
        self.fields["country"].choices = _blank(_countries())


class ContextForm(VersionForm):
    methods_of_recruitment = forms.MultipleChoiceField(
        label=_("Methods of recruitment"), required=False, widget=forms.CheckboxSelectMultiple
    )
    methods_of_control = forms.MultipleChoiceField(
        label=_("Methods of control"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exploitation_types = forms.MultipleChoiceField(
        label=_("Types of exploitation"), required=False, widget=forms.CheckboxSelectMultiple
    )
    forced_labour_industry = forms.ChoiceField(
        label=_("Forced-labour industry (ISIC)"), required=False
    )
    sex_exploitation_types = forms.MultipleChoiceField(
        label=_("Type of sexual exploitation"), required=False, widget=forms.CheckboxSelectMultiple
    )
    relationship_to_trafficker = forms.ChoiceField(
        label=_("Relationship to trafficker"), required=False
    )
    age_when_trafficked = forms.IntegerField(
        label=_("Age when trafficked"), required=False, min_value=0, max_value=120
    )
    countries_of_recruitment = forms.MultipleChoiceField(
        label=_("Countries of recruitment"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    countries_of_transit = forms.MultipleChoiceField(
        label=_("Countries of transit"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    countries_of_exploitation = forms.MultipleChoiceField(
        label=_("Countries of exploitation"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["methods_of_recruitment"].choices = htcds_choices("vic_MethodOfRecruitment")
        self.fields["methods_of_control"].choices = htcds_choices("vic_MethodsOfControl")
        self.fields["exploitation_types"].choices = htcds_choices("vic_TypeOfExploitation")
        self.fields["forced_labour_industry"].choices = _blank(
            htcds_choices("vic_ForcedLabourIndustry")
        )
        self.fields["sex_exploitation_types"].choices = htcds_choices("vic_TypeOfSexExploitation")
        self.fields["relationship_to_trafficker"].choices = _blank(
            htcds_choices("vic_RelationshipToTrafficker")
        )
        for f in ("countries_of_recruitment", "countries_of_transit", "countries_of_exploitation"):
            self.fields[f].choices = _countries()


class CaseDetailsForm(OrganisationChoices, VersionForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(wf.STATUS_ACTIVE, _("Active")), (wf.STATUS_FOLLOW_UP, _("Follow up"))],
    )
    is_child = forms.BooleanField(label=_("A child or presumed child"), required=False)
    cooperates = forms.ChoiceField(
        label=_("Co-operates with the authorities"),
        required=False,
        choices=[("", _("not known / not asked")), ("yes", _("yes")), ("no", _("no"))],
        help_text=_(
            "Recorded for residence permits on co-operation only. No right in Palermo depends on it."
        ),
    )
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = self.organisations()


class ConsentForm(OrganisationChoices):
    scopes = forms.MultipleChoiceField(
        label=_("What may be shared"),
        choices=list(wf.CONSENT_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    recipient = forms.ModelChoiceField(label=_("With whom"), queryset=Organisation.objects.none())
    purpose = forms.ChoiceField(
        label=_("For what purpose"), choices=_blank(wf.CONSENT_PURPOSES.items())
    )
    given_by = forms.ChoiceField(label=_("Given by"), choices=list(wf.CONSENT_GIVERS.items()))
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = self.organisations()


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DATE)


class ReferralForm(OrganisationChoices):
    service_type = forms.ChoiceField(label=_("Service"), choices=_blank(wf.SERVICE_TYPES.items()))
    provider = forms.ModelChoiceField(
        label=_("Service provider"), queryset=ServiceProvider.objects.none()
    )
    consent = forms.ChoiceField(label=_("Consent that covers this referral"))
    details = forms.CharField(
        label=_("What the person needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Shared with the receiving organisation."),
    )

    def __init__(self, *args: Any, consents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = ServiceProvider.objects.filter(
            is_active=True, organisation__in=self.organisations()
        ).select_related("organisation")
        self.fields["consent"].choices = _blank(
            (
                str(c.pk),
                f"{c.recipient.name}: {', '.join(c.scopes)} — {wf.CONSENT_PURPOSES[c.purpose]} ({c.given_on})",
            )
            for c in consents
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the referral is declined"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class CloseReferralForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_blank(wf.REFERRAL_OUTCOMES.items()))
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class TeamForm(OrganisationChoices):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role in the case"), choices=TeamRole.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = self.organisations()


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What must be done"), max_length=300)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    remind_days_before = forms.IntegerField(
        label=_("Remind this many days before"), initial=2, min_value=0, max_value=60
    )


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class TraffickingEventForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event"), choices=[])
    date = forms.DateField(label=_("Date"), required=False, widget=DATE)
    country = forms.ChoiceField(label=_("Country"), required=False)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = htcds_choices("hte_Type")
        self.fields["country"].choices = _blank(_countries())


class SuspectForm(forms.Form):
    name_or_alias = forms.CharField(label=_("Name or alias"), max_length=200)
    roles = forms.MultipleChoiceField(
        label=_("Role in the trafficking process"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organisation = forms.CharField(
        label=_("Organisation or business"), required=False, max_length=200
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = htcds_choices("per_RoleInProcess")


class GuardianForm(forms.Form):
    guardian_name = forms.CharField(label=_("Guardian"), max_length=200)
    appointed_on = forms.DateField(label=_("Appointed on"), widget=DATE)


class ChildProtectionForm(forms.Form):
    authority = forms.CharField(label=_("Child protection authority notified"), max_length=200)
    notified_on = forms.DateField(label=_("Notified on"), widget=DATE)


class BidForm(forms.Form):
    durable_solution = forms.ChoiceField(
        label=_("Durable solution"), choices=_blank(wf.DURABLE_SOLUTIONS.items())
    )
    decided_on = forms.DateField(label=_("Determined on"), widget=DATE)
    participants = forms.CharField(label=_("Participants (roles)"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in wf.BID_FACTORS.items():
            self.fields[f"factor_{key}"] = forms.CharField(
                label=label,
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=5000,
                required=False,
            )


ANSWER_CHOICES = [("", "—"), ("yes", _("yes")), ("no", _("no")), ("unknown", _("unknown"))]


class ReturnAssessmentForm(forms.Form):
    country = forms.ChoiceField(label=_("Country of return"))
    risk_of_harm = forms.ChoiceField(
        label=wf.RETURN_QUESTIONS["risk_of_harm"], choices=ANSWER_CHOICES, required=False
    )
    authorities_can_protect = forms.ChoiceField(
        label=wf.RETURN_QUESTIONS["authorities_can_protect"], choices=ANSWER_CHOICES, required=False
    )
    risk_of_prosecution = forms.ChoiceField(
        label=wf.RETURN_QUESTIONS["risk_of_prosecution"], choices=ANSWER_CHOICES, required=False
    )
    services_support_inclusion = forms.ChoiceField(
        label=wf.RETURN_QUESTIONS["services_support_inclusion"],
        choices=ANSWER_CHOICES,
        required=False,
    )
    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[
            ("", "—"),
            (wf.ACCEPTABLE, _("The risk is acceptable")),
            (wf.NOT_ACCEPTABLE, _("The risk is not acceptable")),
        ],
        required=False,
    )
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DATE)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _blank(_countries())


class ReturnForm(forms.Form):
    country = forms.ChoiceField(label=_("Country of return"))
    returned_on = forms.DateField(label=_("Date of return"), widget=DATE)
    override_reason = forms.CharField(
        label=_("Co-ordinator's override: reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Only when no assessment concludes the risk is acceptable."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _blank(_countries())


class NonPunishmentForm(forms.Form):
    offence = forms.CharField(label=_("Offence"), max_length=300)
    compulsion = forms.CharField(
        label=_("How it stemmed from the trafficking"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=list(wf.NON_PUNISHMENT_DECISIONS.items())
    )
    decided_by_body = forms.CharField(label=_("Decided by"), required=False, max_length=200)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DATE)


class NonPunishmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(k, v) for k, v in wf.NON_PUNISHMENT_DECISIONS.items() if k != "pending"],
    )
    decided_by_body = forms.CharField(label=_("Decided by"), max_length=200)
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)


class TeamRemoveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Remove this organisation from the case team"), required=True
    )


class CompensationForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount claimed"), max_digits=14, decimal_places=2, min_value=0
    )
    currency = forms.CharField(label=_("Currency (ISO 4217)"), max_length=3, initial="EUR")
    source = forms.ChoiceField(label=_("Paid by"), choices=_blank(wf.COMPENSATION_SOURCES.items()))
    filed_on = forms.DateField(label=_("Filed on (if filed)"), required=False, widget=DATE)


class CompensationStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"), choices=[(s, s) for s in ("filed", "awarded", "rejected", "paid")]
    )
    on = forms.DateField(label=_("On"), required=False, widget=DATE)
    amount_awarded = forms.DecimalField(
        label=_("Amount awarded"), required=False, max_digits=14, decimal_places=2
    )


class ProceedingsForm(forms.Form):
    country = forms.ChoiceField(label=_("Country of the proceedings"))
    stage = forms.ChoiceField(label=_("Stage"), choices=_blank(wf.PROCEEDINGS_STAGES.items()))
    roles = forms.MultipleChoiceField(
        label=_("The person's role"),
        choices=list(wf.PROCEEDINGS_ROLES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    authority = forms.CharField(
        label=_("Court or prosecution office"), required=False, max_length=200
    )
    stage_on = forms.DateField(label=_("At this stage since"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _blank(_countries())


class ProceedingsUpdateForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=list(wf.PROCEEDINGS_STAGES.items()))
    roles = forms.MultipleChoiceField(
        label=_("The person's role"),
        choices=list(wf.PROCEEDINGS_ROLES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    stage_on = forms.DateField(label=_("At this stage since"), required=False, widget=DATE)


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Document"), choices=_blank(wf.DOCUMENT_TYPES.items()))
    issuing_country = forms.ChoiceField(label=_("Issued by"), required=False)
    status = forms.ChoiceField(label=_("Where it is"), choices=_blank(wf.DOCUMENT_STATUSES.items()))
    number = forms.CharField(
        label=_("Document number"),
        required=False,
        max_length=wf.DOCUMENT_NUMBER_MAX,
        help_text=_("Only if known; stored encrypted."),
    )
    expires_on = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issuing_country"].choices = _blank(_countries())


class DocumentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Where it is now"), choices=list(wf.DOCUMENT_STATUSES.items())
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of appeal"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000
    )
    lodged_on = forms.DateField(label=_("Lodged on"), widget=DATE)


class AppealOutcomeForm(VersionForm):
    # Radio buttons, none chosen: the outcome of an appeal is never a default (issue 15, item 6).
    upheld = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[("yes", _("Upheld")), ("no", _("Dismissed"))],
    )
    new_outcome = forms.ChoiceField(
        label=_("New decision (when upheld)"),
        required=False,
        choices=[
            ("", "—"),
            (wf.PRESUMED, wf.IDENTIFICATION_LABELS[wf.PRESUMED]),
            (wf.IDENTIFIED, wf.IDENTIFICATION_LABELS[wf.IDENTIFIED]),
        ],
    )
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000
    )


class LegalBasisForm(OrganisationChoices):
    organisation = forms.ModelChoiceField(
        label=_("Law-enforcement organisation"), queryset=Organisation.objects.none()
    )
    basis = forms.CharField(
        label=_("Legal basis"), max_length=300, help_text=_("e.g. the court order and its number")
    )
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from palermo.cases.selectors import LAW_ENFORCEMENT_TYPES

        self.fields["organisation"].queryset = self.organisations().filter(
            org_type__in=LAW_ENFORCEMENT_TYPES
        )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("The emergency"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Recorded, audited and shown to the co-ordinators."),
    )


class CaseSearchForm(OrganisationChoices):
    q = forms.CharField(label=_("Reference"), max_length=40, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank(
            [
                (wf.STATUS_ACTIVE, _("Active")),
                (wf.STATUS_FOLLOW_UP, _("Follow up")),
                (wf.STATUS_CLOSED, _("Closed")),
                (wf.STATUS_CLOSED_REFERRED, _("Closed referred")),
            ]
        ),
    )
    phase = forms.ChoiceField(
        label=_("Phase"), required=False, choices=_blank(wf.PHASE_LABELS.items())
    )
    identification_status = forms.ChoiceField(
        label=_("Identification"), required=False, choices=_blank(wf.IDENTIFICATION_LABELS.items())
    )
    deadline = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[
            ("", "—"),
            ("overdue", _("overdue")),
            ("due_soon", _("due within 7 days")),
            ("none", _("none open")),
        ],
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation on the team"), required=False, queryset=Organisation.objects.none()
    )
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    exploitation = forms.ChoiceField(label=_("Form of exploitation"), required=False)
    child = forms.ChoiceField(
        label=_("Child"), required=False, choices=[("", "—"), ("yes", _("yes")), ("no", _("no"))]
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("newest", _("newest")),
            ("oldest", _("oldest")),
            ("deadline", _("next deadline")),
            ("reference", _("reference")),
            ("phase", _("phase")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = self.organisations()
        self.fields["nationality"].choices = _blank(_countries())
        self.fields["exploitation"].choices = _blank(htcds_choices("vic_TypeOfExploitation"))


class ServiceProviderForm(OrganisationChoices):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    service_types = forms.MultipleChoiceField(
        label=_("Services"),
        choices=list(wf.SERVICE_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(label=_("Capacity (0 = not limited)"), min_value=0, initial=0)
    languages = forms.MultipleChoiceField(
        label=_("Languages"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    area_served = forms.CharField(label=_("Area served"), required=False, max_length=200)
    is_closed_facility = forms.BooleanField(
        label=_("Closed facility (residents may not leave freely)"), required=False
    )
    accepts_children = forms.BooleanField(label=_("Takes children"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = self.organisations()
        self.fields["languages"].choices = _languages()
