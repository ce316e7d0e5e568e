"""Referrals sent to my organisation: the list, one referral, and the receiver's answers
(accept, decline, deliver, close)."""

import datetime as dt
from typing import Any

from ninja import Schema
from ninja.pagination import paginate

from palermo.cases import selectors, services
from palermo.cases.api._common import (
    CappedPagination,
    LazyRows,
    OrgRef,
    referral_out,
    router,
)
from palermo.cases.api.fields import PathId, Reason, ReferralOutcome, ReferralStatusOrAll
from palermo.cases.casefile import (
    Identity,
    ReferralEntry,
    TraffickingEvent,
    VictimContext,
)
from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class IncomingReferralOut(Schema):
    id: int
    service_type: str
    status: str
    details: str
    sending_organisation: OrgRef
    receiving_organisation: OrgRef
    sent_at: dt.datetime
    responded_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    decline_reason: str
    consent: dict[str, Any]
    case_reference: str
    shared_groups: list[str]
    is_child: bool
    identity: Identity | None
    victim_context: VictimContext | None
    trafficking_events: list[TraffickingEvent] | None
    safeguards: dict[str, Any] | None


@router.get(
    "/referrals/incoming",
    response=with_errors(list[ReferralEntry]),
    summary="Referrals sent to my organisation",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def referrals_incoming(request: AuthedRequest, status: ReferralStatusOrAll = "") -> Any:
    qs = selectors.incoming_referrals_for(request.user, request.organisation, status=status)
    audit.record_request(
        request,
        action="read",
        object_type="referral_list",
        details={"status": status} if status else {},
    )
    return LazyRows(qs.select_related("receiving_organisation"), referral_out)


@router.get(
    "/referrals/{referral_id}",
    response=with_errors(IncomingReferralOut),
    summary="One referral, with the case fields this reader may see (the receiver: what its consent allows)",
)
@api_requires(Perm.VIEW_CASES)
def referral_detail(request: AuthedRequest, referral_id: PathId) -> dict[str, Any]:
    # The receiver sees what the consent covers; anyone else their own case visibility (issue 11).
    _ref, data = selectors.read_referral(
        request.user, request.organisation, referral_id, request=request
    )
    return data


class ReasonIn(Schema):
    reason: Reason = ""


class CloseReferralIn(Schema):
    outcome: ReferralOutcome
    details: Reason = ""


REFERRAL_WRITE = with_errors({200: ReferralEntry})


def _referral(request: AuthedRequest, referral_id: int) -> Any:
    return selectors.access_referral(request.user, request.organisation, referral_id)


@router.post(
    "/referrals/{referral_id}/accept",
    response=REFERRAL_WRITE,
    summary="Accept a referral (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_accept(request: AuthedRequest, referral_id: PathId) -> dict[str, Any]:
    ref = services.service_referral_accept(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
    )
    return referral_out(ref)


@router.post(
    "/referrals/{referral_id}/decline",
    response=REFERRAL_WRITE,
    summary="Decline a referral, saying why (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_decline(
    request: AuthedRequest, referral_id: PathId, payload: ReasonIn
) -> dict[str, Any]:
    ref = services.service_referral_decline(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
        reason=payload.reason,
    )
    return referral_out(ref)


@router.post(
    "/referrals/{referral_id}/deliver",
    response=REFERRAL_WRITE,
    summary="Record that the service is delivered (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_deliver(request: AuthedRequest, referral_id: PathId) -> dict[str, Any]:
    ref = services.service_referral_deliver(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
    )
    return referral_out(ref)


@router.post(
    "/referrals/{referral_id}/close",
    response=REFERRAL_WRITE,
    summary="Close a referral with its outcome (receiver or case team)",
)
@api_requires(Perm.EDIT_CASES)
def referral_close(
    request: AuthedRequest, referral_id: PathId, payload: CloseReferralIn
) -> dict[str, Any]:
    ref = services.service_referral_close(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
        outcome=payload.outcome,
        details=payload.details,
    )
    return referral_out(ref)
