"""Statistics pages: the Rapporteur dashboard, standard exports, the CTDC release, imports.

Every count on these pages comes from the protected tables (``services.protected_statistics``):
a suppressed cell is shown as suppressed, never as its number. Paths and query strings
carry only filters (a year, an HTCDS form code) and table names; an upload waiting for
confirmation is held in a server-side file named only in the session.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.cases import vocabulary
from palermo.core import audit
from palermo.core.middleware import refused
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.core.spreadsheet import safe_row
from palermo.jobs import selectors as selectors_jobs
from palermo.jobs import services as job_services
from palermo.stats import forms, selectors, services, uploads
from palermo.stats import jobs as stats_jobs
from palermo.stats.small_cells import DIMENSIONS

SESSION_KEY = "stats_import"
ALL_YEARS = "All years"
TABLES = ("victims", *DIMENSIONS, services.FLOW)


# --- building the tables shown ---------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[forms.FilterForm, int | None, str]:
    form = forms.FilterForm(request.GET or None, years=selectors.registration_years())
    if request.GET and form.is_valid():
        return form, form.cleaned_data.get("year"), form.cleaned_data.get("form") or ""
    return form, None, ""


def _category_label(dim: str, value: str) -> str:
    """A category in words, in the reader's language (issue 15, item 3)."""
    from palermo.web.display import country_name, data_text

    if dim in ("citizenship", "country_of_exploitation") and len(value) == 2:
        return country_name(value)
    if dim == "form_of_exploitation":
        return data_text(vocabulary.label("vic_TypeOfExploitation", value))
    if value.startswith("Other – "):  # a group of small countries (small_cells.py)
        return _("Other – %(region)s") % {"region": data_text(value.removeprefix("Other – "))}
    return data_text(value)


def _title(slug: str) -> str:
    from palermo.web.display import data_text

    return data_text(services.TABLE_TITLES[slug])


def _cell(cells: dict[Any, Any], key: tuple[Any, ...]) -> dict[str, Any]:
    c = cells[key]
    return {"value": c.value, "suppressed": c.value is None}


def build_tables(stats: services.Statistics, year: int | None) -> list[dict[str, Any]]:
    """Tables for the page: rows of cells, each published (value) or suppressed (value None)."""
    if stats.tables is None:
        return []
    cells = stats.tables.protection.cells
    years = [year] if year is not None and year in stats.tables.years else list(stats.tables.years)
    columns = [str(y) for y in years] + ([] if year is not None else [str(_(ALL_YEARS))])
    chart_column = len(columns) - 1
    out = []

    def row(label: str, keys: list[tuple[Any, ...]]) -> dict[str, Any]:
        return {"label": label, "cells": [_cell(cells, k) for k in keys]}

    total_keys = [("year", y) for y in years] + ([] if year is not None else [("total",)])
    out.append(
        {
            "slug": "victims",
            "title": _title("victims"),
            "columns": columns,
            "rows": [row(_("All victims"), total_keys)],
            "chart_column": chart_column,
        }
    )
    for dim, values in stats.tables.categories.items():
        rows = [
            row(
                _category_label(dim, v),
                [(dim, v, y) for y in years] + ([] if year is not None else [(dim, v)]),
            )
            for v in values
        ]
        if dim != "form_of_exploitation":
            rows.append({**row(_("Total"), total_keys), "total": True})
        out.append(
            {
                "slug": dim,
                "title": _title(dim),
                "columns": columns,
                "rows": rows,
                "chart_column": chart_column,
            }
        )
    coes = stats.tables.categories["country_of_exploitation"]
    cits = stats.tables.categories["citizenship"]
    flow_rows = [
        row(_category_label("citizenship", c), [(services.FLOW, c, d) for d in coes]) for c in cits
    ]
    out.append(
        {
            "slug": services.FLOW,
            "title": _title(services.FLOW),
            "columns": [_category_label("country_of_exploitation", d) for d in coes],
            "rows": flow_rows,
            "chart_column": None,
            "flow": True,
        }
    )
    for t in out:
        if t["chart_column"] is not None:
            t["chart"] = chart_svg(
                t["title"],
                [
                    (r["label"], r["cells"][t["chart_column"]]["value"])
                    for r in t["rows"]
                    if not r.get("total")
                ],
                caption=t["columns"][t["chart_column"]],
            )
    return out


