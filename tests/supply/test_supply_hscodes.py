"""HS codes on order lines: an unknown chapter or a wrong length is refused (row and
field named, in the fast path as in the row-by-row reference), and a known chapter or
heading is labelled on the order page and in the export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.core.errors import InvalidInput
from palermo.supply import hscodes, orders, services
from palermo.supply.models import OrderLine
from palermo.supply.tables import RowError
from tests.supply.supply_helpers import orders_file


def test_table_is_consistent():
    for code, text in hscodes.HEADINGS.items():
        assert len(code) in (2, 4) and code.isdigit(), code
        assert code[:2] in hscodes.CHAPTERS, code
        assert code[:2] in hscodes.HEADINGS, f"{code}: its chapter has no label"
        assert text and text == text.strip()
    assert len(hscodes.CHAPTERS) == 96 and "77" not in hscodes.CHAPTERS


_HEADINGS, _SUBHEADINGS = hscodes.nomenclature()


def test_the_nomenclature_is_hs_2022s():
    # HS 2022: 1,228 headings and 5,609 subheadings (WCO); the package's file lists them
    assert len(_HEADINGS) >= 1_220 and len(_SUBHEADINGS) >= 5_600
    assert {"6109", "5201", "1801", "7108", "8542"} <= _HEADINGS
    assert {"610910", "520100", "180100", "854231"} <= _SUBHEADINGS
    assert all(h[:2] in hscodes.CHAPTERS for h in _HEADINGS)
    assert all(s[:4] in _HEADINGS for s in _SUBHEADINGS)
    assert "9999" not in _HEADINGS  # UN Comtrade's "not specified", not an HS heading


@given(st.sampled_from(sorted(_SUBHEADINGS)), st.integers(2, 10), st.text("0123456789", max_size=4))
def test_every_prefix_of_a_subheading_and_any_national_digits_are_valid(sub, size, national):
    digits = (sub + national)[:size] if size <= 6 else sub + national[: size - 6]
    assert hscodes.problem(digits) is None


@given(
    st.integers(1, 97).filter(lambda n: n != 77),
    st.integers(0, 99),
    st.text("0123456789", max_size=6),
)
def test_a_heading_or_subheading_not_in_hs_2022_is_refused_by_name(chapter, heading, rest):
    digits = f"{chapter:02d}{heading:02d}{rest}"
    issue = hscodes.problem(digits)
    if digits[:4] not in _HEADINGS:
        assert issue == "Not an HS code: HS 2022 has no heading %(heading)s."
    elif len(digits) >= 6 and digits[:6] not in _SUBHEADINGS:
        assert issue == "Not an HS code: HS 2022 has no subheading %(subheading)s."
    else:
        assert issue is None


def test_the_labelled_headings_and_the_shipped_crosswalk_are_hs_2022_codes():
    from palermo.supply import crosswalks

    for code in hscodes.HEADINGS:
        assert hscodes.problem(code) is None, code
    for code, _good in crosswalks.default_goods():
        assert hscodes.problem(code.removeprefix("hs:")) is None, code


@given(st.sampled_from(["00", "77", "98", "99"]), st.text("0123456789", max_size=8))
def test_a_code_of_no_chapter_is_refused(chapter, rest):
    assert "no chapter" in (hscodes.problem(chapter + rest) or "")


@pytest.mark.parametrize("digits", ["", "6", "61091000001"])
def test_lengths(digits):
    assert "2 to 10 digits" in (hscodes.problem(digits) or "")


def test_label_is_the_longest_known_prefix():
    assert hscodes.label("hs:610910") == "T-shirts and vests, knitted"
    assert hscodes.label("hs:6104") == "Garments, knitted or crocheted"
    assert hscodes.label("hs:52") == "Cotton"
    assert hscodes.label("hs:30") == ""  # a valid chapter outside the table: no label
    assert hscodes.label("cpv:18") == "" and hscodes.label("") == ""


def test_check_row_names_row_and_field():
    errors: list[RowError] = []
    base = {
        "order_ref": "A",
        "supplier_name": "Mill",
        "origin_country": "AD",
        "value": "1",
    }
    assert orders.check_row({**base, "product_code": "hs:7701"}, 5, errors) is None
    assert errors[0].row == 5 and errors[0].field == "product_code"
    assert errors[0].message.startswith("Not an HS code: the HS has no chapter 77")
    errors.clear()
    assert orders.check_row({**base, "product_code": "hs:5"}, 6, errors) is None
    assert "2 to 10 digits" in errors[0].message
    errors.clear()
    line = orders.check_row({**base, "product_code": "HS: 61.09"}, 7, errors)
    assert line is not None and line.product_code == "hs:6109" and not errors
    line = orders.check_row({**base, "product_code": "cpv:99"}, 8, errors)
    assert line is not None and not errors  # only HS codes are checked against the table
    assert orders.check_row({**base, "product_code": "hs:6199"}, 9, errors) is None
    assert (errors[0].row, errors[0].field, errors[0].message) == (
        9,
        "product_code",
        "Not an HS code: HS 2022 has no heading 6199.",
    )
    errors.clear()
    assert orders.check_row({**base, "product_code": "hs:61091055"}, 10, errors) is not None
    assert not errors  # 610910 is a subheading; 55 are national digits, not checked
    assert orders.check_row({**base, "product_code": "hs:61099"}, 11, errors) is not None
    assert orders.check_row({**base, "product_code": "hs:6109900000"}, 12, errors) is not None
    assert orders.check_row({**base, "product_code": "hs:610990"}, 13, errors) is not None
    assert not errors
    assert orders.check_row({**base, "product_code": "hs:610950"}, 14, errors) is None
    assert errors[0].message == "Not an HS code: HS 2022 has no subheading 610950."


def test_fast_path_gives_the_reference_errors():
    data = orders_file(
        "A,1,Mill,,AD,,hs:6109,10,,",
        "A,2,Mill,,AD,,hs:9901,10,,",
        "A,3,Mill,,AD,,hs:1,10,,",
        "A,4,Mill,,AD,,hs:0306,10,,",
    )
    fast, slow = orders.preview(data, "o.csv"), orders.preview_reference(data, "o.csv")
    assert fast.rows == slow.rows and fast.errors == slow.errors
    assert [(e.row, e.field) for e in fast.errors] == [(3, "product_code"), (4, "product_code")]


@pytest.mark.django_db
def test_crosswalk_refuses_an_unknown_chapter(supply_demo, persona):
    officer = persona("procurement")
    org = officer.organisations()[0]
    with pytest.raises(InvalidInput) as exc:
        services.crosswalk_set(actor=officer, organisation=org, code="hs:98", good="Cotton")
    assert exc.value.errors[0].field == "code"
    with pytest.raises(InvalidInput) as exc:
        services.crosswalk_set(actor=officer, organisation=org, code="hs:6199", good="Cotton")
    assert exc.value.errors[0].message == "Not an HS code: HS 2022 has no heading 6199."
    with pytest.raises(InvalidInput) as exc:
        services.code_map_set(actor=officer, organisation=org, code="cpv:18100000-0", hs="6199.00")
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("hs", "Not an HS code: HS 2022 has no heading 6199.")
    ]


@pytest.mark.django_db
def test_order_page_and_export_label_the_heading(supply_demo, login_as):
    line = OrderLine.objects.filter(product_code="hs:6211").first()
    assert line is not None
    c = login_as("procurement")
    body = c.get(f"/supply/orders/{line.pk}/").content.decode()
    assert "Track suits and other garments, not knitted" in body
    book = openpyxl.load_workbook(io.BytesIO(c.get("/supply/orders/export.xlsx").content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][-1] == "HS chapter or heading"
    labelled = {r[-1] for r in rows[1:] if r[7] == "hs:6211"}
    assert labelled == {"Track suits and other garments, not knitted"}
