"""The national rapporteur's annual report skeleton: protected indicator tables, the status of
recommendations by monitor and by area, and the action plan's progress — as HTML and PDF.

Every figure comes through ``selectors`` (indicators already protected); nothing here reads a
case. The PDF is drawn with reportlab (platypus tables).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core import audit, errors
from palermo.core.models import Organisation, User
from palermo.core.pdf import FONT, stylesheet
from palermo.core.policy import Perm, has_perm
from palermo.monitor import charts, selectors
from palermo.monitor.models import MeasureStatus, RecommendationStatus, SourceBody, ThematicArea

NotAllowed = errors.NotAllowed


@dataclass
class ReportData:
    year: int | None
    generated_at: Any
    indicators: list[dict[str, Any]]
    by_monitor: list[dict[str, Any]]
    by_area: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    charts: dict[str, charts.Chart] = field(
        default_factory=dict
    )  # by indicator id, "monitors", "plans"


def report_data(
    actor: User | None, organisation: Organisation | None, *, year: int | None
) -> ReportData:
    if actor is not None and not has_perm(actor, Perm.MONITOR_REPORT, organisation):
        raise NotAllowed(_("You do not have permission to do this."))
    results = selectors.indicator_results(actor, organisation, year=year)
    inds = selectors.indicator_tables(results)
    statuses = RecommendationStatus.values

    def summary(by: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "label": labels.get(row["key"], row["key"]),
                "cells": [row[s] for s in statuses],
                "overdue": row["overdue"],
                "total": row["total"],
            }
            for row in selectors.status_summary(actor, organisation, by)
        ]

    plans = []
    for plan in selectors.plans(actor, organisation):
        measures = []
        for obj in plan.objectives.all():
            for m in obj.measures.all():
                measures.append(
                    {
                        "code": f"{obj.code}.{m.code}",
                        "title": m.title,
                        "status": MeasureStatus(m.status).label,
                        "deadline": m.deadline,
                        "responsible": ", ".join(o.name for o in m.responsible.all()),
                    }
                )
        done = sum(1 for m in measures if m["status"] == MeasureStatus.COMPLETED.label)
        plans.append(
            {
                "title": plan.title,
                "starts_on": plan.starts_on,
                "ends_on": plan.ends_on,
                "measures": measures,
                "completed": done,
                "total": len(measures),
            }
        )
    by_monitor = summary("source_body", dict(SourceBody.choices))
    return ReportData(
        year,
        timezone.now(),
        inds,
        by_monitor,
        summary("area", dict(ThematicArea.choices)),
        plans,
        _charts(results, by_monitor, plans),
    )


def _charts(
    results: list[Any], by_monitor: list[dict[str, Any]], plans: list[dict[str, Any]]
) -> dict[str, charts.Chart]:
    """One chart per indicator (its breakdown, or its total), recommendations by status per
    monitoring body, and measures by status per plan. Suppressed cells stay suppressed."""
    out: dict[str, charts.Chart] = {}
    for r in results:
        figures = r.figures[1:] if len(r.figures) > 1 else r.figures
        if r.definition.is_share:
            rows = [
                (selectors.figure_label(f.label), None if f.share is None else 100 * f.share)
                for f in figures
            ]
        else:
            rows = [(selectors.figure_label(f.label), f.value) for f in figures]
        out[r.definition.id] = charts.bars(r.definition.title, rows, percent=r.definition.is_share)
    if by_monitor:
        out["monitors"] = charts.stacked(
            _("Recommendations by monitoring body"),
            [(row["label"], row["cells"]) for row in by_monitor],
            status_labels(),
        )
    if plans:
        statuses = [str(label) for label in MeasureStatus.labels]
        out["plans"] = charts.stacked(
            _("Measures by status"),
            [
                (
                    plan["title"][:60],
                    [sum(1 for m in plan["measures"] if m["status"] == s) for s in statuses],
                )
                for plan in plans
            ],
            statuses,
        )
    return out


def status_labels() -> list[str]:
    return [str(label) for label in RecommendationStatus.labels]


def _data_uri(chart: charts.Chart) -> str:
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(charts.render(chart, "svg")).decode()


def render_html(data: ReportData) -> str:
    images = {key: _data_uri(chart) for key, chart in data.charts.items()}
    return render_to_string(
        "monitor/report.html",
        {
            "report": data,
            "status_labels": status_labels(),
            "indicators": [{**ind, "chart": images.get(ind["id"], "")} for ind in data.indicators],
            "monitors_chart": images.get("monitors", ""),
            "plans_chart": images.get("plans", ""),
        },
    )


def render_pdf(data: ReportData) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = stylesheet()
    story: list[Any] = []

    def p(text: str, style: str = "BodyText") -> None:
        story.append(Paragraph(escape(str(text)), styles[style]))

    def table(rows: list[list[Any]]) -> None:
        t = Table(
            [[Paragraph(escape(str(c)), styles["BodyText"]) for c in r] for r in rows], repeatRows=1
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(t)
        story.append(Spacer(1, 4 * mm))

    def chart(key: str) -> None:
        c = data.charts.get(key)
        if c is not None:
            width = 170 * mm
            story.append(
                Image(
                    io.BytesIO(charts.render(c, "png")),
                    width=width,
                    height=width * c.height_inches / 7.0,
                )
            )
            story.append(Spacer(1, 4 * mm))

    p(_("Annual report of the National Rapporteur — skeleton"), "Title")
    p(_("Reporting year: %(year)s") % {"year": data.year or _("all years")})
    p(
        _(
            "Counts between 1 and 10, and any count from which one could be worked out, are suppressed and shown as x."
        )
    )
    p(_("Indicators"), "Heading1")
    for ind in data.indicators:
        p(ind["title"], "Heading2")
        p(ind["definition"])
        p(_("Source: %(citation)s") % {"citation": ind["citation"]}, "Italic")
        if ind["is_share"]:
            table(
                [[_("Category"), _("Cases"), _("Out of"), _("Share")]]
                + [[r["label"], r["value"], r["denominator"], r["share"]] for r in ind["rows"]]
            )
        else:
            table([[_("Category"), _("Cases")]] + [[r["label"], r["value"]] for r in ind["rows"]])
        chart(ind["id"])
    for title, rows in (
        (_("Recommendations by monitoring body"), data.by_monitor),
        (_("Recommendations by thematic area"), data.by_area),
    ):
        p(title, "Heading1")
        if rows is data.by_monitor:
            chart("monitors")
        if rows:
            table(
                [["", *status_labels(), _("Overdue"), _("Total")]]
                + [[r["label"], *r["cells"], r["overdue"], r["total"]] for r in rows]
            )
        else:
            p(_("No recommendations registered."))
    p(_("Action plan progress"), "Heading1")
    chart("plans")
    for plan in data.plans:
        p(f"{plan['title']} ({plan['starts_on']} – {plan['ends_on']})", "Heading2")
        p(
            _("%(done)s of %(total)s measures completed.")
            % {"done": plan["completed"], "total": plan["total"]}
        )
        table(
            [[_("Measure"), _("Title"), _("Responsible"), _("Deadline"), _("Status")]]
            + [
                [m["code"], m["title"], m["responsible"], m["deadline"], m["status"]]
                for m in plan["measures"]
            ]
        )
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title="Annual report (skeleton)",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        initialFontName=FONT,
    ).build(story)
    return buf.getvalue()


def render_docx(data: ReportData) -> bytes:
    """The same skeleton as an editable Word document (python-docx): the rapporteur writes the
    narrative around the tables."""
    import docx

    doc = docx.Document()
    doc.add_heading(_("Annual report of the National Rapporteur — skeleton"), level=0)
    doc.add_paragraph(_("Reporting year: %(year)s") % {"year": data.year or _("all years")})
    doc.add_paragraph(
        _(
            "Counts between 1 and 10, and any count from which one could be worked out, are suppressed "
            "and shown as x."
        )
    )

    def chart(key: str) -> None:
        from docx.shared import Inches

        c = data.charts.get(key)
        if c is not None:
            doc.add_picture(io.BytesIO(charts.render(c, "png")), width=Inches(6.3))

    def table(rows: list[list[Any]]) -> None:
        t = doc.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = "Table Grid"
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                t.cell(i, j).text = str(value)
        doc.add_paragraph()

    doc.add_heading(_("Indicators"), level=1)
    for ind in data.indicators:
        doc.add_heading(ind["title"], level=2)
        doc.add_paragraph(ind["definition"])
        doc.add_paragraph(_("Source: %(citation)s") % {"citation": ind["citation"]})
        if ind["is_share"]:
            table(
                [[_("Category"), _("Cases"), _("Out of"), _("Share")]]
                + [[r["label"], r["value"], r["denominator"], r["share"]] for r in ind["rows"]]
            )
        else:
            table([[_("Category"), _("Cases")]] + [[r["label"], r["value"]] for r in ind["rows"]])
        chart(ind["id"])
    for title, rows in (
        (_("Recommendations by monitoring body"), data.by_monitor),
        (_("Recommendations by thematic area"), data.by_area),
    ):
        doc.add_heading(title, level=1)
        if rows is data.by_monitor:
            chart("monitors")
        if rows:
            table(
                [["", *status_labels(), _("Overdue"), _("Total")]]
                + [[r["label"], *r["cells"], r["overdue"], r["total"]] for r in rows]
            )
        else:
            doc.add_paragraph(_("No recommendations registered."))
    doc.add_heading(_("Action plan progress"), level=1)
    chart("plans")
    for plan in data.plans:
        doc.add_heading(f"{plan['title']} ({plan['starts_on']} – {plan['ends_on']})", level=2)
        doc.add_paragraph(
            _("%(done)s of %(total)s measures completed.")
            % {"done": plan["completed"], "total": plan["total"]}
        )
        if plan["measures"]:
            table(
                [[_("Measure"), _("Title"), _("Responsible"), _("Deadline"), _("Status")]]
                + [
                    [m["code"], m["title"], m["responsible"], m["deadline"], m["status"]]
                    for m in plan["measures"]
                ]
            )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


RENDERERS = {
    "html": lambda d: render_html(d).encode("utf-8"),
    "pdf": render_pdf,
    "docx": render_docx,
}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def annual_report(
    *,
    actor: User | None,
    organisation: Organisation | None,
    year: int | None,
    fmt: str,
    request: Any = None,
) -> bytes:
    """The report as ``html``, ``pdf`` or ``docx`` bytes; audited as an export (aggregates only)."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}")
    data = report_data(actor, organisation, year=year)
    out = RENDERERS[fmt](data)
    audit.record(
        action="export",
        actor=actor,
        organisation=organisation,
        object_type="monitor.report",
        object_ref=str(year or "all"),
        request=request,
        details={"format": fmt},
        actor_username=None if actor is not None else "command line",
    )
    return out
