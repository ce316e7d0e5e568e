"""Writes of the NRM case file: one function per action.

Each function is keyword-only and typed; it checks who may act (``NotAllowed``),
validates everything before writing (``InvalidInput``, with the reason per
field), then writes, adds a timeline entry and an audit entry in one
transaction. Edits of the case itself name the version they were based on;
when someone else saved in between, ``StaleVersion`` refuses the save and the
caller keeps the user's input (optimistic locking).

The public entry point for other contexts (screening, hotline imports) is
``referral_receive``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Min

from palermo.cases import access, clock, entitlements, selectors, vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Appeal,
    AppealStatus,
    BestInterestsDetermination,
    BreakGlassAccess,
    Case,
    CaseEvent,
    CaseExploitation,
    CaseSource,
    CaseTeamMember,
    ChildSafeguard,
    CompensationClaim,
    Consent,
    IdentificationDecision,
    LegalBasis,
    NonPunishment,
    Person,
    ReturnRecord,
    ReturnRiskAssessment,
    ServiceProvider,
    ServiceReferral,
    SuspectLink,
    Task,
    TeamRole,
    TraffickingEvent,
    VictimContext,
)
from palermo.core import audit, errors
from palermo.core.errors import FieldError, InvalidInput
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


# --- helpers ------------------------------------------------------------------------------


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
        errors.append(FieldError(field, f"Unknown values: {', '.join(bad)}."))
    return list(dict.fromkeys(given))


def _check_countries(field: str, given: Iterable[str], errors: list[FieldError]) -> list[str]:
    codes = [str(c).strip().upper() for c in given if str(c).strip()]
    bad = [c for c in codes if not vocabulary.is_country(c)]
    if bad:
        errors.append(FieldError(field, f"Not ISO 3166-1 alpha-2 country codes: {', '.join(bad)}."))
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
                errors.append(FieldError(prefix + key, f"At most {limit} characters."))
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


# --- opening a case ------------------------------------------------------------------------


def case_open(
    *,
    actor: User,
    organisation: Organisation,
    source: str,
    source_ref: str = "",
    person: Mapping[str, Any],
    exploitation_forms: list[str],
    is_child_or_presumed_child: bool,
    summary: str = "",
    referral_date: date | None = None,
    reason_for_referral: str = "",
    referring_country: str = "",
    cooperates_with_authorities: bool | None = None,
    lead_organisation: Organisation | None = None,
    reference: str | None = None,
    victim_context: Mapping[str, Any] | None = None,
) -> Case:
    """Open a case from an incoming referral. The referring organisation joins the case team.

    ``victim_context`` pre-fills HTCDS victim-context fields known at referral (for example the
    method and country of recruitment of an online advert, palermo.prevent); checked as
    ``context_update`` checks them.

    ``person`` holds any of the ``Person`` fields (all optional: minimal data);
    ``exploitation_forms`` are HTCDS vic_TypeOfExploitation values or the
    screening context's form names (labour, sexual, domestic_servitude).
    ``reference`` is for imports and demo data; normally one is drawn at random.
    """
    _require_perm(actor, organisation, Perm.REFER)
    errors: list[FieldError] = []
    if source not in CaseSource.values:
        errors.append(FieldError("source", f"Choose one of: {', '.join(CaseSource.values)}."))
    if len(source_ref) > 80:
        errors.append(FieldError("source_ref", "At most 80 characters."))
    person_data = clean_person(person, errors)
    context_data = clean_context(victim_context or {}, errors)
    context_data.pop("exploitation_types", None)
    codes, unknown = vocabulary.exploitation_codes(exploitation_forms)
    if unknown:
        errors.append(
            FieldError(
                "exploitation_forms", f"Unknown forms of exploitation: {', '.join(unknown)}."
            )
        )
    received = _as_date(referral_date, "referral_date", errors) or clock.today()
    if reason_for_referral and reason_for_referral not in vocabulary.values(
        "cas_ReasonForIncomingReferral"
    ):
        errors.append(FieldError("reason_for_referral", "Choose a value of the HTCDS list."))
    country = referring_country.strip().upper()
    if country and not vocabulary.is_country(country):
        errors.append(FieldError("referring_country", "Use an ISO 3166-1 alpha-2 code."))
    if source == CaseSource.TRANSNATIONAL and not country:
        errors.append(
            FieldError(
                "referring_country", "A transnational referral names the country it comes from."
            )
        )
    if lead_organisation is not None and not lead_organisation.is_active:
        errors.append(FieldError("lead_organisation", "That organisation is not active."))
    if reference is not None and not wf.is_reference(reference):
        errors.append(FieldError("reference", "Not a case reference (NRM-XXXX-XXXX)."))
    if len(summary) > 10_000:
        errors.append(FieldError("summary", "At most 10,000 characters."))
    if errors:
        raise InvalidInput(errors)
    citizenship = person_data.get("citizenship") or []
    now = clock.now()
    for _attempt in range(5):
        ref = reference or wf.new_reference()
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=ref,
                    source=source,
                    source_ref=source_ref.strip(),
                    referring_organisation=organisation,
                    incoming_referral_date=received,
                    reason_for_incoming_referral=reason_for_referral,
                    referring_country=country,
                    summary=summary.strip(),
                    is_child=is_child_or_presumed_child,
                    nationality=citizenship[0] if citizenship else "",
                    exploitation_types=codes,
                    lead_organisation=lead_organisation,
                    cooperates_with_authorities=cooperates_with_authorities,
                    opened_at=now,
                )
                Person.objects.create(case=case, **person_data)
                VictimContext.objects.create(case=case, exploitation_types=codes, **context_data)
                CaseExploitation.objects.bulk_create(
                    [CaseExploitation(case=case, code=c) for c in codes]
                )
                role = (
                    TeamRole.LAW_ENFORCEMENT
                    if selectors.is_law_enforcement(organisation)
                    else TeamRole.REFERRER
                )
                CaseTeamMember.objects.create(
                    case=case, organisation=organisation, role=role, added_at=now, added_by=actor
                )
                if lead_organisation is not None and lead_organisation != organisation:
                    CaseTeamMember.objects.create(
                        case=case,
                        organisation=lead_organisation,
                        role=TeamRole.LEAD,
                        added_at=now,
                        added_by=actor,
                    )
                if case.is_child:
                    ChildSafeguard.objects.create(case=case)
                tasks = _plan(case, "case.opened", received)
                _refresh_next_deadline(case)
                _event(
                    case,
                    "opened",
                    actor,
                    organisation,
                    f"Case opened from an incoming referral ({CaseSource(source).label})"
                    + (" — a child: child protection applies" if case.is_child else ""),
                    at=now,
                )
                _audit(
                    case,
                    actor,
                    organisation,
                    "case_open",
                    action="create",
                    source=source,
                    source_ref=source_ref,
                    child=case.is_child,
                    tasks=[t.rule_key for t in tasks],
                )
            return case
        except IntegrityError:
            if reference is not None:
                raise InvalidInput(
                    FieldError("reference", "A case with this reference exists.")
                ) from None
            continue  # a reference collision: draw again
    raise RuntimeError("could not draw a free case reference")


def referral_receive(
    *,
    actor: User,
    organisation: Organisation,
    source: str,
    source_ref: str = "",
    person: Mapping[str, Any],
    exploitation_forms: list[str],
    is_child_or_presumed_child: bool,
    summary: str = "",
    referral_date: date | None = None,
    reason_for_referral: str = "",
    referring_country: str = "",
    cooperates_with_authorities: bool | None = None,
) -> Case:
    """The public entry point for an incoming referral (screening, hotline, agency, another country).

    Opens a case, puts the referring organisation on its case team, starts the
    deadlines the rules attach to a new case (and a child's safeguards), and
    returns the case; its ``reference`` is what the caller may keep.
    Raises ``InvalidInput`` (nothing written) or ``NotAllowed`` (no REFER permission).
    """
    return case_open(
        actor=actor,
        organisation=organisation,
        source=source,
        source_ref=source_ref,
        person=person,
        exploitation_forms=exploitation_forms,
        is_child_or_presumed_child=is_child_or_presumed_child,
        summary=summary,
        referral_date=referral_date,
        reason_for_referral=reason_for_referral,
        referring_country=referring_country,
        cooperates_with_authorities=cooperates_with_authorities,
    )


# --- editing the case, the person, the victim context -----------------------------------------


def person_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    changes: Mapping[str, Any],
) -> Case:
    """Change identity and/or contact fields. Each group needs its own right to see it."""
    groups = set()
    if set(changes) & set(Person.IDENTITY_FIELDS):
        groups.add(access.IDENTITY)
    if set(changes) & set(Person.CONTACT_FIELDS):
        groups.add(access.CONTACT)
    _require_edit(actor, organisation, case, *sorted(groups))
    errors: list[FieldError] = []
    data = clean_person(changes, errors, prefix="")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        Person.objects.filter(case=case).update(**data)
        if "citizenship" in data:
            nat = data["citizenship"][0] if data["citizenship"] else ""
            Case.objects.filter(pk=case.pk).update(nationality=nat)
            case.nationality = nat
        _event(
            case,
            "person_updated",
            actor,
            organisation,
            "Personal details changed: " + ", ".join(sorted(groups)),
        )
        _audit(case, actor, organisation, "person_update", fields=sorted(data))
    return case


def context_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    changes: Mapping[str, Any],
) -> Case:
    _require_edit(actor, organisation, case, access.VICTIM_CONTEXT)
    errors: list[FieldError] = []
    data = clean_context(changes, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        VictimContext.objects.filter(case=case).update(**data)
        if "exploitation_types" in data:
            _set_exploitation(case, data["exploitation_types"])
        _event(case, "context_updated", actor, organisation, "Victim context changed")
        _audit(case, actor, organisation, "context_update", fields=sorted(data))
    return case


def case_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    is_child: bool | None = None,
    cooperates_with_authorities: bool | None = None,
    clear_cooperation: bool = False,
    status: str | None = None,
    lead_organisation: Organisation | None = None,
    summary: str | None = None,
) -> Case:
    """Case-level facts: child, co-operation, status (Active/FollowUp), lead organisation, summary."""
    _require_edit(
        actor,
        organisation,
        case,
        access.OVERVIEW,
        *([access.VICTIM_CONTEXT] if summary is not None else []),
    )
    errors: list[FieldError] = []
    if status is not None:
        if not case.is_open:
            errors.append(
                FieldError(
                    "status", "Reopen the case (change its phase) before changing its status."
                )
            )
        elif status not in wf.OPEN_STATUSES:
            errors.append(
                FieldError(
                    "status", "An open case is Active or FollowUp; close it by changing its phase."
                )
            )
    if lead_organisation is not None and not lead_organisation.is_active:
        errors.append(FieldError("lead_organisation", "That organisation is not active."))
    if summary is not None and len(summary) > 10_000:
        errors.append(FieldError("summary", "At most 10,000 characters."))
    if errors:
        raise InvalidInput(errors)
    changed: list[str] = []
    with transaction.atomic():
        _bump(case, expected_version)
        if is_child is not None and is_child != case.is_child:
            case.is_child = is_child
            changed.append("is_child")
            if is_child:
                ChildSafeguard.objects.get_or_create(case=case)
                _plan(case, "case.opened", clock.today())
        if clear_cooperation:
            case.cooperates_with_authorities = None
            changed.append("cooperates_with_authorities")
        elif cooperates_with_authorities is not None:
            case.cooperates_with_authorities = cooperates_with_authorities
            changed.append("cooperates_with_authorities")
        if status is not None and status != case.status:
            case.status = status
            changed.append("status")
        if lead_organisation is not None and lead_organisation.pk != case.lead_organisation_id:
            case.lead_organisation = lead_organisation
            changed.append("lead_organisation")
            _team_add(case, lead_organisation, TeamRole.LEAD, actor)
        if summary is not None:
            case.summary = summary.strip()
            changed.append("summary")
        case.save(update_fields=[*changed, "updated_at"] if changed else ["updated_at"])
        _refresh_next_deadline(case)
        _event(
            case,
            "case_updated",
            actor,
            organisation,
            "Case details changed: " + (", ".join(changed) or "nothing"),
        )
        _audit(case, actor, organisation, "case_update", fields=changed)
    return case


# --- identification --------------------------------------------------------------------------


def _decide(
    case: Case, *, actor: User, organisation: Organisation, outcome: str, reasons: str, basis: str
) -> IdentificationDecision:
    previous = case.identification_status
    decision = IdentificationDecision.objects.create(
        case=case,
        outcome=outcome,
        previous_status=previous,
        reasons=reasons.strip(),
        basis=basis,
        decided_by=actor,
        organisation=organisation,
        decided_at=clock.now(),
    )
    Case.objects.filter(pk=case.pk).update(
        identification_status=outcome, decision_organisation=organisation
    )
    case.identification_status = outcome
    case.decision_organisation = organisation
    _complete_rule_task(case, "identification_decision", actor, f"Decided: {outcome}")
    if outcome in (wf.PRESUMED, wf.IDENTIFIED):
        _plan(case, f"identification.{outcome}", clock.today())
        _lead_on_team(case, actor)
    _refresh_next_deadline(case)
    _event(
        case,
        "decision",
        actor,
        organisation,
        f"Identification decision: {wf.IDENTIFICATION_LABELS[outcome]}"
        + (f" ({basis.replace('_', ' ')})" if basis else ""),
        text=reasons.strip(),
    )
    _audit(
        case,
        actor,
        organisation,
        "identification_decide",
        outcome=outcome,
        previous=previous,
        basis=basis,
    )
    return decision


def identification_decision_plan(case: Case, outcome: str) -> list[entitlements.PlannedDeadline]:
    """What deciding ``outcome`` today would start: the entitlements and deadlines the rules
    attach to it (the review page restates them before the decision is saved). Writes nothing."""
    if outcome not in (wf.PRESUMED, wf.IDENTIFIED):
        return []
    return entitlements.plan(
        f"identification.{outcome}", clock.today(), _facts(case), _rules(), rule_settings()
    )


def identification_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    outcome: str,
    reasons: str,
    basis: str = "",
) -> IdentificationDecision:
    """The competent body decides: presumed, identified or not identified, with reasons.

    ``basis`` is "appeal" or "new_facts" when a "not identified" decision is changed.
    A presumed or identified decision starts the reflection period and other rules.
    """
    _require_perm(actor, organisation, Perm.DECIDE_IDENTIFICATION)
    if not organisation.is_identification_body:
        raise NotAllowed("Only the competent identification body takes identification decisions.")
    errors = [
        FieldError("reasons" if "reasons" in p else "outcome", p)
        for p in wf.decision_problems(
            case.identification_status,
            outcome,
            reasons,
            on_appeal_or_new_facts=basis in ("appeal", "new_facts"),
        )
    ]
    if basis not in ("", "appeal", "new_facts"):
        errors.append(FieldError("basis", "Use appeal or new_facts, or leave empty."))
    if errors:
        raise InvalidInput(errors, detail="The decision cannot be recorded.")
    with transaction.atomic():
        _bump(case, expected_version)
        return _decide(
            case,
            actor=actor,
            organisation=organisation,
            outcome=outcome,
            reasons=reasons,
            basis=basis,
        )


def appeal_lodge(
    *, actor: User, organisation: Organisation, case: Case, grounds: str, lodged_on: date
) -> Appeal:
    _require_edit(actor, organisation, case, access.TIMELINE)
    decision = case.decisions.order_by("-decided_at", "-id").first()
    errors: list[FieldError] = []
    if decision is None:
        errors.append(FieldError("", "There is no identification decision to appeal against."))
    elif case.appeals.filter(status=AppealStatus.PENDING).exists():
        errors.append(FieldError("", "An appeal is already pending."))
    if len(grounds.strip()) < 10:
        errors.append(FieldError("grounds", "State the grounds of the appeal."))
    _as_date(lodged_on, "lodged_on", errors)
    if decision is not None and lodged_on < decision.decided_at.date():
        errors.append(FieldError("lodged_on", "An appeal is lodged after the decision."))
    if errors:
        raise InvalidInput(errors)
    assert decision is not None
    with transaction.atomic():
        appeal = Appeal.objects.create(
            case=case,
            decision=decision,
            lodged_on=lodged_on,
            grounds=grounds.strip(),
            recorded_by=actor,
        )
        _event(
            case,
            "appeal",
            actor,
            organisation,
            f"Appeal lodged against the decision '{wf.IDENTIFICATION_LABELS[decision.outcome]}'",
            text=grounds.strip(),
        )
        _audit(case, actor, organisation, "appeal_lodge", decision=decision.pk)
    return appeal


def appeal_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    appeal_id: int,
    upheld: bool,
    reasons: str,
    new_outcome: str = "",
) -> Appeal:
    """Record the outcome of an appeal; an upheld appeal records the new decision too."""
    _require_perm(actor, organisation, Perm.DECIDE_IDENTIFICATION)
    if not organisation.is_identification_body:
        raise NotAllowed("Only the competent identification body records appeal outcomes.")
    appeal = case.appeals.filter(pk=appeal_id).first()
    errors: list[FieldError] = []
    if appeal is None:
        raise InvalidInput(FieldError("appeal", "No such appeal on this case."))
    if appeal.status != AppealStatus.PENDING:
        errors.append(FieldError("appeal", "This appeal has already been decided."))
    if len(reasons.strip()) < 10:
        errors.append(FieldError("reasons", "Give the reasons for the outcome."))
    if upheld:
        errors += [
            FieldError("new_outcome", p)
            for p in wf.decision_problems(
                case.identification_status, new_outcome, reasons, on_appeal_or_new_facts=True
            )
            if "reasons" not in p
        ]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        updated = Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.PENDING).update(
            status=AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED,
            outcome_on=clock.today(),
            outcome_reasons=reasons.strip(),
        )
        if not updated:
            raise StaleVersion()
        appeal.refresh_from_db()
        _event(
            case,
            "appeal",
            actor,
            organisation,
            f"Appeal {'upheld' if upheld else 'dismissed'}",
            text=reasons.strip(),
        )
        _audit(case, actor, organisation, "appeal_decide", appeal=appeal.pk, upheld=upheld)
        if upheld:
            _decide(
                case,
                actor=actor,
                organisation=organisation,
                outcome=new_outcome,
                reasons=reasons,
                basis="appeal",
            )
    return appeal


# --- phases ------------------------------------------------------------------------------------


def case_transition(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    target: str,
    closure_reason: str = "",
    closure_details: str = "",
) -> Case:
    """Move the case to another NRM phase, or refuse with the reason."""
    _require_edit(actor, organisation, case, access.OVERVIEW)
    facts = wf.TransitionFacts(
        phase=case.phase,
        identification_status=case.identification_status,
        is_child=case.is_child,
        has_best_interests_determination=case.bids.exists(),
        closure_reason=closure_reason,
        closure_details=closure_details,
        appeal_pending=case.appeals.filter(status=AppealStatus.PENDING).exists(),
    )
    problems = wf.transition_problems(facts, target)
    if problems:
        raise InvalidInput(
            [FieldError("target", p) for p in problems],
            detail="This change of phase is not allowed.",
        )
    previous = case.phase
    with transaction.atomic():
        _bump(case, expected_version)
        case.phase = target
        case.status = wf.status_after_transition(target, closure_reason, case.status)
        if target == wf.CLOSED:
            case.closed_at = clock.now()
            case.closure_reason = closure_reason
            case.closure_details = closure_details.strip()
        elif previous == wf.CLOSED:
            case.closed_at = None
        case.save(
            update_fields=[
                "phase",
                "status",
                "closed_at",
                "closure_reason",
                "closure_details",
                "updated_at",
            ]
        )
        if target != wf.CLOSED:
            _plan(case, f"phase.{target}", clock.today())
        _refresh_next_deadline(case)
        _event(
            case,
            "transition",
            actor,
            organisation,
            f"Phase: {wf.PHASE_LABELS[previous]} → {wf.PHASE_LABELS[target]}"
            + (f" ({wf.CLOSURE_REASONS[closure_reason]})" if target == wf.CLOSED else ""),
            text=closure_details.strip(),
        )
        _audit(
            case,
            actor,
            organisation,
            "case_transition",
            previous=previous,
            target=target,
            closure_reason=closure_reason,
        )
    return case


# --- timeline notes ------------------------------------------------------------------------------


def note_add(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    text: str,
    corrects_id: int | None = None,
) -> CaseEvent:
    """Append a note. Notes are never edited: a correction is a new entry pointing at the old one."""
    _require_edit(actor, organisation, case, access.TIMELINE)
    errors: list[FieldError] = []
    text = text.strip()
    if not text:
        errors.append(FieldError("text", "Write the note."))
    elif len(text) > 10_000:
        errors.append(FieldError("text", "At most 10,000 characters."))
    corrected = None
    if corrects_id is not None:
        corrected = CaseEvent.objects.filter(
            case=case, pk=corrects_id, kind__in=("note", "correction")
        ).first()
        if corrected is None:
            errors.append(FieldError("corrects_id", "Only a note of this case can be corrected."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        event = _event(
            case,
            "correction" if corrected else "note",
            actor,
            organisation,
            "Correction of an earlier note" if corrected else "Note",
            text=text,
            corrects=corrected,
        )
        _audit(
            case,
            actor,
            organisation,
            "note_add",
            action="create",
            event=event.pk,
            corrects=corrected.pk if corrected else None,
        )
    return event


# --- case team --------------------------------------------------------------------------------------


def _team_add(case: Case, member: Organisation, role: str, actor: User) -> bool:
    if CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).exists():
        return False
    CaseTeamMember.objects.create(
        case=case, organisation=member, role=role, added_at=clock.now(), added_by=actor
    )
    return True


def _lead_becomes(case: Case, member: Organisation | None, actor: User) -> None:
    """Keep the lead organisation and the team's lead role one and the same (issue 15, item 8).

    ``member`` (on the team) becomes the lead; a former lead stays on the team to assist.
    ``None``: the case has no lead any more (the lead left the team)."""
    CaseTeamMember.objects.filter(case=case, role=TeamRole.LEAD, removed_at__isnull=True).exclude(
        organisation=member
    ).update(role=TeamRole.ASSISTANCE)
    if member is not None:
        CaseTeamMember.objects.filter(
            case=case, organisation=member, removed_at__isnull=True
        ).update(role=TeamRole.LEAD)
    Case.objects.filter(pk=case.pk).update(lead_organisation=member)
    case.lead_organisation = member


def _lead_on_team(case: Case, actor: User) -> None:
    """After a decision: the lead organisation is on the team as the lead (it may have been
    named when the case was opened and never joined, or left)."""
    lead = case.lead_organisation
    if lead is None or not lead.is_active:
        return
    if not _team_add(case, lead, TeamRole.LEAD, actor):
        CaseTeamMember.objects.filter(
            case=case, organisation=lead, removed_at__isnull=True
        ).exclude(role=TeamRole.LEAD).exclude(role=TeamRole.REFERRER).update(role=TeamRole.LEAD)


def team_add(
    *, actor: User, organisation: Organisation, case: Case, member: Organisation, role: str
) -> CaseTeamMember:
    _require_edit(actor, organisation, case, access.OVERVIEW)
    errors: list[FieldError] = []
    if role not in TeamRole.values:
        errors.append(FieldError("role", f"Choose one of: {', '.join(TeamRole.values)}."))
    if not member.is_active:
        errors.append(FieldError("organisation", "That organisation is not active."))
    if CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).exists():
        errors.append(FieldError("organisation", "That organisation is already on the case team."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _team_add(case, member, role, actor)
        if role == TeamRole.LEAD:
            _lead_becomes(case, member, actor)
        _event(
            case,
            "team",
            actor,
            organisation,
            f"{member.name} joined the case team ({TeamRole(role).label})",
        )
        _audit(case, actor, organisation, "team_add", member=member.pk, role=role)
    return CaseTeamMember.objects.get(case=case, organisation=member, removed_at__isnull=True)


def team_remove(
    *, actor: User, organisation: Organisation, case: Case, member: Organisation
) -> None:
    _require_edit(actor, organisation, case, access.OVERVIEW)
    row = CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).first()
    if row is None:
        raise InvalidInput(FieldError("organisation", "That organisation is not on the case team."))
    if CaseTeamMember.objects.filter(case=case, removed_at__isnull=True).count() == 1:
        raise InvalidInput(
            FieldError("organisation", "A case keeps at least one organisation on its team.")
        )
    with transaction.atomic():
        CaseTeamMember.objects.filter(pk=row.pk).update(removed_at=clock.now())
        if case.lead_organisation_id == member.pk:
            _lead_becomes(case, None, actor)
        _event(case, "team", actor, organisation, f"{member.name} left the case team")
        _audit(case, actor, organisation, "team_remove", member=member.pk)


# --- consent --------------------------------------------------------------------------------------


def consent_give(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    scopes: list[str],
    recipient: Organisation,
    purpose: str,
    given_by: str,
    given_on: date,
    notes: str = "",
) -> Consent:
    """Record consent: what may be shared (scopes), with whom (recipient), for what purpose."""
    _require_edit(actor, organisation, case, access.CONSENTS)
    errors = [
        FieldError("", p)
        for p in wf.consent_problems(
            scopes=scopes,
            purpose=purpose,
            given_on=given_on,
            today=clock.today(),
            given_by=given_by,
            is_child=case.is_child,
        )
    ]
    # Attach each message to its field for the form.
    fixed: list[FieldError] = []
    for e in errors:
        m = e.message
        field = (
            "scopes"
            if "information" in m or "shared" in m
            else "purpose"
            if "purpose" in m
            else "given_on"
            if "date" in m
            else "given_by"
        )
        fixed.append(FieldError(field, m))
    if not recipient.is_active:
        fixed.append(FieldError("recipient", "That organisation is not active."))
    if fixed:
        raise InvalidInput(fixed)
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            scopes=list(dict.fromkeys(scopes)),
            recipient=recipient,
            purpose=purpose,
            given_by=given_by,
            given_on=given_on,
            notes=notes.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "consent",
            actor,
            organisation,
            f"Consent given ({wf.CONSENT_GIVERS[given_by]}): {', '.join(consent.scopes)} → {recipient.name}, "
            f"for {wf.CONSENT_PURPOSES[purpose].lower()}",
        )
        _audit(
            case,
            actor,
            organisation,
            "consent_give",
            action="create",
            consent=consent.pk,
            scopes=consent.scopes,
            recipient=recipient.pk,
            purpose=purpose,
        )
    return consent


def consent_withdraw(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    consent_id: int,
    withdrawn_on: date | None = None,
) -> Consent:
    """Withdrawal takes effect at once for every referral that relied on the consent."""
    _require_edit(actor, organisation, case, access.CONSENTS)
    consent = case.consents.filter(pk=consent_id).first()
    if consent is None:
        raise InvalidInput(FieldError("consent", "No such consent on this case."))
    errors: list[FieldError] = []
    day = _as_date(withdrawn_on, "withdrawn_on", errors) or clock.today()
    if consent.withdrawn_on is not None:
        errors.append(FieldError("consent", "This consent has already been withdrawn."))
    if day < consent.given_on:
        errors.append(FieldError("withdrawn_on", "Consent is withdrawn after it was given."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(withdrawn_on=day, withdrawal_recorded_by=actor)
        consent.refresh_from_db()
        _event(
            case, "consent", actor, organisation, f"Consent withdrawn ({consent.recipient.name})"
        )
        _audit(case, actor, organisation, "consent_withdraw", consent=consent.pk)
    return consent


def legal_basis_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    member: Organisation,
    basis: str,
    valid_until: date | None = None,
) -> LegalBasis:
    """A legal basis (court order, statutory power) for a law-enforcement team member to see the identity."""
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    if not organisation.is_identification_body:
        raise NotAllowed("The identification body records a legal basis.")
    errors: list[FieldError] = []
    if len(basis.strip()) < 5:
        errors.append(
            FieldError("basis", "Cite the legal basis (e.g. the court order and its number).")
        )
    if not selectors.is_law_enforcement(member):
        errors.append(
            FieldError(
                "organisation", "A legal basis is recorded for a law-enforcement organisation."
            )
        )
    if valid_until is not None and valid_until < clock.today():
        errors.append(FieldError("valid_until", "This date has passed."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        row = LegalBasis.objects.create(
            case=case,
            organisation=member,
            basis=basis.strip()[:300],
            valid_until=valid_until,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "legal_basis",
            actor,
            organisation,
            f"Legal basis recorded for {member.name}",
            text=basis.strip(),
        )
        _audit(case, actor, organisation, "legal_basis_record", action="create", member=member.pk)
    return row


# --- service referrals ------------------------------------------------------------------------------


def service_referral_send(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    provider: ServiceProvider,
    service_type: str,
    consent: Consent,
    details: str = "",
) -> ServiceReferral:
    """Refer the person to a service. The consent must name the provider and cover the purpose."""
    _require_edit(actor, organisation, case, access.REFERRALS)
    today = clock.today()
    belongs = consent.case_id == case.pk
    problems = wf.service_referral_problems(
        service_type=service_type,
        provider_services=provider.service_types,
        provider_closed_facility=provider.is_closed_facility,
        is_child=case.is_child,
        consent_purpose=consent.purpose if belongs else None,
        consent_recipient_matches=belongs and consent.recipient_id == provider.organisation_id,
        consent_is_active=belongs
        and wf.consent_active(consent.given_on, consent.withdrawn_on, today),
    )
    errors = [
        FieldError(
            "consent"
            if "consent" in p.lower()
            else "provider"
            if "organisation" in p or "child" in p
            else "service_type",
            p,
        )
        for p in problems
    ]
    if not provider.is_active or not provider.organisation.is_active:
        errors.append(FieldError("provider", "This service provider is not active."))
    if case.is_child and not provider.accepts_children and service_type in ("shelter",):
        errors.append(FieldError("provider", "This shelter does not take children."))
    if not case.is_open:
        errors.append(FieldError("", "The case is closed."))
    if errors:
        raise InvalidInput(errors, detail="The referral cannot be sent.")
    with transaction.atomic():
        ref = ServiceReferral.objects.create(
            case=case,
            service_type=service_type,
            provider=provider,
            receiving_organisation=provider.organisation,
            sending_organisation=organisation,
            consent=consent,
            details=details.strip(),
            sent_by=actor,
            sent_at=clock.now(),
        )
        _event(
            case,
            "referral",
            actor,
            organisation,
            f"Referred to {provider.organisation.name} for {wf.SERVICE_TYPES[service_type].lower()}",
        )
        _audit(
            case,
            actor,
            organisation,
            "service_referral_send",
            action="create",
            referral=ref.pk,
            receiver=provider.organisation_id,
            service_type=service_type,
            consent=consent.pk,
        )
    return ref


def _referral_move(
    referral: ServiceReferral,
    *,
    actor: User,
    organisation: Organisation,
    target: str,
    receiver_only: bool,
    outcome: str = "",
    reason: str = "",
    **fields: Any,
) -> ServiceReferral:
    _require_perm(actor, organisation, Perm.EDIT_CASES)
    is_receiver = referral.receiving_organisation_id == organisation.pk
    if receiver_only and not is_receiver:
        raise NotAllowed("Only the receiving organisation answers a referral.")
    if not is_receiver:
        _require_edit(actor, organisation, referral.case, access.REFERRALS)
    problems = wf.referral_transition_problems(
        referral.status, target, outcome=outcome, reason=reason
    )
    if problems:
        field = (
            "reason"
            if "why" in problems[0].lower() or "describe" in problems[0].lower()
            else ("outcome" if "outcome" in problems[0].lower() else "status")
        )
        raise InvalidInput(
            [FieldError(field, p) for p in problems], detail="The referral cannot change this way."
        )
    previous = referral.status
    with transaction.atomic():
        # Guarded on the status read above: of two answers at once, the second is refused.
        updated = ServiceReferral.objects.filter(pk=referral.pk, status=previous).update(
            status=target, **fields
        )
        if not updated:
            raise InvalidInput(
                FieldError("status", "Someone else answered this referral meanwhile; reload it."),
                detail="Conflict.",
            )
        referral.refresh_from_db()
        _event(
            referral.case,
            "referral",
            actor,
            organisation,
            f"Referral to {referral.receiving_organisation.name} {target}"
            + (f" ({wf.REFERRAL_OUTCOMES[outcome]})" if outcome else ""),
            text=reason.strip(),
        )
        _audit(
            referral.case,
            actor,
            organisation,
            f"service_referral_{target}",
            referral=referral.pk,
            previous=previous,
            outcome=outcome,
        )
    return referral


def service_referral_accept(
    *, actor: User, organisation: Organisation, referral: ServiceReferral
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_ACCEPTED,
        receiver_only=True,
        responded_at=clock.now(),
    )


def service_referral_decline(
    *, actor: User, organisation: Organisation, referral: ServiceReferral, reason: str
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_DECLINED,
        receiver_only=True,
        reason=reason,
        responded_at=clock.now(),
        decline_reason=reason.strip(),
    )


def service_referral_deliver(
    *, actor: User, organisation: Organisation, referral: ServiceReferral
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_DELIVERED,
        receiver_only=True,
        delivered_at=clock.now(),
    )


def service_referral_close(
    *,
    actor: User,
    organisation: Organisation,
    referral: ServiceReferral,
    outcome: str,
    details: str = "",
) -> ServiceReferral:
    """Close with an outcome: by the receiver, or by the case team (e.g. withdrawn)."""
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_CLOSED,
        receiver_only=False,
        outcome=outcome,
        reason=details,
        closed_at=clock.now(),
        outcome_details=details.strip(),
    )


# --- tasks and deadlines --------------------------------------------------------------------------------


def task_add(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    title: str,
    due_on: date,
    assigned_organisation: Organisation | None = None,
    remind_days_before: int = 2,
) -> Task:
    _require_edit(actor, organisation, case, access.TASKS)
    errors: list[FieldError] = []
    if not title.strip():
        errors.append(FieldError("title", "Say what must be done."))
    elif len(title) > 300:
        errors.append(FieldError("title", "At most 300 characters."))
    if due_on < clock.today():
        errors.append(FieldError("due_on", "A new deadline cannot be in the past."))
    if not 0 <= remind_days_before <= 60:
        errors.append(FieldError("remind_days_before", "Between 0 and 60 days."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        task = Task.objects.create(
            case=case,
            title=title.strip(),
            kind="task",
            starts_on=clock.today(),
            due_on=due_on,
            assigned_organisation=assigned_organisation or case.lead_organisation or organisation,
            remind_days_before=remind_days_before,
            created_at=clock.now(),
        )
        _refresh_next_deadline(case)
        _event(case, "task", actor, organisation, f"Task added, due {due_on.isoformat()}")
        _audit(case, actor, organisation, "task_add", action="create", task=task.pk)
    return task


def task_complete(
    *, actor: User, organisation: Organisation, case: Case, task_id: int, note: str = ""
) -> Task:
    _require_edit(actor, organisation, case, access.TASKS)
    task = case.tasks.filter(pk=task_id).first()
    if task is None:
        raise InvalidInput(FieldError("task", "No such task on this case."))
    if task.done_at is not None:
        raise InvalidInput(FieldError("task", "This task is already done."))
    with transaction.atomic():
        Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=clock.now(), done_by=actor, done_note=note.strip()[:300]
        )
        task.refresh_from_db()
        _refresh_next_deadline(case)
        _event(
            case, "task", actor, organisation, f"Task done: {task.title[:200]}", text=note.strip()
        )
        _audit(case, actor, organisation, "task_complete", task=task.pk, rule=task.rule_key)
    return task


def reminders_send(*, today: date | None = None) -> int:
    """E-mail the members of each task's organisation when its reminder day has come.

    The message names the case reference and the due date only (no personal
    data by e-mail). Each task is reminded once. Returns how many were sent.
    """
    from django.core.mail import send_mail

    from palermo.core.models import Membership

    day = today or clock.today()
    sent = 0
    for task in selectors.deadlines_due_for_reminder(day).iterator():
        if wf.reminder_on(task.due_on, task.remind_days_before) > day:
            continue
        org_id = (
            task.assigned_organisation_id
            or task.case.lead_organisation_id
            or task.case.referring_organisation_id
        )
        emails = sorted(
            set(
                Membership.objects.filter(
                    organisation_id=org_id,
                    role__in=("case_worker", "coordinator"),
                    user__is_active=True,
                )
                .exclude(user__email="")
                .values_list("user__email", flat=True)
            )
        )
        with transaction.atomic():
            Task.objects.filter(pk=task.pk).update(reminded_at=clock.now())
            audit.record(
                action="update",
                object_type="case",
                object_ref=task.case.reference,
                details={"what": "reminder_sent", "task": task.pk, "recipients": len(emails)},
            )
            if emails:
                # Mailed once the reminder and its audit entry are committed, never before.
                transaction.on_commit(
                    partial(
                        send_mail,
                        subject=f"[Palermo] Deadline {task.due_on.isoformat()} – case {task.case.reference}",
                        message=(
                            f"A deadline of case {task.case.reference} is due on {task.due_on.isoformat()}.\n"
                            "Open the case in Palermo to see what is due."
                        ),
                        from_email=None,
                        recipient_list=emails,
                    )
                )
                sent += 1
    return sent


# --- history of trafficking, suspects ---------------------------------------------------------------------


def trafficking_event_add(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    event_type: str,
    date_: date | None = None,
    country: str = "",
    city: str = "",
    description: str = "",
) -> TraffickingEvent:
    _require_edit(actor, organisation, case, access.VICTIM_CONTEXT)
    errors: list[FieldError] = []
    if event_type not in vocabulary.values("hte_Type"):
        errors.append(FieldError("event_type", "Recruitment, Transit or Exploitation."))
    day = _as_date(date_, "date", errors)
    c = country.strip().upper()
    if c and not vocabulary.is_country(c):
        errors.append(FieldError("country", "Use an ISO 3166-1 alpha-2 code."))
    if len(city) > 100:
        errors.append(FieldError("city", "At most 100 characters."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        ev = TraffickingEvent.objects.create(
            case=case,
            event_type=event_type,
            date=day,
            country=c,
            city=city.strip(),
            description=description.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "trafficking_event",
            actor,
            organisation,
            f"Trafficking event recorded: {event_type}",
        )
        _audit(case, actor, organisation, "trafficking_event_add", action="create", event=ev.pk)
    return ev


def suspect_link(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    name_or_alias: str,
    roles: list[str],
    organisation_name: str = "",
    details: str = "",
) -> SuspectLink:
    """Link a suspected perpetrator to the case, for later investigation."""
    _require_edit(actor, organisation, case, access.SUSPECTS)
    errors: list[FieldError] = []
    if not name_or_alias.strip():
        errors.append(FieldError("name_or_alias", "A name or alias is needed to link a suspect."))
    elif len(name_or_alias) > 200:
        errors.append(FieldError("name_or_alias", "At most 200 characters."))
    roles = _check_codes("roles", "per_RoleInProcess", roles, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        s = SuspectLink.objects.create(
            case=case,
            name_or_alias=name_or_alias.strip(),
            roles=roles,
            organisation=organisation_name.strip()[:200],
            details=details.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(case, "suspect", actor, organisation, "Suspected perpetrator linked")
        _audit(
            case, actor, organisation, "suspect_link", action="create", suspect=s.pk, roles=roles
        )
    return s


# --- children ------------------------------------------------------------------------------------------------


def _child(case: Case) -> ChildSafeguard:
    if not case.is_child:
        raise InvalidInput(FieldError("", "This is not a child's case."))
    return ChildSafeguard.objects.get_or_create(case=case)[0]


def guardian_appoint(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    guardian_name: str,
    appointed_on: date,
    guardian_organisation: Organisation | None = None,
) -> ChildSafeguard:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    child = _child(case)
    errors: list[FieldError] = []
    if not guardian_name.strip():
        errors.append(FieldError("guardian_name", "Name the guardian."))
    _as_date(appointed_on, "appointed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        child.guardian_name = guardian_name.strip()[:200]
        child.guardian_organisation = guardian_organisation
        child.guardian_appointed_on = appointed_on
        child.save()
        _complete_rule_task(case, "guardian_appointment", actor, "Guardian appointed")
        _refresh_next_deadline(case)
        _event(
            case,
            "guardian",
            actor,
            organisation,
            f"Guardian appointed on {appointed_on.isoformat()}",
        )
        _audit(case, actor, organisation, "guardian_appoint")
    return child


def child_protection_notify(
    *, actor: User, organisation: Organisation, case: Case, authority: str, notified_on: date
) -> ChildSafeguard:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    child = _child(case)
    errors: list[FieldError] = []
    if not authority.strip():
        errors.append(FieldError("authority", "Name the child protection authority notified."))
    _as_date(notified_on, "notified_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        child.child_protection_authority = authority.strip()[:200]
        child.child_protection_notified_on = notified_on
        child.save()
        _complete_rule_task(
            case, "child_protection_notification", actor, "Child protection notified"
        )
        _refresh_next_deadline(case)
        _event(
            case,
            "child_protection",
            actor,
            organisation,
            f"Child protection notified on {notified_on.isoformat()}",
        )
        _audit(case, actor, organisation, "child_protection_notify")
    return child


def bid_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    factors: Mapping[str, str],
    durable_solution: str,
    decided_on: date,
    participants: str = "",
) -> BestInterestsDetermination:
    """A best-interests determination: all seven factors weighed, one of three durable solutions."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    _child(case)
    errors = [FieldError(f, m) for f, m in wf.bid_problems(factors, durable_solution)]
    _as_date(decided_on, "decided_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        bid = BestInterestsDetermination.objects.create(
            case=case,
            factors={k: str(factors[k]).strip() for k in wf.BID_FACTORS},
            durable_solution=durable_solution,
            participants=participants.strip()[:300],
            decided_on=decided_on,
            recorded_by=actor,
        )
        _complete_rule_task(
            case, "best_interests_determination", actor, "Best-interests determination recorded"
        )
        _refresh_next_deadline(case)
        _event(
            case,
            "bid",
            actor,
            organisation,
            f"Best-interests determination: {wf.DURABLE_SOLUTIONS[durable_solution]}",
        )
        _audit(
            case,
            actor,
            organisation,
            "bid_record",
            action="create",
            bid=bid.pk,
            durable_solution=durable_solution,
        )
    return bid


# --- return --------------------------------------------------------------------------------------------------


def return_assessment_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    country: str,
    answers: Mapping[str, str],
    conclusion: str,
    assessed_on: date,
    notes: str = "",
) -> ReturnRiskAssessment:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    errors = [FieldError(f, m) for f, m in wf.return_assessment_problems(answers, conclusion)]
    c = country.strip().upper()
    if not vocabulary.is_country(c):
        errors.append(
            FieldError("country", "The country of return, as an ISO 3166-1 alpha-2 code.")
        )
    extra = sorted(set(answers) - set(wf.RETURN_QUESTIONS))
    if extra:
        errors.append(FieldError("answers", f"Unknown questions: {', '.join(extra)}."))
    _as_date(assessed_on, "assessed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        ra = ReturnRiskAssessment.objects.create(
            case=case,
            country=c,
            answers={q: answers[q] for q in wf.RETURN_QUESTIONS},
            notes=notes.strip(),
            conclusion=conclusion,
            assessed_on=assessed_on,
            recorded_by=actor,
        )
        _complete_rule_task(case, "return_risk_assessment", actor, "Risk assessment recorded")
        _refresh_next_deadline(case)
        _event(
            case,
            "return_assessment",
            actor,
            organisation,
            f"Return risk assessment ({c}): {'acceptable' if conclusion == wf.ACCEPTABLE else 'not acceptable'}",
        )
        _audit(
            case,
            actor,
            organisation,
            "return_assessment_record",
            action="create",
            assessment=ra.pk,
            conclusion=conclusion,
        )
    return ra


