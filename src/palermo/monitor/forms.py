"""Forms of the monitoring pages (labels through gettext; errors shown next to the field)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.monitor.models import (
    EvidenceKind,
    MeasureStatus,
    RecommendationStatus,
    SourceBody,
    ThematicArea,
)


class ProgressNoteForm(forms.Form):
    noted_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status of the measure"), choices=MeasureStatus.choices)
    text = forms.CharField(
        label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=EvidenceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File (for a file)"), required=False)
    target = forms.CharField(
        label=_("Case reference, indicator id or year (for a link)"), max_length=80, required=False
    )


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=RecommendationStatus.choices)
    reason = forms.CharField(
        label=_("Reason (required when not accepted)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )
    note = forms.CharField(
        label=_("Follow-up note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkMeasureForm(forms.Form):
    measure = forms.TypedChoiceField(label=_("Measure that answers it"), coerce=int, choices=())

    def __init__(self, *args: object, measures: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["measure"].choices = measures  # type: ignore[attr-defined]


class RegisterFilterForm(forms.Form):
    source_body = forms.ChoiceField(
        label=_("Monitoring body"), required=False, choices=[("", _("All"))] + SourceBody.choices
    )
    area = forms.ChoiceField(
        label=_("Thematic area"), required=False, choices=[("", _("All"))] + ThematicArea.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + RecommendationStatus.choices
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Recommendations file (CSV or XLSX)"))


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Reporting year"), coerce=int, required=False, choices=())

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["year"].choices = [("", _("All years"))] + [(y, str(y)) for y in years]  # type: ignore[attr-defined]


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))


class ObjectiveForm(forms.Form):
    code = forms.CharField(label=_("Number"), max_length=20)
    title = forms.CharField(label=_("Objective"), max_length=300)
    area = forms.ChoiceField(
        label=_("Thematic area"), required=False, choices=[("", "—")] + ThematicArea.choices
    )


class MeasureForm(forms.Form):
    objective = forms.TypedChoiceField(label=_("Objective"), coerce=int, choices=())
    code = forms.CharField(label=_("Number"), max_length=20)
    title = forms.CharField(label=_("Measure"), max_length=300)
    responsible = forms.TypedMultipleChoiceField(
        label=_("Responsible organisations"),
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    budget_line = forms.CharField(label=_("Budget line"), max_length=120, required=False)
    budget_amount = forms.DecimalField(
        label=_("Budget amount"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    budget_currency = forms.CharField(label=_("Currency (ISO 4217)"), max_length=3, required=False)

    def __init__(
        self,
        *args: object,
        objectives: list[tuple[int, str]],
        organisations: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["objective"].choices = objectives  # type: ignore[attr-defined]
        self.fields["responsible"].choices = organisations  # type: ignore[attr-defined]
