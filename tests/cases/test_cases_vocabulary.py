"""The case file's HTCDS picklists match IOM's standard; country and language codes are ISO."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from palermo.cases import vocabulary
from palermo.cases.tools.extract_picklists import FIELDS


def test_every_picklist_the_case_file_uses_is_present():
    assert set(vocabulary.picklists()) == set(FIELDS)
    assert "ForcedLabour" in vocabulary.values("vic_TypeOfExploitation")
    assert vocabulary.label("vic_MethodsOfControl", "DebtBondage")


def test_extract_matches_the_full_htcds_specification_when_present():
    path = resources.files("palermo.stats").joinpath("data", "htcds_2_0.json")
    if not path.is_file():
        pytest.skip("the statistics context's specification is not in this tree")
    spec = {f["name"]: f for f in json.loads(path.read_text(encoding="utf-8"))["fields"]}
    for name, picklist in vocabulary.picklists().items():
        assert [v["name"] for v in picklist["values"]] == [
            v["name"] for v in spec[name]["values"]
        ], name


def test_screening_forms_map_to_htcds_and_unknowns_are_reported():
    codes, unknown = vocabulary.exploitation_codes(
        ["labour", "sexual", "domestic_servitude", "labour", "Surrogacy", "x"]
    )
    assert codes == [
        "ForcedLabour",
        "SexualExploitation",
        "Servitude",
        "Surrogacy",
    ] and unknown == ["x"]


def test_iso_codes():
    assert (
        vocabulary.is_country("MD")
        and vocabulary.is_country("XK")
        and not vocabulary.is_country("QQ")
    )
    assert vocabulary.is_language("ro") and not vocabulary.is_language("xx")