def _wrap(text: str, limit: int) -> list[str]:
    """``text`` in lines of at most ``limit`` characters (at spaces; at most two lines)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
        if len(lines[1]) > limit:
            lines[1] = lines[1][: limit - 1] + "…"
    return lines or [""]


def chart_svg(title: str, bars: list[tuple[str, int | None]], *, caption: str = "") -> str:
    """A horizontal bar chart as standalone SVG; a suppressed bar is drawn as a label, never a length.

    Sized to be read (issue 15, item 11): 15 px labels and values, a 17 px title, on a
    440-unit-wide drawing that the page shows at up to 1.3 × and a phone at about 0.8 ×
    (never below 11 px), the title wrapped rather than cut.
    """
    label_w, bar_w, row_h = 170, 190, 28
    width = label_w + bar_w + 80
    title_lines = _wrap(title, 44)
    top = 24 + 22 * len(title_lines) + 10
    height = top + row_h * len(bars) + 10
    top_value = max([v for _, v in bars if v is not None] or [1]) or 1
    font = 'font-family="system-ui, sans-serif"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, line in enumerate(title_lines):
        parts.append(
            f'<text x="8" y="{20 + 22 * i}" {font} font-size="17" font-weight="bold" '
            f'fill="#1a1a1a">{escape(line)}</text>'
        )
    parts.append(
        f'<text x="8" y="{top - 8}" {font} font-size="13" fill="#4a4a4a">{escape(caption)}'
        f"{' · ' if caption else ''}{escape(_('x = suppressed (small number)'))}</text>"
    )
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        short = label if len(label) <= 20 else label[:19] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" {font} '
            f'font-size="15" fill="#1a1a1a">{"<title>" + escape(label) + "</title>" if short != label else ""}'
            f"{escape(short)}</text>"
        )
        if value is None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="none" '
                f'stroke="#767676" stroke-dasharray="4 3"/>'
            )
            parts.append(
                f'<text x="{label_w + 6}" y="{y + 19}" {font} font-size="14" '
                f'fill="#4a4a4a">x ({escape(_("suppressed"))})</text>'
            )
        else:
            w = round(bar_w * value / top_value)
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="#1f5fa8"/>'
            )
            parts.append(
                f'<text x="{label_w + w + 6}" y="{y + 19}" {font} font-size="15" '
                f'fill="#1a1a1a">{formats.number_format(value, force_grouping=True)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(request: HttpRequest, slug: str) -> tuple[dict[str, Any], int | None, str]:
    if slug not in TABLES:
        raise Http404("not found")
    _form, year, form = _filters(request)
    stats = services.rapporteur_statistics(form=form)
    for t in build_tables(stats, year):
        if t["slug"] == slug:
            return t, year, form
    raise Http404("not found")


def _filename(slug: str, year: int | None, form: str, ext: str) -> str:
    parts = ["palermo", slug, str(year) if year else "all-years", form or "all-forms"]
    return "-".join(parts) + "." + ext


def _online_rows(share: Any) -> list[dict[str, Any]]:
    """The share of cases recruited online as rows in words (suppressed counts stay None)."""
    dims = {"year": "", "country": "country_of_exploitation", "form": "form_of_exploitation"}
    heads = {
        "total": _("All cases"),
        "year": _("By year of registration"),
        "country": _("By country of exploitation"),
        "form": _("By form of exploitation"),
    }
    out = []
    for r in share.rows:
        label = (
            heads["total"]
            if r.breakdown == "total"
            else _category_label(dims[r.breakdown], r.value)
        )
        out.append(
            {
                "group": heads[r.breakdown],
                "label": label,
                "online": r.online,
                "recorded": r.recorded,
                "percent": None if r.share is None else round(100 * r.share, 1),
                "total": r.breakdown == "total",
            }
        )
    return out


# --- dashboard ---------------------------------------------------------------------------------------


@requires(Perm.VIEW_STATISTICS)
def dashboard(request: AuthedRequest) -> HttpResponse:
    filter_form, year, form = _filters(request)
    stats = services.rapporteur_statistics(form=form)
    tables = build_tables(stats, year)
    audit.record_request(
        request,
        action="read",
        object_type="rapporteur_statistics",
        details={"year": year, "form": form},
    )
    actor, org = request.user, getattr(request, "organisation", None)
    online = services.online_recruitment_share(threshold=stats.threshold)
    supply = services.supply_inspection_cases(
        threshold=stats.threshold,
        # the unfiltered tables' cells when they are on the page (else computed there)
        published=stats.tables.protection.published() if not form and stats.tables else None,
    )
    return render(
        request,
        "stats/dashboard.html",
        {
            "online": _online_rows(online),
            "online_not_recorded": online.not_recorded,
            # Shown once any case came through a supply-chain inspection (x when 1–threshold-1).
            "supply_rows": supply.rows if supply.total.identified != 0 else (),
            "filter_form": filter_form,
            "tables": tables,
            "empty": stats.empty,
            "threshold": stats.threshold,
            "query": request.GET.urlencode(),
            "year": year,
            "form": form,
            "can_export": has_perm(actor, Perm.EXPORT_DATA, org),
            "can_export_htcds": has_perm(actor, Perm.EXPORT_DATA, org)
            and has_perm(actor, Perm.VIEW_CASES, org),
            "can_import": has_perm(actor, Perm.IMPORT_DATA, org),
        },
    )


@requires(Perm.VIEW_STATISTICS)
def table_csv(request: AuthedRequest, table: str) -> HttpResponse:
    t, year, form = _table(request, table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        safe_row(
            [
                _("nationality → country of exploitation") if t.get("flow") else _("category"),
                *t["columns"],
            ]
        )
    )
    for r in t["rows"]:
        writer.writerow(
            safe_row([r["label"], *("x" if c["suppressed"] else c["value"] for c in r["cells"])])
        )
    audit.record_request(
        request,
        action="export",
        object_type="rapporteur_statistics",
        details={"table": table, "format": "csv", "year": year, "form": form},
    )
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(table, year, form, "csv")}"'
    )
    return response


@requires(Perm.VIEW_STATISTICS)
def table_image(request: AuthedRequest, table: str) -> HttpResponse:
    t, year, form = _table(request, table)
    if "chart" not in t:
        raise Http404("not found")
    audit.record_request(
        request,
        action="export",
        object_type="rapporteur_statistics",
        details={"table": table, "format": "svg", "year": year, "form": form},
    )
    response = HttpResponse(t["chart"], content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(table, year, form, "svg")}"'
    )
    return response


@requires(Perm.EXPORT_DATA)
def statistics_csv(request: AuthedRequest) -> HttpResponse:
    _form, _year, form = _filters(request)
    buf = io.StringIO()
    services.statistics_export(
        actor=request.user,
        organisation=request.organisation,
        out=buf,
        form=form,
        request=request,
    )
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename("statistics", None, form, "csv")}"'
    )
    return response


# --- HTCDS export and CTDC release ----------------------------------------------------------------------


@requires(Perm.EXPORT_DATA)
@require_POST
def htcds_export(request: AuthedRequest) -> HttpResponse:
    fmt = request.POST.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    try:
        if fmt == "xlsx":
            out: Any = io.BytesIO()
            services.htcds_export(
                actor=request.user,
                organisation=request.organisation,
                fmt="xlsx",
                out=out,
                request=request,
            )
            body: Any = out.getvalue()
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            text = io.StringIO()
            # Formulas neutralised unless the exact file is asked for explicitly (docs/statistics.md).
            services.htcds_export(
                actor=request.user,
                organisation=request.organisation,
                fmt="csv",
                out=text,
                request=request,
                exact=request.POST.get("exact") == "1",
            )
            body, ctype = text.getvalue(), "text/csv; charset=utf-8"
    except services.NotAllowed:
        audit.record_refusal(request, perm=Perm.VIEW_CASES)
        return refused(request)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="palermo-htcds.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Perm.EXPORT_DATA)
def ctdc(request: AuthedRequest) -> HttpResponse:
    """The release is made by a background job (over every case it can take long); its page shows the
    report and offers the file."""
    form = forms.CtdcForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_services.job_start(
                actor=request.user,
                organisation=request.organisation,
                kind=stats_jobs.CTDC,
                params={"k": form.cleaned_data["k"]},
            )
        except job_services.NotAllowed:
            return refused(request)
        return redirect("jobs:detail", job_id=job.pk)
    return render(request, "stats/ctdc.html", {"form": form, "empty": selectors.case_count() == 0})


# --- import: upload → preview → confirm -------------------------------------------------------------------


def _pending(request: HttpRequest) -> tuple[dict[str, str], Path] | None:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or not str(held.get("token", "")).isalnum():
        return None
    path = uploads.upload_dir() / f"{held['token']}.upload"
    if not path.exists():
        return None
    return held, path


def _forget(request: HttpRequest) -> None:
    pending = _pending(request)
    if pending is not None:
        pending[1].unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


@requires(Perm.IMPORT_DATA)
def import_upload(request: AuthedRequest) -> HttpResponse:
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    uploads.sweep()  # files others never confirmed
    if request.method == "POST" and form.is_valid():
        _forget(request)
        directory = uploads.upload_dir()
        token = secrets.token_hex(16)
        upload = form.cleaned_data["file"]
        with (directory / f"{token}.upload").open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        # The file name may carry a name or a place: it stays in the session, never in a URL or the audit trail.
        request.session[SESSION_KEY] = {
            "token": token,
            "kind": form.cleaned_data["kind"],
            "name": upload.name,
        }
        return redirect("stats:import_preview")
    return render(request, "stats/import_upload.html", {"form": form})


@requires(Perm.IMPORT_DATA)
def import_preview(request: AuthedRequest) -> HttpResponse:
    """The check of the held file runs as a background job (it rehearses the whole import, as long as
    the import itself): start it once per upload, then show its page, which offers the confirmation."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("No file is waiting to be imported: upload one."))
        return redirect("stats:import")
    held, path = pending
    job_id = held.get("preview_job")
    if (
        job_id
        and selectors_jobs.jobs_for(request.user, request.organisation).filter(pk=job_id).exists()
    ):
        return redirect("jobs:detail", job_id=job_id)
    # The job reads a copy: the held file waits for the confirmation.
    copy = job_services.save_upload([path.read_bytes()])
    try:
        job = job_services.job_start(
            actor=request.user,
            organisation=request.organisation,
            kind=stats_jobs.PREVIEW,
            params={"kind": held["kind"], "name": held["name"], "upload": held["token"]},
            inputs={"upload": copy},
        )
    except job_services.NotAllowed:
        return refused(request)
    finally:
        copy.unlink(missing_ok=True)
    request.session[SESSION_KEY] = {**held, "preview_job": job.pk}
    return redirect("jobs:detail", job_id=job.pk)


@requires(Perm.IMPORT_DATA)
@require_POST
def import_confirm(request: AuthedRequest) -> HttpResponse:
    """Hand the checked file to a background job (the import can outlast any request) and show its progress."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("No file is waiting to be imported: upload one."))
        return redirect("stats:import")
    held, path = pending
    checked = request.POST.get("upload")
    if (
        checked and checked != held["token"]
    ):  # confirmed from the check of another file (another tab)
        messages.error(
            request,
            _("The file waiting to be imported is not the one you checked: check it first."),
        )
        return redirect("stats:import_preview")
    try:
        job = job_services.job_start(
            actor=request.user,
            organisation=request.organisation,
            kind=stats_jobs.IMPORT,
            params={"kind": held["kind"], "name": held["name"]},
            inputs={"upload": path},
        )
    except job_services.NotAllowed:
        return refused(request)
    # The file now belongs to the job (a second click finds nothing waiting: no double import).
    request.session.pop(SESSION_KEY, None)
    messages.info(request, _("The import is queued: this page shows its progress."))
    return redirect("jobs:detail", job_id=job.pk)


@requires(Perm.IMPORT_DATA)
@require_POST
def import_cancel(request: AuthedRequest) -> HttpResponse:
    _forget(request)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("stats:import")
