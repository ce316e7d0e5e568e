"""Statistics API: the protected Rapporteur tables, the CTDC release, HTCDS export and imports.

Same services and permissions as the pages. Imports take the file in a
multipart body; ``/imports/preview`` validates only, ``/imports`` imports every
row or none; both are background jobs (202 with the job, followed at ``/api/v1/jobs/{id}``). (No `from __future__ import annotations`: django-ninja reads the
annotations at runtime.)
"""

import io
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import StrictBool

from palermo.cases import vocabulary
from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.core.upload_limits import check_upload
from palermo.jobs import services as job_services
from palermo.jobs.api import JobOut
from palermo.jobs.display import job_out
from palermo.stats import jobs as stats_jobs
from palermo.stats import services
from palermo.stats.ctdc import write_ctdc_csv

router = Router(tags=["statistics"])


class StatsCellOut(Schema):
    table: str
    category: str
    year: str
    value: int | None = Field(description="null when suppressed")
    status: str


class StatsTablesQuery(Schema):
    form: str = Field(
        "", max_length=40, description="only victims of this HTCDS vic_TypeOfExploitation value"
    )


@router.get(
    "/tables",
    response=with_errors(list[StatsCellOut]),
    summary="Rapporteur tables (small cells suppressed)",
)
@api_requires(Perm.VIEW_STATISTICS)
def tables(request: AuthedRequest, filters: Query[StatsTablesQuery]) -> list[dict[str, Any]]:
    from palermo.core import audit

    if filters.form and filters.form not in vocabulary.values("vic_TypeOfExploitation"):
        raise InvalidInput([FieldError("form", "Not an HTCDS vic_TypeOfExploitation value.")])
    stats = services.rapporteur_statistics(form=filters.form)
    audit.record_request(
        request, action="read", object_type="rapporteur_statistics", details={"form": filters.form}
    )
    return [
        {**r, "category": str(r["category"]), "year": str(r["year"])}
        for r in services.statistics_rows(stats)
    ]


class StatsOriginRowOut(Schema):
    year: int | None = Field(description="null for the total over all years")
    identified: int | None = Field(
        description="cases identified through a supply-chain inspection; null when suppressed"
    )
    cases: int | None = Field(description="all cases registered; null when suppressed")


@router.get(
    "/supply-inspections",
    response=with_errors(list[StatsOriginRowOut]),
    summary="Cases identified through a supply-chain inspection, by year (small cells suppressed)",
)
@api_requires(Perm.VIEW_STATISTICS)
def supply_inspections(request: AuthedRequest) -> list[dict[str, Any]]:
    counts = services.supply_inspection_cases()
    audit.record_request(
        request,
        action="read",
        object_type="rapporteur_statistics",
        details={"table": "supply_inspection_cases"},
    )
    return [{"year": r.year, "identified": r.identified, "cases": r.cases} for r in counts.rows]


class StatsReleaseIn(Schema):
    k: int = Field(ge=2, le=1000, description="smallest group released; CTDC uses 11")


class StatsReleaseOut(Schema):
    k: int
    records_in: int
    records_kept: int
    share_kept: float
    ncp: float
    ncp_kept: float
    baseline_records_kept: int
    quasi_identifiers: list[str]


def _release(request: AuthedRequest, k: int) -> Any:
    # An ``InvalidInput`` answers 422 with its messages by field (the API's one error path).
    return services.ctdc_release(
        actor=request.user,
        organisation=request.organisation,
        k=k,
        request=request,
    )


@router.post(
    "/ctdc/report",
    response=with_errors(StatsReleaseOut),
    summary="Compute a CTDC release and report it",
)
@api_requires(Perm.EXPORT_DATA)
def ctdc_report(request: AuthedRequest, payload: StatsReleaseIn) -> dict[str, Any]:
    release = _release(request, payload.k)
    m = release.metrics
    return {
        "k": release.k,
        "records_in": m.records_in,
        "records_kept": m.records_kept,
        "share_kept": m.share_kept,
        "ncp": m.ncp,
        "ncp_kept": m.ncp_kept,
        "baseline_records_kept": release.baseline.records_kept,
        "quasi_identifiers": list(release.quasi_identifiers),
    }


