"""Monitoring API: action plans and measures (progress notes), the recommendations register
(import all-or-nothing, status, links to measures), protected indicators with their
drill-down, and the annual report.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import AfterValidator, BeforeValidator, StrictInt

from palermo.core.apiutil import ErrorOut, with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.monitor import report, selectors, services
from palermo.monitor.models import Measure

router = Router(tags=["monitor"])
MAX_ID = 2**63 - 1
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # Lax parsing would read 0 as 1970-01-01; a date in a body is an ISO 8601 string.
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError("Use an ISO 8601 date, YYYY-MM-DD.")


Day = Annotated[dt.date, BeforeValidator(_iso_date)]


# --- schemas ----------------------------------------------------------------------------------------


class MonitorOrgRef(Schema):
    id: int
    name: str


class MonitorMeasureOut(Schema):
    id: int
    code: str
    title: str
    status: str
    deadline: dt.date
    budget_line: str
    responsible: list[MonitorOrgRef]


class ObjectiveOut(Schema):
    code: str
    title: str
    area: str
    measures: list[MonitorMeasureOut]


class PlanOut(Schema):
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    objectives: list[ObjectiveOut]


class MonitorNoteIn(Schema):
    model_config = {"extra": "forbid"}

    noted_on: Day
    status: Literal["planned", "in_progress", "completed", "delayed", "dropped"]
    text: Text(5000, 1)


class NoteOut(Schema):
    id: int
    noted_on: dt.date
    status: str


class RecommendationOut(Schema):
    id: int
    source_body: str
    report: str
    paragraph: str
    issued_on: dt.date
    area: str
    addressee: str
    text: str
    due_on: dt.date | None
    status: str
    reason: str
    overdue: bool
    response: str | None
    measures: list[int]
    version: int


class MonitorStatusIn(Schema):
    model_config = {"extra": "forbid"}

    status: Literal["not_started", "in_progress", "implemented", "not_accepted"]
    reason: Text(5000) = ""
    note: Text(5000) = ""
    version: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None


class LinkIn(Schema):
    model_config = {"extra": "forbid"}

    measure: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class MonitorImportOut(Schema):
    ok: bool
    rows: int
    imported: int
    errors: list[RowErrorOut]


class ImportRefusedOut(ErrorOut):
    rows: list[RowErrorOut] = []


class FigureOut(Schema):
    label: str
    value: int | None
    denominator: int | None
    share: float | None


class IndicatorOut(Schema):
    id: str
    title: str
    definition: str
    source: str
    citation: str
    is_share: bool
    figures: list[FigureOut]


class CasesOut(Schema):
    indicator: str
    cases: list[str]


class RegisterFilterIn(Schema):
    source_body: Literal["", "osce", "greta", "un_treaty_body", "us_tip", "national", "other"] = ""
    area: Text(40) = ""
    status: Literal["", "not_started", "in_progress", "implemented", "not_accepted"] = ""
    overdue: bool = False


def _rec_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "source_body": r.source_body,
        "report": r.report,
        "paragraph": r.paragraph,
        "issued_on": r.issued_on,
        "area": r.area,
        "addressee": r.addressee,
        "text": r.text,
        "due_on": r.due_on,
        "status": r.status,
        "reason": r.reason,
        "overdue": selectors.is_overdue(r),
        "response": r.response.key if r.response else None,
        "measures": [m.pk for m in r.measures.all()],
        "version": r.version,
    }


# --- operations ---------------------------------------------------------------------------------------


@router.get(
    "/plans",
    response=with_errors(list[PlanOut]),
    summary="National action plans with objectives and measures",
)
@api_requires(Perm.MONITOR_VIEW)
def plan_list(request: AuthedRequest) -> Any:
    out = []
    for p in selectors.plans(request.user, request.organisation):
        out.append(
            {
                "id": p.pk,
                "title": p.title,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "objectives": [
                    {
                        "code": o.code,
                        "title": o.title,
                        "area": o.area,
                        "measures": [
                            {
                                "id": m.pk,
                                "code": m.code,
                                "title": m.title,
                                "status": m.status,
                                "deadline": m.deadline,
                                "budget_line": m.budget_line,
                                "responsible": [
                                    {"id": x.pk, "name": x.name} for x in m.responsible.all()
                                ],
                            }
                            for m in o.measures.all()
                        ],
                    }
                    for o in p.objectives.all()
                ],
            }
        )
    return out


class PlanIn(Schema):
    model_config = {"extra": "forbid"}

    title: Text(200, 1)
    starts_on: Day
    ends_on: Day


class ObjectiveIn(Schema):
    model_config = {"extra": "forbid"}

    code: Text(20, 1)
    title: Text(300, 1)
    area: Literal[
        "",
        "labour_exploitation",
        "child_trafficking",
        "organ_removal",
        "victim_identification",
        "victim_support",
        "criminal_justice_support",
        "traffickers_assets",
        "financial_investigations",
    ] = ""


class MeasureIn(Schema):
    model_config = {"extra": "forbid"}

    code: Text(20, 1)
    title: Text(300, 1)
    responsible: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=20
    )
    deadline: Day
    budget_line: Text(120) = ""
    budget_amount: (
        Annotated[str, Field(max_length=20, pattern=r"^[0-9]+(\.[0-9]{1,2})?$")] | None
    ) = None
    budget_currency: Text(3) = ""


class PlanIndicatorIn(Schema):
    model_config = {"extra": "forbid"}

    title: Text(300, 1)
    baseline: Text(60, 1)
    target: Text(60, 1)
    computed: Text(60) = ""


class MonitorEvidenceIn(Schema):
    kind: Literal["file", "case", "indicator", "statistics"]
    title: Text(200, 1)
    target: Text(80) = ""


class MonitorCreatedOut(Schema):
    id: int


class MonitorEvidenceOut(Schema):
    id: int
    kind: str
    title: str
    sha256: str
    size: int
    target: str


@router.post(
    "/plans",
    response=with_errors({201: MonitorCreatedOut}),
    summary="Create a national action plan",
)
@api_requires(Perm.MONITOR_MANAGE)
def plan_create(request: AuthedRequest, payload: PlanIn) -> Any:
    plan = services.plan_create(
        actor=request.user, organisation=request.organisation, **payload.dict()
    )
    return Status(201, {"id": plan.pk})


@router.post(
    "/plans/{plan_id}/objectives",
    response=with_errors({201: MonitorCreatedOut}),
    summary="Add an objective",
)
@api_requires(Perm.MONITOR_MANAGE)
def objective_add(
    request: AuthedRequest, plan_id: Annotated[int, Field(ge=1, le=MAX_ID)], payload: ObjectiveIn
) -> Any:
    plan = selectors.access_plan(request.user, request.organisation, plan_id)
    obj = services.objective_add(
        actor=request.user,
        organisation=request.organisation,
        plan=plan,
        **payload.dict(),
    )
    return Status(201, {"id": obj.pk})


@router.post(
    "/objectives/{objective_id}/measures",
    response=with_errors({201: MonitorCreatedOut}),
    summary="Add a measure with its responsible organisations, deadline and budget line",
)
@api_requires(Perm.MONITOR_MANAGE)
def measure_add(
    request: AuthedRequest, objective_id: Annotated[int, Field(ge=1, le=MAX_ID)], payload: MeasureIn
) -> Any:
    from palermo.core.errors import FieldError, InvalidInput

    objective = selectors.access_objective(request.user, request.organisation, objective_id)
    orgs = selectors.organisations(payload.responsible)
    if len(orgs) != len(set(payload.responsible)):
        raise InvalidInput(
            FieldError("responsible", _("No active organisation has one of these ids."))
        )
    data = payload.dict()
    data["responsible"] = orgs
    m = services.measure_add(
        actor=request.user, organisation=request.organisation, objective=objective, **data
    )
    return Status(201, {"id": m.pk})


@router.post(
    "/measures/{measure_id}/indicators",
    response=with_errors({201: MonitorCreatedOut}),
    summary="Add an indicator with baseline and target to a measure",
)
@api_requires(Perm.MONITOR_MANAGE)
def plan_indicator_add(
    request: AuthedRequest,
    measure_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    payload: PlanIndicatorIn,
) -> Any:
    measure = selectors.access_measure(request.user, request.organisation, measure_id)
    pi = services.plan_indicator_add(
        actor=request.user,
        organisation=request.organisation,
        measure=measure,
        **payload.dict(),
    )
    return Status(201, {"id": pi.pk})


@router.post(
    "/measures/{measure_id}/evidence",
    response=with_errors({201: MonitorEvidenceOut}),
    summary="Add evidence: a file (kind=file) or a link (case, indicator, statistics: target)",
)
@api_requires(Perm.MONITOR_PROGRESS)
def evidence_add(
    request: AuthedRequest,
    measure_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    payload: Form[MonitorEvidenceIn],
    file: UploadedFile | None = File(None),  # noqa: B008 - ninja marks an optional file so
) -> Any:
    kind, title, target = payload.kind, payload.title, payload.target
    measure = selectors.access_measure(request.user, request.organisation, measure_id)
    if file is not None and file.size and file.size > services.MAX_EVIDENCE_BYTES:
        raise HttpError(422, "The file is larger than 10 MB.")
    ev = services.evidence_add(
        actor=request.user,
        organisation=request.organisation,
        measure=measure,
        kind=kind,
        title=title,
        data=file.read() if file is not None else None,
        file_name=(file.name or "") if file is not None else "",
        content_type=(file.content_type or "") if file is not None else "",
        target=target,
    )
    return Status(
        201,
        {
            "id": ev.pk,
            "kind": ev.kind,
            "title": ev.title,
            "sha256": ev.sha256,
            "size": ev.size,
            "target": ev.target,
        },
    )


@router.post(
    "/measures/{measure_id}/notes",
    response=with_errors({201: NoteOut}),
    summary="Record progress on a measure",
)
@api_requires(Perm.MONITOR_PROGRESS)
def note_add(
    request: AuthedRequest,
    measure_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    payload: MonitorNoteIn,
) -> Any:
    measure = selectors.access_measure(request.user, request.organisation, measure_id)
    note = services.progress_note_add(
        actor=request.user,
        organisation=request.organisation,
        measure=measure,
        noted_on=payload.noted_on,
        status=payload.status,
        text=payload.text,
    )
    return Status(201, {"id": note.pk, "noted_on": note.noted_on, "status": note.status})


@router.get(
    "/recommendations",
    response=with_errors(list[RecommendationOut]),
    summary="The recommendations register",
)
@api_requires(Perm.MONITOR_VIEW)
def recommendation_list(request: AuthedRequest, filters: Query[RegisterFilterIn]) -> Any:
    f = selectors.RegisterFilter(**filters.dict())
    return [_rec_out(r) for r in selectors.recommendations(request.user, request.organisation, f)]


# Before /recommendations/{rec_id}: the first matching path wins.
@router.post(
    "/recommendations/import",
    response=with_errors({200: MonitorImportOut, 422: ImportRefusedOut}),
    summary="Import a CSV/XLSX of recommendations: every row or none (dry_run: check only)",
)
@api_requires(Perm.MONITOR_MANAGE)
def recommendation_import(
    request: AuthedRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    if file.size and file.size > MAX_IMPORT_BYTES:
        raise HttpError(422, "The file is larger than 2 MB: split it and import each part.")
    preview = services.recommendations_import(
        actor=request.user,
        organisation=request.organisation,
        data=file.read(),
        name=file.name or "upload.csv",
        commit=not dry_run,
    )
    rows = [{"row": e.row, "field": e.field, "message": e.message} for e in preview.errors]
    if not preview.ok:
        return Status(
            422,
            {
                "detail": "Nothing was imported: correct every row listed and send the file again.",
                "errors": [
                    {"field": f"row {r['row']}: {r['field']}", "message": r["message"]}
                    for r in rows
                ],
                "rows": rows,
            },
        )
    return {
        "ok": True,
        "rows": preview.total_rows,
        "imported": 0 if dry_run else len(preview.rows),
        "errors": [],
    }


@router.get(
    "/recommendations/{rec_id}",
    response=with_errors(RecommendationOut),
    summary="One recommendation",
)
@api_requires(Perm.MONITOR_VIEW)
def recommendation_get(
    request: AuthedRequest, rec_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> Any:
    return _rec_out(selectors.access_recommendation(request.user, request.organisation, rec_id))


@router.post(
    "/recommendations/{rec_id}/status",
    response=with_errors(RecommendationOut),
    summary="Change the status (a reason is required for 'not accepted')",
)
@api_requires(Perm.MONITOR_MANAGE)
def recommendation_status(
    request: AuthedRequest, rec_id: Annotated[int, Field(ge=1, le=MAX_ID)], payload: MonitorStatusIn
) -> Any:
    rec = selectors.access_recommendation(request.user, request.organisation, rec_id)
    services.recommendation_set_status(
        actor=request.user,
        organisation=request.organisation,
        recommendation=rec,
        status=payload.status,
        reason=payload.reason,
        note=payload.note,
        expected_version=payload.version,
    )
    return _rec_out(selectors.access_recommendation(request.user, request.organisation, rec_id))


@router.post(
    "/recommendations/{rec_id}/measures",
    response=with_errors(RecommendationOut),
    summary="Link the recommendation to a measure that answers it",
)
@api_requires(Perm.MONITOR_MANAGE)
def recommendation_link(
    request: AuthedRequest, rec_id: Annotated[int, Field(ge=1, le=MAX_ID)], payload: LinkIn
) -> Any:
    rec = selectors.access_recommendation(request.user, request.organisation, rec_id)
    measure = selectors.access_measure(request.user, request.organisation, payload.measure)
    services.recommendation_link_measure(
        actor=request.user,
        organisation=request.organisation,
        recommendation=rec,
        measure=Measure.objects.get(pk=measure.pk),
    )
    return _rec_out(selectors.access_recommendation(request.user, request.organisation, rec_id))


@router.get(
    "/indicators",
    response=with_errors(list[IndicatorOut]),
    summary="Indicators, small-cell protected",
)
@api_requires(Perm.MONITOR_VIEW)
def indicator_list(
    request: AuthedRequest, year: Annotated[int | None, Field(ge=1990, le=2100)] = None
) -> Any:
    return [
        {
            "id": r.definition.id,
            "title": r.definition.title,
            "definition": r.definition.definition,
            "source": r.definition.source,
            "citation": r.definition.citation,
            "is_share": r.definition.is_share,
            "figures": [
                {"label": f.label, "value": f.value, "denominator": f.denominator, "share": f.share}
                for f in r.figures
            ],
        }
        for r in selectors.indicator_results(request.user, request.organisation, year=year)
    ]


@router.get(
    "/indicators/{indicator_id}/cases",
    response=with_errors(CasesOut),
    summary="The counted cases the caller may open (drill-down)",
)
@api_requires(Perm.VIEW_CASES)
def indicator_cases(
    request: AuthedRequest,
    indicator_id: Annotated[str, Field(max_length=60, pattern=r"^[a-z0-9_]+$")],
    year: Annotated[int | None, Field(ge=1990, le=2100)] = None,
) -> Any:
    refs = selectors.indicator_cases(
        request.user, request.organisation, indicator_id, year=year, request=request
    )
    return {"indicator": indicator_id, "cases": refs}


@router.get(
    "/report",
    response=with_errors({200: None}),
    summary="The annual report skeleton (HTML, PDF or DOCX)",
)
@api_requires(Perm.MONITOR_REPORT)
def annual_report(
    request: AuthedRequest,
    fmt: Literal["html", "pdf", "docx"] = "pdf",
    year: Annotated[int | None, Field(ge=1990, le=2100)] = None,
) -> HttpResponse:
    body = report.annual_report(
        actor=request.user,
        organisation=request.organisation,
        year=year,
        fmt=fmt,
        request=request,
    )
    response = HttpResponse(body, content_type=report.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="annual-report-{year or "all"}.{fmt}"'
    return response
