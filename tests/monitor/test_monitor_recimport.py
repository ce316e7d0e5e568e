"""Reading a recommendations file: every row's errors, nothing partial."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from tests.monitor.monitor_helpers import GOOD_ROWS, csv_file

from palermo.monitor.recimport import preview


def test_a_good_csv_gives_every_row():
    p = preview(csv_file(*GOOD_ROWS), "recs.csv")
    assert p.ok and len(p.rows) == 3 and not p.errors
    first = p.rows[0]
    assert (
        first.source_body,
        first.paragraph,
        first.issued_on,
        first.thematic_area,
        first.response,
    ) == ("un_treaty_body", "31", date(2025, 2, 10), "victim_support", "shelters")
    assert p.rows[2].due_on is None and p.rows[2].response == ""


def test_every_row_is_checked_and_each_error_names_row_and_column():
    data = csv_file(
        GOOD_ROWS[0],
        'gretaa,R,1,2025-01-01,victim_support,Gov,"text",,',  # line 3: unknown body
        'osce,R,2,01/02/2025,sweets,Gov,"text",,',  # line 4: bad date, unknown area
        'osce,R,3,2025-05-01,victim_support,,"text",2025-01-01,',  # line 5: no addressee; due before issued
        GOOD_ROWS[0],  # line 6: same as line 2
    )
    p = preview(data, "recs.csv")
    assert not p.ok
    got = {(e.row, e.field) for e in p.errors}
    assert got == {
        (3, "source_body"),
        (4, "issued_on"),
        (4, "thematic_area"),
        (5, "addressee"),
        (5, "due_on"),
        (6, "paragraph"),
    }
    assert "row 2" in next(e.message for e in p.errors if e.row == 6)


def test_a_recommendation_already_in_the_register_is_refused():
    existing = {("un_treaty_body", "cedaw concluding observations (fictional)", "31")}
    p = preview(csv_file(*GOOD_ROWS), "recs.csv", existing=existing)
    assert [(e.row, e.field) for e in p.errors] == [(2, "paragraph")]


def test_missing_and_unknown_columns_are_reported_on_the_header():
    p = preview(b"source_body,report,colour\nosce,R,red\n", "recs.csv")
    fields = {e.field for e in p.errors if e.row == 1}
    assert {"paragraph", "issued_on", "thematic_area", "addressee", "text", "colour"} <= fields
    assert not p.rows


def test_empty_non_utf8_and_damaged_files_are_messages_not_crashes():
    assert not preview(b"", "a.csv").ok
    assert "UTF-8" in preview("é".encode("latin-1") + b"\n", "a.csv").errors[0].message
    assert "spreadsheet" in preview(b"not a zip", "a.xlsx").errors[0].message
    assert "no recommendations" in preview(csv_file(), "a.csv").errors[0].message


def test_xlsx_with_date_cells_reads_like_csv():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "Source_Body",
            "report",
            "paragraph",
            "issued_on",
            "thematic_area",
            "addressee",
            "text",
            "due_on",
        ]
    )
    ws.append(
        [
            "greta",
            "Round 3",
            7,
            date(2025, 6, 2),
            "organ_removal",
            "Ministry of Health",
            "Train doctors.",
            date(2026, 1, 1),
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    p = preview(buf.getvalue(), "recs.xlsx")
    assert p.ok, p.errors
    assert p.rows[0].issued_on == date(2025, 6, 2) and p.rows[0].paragraph == "7"


def test_an_xlsx_date_with_a_time_of_day_is_refused():
    from datetime import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["source_body", "report", "paragraph", "issued_on", "thematic_area", "addressee", "text"]
    )
    ws.append(
        ["osce", "Visit", "1", datetime(2025, 6, 2, 14, 30), "victim_support", "Gov", "Text."]
    )
    buf = io.BytesIO()
    wb.save(buf)
    p = preview(buf.getvalue(), "recs.xlsx")
    assert [(e.row, e.field) for e in p.errors] == [(2, "issued_on")]
