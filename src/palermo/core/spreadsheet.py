"""CSV cells that a spreadsheet will not run as formulas.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` (and, in some versions, a tab or carriage return) as a formula when a CSV file is
opened. Text typed by anyone — a username tried at the login form, a reason for a
break-glass access — ends up in exports that co-ordinators open in those programs, so a
cell like ``=HYPERLINK("http://…","click")`` would become a live link or worse
(OWASP "CSV injection"). Such cells are prefixed with an apostrophe, which spreadsheets
show as text and do not display.

Use it for exports read by people. Not for files that are read back by software and
must round-trip exactly (the HTCDS CSV, whose E.164 phone numbers start with ``+``):
those keep their values, and their XLSX twin writes every cell as text instead.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The value, or for text that a spreadsheet would read as a formula, the text with
    a leading apostrophe. Numbers and other non-text values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
