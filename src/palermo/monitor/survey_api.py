"""Survey API: the surveys a caller may see, a survey's questions (and the XLSForm), and an
organisation's answers — saved as a draft or submitted, checked by the survey's rules with
the one error shape (422, one message per question).

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.monitor import survey_selectors, survey_services, xlsform
from palermo.monitor.services import NotAllowed

router = Router(tags=["monitor"])
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class SurveyOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    version: int


class SurveyDetailOut(SurveyOut):
    definition: dict[str, Any]
    my_due_on: str | None = None
    my_answers: dict[str, Any] | None = None
    my_submitted: bool | None = None
    my_version: int | None = None


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(default_factory=dict, max_length=1000)
    submit: bool = False
    version: int | None = Field(default=None, ge=1, le=MAX_ID)


class AnswersOut(Schema):
    submitted: bool
    version: int
    answers: dict[str, Any]


def _out(item: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "version": item.version,
    }


@router.get("", response=with_errors(list[SurveyOut]), summary="Surveys the caller may see")
@api_requires(Perm.MONITOR_VIEW)
def survey_list(request: HttpRequest) -> Any:
    return [_out(s) for s in survey_selectors.surveys(request.user, request.organisation)[:500]]  # type: ignore[arg-type, attr-defined]


@router.get(
    "/{survey_id}",
    response=with_errors(SurveyDetailOut),
    summary="A survey's questions, and the caller's organisation's answers if it was asked",
)
@api_requires(Perm.MONITOR_VIEW)
def survey_detail(request: HttpRequest, survey_id: Id) -> Any:
    actor, org = request.user, request.organisation  # type: ignore[attr-defined]
    item = survey_selectors.access_survey(actor, org, survey_id)  # type: ignore[arg-type]
    data: dict[str, Any] = {**_out(item), "definition": item.definition}
    assignment = survey_selectors.my_assignment(actor, org, item)  # type: ignore[arg-type]
    if assignment is not None:
        response = survey_selectors.my_response(actor, org, assignment)  # type: ignore[arg-type]
        data["my_due_on"] = assignment.due_on.isoformat()
        data["my_answers"] = response.answers if response else {}
        data["my_submitted"] = bool(response and response.submitted)
        data["my_version"] = response.version if response else 1
    return data


@router.get(
    "/{survey_id}/xlsform",
    response={200: None, **with_errors({})},
    summary="The survey as an XLSForm workbook (KoboToolbox, ODK)",
)
@api_requires(Perm.MONITOR_VIEW)
def survey_xlsform(request: HttpRequest, survey_id: Id) -> Any:
    actor, org = request.user, request.organisation  # type: ignore[attr-defined]
    item = survey_selectors.access_survey(actor, org, survey_id)  # type: ignore[arg-type]
    data = xlsform.export(survey_selectors.definition(item), version=str(item.version))
    audit.record(
        action="export",
        actor=actor,
        organisation=org,
        object_type="monitor.survey",
        object_ref=str(item.pk),
        request=request,
    )
    out = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    out["Content-Disposition"] = f'attachment; filename="survey-{item.pk}.xlsx"'
    return out


@router.put(
    "/{survey_id}/answers",
    response=with_errors(AnswersOut),
    summary="Save (or submit) the caller's organisation's answers",
)
@api_requires(Perm.MONITOR_PROGRESS)
def answers_put(request: HttpRequest, survey_id: Id, payload: AnswersIn) -> Any:
    actor, org = request.user, request.organisation  # type: ignore[attr-defined]
    item = survey_selectors.access_survey(actor, org, survey_id)  # type: ignore[arg-type]
    assignment = survey_selectors.my_assignment(actor, org, item)  # type: ignore[arg-type]
    if assignment is None:
        raise HttpError(404, "Not found.")
    try:
        response = survey_services.answers_save(
            actor=actor,  # type: ignore[arg-type]
            organisation=org,
            assignment=assignment,
            answers=payload.answers,
            submit=payload.submit,
            version=payload.version,
        )
    except NotAllowed as exc:
        audit.record_refusal(request, object_type="monitor.survey_response")
        raise HttpError(403, str(exc)) from exc
    return {
        "submitted": response.submitted,
        "version": response.version,
        "answers": response.answers,
    }
