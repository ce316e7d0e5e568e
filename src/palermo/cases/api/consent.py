"""Consent to share, its withdrawal, and the legal basis for law enforcement to see the
person's identity."""

from typing import Any

from ninja import Field, Schema, Status

from palermo.cases import selectors, services
from palermo.cases import workflow as wf
from palermo.cases.api._common import WRITE, case_for, org_by_id, router
from palermo.cases.api.fields import (
    ConsentGiver,
    ConsentPurpose,
    ConsentScope,
    Day,
    Id,
    Line,
    PathId,
    Reason,
    Ref,
)
from palermo.cases.casefile import ConsentEntry
from palermo.cases.models import Case
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class ConsentIn(Schema):
    scopes: list[ConsentScope] = Field(..., max_length=4)
    recipient_id: Id
    purpose: ConsentPurpose
    given_by: ConsentGiver
    given_on: Day
    notes: Reason = ""


@router.post(
    "/{case_ref}/consents",
    response=with_errors({201: ConsentEntry}),
    summary="Record consent to share",
)
@api_requires(Perm.EDIT_CASES)
def consent_give(request: AuthedRequest, case_ref: Ref, payload: ConsentIn) -> Any:
    case = case_for(request, case_ref)
    c = services.consent_give(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        scopes=list(payload.scopes),
        recipient=org_by_id(request, payload.recipient_id),
        purpose=payload.purpose,
        given_by=payload.given_by,
        given_on=payload.given_on,
        notes=payload.notes,
    )
    return Status(201, _consent_out(c))


def _consent_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "scopes": c.scopes,
        "recipient": {"id": c.recipient.pk, "name": c.recipient.name},
        "purpose": c.purpose,
        "given_by": c.given_by,
        "given_on": c.given_on,
        "withdrawn_on": c.withdrawn_on,
        "active": wf.consent_active(c.given_on, c.withdrawn_on, selectors.clock.today()),
    }


class WithdrawIn(Schema):
    withdrawn_on: Day | None = None


@router.post(
    "/{case_ref}/consents/{consent_id}/withdraw",
    response=with_errors({200: ConsentEntry}),
    summary="Withdraw a consent (referrals relying on it stop sharing at once)",
)
@api_requires(Perm.EDIT_CASES)
def consent_withdraw(
    request: AuthedRequest, case_ref: Ref, consent_id: PathId, payload: WithdrawIn
) -> Any:
    case = case_for(request, case_ref)
    c = services.consent_withdraw(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        consent_id=consent_id,
        withdrawn_on=payload.withdrawn_on,
    )
    return _consent_out(c)


class LegalBasisIn(Schema):
    organisation_id: Id
    basis: Line
    valid_until: Day | None = None


@router.post(
    "/{case_ref}/legal-bases",
    response=WRITE,
    summary="Record a legal basis for law enforcement to see the person's identity",
)
@api_requires(Perm.OVERSEE_CASES)
def legal_basis(request: AuthedRequest, case_ref: Ref, payload: LegalBasisIn) -> Case:
    case = case_for(request, case_ref)
    services.legal_basis_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=org_by_id(request, payload.organisation_id),
        basis=payload.basis,
        valid_until=payload.valid_until,
    )
    return case
