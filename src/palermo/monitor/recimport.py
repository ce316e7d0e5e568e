"""Reading a recommendations file (CSV or XLSX): every row checked, every error reported.

Columns (header row, any order, case-insensitive): ``source_body``, ``report``,
``paragraph``, ``issued_on`` (ISO 8601), ``thematic_area``, ``addressee``, ``text``,
and optionally ``due_on`` (ISO 8601) and ``response`` (a key: rows sharing one key are
answered by one national response — the de-duplication across monitors).

Nothing here writes: ``preview`` returns the rows and their errors; the shell imports
all of them or none. Pure: no Django imports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from palermo.monitor.vocabulary import SOURCE_BODIES, THEMATIC_AREAS

REQUIRED = ("source_body", "report", "paragraph", "issued_on", "thematic_area", "addressee", "text")
OPTIONAL = ("due_on", "response")
LIMITS = {
    "report": 200,
    "paragraph": 40,
    "addressee": 200,
    "text": 5000,
    "response": 60,
    "source_body": 40,
    "thematic_area": 40,
}
MAX_ROWS = 5000


def _(text: str) -> str:
    """Marks a row message for translation (the shell translates the template: ``gettext``)."""
    return text


@dataclass(frozen=True)
class RowError:
    """``template % params`` is the message: the shell translates the template (gettext) and
    then fills it in, so a message reads in the user's language without Django here."""

    row: int  # file line (CSV) or sheet row (XLSX); 1 is the header
    field: str
    template: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return self.template % dict(self.params) if self.params else self.template


def _p(**kw: object) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in kw.items())


@dataclass(frozen=True)
class RecommendationRow:
    row: int
    source_body: str
    report: str
    paragraph: str
    issued_on: date
    thematic_area: str
    addressee: str
    text: str
    due_on: date | None
    response: str

    @property
    def key(self) -> tuple[str, str, str]:
        """One recommendation of one report of one monitor: imported at most once."""
        return (self.source_body, self.report.casefold(), self.paragraph.casefold())


@dataclass
class Preview:
    rows: list[RecommendationRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def errors_by_row(self) -> dict[int, list[RowError]]:
        out: dict[int, list[RowError]] = {}
        for e in self.errors:
            out.setdefault(e.row, []).append(e)
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # XLSX date cells come as datetimes at midnight; a time of day is kept, and refused as a date.
        return (
            value.date().isoformat()
            if not (value.hour or value.minute or value.second)
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _table(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    if name.lower().endswith(".xlsx"):
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        return [
            (i, [_cell(v) for v in row])
            for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(reader.line_num, row) for row in reader]


def _date(
    value: str, row: int, name: str, errors: list[RowError], *, required: bool
) -> date | None:
    if not value:
        if required:
            errors.append(RowError(row, name, _("A date is required (YYYY-MM-DD).")))
        return None
    try:
        if len(value) != 10:  # a date and nothing else: no time of day, no week or ordinal forms
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors.append(
            RowError(
                row,
                name,
                _("Not a date in the form YYYY-MM-DD: %(value)s."),
                _p(value=repr(value[:20])),
            )
        )
        return None


def preview(
    data: bytes, name: str, *, existing: AbstractSet[tuple[str, str, str]] = frozenset()
) -> Preview:
    """Check every row. ``existing``: keys already in the register (refused as duplicates)."""
    out = Preview()
    try:
        table = _table(data, name)
    except UnicodeDecodeError:
        out.errors.append(
            RowError(1, "", _("The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX."))
        )
        return out
    except Exception as exc:
        out.errors.append(
            RowError(
                1,
                "",
                _("The file cannot be read as a spreadsheet (%(error)s)."),
                _p(error=type(exc).__name__),
            )
        )
        return out
    table = [(n, r) for n, r in table if any(c.strip() for c in r)]
    if not table:
        out.errors.append(RowError(1, "", _("The file is empty.")))
        return out
    header_line, header = table[0]
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    for c in missing:
        out.errors.append(RowError(header_line, c, _("This column is missing.")))
    unknown = [h for h in names if h and h not in REQUIRED + OPTIONAL]
    for h in unknown:
        out.errors.append(RowError(header_line, h, _("Unknown column.")))
    if missing:
        return out
    if len(table) - 1 > MAX_ROWS:
        out.errors.append(
            RowError(header_line, "", _("At most %(n)s rows per file."), _p(n=MAX_ROWS))
        )
        return out
    index = {n: i for i, n in enumerate(names)}
    seen: dict[tuple[str, str, str], int] = {}
    for line, raw in table[1:]:
        out.total_rows += 1

        def get(col: str, raw: list[str] = raw) -> str:
            i = index.get(col)
            return raw[i].strip() if i is not None and i < len(raw) else ""

        values = {c: get(c) for c in REQUIRED + OPTIONAL}
        rec, errs = check_values(values, line, existing=existing, seen=seen)
        if rec is not None:
            out.rows.append(rec)
        out.errors.extend(errs)
    if out.total_rows == 0:
        out.errors.append(
            RowError(header_line, "", _("The file has a header but no recommendations."))
        )
    return out


def check_values(
    values: dict[str, str],
    line: int,
    *,
    existing: AbstractSet[tuple[str, str, str]] = frozenset(),
    seen: dict[tuple[str, str, str], int] | None = None,
) -> tuple[RecommendationRow | None, list[RowError]]:
    """One recommendation's values (a file row, or a form typed on the web) checked whole:
    the row, or None and every error."""
    seen = {} if seen is None else seen
    values = {c: (values.get(c) or "").strip() for c in REQUIRED + OPTIONAL}
    errs: list[RowError] = []
    for c in REQUIRED:
        if not values[c] and c not in ("issued_on",):
            errs.append(RowError(line, c, _("Required.")))
    for c, limit in LIMITS.items():
        if len(values[c]) > limit:
            errs.append(RowError(line, c, _("At most %(n)s characters."), _p(n=limit)))
    body = values["source_body"].lower()
    if values["source_body"] and body not in SOURCE_BODIES:
        errs.append(
            RowError(
                line,
                "source_body",
                _("Unknown monitoring body; use one of: %(values)s."),
                _p(values=", ".join(SOURCE_BODIES)),
            )
        )
    area = values["thematic_area"].lower()
    if values["thematic_area"] and area not in THEMATIC_AREAS:
        errs.append(
            RowError(
                line,
                "thematic_area",
                _("Unknown thematic area; use one of: %(values)s."),
                _p(values=", ".join(THEMATIC_AREAS)),
            )
        )
    issued = _date(values["issued_on"], line, "issued_on", errs, required=True)
    due = _date(values["due_on"], line, "due_on", errs, required=False)
    if issued and due and due < issued:
        errs.append(
            RowError(
                line, "due_on", _("The due date is before the date the recommendation was issued.")
            )
        )
    if not errs and issued is not None:
        rec = RecommendationRow(
            line,
            body,
            values["report"],
            values["paragraph"],
            issued,
            area,
            values["addressee"],
            values["text"],
            due,
            values["response"],
        )
        if rec.key in existing:
            errs.append(
                RowError(
                    line,
                    "paragraph",
                    _("This recommendation (body, report, paragraph) is already in the register."),
                )
            )
        elif rec.key in seen:
            errs.append(
                RowError(
                    line,
                    "paragraph",
                    _("The same recommendation as row %(row)s."),
                    _p(row=seen[rec.key]),
                )
            )
        else:
            seen[rec.key] = line
            return rec, errs
    return None, errs
