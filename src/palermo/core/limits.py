"""Bounds on what an importer reads: file size, unpacked size, rows, cell length.

Every importer (HTCDS, ODK/KoboToolbox, bank statements, CSV mapping profiles, and
any later one) checks its input against an :class:`ImportLimits` through this module
before and while it parses, so a hostile or mistaken file costs a bounded amount of
memory and time and is refused with a clear reason instead of tying up a worker:

* :func:`check_size` — the upload itself;
* :func:`check_zip` — an XLSX (or any zip) is judged on its central directory alone,
  *before* any member is decompressed: the declared uncompressed size of each member
  and of all together, each member's compression ratio, the number of members. A
  "zip bomb" (a small file that unpacks to gigabytes) is refused in milliseconds.
  Python's ``zipfile`` never returns more than a member's declared size (it stops
  there and then fails the CRC check), so a member cannot lie its way past the check;
* :class:`RowGuard` — counts rows and measures text cells as a reader streams them,
  and stops at the first row over the limit: a file with a million rows is refused
  after reading ``max_rows + 1`` of them, not after reading all.

Pure: no Django. ``palermo.core.upload_limits`` reads the limits from the settings
and turns a :class:`LimitExceeded` into a translated message.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """What one importer accepts. Sizes in bytes; cells in characters."""

    max_bytes: int = 20 * MB
    max_unpacked_bytes: int = 64 * MB
    max_ratio: float = 100.0
    max_rows: int = 50_000
    max_cell_chars: int = 10_000
    max_columns: int = 2_000
    max_members: int = 1_000
    # Members smaller than this are not judged on their ratio: a tiny, very regular
    # XML part (styles, an empty sheet) can compress 200:1 and is harmless.
    ratio_floor_bytes: int = 1 * MB

    def with_(self, **changes: object) -> ImportLimits:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_LIMITS = ImportLimits()

# English templates; the Django shell translates them (``upload_limits.message``).
# ``_`` only marks them for gettext's extractor.


def _(text: str) -> str:
    return text


MESSAGES: dict[str, str] = {
    "file_too_large": _(
        "The file is {size}, more than the limit of {limit}: split it and import each part."
    ),
    "unpacked_too_large": _(
        "The file would unpack to {size}, more than the limit of {limit}; it was refused before it was opened."
    ),
    "member_ratio": _(
        "A part of the file is compressed {ratio}:1, more than {limit}:1 (a file built to exhaust the server); "
        "it was refused before it was opened."
    ),
    "too_many_members": _("The file holds {count} parts, more than the limit of {limit}."),
    "too_many_rows": _("The file has more than {limit} rows: split it and import each part."),
    "too_many_columns": _("Row {row} has {count} columns, more than the limit of {limit}."),
    "cell_too_long": _(
        "Row {row}, column {column}: a cell holds {length} characters, more than the limit of {limit}."
    ),
    "too_many_values": _("The document holds more than {limit} values."),
    "too_deep": _("The document is nested more than {limit} levels deep."),
    "value_too_long": _("A value holds {length} characters, more than the limit of {limit}."),
    "not_a_zip": _("The file is not a valid XLSX workbook (not a zip archive)."),
}
del _


class LimitExceeded(Exception):
    """An input over one of the limits. ``code`` picks the message; ``params`` fill it.

    Never carries the offending content (it may be personal data): only sizes,
    counts, a row number and a column name.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message())

    def message(self, translate: object = None) -> str:
        template = MESSAGES[self.code]
        if callable(translate):
            template = translate(template)
        return template.format(**self.params)


def human_size(n: int | float) -> str:
    """``21.0 MB`` style sizes for messages (MiB, written MB as people say)."""
    if n >= 1024 * MB:
        return f"{n / (1024 * MB):.1f} GB"
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{int(n)} bytes"


def check_size(size: int | None, limits: ImportLimits = DEFAULT_LIMITS) -> None:
    """Refuse an upload larger than ``limits.max_bytes``."""
    if size is not None and size > limits.max_bytes:
        raise LimitExceeded(
            "file_too_large", size=human_size(size), limit=human_size(limits.max_bytes)
        )


ZipSource = bytes | Path | str | BinaryIO


