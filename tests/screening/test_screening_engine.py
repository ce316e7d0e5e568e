"""Screening engine: validation, status rules, next steps, the plain-mapping parser."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from palermo.screening.engine import (
    ObservedIndicator,
    ScreeningInput,
    ScreeningInputError,
    screen,
    screen_mapping,
    screening_input_from_mapping,
)
from palermo.screening.fastpath import FastScreener
from palermo.screening.loader import default_catalogue

CATALOGUE = default_catalogue()


def errors_of(data: dict) -> dict[str, str]:
    with pytest.raises(ScreeningInputError) as caught:
        screen_mapping(data, CATALOGUE)
    return {e["field"]: e["message"] for e in caught.value.to_list()}


def steps(result) -> list[str]:
    return [s.code for s in result.next_steps]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("age", [-1, 121, 999])
def test_impossible_age_is_rejected(age: int) -> None:
    assert "impossible age" in errors_of({"age": age})["age"]


@pytest.mark.parametrize("age", [0, 17, 18, 120])
def test_possible_ages_are_accepted(age: int) -> None:
    assert screen_mapping({"age": age}, CATALOGUE).age_group == ("child" if age < 18 else "adult")


@pytest.mark.parametrize("age", ["twelve", "12.5", True, [12], "1e3"])
def test_age_must_be_whole_years(age: object) -> None:
    assert "whole number" in errors_of({"age": age})["age"]


def test_unknown_indicator_key_names_the_key_and_suggests() -> None:
    message = errors_of({"age": 30, "forms": "labour", "indicators": ["excesive_working_hours"]})[
        "indicators.excesive_working_hours"
    ]
    assert "unknown indicator key" in message and "excessive_working_hours" in message


def test_adult_only_indicator_for_a_child_is_rejected() -> None:
    message = errors_of({"age": 12, "forms": "labour", "no_social_protection": "x"})[
        "indicators.no_social_protection"
    ]
    assert "ilo-ec-2009-adults-labour" in message and "a child" in message


def test_domestic_servitude_item_needs_that_form() -> None:
    message = errors_of({"age": 30, "forms": "labour", "ds_no_phone": "x"})[
        "indicators.ds_no_phone"
    ]
    assert "osce-2010-domestic-servitude" in message


def test_indicators_without_a_form_are_rejected() -> None:
    assert (
        "form of exploitation"
        in errors_of({"age": 30, "indicators": ["low_or_no_salary"]})["forms"]
    )


def test_unknown_form_source_and_palermo_item_are_rejected() -> None:
    errors = errors_of(
        {
            "age": 30,
            "forms": "fishing",
            "indicators": [{"key": "low_or_no_salary", "source": "rumour"}],
            "means": ["bribery"],
        }
    )
    assert "fishing" in errors["forms"]
    assert "rumour" in errors["indicators[0]"]
    assert "bribery" in errors["means"]


def test_conflicting_duplicates_are_rejected_identical_ones_merged() -> None:
    errors = errors_of(
        {
            "age": 30,
            "forms": "labour",
            "indicators": [
                {"key": "low_or_no_salary", "source": "observed"},
                {"key": "low_or_no_salary", "source": "document"},
            ],
        }
    )
    assert "more than once" in errors["indicators.low_or_no_salary"]
    person = screening_input_from_mapping(
        {"age": 30, "forms": "labour", "low_or_no_salary": "x", "indicators": ["low_or_no_salary"]},
        CATALOGUE,
    )
    assert person.indicators == (ObservedIndicator("low_or_no_salary"),)


@pytest.mark.parametrize(
    "row",
    [
        {"low_or_no_salary": "no", "indicators": ["low_or_no_salary"]},
        {"low_or_no_salary": " False ", "indicators": [{"key": "low_or_no_salary"}]},
        {"low_or_no_salary": 0, "indicators": {"low_or_no_salary": "observed"}},
        {"low_or_no_salary": "x", "indicators": {"low_or_no_salary": "0"}},
        {"low_or_no_salary": True, "indicators": {"low_or_no_salary": False}},
    ],
)
def test_an_indicator_answered_no_and_yes_is_refused_not_resolved(row) -> None:
    """A flat "no" and the same key present in "indicators" contradict each other: the
    parser used to keep the "yes" and drop the "no" without a word."""
    errors = errors_of({"age": 30, "forms": "labour", **row})
    assert "both no and yes" in errors["indicators.low_or_no_salary"]
    with pytest.raises(ScreeningInputError) as fast:
        FastScreener(CATALOGUE).result_json({"age": 30, "forms": "labour", **row})
    assert "both no and yes" in str(fast.value)


@pytest.mark.parametrize("nothing", ["", None])
def test_an_empty_cell_beside_a_present_indicator_is_no_contradiction(nothing) -> None:
    person = screening_input_from_mapping(
        {
            "age": 30,
            "forms": "labour",
            "low_or_no_salary": nothing,
            "indicators": ["low_or_no_salary"],
        },
        CATALOGUE,
    )
    assert person.indicators == (ObservedIndicator("low_or_no_salary"),)


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(
        {
            "age": -5,
            "forms": "labour",
            "foo": 1,
            "indicators": ["nope"],
            "self_identifies_as_victim": "perhaps",
        }
    )
    assert set(errors) == {"age", "foo", "indicators.nope", "self_identifies_as_victim"}


def test_screen_validates_dataclass_input_too() -> None:
    with pytest.raises(ScreeningInputError) as caught:
        screen(
            ScreeningInput(age=200, forms=("labour",), indicators=(ObservedIndicator("x_y"),)),
            CATALOGUE,
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["age", "indicators.x_y"]


def test_stated_adult_age_with_uncertainty_is_a_presumed_child_not_an_error() -> None:
    """Documented decision: the flag means the stated age is what is uncertain."""
    result = screen_mapping(
        {
            "age": 19,
            "age_uncertain_may_be_child": "yes",
            "forms": "labour",
            "deceived_about_education": "x",
        },
        CATALOGUE,
    )
    assert result.age_group == "child" and result.age_basis == "presumed_child"
    assert result.sets[0].set_id == "ilo-ec-2009-children-labour"
    assert "establish_age" in steps(result)
    assert any("does not lift the presumption" in s for s in result.explanation)


# ---------------------------------------------------------------- status rules


def test_nothing_recorded_gives_no_indication() -> None:
    result = screen_mapping({"age": 30, "forms": "labour"}, CATALOGUE)
    assert (result.status, result.status_rule, result.assessment) == (
        "no_indication",
        "no_indication",
        "insufficient_to_assess",
    )
    assert result.next_steps == ()


def test_one_indicator_for_an_adult_makes_a_potential_victim() -> None:
    result = screen_mapping({"age": 30, "forms": "labour", "low_or_no_salary": "x"}, CATALOGUE)
    assert (result.status, result.status_rule) == ("potential_victim", "indicators_noticed")
    assert steps(result) == ["refer_to_identification_body"]


def test_one_indicator_for_a_child_triggers_protection() -> None:
    result = screen_mapping({"age": 16, "forms": "labour", "low_or_no_salary": "x"}, CATALOGUE)
    assert (result.status, result.status_rule) == ("presumed_victim", "child_any_indication")
    assert steps(result) == [
        "refer_to_identification_body",
        "offer_assistance_and_reflection_period",
        "notify_child_protection",
        "request_guardian",
        "no_detention",
    ]


def test_self_identification_alone_gives_the_benefit_of_the_doubt() -> None:
    result = screen_mapping({"age": 30, "self_identifies_as_victim": "yes"}, CATALOGUE)
    assert (result.status, result.status_rule) == ("presumed_victim", "self_identification")


def test_severe_signs_without_exploitation_do_not_count_as_severe_exploitation() -> None:
    """A severe indicator alone is coercion, not yet severe exploitation."""
    result = screen_mapping(
        {
            "age": 30,
            "forms": "labour",
            "coerced_violence_on_victim": "x",
            "coerced_wages_withheld": "x",
        },
        CATALOGUE,
    )
    assert result.assessment == "means_without_exploitation"
    assert result.status == "potential_victim"
    assert "follow_up_risk" in steps(result)


def test_exploitation_without_means_points_to_labour_rights() -> None:
    result = screen_mapping(
        {"age": 30, "forms": "labour", "excessive_working_hours": "x", "low_or_no_salary": "x"},
        CATALOGUE,
    )
    assert result.assessment == "exploitation_without_means"
    assert result.status == "potential_victim"
    assert "refer_labour_rights" in steps(result)


def test_palermo_elements_declared_by_the_screener() -> None:
    adult = screen_mapping(
        {
            "age": 30,
            "act": "recruitment",
            "means": "deception",
            "purpose": "forced_labour_or_services",
        },
        CATALOGUE,
    )
    assert adult.palermo.elements_met and adult.status_rule == "palermo_elements_met"
    no_means = screen_mapping(
        {"age": 30, "act": "recruitment", "purpose": "forced_labour_or_services"}, CATALOGUE
    )
    assert not no_means.palermo.elements_met and no_means.status == "potential_victim"
    child = screen_mapping(
        {"age": 12, "act": "recruitment", "purpose": "forced_labour_or_services"}, CATALOGUE
    )
    assert child.palermo.elements_met and not child.palermo.means_required


def test_means_and_purpose_can_come_from_indicators() -> None:
    result = screen_mapping(
        {
            "age": 30,
            "forms": "labour",
            "act": ["transportation"],
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
            "coerced_documents_confiscated": "x",
            "coerced_wages_withheld": "x",
        },
        CATALOGUE,
    )
    assert result.palermo.means_from_indicators and result.palermo.purpose_from_indicators
    assert result.palermo.elements_met
    assert "palermo_elements_met" in result.rules_met


def test_two_forms_are_screened_against_both_lists() -> None:
    result = screen_mapping(
        {
            "age": 25,
            "forms": "sexual;labour",
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
            "deceived_about_job": "x",
            "deceived_about_wages": "x",
            "coerced_tasks_or_clients": "x",
            "coerced_debt_bondage": "x",
        },
        CATALOGUE,
    )
    assert result.forms == ("labour", "sexual")
    assert [s.set_id for s in result.sets] == [
        "ilo-ec-2009-adults-labour",
        "ilo-ec-2009-adults-sexual",
    ]
    assert result.assessments == (
        "trafficking_for_labour_exploitation",
        "trafficking_for_sexual_exploitation",
    )


# ---------------------------------------------------------------- parser and output


def test_mapping_accepts_every_documented_shape() -> None:
    flat = screening_input_from_mapping(
        {
            "ref": "P-1",
            "age": " 41 ",
            "forms": "labour",
            "excessive_working_hours": "X",
            "low_or_no_salary": "document",
            "wage_manipulation": "",
            "hazardous_work": "no",
        },
        CATALOGUE,
    )
    listed = screening_input_from_mapping(
        {
            "age": 41,
            "forms": ["labour"],
            "indicators": [
                "excessive_working_hours",
                {"key": "low_or_no_salary", "source": "document", "note": "payslip"},
            ],
        },
        CATALOGUE,
    )
    mapped = screening_input_from_mapping(
        {
            "age": 41.0,
            "forms": ["labour"],
            "indicators": {
                "excessive_working_hours": True,
                "low_or_no_salary": {"source": "document"},
            },
        },
        CATALOGUE,
    )
    assert flat.age == listed.age == mapped.age == 41
    for person in (flat, listed, mapped):
        assert {(o.key, o.source) for o in person.indicators} == {
            ("excessive_working_hours", None),
            ("low_or_no_salary", "document"),
        }
    assert screen_mapping(
        {"age": 41, "forms": "labour", "indicators": "excessive_working_hours;low_or_no_salary"},
        CATALOGUE,
    )


def test_notes_never_enter_the_result() -> None:
    result = screen_mapping(
        {
            "age": 30,
            "forms": "labour",
            "indicators": [{"key": "low_or_no_salary", "note": "Name: Jane Doe"}],
        },
        CATALOGUE,
    )
    assert b"Jane" not in result.to_json()


def test_to_dict_is_plain_and_equal_to_the_json() -> None:
    result = screen_mapping({"age": 30, "forms": "labour", "low_or_no_salary": "x"}, CATALOGUE)
    as_dict = result.to_dict()
    assert as_dict == orjson.loads(result.to_json())
    assert as_dict["status"] == "potential_victim"
    assert as_dict["sets"][0]["dimensions"][3]["indicators"] == [
        {"key": "low_or_no_salary", "grade": "medium", "source": None}
    ]
    assert all(isinstance(sentence, str) for sentence in as_dict["explanation"])


def test_engine_module_does_not_import_django() -> None:
    code = (
        "import sys, palermo.screening.engine, palermo.screening.batch, palermo.screening.loader;"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603


def test_result_for_display_adds_labels_from_the_sets() -> None:
    from palermo.screening.display import result_for_display

    stored = screen_mapping(
        {
            "age": 30,
            "forms": "domestic_servitude",
            "excessive_working_hours": "x",
            "ds_no_phone": "x",
        },
        CATALOGUE,
    ).to_dict()
    shown = result_for_display(stored, CATALOGUE)
    labour, servitude = shown["sets"]
    assert labour["title"].startswith("Operational indicators: adult victims")
    assert labour["rule_id"] == "ilo-ec-2009-combination"
    exploitation = labour["dimensions"][3]
    assert (exploitation["number"], exploitation["label"]) == (4, "Exploitative conditions of work")
    assert exploitation["indicators"][0]["label"] == "Excessive working days or hours"
    assert servitude["criteria"][0]["label"] == "Poor living and working conditions"
    assert servitude["criteria"][0]["indicators"][0]["label"] == "Excessive working days or hours"
    assert "label" not in stored["sets"][0]["dimensions"][3]  # the stored result is untouched
