"""Differential tests for issue 18's fast paths: the column-wise order importer and the
column-wise screening give exactly what the row-by-row reference gives, on generated files
that mix clean rows with every kind of bad cell."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.core.spreadsheet import spreadsheet_unescape
from palermo.supply import orders, riskdata, tables, vocabulary
from palermo.supply.risk import LineFacts, RiskIndex, resolve_good, screen


def _reference_read_table(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """tables.read_table for CSV as it was before issue 18's change (unescape every cell)."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, row) for row in reader]
    return [
        (n, [str(spreadsheet_unescape(c.strip())) for c in r])
        for n, r in rows
        if any(c.strip() for c in r)
    ]


def _reference_preview(data: bytes) -> object:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(tables, "read_table", _reference_read_table)
        return orders.preview_reference(data, "orders.csv")


def _reference_screen(
    lines: list[orders.OrderLine],
    index: RiskIndex,
    crosswalk: dict[str, str],
    evidence: dict[str, frozenset[str]],
    excluded: dict[str, str],
) -> list[object]:
    """services.screen_lines as it was before issue 18: one LineFacts and screen() a line."""
    out = []
    for line in lines:
        good = resolve_good(line.good, line.product_code, crosswalk)
        facts = LineFacts(
            country_code=line.origin_country,
            good=good,
            value=line.value,
            share=line.share,
            characteristics=line.characteristics,
            evidence=evidence.get(line.supplier_company_id, frozenset()),
            excluded=excluded.get(line.supplier_company_id, "") if line.supplier_company_id else "",
        )
        out.append(screen(facts, index))
    return out


def _index() -> RiskIndex:
    text = (
        "Country,Country_ISOCode,Region,Sector,Good,All_Exploitations,CL,FL,FCL\n"
        "Arland (fictional),XA,,,Cotton,,2012,2012,\n"
        "Arland (fictional),XA,,,Garments,,,2016,\n"
        "Borvia (fictional),XB,,,Bricks,,2010,,\n"
        "Cestria (fictional),XC,,,Cotton,,,2014,\n"
    )
    preview = riskdata.preview_dol(text.encode(), "risk.csv")
    assert preview.ok, preview.errors
    return RiskIndex.build("test list, 2024", preview.rows)


_CHARS = sorted(vocabulary.CHARACTERISTICS)

# Suppliers on an exclusion list, each with the entry that names it (a company id "" is never
# excluded, whatever the list says).
EXCLUDED = st.dictionaries(
    st.sampled_from(["S1", "S2", "S3", ""]),
    st.sampled_from(["Exclusions, 2026, row 2", "Exclusions, 2026, row 3"]),
)
# Each column: mostly clean values, and each kind of bad or odd cell the importer must name.
_CELLS: dict[str, st.SearchStrategy[str]] = {
    "order_ref": st.sampled_from(["PO-1", "PO-2", "PO-3", " PO-4 ", "", "X" * 61, "'=PO"]),
    "line": st.sampled_from(["", "1", "2", "3", "L" * 21]),
    "supplier_name": st.sampled_from(["Acme", "Borvia Bricks", "", "N" * 201, "'+A", "O'Brien"]),
    "supplier_company_id": st.sampled_from(["", "S1", "S2", "S3", "C" * 41]),
    "contract_ref": st.sampled_from(["", "T-1", "R" * 61]),
    "origin_country": st.sampled_from(["XA", "xb", " XC ", "FR", "", "ZZ", "France", "XK"]),
    "good": st.sampled_from(["Cotton", "cotton ", "Bricks", "Garments", "", "G" * 201, "Tea"]),
    "product_code": st.sampled_from(["", "hs:6109", "HS 52.01", "cpv:18", "xx:1", "hs:abc"]),
    "value": st.sampled_from(
        [
            "0",
            "12",
            "12.5",
            "99999.99",
            "100000",
            "250,000.00",
            "-1",
            "1.234",
            "NaN",
            "Infinity",
            "1e3",
            "abc",
            "",
            "0012.30",
            "9999999999999",
            "10000000000000",
            " 7 ",
            "+5",
            ".5",
            "1_000",
        ]
    ),
    "share": st.sampled_from(["", "1", "0.5", "1.0", "0", "1.5", "x", "-0.1", "NaN", "0.25"]),
    "characteristics": st.one_of(
        st.lists(st.sampled_from(_CHARS), max_size=3).map(";".join),
        st.sampled_from(["unknown", "Industry | commodity", ";;"]),
    ),
}
_COLUMNS = list(_CELLS)


