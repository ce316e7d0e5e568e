"""The anonymous report's rules: minimal data, contact only with consent, nothing dropped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from palermo.prevent import reports


def test_a_minimal_report():
    r, errors = reports.check({"who": "witness", "signs": ["debt", "debt"]})
    assert not errors and r is not None
    assert r.signs == ("debt",) and r.contact == ""


def test_contact_needs_consent_and_consent_needs_contact():
    _r, errors = reports.check({"who": "worker", "signs": ["debt"], "contact": "x"})
    assert [e.field for e in errors] == ["consent_to_contact"]
    _r, errors = reports.check({"who": "worker", "signs": ["debt"], "consent_to_contact": True})
    assert [e.field for e in errors] == ["contact"]


def test_unknown_values_and_overlong_text_are_refused():
    _r, errors = reports.check(
        {
            "who": "boss",
            "country": "Italy",
            "work_kind": "mining",
            "signs": ["aliens"],
            "description": "x" * (reports.MAX_DESCRIPTION + 1),
        }
    )
    assert {e.field for e in errors} == {"who", "country", "work_kind", "signs", "description"}


@given(st.text(max_size=5000))
def test_any_description_is_either_taken_clean_or_refused(text):
    r, errors = reports.check({"who": "witness", "description": text})
    if r is not None:
        assert "\x00" not in r.description
        assert len(r.description) <= reports.MAX_DESCRIPTION
        assert r.description
    else:
        assert errors
