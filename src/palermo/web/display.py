"""One display layer for codes shown to people (issue 15, item 3).

Data keeps its codes (``ForcedLabour``, ``XK``, ``sq``, ``case_worker``); pages show words,
in the reader's language where a translation exists:

* countries by name, from pycountry's ISO 3166 catalogue and its translations
  (``XK`` → "Kosovo", which ISO leaves user-assigned);
* languages by name, from Django's own translated language names, else pycountry's ISO 639;
* roles and screening status rules by their labels;
* any other code (an HTCDS picklist value such as ``PossibleVictimOfTrafficking``, a
  snake_case key) made readable: "Possible victim of trafficking".

The template filters are in ``palermo.web.templatetags.palermo``.
"""

from __future__ import annotations

import gettext as _gettext
import re
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# The screening engine's status rules (screening/engine.py) in words.
STATUS_RULES = {
    "self_identification": _("The person says they are a victim (benefit of the doubt)"),
    "palermo_elements_met": _("The elements of the Palermo definition are recorded"),
    "child_any_indication": _("A child with at least one indication of trafficking"),
    "indicators_noticed": _("Indications noticed, not yet reasonable grounds"),
    "no_indication": _("No indicator, element of the definition or claim recorded"),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(code: object) -> str:
    """``PossibleVictimOfTrafficking`` / ``palermo_elements_met`` → a readable phrase."""
    text = str(code or "").strip()
    if not text:
        return ""
    if " " not in text:
        text = _CAMEL.sub(" ", text.replace("_", " ").replace("-", " "))
        parts = text.split()
        text = " ".join(
            [parts[0]] + [p if p.isupper() and len(p) > 1 else p.lower() for p in parts[1:]]
        )
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=16)
def _iso_catalogue(domain: str, language: str) -> _gettext.NullTranslations:
    import pycountry

    try:
        return _gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return _gettext.NullTranslations()


def country_name(code: object, language: str | None = None) -> str:
    """An ISO 3166-1 alpha-2 code by its name in the reader's language; the code if unknown."""
    import pycountry

    value = str(code or "").strip().upper()
    if not value:
        return ""
    if value == "XK":
        return str(_("Kosovo"))
    country = pycountry.countries.get(alpha_2=value)
    if country is None:
        return value
    lang = (language or translation.get_language() or "en").split("-")[0]
    name = getattr(country, "common_name", None) or country.name
    return _iso_catalogue("iso3166-1", lang).gettext(name) if lang != "en" else name


def language_name(code: object) -> str:
    """An ISO 639-1 code (``sq``) by its name in the reader's language (``Albanian``)."""
    value = str(code or "").strip()
    if not value:
        return ""
    try:
        return str(translation.get_language_info(value.lower())["name_translated"])
    except KeyError:
        pass
    import pycountry

    lang = pycountry.languages.get(alpha_2=value.lower()) or pycountry.languages.get(
        alpha_3=value.lower()
    )
    if lang is None:
        return value
    reader = (translation.get_language() or "en").split("-")[0]
    return _iso_catalogue("iso639-3", reader).gettext(lang.name) if reader != "en" else lang.name


def role_name(code: object) -> str:
    from palermo.core.roles import Role

    try:
        return str(Role(str(code)).label)
    except ValueError:
        return words(code)


def status_rule_name(code: object) -> str:
    label = STATUS_RULES.get(str(code or ""))
    return str(label) if label is not None else words(code)
