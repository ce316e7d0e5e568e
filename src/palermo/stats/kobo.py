"""Submissions from ODK Collect and KoboToolbox, collected with IOM's HTCDS XLSForm.

Exports come as CSV (KoboToolbox's default ``;`` separator, or ``,``), XLSX
or JSON (KoboToolbox API ``{"results": [...]}``, ODK Central OData
``{"value": [...]}``, or a bare list). Column names are the form's question
names, possibly behind group paths (``group_a/prs_Gender`` from KoboToolbox,
``group_a-prs_Gender`` from ODK Central, nested objects in OData JSON). The
form's question names differ slightly from HTCDS field names
(``prs_First_Name`` for ``prs_FirstName``); the mapping comes from the spec
data, built from the form itself.

Each submission becomes an HTCDS record and goes through the same validation
as an HTCDS file (:func:`palermo.stats.htcds_rows.validate_record`). Its
identity key is the submission's instance ID (``meta/instanceID``, ``_uuid``,
``__id`` or ``KEY``), which ODK and KoboToolbox keep stable across exports, so
re-importing an export creates no duplicates.

Pure: no Django imports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from palermo.core.limits import DEFAULT_LIMITS, ImportLimits, LimitExceeded, RowGuard, check_size
from palermo.stats.htcds_rows import (
    HEADER_LINE,
    FileFormat,
    ImportPreview,
    RowError,
    Source,
    Table,
    ValidatedRecord,
    _read_bytes,
    cell_text,
    detect_format,
    read_table,
    record_identity_key,
    validate_record,
)
from palermo.stats.htcds_spec import HtcdsSpec, XlsFormQuestion, load_spec

# Columns ODK and KoboToolbox add around the answers. They carry no HTCDS data.
META_COLUMNS = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "phonenumber",
        "username",
        "simserial",
        "subscriberid",
        "audit",
        "instanceID",
        "instanceName",
        "deprecatedID",
        "uuid",
        "version",
        "KEY",
        "SubmissionDate",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    }
)
META_PREFIXES = ("_", "meta/", "meta-", "formhub/", "formhub-", "__system")
INSTANCE_ID_COLUMNS = ("meta/instanceID", "meta-instanceID", "instanceID", "_uuid", "__id", "KEY")


@dataclass(frozen=True, slots=True)
class ColumnRole:
    kind: str  # "answer", "choice", "meta", "unknown"
    question: XlsFormQuestion | None = None
    choice: str | None = None


def _segments(path: str) -> list[str]:
    # Group separators: "/" (KoboToolbox, XML paths), "-" (ODK Central CSV), "." (pandas-style flattening).
    out = [path]
    for sep in ("/", "-", "."):
        if sep in path:
            out.append(path.rsplit(sep, 1)[1])
    return out


def classify_column(path: str, spec: HtcdsSpec) -> ColumnRole:
    """What a column of an export holds: an answer, one choice of a multiple select, metadata, or unknown."""
    form = spec.xlsform
    if path in META_COLUMNS or path.startswith(META_PREFIXES):
        return ColumnRole("meta")
    for candidate in _segments(path):
        q = form.question(candidate)
        if q is not None:
            if q.field is None:
                return ColumnRole("meta", q)
            return ColumnRole("answer", q)
        if candidate in META_COLUMNS:
            return ColumnRole("meta")
    # KoboToolbox's "separate columns for multiple select" option: question/choice.
    for sep in ("/", "-", "."):
        if sep in path:
            parent, choice = path.rsplit(sep, 1)
            for candidate in _segments(parent):
                q = form.question(candidate)
                if q is not None and q.type == "select_multiple":
                    return ColumnRole("choice", q, choice)
    return ColumnRole("unknown")


_TRUE = frozenset({"1", "true", "yes"})


def _instance_id(cells: Mapping[str, object]) -> str:
    for column in INSTANCE_ID_COLUMNS:
        text = cell_text(cells.get(column))
        if text:
            return text
    for column, value in cells.items():  # a group-prefixed meta/instanceID
        if column.endswith(("/instanceID", "-instanceID")) and cell_text(value):
            return cell_text(value)
    return ""


def submission_to_record(
    line: int, cells: Mapping[str, object], spec: HtcdsSpec, *, ignore_unknown: bool = False
) -> tuple[dict[str, object], list[RowError]]:
    """Map one submission's columns to HTCDS fields (values not yet validated)."""
    values: dict[str, object] = {}
    choices: dict[str, list[str]] = {}
    errors: list[RowError] = []
    labels_of: dict[str, dict[str, str]] = {
        name: {v.label.casefold(): v.name for v in vals}
        for name, vals in spec.xlsform.choices.items()
    }
    for column, raw in cells.items():
        role = classify_column(column, spec)
        if role.kind == "meta":
            continue
        if role.kind == "unknown":
            if not ignore_unknown and cell_text(raw):
                errors.append(
                    RowError(line, column, cell_text(raw), "not a question of the HTCDS XLSForm")
                )
            continue
        q = role.question
        assert q is not None and q.field is not None
        f = spec.field(q.field)
        if role.kind == "choice":
            if cell_text(raw).lower() in _TRUE and role.choice:
                choices.setdefault(q.field, []).append(role.choice)
            continue
        text = cell_text(raw)
        if not text:
            continue
        if q.type == "select_multiple":
            items = text.split()
            if not f.multiple and len(items) > 1:
                errors.append(RowError(line, column, text, f"{f.name} takes one value in HTCDS"))
                continue
            values[q.field] = spec.multiselect_separator.join(items)
        elif q.type == "select_one" and q.list_name:
            names = {v.name for v in spec.xlsform.choices[q.list_name]}
            if text not in names and text.casefold() in labels_of[q.list_name]:
                errors.append(
                    RowError(
                        line,
                        column,
                        text,
                        "a choice label, not its name: export with XML values and headers",
                    )
                )
                continue
            values[q.field] = text
        else:
            values[q.field] = raw
    for name, picked in choices.items():
        if name not in values:
            values[name] = spec.multiselect_separator.join(picked)
    return values, errors


