"""Words, not codes, for the red-flag typologies shown on the investigation pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


# --- alert summaries and role evidence in the reader's language (investigate/summaries.py) ---

# Translators: a number of things in an alert's summary, e.g. "3 payments" (always a count).
_COUNTED = {
    "payments": lambda n: ngettext("{n} payment", "{n} payments", n),
    "days": lambda n: ngettext("{n} day", "{n} days", n),
    "individuals": lambda n: ngettext("{n} individual", "{n} individuals", n),
    "workers": lambda n: ngettext("{n} worker", "{n} workers", n),
    "originators": lambda n: ngettext("{n} originator", "{n} originators", n),
    "intermediaries": lambda n: ngettext("{n} intermediary", "{n} intermediaries", n),
    "accounts": lambda n: ngettext("{n} account", "{n} accounts", n),
    "new counterparties": lambda n: ngettext("{n} new counterparty", "{n} new counterparties", n),
    "others": lambda n: ngettext("{n} other", "{n} others", n),
    "transactions": lambda n: ngettext("{n} transaction", "{n} transactions", n),
    "payers": lambda n: ngettext("{n} payer", "{n} payers", n),
}

IDENTIFIER_WORDS = {
    "address": _("address"),
    "phone": _("phone number"),
    "email": _("e-mail address"),
    "device": _("device"),
}


@lru_cache(maxsize=1)
def _category_labels() -> dict[str, str]:
    from palermo.investigate.classify import load_category_table

    return {c.id: c.label for c in load_category_table().categories}


def _sayers() -> dict[str, Callable[[Any], str]]:
    from palermo.web.display import data_text, number
    from palermo.web.sentences import lower_first

    def counted(said: Callable[[int], str]) -> Callable[[Any], str]:
        return lambda n: said(n).format(n=number(n))

    sayers = {f"count:{noun}": counted(said) for noun, said in _COUNTED.items()}
    # A payee category by its label in the data file ("Hotels, motels and short-term lodging").
    sayers["category"] = lambda c: lower_first(data_text(_category_labels().get(c, c)))
    sayers["identifier"] = lambda k: str(IDENTIFIER_WORDS.get(k, k))
    return sayers


@register.filter
def alert_summary(alert: Any) -> str:
    """An alert's stored English summary in the reader's language, or as written in a
    ``<span lang="en">`` when its rule's sentences do not read it back."""
    from palermo.investigate.summaries import ALERTS, RULE_SENTENCES
    from palermo.web.sentences import shown, shown_html

    # A rule of the deployment's own has no sentences here: its summary is shown as written.
    keys = list(RULE_SENTENCES.get(str(getattr(alert, "rule_id", "")), ()))
    return shown_html(shown(getattr(alert, "summary", ""), ALERTS, _sayers(), keys))


@register.filter
def role_evidence(role: Any) -> str:
    """The evidence for an account's role (network.py), in the reader's language."""
    from palermo.investigate.summaries import ROLES
    from palermo.web.sentences import shown, shown_html

    return shown_html(shown(getattr(role, "evidence", ""), ROLES, _sayers()))
