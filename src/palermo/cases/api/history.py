"""The history of trafficking: events (recruitment, transit, exploitation) and suspects."""

from typing import Literal

from ninja import Field, Schema

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, router
from palermo.cases.api.fields import (
    Code,
    CountryCode,
    Day,
    Details,
    Label,
    Name,
    Ref,
    RequiredLabel,
)
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class TraffickingEventIn(Schema):
    event_type: Literal["Recruitment", "Transit", "Exploitation"]
    date: Day | None = None
    country: CountryCode = ""
    city: Name = ""
    description: Details = ""


@router.post(
    "/{case_ref}/trafficking-events",
    response=WRITE,
    summary="Add an event to the history of trafficking",
)
@api_requires(Perm.EDIT_CASES)
def trafficking_event(request: AuthedRequest, case_ref: Ref, payload: TraffickingEventIn) -> Case:
    case = case_for(request, case_ref)
    services.trafficking_event_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        event_type=payload.event_type,
        date_=payload.date,
        country=payload.country,
        city=payload.city,
        description=payload.description,
    )
    return case


class SuspectIn(Schema):
    name_or_alias: RequiredLabel
    roles: list[Code] = Field(default_factory=list, max_length=15)
    organisation: Label = ""
    details: Details = ""


@router.post("/{case_ref}/suspects", response=WRITE, summary="Link a suspected perpetrator")
@api_requires(Perm.EDIT_CASES)
def suspect(request: AuthedRequest, case_ref: Ref, payload: SuspectIn) -> Case:
    case = case_for(request, case_ref)
    services.suspect_link(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        name_or_alias=payload.name_or_alias,
        roles=payload.roles,
        organisation_name=payload.organisation,
        details=payload.details,
    )
    return case
