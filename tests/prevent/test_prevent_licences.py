"""Licence rows, names across alphabets, fuzzy matching and staleness."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from palermo.prevent import licences

TODAY = date(2026, 12, 2)


def _row(**over):
    base = {
        "name": "Fair Harvest Agency",
        "licence_number": "IT-1",
        "country": "it",
        "status": "Valid",
        "valid_until": "2027-01-01",
        "source": "https://example.org",
        "retrieved_on": "2026-11-30",
    }
    return {**base, **over}


def test_good_row_is_normalised():
    good, errors = licences.read_rows([_row()], today=TODAY)
    assert not errors
    assert good[0].country == "IT" and good[0].status == "valid"


def test_each_fault_names_row_and_column():
    rows = [
        _row(country="Italy"),
        _row(licence_number="IT-2", status="unknown"),
        _row(licence_number="IT-3", valid_until="01/02/2027"),
        _row(licence_number="IT-4", retrieved_on="2099-01-01"),
        _row(licence_number="IT-5", name="  "),
        _row(licence_number="IT-6", name="!!!"),
        _row(licence_number="IT-5x", source=""),
    ]
    good, errors = licences.read_rows(rows, today=TODAY)
    assert good == []
    where = {(e.row, e.column) for e in errors}
    assert where == {
        (1, "country"),
        (2, "status"),
        (3, "valid_until"),
        (4, "retrieved_on"),
        (5, "name"),
        (6, "name"),
        (7, "source"),
    }


def test_duplicate_licence_number_points_to_the_first_row():
    good, errors = licences.read_rows([_row(), _row(name="Other")], today=TODAY)
    assert len(good) == 1
    assert errors[0].row == 2 and dict(errors[0].params) == {"row": 1}


def test_names_meet_across_alphabets_and_legal_forms():
    assert licences.normalise_name("ТОВ «Праця Світ»") == "pratsya svit"
    keys = [licences.normalise_name("ТОВ «Праця Світ»")]
    assert licences.best_matches("Pratsia Svit LLC", keys)[0].score >= licences.MATCH_THRESHOLD
    assert licences.normalise_name("Agjencia Puna e Sigurt sh.p.k.") == "puna e sigurt"


def test_best_matches_finds_spelling_variants_and_not_strangers():
    keys = [
        licences.normalise_name(n)
        for n in ("Світ Праці ТОВ", "Golden Horizon Recruitment", "Fair Harvest")
    ]
    found = licences.best_matches("Svit Pratsi", keys)
    assert [m.index for m in found] == [0]
    assert licences.best_matches("Completely Unrelated Name", keys) == []
    assert licences.best_matches("!!!", keys) == []


def test_stale_after_thirty_days():
    assert not licences.is_stale(date(2026, 11, 2), TODAY)
    assert licences.is_stale(date(2026, 11, 1), TODAY)


@given(st.text(max_size=80))
def test_normalise_is_idempotent_and_ascii(name):
    once = licences.normalise_name(name)
    assert licences.normalise_name(once) == once
    assert once.isascii()
