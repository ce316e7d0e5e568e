"""spreadsheet_safe: no exported text cell starts like a formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.core.spreadsheet import FORMULA_STARTS, spreadsheet_safe


@pytest.mark.parametrize(
    "value", ["=1+1", "+33 1 23", "-2+1", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''"]
)
def test_formula_like_text_is_prefixed(value):
    assert spreadsheet_safe(value) == "'" + value


# Plain numbers ("-2", "-99", an E.164 phone) are never formulas: left as they are.
@pytest.mark.parametrize(
    "value", ["plain", "", "'already quoted", "a=b", 12, -3, None, 1.5, "-2", "+33612345678"]
)
def test_other_values_are_unchanged(value):
    assert spreadsheet_safe(value) == value


@given(st.text())
def test_no_safe_text_starts_like_a_formula_and_nothing_is_lost(text):
    safe = spreadsheet_safe(text)
    if safe.startswith(FORMULA_STARTS):
        float(safe)  # only a plain number keeps its sign
    assert safe in (text, "'" + text)
