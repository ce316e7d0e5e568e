"""Reading adverts an analyst brings: CSV, JSON Lines or pasted text (no scraping).

Pure: no Django imports. Each format yields :class:`AdvertIn` items and, for every line or row
that cannot be read, an :class:`InputError` with its line number: nothing is silently lost.
Bytes that are not UTF-8, binary files (NUL bytes) and oversized inputs are refused whole with
a reason.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from palermo.prevent.adverts import MAX_ADVERT_CHARS, prepare

MAX_BYTES = 5 * 1024 * 1024
MAX_ADVERTS = 20_000
FORMATS: tuple[str, ...] = ("csv", "jsonl", "text")


def _(text: str) -> str:  # marks text for gettext; the Django shell translates it
    return text


@dataclass(frozen=True, slots=True)
class AdvertIn:
    text: str
    ref: str


@dataclass(frozen=True, slots=True)
class InputError:
    line: int  # 0 = the whole input
    message: str  # English; the shell translates it and formats ``params`` into it
    params: tuple[tuple[str, int], ...] = ()


def decode(raw: bytes) -> tuple[str | None, InputError | None]:
    """The text of an upload, or why it cannot be read."""
    if len(raw) > MAX_BYTES:
        return None, InputError(
            0, _("The input is larger than {limit} MB: split it."), (("limit", MAX_BYTES >> 20),)
        )
    if b"\x00" in raw:
        return None, InputError(
            0, _("This is a binary file, not text: use CSV, JSON Lines or text.")
        )
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, InputError(0, _("The file is not UTF-8 text: save it as UTF-8 and try again."))


def _item(n: int, text: object, ref: object) -> tuple[AdvertIn | None, InputError | None]:
    if not isinstance(text, str):
        return None, InputError(n, _("Line {line}: the advert text is missing."), (("line", n),))
    if len(text) > MAX_ADVERT_CHARS:
        return None, InputError(
            n,
            _("Line {line}: the advert is longer than {limit} characters."),
            (("line", n), ("limit", MAX_ADVERT_CHARS)),
        )
    cleaned = prepare(text)
    if not cleaned:
        return None, InputError(n, _("Line {line}: the advert text is empty."), (("line", n),))
    return AdvertIn(cleaned, prepare(str(ref or ""))[:300]), None


Items = tuple[list[AdvertIn], list[InputError]]


def _take(out: Items, n: int, text_value: object, ref: object) -> None:
    item, err = _item(n, text_value, ref)
    if item is not None:
        out[0].append(item)
    if err is not None:
        out[1].append(err)


def _parse_csv(text: str) -> Items:
    out: Items = ([], [])
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "text" not in [f.strip().lower() for f in reader.fieldnames]:
            return [], [InputError(0, _("The CSV file needs a header row with a 'text' column."))]
        for row in reader:
            row_l = {(k or "").strip().lower(): v for k, v in row.items()}
            _take(out, reader.line_num, row_l.get("text"), row_l.get("ref"))
    except csv.Error:
        return [], [InputError(0, _("The CSV file cannot be read (a quote is not closed)."))]
    return out


def _parse_jsonl(text: str) -> Items:
    out: Items = ([], [])
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # nested too deep counts as unreadable
            out[1].append(InputError(n, _("Line {line} is not JSON."), (("line", n),)))
            continue
        if not isinstance(obj, dict):
            out[1].append(InputError(n, _("Line {line} is not a JSON object."), (("line", n),)))
            continue
        _take(out, n, obj.get("text"), obj.get("ref"))
    return out


def _parse_text(text: str) -> Items:
    out: Items = ([], [])
    line_no = 1
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if block.strip():
            _take(out, line_no, block, "")
        line_no += block.count("\n") + 2
    return out


_PARSERS = {"csv": _parse_csv, "jsonl": _parse_jsonl, "text": _parse_text}


def parse(text: str, fmt: str) -> Items:
    """The adverts in ``text`` read as ``fmt`` ("csv": a header with a ``text`` column and an
    optional ``ref`` column; "jsonl": one object per line with ``text`` and optional ``ref``;
    "text": adverts separated by a blank line)."""
    parser = _PARSERS.get(fmt)
    if parser is None:
        return [], [InputError(0, _("Unknown format."))]
    items, errors = parser(text)
    if len(items) > MAX_ADVERTS:
        return [], [
            InputError(
                0, _("More than {limit} adverts: split the input."), (("limit", MAX_ADVERTS),)
            )
        ]
    return items, errors
