"""Country-visit API: visits with their meetings and report versions, a report version (with
what it was assembled from and the State's comments), and comments on a report under review.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.monitor import visit_services
from palermo.monitor.models import CountryVisit, VisitReport

router = Router(tags=["monitor"])
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class MeetingOut(Schema):
    held_on: str
    counterpart: str
    agenda: str
    notes: str


class ReportRef(Schema):
    id: int
    version: int
    status: str
    status_label: str


class VisitOut(Schema):
    id: int
    title: str
    source_body: str
    starts_on: str
    ends_on: str
    status: str
    follows: int | None
    meetings: list[MeetingOut]
    reports: list[ReportRef]


class CommentOut(Schema):
    organisation: str
    section: str
    text: str
    at: str


class ReportOut(ReportRef):
    visit: int
    findings: str
    snapshot: dict[str, Any]
    proposed: list[dict[str, Any]]
    corrects: int | None
    sha256: str
    comments: list[CommentOut]


class CommentIn(Schema):
    text: str = Field(min_length=1, max_length=20_000)
    section: str = Field(default="", max_length=80)


def _ref(r: VisitReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "version": r.version,
        "status": r.status,
        "status_label": str(r.get_status_display()),
    }


def _visit(v: CountryVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "title": v.title,
        "source_body": v.source_body,
        "starts_on": v.starts_on.isoformat(),
        "ends_on": v.ends_on.isoformat(),
        "status": v.status,
        "follows": v.follows_id,
        "meetings": [
            {
                "held_on": m.held_on.isoformat(),
                "counterpart": m.counterpart,
                "agenda": m.agenda,
                "notes": m.notes,
            }
            for m in v.meetings.all()
        ],
        "reports": [_ref(r) for r in v.reports.all()],
    }


def _report(request: HttpRequest, report_id: int) -> VisitReport:
    report = VisitReport.objects.select_related("visit").filter(pk=report_id).first()
    if report is None:
        raise Http404("not found")
    return report


@router.get("", response=with_errors(list[VisitOut]), summary="Country visits")
@api_requires(Perm.MONITOR_VIEW)
def visit_list(request: HttpRequest) -> Any:
    visits = CountryVisit.objects.prefetch_related("meetings", "reports")[:500]
    return [_visit(v) for v in visits]


@router.get("/{visit_id}", response=with_errors(VisitOut), summary="A country visit")
@api_requires(Perm.MONITOR_VIEW)
def visit_detail(request: HttpRequest, visit_id: Id) -> Any:
    visit = CountryVisit.objects.filter(pk=visit_id).first()
    if visit is None:
        raise Http404("not found")
    return _visit(visit)


@router.get("/reports/{report_id}", response=with_errors(ReportOut), summary="A report version")
@api_requires(Perm.MONITOR_VIEW)
def report_detail(request: HttpRequest, report_id: Id) -> Any:
    report = _report(request, report_id)
    audit.record(
        action="read",
        actor=request.user,
        organisation=getattr(request, "organisation", None),
        object_type="monitor.visit_report",
        object_ref=str(report.pk),
        request=request,
    )
    return {
        **_ref(report),
        "visit": report.visit_id,
        "findings": report.findings,
        "snapshot": report.snapshot,
        "proposed": report.proposed,
        "corrects": report.corrects_id,
        "sha256": report.sha256,
        "comments": [
            {
                "organisation": c.organisation.name,
                "section": c.section,
                "text": c.text,
                "at": c.at.isoformat(),
            }
            for c in report.comments.select_related("organisation")
        ],
    }


@router.post(
    "/reports/{report_id}/comments",
    response=with_errors({201: CommentOut}),
    summary="Comment on a report that is with the State for comments",
)
@api_requires(Perm.MONITOR_VIEW)
def comment_add(request: HttpRequest, report_id: Id, payload: CommentIn) -> Any:
    report = _report(request, report_id)
    organisation = getattr(request, "organisation", None)
    try:
        comment = visit_services.comment_add(
            actor=request.user,  # type: ignore[arg-type]
            organisation=organisation,  # type: ignore[arg-type]
            report=report,
            text=payload.text,
            section=payload.section,
        )
    except visit_services.NotAllowed as exc:
        audit.record_refusal(request, object_type="monitor.report_comment")
        raise HttpError(403, str(exc)) from exc
    return Status(
        201,
        {
            "organisation": comment.organisation.name,
            "section": comment.section,
            "text": comment.text,
            "at": comment.at.isoformat(),
        },
    )
