"""Indicator sets: the built-in files, the schema, and rejection of broken sets."""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from palermo.screening.engine import screen_mapping
from palermo.screening.loader import (
    BUILTIN_DIR,
    ENV_VAR,
    IndicatorSetError,
    default_catalogue,
    load_catalogue,
    load_indicator_set,
)

ADULT_LABOUR = "ilo-ec-2009-adults-labour"
CHILD_LABOUR = "ilo-ec-2009-children-labour"


def builtin(name: str) -> dict[str, Any]:
    return yaml.safe_load((BUILTIN_DIR / name).read_text())


def write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


# ---------------------------------------------------------------- built-in sets


@pytest.mark.parametrize("name", sorted(p.name for p in BUILTIN_DIR.glob("*.y*ml")))
def test_builtin_sets_pass_the_schema(name: str) -> None:
    """The shipped sets load without the schema check at start-up (loader.load_catalogue):
    this is where they are checked against it, and the same file built either way is equal."""
    from palermo.screening.loader import _schema_error

    assert _schema_error(builtin(name)) is None
    path = BUILTIN_DIR / name
    checked, trusted = load_indicator_set(path), load_indicator_set(path, check_schema=False)
    assert dataclasses.asdict(checked) == dataclasses.asdict(trusted)


def test_a_set_outside_the_package_is_still_schema_checked(tmp_path: Path, monkeypatch) -> None:
    data = builtin("adults-labour.yaml")
    data["version"] = 3  # a number, not the schema's string
    write(tmp_path, "adults-labour.yaml", data)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(IndicatorSetError, match="schema violation"):
        load_catalogue()


def test_builtin_sets_load() -> None:
    catalogue = default_catalogue()
    assert [s.id for s in catalogue.sets] == [
        "ilo-ec-2009-adults-labour",
        "ilo-ec-2009-adults-sexual",
        "ilo-ec-2009-children-labour",
        "ilo-ec-2009-children-sexual",
        "osce-2010-domestic-servitude",
    ]
    assert catalogue.forms == ("domestic_servitude", "labour", "sexual")


def test_labour_lists_are_transcribed_in_full() -> None:
    """Counts per dimension from identification.md: 10/10/16/9/15/7 for adults; the
    child list lacks 'false information about law' (dim 3) and 'no social protection'."""
    catalogue = default_catalogue()
    adult = Counter(i.dimension for i in catalogue.get(ADULT_LABOUR).indicators)
    child = Counter(i.dimension for i in catalogue.get(CHILD_LABOUR).indicators)
    expected = {
        "deceptive_recruitment": 10,
        "coercive_recruitment": 10,
        "abuse_of_vulnerability_at_recruitment": 16,
        "exploitative_conditions": 9,
        "coercion_at_destination": 15,
        "abuse_of_vulnerability_at_destination": 7,
    }
    assert dict(adult) == expected
    assert dict(child) == {
        **expected,
        "abuse_of_vulnerability_at_recruitment": 15,
        "exploitative_conditions": 8,
    }
    assert catalogue.get(ADULT_LABOUR).transcribed and catalogue.get(CHILD_LABOUR).transcribed


@pytest.mark.parametrize(
    ("key", "adult", "child"),
    [
        ("deceived_about_job", "strong", "strong"),
        ("deceived_about_education", "weak", "strong"),
        ("recruited_with_threats_of_violence", "medium", "strong"),
        ("vulnerable_at_recruitment_cultural_or_religious_beliefs", "weak", "medium"),
        ("vulnerable_at_recruitment_false_information_about_law", "medium", None),
        ("excessive_working_hours", "strong", "strong"),
        ("no_social_protection", "medium", None),
        ("no_access_to_education", "weak", "medium"),
        ("coerced_documents_confiscated", "strong", "strong"),
        ("coerced_tasks_or_clients", "medium", "strong"),
        ("coerced_threat_to_inform_family", "weak", "medium"),
        ("vulnerable_at_destination_personal_characteristics", "weak", "medium"),
    ],
)
def test_grades_differ_between_lists_as_published(key: str, adult: str, child: str | None) -> None:
    catalogue = default_catalogue()
    adult_indicator = catalogue.get(ADULT_LABOUR).indicator(key)
    child_indicator = catalogue.get(CHILD_LABOUR).indicator(key)
    assert adult_indicator is not None and adult_indicator.grade == adult
    assert (child_indicator.grade if child_indicator else None) == child


