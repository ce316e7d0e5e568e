"""Evidence pack for a prosecutor: HTML and PDF from one assembled pack.

The pack holds the open alerts with every transaction behind them (and the
file, hash and line each was read from), the network picture with roles, hubs
and money paths, the proceeds estimate with its methods, and the SHA-256 of
every source file. Its ``digest`` is a SHA-256 over its content, so a printed
pack can be matched with the workspace it came from.

HTML uses Jinja2 with autoescaping (names in statements are untrusted text);
PDF uses ReportLab, a pure-wheel install, rather than an HTML-to-PDF engine that
needs system libraries (Pango) the server may lack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
from jinja2 import Environment, select_autoescape

from palermo.core.pdf import FONT, stylesheet
from palermo.investigate.network import NetworkReport
from palermo.investigate.proceeds import ProceedsEstimate
from palermo.investigate.redflags import Alert, Rule, SkippedRule

__all__ = ["EvidencePack", "assemble_pack", "render_html", "render_pdf", "network_svg"]

_ROLE_COLOURS = {
    "collector": "#b3261e",
    "pass_through": "#c46a00",
    "facilitator": "#6a3d9a",
    "beneficial_owner": "#111111",
}


@dataclass(frozen=True)
class EvidencePack:
    title: str
    case_ref: str
    prepared_by: str
    generated_at: str
    alerts: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    hubs: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    paths: list[dict[str, Any]]
    edges: list[tuple[str, str, str, int]]
    proceeds: dict[str, Any] | None
    sources: list[dict[str, Any]]
    network_svg: str = ""
    digest: str = field(default="")


def _plain(value: Any) -> Any:
    """JSON-able copy of dataclasses, Decimals and datetimes (for the digest)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def assemble_pack(
    *,
    title: str,
    case_ref: str,
    prepared_by: str,
    alerts: Sequence[Alert],
    rules: Mapping[str, Rule],
    transactions: Mapping[str, Mapping[str, Any]],
    skipped: Sequence[SkippedRule],
    network: NetworkReport,
    proceeds: ProceedsEstimate | None,
    sources: Sequence[Mapping[str, Any]],
    max_tx_per_alert: int = 200,
    generated_at: datetime | None = None,
) -> EvidencePack:
    """Put the pack together from what the workspace computed."""
    roles_by_account: dict[str, str] = {}
    for r in network.roles:
        roles_by_account.setdefault(r.account_key, r.role)
    alert_rows = []
    for a in alerts:
        rule = rules.get(a.rule_id)
        txs = [dict(transactions[t]) for t in a.tx_ids if t in transactions]
        txs.sort(key=lambda t: (str(t.get("booked_at")), t.get("tx_id")))
        alert_rows.append(
            {
                "alert_key": a.alert_key,
                "rule_id": a.rule_id,
                "rule_version": a.rule_version,
                "title": rule.title if rule else a.rule_id,
                "subject": a.subject,
                "summary": a.summary,
                "score": a.score,
                "exploitation": list(a.exploitation),
                "sources": [asdict(s) for s in rule.sources] if rule else [],
                "transactions": _plain(txs[:max_tx_per_alert]),
                "omitted": max(0, len(a.tx_ids) - max_tx_per_alert),
            }
        )
    edges = [(a, b, str(amount), n) for a, b, amount, n in network.edges]
    content: dict[str, Any] = {
        "title": title,
        "case_ref": case_ref,
        "prepared_by": prepared_by,
        "generated_at": (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "alerts": alert_rows,
        "skipped": [
            {"rule_id": s.rule_id, "missing_fields": list(s.missing_fields)} for s in skipped
        ],
        "hubs": _plain(list(network.hubs)),
        "roles": _plain(list(network.roles)),
        "paths": _plain(list(network.paths)),
        "edges": edges,
        "proceeds": _plain(proceeds) if proceeds else None,
        "sources": _plain([dict(s) for s in sources]),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    svg = network_svg(edges, roles_by_account)
    return EvidencePack(**content, network_svg=svg, digest=digest)


def _layout(edges: Sequence[tuple[str, str, str, int]]) -> dict[str, tuple[float, float]]:
    graph = nx.DiGraph()
    graph.add_edges_from((a, b) for a, b, _, _ in edges)
    if graph.number_of_nodes() == 0:
        return {}
    # a fixed seed: the same workspace draws the same picture every time
    pos = nx.spring_layout(graph, seed=7)
    return {k: (float(v[0]), float(v[1])) for k, v in pos.items()}


def network_svg(
    edges: Sequence[tuple[str, str, str, int]],
    roles: Mapping[str, str],
    *,
    width: int = 760,
    height: int = 520,
    index: Mapping[str, int] | None = None,
    labelled: Collection[str] | None = None,
) -> str:
    """An SVG drawing of the money flows (escaped labels, no script).

    The evidence pack draws it static. The web page passes ``index`` (account → row
    number): each account then links to its row of the flows table (``#acct-N``, a
    fragment, so no account number reaches the server) and lines carry
    ``data-from``/``data-to`` for ``static/investigate/network.js``. ``labelled``
    limits the text labels to those accounts on a crowded graph; every node still
    names its account on hover.
    """
    pos = _layout(edges)
    if not pos:
        return "<p>No payments to draw.</p>"
    pad = 60

    def xy(key: str) -> tuple[float, float]:
        x, y = pos[key]
        return pad + (x + 1) / 2 * (width - 2 * pad), pad + (y + 1) / 2 * (height - 2 * pad)

    top = max((Decimal(a) for _, _, a, _ in edges), default=Decimal(1)) or Decimal(1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="network" width="{width}" height="{height}" '
        # With links to the accounts (the web page) the drawing is a group of links, not an
        # image: an image's content is presentational, so links inside it would be nested
        # interactive controls (axe "nested-interactive").
        f'viewBox="0 0 {width} {height}" role="{"group" if index is not None else "img"}" '
        'aria-label="Money flow network">',
        '<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/>'
        "</marker></defs>",
    ]
    for a, b, amount, n in edges:
        (x1, y1), (x2, y2) = xy(a), xy(b)
        w = 0.8 + 4 * float(Decimal(amount) / top)
        hooks = (
            f' class="edge" data-from="n{index[a]}" data-to="n{index[b]}"'
            if index is not None
            else ""
        )
        parts.append(
            f'<line{hooks} x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#7a8793" '
            f'stroke-width="{w:.2f}" marker-end="url(#arr)"><title>{escape(a)} to {escape(b)}: '
            f"{escape(amount)} in {n} payments</title></line>"
        )
    for key in pos:
        x, y = xy(key)
        colour = _ROLE_COLOURS.get(roles.get(key, ""), "#1f6fb2")
        label = key if len(key) <= 18 else key[:8] + "…" + key[-6:]
        node = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{colour}"><title>{escape(key)}'
            f"{' — ' + escape(roles[key]) if key in roles else ''}</title></circle>"
        )
        if labelled is None or key in labelled:
            node += f'<text x="{x + 9:.1f}" y="{y - 9:.1f}" font-size="10" fill="#222">{escape(label)}</text>'
        if index is not None:
            node = f'<a href="#acct-{index[key]}" class="node" data-node="n{index[key]}">{node}</a>'
        parts.append(node)
    parts.append("</svg>")
    return "".join(parts)


def render_html(pack: EvidencePack) -> str:
    """The pack as a self-contained HTML page."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    source = (
        resources.files("palermo.investigate")
        .joinpath("data", "evidence_pack.html")
        .read_text("utf-8")
    )
    return env.from_string(source).render(pack=pack)


def render_pdf(pack: EvidencePack, path: Path) -> None:
    """The pack as a PDF (ReportLab): same sections as the HTML, network redrawn."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = stylesheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    body = styles["BodyText"]

    def p(text: Any, style: Any = small) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def table(rows: list[list[Any]], widths: list[float]) -> Table:
        t = Table([[p(c) for c in r] for r in rows], colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story: list[Any] = [
        Paragraph(escape(pack.title), styles["Title"]),
        p(
            f"Case reference {pack.case_ref} · prepared by {pack.prepared_by} · generated "
            f"{pack.generated_at}",
            body,
        ),
        p(f"Pack digest (SHA-256): {pack.digest}"),
        Spacer(1, 4 * mm),
        Paragraph(
            f"1. Alerts and the transactions behind them ({len(pack.alerts)})", styles["Heading2"]
        ),
    ]
    for a in pack.alerts:
        head = [
            Paragraph(
                escape(f"{a['rule_id']} v{a['rule_version']} — {a['title']}"), styles["Heading4"]
            ),
            p(
                f"Subject {a['subject']} · {a['summary']} · exploitation: {', '.join(a['exploitation'])}"
            ),
            p(
                "Sources: "
                + "; ".join(
                    f"{s['id']} ({s['publisher']} {s['year']}): {s['indicator']}"
                    for s in a["sources"]
                )
            ),
        ]
        rows = [["Date", "Payer", "Payee", "Amount", "Description", "Source file, line"]]
        rows += [
            [
                t["booked_at"],
                f"{t.get('payer_name') or ''} {t['payer_key']}".strip(),
                f"{t.get('payee_name') or ''} {t['payee_key']}".strip(),
                f"{t['amount']} {t['currency']}",
                t.get("description") or "",
                f"{t['file_name']}, line {t['line_no']}",
            ]
            for t in a["transactions"]
        ]
        story.append(
            KeepTogether(
                [*head, table(rows, [22 * mm, 32 * mm, 32 * mm, 22 * mm, 40 * mm, 32 * mm])]
            )
        )
        if a["omitted"]:
            story.append(
                p(f"{a['omitted']} further transactions are listed in the workspace export.")
            )
        story.append(Spacer(1, 3 * mm))
    if pack.skipped:
        story.append(
            p(
                "Rules not run for lack of data: "
                + "; ".join(
                    f"{s['rule_id']} (missing {', '.join(s['missing_fields'])})"
                    for s in pack.skipped
                )
            )
        )

    story.append(Paragraph("2. Network", styles["Heading2"]))
    pos = _layout(pack.edges)
    if pos:
        w, h, pad = 170 * mm, 110 * mm, 12 * mm
        drawing = Drawing(w, h)
        roles = {r["account_key"]: r["role"] for r in pack.roles}

        def xy(key: str) -> tuple[float, float]:
            x, y = pos[key]
            return pad + (x + 1) / 2 * (w - 2 * pad), pad + (1 - (y + 1) / 2) * (h - 2 * pad)

        for a_key, b_key, _amount, _n in pack.edges:
            (x1, y1), (x2, y2) = xy(a_key), xy(b_key)
            drawing.add(
                Line(x1, y1, x2, y2, strokeColor=colors.HexColor("#7a8793"), strokeWidth=0.6)
            )
        for key in pos:
            x, y = xy(key)
            colour = colors.HexColor(_ROLE_COLOURS.get(roles.get(key, ""), "#1f6fb2"))
            drawing.add(Circle(x, y, 2.2 * mm, fillColor=colour, strokeColor=colour))
            drawing.add(
                String(
                    x + 3 * mm,
                    y + 1 * mm,
                    key if len(key) <= 18 else key[:8] + "..." + key[-6:],
                    fontSize=6,
                    fontName=FONT,
                )
            )
        story.append(drawing)
    if pack.roles:
        story.append(
            table(
                [["Account", "Role", "Evidence"]]
                + [[r["account_key"], r["role"], r["evidence"]] for r in pack.roles],
                [50 * mm, 30 * mm, 100 * mm],
            )
        )
    if pack.paths:
        story.append(Spacer(1, 2 * mm))
        story.append(
            table(
                [["Path", "Flow per hop", "Ends in"]]
                + [
                    [" -> ".join(x["accounts"]), " -> ".join(x["amounts"]), x["ends_in"]]
                    for x in pack.paths
                ],
                [90 * mm, 65 * mm, 25 * mm],
            )
        )

    story.append(Paragraph("3. Proceeds", styles["Heading2"]))
    pr = pack.proceeds
    if pr:
        cur = pr["currency"]
        story.append(
            table(
                [
                    ["Measure", "Amount"],
                    ["Flagged inflows", f"{pr['flagged_inflow_total']} {cur}"],
                    ["Confiscation: offenders' benefit", f"{pr['confiscation_total']} {cur}"],
                    ["of which still held in traced accounts", f"{pr['still_held']} {cur}"],
                    ["spent on assets", f"{pr['spent_on_assets']} {cur}"],
                    [
                        "Victims' compensation: withheld or deducted wages",
                        f"{pr['compensation_total']} {cur}",
                    ],
                ],
                [110 * mm, 60 * mm],
            )
        )
        story.append(p("Confiscation method. " + pr["confiscation_method"], body))
        story.append(p("Compensation method. " + pr["compensation_method"], body))
        for note in pr["notes"]:
            story.append(p(note))
    else:
        story.append(p("No proceeds estimate was requested.", body))

    story.append(Paragraph("4. Source files and their SHA-256", styles["Heading2"]))
    story.append(
        table(
            [["File", "Kind", "Rows", "SHA-256"]]
            + [[s["file_name"], s["kind"], s["rows_read"], s["source_id"]] for s in pack.sources],
            [45 * mm, 20 * mm, 15 * mm, 100 * mm],
        )
    )
    SimpleDocTemplate(
        str(path),
        pagesize=A4,
        initialFontName=FONT,
        title=pack.title,
        author=pack.prepared_by,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
    ).build(story)