@router.post(
    "/ctdc/release.csv", response=with_errors({200: None}), summary="Download a CTDC release (CSV)"
)
@api_requires(Perm.EXPORT_DATA)
def ctdc_download(request: AuthedRequest, payload: StatsReleaseIn) -> HttpResponse:
    release = _release(request, payload.k)
    buf = io.BytesIO()
    write_ctdc_csv(release, buf)  # type: ignore[arg-type]
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="palermo-ctdc-k{release.k}.csv"'
    return response


class StatsHtcdsExportIn(Schema):
    format: Literal["csv", "xlsx"]
    # Strict: only JSON true asks for the exact file (never 1, "yes" or "true" coerced).
    exact: StrictBool = Field(
        False,
        description=(
            "CSV only. By default a cell a spreadsheet would run as a formula (=, +, -, @) is written with a "
            "leading apostrophe, which Palermo's import removes again. true writes every value as it is, for "
            "software: never open that file in a spreadsheet."
        ),
    )


@router.post(
    "/htcds/export",
    response=with_errors({200: None}),
    summary="The cases I may open as HTCDS 2.0 (personal data; audited)",
)
@api_requires(Perm.EXPORT_DATA)
def htcds_export(request: AuthedRequest, payload: StatsHtcdsExportIn) -> HttpResponse:
    out: Any = io.BytesIO() if payload.format == "xlsx" else io.StringIO()
    try:
        services.htcds_export(
            actor=request.user,
            organisation=request.organisation,
            fmt=payload.format,
            out=out,
            request=request,
            exact=payload.exact,
        )
    except services.NotAllowed as exc:
        audit.record_refusal(request, perm=Perm.VIEW_CASES)
        raise HttpError(
            403, "HTCDS exports hold personal data: you need to see cases to export them."
        ) from exc
    ctype = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if payload.format == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(out.getvalue(), content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="palermo-htcds.{payload.format}"'
    response["Cache-Control"] = "no-store"
    return response


def _upload(file: UploadedFile, kind: str) -> bytes:
    """The uploaded bytes, after the size and zip checks of the import limits (422 on ``file``)."""
    check_upload(file, services.upload_limits(kind))
    return file.read()


@router.post(
    "/imports/preview",
    response=with_errors({202: JobOut}),
    summary="Check an import, as a background job; nothing is written",
)
@api_requires(Perm.IMPORT_DATA)
def import_preview(
    request: AuthedRequest, kind: Form[Literal["htcds", "kobo"]], file: File[UploadedFile]
) -> Any:
    """Answers 202 with the job (the check rehearses the whole import, as long as the import); when
    ``done``, ``summary`` holds ``ok``, ``rows_read``, ``valid``, ``rejected``, ``creates``, ``updates``
    and ``report.errors`` every rejected row."""
    path = job_services.save_upload([_upload(file, kind)])
    try:
        job = job_services.job_start(
            actor=request.user,
            organisation=request.organisation,
            kind=stats_jobs.PREVIEW,
            params={"kind": kind, "name": file.name or "upload.csv"},
            inputs={"upload": path},
        )
    finally:
        path.unlink(missing_ok=True)  # moved to the job unless starting it failed
    return Status(202, job_out(job))


@router.post(
    "/imports",
    response=with_errors({202: JobOut}),
    summary="Import every row of the file or none, as a background job",
)
@api_requires(Perm.IMPORT_DATA)
def import_commit(
    request: AuthedRequest, kind: Form[Literal["htcds", "kobo"]], file: File[UploadedFile]
) -> Any:
    """Answers 202 with the job at once; follow ``url`` until ``status`` is ``done`` (``summary``:
    cases created and updated) or ``failed`` (``report.errors``: every refused row; nothing imported)."""
    path = job_services.save_upload([_upload(file, kind)])  # the same checks as the preview
    try:
        job = job_services.job_start(
            actor=request.user,
            organisation=request.organisation,
            kind=stats_jobs.IMPORT,
            params={"kind": kind, "name": file.name or "upload.csv"},
            inputs={"upload": path},
        )
    finally:
        path.unlink(missing_ok=True)  # moved to the job unless starting it failed
    return Status(202, job_out(job))