def _flatten(obj: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in obj.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, path))
        elif isinstance(value, list) and key not in (
            "_attachments",
            "_geolocation",
            "_tags",
            "_notes",
            "_validation_status",
        ):
            out[path] = " ".join(str(v) for v in value)  # a multiple select given as a list
        else:
            out[path] = value
    return out


def read_json_submissions(
    data: bytes, limits: ImportLimits = DEFAULT_LIMITS
) -> list[tuple[int, dict[str, object]]]:
    """Submissions with their 1-based position in the file (reported as the row).

    Bounded like a table: at most ``limits.max_rows`` submissions, text values of at most
    ``limits.max_cell_chars`` (:class:`~palermo.core.limits.LimitExceeded` otherwise).
    """
    check_size(len(data), limits)
    doc = json.loads(data.decode("utf-8-sig"))
    if isinstance(doc, Mapping):
        for key in ("results", "value", "data"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            raise ValueError(
                "expected a list of submissions, or an object with 'results' or 'value'"
            )
    if not isinstance(doc, list):
        raise ValueError("expected a list of submissions")
    out = []
    guard = RowGuard(limits)
    for index, item in enumerate(doc, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"submission {index} is not an object")
        flat = _flatten(item)
        guard.row(index, list(flat.values()), list(flat))
        out.append((index, flat))
    return out


def _table_submissions(table: Table) -> list[tuple[int, dict[str, object]]]:
    out = []
    for row in table.rows:
        out.append(
            (
                row.line,
                {
                    h: (row.cells[i] if i < len(row.cells) else None)
                    for i, h in enumerate(table.header)
                },
            )
        )
    return out


def _header_errors(columns: list[str], spec: HtcdsSpec, line: int) -> list[RowError]:
    errors = []
    fields_seen: dict[str, str] = {}
    for column in columns:
        role = classify_column(column, spec)
        if role.kind == "answer" and role.question and role.question.field:
            other = fields_seen.get(role.question.field)
            if other is not None:
                errors.append(
                    RowError(line, column, column, f"answers the same question as column {other!r}")
                )
            fields_seen[role.question.field] = column
    return errors


def validate_submissions(
    submissions: list[tuple[int, dict[str, object]]],
    fmt: FileFormat,
    *,
    spec: HtcdsSpec | None = None,
    secret: bytes | None = None,
    ignore_unknown: bool = False,
    header_line: int = HEADER_LINE,
) -> ImportPreview:
    spec = spec or load_spec()
    columns: list[str] = []
    for _, cells in submissions:
        for c in cells:
            if c not in columns:
                columns.append(c)
    errors: list[RowError] = _header_errors(columns, spec, header_line)
    notes: list[str] = []
    if ignore_unknown:
        unknown = [c for c in columns if classify_column(c, spec).kind == "unknown"]
        if unknown:
            notes.append(f"ignored columns that are not HTCDS questions: {', '.join(unknown)}")
    records: list[ValidatedRecord] = []
    first_row_of_key: dict[str, int] = {}
    rows_read = 0
    for line, cells in submissions:
        mapped, row_errors = submission_to_record(line, cells, spec, ignore_unknown=ignore_unknown)
        instance = _instance_id(cells)
        if not mapped and not row_errors and not instance:
            continue
        rows_read += 1
        record, value_errors = validate_record(line, mapped, spec)
        row_errors += value_errors
        errors += row_errors
        if row_errors:
            continue
        key = f"odk-instance:{instance}" if instance else record_identity_key(record, secret=secret)
        if key in first_row_of_key:
            errors.append(
                RowError(line, "", instance, f"same submission as row {first_row_of_key[key]}")
            )
            continue
        first_row_of_key[key] = line
        records.append(ValidatedRecord(line, record, key))
    mapped_columns = tuple(
        dict.fromkeys(
            r.question.field
            for c in columns
            if (r := classify_column(c, spec)).kind in ("answer", "choice")
            and r.question
            and r.question.field
        )
    )
    return ImportPreview(
        fmt, mapped_columns, tuple(records), tuple(errors), rows_read, tuple(notes)
    )


def preview_kobo_file(
    source: Source,
    fmt: FileFormat | None = None,
    *,
    name: str = "",
    spec: HtcdsSpec | None = None,
    secret: bytes | None = None,
    ignore_unknown: bool = False,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportPreview:
    """Read and validate an ODK/KoboToolbox export (CSV, XLSX or JSON); nothing is written.

    A file over ``limits`` raises :class:`~palermo.core.limits.LimitExceeded`.
    """
    try:
        if fmt is None:
            fmt = detect_format(name or (str(source) if isinstance(source, str | Path) else ""))
        if fmt == "json":
            submissions = read_json_submissions(_read_bytes(source), limits)
            header_line = HEADER_LINE
        else:
            table = read_table(source, fmt, limits=limits)
            if not table.header:
                return ImportPreview(
                    fmt, (), (), (RowError(HEADER_LINE, "", "", "the file is empty"),), 0
                )
            submissions = _table_submissions(table)
            header_line = table.header_line
    except LimitExceeded:
        raise
    except Exception as exc:
        return ImportPreview(
            fmt or "csv",
            (),
            (),
            (RowError(HEADER_LINE, "", "", f"cannot read the file: {exc}"),),
            0,
        )
    return validate_submissions(
        submissions,
        fmt,
        spec=spec,
        secret=secret,
        ignore_unknown=ignore_unknown,
        header_line=header_line,
    )


__all__ = [
    "ColumnRole",
    "classify_column",
    "preview_kobo_file",
    "read_json_submissions",
    "submission_to_record",
    "validate_submissions",
]
