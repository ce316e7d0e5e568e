"""Differential tests for the columnar order path (``supply/orderframe.py``): on generated
files — clean rows mixed with every kind of bad cell, odd whitespace, neutralised cells,
quoted and unquoted files, CRLF, blank lines, shares of many decimals — the columnar
preview gives exactly the rows and the errors of the row-by-row reference, the columnar
screening exactly the results of ``risk.screen`` line by line, and the results file
exactly what those results say."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.core.spreadsheet import spreadsheet_safe
from palermo.supply import orderframe, orders, vocabulary
from palermo.supply.risk import RULE_VERSION, prioritise, resolve_good
from tests.supply.test_supply_fastpath import (
    _CELLS,
    EXCLUDED,
    _index,
    _reference_preview,
    _reference_screen,
)

# More cells than the fast path's test: what only a columnar reader could get wrong.
_ODD: dict[str, list[str]] = {
    "order_ref": ["PO-\xa05", "\u3000PO-6", "PO-7\x1c", "'@PO", "''PO", "PO-1", "PO-Ω"],
    "line": ["\t4", "'-1", "5 "],
    "supplier_name": ["Ünïcødé Ltd", "名前", "'=HYPERLINK(x)", "-Acme", "' '", "A\u2028B"],
    "supplier_company_id": ["S1 ", "\xa0S2", "'+S3"],
    "contract_ref": ["T-1", "'T"],
    "origin_country": ["xa", "\xa0XB", "XA\x1f", "ß", "xk"],
    "good": ["Cotton", "'=Cotton", "Cötton", "Garments\x85"],
    "product_code": ["hs:6109", "cpv:18100000-0", "hs:52", "unspsc:5310", "hs:7701", "hs 61 09"],
    "value": ["100000.00", "99999.995", "1.", "١٢", "00", "9999999999999.99", "5e2", "0.10"],
    "share": ["0.333", "0.3333333", "0.1234567891", "1E-1", "0.000001", "0.0000005", "1.00"],
    "characteristics": ["industry; workforce", "LOCATION", "commodity|business_model"],
}
CELLS = {
    name: st.one_of(strategy, st.sampled_from(_ODD.get(name, [""])))
    for name, strategy in _CELLS.items()
}

# Valid cells only, odd ones included: the rows the columnar checks accept themselves.
_CLEAN: dict[str, list[str]] = {
    "order_ref": ["PO-1", "PO-2", " PO-3 ", "PO-\xa04", "\u3000PO-5", "'@PO", "''PO", "PO-Ω"],
    "line": ["", "1", "2", "\t3", "'-1", "L" * 20],
    "supplier_name": [
        "Acme",
        "Ünïcødé Ltd",
        "名前",
        "'=HYPERLINK(x)",
        "-Acme",
        "O'Brien",
        "N" * 200,
    ],
    "supplier_company_id": ["", "S1", "S2 ", "\xa0S3", "'+S3", "C" * 40],
    "contract_ref": ["", "T-1", "'T"],
    "origin_country": ["XA", "xb", "\xa0XC", "XA\x1f", "FR", "xk"],
    "good": ["", "Cotton", "cotton ", "'=Cotton", "Cötton", "Garments\x85", "G" * 200],
    "product_code": ["", "hs:6109", "HS:52.01", "cpv:18100000-0", "unspsc:5310", "hs:52"],
    "value": ["0", "12", "12.5", "0012.30", "99999.99", "100000", "9999999999999.99", " 7 "],
    "share": ["", "1", "0.5", "1.0", "0.333", "0.3333333", "0.1234567891", "1E-1", "0.0000005"],
    "characteristics": [
        "",
        "industry",
        "industry; workforce",
        "LOCATION",
        "commodity|business_model",
    ],
}


@st.composite
def order_files(draw: st.DrawFn) -> bytes:
    cells_of = (
        {name: st.sampled_from(values) for name, values in _CLEAN.items()}
        if draw(st.booleans())
        else CELLS
    )
    optional = draw(st.lists(st.sampled_from(orders.OPTIONAL), unique=True))
    columns = draw(st.permutations([*orders.REQUIRED, *optional]))
    header = [draw(st.sampled_from([c, c.upper(), f" {c} ", f"'{c}"])) for c in columns]
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 30))):
        cells = [draw(cells_of[c]) if c in cells_of else "" for c in columns]
        if cells_of is not CELLS and draw(st.integers(0, 9)):  # mostly no repeated order
            at = columns.index("order_ref")
            cells[at] = f"{cells[at]}-{len(rows)}"
        shape = draw(st.sampled_from(["same"] * 8 + ["short", "long", "long-empty", "blank"]))
        if shape == "short":
            cells = cells[:-1]
        elif shape == "long":
            cells = [*cells, "extra"]
        elif shape == "long-empty":
            cells = [*cells, " "]
        elif shape == "blank":
            cells = [" "] * len(cells)
        rows.append(cells)
    if draw(st.booleans()):  # a repeated order and line
        rows += rows[:2]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    if draw(st.booleans()):  # written as a spreadsheet writes it: quotes only where needed
        out = io.StringIO()
        csv.writer(out, lineterminator=end).writerows([header, *rows])
        text = out.getvalue()
    else:  # every row one line, cells as they are (the columnar reader's case)
        lines = [",".join(c.replace(",", "").replace('"', "") for c in r) for r in [header, *rows]]
        lines = [line.replace("\n", "").replace("\r", "") for line in lines]
        if draw(st.booleans()):
            lines.insert(draw(st.integers(1, len(lines))), "")  # a blank line
        text = end.join(lines) + draw(st.sampled_from([end, ""]))
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode()


_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(data=order_files())
def test_columnar_preview_gives_the_reference_rows_and_errors(data):
    fast = orderframe.preview(data, "orders.csv")
    reference = _reference_preview(data)
    assert fast.preview() == reference
    assert fast.ok == reference.ok


@_SETTINGS
@given(
    data=order_files(),
    crosswalk=st.dictionaries(
        st.sampled_from(["hs:6109", "hs:52", "hs:5201", "cpv:18", "unspsc:53"]),
        st.sampled_from(["Cotton", "Garments", " Bricks ", "Tea"]),
    ),
    evidence=st.dictionaries(
        st.sampled_from(["S1", "S2", "S3", ""]),
        st.frozensets(st.sampled_from(sorted(vocabulary.EVIDENCE))),
    ),
    excluded=EXCLUDED,
)
def test_columnar_screening_gives_screen_line_by_line(data, crosswalk, evidence, excluded):
    checked = orderframe.preview(data, "orders.csv")
    lines = checked.lines()
    reference = _reference_screen(lines, _index(), crosswalk, evidence, excluded)
    screened = orderframe.screen_frame(
        checked, index=_index(), crosswalk=crosswalk, evidence=evidence, excluded=excluded
    )
    pairs = screened.pairs()
    assert [line for line, _r in pairs] == lines
    assert [r for _line, r in pairs] == reference
    assert [str(r.exposure) for _line, r in pairs] == [str(r.exposure) for r in reference]
    assert [r.to_dict() for _line, r in pairs] == [r.to_dict() for r in reference]
    # The results file says exactly what the reference results say, most severe first.
    written = list(csv.reader(io.StringIO(orderframe.results_csv(screened, "test list").decode())))
    assert written == _reference_results_file(lines, reference, crosswalk, "test list")


def _reference_results_file(lines, results, crosswalk, risk_list) -> list[list[str]]:
    """The results file built line by line from the reference results."""
    by_ref = {line.ref: (line, res) for line, res in zip(lines, results, strict=True)}
    rows = [list(orderframe.RESULT_COLUMNS)]
    for ref, res in prioritise([(line.ref, res) for line, res in zip(lines, results, strict=True)]):
        line, _same = by_ref[ref]
        cells = [
            str(line.row),
            ref,
            line.supplier_name,
            line.supplier_company_id,
            line.contract_ref,
            line.origin_country,
            resolve_good(line.good, line.product_code, crosswalk),
            line.product_code,
            f"{line.value:.2f}",
            str(line.share),
            str(res.exposure),
            res.level,
            str(res.score),
            "; ".join(
                f"({r.points:+d}) {r.message}" + (f" [{r.source}]" if r.source else "")
                for r in res.reasons
            ),
            RULE_VERSION,
            risk_list,
        ]
        rows.append([str(spreadsheet_safe(c)) for c in cells])
    return rows


def test_a_bad_cell_in_a_large_unquoted_file_is_named_with_its_row():
    text = "order_ref,supplier_name,origin_country,value\r\n" + "".join(
        f"PO-{i},Acme,XA,{'-5' if i == 500 else '1,5' if i == 700 else i}\r\n" for i in range(1000)
    )
    checked = orderframe.preview(text.encode(), "orders.csv")
    assert not checked.ok
    assert [(e.row, e.field, e.message) for e in checked.errors] == [
        (502, "value", "An amount cannot be negative."),
        (702, "", "This row has more cells than the header."),
    ]
    assert checked.frame.height == 998 and checked.total_rows == 1000
    assert checked.preview() == _reference_preview(text.encode())


@pytest.mark.parametrize(
    ("share", "value", "exposure"),
    [
        ("0.5", "0.01", "0.00"),  # half to even: 0.005 → 0.00
        ("0.5", "0.03", "0.02"),  # 0.015 → 0.02
        ("0.125", "0.2", "0.02"),  # 0.025 → 0.02
        ("0.3333333", "100", "33.33"),  # seven decimals: through Decimal
        ("0.1234567891", "9999999999999.99", "1234567891000.00"),
        ("1", "9999999999999.99", "9999999999999.99"),
        ("0.999999", "9999999999999.99", "9999989999999.99"),
    ],
)
def test_exposure_is_rounded_as_decimal_quantize_rounds(share, value, exposure):
    text = f"order_ref,supplier_name,origin_country,value,share\nPO-1,Acme,XA,{value},{share}\n"
    checked = orderframe.preview(text.encode(), "orders.csv")
    screened = orderframe.screen_frame(
        checked, index=_index(), crosswalk={}, evidence={}, excluded={}
    )
    [(line, result)] = screened.pairs()
    expected = (Decimal(value) * Decimal(share)).quantize(Decimal("0.01"))
    assert str(result.exposure) == str(expected)
    assert str(result.exposure) == exposure


def test_an_xlsx_file_gives_the_reference_rows_and_errors():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_ref", "supplier_name", "origin_country", "value", "share"])
    ws.append(["PO-1", "Acme", "XA", 12.5, 0.5])
    ws.append(["PO-2", "'=Borvia", "ZZ", -1, None])
    ws.append(["PO-1", "Acme", "xa", 3, 1])
    buf = io.BytesIO()
    wb.save(buf)
    checked = orderframe.preview(buf.getvalue(), "orders.xlsx")
    reference = orders.preview_reference(buf.getvalue(), "orders.xlsx")
    assert checked.preview() == reference
    assert {(e.row, e.field) for e in checked.errors} == {
        (3, "origin_country"),
        (3, "value"),
        (4, "order_ref"),
    }


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n , \n",
        b"order_ref,supplier_name,origin_country\nPO-1,Acme,XA\n",
        b"order_ref,supplier_name,origin_country,value\n",
        b"order_ref,supplier_name,origin_country,value,colour\nPO-1,Acme,XA,1,red\n",
        b"order_ref,supplier_name,origin_country,value\n\xff\xfe,Acme,XA,1\n",
        b"order_ref,supplier_name,origin_country,value\nPO-1,Ac\0me,XA,1\n",
        b"order_ref,supplier_name,origin_country,value\rPO-1,Acme,XA,1\r",
        b'order_ref,supplier_name,origin_country,value\nPO-1,"Acme\nLtd",XA,1\nPO-1,B,XA,2\n',
        b"order_ref,supplier_name,origin_country,value\nPO-1," + b"N" * 140_000 + b",XA,1\n",
    ],
    ids=[
        "empty",
        "blank",
        "missing-column",
        "no-rows",
        "unknown-column",
        "not-utf8",
        "nul",
        "lone-cr",
        "line-break-in-cell",
        "cell-over-csv-limit",
    ],
)
def test_files_the_columnar_reader_leaves_to_the_reference_get_its_errors(data):
    assert orderframe.preview(data, "orders.csv").preview() == _reference_preview(data)


def test_too_many_rows_is_refused_as_the_reference_refuses_it():
    text = "order_ref,supplier_name,origin_country,value\n" + "PO,Acme,XA,1\n" * 3
    got = orderframe.preview(text.encode(), "orders.csv", max_rows=2)
    assert got.preview() == orders.preview(text.encode(), "orders.csv", max_rows=2)
    assert [e.message for e in got.errors] == ["At most 2 rows per file."]


def test_the_stripped_characters_are_every_character_python_strips():
    everything = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert orderframe.whitespace() == everything
