"""HTCDS 2.0 records in CSV and XLSX: reading, row validation, writing, identity.

A record is a ``dict`` from HTCDS field name (``prs_Gender``) to its normalised,
non-empty text value; empty fields are absent. Validation never raises on bad
data: it returns every problem as a :class:`RowError` naming the file line, the
field, the value as written and what is wrong, so that an import can show all
of them and import nothing (DESIGN principle 5).

Normalised forms: dates ``YYYY-MM-DD``; checkboxes ``true``/``false``; phones
E.164 with ``+``; multi-select values joined with ``;`` (the Salesforce
convention HTCDS is modelled on) in the order written, duplicates dropped;
numbers without trailing ``.0``.

Pure: no Django imports.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO, Literal, TextIO

import openpyxl
import phonenumbers
import pycountry
from openpyxl.cell import WriteOnlyCell

from palermo.core.limits import (
    DEFAULT_LIMITS,
    ImportLimits,
    LimitExceeded,
    RowGuard,
    check_size,
    check_zip,
)
from palermo.core.spreadsheet import spreadsheet_safe, spreadsheet_unescape
from palermo.stats.htcds_spec import HtcdsField, HtcdsSpec, load_spec

HtcdsRecord = dict[str, str]
FileFormat = Literal["csv", "xlsx", "json"]
Source = Path | str | bytes | BinaryIO
Layout = Literal["flat", "spreadsheet"]

HEADER_LINE = 1


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a row (or, with ``row == 1``, the header) cannot be imported."""

    row: int  # line in the file (CSV physical line where the record starts, XLSX row, JSON index)
    field: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class SourceRow:
    line: int
    cells: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and data rows, before any HTCDS interpretation."""

    header: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    format: FileFormat
    header_line: int = HEADER_LINE


@dataclass(frozen=True, slots=True)
class ValidatedRecord:
    row: int
    values: HtcdsRecord
    identity_key: str


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import would do: the valid records and every rejected row with its reasons.

    The caller imports ``records`` only when ``ok``: imports are all-or-nothing.
    """

    format: FileFormat
    columns: tuple[str, ...]
    records: tuple[ValidatedRecord, ...]
    errors: tuple[RowError, ...]
    rows_read: int
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_rows(self) -> tuple[int, ...]:
        return tuple(sorted({e.row for e in self.errors}))

    def report(self) -> str:
        """A plain-text report: counts, then one line per error."""
        lines = [
            f"{self.rows_read} row(s) read, {len(self.records)} valid, "
            f"{len(self.rejected_rows)} rejected ({len(self.errors)} error(s)).",
        ]
        lines += [f"note: {n}" for n in self.notes]
        for e in self.errors:
            shown = e.value if len(e.value) <= 60 else e.value[:57] + "..."
            lines.append(f"row {e.row}: {e.field}: {shown!r}: {e.message}")
        if not self.ok:
            lines.append("Nothing was imported: correct the rows above and import the file again.")
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading


def detect_format(name: str) -> FileFormat:
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    raise ValueError(f"cannot tell the format of {name!r}: use .csv, .xlsx or .json")


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def _delimiter(text: str) -> str:
    # KoboToolbox writes ";"-separated CSV by default, spreadsheets often ","
    # or tabs: the header line decides, as field names hold none of these.
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv_table(data: bytes, limits: ImportLimits = DEFAULT_LIMITS) -> Table:
    """Rows with the physical line each starts on (quoted fields may span lines).

    Raises :class:`~palermo.core.limits.LimitExceeded` past ``limits.max_rows`` data rows
    or on a cell longer than ``limits.max_cell_chars``.
    """
    check_size(len(data), limits)
    guard = RowGuard(limits)
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: tuple[str, ...] = ()
    header_line = HEADER_LINE
    rows: list[SourceRow] = []
    previous_end = 0
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not header:
            if not any(c.strip() for c in cells):
                continue
            guard.row(start, cells)
            header = tuple(c.strip() for c in cells)
            header_line = start
            guard.rows = 0
            continue
        if not any(c.strip() for c in cells):
            continue
        guard.row(start, cells, header)
        rows.append(SourceRow(start, tuple(cells)))
    if not header:
        return Table((), (), "csv")
    return Table(header, tuple(rows), "csv", header_line)


