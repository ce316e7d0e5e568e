"""Forms of the cross-border pages (labels through gettext; errors shown next to the field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.crossborder import vocabulary as v


def _words(words: dict[str, str]) -> list[tuple[str, Any]]:
    return [(code, _(label)) for code, label in words.items()]


class ConsentForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=20)
    partner = forms.ChoiceField(label=_("Partner instance"), choices=())
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    groups = forms.MultipleChoiceField(
        label=_("Information the person agrees to hand over"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    risks_explained = forms.BooleanField(
        label=_("The risks of the transfer were explained to the person"), required=False
    )
    guardian_consent = forms.BooleanField(
        label=_("For a child: the guardian consents too"), required=False
    )
    expires_on = forms.DateField(
        label=_("Consent valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, partners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]
        self.fields["purpose"].choices = _words(v.PURPOSES)  # type: ignore[attr-defined]
        self.fields["groups"].choices = _words(v.GROUP_LABELS)  # type: ignore[attr-defined]


class SendForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=20)
    partner = forms.ChoiceField(label=_("Partner instance"), choices=())
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    handling = forms.ChoiceField(label=_("Handling code"), choices=())

    def __init__(self, *args: Any, partners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]
        self.fields["purpose"].choices = _words(v.PURPOSES)  # type: ignore[attr-defined]
        self.fields["handling"].choices = [  # type: ignore[attr-defined]
            (code, f"{code} – {_(label)}") for code, label in v.HANDLING.items()
        ]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _words(v.STATUSES)  # type: ignore[attr-defined]


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = _words(v.REVOKE_REASONS)  # type: ignore[attr-defined]


class TrustListForm(forms.Form):
    file = forms.FileField(label=_("Signed trust list (compact JWS file)"))


class PoliceExchangeForm(forms.Form):
    # Reference, country and date are checked by the service (one message per field, all at
    # once), so the form does not stop at "required" before the others are seen.
    channel = forms.ChoiceField(label=_("Channel"), choices=())
    direction = forms.ChoiceField(label=_("Direction"), choices=())
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    handling = forms.ChoiceField(label=_("Handling code"), choices=())
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter ISO 3166-1 code of the other country."),
    )
    exchanged_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from palermo.crossborder.models import Direction

        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = _words(v.POLICE_CHANNELS)  # type: ignore[attr-defined]
        self.fields["direction"].choices = Direction.choices  # type: ignore[attr-defined]
        self.fields["handling"].choices = [  # type: ignore[attr-defined]
            (code, f"{code} – {_(label)}") for code, label in v.HANDLING.items()
        ]
