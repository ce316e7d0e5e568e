"""Identification: the decision (identification body) and appeals against it."""

from typing import Literal

from ninja import Schema
from pydantic import StrictBool

from palermo.cases import services
from palermo.cases.api._common import WRITE, VersionIn, case_for, router
from palermo.cases.api.fields import Day, LongText, PathId, Ref
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class DecisionIn(VersionIn):
    outcome: Literal["presumed", "identified", "not_identified"]
    reasons: LongText
    basis: Literal["", "appeal", "new_facts"] = ""


@router.post(
    "/{case_ref}/decisions", response=WRITE, summary="Identification decision (identification body)"
)
@api_requires(Perm.DECIDE_IDENTIFICATION)
def decide(request: AuthedRequest, case_ref: Ref, payload: DecisionIn) -> Case:
    case = case_for(request, case_ref)
    services.identification_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        outcome=payload.outcome,
        reasons=payload.reasons,
        basis=payload.basis,
    )
    return case


class AppealIn(Schema):
    grounds: LongText
    lodged_on: Day


@router.post(
    "/{case_ref}/appeals", response=WRITE, summary="Record an appeal against the latest decision"
)
@api_requires(Perm.EDIT_CASES)
def appeal_lodge(request: AuthedRequest, case_ref: Ref, payload: AppealIn) -> Case:
    case = case_for(request, case_ref)
    services.appeal_lodge(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        grounds=payload.grounds,
        lodged_on=payload.lodged_on,
    )
    return case


class AppealOutcomeIn(VersionIn):
    upheld: StrictBool
    reasons: LongText
    new_outcome: Literal["", "presumed", "identified", "not_identified"] = ""


@router.post(
    "/{case_ref}/appeals/{appeal_id}/outcome",
    response=WRITE,
    summary="Record the outcome of an appeal",
)
@api_requires(Perm.DECIDE_IDENTIFICATION)
def appeal_decide(
    request: AuthedRequest, case_ref: Ref, appeal_id: PathId, payload: AppealOutcomeIn
) -> Case:
    case = case_for(request, case_ref)
    services.appeal_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        appeal_id=appeal_id,
        upheld=payload.upheld,
        reasons=payload.reasons,
        new_outcome=payload.new_outcome,
    )
    return case
