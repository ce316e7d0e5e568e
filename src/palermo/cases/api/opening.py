"""Opening a case from an incoming referral."""

from typing import Any, Literal

from ninja import Field, Schema, Status
from pydantic import StrictBool

from palermo.cases import services
from palermo.cases.api._common import CaseSummaryOut, PersonIn, org_by_id, router
from palermo.cases.api.fields import Code, CountryCode, Day, Id, LongText, SourceRef
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class CaseOpenIn(Schema):
    model_config = {"extra": "forbid"}

    source: Literal["screening", "hotline", "agency", "transnational", "self_referral"]
    source_ref: SourceRef = ""
    person: PersonIn = Field(default_factory=PersonIn)
    exploitation_forms: list[Code] = Field(default_factory=list, max_length=11)
    is_child_or_presumed_child: StrictBool = False
    summary: LongText = ""
    referral_date: Day | None = None
    reason_for_referral: Code = ""
    referring_country: CountryCode = ""
    cooperates_with_authorities: StrictBool | None = None
    lead_organisation_id: Id | None = None


@router.post(
    "", response=with_errors({201: CaseSummaryOut}), summary="Open a case from an incoming referral"
)
@api_requires(Perm.REFER)
def case_open(request: AuthedRequest, payload: CaseOpenIn) -> Any:
    lead = (
        org_by_id(request, payload.lead_organisation_id) if payload.lead_organisation_id else None
    )
    case = services.case_open(
        actor=request.user,
        organisation=request.organisation,
        source=payload.source,
        source_ref=payload.source_ref,
        person=payload.person.dict(exclude_none=True),
        exploitation_forms=payload.exploitation_forms,
        is_child_or_presumed_child=payload.is_child_or_presumed_child,
        summary=payload.summary,
        referral_date=payload.referral_date,
        reason_for_referral=payload.reason_for_referral,
        referring_country=payload.referring_country,
        cooperates_with_authorities=payload.cooperates_with_authorities,
        lead_organisation=lead,
    )
    return Status(201, case)
