"""Forms of the online-risk pages. Labels go through gettext; the job-offer questions come from
the rules file and are translated by their text (msgids listed in ``msgids.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from palermo.prevent import advert_input, checker, reports
from palermo.prevent.models import EvidenceTarget, LeadDecision, ListKind, ReportStatus

ANSWER_LABELS = {"yes": _("Yes"), "no": _("No"), "unknown": _("I don't know")}
MAX_AGENCY = 200


class CheckForm(forms.Form):
    """The job-offer questions: every question optional, three answers each."""

    agency = forms.CharField(
        label=_("Name of the agency or employer (optional, to look it up in the licence registry)"),
        required=False,
        max_length=MAX_AGENCY,
    )
    origin = forms.ChoiceField(label=_("Country you leave from"), required=False)
    destination = forms.ChoiceField(label=_("Country of the job"), required=False)

    def __init__(self, *args: Any, countries: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = checker.load()
        choices = [(a, ANSWER_LABELS[a]) for a in checker.ANSWERS]
        for q in rules.questions:
            self.fields[f"q_{q.id}"] = forms.ChoiceField(
                label=gettext(q.text),
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
            )
        country_choices = [("", gettext("— choose —")), *countries]
        for name in ("origin", "destination"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = country_choices

    def answers(self) -> dict[str, str]:
        return {
            name[2:]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("q_") and value
        }


class ReportForm(forms.Form):
    """The anonymous worker report. ``website`` is a trap for robots: people never see it."""

    who = forms.ChoiceField(
        label=_("Who is reporting?"),
        choices=list(reports.WHO.items()),
        widget=forms.RadioSelect,
    )
    country = forms.ChoiceField(label=_("Country where it happens"), required=False)
    place = forms.CharField(
        label=_("Town or area (no street address needed)"),
        required=False,
        max_length=reports.MAX_PLACE,
    )
    work_kind = forms.ChoiceField(label=_("Kind of work"), required=False)
    signs = forms.MultipleChoiceField(
        label=_("What did you see or experience?"),
        required=False,
        choices=list(reports.SIGNS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("What happened? Please do not write names unless you need to."),
        required=False,
        max_length=reports.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    consent_to_contact = forms.BooleanField(
        label=_("You may contact me about this report"), required=False
    )
    contact = forms.CharField(
        label=_(
            "How can we reach you safely? (phone, e-mail or messenger; only with the box ticked)"
        ),
        required=False,
        max_length=reports.MAX_CONTACT,
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=100)

    def __init__(self, *args: Any, countries: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country, work_kind = self.fields["country"], self.fields["work_kind"]
        assert isinstance(country, forms.ChoiceField)
        assert isinstance(work_kind, forms.ChoiceField)
        country.choices = [("", gettext("— choose —")), *countries]
        work_kind.choices = [("", gettext("— choose —")), *reports.WORK_KINDS.items()]


class LicenceImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of list"), choices=ListKind.choices)
    title = forms.CharField(label=_("Title of the list"), max_length=200)
    file = forms.FileField(
        label=_(
            "Licence list (CSV: name, licence_number, country, status, valid_until, source, retrieved_on)"
        )
    )


class LicenceSearchForm(forms.Form):
    q = forms.CharField(label=_("Agency name"), required=False, max_length=MAX_AGENCY)


class AdvertImportForm(forms.Form):
    label = forms.CharField(label=_("Name of this batch"), max_length=200)
    fmt = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("text", _("Pasted text (adverts separated by a blank line)")),
            ("csv", _("CSV with a 'text' column")),
            ("jsonl", _("JSON Lines with a 'text' field")),
        ],
    )
    file = forms.FileField(label=_("File"), required=False)
    pasted = forms.CharField(
        label=_("Or paste adverts here"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=advert_input.MAX_BYTES,
    )


class LeadDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(c.value, c.label) for c in LeadDecision if c.value not in ("open", "referred")],
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class EvidenceForm(forms.Form):
    target = forms.ChoiceField(label=_("Attach to"), choices=EvidenceTarget.choices)
    reference = forms.CharField(label=_("reference"), max_length=30)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class LeadReferForm(forms.Form):
    country_of_recruitment = forms.CharField(
        label=_("Country of recruitment (ISO code, optional)"), required=False, max_length=2
    )
    exploitation_form = forms.ChoiceField(
        label=_("Form of exploitation the adverts point to"),
        choices=[
            ("labour", _("Labour exploitation")),
            ("sexual", _("Sexual exploitation")),
            ("domestic_servitude", _("Domestic servitude")),
        ],
    )


class ReportTriageForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ReportStatus.DISMISSED.value, ReportStatus.DISMISSED.label),
            (ReportStatus.LABOUR_RIGHTS.value, ReportStatus.LABOUR_RIGHTS.label),
        ],
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)
