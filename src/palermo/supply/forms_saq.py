"""Forms of the questionnaire and classification pages (labels translated; the substance is
checked by the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.supply import questionnaire as saq
from palermo.supply.models import Site, Supplier
from palermo.web.display import data_text


class SendForm(forms.Form):
    sent_on = forms.DateField(
        label=_("Sent on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AnswersForm(forms.Form):
    """One field per question of the version sent; a blank answer is "not answered"."""

    def __init__(self, *args: Any, template: saq.Template, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in template.questions:
            label, help_text = data_text(q.text), data_text(q.help)
            field: forms.Field
            if q.type in ("yes_no", "choice"):
                field = forms.ChoiceField(
                    choices=[("", _("not answered"))]
                    + [(code, data_text(text)) for code, text in q.choices()],
                    required=False,
                )
            elif q.type == "number":
                field = forms.IntegerField(min_value=0, max_value=saq.MAX_NUMBER, required=False)
            else:
                field = forms.CharField(
                    max_length=saq.MAX_TEXT,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            field.label, field.help_text = label, help_text
            self.fields[q.id] = field

    def answers(self) -> dict[str, str]:
        return {k: "" if v is None else str(v) for k, v in self.cleaned_data.items()}


class ActionsForm(forms.Form):
    owner = forms.CharField(label=_("Owner"), max_length=200)
    due_on = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class CodeMapForm(forms.Form):
    code = forms.CharField(
        label=_("CPV or UNSPSC code"),
        max_length=24,
        help_text=_("cpv:18100000-0 (8 digits, a dash and the check digit) or unspsc:53100000"),
    )
    hs = forms.CharField(label=_("HS code"), max_length=14, help_text=_("e.g. 6109"))


class RecruiterLinkForm(forms.Form):
    recruiter = forms.ModelChoiceField(
        label=_("Labour recruiter or agency"), queryset=Supplier.objects.none()
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    workers = forms.IntegerField(label=_("Workers placed"), min_value=0, required=False)
    evidence = forms.CharField(
        label=_("Source of the information"),
        max_length=300,
        help_text=_("What says so, e.g. the supplier's disclosure of 1 February 2026."),
    )

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recruiter"].queryset = Supplier.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, is_recruiter=True
        )
        self.fields["site"].queryset = Site.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
