"""Writes of the NRM case file: criminal proceedings the person takes part in (stage, role)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from palermo.cases import clock, vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import Case, CriminalProceeding
from palermo.cases.services._common import _as_date, _audit, _event
from palermo.cases.services.proceedings import _require_proceedings
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def _clean(
    country: str, stage: str, roles: Iterable[str], authority: str, errors: list[FieldError]
) -> tuple[str, list[str], str]:
    c = str(country or "").strip().upper()
    if not vocabulary.is_country(c):
        errors.append(
            FieldError("country", "The country of the proceedings, as an ISO 3166-1 alpha-2 code.")
        )
    codes = [str(r) for r in roles]
    for field, message in wf.proceedings_problems(stage, codes):
        errors.append(FieldError(field, message))
    text = str(authority or "").strip()
    if len(text) > 200 or "\x00" in text:
        errors.append(FieldError("authority", "At most 200 characters."))
    return c, codes, text


def proceedings_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    country: str,
    stage: str,
    roles: Iterable[str],
    authority: str = "",
    stage_on: date | None = None,
) -> CriminalProceeding:
    """Criminal proceedings the person takes part in, and in what role (witness, injured party…).
    Whoever edits the case, or an investigating organisation on the case team, records them."""
    _require_proceedings(actor, organisation, case)
    errors: list[FieldError] = []
    c, codes, text = _clean(country, stage, roles, authority, errors)
    day = _as_date(stage_on, "stage_on", errors)
    if errors:
        raise InvalidInput(errors)
    now = clock.now()
    with transaction.atomic():
        record = CriminalProceeding.objects.create(
            case=case,
            country=c,
            stage=stage,
            roles=codes,
            authority=text,
            stage_on=day,
            recorded_by=actor,
            recorded_at=now,
            updated_at=now,
        )
        _event(case, "proceedings", actor, organisation, said("proceedings_recorded", stage=stage))
        _audit(
            case,
            actor,
            organisation,
            "proceedings_record",
            action="create",
            record=record.pk,
            stage=stage,
            roles=codes,
        )
    return record


def proceedings_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    record_id: int,
    stage: str,
    roles: Iterable[str],
    stage_on: date | None = None,
) -> CriminalProceeding:
    """The proceedings move on (another stage) or the person's role changes. Concluded or
    discontinued proceedings stay as they are: new proceedings are a new record."""
    _require_proceedings(actor, organisation, case)
    record = CriminalProceeding.objects.filter(case=case, pk=record_id).first()
    if record is None:
        raise InvalidInput(FieldError("record", "No such proceedings on this case."))
    errors: list[FieldError] = []
    _, codes, _text = _clean(record.country, stage, roles, record.authority, errors)
    if record.stage in wf.PROCEEDINGS_FINAL:
        errors.append(
            FieldError("stage", "These proceedings are over; record new proceedings instead.")
        )
    elif stage == record.stage and codes == list(record.roles):
        errors.append(FieldError("stage", "Nothing changed."))
    day = _as_date(stage_on, "stage_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        fields = {"stage": stage, "roles": codes, "updated_at": clock.now()}
        if stage != record.stage:
            fields["stage_on"] = day or clock.today()
        # Optimistic: the stage and roles it was read with, or someone else changed it.
        if not CriminalProceeding.objects.filter(
            pk=record.pk, stage=record.stage, updated_at=record.updated_at
        ).update(**fields):
            raise InvalidInput(
                FieldError("stage", "Someone else changed these proceedings meanwhile; reload."),
                detail="Conflict.",
            )
        record.refresh_from_db()
        _event(case, "proceedings", actor, organisation, said("proceedings_updated", stage=stage))
        _audit(
            case,
            actor,
            organisation,
            "proceedings_update",
            record=record.pk,
            stage=stage,
            roles=codes,
        )
    return record