def return_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    country: str,
    returned_on: date,
    override_reason: str = "",
    notes: str = "",
) -> ReturnRecord:
    """Record a return. Refused unless the latest assessment for that country concludes the risk is
    acceptable, or a co-ordinator overrides with a recorded reason. A child returns only when the
    best-interests determination chose return to the country of origin."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    c = country.strip().upper()
    errors: list[FieldError] = []
    if not vocabulary.is_country(c):
        errors.append(FieldError("country", "Use an ISO 3166-1 alpha-2 code."))
    _as_date(returned_on, "returned_on", errors, allow_future=True)
    latest = case.return_assessments.filter(country=c).order_by("-assessed_on", "-id").first()
    acceptable = latest is not None and latest.conclusion == wf.ACCEPTABLE
    override = override_reason.strip()
    if not acceptable:
        if not override:
            errors.append(
                FieldError(
                    "",
                    "A return is recorded only after a risk assessment for this country concludes "
                    "that the risk is acceptable, or with a co-ordinator's override and reason.",
                )
            )
        elif not has_perm(actor, Perm.OVERSEE_CASES, organisation):
            errors.append(
                FieldError(
                    "override_reason", "Only a co-ordinator can override the risk assessment."
                )
            )
        elif len(override) < 10:
            errors.append(FieldError("override_reason", "Explain the override."))
    elif override:
        override = ""  # nothing to override: the assessment stands
    if case.is_child:
        bid = case.bids.order_by("-decided_on", "-id").first()
        if bid is None or bid.durable_solution != "return_to_origin":
            errors.append(
                FieldError(
                    "",
                    "A child returns only when the best-interests determination chose return "
                    "to the country of origin.",
                )
            )
    if errors:
        raise InvalidInput(errors, detail="The return cannot be recorded.")
    with transaction.atomic():
        rec = ReturnRecord.objects.create(
            case=case,
            country=c,
            returned_on=returned_on,
            assessment=latest if acceptable else None,
            override_reason=override,
            overridden_by=actor if override else None,
            notes=notes.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "return",
            actor,
            organisation,
            f"Return to {c} recorded for {returned_on.isoformat()}"
            + (" (co-ordinator override)" if override else ""),
            text=override,
        )
        _audit(
            case,
            actor,
            organisation,
            "return_record",
            action="create",
            record=rec.pk,
            override=bool(override),
        )
    return rec


# --- proceedings --------------------------------------------------------------------------------------------


def non_punishment_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    offence: str,
    compulsion: str,
    decision: str = "pending",
    decided_by_body: str = "",
    decided_on: date | None = None,
) -> NonPunishment:
    """An offence the person was compelled to commit, and the decision on it (CoE Art. 26)."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    errors: list[FieldError] = []
    if not offence.strip():
        errors.append(FieldError("offence", "Name the offence."))
    if len(compulsion.strip()) < 10:
        errors.append(
            FieldError("compulsion", "Describe how the offence stemmed from the trafficking.")
        )
    if decision not in wf.NON_PUNISHMENT_DECISIONS:
        errors.append(FieldError("decision", "Choose a decision."))
    day = _as_date(decided_on, "decided_on", errors)
    if decision != "pending" and day is None:
        errors.append(FieldError("decided_on", "Give the date of the decision."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        np = NonPunishment.objects.create(
            case=case,
            offence=offence.strip()[:300],
            compulsion=compulsion.strip(),
            decision=decision,
            decided_by_body=decided_by_body.strip()[:200],
            decided_on=day,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "non_punishment",
            actor,
            organisation,
            f"Non-punishment: {wf.NON_PUNISHMENT_DECISIONS[decision]}",
        )
        _audit(
            case,
            actor,
            organisation,
            "non_punishment_record",
            action="create",
            record=np.pk,
            decision=decision,
        )
    return np


def non_punishment_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    record_id: int,
    decision: str,
    decided_by_body: str,
    decided_on: date,
) -> NonPunishment:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    np = case.non_punishment.filter(pk=record_id).first()
    if np is None:
        raise InvalidInput(FieldError("record", "No such record on this case."))
    errors: list[FieldError] = []
    if decision not in wf.NON_PUNISHMENT_DECISIONS or decision == "pending":
        errors.append(FieldError("decision", "Choose the decision taken."))
    if np.decision != "pending":
        errors.append(FieldError("decision", "The decision is already recorded."))
    _as_date(decided_on, "decided_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        NonPunishment.objects.filter(pk=np.pk).update(
            decision=decision, decided_by_body=decided_by_body.strip()[:200], decided_on=decided_on
        )
        np.refresh_from_db()
        _event(
            case,
            "non_punishment",
            actor,
            organisation,
            f"Non-punishment: {wf.NON_PUNISHMENT_DECISIONS[decision]}",
        )
        _audit(case, actor, organisation, "non_punishment_decide", record=np.pk, decision=decision)
    return np


def _amount(value: Any, field: str, errors: list[FieldError]) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(FieldError(field, "A positive amount, e.g. 2500.00."))
        return None
    if not d.is_finite() or d <= 0 or d >= Decimal("1e12") or d.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append(FieldError(field, "A positive amount with at most two decimals."))
        return None
    return d


def _require_proceedings(
    actor: User, organisation: Organisation | None, case: Case
) -> access.Visibility:
    """Who records compensation claims: whoever edits the case, or an investigating organisation
    (police, prosecution, FIU) on the case team, which seeks compensation in the proceedings."""
    if has_perm(actor, Perm.EDIT_CASES, organisation):
        return _require_edit(actor, organisation, case, access.SAFEGUARDS)
    _require_perm(actor, organisation, Perm.RECORD_PROCEEDINGS)
    vis = selectors.case_visibility(actor, organisation, case)
    if "case team" not in vis.basis or access.SAFEGUARDS not in vis:
        raise NotAllowed("Only the case team and the identification body change this case.")
    return vis


def compensation_claim_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    amount: Any,
    currency: str,
    source: str,
    filed_on: date | None = None,
) -> CompensationClaim:
    _require_proceedings(actor, organisation, case)
    errors: list[FieldError] = []
    amt = _amount(amount, "amount", errors)
    cur = currency.strip().upper()
    import pycountry

    if pycountry.currencies.get(alpha_3=cur) is None:
        errors.append(FieldError("currency", "Use an ISO 4217 currency code, e.g. EUR."))
    if source not in wf.COMPENSATION_SOURCES:
        errors.append(FieldError("source", "Offender, state fund or confiscated assets."))
    filed = _as_date(filed_on, "filed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        claim = CompensationClaim.objects.create(
            case=case,
            amount=amt,
            currency=cur,
            source=source,
            status="filed" if filed else "planned",
            filed_on=filed,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "compensation",
            actor,
            organisation,
            f"Compensation claim ({wf.COMPENSATION_SOURCES[source].lower()}): {claim.status}",
        )
        _audit(
            case,
            actor,
            organisation,
            "compensation_claim_record",
            action="create",
            claim=claim.pk,
            source=source,
        )
    return claim


