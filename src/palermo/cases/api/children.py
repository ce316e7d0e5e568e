"""Safeguards for a child: guardian, child protection, best-interests determination."""

from ninja import Schema

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, org_by_id, router
from palermo.cases.api.fields import (
    BidFactor,
    Day,
    Details,
    DurableSolution,
    Id,
    Line,
    Ref,
    RequiredLabel,
)
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class GuardianIn(Schema):
    guardian_name: RequiredLabel
    appointed_on: Day
    guardian_organisation_id: Id | None = None


@router.post(
    "/{case_ref}/guardian", response=WRITE, summary="Record the appointment of a child's guardian"
)
@api_requires(Perm.EDIT_CASES)
def guardian(request: AuthedRequest, case_ref: Ref, payload: GuardianIn) -> Case:
    case = case_for(request, case_ref)
    org = (
        org_by_id(request, payload.guardian_organisation_id)
        if payload.guardian_organisation_id
        else None
    )
    services.guardian_appoint(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        guardian_name=payload.guardian_name,
        appointed_on=payload.appointed_on,
        guardian_organisation=org,
    )
    return case


class ChildProtectionIn(Schema):
    authority: RequiredLabel
    notified_on: Day


@router.post(
    "/{case_ref}/child-protection",
    response=WRITE,
    summary="Record the notification of child protection",
)
@api_requires(Perm.EDIT_CASES)
def child_protection(request: AuthedRequest, case_ref: Ref, payload: ChildProtectionIn) -> Case:
    case = case_for(request, case_ref)
    services.child_protection_notify(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        authority=payload.authority,
        notified_on=payload.notified_on,
    )
    return case


class BidIn(Schema):
    factors: dict[BidFactor, Details]
    durable_solution: DurableSolution
    decided_on: Day
    participants: Line = ""


@router.post(
    "/{case_ref}/best-interests", response=WRITE, summary="Record a best-interests determination"
)
@api_requires(Perm.EDIT_CASES)
def bid(request: AuthedRequest, case_ref: Ref, payload: BidIn) -> Case:
    case = case_for(request, case_ref)
    services.bid_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        factors=dict(payload.factors),
        durable_solution=payload.durable_solution,
        decided_on=payload.decided_on,
        participants=payload.participants,
    )
    return case
