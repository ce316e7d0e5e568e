"""The HTCDS 2.0 specification data and its loader."""

from __future__ import annotations

import copy
import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

from palermo.stats.htcds_spec import SpecError, load_spec, parse_spec

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference" / "htcds"


def _doc() -> dict:
    return json.loads(
        resources.files("palermo.stats").joinpath("data", "htcds_2_0.json").read_text("utf-8")
    )


def test_spec_carries_attribution_and_licence():
    spec = load_spec()
    assert spec.version == "2.0"
    assert "IOM" in spec.attribution and "CC BY 4.0" in spec.attribution
    assert "not endorsed" in spec.attribution
    assert spec.license == "CC-BY-4.0"


def test_flat_layout_starts_with_iom_spreadsheet_and_uses_standard_names():
    spec = load_spec()
    assert spec.flat_layout[: len(spec.spreadsheet_layout)] == spec.spreadsheet_layout
    # IOM's template misspells this column; the standard's name is used.
    assert "vic_TraffickingStatusDecisionMakingOrg" in spec.flat_layout
    assert "vic_TraffickinStatusDecisionMakingOrg" not in spec.flat_layout
    # The template's unnamed column is resolved from its label.
    assert "cas_ReasonForOutgoingReferral" in spec.spreadsheet_layout
    assert all(spec.field(n).prefix in ("prs_", "vic_", "cas_", "con_") for n in spec.flat_layout)
    assert not any(spec.field(n).status == "DEPRECATED" for n in spec.flat_layout)


def test_picklists_and_types_are_typed():
    spec = load_spec()
    gender = spec.field("prs_Gender")
    assert gender.value_source == "picklist" and not gender.multiple
    assert [v.name for v in gender.values][:2] == ["Feminine", "Masculine"]
    assert all("\xa0" not in v.label for v in gender.values)
    citizenship = spec.field("prs_Citizenship")
    assert citizenship.multiple and citizenship.value_source == "iso3166_alpha2"
    assert spec.field("prs_MobilePhone").is_phone
    assert spec.field("prs_Birthdate").is_date
    assert spec.field("con_Consent").is_checkbox
    assert (
        spec.field("vic_MethodsOfControl").values[3].definition
    )  # DebtBondage, from Field Definitions.md


def test_xlsform_questions_map_to_fields():
    spec = load_spec()
    assert spec.xlsform.question("prs_First_Name").field == "prs_FirstName"
    assert spec.xlsform.question("vic_Methods_of_Control").field == "vic_MethodsOfControl"
    assert spec.xlsform.question("start").field is None
    # The form's choice names agree with the standard's value names.
    for q in spec.xlsform.questions:
        if q.list_name and q.field and spec.field(q.field).value_source == "picklist":
            assert {c.name for c in spec.xlsform.choices[q.list_name]} == spec.field(
                q.field
            ).value_names


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: d["fields"][0]["values"].extend([{"name": "X", "label": "X"}] * 2) or d,
            "duplicate",
        ),
        (lambda d: d["flat_layout"].append("prs_Nope") or d, "not a field"),
        (lambda d: d["fields"][0].update(prefix="zzz_") or d, "unknown table prefix"),
        (lambda d: d["xlsform"]["questions"][2].update(field="prs_Nope") or d, "unknown field"),
    ],
)
def test_inconsistent_spec_is_rejected(mutate, message):
    doc = mutate(copy.deepcopy(_doc()))
    with pytest.raises(SpecError, match=message):
        parse_spec(doc)


def test_committed_spec_is_what_the_build_script_produces():
    path = REPO / "src" / "palermo" / "stats" / "tools" / "build_htcds_spec.py"
    module_spec = importlib.util.spec_from_file_location("build_htcds_spec", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    assert module.render(module.build(REFERENCE)) == resources.files("palermo.stats").joinpath(
        "data", "htcds_2_0.json"
    ).read_text("utf-8")
