"""What every write of the case file shares: the refusals, validation helpers, the timeline and audit entry, the version check."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F, Min

from palermo.cases import access, clock, entitlements, selectors, vocabulary
from palermo.cases.models import (
    Case,
    CaseEvent,
    CaseExploitation,
    Person,
    Task,
    VictimContext,
)
from palermo.core import audit, errors, scope
from palermo.core.errors import FieldError
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm

BREAK_GLASS_HOURS = 4


NotAllowed = errors.NotAllowed  # the actor may not do this to this case (403; 404 when hidden)


class StaleVersion(errors.StaleVersion):
    """Someone else saved the case since the version the edit was based on (409)."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this case while you were editing it. Nothing was saved; "
            "your input is kept below. Check the case again and save once more."
        )


@cache
def _rules() -> entitlements.RuleSet:
    return entitlements.default_rules()


def rule_settings() -> dict[str, int]:
    """The deployment's settings for the rules (e.g. reflection period length)."""
    return entitlements.settings_from_environment(_rules())


def deployment_country() -> str:
    """The country the NRM serves: $PALERMO_COUNTRY, else the identification body's country."""
    env = os.environ.get("PALERMO_COUNTRY", "").strip().upper()
    if env:
        return env
    body = (
        Organisation.objects.filter(is_identification_body=True, is_active=True)
        .order_by("pk")
        .first()
    )
    return body.country.upper() if body else ""


def _facts(case: Case) -> entitlements.CaseFacts:
    home = deployment_country()
    citizenship = list(
        getattr(getattr(case, "person", None), "citizenship", [])
        or ([case.nationality] if case.nationality else [])
    )
    foreign = bool(citizenship) and bool(home) and home not in citizenship
    return entitlements.CaseFacts(
        is_child=case.is_child,
        is_foreign_national=foreign,
        cooperates_with_authorities=case.cooperates_with_authorities,
    )


def _require_perm(actor: User, organisation: Organisation | None, perm: str) -> None:
    if not has_perm(actor, perm, organisation):
        raise NotAllowed("You do not have permission to do this.")


def _require_reach(actor: User, member: Organisation | None, field: str = "organisation") -> None:
    """``member`` is an organisation the actor may involve: always in production; in an
    exercise instance, one of the trainee's team's organisations (``core.scope``), so no case
    is shared with, referred to or consented for another team."""
    if member is not None and not scope.reaches(actor, member.pk):
        raise errors.NotAllowed(
            "That organisation belongs to another exercise team.", object_type="case"
        )


def _require_edit(
    actor: User, organisation: Organisation | None, case: Case, *groups: str
) -> access.Visibility:
    """The actor edits this case (team or identification body, edit permission) and sees ``groups``."""
    _require_perm(actor, organisation, Perm.EDIT_CASES)
    vis = selectors.case_visibility(actor, organisation, case)
    if not selectors.can_edit_case(actor, organisation, vis):
        raise NotAllowed("Only the case team and the identification body change this case.")
    missing = [g for g in groups if g not in vis]
    if missing:
        raise NotAllowed("You may not see (and so not change) this part of the case.")
    return vis


def _bump(case: Case, expected_version: int) -> None:
    """Take the next version or refuse: the optimistic lock."""
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=clock.now()
    )
    if not updated:
        raise StaleVersion()
    case.version = expected_version + 1


def _event(
    case: Case,
    kind: str,
    actor: User | None,
    organisation: Organisation | None,
    summary: str,
    text: str = "",
    corrects: CaseEvent | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        at=at or clock.now(),
        kind=kind,
        actor=actor,
        organisation=organisation,
        summary=summary[:300],
        text=text,
        corrects=corrects,
    )


def _audit(
    case: Case,
    actor: User | None,
    organisation: Organisation | None,
    what: str,
    action: str = "update",
    **details: Any,
) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=organisation,
        object_type="case",
        object_ref=case.reference,
        details={"what": what, **details},
    )


def _plan(case: Case, trigger: str, on: date) -> list[Task]:
    """Create the tasks the rules attach to ``trigger``; returns them."""
    planned = entitlements.plan(trigger, on, _facts(case), _rules(), rule_settings())
    existing = set(
        case.tasks.filter(
            rule_key__in=[p.rule_key for p in planned], done_at__isnull=True
        ).values_list("rule_key", flat=True)
    )
    tasks = [
        Task(
            case=case,
            title=p.task,
            kind=p.kind,
            rule_key=p.rule_key,
            rule_version=p.rule_version,
            starts_on=p.starts_on,
            due_on=p.due_on,
            assigned_organisation=case.lead_organisation,
            created_at=clock.now(),
        )
        for p in planned
        if p.rule_key not in existing
    ]
    Task.objects.bulk_create(tasks)
    return tasks


def _refresh_next_deadline(case: Case) -> None:
    nxt = case.tasks.filter(done_at__isnull=True).aggregate(d=Min("due_on"))["d"]
    if nxt != case.next_deadline:
        Case.objects.filter(pk=case.pk).update(next_deadline=nxt)
        case.next_deadline = nxt


def _complete_rule_task(case: Case, rule_key: str, actor: User, note: str) -> None:
    case.tasks.filter(rule_key=rule_key, done_at__isnull=True).update(
        done_at=clock.now(), done_by=actor, done_note=note[:300]
    )


def _as_date(
    value: Any, field: str, errors: list[FieldError], *, allow_future: bool = False
) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            errors.append(FieldError(field, "Use an ISO 8601 date, YYYY-MM-DD."))
            return None
    if not allow_future and value > clock.today():
        errors.append(FieldError(field, "This date is in the future."))
    return value