def compensation_claim_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    claim_id: int,
    status: str,
    on: date | None = None,
    amount_awarded: Any = None,
) -> CompensationClaim:
    _require_proceedings(actor, organisation, case)
    claim = case.compensation_claims.filter(pk=claim_id).first()
    if claim is None:
        raise InvalidInput(FieldError("claim", "No such claim on this case."))
    errors: list[FieldError] = []
    if status not in wf.COMPENSATION_TRANSITIONS.get(claim.status, frozenset()):
        errors.append(
            FieldError("status", f"A claim that is '{claim.status}' cannot become '{status}'.")
        )
    day = _as_date(on, "on", errors) or clock.today()
    awarded = None
    if status == "awarded":
        awarded = _amount(amount_awarded, "amount_awarded", errors)
    if errors:
        raise InvalidInput(errors)
    fields: dict[str, Any] = {"status": status}
    if status == "filed":
        fields["filed_on"] = day
    if status in ("awarded", "rejected"):
        fields["decided_on"] = day
    if awarded is not None:
        fields["amount_awarded"] = awarded
    with transaction.atomic():
        if not CompensationClaim.objects.filter(pk=claim.pk, status=claim.status).update(**fields):
            raise InvalidInput(
                FieldError("status", "Someone else changed this claim meanwhile; reload it."),
                detail="Conflict.",
            )
        claim.refresh_from_db()
        _event(case, "compensation", actor, organisation, f"Compensation claim: {status}")
        _audit(
            case, actor, organisation, "compensation_claim_update", claim=claim.pk, status=status
        )
    return claim


