"""Words, not codes, for the red-flag typologies shown on the investigation pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

TYPOLOGY_LABELS = {
    "fan_in": _("Funnel account (fan-in)"),
    "fan_out": _("Fan-out to new counterparties"),
    "cycle": _("Round-tripping cycle"),
    "scatter_gather": _("Scatter-gather"),
    "gather_scatter": _("Gather-scatter hub"),
    "bipartite": _("Bipartite set (many-to-many)"),
    "stack": _("Stacked layers"),
    "shared_identifier": _("Shared identifier"),
    "alternative_payments": _("Virtual assets and prepaid cards"),
    "late_night": _("Late-night transactions"),
    "lodging": _("Hotels and short-stay lodging"),
    "no_payroll": _("Turnover without payroll"),
    "online_advertising": _("Online advertising"),
    "recruitment_fees": _("Recruitment fees"),
    "remittance": _("Money transfers"),
    "transport": _("Transport tickets"),
    "wage_kickback": _("Wages handed back"),
}


@register.filter
def typology_label(code: object) -> str:
    """The translated name of a typology; an unknown code as words."""
    label = TYPOLOGY_LABELS.get(str(code or ""))
    if label is not None:
        return str(label)
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


ROLE_LABELS = {
    "collector": _("Collector"),
    "pass_through": _("Pass-through"),
    "facilitator": _("Facilitator"),
    "beneficial_owner": _("Beneficial owner"),
}


@register.filter
def role_label(code: object) -> str:
    """The translated name of an account's role in the network; an unknown code as words."""
    label = ROLE_LABELS.get(str(code or ""))
    if label is not None:
        return str(label)
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
