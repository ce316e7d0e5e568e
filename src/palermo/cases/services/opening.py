"""Writes of the NRM case file: opening a case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from palermo.cases import clock, selectors, vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    CaseExploitation,
    CaseOrigin,
    CaseSource,
    CaseTeamMember,
    ChildSafeguard,
    Person,
    TeamRole,
    VictimContext,
)
from palermo.cases.services._common import (
    _as_date,
    _audit,
    _event,
    _plan,
    _refresh_next_deadline,
    _require_perm,
    _require_reach,
    clean_context,
    clean_person,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm


def case_open(
    *,
    actor: User,
    organisation: Organisation,
    source: str,
    source_ref: str = "",
    origin: str = "",
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
    _require_reach(actor, lead_organisation)
    errors: list[FieldError] = []
    if source not in CaseSource.values:
        errors.append(
            FieldError("source", "Choose one of: {choices}.", choices=", ".join(CaseSource.values))
        )
    if len(source_ref) > 80:
        errors.append(FieldError("source_ref", "At most 80 characters."))
    if origin not in CaseOrigin.values:
        errors.append(FieldError("origin", "Unknown origin."))
    person_data = clean_person(person, errors)
    context_data = clean_context(victim_context or {}, errors)
    context_data.pop("exploitation_types", None)
    codes, unknown = vocabulary.exploitation_codes(exploitation_forms)
    if unknown:
        errors.append(
            FieldError(
                "exploitation_forms",
                "Unknown forms of exploitation: {forms}.",
                forms=", ".join(unknown),
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
                    origin=origin,
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
                    said("opened_child" if case.is_child else "opened", source=source),
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
                    **({"origin": origin} if origin else {}),
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
    origin: str = "",
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
        origin=origin,
        person=person,
        exploitation_forms=exploitation_forms,
        is_child_or_presumed_child=is_child_or_presumed_child,
        summary=summary,
        referral_date=referral_date,
        reason_for_referral=reason_for_referral,
        referring_country=referring_country,
        cooperates_with_authorities=cooperates_with_authorities,
    )
