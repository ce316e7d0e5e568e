"""The case team: which organisations work on the case, in which role."""

from ninja import Schema

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, org_by_id, router
from palermo.cases.api.fields import Id, PathId, Ref, TeamRoleName
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class TeamIn(Schema):
    organisation_id: Id
    role: TeamRoleName


@router.post("/{case_ref}/team", response=WRITE, summary="Assign an organisation to the case team")
@api_requires(Perm.EDIT_CASES)
def team_add(request: AuthedRequest, case_ref: Ref, payload: TeamIn) -> Case:
    case = case_for(request, case_ref)
    services.team_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=org_by_id(request, payload.organisation_id),
        role=payload.role,
    )
    return case


@router.delete(
    "/{case_ref}/team/{organisation_id}",
    response=WRITE,
    summary="Remove an organisation from the case team",
)
@api_requires(Perm.EDIT_CASES)
def team_remove(request: AuthedRequest, case_ref: Ref, organisation_id: PathId) -> Case:
    case = case_for(request, case_ref)
    services.team_remove(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=org_by_id(request, organisation_id),
    )
    return case
