"""Downloads of the due-diligence reports: the evidence pack and the information pack as
PDF (reportlab, as ``exercise/report_pdf.py``), the draft statement as plain text and
DOCX (python-docx). The same content as the HTML pages, in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core.errors import Problem
from palermo.core.pdf import FONT, stylesheet
from palermo.supply import statement, vocabulary
from palermo.supply.services.clauses import EvidencePack
from palermo.supply.services.statements import InformationPack
from palermo.web.display import data_text


def _pdf(title: str, blocks: Sequence[tuple[str, Any]]) -> bytes:
    """A PDF of ``blocks``: ("h1"|"h2"|"p", text) or ("table", rows with a header row)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = stylesheet()
    # A file's SHA-256 in one unbroken line (64 hex digits at 8 pt fit the A4 width).
    styles.add(ParagraphStyle("Digest", parent=styles["Code"], fontSize=8, leading=10))
    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    style_of = {"h1": "Heading1", "h2": "Heading2", "p": "BodyText", "digest": "Digest"}
    for kind, value in blocks:
        if kind == "table":
            t = Table(
                [[Paragraph(escape(str(c)), styles["BodyText"]) for c in r] for r in value],
                repeatRows=1,
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
            story += [t, Spacer(1, 4 * mm)]
        else:
            story.append(Paragraph(escape(str(value)), styles[style_of[kind]]))
    printed = _("Printed %(when)s") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 10 * mm, f"{title} — {printed} — {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, author="Palermo", initialFontName=FONT)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _who_when(user: Any, when: Any) -> str:
    name = user.username if user is not None else _("command line")
    return f"{name}, {timezone.localtime(when).strftime('%Y-%m-%d %H:%M')}"


def _measure_blocks(records: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The measures' table, then each evidence file with its SHA-256 on a line of its own."""
    blocks: list[tuple[str, Any]] = [("table", _measure_table(records))]
    files = [(code, rec) for code, rec in records if rec is not None and rec.evidence_sha256]
    if files:
        blocks.append(("h2", _("Evidence files (SHA-256)")))
        for code, rec in files:
            blocks.append(("p", f"({code}) {rec.evidence_name}"))
            blocks.append(("digest", rec.evidence_sha256))
    return blocks


def _measure_table(records: Sequence[tuple[str, Any]]) -> list[list[str]]:
    rows = [[_("Measure"), _("Outcome"), _("Note"), _("Evidence"), _("Recorded")]]
    for code, rec in records:
        label = _(vocabulary.MEASURES[code])
        if rec is None:
            rows.append([label, _("open"), "—", "—", "—"])
            continue
        evidence = (
            f"{rec.evidence_name} (SHA-256 {rec.evidence_sha256[:12]}…)"
            if rec.evidence_sha256
            else "—"
        )
        rows.append(
            [
                label,
                str(rec.get_outcome_display()),
                rec.note,
                evidence,
                _who_when(rec.recorded_by, rec.recorded_at),
            ]
        )
    return rows


def _clause_blocks(clauses: Sequence[Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for c in clauses:
        measures = ", ".join(f"({m})" for m in c.measures)
        out.append(("h2", f"{data_text(c.title)} — {c.clause_id} v{c.version} — {measures}"))
        out.append(("p", data_text(c.text)))
    return out


def evidence_pack_pdf(pack: EvidencePack) -> bytes:
    c = pack.contract
    title = _("Evidence pack — %(ref)s") % {"ref": c.reference}
    supplier = f"{c.supplier} ({c.supplier.company_id})" if c.supplier else "—"
    p = pack.progress
    done = (
        _("complete")
        if p.complete
        else _("%(done)s of %(n)s measures done") % {"done": len(p.done), "n": len(p.required)}
    )
    edition = (
        "; ".join(f"{e.source}, {e.edition} — SHA-256 {e.batch.sha256}" for e in pack.editions)
        or "—"
    )
    blocks: list[tuple[str, Any]] = [
        ("p", c.title),
        (
            "table",
            [
                [_("Field"), _("Value")],
                [_("Supplier"), supplier],
                [_("Risk level"), str(c.get_risk_level_display())],
                [_("Lifecycle stage"), _(vocabulary.STAGES.get(c.stage, c.stage))],
                [_("Due diligence"), done],
                [_("Risk list in use"), edition],
            ],
        ),
        ("h1", _("Measures (a)–(g)")),
        *_measure_blocks([(m.code, m.record) for m in pack.measures if m.required or m.record]),
        ("h1", _("Model clauses attached")),
    ]
    blocks += _clause_blocks(pack.clauses) or [("p", _("No clause attached."))]
    if pack.sites:
        blocks.append(("h1", _("Sites disclosed")))
        blocks.append(
            (
                "table",
                [[_("Site"), _("Address"), _("Country"), _("OS ID")]]
                + [[s.name, s.address, s.country, s.os_id or "—"] for s in pack.sites],
            )
        )
    return _pdf(title, blocks)


def information_pack_pdf(pack: InformationPack) -> bytes:
    r = pack.request
    title = _("Information pack — %(authority)s, %(date)s") % {
        "authority": r.authority,
        "date": r.received_on.isoformat(),
    }
    blocks: list[tuple[str, Any]] = [
        ("h1", _("The request")),
        (
            "table",
            [
                [_("Field"), _("Value")],
                [_("Competent authority"), r.authority],
                [_("Its reference"), r.authority_reference or "—"],
                [_("Received on"), r.received_on.isoformat()],
                [_("Answer due on"), r.due_on.isoformat() if r.due_on else "—"],
                [_("Supplier"), f"{pack.supplier.name} ({pack.supplier.company_id})"],
                [_("Site"), r.site.name if r.site else _("all sites of the supplier")],
                [_("Product"), r.product or _("all products")],
                [_("What the authority asks"), r.question],
            ],
        ),
        ("h1", _("Sites")),
        (
            "table",
            [[_("Site"), _("Address"), _("Country"), _("OS ID"), _("Workers")]]
            + [
                [
                    s.name,
                    s.address,
                    s.country,
                    s.os_id or "—",
                    f"{s.workers_min or '?'}–{s.workers_max or '?'}"
                    if s.workers_min or s.workers_max
                    else "—",
                ]
                for s in pack.sites
            ],
        ),
        ("h1", _("Risk screening")),
        ("p", _("Risk list in use: %(edition)s") % {"edition": pack.edition or "—"}),
    ]
    if pack.lines_total > len(pack.lines):
        blocks.append(
            (
                "p",
                _("The %(n)s highest-scoring lines of %(total)s.")
                % {"n": len(pack.lines), "total": pack.lines_total},
            )
        )
    blocks.append(
        (
            "table",
            [[_("Order line"), _("Origin"), _("Good"), _("Level"), _("Reasons and sources")]]
            + [
                [
                    line.ref,
                    line.origin_country,
                    line.good or line.product_code or "—",
                    f"{line.get_level_display()} ({line.score})",
                    "\n".join(reason_lines(line.result)),
                ]
                for line in pack.lines
            ],
        )
    )
    blocks.append(("h1", _("Due diligence on contracts with this supplier")))
    if not pack.contracts:
        blocks.append(("p", _("No contract with this supplier.")))
    for ce in pack.contracts:
        blocks.append(("h2", f"{ce.contract.reference} — {ce.contract.title}"))
        blocks += _measure_blocks([(m.code, m) for m in ce.measures])
        blocks += _clause_blocks(ce.clauses)
    blocks.append(("h1", _("Corrective actions")))
    blocks.append(
        (
            "table",
            [[_("ILO indicator"), _("Finding"), _("Site"), _("Deadline"), _("Closed on")]]
            + [
                [
                    _(vocabulary.ILO_INDICATORS.get(a.indicator, a.indicator)),
                    str(a.get_finding_display()),
                    a.site.name if a.site else "—",
                    a.due_on.isoformat(),
                    a.closed_on.isoformat() if a.closed_on else _("open"),
                ]
                for a in pack.actions
            ],
        )
    )
    blocks.append(("h1", _("Recruitment fees (the employer pays)")))
    blocks.append(
        (
            "table",
            [[_("Currency"), _("Workers affected"), _("Owed"), _("Repaid")]]
            + [
                [f.currency, str(f.workers), f"{f.owed:,.2f}", f"{f.repaid:,.2f}"]
                for f in pack.fees
            ],
        )
    )
    blocks.append(
        (
            "p",
            _(
                "This pack holds no worker's personal data. Labour inspections are not part "
                "of it: the competent authority asks the labour inspectorate for them."
            ),
        )
    )
    return _pdf(title, blocks)


def reason_lines(result: dict[str, Any]) -> list[str]:
    """Each reason of a screening result with its points and source, in the reader's language."""
    from palermo.supply.services import reason_text

    return [
        f"{r['points']:+d} {reason_text(r)}" + (f" [{r['source']}]" if r.get("source") else "")
        for r in result.get("reasons", [])
    ]


def _say(p: Problem) -> str:
    return p.said()


def statement_title(organisation: str) -> str:
    return _("Modern-slavery statement: supply-chain section (DRAFT) — %(org)s") % {
        "org": organisation
    }


def statement_text(facts: statement.Facts, parts: Sequence[statement.Section]) -> str:
    return statement.as_text(parts, _say, statement_title(facts.organisation))


def statement_docx(facts: statement.Facts, parts: Sequence[statement.Section]) -> bytes:
    import docx

    doc = docx.Document()
    doc.core_properties.title = statement_title(facts.organisation)
    doc.add_heading(statement_title(facts.organisation), level=0)
    for s in parts:
        doc.add_heading(_say(s.heading), level=1)
        for p in s.paragraphs:
            doc.add_paragraph(_say(p))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