def read_xlsx_table(data: bytes, limits: ImportLimits = DEFAULT_LIMITS) -> Table:
    """The first worksheet, streamed (openpyxl read-only); row numbers are the sheet's own.

    The workbook is judged on its zip directory before it is opened (``check_zip``: declared
    unpacked size, compression ratio), then rows and cells are bounded while streaming.
    """
    check_size(len(data), limits)
    try:
        check_zip(data, limits)
    except LimitExceeded as exc:
        if (
            exc.code == "not_a_zip"
        ):  # an unreadable file, not one over a limit: reported as a row error
            raise ValueError("not an XLSX workbook (not a zip archive)") from exc
        raise
    guard = RowGuard(limits)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        header: tuple[str, ...] = ()
        header_line = HEADER_LINE
        rows: list[SourceRow] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if not header:
                RowGuard(limits).row(number, values)
                header = tuple("" if v is None else str(v).strip() for v in values)
                header_line = number
                continue
            guard.row(number, values, header)
            rows.append(SourceRow(number, tuple(values)))
    finally:
        wb.close()
    return Table(header, tuple(rows), "xlsx", header_line)


def read_table(
    source: Source,
    fmt: FileFormat | None = None,
    *,
    name: str = "",
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`. ``fmt`` defaults from ``name``/path."""
    if fmt is None:
        fmt = detect_format(name or (str(source) if isinstance(source, str | Path) else ""))
    data = _read_bytes(source)
    if fmt == "csv":
        return read_csv_table(data, limits)
    if fmt == "xlsx":
        return read_xlsx_table(data, limits)
    raise ValueError(f"{fmt} is not a table format")


# --------------------------------------------------------------------------- values


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# XK (Kosovo) is user-assigned, not in ISO 3166-1, but used by the EU, IOM and CTDC; the
# case file accepts it, so an HTCDS file must too or exported cases could not come back.
_COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}


def cell_text(raw: object) -> str:
    """A cell as text: XLSX gives ints, floats, dates and booleans; CSV gives text."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, datetime):
        if raw.time() == time(0, 0):
            return raw.date().isoformat()
        return raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return unicodedata.normalize("NFC", str(raw)).strip()


def _check_country(code: str) -> str | None:
    if code in _COUNTRY_CODES:
        return None
    if code.upper() in _COUNTRY_CODES:
        return f"country codes are upper case: {code.upper()}"
    return "not an ISO 3166-1 alpha-2 country code"


def _check_language(code: str) -> str | None:
    low = code.lower()
    if len(low) == 3 and (
        pycountry.languages.get(alpha_3=low) or pycountry.languages.get(bibliographic=low)
    ):
        return None
    if len(low) == 2 and pycountry.languages.get(alpha_2=low):
        return None
    return "not an ISO 639 language code"


def _check_picklist(f: HtcdsField, item: str) -> str | None:
    if item in f.value_names:
        return None
    for v in f.values:
        if item.casefold() in (v.name.casefold(), v.label.casefold()):
            return f"not a value name of {f.name}; did you mean {v.name!r}?"
    return f"not a value of {f.name} (allowed: {', '.join(sorted(f.value_names))})"


def _normalise_item(f: HtcdsField, item: str) -> tuple[str, str | None]:
    if f.value_source == "picklist":
        return item, _check_picklist(f, item)
    if f.value_source == "iso3166_alpha2":
        return item, _check_country(item)
    if f.value_source == "iso639":
        return item.lower(), _check_language(item)
    return item, None


def normalise_phone(text: str) -> tuple[str, str | None]:
    # IOM's note allows the leading "+" to be omitted (^\+?[1-9]\d{1,14}$); the
    # number is still read as international, and written back with "+".
    compact = re.sub(r"[\s\-().]", "", text)
    if not re.fullmatch(r"\+?[1-9]\d{1,14}", compact):
        return text, "not an E.164 number (+, country code, subscriber number; at most 15 digits)"
    candidate = compact if compact.startswith("+") else "+" + compact
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return text, "not an E.164 number"
    if not phonenumbers.is_valid_number(number):
        return text, "not a valid phone number for its country code"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalise_value(f: HtcdsField, raw: object, *, separator: str = ";") -> tuple[str, list[str]]:
    """The normalised text of one field, and the problems with it (empty when valid)."""
    if f.is_checkbox and isinstance(raw, bool | int) and raw in (0, 1):
        return ("true" if raw else "false"), []
    if f.is_date and isinstance(raw, datetime) and raw.time() != time(0, 0):
        return raw.isoformat(), ["a date without a time of day is expected"]
    text = cell_text(raw)
    if not text:
        return "", []
    if f.is_date:
        if not _DATE_RE.match(text):
            return text, ["not an ISO 8601 date (YYYY-MM-DD)"]
        try:
            date.fromisoformat(text)
        except ValueError:
            return text, ["not a calendar date"]
        return text, []
    if f.is_checkbox:
        low = text.lower()
        if low in ("true", "1"):
            return "true", []
        if low in ("false", "0"):
            return "false", []
        return text, ["a checkbox takes true or false"]
    if f.is_phone:
        value, problem = normalise_phone(text)
        return value, [problem] if problem else []
    if f.is_number:
        return _normalise_number(f, text)
    if f.base_name == "Email" and not _EMAIL_RE.match(text):
        return text, ["not an e-mail address"]
    if f.multiple:
        items: list[str] = []
        problems: list[str] = []
        for part in text.split(separator):
            item = part.strip()
            if not item:
                continue
            item, problem = _normalise_item(f, item)
            if problem:
                problems.append(f"{item!r}: {problem}")
            elif item not in items:
                items.append(item)
        if problems:
            return text, problems
        return ";".join(items), []
    if f.value_source is not None:
        value, problem = _normalise_item(f, text)
        return value, [problem] if problem else []
    return text, []


def _normalise_number(f: HtcdsField, text: str) -> tuple[str, list[str]]:
    try:
        number = float(text)
    except ValueError:
        return text, ["not a number"]
    if math.isnan(number) or number in (float("inf"), float("-inf")):
        return text, ["not a number"]
    if f.base_name.endswith("Latitude"):
        if not -90 <= number <= 90:
            return text, ["a latitude lies between -90 and 90"]
        return repr(number).removesuffix(".0"), []
    if f.base_name.endswith("Longitude"):
        if not -180 <= number <= 180:
            return text, ["a longitude lies between -180 and 180"]
        return repr(number).removesuffix(".0"), []
    # The remaining HTCDS numbers are counts and ages: whole and not negative.
    if not number.is_integer() or number < 0:
        return text, ["a whole number of 0 or more is expected"]
    if f.base_name.startswith("Age") and number > 130:
        return text, ["not a plausible age"]
    return str(int(number)), []


def validate_record(
    row: int, cells: Mapping[str, object], spec: HtcdsSpec | None = None
) -> tuple[HtcdsRecord, list[RowError]]:
    """Normalise one record's fields; unknown field names are errors."""
    spec = spec or load_spec()
    record: HtcdsRecord = {}
    errors: list[RowError] = []
    for name, raw in cells.items():
        f = spec.get(name)
        if f is None:
            errors.append(RowError(row, name, cell_text(raw), "not an HTCDS 2.0 field"))
            continue
        value, problems = normalise_value(f, raw, separator=spec.multiselect_separator)
        errors.extend(RowError(row, name, cell_text(raw), p) for p in problems)
        if value and not problems:
            record[name] = value
    return record, errors


# --------------------------------------------------------------------------- identity


# Fields that identify the person and the referral. Two rows agreeing on all of
# them are the same case, even if other fields were corrected in between.
IDENTITY_FIELDS = (
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Citizenship",
    "cas_ReferringOrganisation",
    "cas_IncomingReferralDate",
)
_PERSON_FIELDS = ("prs_FirstName", "prs_SecondName", "prs_Birthdate")


def _canonical(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def record_identity_key(record: Mapping[str, str], *, secret: bytes | None = None) -> str:
    """A deterministic key for de-duplication on re-import.

    SHA-256 (HMAC-SHA-256 when ``secret`` is given, which stops anyone holding
    only the key from testing guessed names) over the canonical JSON of the
    :data:`IDENTITY_FIELDS` — case-folded, NFKC, whitespace collapsed,
    citizenship codes sorted. A record that names no person (no first name,
    second name or birthdate, as in anonymous hotline records) is keyed on all
    of its fields instead, so distinct anonymous records do not collide.
    """
    if any(record.get(f) for f in _PERSON_FIELDS):
        keyed = {f: record.get(f, "") for f in IDENTITY_FIELDS}
        if keyed["prs_Citizenship"]:
            keyed["prs_Citizenship"] = ";".join(sorted(keyed["prs_Citizenship"].split(";")))
        basis = "identity"
    else:
        keyed = dict(record)
        basis = "record"
    payload = json.dumps(
        {"basis": basis, "fields": {k: _canonical(v) for k, v in sorted(keyed.items())}},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    if secret is not None:
        return "hmac-sha256:" + hmac.new(secret, payload, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


# --------------------------------------------------------------------------- files


def _resolve_header(
    table: Table, spec: HtcdsSpec
) -> tuple[list[str | None], list[RowError], set[int], list[str]]:
    """Map each column to a field (or None to ignore); report bad columns.

    IOM's own template has a label row under the names, a row-number column
    with no header, one misspelt name and one column whose name is missing;
    all of these are accepted so the published template imports as it is.
    """
    errors: list[RowError] = []
    notes: list[str] = []
    skip_lines: set[int] = set()
    labels = {f.label: f.name for f in spec.fields if f.name in spec.flat_layout}
    label_row: tuple[object, ...] | None = None
    if table.rows:
        first = [cell_text(c) for c in table.rows[0].cells]
        filled = [c for c in first if c]
        if filled and sum(c in labels for c in filled) * 2 >= len(filled):
            label_row = table.rows[0].cells
            skip_lines.add(table.rows[0].line)
            notes.append(f"row {table.rows[0].line} holds field labels and was skipped")
    columns: list[str | None] = []
    seen: dict[str, int] = {}
    flat = set(spec.flat_layout)
    for index, name in enumerate(table.header):
        name = spec.aliases.get(name, name)
        if not name:
            label = cell_text(label_row[index]) if label_row and index < len(label_row) else ""
            if label in labels:
                name = labels[label]
            else:
                columns.append(None)  # checked below: must hold no data but row numbers
                continue
        if name in seen:
            errors.append(
                RowError(
                    table.header_line, name, name, f"column repeated (also column {seen[name] + 1})"
                )
            )
            columns.append(None)
            continue
        seen[name] = index
        f = spec.get(name)
        if f is None:
            errors.append(RowError(table.header_line, name, name, "not an HTCDS 2.0 field name"))
            columns.append(None)
        elif name not in flat:
            errors.append(
                RowError(
                    table.header_line,
                    name,
                    name,
                    f"{f.table} field: not part of the one-row-per-case layout",
                )
            )
            columns.append(None)
        else:
            columns.append(name)
    return columns, errors, skip_lines, notes


def _unnamed_column_errors(
    table: Table, columns: Sequence[str | None], skip: set[int]
) -> list[RowError]:
    errors = []
    for index, (name, col) in enumerate(zip(table.header, columns, strict=False)):
        if name or col is not None:
            continue
        values = [
            cell_text(r.cells[index]) if index < len(r.cells) else ""
            for r in table.rows
            if r.line not in skip
        ]
        filled = [v for v in values if v]
        if not filled or all(v.isdigit() for v in filled):
            continue  # an empty column, or the template's row numbers
        errors.append(
            RowError(
                table.header_line, f"column {index + 1}", "", "column with data but no field name"
            )
        )
    return errors


def validate_table(
    table: Table, *, spec: HtcdsSpec | None = None, secret: bytes | None = None
) -> ImportPreview:
    """Validate every row of an HTCDS table; rows with no value at all are skipped."""
    spec = spec or load_spec()
    if not table.header:
        return ImportPreview(
            table.format, (), (), (RowError(HEADER_LINE, "", "", "the file is empty"),), 0
        )
    columns, errors, skip, notes = _resolve_header(table, spec)
    errors += _unnamed_column_errors(table, columns, skip)
    records: list[ValidatedRecord] = []
    first_row_of_key: dict[str, int] = {}
    rows_read = 0
    for row in table.rows:
        if row.line in skip:
            continue
        # A neutralised export ("'=…", see core/spreadsheet.py) reads back as what was exported.
        cells = {
            col: spreadsheet_unescape(row.cells[i]) if i < len(row.cells) else None
            for i, col in enumerate(columns)
            if col is not None
        }
        if not any(cell_text(v) for v in cells.values()):
            continue  # the template's pre-numbered empty rows
        rows_read += 1
        if len(row.cells) > len(table.header) and any(
            cell_text(c) for c in row.cells[len(table.header) :]
        ):
            errors.append(RowError(row.line, "", "", "more cells than header columns"))
        record, row_errors = validate_record(row.line, cells, spec)
        errors += row_errors
        if row_errors:
            continue
        key = record_identity_key(record, secret=secret)
        if key in first_row_of_key:
            errors.append(
                RowError(
                    row.line, "", "", f"same person and referral as row {first_row_of_key[key]}"
                )
            )
            continue
        first_row_of_key[key] = row.line
        records.append(ValidatedRecord(row.line, record, key))
    present = tuple(c for c in columns if c is not None)
    return ImportPreview(
        table.format, present, tuple(records), tuple(errors), rows_read, tuple(notes)
    )


def preview_htcds_file(
    source: Source,
    fmt: FileFormat | None = None,
    *,
    name: str = "",
    spec: HtcdsSpec | None = None,
    secret: bytes | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportPreview:
    """Read and validate an HTCDS CSV or XLSX file; nothing is written anywhere.

    A file over ``limits`` raises :class:`~palermo.core.limits.LimitExceeded` (the caller
    refuses the whole file), as soon as that is known.
    """
    try:
        table = read_table(source, fmt, name=name, limits=limits)
    except LimitExceeded:
        raise
    except (ValueError, UnicodeDecodeError, OSError, KeyError) as exc:
        # A file that cannot be read at all is one error on its first line.
        fmt_name: FileFormat = fmt or "csv"
        return ImportPreview(
            fmt_name, (), (), (RowError(HEADER_LINE, "", "", f"cannot read the file: {exc}"),), 0
        )
    except Exception as exc:
        return ImportPreview(
            fmt or "xlsx",
            (),
            (),
            (RowError(HEADER_LINE, "", "", f"cannot read the file: {exc}"),),
            0,
        )
    return validate_table(table, spec=spec, secret=secret)


def _layout(spec: HtcdsSpec, layout: Layout) -> tuple[str, ...]:
    return spec.flat_layout if layout == "flat" else spec.spreadsheet_layout


def _check_records(
    records: Iterable[Mapping[str, str]], columns: Sequence[str]
) -> Iterator[Mapping[str, str]]:
    allowed = set(columns)
    for record in records:
        extra = set(record) - allowed
        if extra:
            raise ValueError(f"fields outside the layout: {sorted(extra)}")
        yield record


def write_htcds_csv(
    records: Iterable[Mapping[str, str]],
    out: Path | TextIO,
    *,
    layout: Layout = "flat",
    spec: HtcdsSpec | None = None,
    exact: bool = False,
) -> int:
    """Write records with exactly the HTCDS field names as the header; returns the row count.

    By default a text cell a spreadsheet would run as a formula (``=…``, ``@…``, ``-1+2``)
    is written with a leading apostrophe (``core.spreadsheet.spreadsheet_safe``; plain
    numbers such as E.164 phones are left alone). Palermo's importer takes the apostrophe
    off again, so such a file still round-trips through Palermo. ``exact=True`` writes
    every value as it is, for other software: never open that file in a spreadsheet.
    """
    spec = spec or load_spec()
    columns = _layout(spec, layout)
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8", newline="") as fh:
            return write_htcds_csv(records, fh, layout=layout, spec=spec, exact=exact)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in _check_records(records, columns):
        row = [record.get(c, "") for c in columns]
        writer.writerow(row if exact else [spreadsheet_safe(v) for v in row])
        count += 1
    return count


def write_htcds_xlsx(
    records: Iterable[Mapping[str, str]],
    out: Path | BinaryIO,
    *,
    layout: Layout = "flat",
    spec: HtcdsSpec | None = None,
) -> int:
    """Write an XLSX workbook (one sheet, names in row 1); every cell is stored as text.

    Text cells stop a spreadsheet from reading ``+44…`` as a number or ``=…``
    as a formula, and keep the values byte-for-byte for re-import.
    """
    spec = spec or load_spec()
    columns = _layout(spec, layout)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("HTCDS")

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would otherwise turn "=…" into a formula
        return cell

    ws.append([text_cell(c) for c in columns])
    count = 0
    for record in _check_records(records, columns):
        ws.append([text_cell(record.get(c, "")) if record.get(c) else None for c in columns])
        count += 1
    about = wb.create_sheet("About")
    about.append([spec.attribution])
    wb.save(out)
    return count
