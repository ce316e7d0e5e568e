"""CSV cells that a spreadsheet will not run as formulas.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` (and, in some versions, a tab or carriage return) as a formula when a CSV file is
opened. Text typed by anyone — a username tried at the login form, a reason for a
break-glass access, a name in an imported HTCDS file — ends up in exports that people
open in those programs, so a cell like ``=HYPERLINK("http://…","click")`` would become a
live link or worse (OWASP "CSV injection"). Such cells are prefixed with an apostrophe,
which spreadsheets show as text and do not display.

Every CSV export of Palermo writes its cells through :func:`spreadsheet_safe` (or
:func:`safe_row`). The only exception is an explicit request for an *exact* file that
software will read back (``palermo export htcds --exact``, ``exact=1``), documented with
its warning in docs/statistics.md.

Two refinements keep the neutralised files usable by software too:

* a plain number (``-99``, ``+447700900123``, ``1.5e3``) is never a formula, so it is
  left as it is (CTDC writes unknown values as ``-99``; E.164 phones start with ``+``);
* the prefix can be taken off again exactly: :func:`spreadsheet_unescape` undoes
  :func:`spreadsheet_safe` for every text (a value that itself starts with an apostrophe
  followed by a formula character or another apostrophe gets one more apostrophe on the
  way out, so nothing is ambiguous). The HTCDS importer unescapes every cell, so a
  neutralised export imports back to the same records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _needs_prefix(value: str) -> bool:
    if value.startswith(FORMULA_STARTS):
        return _NUMBER.fullmatch(value) is None
    return value.startswith("'") and value[1:2] != "" and value[1:2] in _ESCAPED_STARTS


def spreadsheet_safe(value: object) -> object:
    """The value, or for text that a spreadsheet would read as a formula, the text with
    a leading apostrophe. Numbers and other non-text values are returned unchanged."""
    if isinstance(value, str) and _needs_prefix(value):
        return "'" + value
    return value


def spreadsheet_unescape(value: object) -> object:
    """Undo :func:`spreadsheet_safe`: ``spreadsheet_unescape(spreadsheet_safe(v)) == v``."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:2] != ""
        and value[1:2] in _ESCAPED_STARTS
    ):
        return value[1:]
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """A CSV row with every cell through :func:`spreadsheet_safe`."""
    return [spreadsheet_safe(v) for v in values]
