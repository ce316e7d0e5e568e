"""The anonymous worker report: what may be said, and how it is checked.

Pure: no Django imports. A report is minimal by design: where, what kind of work, which warning
signs, a free description, and a way to be contacted only with consent. :func:`check` returns
the cleaned report or the list of field errors; it never drops a field silently (contact details
given without consent are refused with a message, not discarded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from palermo.prevent.text import clean


def _(text: str) -> str:  # marks text for gettext; the Django shell translates it
    return text


WHO: dict[str, str] = {
    "worker": _("I am the worker"),
    "witness": _("I saw it or heard about it"),
}
WORK_KINDS: dict[str, str] = {
    "agriculture": _("Farm work"),
    "construction": _("Construction"),
    "domestic": _("Domestic work or care in a home"),
    "factory": _("Factory or warehouse"),
    "hospitality": _("Hotel, restaurant or cleaning"),
    "fishing": _("Fishing or work at sea"),
    "sex_industry": _("Bars, massage or sex work"),
    "street": _("Begging or street selling"),
    "other": _("Other work"),
}
SIGNS: dict[str, str] = {
    "documents_taken": _("Passport or identity card taken"),
    "not_paid": _("Wages not paid or much less than promised"),
    "debt": _("A debt to the employer or recruiter that keeps growing"),
    "cannot_leave": _("Not free to leave the workplace or housing"),
    "threats": _("Threats or violence, also against family"),
    "fees": _("Had to pay fees to get the job"),
    "long_hours": _("Very long hours, no days off"),
    "children": _("Children working"),
    "deceived": _("The job is not the one that was promised"),
}
MAX_PLACE = 200
MAX_DESCRIPTION = 3000
MAX_CONTACT = 200
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Report:
    who: str
    country: str
    place: str
    work_kind: str
    signs: tuple[str, ...]
    description: str
    contact: str  # empty unless consent was given
    consent_to_contact: bool


@dataclass(frozen=True, slots=True)
class ReportError:
    field: str
    message: str


def check(data: Mapping[str, object]) -> tuple[Report | None, list[ReportError]]:
    """The report, or the reasons it cannot be taken (one per field)."""
    errors: list[ReportError] = []

    def text(key: str, bound: int, *, multiline: bool = False) -> str:
        raw = data.get(key) or ""
        value = clean(str(raw), max_chars=bound * 2, multiline=multiline)
        if len(value) > bound:
            errors.append(ReportError(key, _("Please write at most {limit} characters.")))
        return value[:bound]

    who = str(data.get("who") or "")
    if who not in WHO:
        errors.append(ReportError("who", _("Please choose who is reporting.")))
    country = str(data.get("country") or "").strip().upper()
    if country and not _COUNTRY.match(country):
        errors.append(ReportError("country", _("Please choose a country from the list.")))
    work_kind = str(data.get("work_kind") or "")
    if work_kind and work_kind not in WORK_KINDS:
        errors.append(ReportError("work_kind", _("Please choose a kind of work from the list.")))
    raw_signs = data.get("signs") or ()
    signs_list: Sequence[object] = raw_signs if isinstance(raw_signs, list | tuple) else [raw_signs]
    signs = tuple(dict.fromkeys(str(s) for s in signs_list))
    if any(s not in SIGNS for s in signs):
        errors.append(ReportError("signs", _("Please choose warning signs from the list.")))
    place = text("place", MAX_PLACE)
    description = text("description", MAX_DESCRIPTION, multiline=True)
    contact = text("contact", MAX_CONTACT)
    consent = data.get("consent_to_contact") in (True, "on", "true", "1", "yes")
    if not signs and not description:
        errors.append(
            ReportError("description", _("Please tick a warning sign or describe what happened."))
        )
    if contact and not consent:
        errors.append(
            ReportError(
                "consent_to_contact",
                _("Tick the box to let us contact you, or leave the contact field empty."),
            )
        )
    if consent and not contact:
        errors.append(ReportError("contact", _("Write how we can reach you, or untick the box.")))
    if errors:
        return None, errors
    return (
        Report(
            who,
            country,
            place,
            work_kind,
            tuple(s for s in SIGNS if s in signs),
            description,
            contact if consent else "",
            consent,
        ),
        [],
    )