def test_sexual_lists_say_they_are_not_transcribed() -> None:
    catalogue = default_catalogue()
    for set_id in ("ilo-ec-2009-adults-sexual", "ilo-ec-2009-children-sexual"):
        s = catalogue.get(set_id)
        assert s.transcribed is False
        assert "NOT TRANSCRIBED" in s.provenance.note
        forced = s.indicator("coerced_tasks_or_clients")
        assert forced is not None and forced.grade == "strong" and forced.grade_basis


def test_the_four_ilo_lists_share_the_published_rule() -> None:
    rules = [
        builtin(name)["rule"]["dimension_positive_when_any"]
        for name in (
            "adults-labour.yaml",
            "adults-sexual.yaml",
            "children-labour.yaml",
            "children-sexual.yaml",
        )
    ]
    assert all(r == rules[0] for r in rules)
    assert builtin("adults-labour.yaml")["rule"]["trafficking_when_positive"] == [
        "recruitment",
        "exploitation",
        "destination",
    ]
    # Children (Palermo Art. 3(c)): exploitation, plus the act established by a declared
    # act or a positive recruitment stage; never the means.
    for name in ("children-labour.yaml", "children-sexual.yaml"):
        rule = builtin(name)["rule"]
        assert rule["trafficking_when_positive"] == ["exploitation"]
        assert rule["child_act_rule"]["act_established_by"] == {
            "declared_act": True,
            "positive_stages": ["recruitment"],
        }
        citation = rule["child_act_rule"]["citation"]
        assert "Art. 3(c)" in citation and "Art. 4(c)" in citation and "ILO/EC" in citation
    for name in ("adults-labour.yaml", "adults-sexual.yaml"):
        assert "child_act_rule" not in builtin(name)["rule"]


def test_every_indicator_has_label_and_guidance() -> None:
    for s in default_catalogue().sets:
        for i in s.indicators:
            assert i.label.strip() and i.guidance.strip(), (s.id, i.key)


# ---------------------------------------------------------------- broken sets


def broken(tmp_path: Path, mutate) -> Path:
    data = builtin("adults-labour.yaml")
    data["id"] = "broken-set"
    data["applies_to"]["forms"] = ["test_only"]
    mutate(data)
    return write(tmp_path, "broken.yaml", data)


def expect_rejected(path: Path, *fragments: str) -> IndicatorSetError:
    with pytest.raises(IndicatorSetError) as caught:
        load_catalogue([path.parent], use_env=False)
    error = caught.value
    assert error.path == str(path)
    for fragment in fragments:
        assert fragment in error.reason, error.reason
    assert str(path) in str(error)
    return error


def test_rejects_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "id: [unclosed\n")
    expect_rejected(path, "invalid YAML")


def test_rejects_missing_field(tmp_path: Path) -> None:
    path = broken(tmp_path, lambda d: d.pop("provenance"))
    expect_rejected(path, "schema violation", "provenance")


