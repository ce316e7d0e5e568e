"""Supply-chain API (``/api/v1/supply/…``): sites (Open Supply Hub columns), screened order
lines with their reasons, screening lines without keeping them, file imports (every row or
none; ``dry_run`` checks only), contracts with their measures (a)–(g).

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.supply import export, orders, selectors, services, tables, vocabulary
from palermo.supply.models import Contract

router = Router(tags=["supply"])
MAX_ID = 2**63 - 1
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_SCREEN_LINES = 10_000


class SiteOut(Schema):
    id: int
    os_id: str
    name: str
    address: str
    country_code: str
    workers_min: int | None
    workers_max: int | None
    sector: str
    supplier_company_id: str
    match_status: str


class ReasonOut(Schema):
    code: str
    points: int
    message: str
    source: str


class EditionOut(Schema):
    id: int
    format: str = Field(description="the kind of list: us_dol, exclusions, …")
    source: str
    edition: str
    retrieved_on: dt.date
    sha256: str = Field(description="SHA-256 of the file imported")


class SupplyLineOut(Schema):
    ref: str
    supplier_name: str
    origin_country: str
    good: str
    value: Decimal
    level: str
    score: int
    exposure: Decimal
    rule: str
    editions: list[EditionOut] = Field(
        description="the risk-list editions it was screened against, one per kind of list"
    )
    reasons: list[ReasonOut]


class LineIn(Schema):
    order_ref: str = Field(min_length=1, max_length=60)
    line: str = Field("", max_length=20)
    supplier_name: str = Field(min_length=1, max_length=200)
    supplier_company_id: str = Field("", max_length=40)
    origin_country: str = Field(min_length=2, max_length=2)
    good: str = Field("", max_length=200)
    product_code: str = Field("", max_length=24)
    value: str = Field(max_length=20)
    share: str = Field("", max_length=10)
    characteristics: list[str] = Field(default_factory=list, max_length=6)


class SupplyScreenIn(Schema):
    lines: list[LineIn] = Field(max_length=MAX_SCREEN_LINES)


class ScreenOut(Schema):
    editions: list[EditionOut]
    lines: list[SupplyLineOut]


class SupplyImportOut(Schema):
    ok: bool
    rows: int
    imported: int
    levels: dict[str, int] = {}


class SupplyMeasureOut(Schema):
    code: str
    label: str
    required: bool
    outcome: str
    note: str
    evidence_sha256: str
    recorded_at: dt.datetime | None


class ContractOut(Schema):
    id: int
    reference: str
    title: str
    risk_level: str
    stage: str
    complete: bool
    measures: list[SupplyMeasureOut]


class ExportFilter(Schema):
    level: str = Field("", max_length=10, description="low, medium or high; empty for all")


class LevelFilter(Schema):
    level: str = Field("", max_length=10)
    limit: int = Field(500, ge=1, le=5000)


def _reasons(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "code": r["code"],
            "points": r["points"],
            "message": r["template"] % r["params"] if r["params"] else r["template"],
            "source": r["source"],
        }
        for r in result.get("reasons", [])
    ]


def _editions(editions: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.pk,
            "format": e.format,
            "source": e.source,
            "edition": e.edition,
            "retrieved_on": e.retrieved_on,
            "sha256": e.batch.sha256,
        }
        for e in editions
    ]


def _refused(errors: list[tables.RowError]) -> Any:
    rows = [{"row": e.row, "field": e.field, "message": e.message} for e in errors]
    return Status(
        422,
        {
            "detail": "Nothing was imported: correct every row listed and send the file again.",
            "errors": [
                {"field": f"row {r['row']}: {r['field']}", "message": r["message"]} for r in rows
            ],
        },
    )


@router.get("/sites", response=with_errors(list[SiteOut]), summary="Sites of your organisation")
@api_requires(Perm.SUPPLY_VIEW)
def site_list(request: AuthedRequest) -> Any:
    return [
        {
            "id": s.pk,
            "os_id": s.os_id,
            "name": s.name,
            "address": s.address,
            "country_code": s.country,
            "workers_min": s.workers_min,
            "workers_max": s.workers_max,
            "sector": s.sector,
            "supplier_company_id": s.supplier.company_id if s.supplier else "",
            "match_status": s.match_status,
        }
        for s in selectors.sites(request.organisation)
    ]


@router.get(
    "/orders",
    response=with_errors(list[SupplyLineOut]),
    summary="Screened order lines, most severe first",
)
@api_requires(Perm.SUPPLY_VIEW)
def order_list(request: AuthedRequest, filters: Query[LevelFilter]) -> Any:
    lines = list(selectors.order_lines(request.organisation, level=filters.level)[: filters.limit])
    used = {
        batch: _editions(editions)
        for batch, editions in selectors.batch_editions({x.batch_id for x in lines}).items()
    }
    return [
        {
            "ref": line.ref,
            "supplier_name": line.supplier_name,
            "origin_country": line.origin_country,
            "good": line.good,
            "value": line.value,
            "level": line.level,
            "score": line.score,
            "exposure": line.exposure,
            "rule": line.result.get("rule", ""),
            "editions": used.get(line.batch_id, []),
            "reasons": _reasons(line.result),
        }
        for line in lines
    ]


@router.get(
    "/orders/export.xlsx",
    response=with_errors({200: None}),
    summary="Screened order lines and the supplier risk register as XLSX (text cells never formulas)",
)
@api_requires(Perm.SUPPLY_VIEW)
def order_export(request: AuthedRequest, filters: Query[ExportFilter]) -> Any:
    data = services.screening_export(
        actor=request.user,
        organisation=request.organisation,
        level=filters.level,
        request=request,
    )
    response = HttpResponse(data, content_type=export.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="supply-screening.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/screen",
    response=with_errors(ScreenOut),
    summary="Screen order lines against the current risk lists; nothing is kept",
)
@api_requires(Perm.SUPPLY_VIEW)
def screen(request: AuthedRequest, payload: SupplyScreenIn) -> Any:
    errors: list[tables.RowError] = []
    lines = []
    for i, item in enumerate(payload.lines, start=1):
        values = {k: v for k, v in item.dict().items() if k != "characteristics"}
        values["characteristics"] = ";".join(item.characteristics)
        line = orders.check_row(values, i, errors)
        if line is not None:
            lines.append(line)
    if errors:
        return Status(
            422,
            {
                "detail": "Correct the lines listed.",
                "errors": [
                    {"field": f"lines[{e.row - 1}].{e.field}", "message": e.message} for e in errors
                ],
            },
        )
    org = request.organisation
    lists = selectors.risk_lists()  # the current edition of every kind of list
    editions = _editions(lists.editions)
    suppliers = {s.company_id: s.evidence() for s in selectors.suppliers(org)}
    results = services.screen_lines(
        lines,
        index=lists.index,
        crosswalk=services.effective_crosswalk(org),
        evidence=suppliers,
        excluded=lists.excluded,
    )
    return {
        "editions": editions,
        "lines": [
            {
                "ref": line.ref,
                "supplier_name": line.supplier_name,
                "origin_country": line.origin_country,
                "good": line.good,
                "value": line.value,
                "level": res.level,
                "score": res.score,
                "exposure": res.exposure,
                "rule": res.rule,
                "editions": editions,
                "reasons": _reasons(res.to_dict()),
            }
            for line, res in results
        ],
    }


def _file(file: UploadedFile) -> tuple[bytes, str]:
    if file.size and file.size > MAX_IMPORT_BYTES:
        raise HttpError(422, "The file is larger than 5 MB: split it and import each part.")
    return file.read(), file.name or "upload.csv"


@router.post(
    "/orders/import",
    response=with_errors({200: SupplyImportOut}),
    summary="Screen a CSV/XLSX of order lines, or an OCDS export (.json, .jsonl), and keep them: every line or none",
)
@api_requires(Perm.SUPPLY_MANAGE)
def order_import(
    request: AuthedRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    data, name = _file(file)
    result = services.orders_import(
        actor=request.user,
        organisation=request.organisation,
        data=data,
        name=name,
        commit=not dry_run,
    )
    if not result.preview.ok:
        return _refused(result.preview.errors)
    levels = {level: 0 for level in vocabulary.LEVELS}
    for _line, res in result.results:
        levels[res.level] += 1
    return {
        "ok": True,
        "rows": result.preview.total_rows,
        "imported": 0 if dry_run else len(result.preview.rows),
        "levels": levels,
    }


@router.post(
    "/sites/import",
    response=with_errors({200: SupplyImportOut}),
    summary="Import a CSV/XLSX of sites in Open Supply Hub's columns: every row or none",
)
@api_requires(Perm.SUPPLY_MANAGE)
def site_import(
    request: AuthedRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    data, name = _file(file)
    result = services.sites_import(
        actor=request.user,
        organisation=request.organisation,
        data=data,
        name=name,
        commit=not dry_run,
    )
    if not result.preview.ok:
        return _refused(result.preview.errors)
    return {
        "ok": True,
        "rows": result.preview.total_rows,
        "imported": 0 if dry_run else len(result.preview.rows),
    }


@router.get(
    "/contracts/{contract_id}",
    response=with_errors(ContractOut),
    summary="A contract and its measures (a)–(g)",
)
@api_requires(Perm.SUPPLY_VIEW)
def contract_get(
    request: AuthedRequest, contract_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> Any:
    contract = get_object_or_404(Contract, pk=contract_id, organisation=request.organisation)
    progress = selectors.progress(contract)
    return {
        "id": contract.pk,
        "reference": contract.reference,
        "title": contract.title,
        "risk_level": contract.risk_level,
        "stage": contract.stage,
        "complete": progress.complete,
        "measures": [
            {
                "code": m.code,
                "label": m.label,
                "required": m.required,
                "outcome": m.record.outcome if m.record else "",
                "note": m.record.note if m.record else "",
                "evidence_sha256": m.record.evidence_sha256 if m.record else "",
                "recorded_at": m.record.recorded_at if m.record else None,
            }
            for m in selectors.measure_rows(contract)
        ],
    }
