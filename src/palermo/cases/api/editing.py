"""Edits of the case: identity and contact, the victim context, the case's own facts.

Each names the ``version`` it was based on; a stale version is answered 409 and nothing is saved.
"""

from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from palermo.cases import services
from palermo.cases.api._common import WRITE, PersonIn, VersionIn, case_for, org_by_id, router
from palermo.cases.api.fields import Code, CountryCode, Id, LongText, Ref
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class PersonChangeIn(VersionIn):
    model_config = {"extra": "forbid"}

    changes: PersonIn


@router.patch("/{case_ref}/person", response=WRITE, summary="Change identity or contact fields")
@api_requires(Perm.EDIT_CASES)
def person_update(request: AuthedRequest, case_ref: Ref, payload: PersonChangeIn) -> Case:
    case = case_for(request, case_ref)
    return services.person_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        changes=payload.changes.dict(exclude_unset=True),
    )


class ContextIn(Schema):
    model_config = {"extra": "forbid"}

    methods_of_recruitment: list[Code] | None = Field(None, max_length=20)
    methods_of_control: list[Code] | None = Field(None, max_length=20)
    exploitation_types: list[Code] | None = Field(None, max_length=20)
    forced_labour_industry: Code | None = None
    sex_exploitation_types: list[Code] | None = Field(None, max_length=10)
    relationship_to_trafficker: Code | None = None
    age_when_trafficked: Annotated[StrictInt, Field(ge=0, le=120)] | None = None
    countries_of_recruitment: list[CountryCode] | None = Field(None, max_length=20)
    countries_of_transit: list[CountryCode] | None = Field(None, max_length=20)
    countries_of_exploitation: list[CountryCode] | None = Field(None, max_length=20)


class ContextChangeIn(VersionIn):
    model_config = {"extra": "forbid"}

    changes: ContextIn


@router.patch(
    "/{case_ref}/context", response=WRITE, summary="Change the victim context (HTCDS vic_ fields)"
)
@api_requires(Perm.EDIT_CASES)
def context_update(request: AuthedRequest, case_ref: Ref, payload: ContextChangeIn) -> Case:
    case = case_for(request, case_ref)
    return services.context_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        changes=payload.changes.dict(exclude_unset=True),
    )


class CaseChangeIn(VersionIn):
    is_child: StrictBool | None = None
    cooperates_with_authorities: StrictBool | None = None
    status: Literal["Active", "FollowUp"] | None = None
    lead_organisation_id: Id | None = None
    summary: LongText | None = None


@router.patch(
    "/{case_ref}",
    response=WRITE,
    summary="Change case facts: child, co-operation, status, lead, summary",
)
@api_requires(Perm.EDIT_CASES)
def case_update(request: AuthedRequest, case_ref: Ref, payload: CaseChangeIn) -> Case:
    case = case_for(request, case_ref)
    lead = (
        org_by_id(request, payload.lead_organisation_id) if payload.lead_organisation_id else None
    )
    return services.case_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        is_child=payload.is_child,
        cooperates_with_authorities=payload.cooperates_with_authorities,
        status=payload.status,
        lead_organisation=lead,
        summary=payload.summary,
    )