# --- break-glass -----------------------------------------------------------------------------------------------


def break_glass_open(
    *, actor: User, organisation: Organisation, case_ref: str, reason: str
) -> BreakGlassAccess:
    """Emergency access to the whole file for a few hours: needs a reason, is audited and flagged."""
    from django.http import Http404

    _require_perm(actor, organisation, Perm.BREAK_GLASS)
    case = Case.objects.filter(reference=wf.normalise_reference(case_ref)).first()
    if case is None:
        raise Http404("not found")
    if len(reason.strip()) < 15:
        raise InvalidInput(FieldError("reason", "Explain the emergency (at least a sentence)."))
    now = clock.now()
    with transaction.atomic():
        row = BreakGlassAccess.objects.create(
            case=case,
            user=actor,
            organisation=organisation,
            reason=reason.strip(),
            started_at=now,
            expires_at=now + timedelta(hours=BREAK_GLASS_HOURS),
        )
        _event(
            case,
            "break_glass",
            actor,
            organisation,
            "Break-glass access to the whole case file",
            text=reason.strip(),
        )
        audit.record(
            action="break_glass",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=case.reference,
            purpose="break-glass",
            details={"access": row.pk, "hours": BREAK_GLASS_HOURS},
        )
    return row


def break_glass_review(
    *, actor: User, organisation: Organisation, access_id: int
) -> BreakGlassAccess:
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    row = BreakGlassAccess.objects.select_related("case").filter(pk=access_id).first()
    if row is None:
        raise InvalidInput(FieldError("access", "No such break-glass access."))
    if row.user_id == actor.pk:
        raise InvalidInput(
            FieldError("access", "Another co-ordinator reviews your own break-glass access.")
        )
    if row.reviewed_at is not None:
        raise InvalidInput(FieldError("access", "Already reviewed."))
    with transaction.atomic():
        BreakGlassAccess.objects.filter(pk=row.pk).update(
            reviewed_by=actor, reviewed_at=clock.now()
        )
        row.refresh_from_db()
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=row.case.reference,
            details={"what": "break_glass_review", "access": row.pk},
        )
    return row