@st.composite
def order_files(draw: st.DrawFn) -> bytes:
    optional = draw(st.lists(st.sampled_from(orders.OPTIONAL), unique=True))
    columns = draw(st.permutations([*orders.REQUIRED, *optional]))
    header = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in columns]
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        cells = [draw(_CELLS[c]) if c in _CELLS else "" for c in columns]
        shape = draw(st.sampled_from(["same"] * 8 + ["short", "long", "long-empty", "blank"]))
        if shape == "short":
            cells = cells[:-1]
        elif shape == "long":
            cells = [*cells, "extra"]
        elif shape == "long-empty":
            cells = [*cells, ""]
        elif shape == "blank":
            cells = [""] * len(cells)
        rows.append(cells)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


@settings(max_examples=300, deadline=None)
@given(data=order_files())
def test_fast_preview_matches_the_row_by_row_reference(data):
    fast = orders.preview(data, "orders.csv")
    reference = _reference_preview(data)
    assert fast == reference


@settings(max_examples=200, deadline=None)
@given(
    data=order_files(),
    crosswalk=st.dictionaries(
        st.sampled_from(["hs:6109", "hs:52", "hs:5201", "cpv:18"]),
        st.sampled_from(["Cotton", "Garments", " Bricks "]),
    ),
    evidence=st.dictionaries(
        st.sampled_from(["S1", "S2", "S3"]),
        st.frozensets(st.sampled_from(sorted(vocabulary.EVIDENCE))),
    ),
    excluded=EXCLUDED,
    warm=st.booleans(),
)
def test_fast_screening_matches_screen_line_by_line(data, crosswalk, evidence, excluded, warm):
    preview = orders.preview(data, "orders.csv")
    index = _index()
    reference = _reference_screen(preview.rows, _index(), crosswalk, evidence, excluded)
    if warm:  # the cache already holds some keys (a second file on the same edition)
        _reference_screen(preview.rows[::2], index, crosswalk, evidence, excluded)
    fast = orders.screen_lines(
        preview.rows, index=index, crosswalk=crosswalk, evidence=evidence, excluded=excluded
    )
    assert [line for line, _r in fast] == preview.rows
    assert [r for _line, r in fast] == reference
    assert [r.to_dict() for _line, r in fast] == [r.to_dict() for r in reference]


def test_fast_screening_past_the_cache_size_still_matches():
    # A full cache: every line is a miss and goes through screen(), as before.
    text = "order_ref,supplier_name,origin_country,good,value\n" + "".join(
        f"PO-{i},Acme,XA,Cotton,{i}.5\n" for i in range(40)
    )
    preview = orders.preview(text.encode(), "orders.csv")
    index = _index()
    index.cache.update({("full", i): ("low", 0, ()) for i in range(100_000)})
    fast = orders.screen_lines(preview.rows, index=index, crosswalk={}, evidence={}, excluded={})
    reference = _reference_screen(preview.rows, _index(), {}, {}, {})
    assert [r for _line, r in fast] == reference
    assert fast[3][1].exposure == Decimal("3.50")


def test_a_bad_cell_in_a_large_clean_file_is_still_named():
    # The fast path accepts the clean rows; the one bad row gets its message, nothing imports.
    text = "order_ref,supplier_name,origin_country,value\n" + "".join(
        f"PO-{i},Acme,XA,{'-5' if i == 500 else i}\n" for i in range(1000)
    )
    preview = orders.preview(text.encode(), "orders.csv")
    assert not preview.ok
    assert [(e.row, e.field, e.message) for e in preview.errors] == [
        (502, "value", "An amount cannot be negative.")
    ]
    assert len(preview.rows) == 999 and preview.total_rows == 1000
