"""Reading an uploaded table (CSV or XLSX) row by row, with an error per row and field.

Every importer of the supply context reads through here: the header is checked first
(missing and unknown columns named), then each row is checked whole by the importer, so
one file gives every error at once. Nothing here writes.

Pure: no Django imports.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Generic, TypeVar

import pycountry

from palermo.core.spreadsheet import spreadsheet_unescape

MAX_ROWS = 100_000


def _(text: str) -> str:
    """Marks a row message for translation (the shell translates the template: ``gettext``)."""
    return text


@dataclass(frozen=True)
class RowError:
    """``template % params`` is the message; the shell translates the template first."""

    row: int  # file line (CSV) or sheet row (XLSX); 1 is the header
    field: str
    template: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return self.template % dict(self.params) if self.params else self.template


def p(**kw: object) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in kw.items())


T = TypeVar("T")


@dataclass
class Preview(Generic[T]):
    """What a file would import: its rows, and every error. ``ok`` means import all."""

    rows: list[T] = field(default_factory=list)
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large file is read or screened.

    Why: a million-line file builds millions of small tuples, and every 700 new ones the
    collector walks the young objects, now and then all of them: measured on a 100,000-line
    order file, building the screening keys took 30× longer with it on (issue 18). Nothing
    built here forms a cycle, so reference counting still frees everything; the collector
    resumes afterwards. Process-wide: another thread's cycles wait until then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """(line, cells) for every non-empty row; raises UnicodeDecodeError or a reader error."""
    if name.lower().endswith(".xlsx"):
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [
            (i, [_cell(v) for v in row])
            for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
        escaped = True
    else:
        text = data.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [(reader.line_num, row) for row in reader]
        # A text without an apostrophe has no escaped cell: one scan of the file saves a
        # call per cell (issue 18: a million-line order file).
        escaped = "'" in text
    out: list[tuple[int, list[str]]] = []
    for n, r in rows:
        cells = list(map(str.strip, r))
        if not any(cells):
            continue
        if escaped:
            cells = [str(spreadsheet_unescape(c)) for c in cells]
        out.append((n, cells))
    return out


def parse(
    data: bytes,
    name: str,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    check: Callable[[dict[str, str], int, list[RowError]], T | None],
    max_rows: int = MAX_ROWS,
    aliases: dict[str, str] | None = None,
    fast: Callable[[dict[str, int], int, list[tuple[int, list[str]]]], list[T | None]]
    | None = None,
) -> Preview[T]:
    """Check the header and every row; ``check`` returns the row's record or None (errors added).

    ``fast``, given the column positions, the header's width and the rows, checks the whole
    table at once and gives each row's record only when the row is certainly clean (else
    None). A row it does not accept goes through ``check``, which names every error, so
    both give the same preview (differential test: tests/supply/test_supply_fastpath.py)."""
    out: Preview[T] = Preview()
    try:
        table = read_table(data, name)
    except UnicodeDecodeError:
        out.errors.append(
            RowError(1, "", _("The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX."))
        )
        return out
    except Exception as exc:  # a broken XLSX or CSV: say so, import nothing
        out.errors.append(
            RowError(
                1,
                "",
                _("The file cannot be read as a spreadsheet (%(error)s)."),
                p(error=type(exc).__name__),
            )
        )
        return out
    if not table:
        out.errors.append(RowError(1, "", _("The file is empty.")))
        return out
    header_line, header = table[0]
    alias = aliases or {}
    names = [alias.get(h.strip().lower(), h.strip().lower()) for h in header]
    out.errors.extend(_header_errors(header_line, names, required, optional))
    if out.errors:
        return out
    if len(table) - 1 > max_rows:
        out.errors.append(
            RowError(header_line, "", _("At most %(n)s rows per file."), p(n=max_rows))
        )
        return out
    index = {n: i for i, n in enumerate(names) if n}
    body = table[1:]
    quick = fast(index, len(header), body) if fast is not None else [None] * len(body)
    if body and None not in quick:  # every row clean: nothing to name
        out.total_rows = len(body)
        out.rows = quick  # type: ignore[assignment]
        return out
    for (line, raw), record in zip(body, quick, strict=True):
        out.total_rows += 1
        if record is not None:
            out.rows.append(record)
            continue
        values = {c: (raw[i] if i < len(raw) else "") for c, i in index.items()}
        for c in (*required, *optional):
            values.setdefault(c, "")
        if len(raw) > len(header) and any(x.strip() for x in raw[len(header) :]):
            out.errors.append(RowError(line, "", _("This row has more cells than the header.")))
            continue
        record = check(values, line, out.errors)
        if record is not None:
            out.rows.append(record)
    if out.total_rows == 0:
        out.errors.append(RowError(header_line, "", _("The file has a header but no rows.")))
    return out


def _header_errors(
    line: int, names: list[str], required: Sequence[str], optional: Sequence[str]
) -> list[RowError]:
    errors = [RowError(line, c, _("This column is missing.")) for c in required if c not in names]
    errors += [
        RowError(line, h, _("Unknown column."))
        for h in names
        if h and h not in (*required, *optional)
    ]
    errors += [
        RowError(line, h, _("This column appears twice."))
        for h in sorted({h for h in names if h and names.count(h) > 1})
    ]
    return errors


# --- cell checks shared by the importers ------------------------------------------------


# User-assigned ISO 3166-1 codes (XA–XZ are reserved for private use), named here for the
# fictional countries of the demo data and the tests: a demo never says a real country's
# goods are made with forced labour. No official list uses them.
FICTIONAL_COUNTRIES: dict[str, str] = {
    "XA": "Arland (fictional)",
    "XB": "Borvia (fictional)",
    "XC": "Cestria (fictional)",
    "XD": "Dunmark (fictional)",
}


# XK (Kosovo) is user-assigned too but widely used, as the case file accepts it.
OTHER_CODES: dict[str, str] = {"XK": "Kosovo"}


@cache
def countries() -> frozenset[str]:
    return (
        frozenset(c.alpha_2 for c in pycountry.countries)
        | frozenset(FICTIONAL_COUNTRIES)
        | frozenset(OTHER_CODES)
    )


def country_name(code: str) -> str:
    known = pycountry.countries.get(alpha_2=code) if code else None
    return known.name if known else FICTIONAL_COUNTRIES.get(code, OTHER_CODES.get(code, ""))


def country(value: str, line: int, name: str, errors: list[RowError], *, required: bool) -> str:
    """An ISO 3166-1 alpha-2 code (upper case), or "" with an error added."""
    code = value.strip().upper()
    if not code:
        if required:
            errors.append(RowError(line, name, _("A country is required (ISO 3166-1 code).")))
        return ""
    if code in countries():
        return code
    errors.append(
        RowError(
            line,
            name,
            _("Unknown country %(value)s: use a two-letter ISO 3166-1 code."),
            p(value=repr(value[:20])),
        )
    )
    return ""


def amount(
    value: str, line: int, name: str, errors: list[RowError], *, required: bool
) -> Decimal | None:
    """A non-negative amount with at most two decimals."""
    text = value.strip().replace(",", "")
    if not text:
        if required:
            errors.append(RowError(line, name, _("An amount is required.")))
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.append(
            RowError(line, name, _("Not a number: %(value)s."), p(value=repr(value[:20])))
        )
        return None
    if not number.is_finite():
        errors.append(
            RowError(line, name, _("Not a number: %(value)s."), p(value=repr(value[:20])))
        )
        return None
    if number < 0:
        errors.append(RowError(line, name, _("An amount cannot be negative.")))
        return None
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append(RowError(line, name, _("At most two decimals.")))
        return None
    if number >= Decimal("1e13"):
        errors.append(RowError(line, name, _("This amount is too large.")))
        return None
    return number


def text(
    value: str, line: int, name: str, errors: list[RowError], *, limit: int, required: bool
) -> str:
    value = value.strip()
    if required and not value:
        errors.append(RowError(line, name, _("Required.")))
    if len(value) > limit:
        errors.append(RowError(line, name, _("At most %(n)s characters."), p(n=limit)))
    return value


def codes(
    value: str, line: int, name: str, errors: list[RowError], allowed: Iterable[str]
) -> tuple[str, ...]:
    """A list separated by ``;`` or ``|`` of known codes (sorted, without repeats)."""
    allowed_set = set(allowed)
    found: set[str] = set()
    for part in value.replace("|", ";").split(";"):
        code = part.strip().lower()
        if not code:
            continue
        if code not in allowed_set:
            errors.append(
                RowError(
                    line,
                    name,
                    _("Unknown value %(value)s; use any of: %(values)s."),
                    p(value=repr(code[:30]), values=", ".join(sorted(allowed_set))),
                )
            )
            continue
        found.add(code)
    return tuple(sorted(found))
