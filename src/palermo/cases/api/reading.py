"""Reading a case: its file (the parts I may see) and its timeline."""

from typing import Any

from ninja.pagination import paginate

from palermo.cases import access, casefile, selectors, services
from palermo.cases.api._common import (
    CappedPagination,
    LazyRows,
    TimelineEntryOut,
    case_for,
    router,
)
from palermo.cases.api.fields import Ref
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


# The case file's sections are the typed read model the case page and investigate use too
# (palermo.cases.casefile, issue 14 item 5): one definition, so the API cannot drift from them.
@router.get(
    "/{case_ref}",
    response=with_errors(casefile.CaseFile),
    summary="A case file (the parts I may see)",
)
@api_requires(Perm.VIEW_CASES)
def case_detail(request: AuthedRequest, case_ref: Ref) -> casefile.CaseFile:
    case = case_for(request, case_ref, record_read=True)
    return selectors.case_file(case, case.visibility)  # type: ignore[attr-defined]


@router.get(
    "/{case_ref}/timeline",
    response=with_errors(list[TimelineEntryOut]),
    summary="The case timeline, newest first",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def timeline(request: AuthedRequest, case_ref: Ref) -> Any:
    case = case_for(request, case_ref, record_read=True)
    if access.TIMELINE not in case.visibility:  # type: ignore[attr-defined]
        raise services.NotAllowed("You may not see this case's timeline.")
    return LazyRows(selectors.case_timeline(case), _timeline_entry)


def _timeline_entry(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.at,
        "kind": e.kind,
        "summary": e.summary,
        "text": e.text,
        "actor": e.actor.username if e.actor else "",
        "organisation": e.organisation.name if e.organisation else "",
        "corrects_id": e.corrects_id,
    }
