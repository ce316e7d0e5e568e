"""spreadsheet_safe: no exported text cell starts like a formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.core.spreadsheet import FORMULA_STARTS, spreadsheet_safe


@pytest.mark.parametrize("value", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_prefixed(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", "'already quoted", "a=b", 12, -3, None, 1.5])
def test_other_values_are_unchanged(value):
    assert spreadsheet_safe(value) == value


@given(st.text())
def test_no_safe_text_starts_like_a_formula_and_nothing_is_lost(text):
    safe = spreadsheet_safe(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (text, "'" + text)
