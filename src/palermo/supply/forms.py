"""Forms of the supply-chain pages (labels translated; validation of substance is the
services' — these only shape the input)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.supply import riskdata, vocabulary
from palermo.supply.models import CorrectiveAction, Level, MeasureRecord, Site, Supplier


def _choices(mapping: dict[str, str]) -> list[tuple[str, Any]]:
    return [(k, _(v)) for k, v in mapping.items()]


class FileForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))


class OrderFileForm(forms.Form):
    file = forms.FileField(label=_("File (CSV, XLSX or OCDS JSON)"))


def _list_kinds() -> list[tuple[str, Any]]:
    """Every kind of list that imports (``riskdata.list_kinds``: a registered format appears
    here without a change to this form)."""
    return [(key, _(label)) for key, label, _columns in riskdata.list_kinds()]


class RiskImportForm(forms.Form):
    # Not required: a form sent without it imports the US DOL list, as before there was a choice.
    format = forms.ChoiceField(
        label=_("Kind of list"), choices=_list_kinds, initial="us_dol", required=False
    )
    file = forms.FileField(label=_("Risk list file (CSV or XLSX)"))
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        initial="US Department of Labor, ILAB — List of Goods Produced by Child Labor or Forced Labor",
    )
    edition = forms.CharField(label=_("Edition"), max_length=60, help_text=_("e.g. 2024"))
    licence = forms.CharField(
        label=_("Licence"), max_length=200, help_text=_("As the publisher states it.")
    )
    retrieved_on = forms.DateField(
        label=_("Downloaded on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    url = forms.URLField(
        label=_("Address it was downloaded from"),
        required=False,
        max_length=200,
        assume_scheme="https",
    )


class CrosswalkForm(forms.Form):
    code = forms.CharField(
        label=_("Product code"), max_length=24, help_text=_("hs:6109, cpv:18 or unspsc:53")
    )
    good = forms.CharField(label=_("Good on the risk list"), max_length=200)


class SupplierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    company_id = forms.CharField(label=_("National company id"), max_length=40)
    lei = forms.CharField(label=_("LEI"), max_length=20, required=False)
    parent = forms.CharField(label=_("Parent company"), max_length=200, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, help_text=_("Two-letter ISO 3166-1 code.")
    )
    has_policy = forms.BooleanField(label=_("Anti-trafficking policy in place"), required=False)
    audit_access = forms.BooleanField(label=_("Audit reports made available"), required=False)
    sites_disclosed = forms.BooleanField(
        label=_("Sites in the supply chain disclosed"), required=False
    )
    is_recruiter = forms.BooleanField(label=_("Labour recruiter or agency"), required=False)
    evidence = forms.CharField(
        label=_("What says so"),
        max_length=300,
        required=False,
        help_text=_(
            "Optional: the document, audit report or conversation these values come from. "
            "It is kept with every field you change."
        ),
    )


class ContractForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=200)
    supplier = forms.ModelChoiceField(
        label=_("Supplier"), queryset=Supplier.objects.none(), required=False
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"),
        choices=Level.choices,
        help_text=_("Suggested: the highest level of the supplier's screened orders."),
    )

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(organisation=organisation)  # type: ignore[attr-defined]


class MeasureForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=MeasureRecord.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What was checked and what was found"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    evidence = forms.FileField(
        label=_("Evidence (file)"),
        required=False,
        help_text=_("Kept with its SHA-256 fingerprint. At most 10 MB."),
    )


class ActionForm(forms.Form):
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.none())
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    indicator = forms.ChoiceField(
        label=_("ILO indicator of forced labour"), choices=_choices(vocabulary.ILO_INDICATORS)
    )
    finding = forms.ChoiceField(label=_("Finding"), choices=CorrectiveAction.Finding.choices)
    workers_affected = forms.IntegerField(label=_("Workers affected"), min_value=0, initial=0)
    description = forms.CharField(
        label=_("What was found and what must change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    owner = forms.CharField(label=_("Owner"), max_length=200)
    due_on = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(organisation=organisation)  # type: ignore[attr-defined]


class InspectionForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    visited_on = forms.DateField(
        label=_("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"})
    )
    indicators = forms.MultipleChoiceField(
        label=_("ILO indicators of forced labour found"),
        choices=_choices(vocabulary.ILO_INDICATORS),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    workers_interviewed = forms.IntegerField(label=_("Workers interviewed"), min_value=0, initial=0)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("What was found at the site. Write no worker's name."),
    )

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("The worker was told what a screening is and who will see it, and agreed to it."),
        required=False,
    )


class FeeForm(forms.Form):
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.none())
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    workers_affected = forms.IntegerField(label=_("Workers affected"), min_value=1)
    amount_owed = forms.DecimalField(
        label=_("Amount owed"), min_value=0, decimal_places=2, max_digits=15
    )
    amount_repaid = forms.DecimalField(
        label=_("Amount repaid"), min_value=0, decimal_places=2, max_digits=15
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, help_text=_("Write no worker's name.")
    )

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