# --- service directory ---------------------------------------------------------------------------------------------


def service_provider_save(
    *,
    actor: User,
    organisation: Organisation,
    provider_organisation: Organisation,
    service_types: list[str],
    capacity: int,
    languages: list[str],
    area_served: str,
    is_closed_facility: bool = False,
    accepts_children: bool = False,
    is_active: bool = True,
) -> ServiceProvider:
    """Add or change a directory entry (co-ordinators keep the national directory)."""
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    errors: list[FieldError] = []
    bad = [s for s in service_types if s not in wf.SERVICE_TYPES]
    if not service_types or bad:
        errors.append(FieldError("service_types", f"Choose from: {', '.join(wf.SERVICE_TYPES)}."))
    if capacity < 0:
        errors.append(FieldError("capacity", "Zero (not limited) or more."))
    bad_l = [x for x in languages if not vocabulary.is_language(x)]
    if bad_l:
        errors.append(FieldError("languages", f"Not ISO 639-1 codes: {', '.join(bad_l)}."))
    if is_closed_facility and accepts_children:
        errors.append(FieldError("accepts_children", "A closed facility never takes children."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        sp, created = ServiceProvider.objects.update_or_create(
            organisation=provider_organisation,
            defaults={
                "service_types": list(dict.fromkeys(service_types)),
                "capacity": capacity,
                "languages": list(dict.fromkeys(languages)),
                "area_served": area_served.strip()[:200],
                "is_closed_facility": is_closed_facility,
                "accepts_children": accepts_children,
                "is_active": is_active,
            },
        )
        audit.record(
            action="create" if created else "update",
            actor=actor,
            organisation=organisation,
            object_type="service_provider",
            object_ref=str(sp.pk),
            details={"services": sp.service_types},
        )
    return sp


def compensation_claim_from_investigation(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    amount: Any,
    currency: str,
    source: str,
    investigation_ref: str,
    method: str,
) -> CompensationClaim:
    """A compensation claim whose amount comes from a financial investigation's proceeds estimate.

    Same rules as ``compensation_claim_record``; the timeline also says which investigation the
    amount comes from and by which method.
    """
    with transaction.atomic():
        claim = compensation_claim_record(
            actor=actor,
            organisation=organisation,
            case=case,
            amount=amount,
            currency=currency,
            source=source,
        )
        _event(
            case,
            "compensation",
            actor,
            organisation,
            f"Amount of compensation claim from financial investigation {investigation_ref}",
            text=method,
        )
    return claim


__all__ = [
    "NotAllowed",
    "StaleVersion",
    "appeal_decide",
    "appeal_lodge",
    "bid_record",
    "break_glass_open",
    "break_glass_review",
    "case_open",
    "case_transition",
    "case_update",
    "child_protection_notify",
    "compensation_claim_from_investigation",
    "compensation_claim_record",
    "compensation_claim_update",
    "consent_give",
    "consent_withdraw",
    "context_update",
    "guardian_appoint",
    "identification_decide",
    "legal_basis_record",
    "non_punishment_decide",
    "non_punishment_record",
    "note_add",
    "person_update",
    "referral_receive",
    "reminders_send",
    "return_assessment_record",
    "return_record",
    "service_provider_save",
    "service_referral_accept",
    "service_referral_close",
    "service_referral_decline",
    "service_referral_deliver",
    "service_referral_send",
    "suspect_link",
    "task_add",
    "task_complete",
    "team_add",
    "team_remove",
    "trafficking_event_add",
]
