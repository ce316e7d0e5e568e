"""Normalisation of IBANs, account numbers, phones, e-mails, names and addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.investigate.classify import classify_counterparty, load_category_table
from palermo.investigate.normalise import (
    NormalisationError,
    name_tokens,
    normalise_account,
    normalise_address,
    normalise_email,
    normalise_iban,
    normalise_name,
    normalise_org_name,
    normalise_phone,
)


def test_iban_is_compacted_and_checked():
    assert normalise_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert normalise_iban("  ") is None
    with pytest.raises(NormalisationError, match="invalid IBAN"):
        normalise_iban("DE89370400440532013001")  # checksum broken by one digit


def test_account_reference_prefers_iban_and_qualifies_domestic_numbers():
    ref = normalise_account("DE89 3704 0044 0532 0130 00")
    assert (
        ref is not None and ref.key == ref.iban == "DE89370400440532013000" and ref.country == "DE"
    )
    a = normalise_account("160-0000123456-78", bank="AIK Banka")
    b = normalise_account("160000012345678", bank="Other Bank")
    assert a is not None and b is not None
    assert a.key == "acct:AIKBANKA:160000012345678"
    assert a.key != b.key  # the same number at two banks is two accounts
    with pytest.raises(NormalisationError):
        normalise_account("GB00 WEST 1234 5698 7654 32")  # IBAN-shaped, wrong checksum
    with pytest.raises(NormalisationError):
        normalise_account("12")  # too short to be an account number


def test_phone_numbers_become_e164():
    assert normalise_phone("+387 61 123 456") == "+38761123456"
    assert normalise_phone("061 123 456", default_region="BA") == "+38761123456"
    assert normalise_phone(None) is None
    with pytest.raises(NormalisationError):
        normalise_phone("+387 6")  # too short for any number plan
    with pytest.raises(NormalisationError):
        normalise_phone("not a number")


def test_email_is_lowercased_and_must_have_a_domain():
    assert normalise_email(" Ana.P@Example.ORG ") == "ana.p@example.org"
    with pytest.raises(NormalisationError):
        normalise_email("ana.p@localhost")


def test_names_meet_across_scripts_and_case():
    assert normalise_name("Петровић, Ивана") == normalise_name("PETROVIC ivana") == "petrovic ivana"
    assert normalise_name("Ömer Çelik") == "omer celik"
    assert name_tokens("Ivana Petrović") == name_tokens("PETROVIC, Ivana")
    assert normalise_name("  ") is None


def test_legal_forms_are_dropped_from_organisation_names():
    assert normalise_org_name("Balkan Staffing d.o.o.") == "balkan staffing"
    assert normalise_org_name("BALKAN STAFFING DOO") == "balkan staffing"
    assert normalise_org_name("Agencija Sp. z o.o.") == "agencija"
    assert normalise_org_name("GmbH") == "gmbh"  # a name is never emptied


def test_addresses_map_street_words_to_one_form():
    assert normalise_address("12 Main Street, Flat 3") == normalise_address("12 main st. apt 3")
    assert normalise_address("Ulica Kralja Petra 5") == normalise_address("ul. kralja petra 5")
    assert normalise_address("Hauptstraße 5") == "hauptstrasse 5"


@given(st.text(max_size=40))
def test_name_normalisation_is_idempotent(text):
    once = normalise_name(text)
    assert once is None or normalise_name(once) == once


@given(st.text(max_size=60))
def test_address_normalisation_is_idempotent(text):
    once = normalise_address(text)
    assert once is None or normalise_address(once) == once


@given(
    st.sampled_from(["DE89370400440532013000", "GB29NWBK60161331926819", "BA391290079401028494"]),
    st.lists(st.sampled_from([" ", "-", ""]), min_size=0, max_size=6),
    st.booleans(),
)
def test_iban_key_ignores_spacing_and_case(compact, seps, lower):
    text = compact
    for i, sep in enumerate(seps):
        pos = min(len(text), 4 * (i + 1))
        text = text[:pos] + sep + text[pos:]
    text = text.lower() if lower else text
    ref = normalise_account(text)
    assert ref is not None and ref.key == compact


@pytest.mark.parametrize(
    ("name", "mcc", "description", "expected"),
    [
        ("Locanto Classifieds Ltd", None, None, "online_advertising"),
        ("HOTEL ADRIA", None, None, "hotel"),
        ("Some Merchant", "7011", None, "hotel"),
        ("Finnair", None, None, None),  # "inn" must not match inside a word
        ("WESTERN UNION 1234", None, None, "money_transfer"),
        ("Binance", "4829", None, "money_transfer"),  # the MCC outranks the name
        ("J. Novak", None, "flixbus tickets", "travel"),  # description as last resort
        ("Balkan Staffing d.o.o.", None, None, "recruitment_agency"),
        ("Ana Petrovic", None, None, None),
    ],
)
def test_counterparties_are_classified_from_the_table(name, mcc, description, expected):
    assert classify_counterparty(name, mcc=mcc, description=description) == expected


def test_category_table_refuses_bad_data(tmp_path):
    bad = tmp_path / "cats.yaml"
    bad.write_text(
        "version: 1\ncategories:\n  - {id: hotel, label: H, mcc: ['70x1'], names: [hotel]}\n"
    )
    with pytest.raises(Exception, match="does not match"):
        load_category_table(bad)
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "version: 1\ncategories:\n"
        "  - {id: hotel, label: H, mcc: [], names: [hotel]}\n"
        "  - {id: hotel, label: H2, mcc: [], names: [motel]}\n"
    )
    with pytest.raises(ValueError, match="defined twice"):
        load_category_table(dup)


@pytest.mark.parametrize("text", ["no 5", "No. 5", "num 5", "number 5", "nr 5", "broj 5"])
def test_house_number_words_share_one_token(text):
    """Regression: YAML read the bare key `no` as a boolean, so "num 5" became
    "False 5" (and "false 5" on a second pass) instead of matching "no 5"."""
    assert normalise_address(text) == "no 5"


def test_address_table_refuses_tokens_that_are_not_text(monkeypatch):
    from palermo.investigate import normalise

    monkeypatch.setattr(
        normalise, "_load_data", lambda name: {"canonical": {False: ["number", False]}}
    )
    normalise._address_table.cache_clear()
    try:
        with pytest.raises(ValueError, match="must be text"):
            normalise._address_table()
    finally:
        normalise._address_table.cache_clear()
