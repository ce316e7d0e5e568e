"""Return: the risk assessment (four questions) and the return itself."""

from typing import Literal

from ninja import Schema

from palermo.cases import services
from palermo.cases import workflow as wf
from palermo.cases.api._common import WRITE, case_for, router
from palermo.cases.api.fields import CountryCode, Day, Details, Ref
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest

Answer = Literal["yes", "no", "unknown"]


class ReturnAssessmentIn(Schema):
    country: CountryCode
    risk_of_harm: Answer
    authorities_can_protect: Answer
    risk_of_prosecution: Answer
    services_support_inclusion: Answer
    conclusion: Literal["acceptable", "not_acceptable"]
    assessed_on: Day
    notes: Details = ""


@router.post(
    "/{case_ref}/return-assessments",
    response=WRITE,
    summary="Record a return risk assessment (four questions)",
)
@api_requires(Perm.EDIT_CASES)
def return_assessment(request: AuthedRequest, case_ref: Ref, payload: ReturnAssessmentIn) -> Case:
    case = case_for(request, case_ref)
    answers = {q: getattr(payload, q) for q in wf.RETURN_QUESTIONS}
    services.return_assessment_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        country=payload.country,
        answers=answers,
        conclusion=payload.conclusion,
        assessed_on=payload.assessed_on,
        notes=payload.notes,
    )
    return case


class ReturnIn(Schema):
    country: CountryCode
    returned_on: Day
    override_reason: Details = ""
    notes: Details = ""


@router.post(
    "/{case_ref}/returns",
    response=WRITE,
    summary="Record a return (needs an acceptable risk assessment or a co-ordinator's override)",
)
@api_requires(Perm.EDIT_CASES)
def return_(request: AuthedRequest, case_ref: Ref, payload: ReturnIn) -> Case:
    case = case_for(request, case_ref)
    services.return_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        country=payload.country,
        returned_on=payload.returned_on,
        override_reason=payload.override_reason,
        notes=payload.notes,
    )
    return case
