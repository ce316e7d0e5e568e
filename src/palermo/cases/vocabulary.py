"""HTCDS 2.0 picklists, ISO 3166 countries and ISO 639 languages for the case file.

Picklist values are the HTCDS system identifiers (``ForcedLabour``,
``DebtBondage`` …), read from ``data/htcds_picklists.json`` (extracted from
IOM's published standard, CC BY 4.0). Pure: no Django imports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pycountry

# Forms of exploitation as the screening context names them → HTCDS vic_TypeOfExploitation.
SCREENING_FORMS = {
    "labour": "ForcedLabour",
    "sexual": "SexualExploitation",
    "domestic_servitude": "Servitude",
}


@cache
def picklists() -> dict[str, dict[str, object]]:
    text = (
        resources.files("palermo.cases")
        .joinpath("data", "htcds_picklists.json")
        .read_text(encoding="utf-8")
    )
    return dict(json.loads(text)["picklists"])


def choices(field: str) -> list[tuple[str, str]]:
    """(value, label) pairs of an HTCDS picklist, in the standard's order."""
    values = picklists()[field]["values"]
    return [(str(v["name"]), str(v["label"])) for v in values]  # type: ignore[attr-defined]


def values(field: str) -> frozenset[str]:
    return frozenset(v for v, _ in choices(field))


def label(field: str, value: str) -> str:
    return dict(choices(field)).get(value, value)


def unknown_values(field: str, given: Iterable[str]) -> list[str]:
    allowed = values(field)
    return [g for g in given if g not in allowed]


def exploitation_codes(forms: Iterable[str]) -> tuple[list[str], list[str]]:
    """HTCDS exploitation types from HTCDS values or screening form names: (codes, unknown)."""
    allowed = values("vic_TypeOfExploitation")
    codes: list[str] = []
    unknown: list[str] = []
    for f in forms:
        code = SCREENING_FORMS.get(f, f)
        if code in allowed:
            if code not in codes:
                codes.append(code)
        else:
            unknown.append(f)
    return codes, unknown


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 → English short name. XK (Kosovo, user-assigned) is added: widely used."""
    found = {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}
    found.setdefault("XK", "Kosovo")
    return dict(sorted(found.items(), key=lambda kv: kv[1]))


def is_country(code: str) -> bool:
    return code in countries()


@cache
def languages() -> dict[str, str]:
    """ISO 639-1 two-letter codes where they exist (the ones people know), else ISO 639-3."""
    found: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if code:
            found[code] = lang.name
    return dict(sorted(found.items(), key=lambda kv: kv[1]))


def is_language(code: str) -> bool:
    return code in languages()
