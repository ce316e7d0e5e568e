"""Referring the person to a service (the case team's side; the receiver's is in
``received_referrals``)."""

from typing import Any

from ninja import Schema, Status

from palermo.cases import selectors, services
from palermo.cases.api._common import case_for, referral_out, router
from palermo.cases.api.fields import Details, Id, Ref, ServiceType
from palermo.cases.casefile import ReferralEntry
from palermo.core.apiutil import with_errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class ReferralIn(Schema):
    provider_id: Id
    service_type: ServiceType
    consent_id: Id
    details: Details = ""


@router.post(
    "/{case_ref}/referrals",
    response=with_errors({201: ReferralEntry}),
    summary="Refer the person to a service",
)
@api_requires(Perm.EDIT_CASES)
def referral_send(request: AuthedRequest, case_ref: Ref, payload: ReferralIn) -> Any:
    case = case_for(request, case_ref)
    provider = selectors.provider(payload.provider_id)
    consent = selectors.consent_of(case, payload.consent_id)
    if consent is None:
        raise InvalidInput(FieldError("consent_id", "No such consent on this case."))
    r = services.service_referral_send(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        provider=provider,
        service_type=payload.service_type,
        consent=consent,
        details=payload.details,
    )
    return Status(201, referral_out(r))
