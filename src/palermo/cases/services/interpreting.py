"""Writes of the NRM case file: interpreter requests.

A presumed victim is interviewed in a language they understand (the NRM handbooks' first
rule of an interview): the case team records that it asked for an interpreter, in which
language, before the interview. The request is a timeline entry (standard wording, the
language by its code) and an audit entry naming the language; the interpreting itself is
arranged outside Palermo (or as a service referral for interpretation).
"""

from __future__ import annotations

from django.db import transaction

from palermo.cases import access, vocabulary
from palermo.cases.models import Case, CaseEvent
from palermo.cases.services._common import _audit, _event, _require_edit
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def interpreter_request(
    *, actor: User, organisation: Organisation, case: Case, language: str
) -> CaseEvent:
    """Record that an interpreter into ``language`` (ISO 639 code) was requested."""
    _require_edit(actor, organisation, case, access.TIMELINE)
    code = str(language or "").strip().lower()
    errors: list[FieldError] = []
    if not code:
        errors.append(FieldError("language", "Choose the language the person needs."))
    elif not vocabulary.is_language(code):
        errors.append(FieldError("language", "Use an ISO 639-1 language code, e.g. ro."))
    if not case.is_open:
        errors.append(FieldError("", "The case is closed."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        event = _event(case, "interpreter", actor, organisation, said("interpreter", language=code))
        _audit(
            case,
            actor,
            organisation,
            "interpreter_request",
            action="create",
            event=event.pk,
            language=code,
        )
    return event