def test_rejects_unknown_grade(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"][3]["grade"] = "strnog"

    path = broken(tmp_path, mutate)
    expect_rejected(path, "$.indicators[3].grade", "strnog")


def test_rejects_number_as_version(tmp_path: Path) -> None:
    path = broken(tmp_path, lambda d: d.__setitem__("version", 1.0))
    expect_rejected(path, "$.version")


def test_rejects_unknown_dimension(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"][0]["dimension"] = "no_such_dimension"

    path = broken(tmp_path, mutate)
    expect_rejected(path, "deceived_about_job", "unknown dimension 'no_such_dimension'")


def test_rejects_duplicate_indicator_key(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"][1]["key"] = d["indicators"][0]["key"]

    path = broken(tmp_path, mutate)
    expect_rejected(path, "duplicate indicator key", "deceived_about_job")


def test_rejects_overlapping_grades_in_one_clause(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["rule"]["dimension_positive_when_any"][1]["requires"][1]["grades"] = ["strong", "weak"]

    path = broken(tmp_path, mutate)
    expect_rejected(path, "strong_and_medium_or_weak", "same grade")


def test_rejects_unknown_stage(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["rule"]["trafficking_when_positive"] = ["recruitment", "nowhere"]

    path = broken(tmp_path, mutate)
    expect_rejected(path, "unknown stage 'nowhere'")


def test_rejects_dimension_without_indicators(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"] = [
            i for i in d["indicators"] if i["dimension"] != "exploitative_conditions"
        ]

    path = broken(tmp_path, mutate)
    expect_rejected(path, "without indicators", "exploitative_conditions")


def test_rejects_reserved_field_name_as_key(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"][0]["key"] = "age"

    path = broken(tmp_path, mutate)
    expect_rejected(path, "screening field name", "age")


def test_rejects_key_with_another_meaning(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["indicators"][0]["dimension"] = "coercive_recruitment"  # deceived_about_job

    path = broken(tmp_path, mutate)
    expect_rejected(path, "deceived_about_job", "must mean one thing")


def test_rejects_two_sets_for_the_same_people(tmp_path: Path) -> None:
    path = broken(tmp_path, lambda d: d["applies_to"].__setitem__("forms", ["labour"]))
    expect_rejected(path, "broken-set", ADULT_LABOUR, "adults screened for labour")


def test_rejects_same_id_twice_in_one_directory(tmp_path: Path) -> None:
    shutil.copy(BUILTIN_DIR / "adults-labour.yaml", tmp_path / "a.yaml")
    shutil.copy(BUILTIN_DIR / "adults-labour.yaml", tmp_path / "b.yaml")
    expect_rejected(tmp_path / "b.yaml", ADULT_LABOUR, "a.yaml")


def test_rejects_criteria_pointing_at_unknown_key(tmp_path: Path) -> None:
    data = builtin("domestic-servitude.yaml")
    data["criteria"][0]["also_met_by"] = ["no_such_indicator"]
    path = write(tmp_path, "domestic-servitude.yaml", data)
    expect_rejected(path, "poor_living_and_working_conditions", "no_such_indicator")


def test_rejects_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(IndicatorSetError) as caught:
        load_catalogue([missing], use_env=False)
    assert caught.value.path == str(missing)
    assert "does not exist" in caught.value.reason


def test_load_indicator_set_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", ["not", "a", "mapping"])
    with pytest.raises(IndicatorSetError) as caught:
        load_indicator_set(path)
    assert caught.value.path == str(path)
    assert "top level" in caught.value.reason


# ---------------------------------------------------------------- national sets


def test_env_directory_replaces_a_set_by_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national authority grades 'excessive working hours' weak: the same answers
    then no longer make the exploitation dimension positive."""
    data = builtin("adults-labour.yaml")
    data["version"] = "1.0.0-national.1"
    data["provenance"]["adapted_by"] = "National Rapporteur (test)"
    for indicator in data["indicators"]:
        if indicator["key"] == "excessive_working_hours":
            indicator["grade"] = "weak"
    write(tmp_path, "adults-labour-national.yaml", data)
    answers = {
        "age": 40,
        "forms": "labour",
        "excessive_working_hours": "x",
        "low_or_no_salary": "x",
    }

    before = screen_mapping(answers, default_catalogue())
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    adapted = default_catalogue()
    after = screen_mapping(answers, adapted)

    assert adapted.get(ADULT_LABOUR).version == "1.0.0-national.1"
    assert adapted.get(ADULT_LABOUR).provenance.adapted_by == "National Rapporteur (test)"
    assert [s.id for s in adapted.sets] == [s.id for s in load_catalogue(use_env=False).sets]
    exploitation = {d.key: d for d in before.sets[0].dimensions}["exploitative_conditions"]
    assert exploitation.positive
    exploitation = {d.key: d for d in after.sets[0].dimensions}["exploitative_conditions"]
    assert not exploitation.positive
    assert after.sets[0].version == "1.0.0-national.1"


def test_env_directory_adds_a_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = builtin("adults-labour.yaml")
    data["id"] = "national-forced-begging"
    data["title"] = "Forced begging (national list)"
    data["applies_to"]["forms"] = ["forced_begging"]
    data["rule"]["outcome"] = "trafficking_for_forced_begging"
    write(tmp_path, "forced-begging.yaml", data)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    catalogue = default_catalogue()
    assert "forced_begging" in catalogue.forms
    result = screen_mapping(
        {
            "age": 30,
            "forms": "forced_begging",
            "deceived_about_job": "x",
            "deceived_about_wages": "x",
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
            "coerced_documents_confiscated": "x",
            "coerced_debt_bondage": "x",
        },
        catalogue,
    )
    assert result.assessment == "trafficking_for_forced_begging"


def test_broken_env_directory_stops_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "bad.yaml", "id: x\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(IndicatorSetError) as caught:
        default_catalogue()
    assert caught.value.path == str(tmp_path / "bad.yaml")
