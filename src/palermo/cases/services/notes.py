"""Writes of the NRM case file: timeline notes."""

from __future__ import annotations

from django.db import transaction

from palermo.cases import access
from palermo.cases.models import (
    Case,
    CaseEvent,
)
from palermo.cases.services._common import _audit, _event, _require_edit
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


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
            said("correction" if corrected else "note"),
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


# Timeline entries other contexts may write about a case (a record they keep themselves):
# the sentence key is also the entry's kind.
RECORD_SENTENCES = frozenset({"police_exchange_sent", "police_exchange_received"})


def record_event_add(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    sentence: str,
) -> CaseEvent:
    """A timeline entry for a record another context keeps about the case (a police-channel
    exchange, say): one of the timeline's sentences, standard wording only — the record itself
    stays in its own context, behind that context's permission. Not a note: not corrected."""
    _require_edit(actor, organisation, case, access.TIMELINE)
    if sentence not in RECORD_SENTENCES:
        raise InvalidInput(FieldError("sentence", "Not a record another context may write."))
    with transaction.atomic():
        event = _event(case, sentence, actor, organisation, said(sentence))
        _audit(case, actor, organisation, "record_event_add", action="create", event=event.pk)
    return event
