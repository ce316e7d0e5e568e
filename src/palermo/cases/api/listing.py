"""Lists across cases: the cases I may see, and the overdue deadlines."""

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Schema
from ninja.pagination import paginate

from palermo.cases import selectors
from palermo.cases import workflow as wf
from palermo.cases.api._common import CappedPagination, LazyRows, OrgRef, router
from palermo.cases.api.fields import MAX_ID, Code, CountryCode, SearchText
from palermo.cases.casefile import TaskEntry as TaskOut
from palermo.cases.models import Case
from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class CaseListItemOut(Schema):
    reference: str
    status: str
    phase: str
    identification_status: str
    is_child: bool
    nationality: str
    exploitation_types: list[str]
    next_deadline: dt.date | None
    opened_at: dt.datetime
    lead_organisation: OrgRef | None


class CaseQuery(Schema):
    q: SearchText = Field("", description="a case reference or its beginning")
    status: Literal["", "Active", "FollowUp", "Closed", "ClosedReferred"] = ""
    phase: Literal[
        "",
        "identification",
        "first_line",
        "medium_long_term",
        "return_inclusion",
        "proceedings",
        "closed",
    ] = ""
    identification_status: Literal["", "potential", "presumed", "identified", "not_identified"] = ""
    deadline: Literal["", "overdue", "due_soon", "none"] = ""
    organisation: int | None = Field(
        None, ge=1, le=MAX_ID, description="an organisation on the case team"
    )
    nationality: CountryCode = ""
    exploitation: Code = Field("", description="HTCDS vic_TypeOfExploitation value")
    child: bool | None = None
    sort: Literal["newest", "oldest", "deadline", "reference", "phase"] = "newest"


@router.get(
    "", response=with_errors(list[CaseListItemOut]), summary="Cases I may see: list and search"
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def case_list(request: AuthedRequest, filters: Query[CaseQuery]) -> QuerySet[Case]:
    f = selectors.CaseFilter(**filters.dict())
    audit.record_request(
        request, action="read", object_type="case_list", details={"filters": f.as_details()}
    )
    return selectors.case_list(request.user, request.organisation, f)


@router.get(
    "/overdue",
    response=with_errors(list[TaskOut]),
    summary="Overdue deadlines (all of them for co-ordinators)",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def overdue(request: AuthedRequest) -> Any:
    audit.record_request(request, action="read", object_type="overdue_deadlines")
    qs = selectors.overdue_deadlines_for(request.user, request.organisation)
    today = selectors.clock.today()
    return LazyRows(qs, lambda t: _task_out(t, today))


def _task_out(t: Any, today: dt.date) -> dict[str, Any]:
    return {
        "id": t.pk,
        "title": f"{t.case.reference}: {t.title}",
        "kind": t.kind,
        "rule_key": t.rule_key,
        "rule_version": t.rule_version,
        "starts_on": t.starts_on,
        "due_on": t.due_on,
        "done_at": t.done_at,
        "state": wf.deadline_state(t.due_on, t.done_at is not None, today),
        "assigned_organisation": {
            "id": t.assigned_organisation.pk,
            "name": t.assigned_organisation.name,
        }
        if t.assigned_organisation
        else None,
    }
