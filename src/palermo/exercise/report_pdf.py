"""The hot-wash pack and the after-action report as PDF (reportlab, as the monitoring report).

Every page carries TRAINING EXERCISE in its header and the document title says so too."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from palermo.core.pdf import FONT, FONT_BOLD, stylesheet
from palermo.exercise import clock
from palermo.exercise.selectors import Report
from palermo.exercise.vocabulary import CRITERIA, RATINGS


def _result(fig: Any) -> str:
    if fig.kind == "count":
        return str(fig.value)
    if fig.kind == "ordering":
        return (
            _("nothing to judge yet") if fig.value is None else _("yes") if fig.value else _("no")
        )
    result = _("shown") if fig.value else _("not shown")
    if fig.minutes_after is not None:
        result += " " + _("(%(m)s min after the first inject)") % {"m": fig.minutes_after}
    return result


def figure_rows(rep: Report) -> list[list[Any]]:
    """The team figures with the numbers of the entries each came from (the first ten)."""
    rows: list[list[Any]] = [[_("Team"), _("Figure"), _("Result"), _("Audit entries")]]
    for t in rep.figures:
        for f in t["figures"]:
            fig = f["figure"]
            ids = " ".join(f"#{e}" for e in fig.entry_ids[:10])
            if len(fig.entry_ids) > 10:
                ids += " " + _("and %(n)s more") % {"n": len(fig.entry_ids) - 10}
            rows.append([t["team"].name, _(f["label"]), _result(fig), ids])
    return rows


def render(rep: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = stylesheet()
    story: list[Any] = []
    ex = rep.exercise
    mark = _("TRAINING EXERCISE")

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

    def when(seconds: float) -> str:
        return clock.format_time(seconds, ex.day_start_minutes)

    title = (
        _("Hot-wash pack, day %(day)s") % {"day": rep.day}
        if rep.day is not None
        else _("After-action report and improvement plan")
    )
    p(f"{mark} — {title}", "Title")
    p(f"{ex.title} ({ex.scenario_id} {ex.scenario_version})")
    p(
        _("Injects delivered: %(d)s. Observations: %(o)s.")
        % {"d": rep.deliveries, "o": len(rep.observations)}
    )
    p(_("By criterion"), "Heading1")
    for key, c in rep.by_criterion.items():
        p(_(CRITERIA[key]), "Heading2")
        p(
            _("Expected actions done: %(done)s of %(n)s; overdue: %(overdue)s.")
            % {"done": c["done"], "n": c["actions"], "overdue": c["overdue"]}
        )
        if c["deviations"]:
            table(
                [[_("Exercise time"), _("Team"), _("Deviation")]]
                + [
                    [when(o.sim_seconds), o.team.name if o.team else "", o.note]
                    for o in c["deviations"]
                ]
            )
        if c["notes"]:
            table(
                [[_("Exercise time"), _("Team"), _("Antennas' notes")]]
                + [[when(o.sim_seconds), o.team.name if o.team else "", o.note] for o in c["notes"]]
            )
    p(_("Ratings"), "Heading1")
    table([[_("Rating"), _("Count")]] + [[_(RATINGS[k]), n] for k, n in rep.rating_counts.items()])
    p(_("Expected actions and automatic evidence"), "Heading1")
    rows: list[list[Any]] = [
        [_("Team"), _("Action"), _("Criterion"), _("Evidence"), _("Audit entries"), _("Status")]
    ]
    for r in rep.rows:
        ev = (_("shown") if r.finding.met else _("not shown")) if r.finding else _("antennas only")
        if r.finding and r.finding.minutes_after is not None:
            ev += " " + _("(%(m)s min after the inject)") % {"m": r.finding.minutes_after}
        status = _("done") if r.done else _("overdue") if r.overdue else _("open")
        entries = " ".join(f"#{e}" for e in (r.finding.entry_ids if r.finding else ())[:10])
        rows.append(
            [
                r.team.name,
                f"{r.action.key} {r.action.text}",
                _(CRITERIA[r.action.criterion]),
                ev,
                entries,
                status,
            ]
        )
    table(rows)
    if rep.figures:
        # The page links each figure to its entries; the PDF names their numbers (the audit
        # viewer opens one with ?entry=N).
        p(_("Automatic evidence, per team"), "Heading1")
        table(figure_rows(rep))
    if rep.answers:
        p(_("Tabletop"), "Heading1")
        table(
            [[_("Inject"), _("Team"), _("Question"), _("Answer")]]
            + [[a["inject"].key, a["team"].name, a["question"], a["text"]] for a in rep.answers]
        )
    if rep.day is None:
        p(_("Improvement plan"), "Heading1")
        table(
            [[_("Issue"), _("Corrective action"), _("Owner organisation"), _("Due date")]]
            + [
                [i.issue, i.corrective_action, i.owner, i.due_date.isoformat()]
                for i in rep.improvements
            ]
        )

    def header(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#8b0000"))
        canvas.setFont(FONT_BOLD, 10)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, f"{mark} — {ex.name}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=f"{mark}: {title}", topMargin=18 * mm, initialFontName=FONT
    )
    doc.build(story, onFirstPage=header, onLaterPages=header)
    return buf.getvalue()
