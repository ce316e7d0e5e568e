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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The screening engine's status rules (screening/engine.py) in words.
STATUS_RULES = {
    "combination_met": _("An indicator list's combination for trafficking is met"),
    "severe_exploitation": _("Signs of severe exploitation"),
    "self_identification": _("The person says they are a victim (benefit of the doubt)"),
    "palermo_elements_met": _("The elements of the Palermo definition are recorded"),
    "child_any_indication": _("A child with at least one indication of trafficking"),
    "indicators_noticed": _("Indications noticed, not yet reasonable grounds"),
    "no_indication": _("No indicator, element of the definition or claim recorded"),
}

# Other codes pages show through |human or |words, in words (issue 15, item 3).
CODE_WORDS = {
    # screening statuses and indicator vocabulary
    "presumed_victim": _("Presumed victim"),
    "potential_victim": _("Potential victim"),
    "no_indication": _("No indication"),
    "strong": _("strong"),
    "medium": _("medium"),
    "weak": _("weak"),
    "observed": _("Observed"),
    "self_reported": _("Self-reported"),
    "document": _("Document"),
    "means": _("Means"),
    "purpose": _("Purpose"),
    "act": _("Act"),
    # The Palermo Protocol's elements (screening/catalogue.py), Art. 3(a).
    "recruitment": _("Recruitment"),
    "transportation": _("Transportation"),
    "transfer": _("Transfer"),
    "harbouring": _("Harbouring"),
    "receipt": _("Receipt"),
    "threat_or_use_of_force": _("Threat or use of force"),
    "other_coercion": _("Other coercion"),
    "abduction": _("Abduction"),
    "fraud": _("Fraud"),
    "deception": _("Deception"),
    "abuse_of_power": _("Abuse of power"),
    "abuse_of_vulnerability": _("Abuse of vulnerability"),
    "payments_to_person_in_control": _("Payments to person in control"),
    "sexual_exploitation": _("Sexual exploitation"),
    "forced_labour_or_services": _("Forced labour or services"),
    "slavery_or_similar_practices": _("Slavery or similar practices"),
    "servitude": _("Servitude"),
    "removal_of_organs": _("Removal of organs"),
    "forced_begging": _("Forced begging"),
    "forced_criminal_activities": _("Forced criminal activities"),
    # identification status of a case
    "potential": _("Potential victim"),
    "presumed": _("Presumed victim"),
    "identified": _("Identified victim"),
    "not_identified": _("Not identified as a victim"),
    # deadlines and tasks
    "done": _("Done"),
    "overdue": _("Overdue"),
    "due_today": _("Due today"),
    "due_soon": _("Due soon"),
    "upcoming": _("Upcoming"),
    # appeals, decisions, return risk
    "pending": _("Pending"),
    "upheld": _("Upheld"),
    "dismissed": _("Dismissed"),
    "appeal": _("after an appeal"),
    "new_facts": _("on new facts"),
    "acceptable": _("The risk is acceptable"),
    "not_acceptable": _("The risk is not acceptable"),
    # forms of exploitation a red-flag rule points to
    "sexual": _("Sexual exploitation"),
    "labour": _("Labour exploitation"),
    # parties of an investigation (FollowTheMoney schema, role)
    "Person": _("Person"),
    "Company": _("Company"),
    "victim": _("Victim"),
    "suspect": _("Suspect"),
    "witness": _("Witness"),
    "other": _("Other"),
    # service referrals
    "sent": _("Sent"),
    "accepted": _("Accepted"),
    "declined": _("Declined"),
    "delivered": _("Delivered"),
    "closed": _("Closed"),
    # sort orders
    "newest": _("newest"),
    "oldest": _("oldest"),
    "reference": _("reference"),
    "assessment": _("assessment"),
    "status": _("status"),
    # money-flow network
    "fan_in": _("Many payers into one account"),
    "fan_out": _("One account paying many"),
    "collector": _("Collector"),
    "pass_through": _("Pass-through"),
    "facilitator": _("Facilitator"),
    "beneficial_owner": _("Beneficial owner"),
    # audit outcomes
    "ok": _("Done"),
    "denied": _("Refused"),
    "refused": _("Refused"),
    "error": _("Error"),
    "failed": _("Failed"),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def data_text(text: object) -> str:
    """English text from a data file (an indicator's label or guidance, a rule's
    explanation, an HTCDS label) in the reader's language. The msgids are generated from
    the data files (``palermo i18n data-msgids``) with whitespace normalised as here."""
    value = " ".join(str(text or "").split())
    return gettext(value) if value else ""


@lru_cache(maxsize=1)
def _htcds_labels() -> dict[str, str]:
    """HTCDS picklist value → the standard's English label (first picklist wins)."""
    from palermo.cases.vocabulary import picklists

    out: dict[str, str] = {}
    for spec in picklists().values():
        for v in spec.get("values") or ():  # type: ignore[attr-defined]
            out.setdefault(str(v["name"]), str(v["label"]))
    return out


def htcds_choices(field: str) -> list[tuple[str, str]]:
    """(value, label) pairs of an HTCDS picklist, labels in the reader's language (lazy)."""
    from django.utils.functional import lazy

    from palermo.cases.vocabulary import choices

    lazy_text = lazy(data_text, str)
    return [(value, lazy_text(label)) for value, label in choices(field)]


def number(value: object, digits: int | None = None) -> str:
    """A count or amount written as the reader's language writes numbers (197 905 in
    French and Ukrainian, 197,905 in English); anything else unchanged."""
    from django.utils.formats import number_format

    if isinstance(value, bool) or value is None or value == "":
        return "" if value in (None, "") else str(value)
    try:
        if digits is None and isinstance(value, float) and not value.is_integer():
            digits = 2
        return number_format(
            value,  # type: ignore[arg-type]
            decimal_pos=digits,
            use_l10n=True,
            force_grouping=True,
        )
    except (TypeError, ValueError):
        return str(value)


def code_words(code: object) -> str:
    """A code in words, in the reader's language: a code Palermo knows (``CODE_WORDS``),
    an HTCDS picklist value by the standard's own label, else :func:`words`."""
    text = str(code or "").strip()
    known = CODE_WORDS.get(text)
    if known is not None:
        return str(known)
    htcds = _htcds_labels().get(text)
    if htcds is not None:
        return data_text(htcds)
    return words(text)


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
    if (lang, value) in _ISO_NAME_FIXES:
        return _ISO_NAME_FIXES[lang, value]
    name = getattr(country, "common_name", None) or country.name
    return _iso_catalogue("iso3166-1", lang).gettext(name) if lang != "en" else name


# Known mistranslations in the iso-codes catalogues pycountry ships: Arabic translates the
# common name "Moldova" as the Maldives (its official name, "Republic of Moldova", is right).
# A hotline list naming the wrong country is worse than an English name.
_ISO_NAME_FIXES: dict[tuple[str, str], str] = {("ar", "MD"): "مولدوفا"}


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


def nrm_rule_name(key: object) -> str:
    """An NRM rule key (``identification_decision``) by its label, in the reader's language."""
    from palermo.cases.entitlements import default_rules

    for rule in default_rules().rules:
        if rule.key == str(key or ""):
            return data_text(rule.label)
    return words(key)


# --- the audit viewer in sentences (issue 15, item 3) --------------------------------------

# What an audit entry's object_type is, in words; a list or page has no reference.
OBJECT_WORDS = {
    "case": _("case"),
    "case_list": _("the list of cases"),
    "referral_list": _("the list of referrals"),
    "overdue_deadlines": _("the overdue deadlines"),
    "screening": _("screening"),
    "screening_list": _("the list of screenings"),
    "investigation": _("investigation"),
    "investigation_list": _("the list of investigations"),
    "job": _("background job"),
    "user": _("user account"),
    "organisation": _("organisation"),
    "membership": _("membership"),
    "mfa": _("two-step sign-in"),
    "api_token": _("API token"),
    "personalaccesstoken": _("API token"),
    "oidc_identity": _("single sign-on identity"),
    "audit_trail": _("the audit trail"),
    "rapporteur_statistics": _("the statistics for the National Rapporteur"),
    "stats_import": _("a case import"),
    "htcds_export": _("an HTCDS export"),
    "ctdc_release": _("an anonymised CTDC release"),
    "service_provider": _("the service directory"),
    "mapping_profile": _("a CSV mapping profile"),
    "monitor": _("the monitoring commitments"),
    "monitor.evidence": _("evidence of a measure"),
    "monitor.indicator": _("a monitoring indicator"),
    "monitor.report": _("the annual report"),
    "crossborder_handover": _("a cross-border hand-over"),
    "crossborder_consent": _("a transfer consent"),
    "crossborder_trust_list": _("the cross-border trust list"),
    "crossborder_keys": _("the cross-border keys"),
    "crossborder_police_exchange": _("a police-channel exchange record"),
    "field_keys": _("the field-encryption keys"),
}

# One sentence per action; %(object)s is the object in words and its reference.
ACTION_SENTENCES = {
    "create": _("%(who)s, for %(org)s, created %(object)s."),
    "read": _("%(who)s, for %(org)s, opened %(object)s."),
    "update": _("%(who)s, for %(org)s, changed %(object)s."),
    "delete": _("%(who)s, for %(org)s, deleted %(object)s."),
    "export": _("%(who)s, for %(org)s, exported %(object)s."),
    "login": _("%(who)s signed in."),
    "logout": _("%(who)s signed out."),
    "login_failed": _("A sign-in as %(who)s failed."),
    "refused": _("%(who)s, for %(org)s, was refused %(object)s."),
    "break_glass": _("%(who)s, for %(org)s, opened %(object)s with break-glass access."),
}


def object_words(object_type: object, object_ref: object = "") -> str:
    """``case`` + ``C-2026-0001`` → "case C-2026-0001"; ``case_list`` → "the list of cases"."""
    kind = str(object_type or "")
    thing = OBJECT_WORDS.get(kind)
    text = str(thing) if thing is not None else words(kind).lower()
    ref = str(object_ref or "").strip()
    return f"{text} {ref}".strip() if ref else (text or str(_("something")))


def audit_sentence(
    entry: object, organisation_names: dict[int, str], people: dict[str, str] | None = None
) -> str:
    """What an audit entry records, as a sentence naming the person, the organisation
    and the object: "Anna Petrova, for Police unit, opened case C-2026-0001"."""
    username = str(getattr(entry, "actor_username", "") or "")
    who = (people or {}).get(username) or username or str(_("Someone"))
    org_id = getattr(entry, "organisation_id", None)
    org = organisation_names.get(org_id, "") if org_id is not None else ""
    org = org or str(_("no organisation"))
    action = str(getattr(entry, "action", "") or "")
    template = ACTION_SENTENCES.get(action)
    obj = object_words(getattr(entry, "object_type", ""), getattr(entry, "object_ref", ""))
    if template is None:
        return f"{who} ({org}): {words(action).lower()} {obj}".strip()
    return str(template) % {"who": who, "org": org, "object": obj}
