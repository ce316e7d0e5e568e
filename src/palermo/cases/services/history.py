"""Writes of the NRM case file: history of trafficking, suspects."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from palermo.cases import access, clock, vocabulary
from palermo.cases.models import (
    Case,
    SuspectLink,
    TraffickingEvent,
)
from palermo.cases.services._common import _as_date, _audit, _check_codes, _event, _require_edit
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


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
            said("trafficking_event", event_type=event_type),
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
        _event(case, "suspect", actor, organisation, said("suspect"))
        _audit(
            case, actor, organisation, "suspect_link", action="create", suspect=s.pk, roles=roles
        )
    return s
