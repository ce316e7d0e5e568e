from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.core.models import AuditAction


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The system that will use it.")
    )
    expires_at = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. Leave empty for no expiry."),
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("any"))] + list(AuditAction.choices)
    )
    object_type = forms.CharField(label=_("Object type"), max_length=60, required=False)
    object_ref = forms.CharField(label=_("Object reference"), max_length=80, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[
            ("", _("any")),
            ("ok", _("ok")),
            ("refused", _("refused")),
            ("failed", _("failed")),
        ],
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # One entry by its number: where a page (an exercise's evidence) links to the entry.
    entry = forms.IntegerField(
        label=_("Entry"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.HiddenInput,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data
