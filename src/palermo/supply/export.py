"""The screening results and the supplier risk register as an XLSX workbook.

Two sheets: every screened order line (most severe first, each with its reasons and the
risk-list edition it was screened on) and one row per supplier (the highest level among
its lines, lines and spend per level, its evidence, open corrective actions, whether it
is on the exclusion list). Company and supplier names come from imported files: a name
typed as ``=HYPERLINK(…)`` must stay text, so every text cell is written with the string
type (a cell of that type is never a formula, as in the HTCDS XLSX export,
``stats.htcds_rows.write_htcds_xlsx``); numbers are written as numbers.

The caller checks the permission and audits the export (``services.screening_export``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    title: str  # at most 31 characters (an XLSX limit)
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as XLSX bytes. Text cells are typed as strings (never formulas);
    ``Decimal`` and ``int`` as numbers; ``None`` as an empty cell."""
    wb = openpyxl.Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])

        def cell(value: object, ws: Any = ws) -> Any:
            if value is None:
                return None
            if isinstance(value, bool):
                value = str(value)
            if isinstance(value, int | float | Decimal):
                return WriteOnlyCell(ws, value=value)
            text = WriteOnlyCell(ws, value=str(value))
            text.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
            return text

        ws.append([cell(h) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
