"""Notes on the timeline: appended, never edited (a correction is a new note)."""

from typing import Any

from ninja import Schema, Status

from palermo.cases import services
from palermo.cases.api._common import TimelineEntryOut, case_for, router
from palermo.cases.api.fields import Id, LanguageCode, LongText, Ref
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class NoteIn(Schema):
    text: LongText
    corrects_id: Id | None = None


@router.post(
    "/{case_ref}/notes",
    response=with_errors({201: TimelineEntryOut}),
    summary="Append a note (or a correction of one); notes are never edited",
)
@api_requires(Perm.EDIT_CASES)
def note_add(request: AuthedRequest, case_ref: Ref, payload: NoteIn) -> Any:
    case = case_for(request, case_ref)
    e = services.note_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        text=payload.text,
        corrects_id=payload.corrects_id,
    )
    return Status(
        201,
        {
            "id": e.pk,
            "at": e.at,
            "kind": e.kind,
            "summary": e.summary,
            "text": e.text,
            "actor": request.user.get_username(),
            "organisation": request.organisation.name,
            "corrects_id": e.corrects_id,
        },
    )


class InterpreterRequestIn(Schema):
    language: LanguageCode  # ISO 639-1, e.g. "ro"


@router.post(
    "/{case_ref}/interpreter-requests",
    response=with_errors({201: TimelineEntryOut}),
    summary="Record that an interpreter was requested (in which language) before an interview",
)
@api_requires(Perm.EDIT_CASES)
def interpreter_request(
    request: AuthedRequest, case_ref: Ref, payload: InterpreterRequestIn
) -> Any:
    case = case_for(request, case_ref)
    e = services.interpreter_request(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        language=payload.language,
    )
    return Status(
        201,
        {
            "id": e.pk,
            "at": e.at,
            "kind": e.kind,
            "summary": e.summary,
            "text": "",
            "actor": request.user.get_username(),
            "organisation": request.organisation.name,
            "corrects_id": None,
        },
    )