def check_zip(source: ZipSource, limits: ImportLimits = DEFAULT_LIMITS) -> None:
    """Judge a zip archive (an XLSX workbook) on its central directory, before opening any member.

    Raises :class:`LimitExceeded` (``not_a_zip`` when it is no zip at all).
    """
    fh: BinaryIO | str | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    position = fh.tell() if hasattr(fh, "tell") else None
    try:
        try:
            archive = zipfile.ZipFile(fh)  # reads the central directory only
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise LimitExceeded("not_a_zip") from exc
        with archive:
            infos = archive.infolist()
            if len(infos) > limits.max_members:
                raise LimitExceeded("too_many_members", count=len(infos), limit=limits.max_members)
            total = 0
            for info in infos:
                total += info.file_size
                if total > limits.max_unpacked_bytes:
                    raise LimitExceeded(
                        "unpacked_too_large",
                        size=human_size(_declared_total(infos)),
                        limit=human_size(limits.max_unpacked_bytes),
                    )
                if info.file_size >= limits.ratio_floor_bytes:
                    ratio = info.file_size / max(info.compress_size, 1)
                    if ratio > limits.max_ratio:
                        raise LimitExceeded(
                            "member_ratio", ratio=f"{ratio:.0f}", limit=f"{limits.max_ratio:.0f}"
                        )
    finally:
        if position is not None and hasattr(fh, "seek"):
            fh.seek(position)


def _declared_total(infos: list[zipfile.ZipInfo]) -> int:
    return sum(i.file_size for i in infos)


def check_structure(
    document: object, limits: ImportLimits = DEFAULT_LIMITS, *, max_depth: int = 20
) -> None:
    """A parsed document (YAML, JSON): at most ``limits.max_rows`` values (keys and items
    counted), text of at most ``limits.max_cell_chars``, nesting of at most ``max_depth``.

    Walks without recursion and stops at the first excess, so a YAML "billion laughs"
    (aliases that expand exponentially) is refused after ``max_rows`` steps instead of
    being expanded when the document is stored as JSON.
    """
    stack: list[tuple[object, int]] = [(document, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > limits.max_rows:
            raise LimitExceeded("too_many_values", limit=f"{limits.max_rows:,}")
        if depth > max_depth:
            raise LimitExceeded("too_deep", limit=max_depth)
        if isinstance(value, str):
            if len(value) > limits.max_cell_chars:
                raise LimitExceeded(
                    "value_too_long", length=f"{len(value):,}", limit=f"{limits.max_cell_chars:,}"
                )
        elif isinstance(value, dict):
            for k, v in value.items():
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)


class RowGuard:
    """Counts rows and measures text cells while a reader streams a file.

    ``guard.row(line, cells, names)`` after each data row: raises on the row past
    ``max_rows`` or on the first text cell longer than ``max_cell_chars``.
    """

    def __init__(self, limits: ImportLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.rows = 0

    def row(self, line: int, cells: Iterable[object], names: Iterable[str] | None = None) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise LimitExceeded("too_many_rows", limit=f"{self.limits.max_rows:,}")
        cells = cells if isinstance(cells, list | tuple) else list(cells)
        if len(cells) > self.limits.max_columns:
            raise LimitExceeded(
                "too_many_columns",
                row=line,
                count=f"{len(cells):,}",
                limit=f"{self.limits.max_columns:,}",
            )
        names_list = list(names) if names is not None else None
        for index, value in enumerate(cells):
            if isinstance(value, str) and len(value) > self.limits.max_cell_chars:
                column = (
                    names_list[index]
                    if names_list and index < len(names_list) and names_list[index]
                    else (str(index + 1))
                )
                raise LimitExceeded(
                    "cell_too_long",
                    row=line,
                    column=column,
                    length=f"{len(value):,}",
                    limit=f"{self.limits.max_cell_chars:,}",
                )

    def cell(self, line: int, column: str, value: object) -> None:
        """One text value outside a table (a JSON field, an XML element's text)."""
        if isinstance(value, str) and len(value) > self.limits.max_cell_chars:
            raise LimitExceeded(
                "cell_too_long",
                row=line,
                column=column,
                length=f"{len(value):,}",
                limit=f"{self.limits.max_cell_chars:,}",
            )

    def count(self, n: int = 1) -> None:
        """Rows counted without their cells (e.g. by a database engine)."""
        self.rows += n
        if self.rows > self.limits.max_rows:
            raise LimitExceeded("too_many_rows", limit=f"{self.limits.max_rows:,}")


__all__ = [
    "DEFAULT_LIMITS",
    "MB",
    "MESSAGES",
    "ImportLimits",
    "LimitExceeded",
    "RowGuard",
    "check_size",
    "check_structure",
    "check_zip",
    "human_size",
]