def _check_codes(
    field: str, picklist: str, given: Iterable[str], errors: list[FieldError]
) -> list[str]:
    given = list(given)
    bad = vocabulary.unknown_values(picklist, given)
    if bad:
        errors.append(FieldError(field, "Unknown values: {values}.", values=", ".join(bad)))
    return list(dict.fromkeys(given))


def _check_countries(field: str, given: Iterable[str], errors: list[FieldError]) -> list[str]:
    codes = [str(c).strip().upper() for c in given if str(c).strip()]
    bad = [c for c in codes if not vocabulary.is_country(c)]
    if bad:
        errors.append(
            FieldError(
                field, "Not ISO 3166-1 alpha-2 country codes: {codes}.", codes=", ".join(bad)
            )
        )
    return list(dict.fromkeys(codes))


PERSON_FIELDS = frozenset(Person.IDENTITY_FIELDS + Person.CONTACT_FIELDS)


def clean_person(
    data: Mapping[str, Any], errors: list[FieldError], prefix: str = "person."
) -> dict[str, Any]:
    """Validate person fields (any subset). Unknown keys are refused rather than dropped."""
    out: dict[str, Any] = {}
    for key in data:
        if key not in PERSON_FIELDS:
            errors.append(FieldError(prefix + key, "Unknown field."))
    for key in ("given_name", "family_name", "identity_number", "street", "city", "postal_code"):
        if key in data:
            value = str(data[key] or "").strip()
            limit = Person._meta.get_field(key).max_length or 100
            if len(value) > limit:
                errors.append(FieldError(prefix + key, "At most {limit} characters.", limit=limit))
            out[key] = value[:limit]
    if "birthdate" in data:
        out["birthdate"] = _as_date(data["birthdate"], prefix + "birthdate", errors)
    if "gender" in data:
        g = str(data["gender"] or "")
        if g and g not in vocabulary.values("prs_Gender"):
            errors.append(FieldError(prefix + "gender", "Choose a value of the HTCDS gender list."))
        out["gender"] = g
    if "citizenship" in data:
        raw = data["citizenship"] or []
        out["citizenship"] = _check_countries(
            prefix + "citizenship", [raw] if isinstance(raw, str) else raw, errors
        )
    for key in ("primary_language", "secondary_language"):
        if key in data:
            lang = str(data[key] or "").strip().lower()
            if lang and not vocabulary.is_language(lang):
                errors.append(FieldError(prefix + key, "Use an ISO 639-1 language code, e.g. ro."))
            out[key] = lang
    if "phone" in data:
        phone = str(data["phone"] or "").strip()
        if phone:
            try:
                parsed = phonenumbers.parse(phone, None)
                if not phonenumbers.is_valid_number(parsed):
                    raise phonenumbers.NumberParseException(0, "invalid")
                phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                errors.append(
                    FieldError(
                        prefix + "phone", "Use an international number, e.g. +381 11 123 4567."
                    )
                )
        out["phone"] = phone
    if "email" in data:
        email = str(data["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(FieldError(prefix + "email", "Enter a valid e-mail address."))
        out["email"] = email
    if "country" in data:
        c = str(data["country"] or "").strip().upper()
        if c and not vocabulary.is_country(c):
            errors.append(FieldError(prefix + "country", "Use an ISO 3166-1 alpha-2 code."))
        out["country"] = c
    return out


CONTEXT_LISTS = {
    "methods_of_recruitment": "vic_MethodOfRecruitment",
    "methods_of_control": "vic_MethodsOfControl",
    "exploitation_types": "vic_TypeOfExploitation",
    "sex_exploitation_types": "vic_TypeOfSexExploitation",
}
CONTEXT_COUNTRIES = (
    "countries_of_recruitment",
    "countries_of_transit",
    "countries_of_exploitation",
)


def clean_context(data: Mapping[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in data:
        if key not in VictimContext.FIELDS:
            errors.append(FieldError(key, "Unknown field."))
    for key, picklist in CONTEXT_LISTS.items():
        if key in data:
            out[key] = _check_codes(key, picklist, data[key] or [], errors)
    for key in CONTEXT_COUNTRIES:
        if key in data:
            out[key] = _check_countries(key, data[key] or [], errors)
    if "forced_labour_industry" in data:
        v = str(data["forced_labour_industry"] or "")
        if v and v not in vocabulary.values("vic_ForcedLabourIndustry"):
            errors.append(
                FieldError("forced_labour_industry", "Choose an ISIC section of the HTCDS list.")
            )
        out["forced_labour_industry"] = v
    if "relationship_to_trafficker" in data:
        v = str(data["relationship_to_trafficker"] or "")
        if v and v not in vocabulary.values("vic_RelationshipToTrafficker"):
            errors.append(
                FieldError("relationship_to_trafficker", "Choose a value of the HTCDS list.")
            )
        out["relationship_to_trafficker"] = v
    if "age_when_trafficked" in data:
        v = data["age_when_trafficked"]
        if v in (None, ""):
            out["age_when_trafficked"] = None
        else:
            try:
                age = int(v)
                if not 0 <= age <= 120:
                    raise ValueError
                out["age_when_trafficked"] = age
            except (TypeError, ValueError):
                errors.append(FieldError("age_when_trafficked", "An age in years, 0 to 120."))
    return out


def _set_exploitation(case: Case, codes: list[str]) -> None:
    case.exploitation_types = codes
    Case.objects.filter(pk=case.pk).update(exploitation_types=codes)
    CaseExploitation.objects.filter(case=case).exclude(code__in=codes).delete()
    have = set(CaseExploitation.objects.filter(case=case).values_list("code", flat=True))
    CaseExploitation.objects.bulk_create(
        [CaseExploitation(case=case, code=c) for c in codes if c not in have]
    )
