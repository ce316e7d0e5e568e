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
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=EvidenceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File (for a file)"), required=False)
    target = forms.CharField(label=_("Case reference, indicator id or year (for a link)"), max_length=80,
                             required=False)


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=RecommendationStatus.choices)
    reason = forms.CharField(label=_("Reason (required when not accepted)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    note = forms.CharField(label=_("Follow-up note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=5000)
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkMeasureForm(forms.Form):
    measure = forms.TypedChoiceField(label=_("Measure that answers it"), coerce=int, choices=())

    def __init__(self, *args: object, measures: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["measure"].choices = measures  # type: ignore[attr-defined]


class RegisterFilterForm(forms.Form):
    source_body = forms.ChoiceField(label=_("Monitoring body"), required=False,
                                    choices=[("", _("All"))] + SourceBody.choices)
    area = forms.ChoiceField(label=_("Thematic area"), required=False, choices=[("", _("All"))] + ThematicArea.choices)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + RecommendationStatus.choices)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Recommendations file (CSV or XLSX)"))


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Reporting year"), coerce=int, required=False, choices=())

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["year"].choices = [("", _("All years"))] + [(y, str(y)) for y in years]  # type: ignore[attr-defined]
