"""Proceedings: criminal proceedings the person takes part in (stage, role), offences committed
under compulsion (non-punishment) and compensation claims."""

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, router
from palermo.cases.api.fields import (
    CompensationSource,
    CountryCode,
    CurrencyCode,
    Day,
    Details,
    Label,
    NonPunishmentDecision,
    PathId,
    ProceedingsRole,
    ProceedingsStage,
    Ref,
    RequiredLabel,
    RequiredLine,
)
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class NonPunishmentIn(Schema):
    offence: RequiredLine
    compulsion: Details
    decision: NonPunishmentDecision = "pending"
    decided_by_body: Label = ""
    decided_on: Day | None = None


@router.post(
    "/{case_ref}/non-punishment",
    response=WRITE,
    summary="Record an offence committed under compulsion",
)
@api_requires(Perm.EDIT_CASES)
def non_punishment(request: AuthedRequest, case_ref: Ref, payload: NonPunishmentIn) -> Case:
    case = case_for(request, case_ref)
    services.non_punishment_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        offence=payload.offence,
        compulsion=payload.compulsion,
        decision=payload.decision,
        decided_by_body=payload.decided_by_body,
        decided_on=payload.decided_on,
    )
    return case


class NonPunishmentDecisionIn(Schema):
    decision: Literal["not_prosecuted", "not_penalised", "penalised"]
    decided_by_body: RequiredLabel
    decided_on: Day


@router.post(
    "/{case_ref}/non-punishment/{record_id}/decision",
    response=WRITE,
    summary="Record the decision on an offence committed under compulsion",
)
@api_requires(Perm.EDIT_CASES)
def non_punishment_decide(
    request: AuthedRequest, case_ref: Ref, record_id: PathId, payload: NonPunishmentDecisionIn
) -> Case:
    case = case_for(request, case_ref)
    services.non_punishment_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        record_id=record_id,
        decision=payload.decision,
        decided_by_body=payload.decided_by_body,
        decided_on=payload.decided_on,
    )
    return case


class CompensationIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    currency: CurrencyCode
    source: CompensationSource
    filed_on: Day | None = None


@router.post(
    "/{case_ref}/compensation-claims", response=WRITE, summary="Record a compensation claim"
)
@api_requires(Perm.EDIT_CASES)
def compensation(request: AuthedRequest, case_ref: Ref, payload: CompensationIn) -> Case:
    case = case_for(request, case_ref)
    services.compensation_claim_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        amount=payload.amount,
        currency=payload.currency,
        source=payload.source,
        filed_on=payload.filed_on,
    )
    return case


class CompensationStatusIn(Schema):
    status: Literal["filed", "awarded", "rejected", "paid"]
    on: Day | None = None
    amount_awarded: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)


@router.post(
    "/{case_ref}/compensation-claims/{claim_id}/status",
    response=WRITE,
    summary="Move a compensation claim on: filed, awarded, rejected, paid",
)
@api_requires(Perm.EDIT_CASES)
def compensation_status(
    request: AuthedRequest, case_ref: Ref, claim_id: PathId, payload: CompensationStatusIn
) -> Case:
    case = case_for(request, case_ref)
    services.compensation_claim_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        claim_id=claim_id,
        status=payload.status,
        on=payload.on,
        amount_awarded=payload.amount_awarded,
    )
    return case


class ProceedingsIn(Schema):
    country: CountryCode
    stage: ProceedingsStage
    roles: list[ProceedingsRole] = Field(..., min_length=1, max_length=5)
    authority: Label = ""
    stage_on: Day | None = None


# Gated on seeing cases: the service lets whoever edits the case, and an investigating
# organisation on the case team (police, prosecution), record proceedings.
@router.post(
    "/{case_ref}/proceedings",
    response=WRITE,
    summary="Record criminal proceedings the person takes part in, and their role",
)
@api_requires(Perm.VIEW_CASES)
def proceedings(request: AuthedRequest, case_ref: Ref, payload: ProceedingsIn) -> Case:
    case = case_for(request, case_ref)
    services.proceedings_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        country=payload.country,
        stage=payload.stage,
        roles=payload.roles,
        authority=payload.authority,
        stage_on=payload.stage_on,
    )
    return case


class ProceedingsUpdateIn(Schema):
    stage: ProceedingsStage
    roles: list[ProceedingsRole] = Field(..., min_length=1, max_length=5)
    stage_on: Day | None = None


@router.post(
    "/{case_ref}/proceedings/{record_id}",
    response=WRITE,
    summary="Move criminal proceedings on, or change the person's role in them",
)
@api_requires(Perm.VIEW_CASES)
def proceedings_update(
    request: AuthedRequest, case_ref: Ref, record_id: PathId, payload: ProceedingsUpdateIn
) -> Case:
    case = case_for(request, case_ref)
    services.proceedings_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        record_id=record_id,
        stage=payload.stage,
        roles=payload.roles,
        stage_on=payload.stage_on,
    )
    return case
