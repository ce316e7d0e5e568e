"""Scenario packages: the shipped one loads; broken ones are refused whole, with file and line."""

from __future__ import annotations

import pytest

from palermo.exercise.scenario import FILES, SHIPPED, PackageError, load_package, parse_package


def _texts():
    return {n: (SHIPPED / "harbour_crossing" / n).read_text() for n in FILES}


def test_shipped_scenario_loads_for_20_to_40_trainees():
    sc = load_package(SHIPPED / "harbour_crossing")
    trainees = sum(r.get("per_team", 0) for r in sc.roles if r["kind"] == "trainee") * len(sc.teams)
    assert 20 <= trainees <= 40
    criteria = {ea.criterion for i in sc.injects for ea in i.expected_actions}
    assert criteria == {"victim_centred", "multi_agency", "sop"}
    assert {i.kind for i in sc.injects} == {"scheduled", "manual", "conditional"}
    assert any(p.get("child") for p in sc.personas)
    assert {i.path for i in sc.injects} >= {"social", "investigative"}


def _problems(texts):
    with pytest.raises(PackageError) as exc:
        parse_package(texts)
    return exc.value.problems


def test_unknown_role_persona_and_organisation_are_refused_with_lines():
    t = _texts()
    t["msel.yaml"] = (
        t["msel.yaml"]
        .replace("receivers: [inspector]\n", "receivers: [inspektor]\n", 1)
        .replace("persona: mira\n", "persona: nobody\n", 1)
        .replace("organisation: inspectorate\n", "organisation: nowhere\n", 1)
    )
    problems = _problems(t)
    msgs = [str(p) for p in problems]
    assert any("unknown role 'inspektor'" in m and m.startswith("msel.yaml, line ") for m in msgs)
    assert any("unknown persona 'nobody'" in m for m in msgs)
    assert any("unknown organisation 'nowhere'" in m for m in msgs)
    line = next(p.line for p in problems if "inspektor" in p.message)
    assert "inspektor" in t["msel.yaml"].splitlines()[line - 1]


def test_schema_errors_name_file_and_line_and_all_are_listed():
    t = _texts()
    t["scenario.yaml"] = t["scenario.yaml"].replace("days: 3", "days: many")
    t["msel.yaml"] = t["msel.yaml"].replace("criterion: victim_centred", "criterion: kindness", 1)
    problems = _problems(t)
    files = {p.file for p in problems}
    assert files == {"scenario.yaml", "msel.yaml"}
    days = next(p for p in problems if p.file == "scenario.yaml")
    assert "days: many" in t["scenario.yaml"].splitlines()[days.line - 1]
    crit = next(p for p in problems if p.file == "msel.yaml")
    assert "kindness" in t["msel.yaml"].splitlines()[crit.line - 1]


def test_bad_yaml_duplicate_keys_and_missing_files():
    t = _texts()
    t["personas.yaml"] = "personas:\n  - key: [unclosed\n"
    t["country.yaml"] = t["country.yaml"] + "name: again\n"
    del t["organisations.yaml"]
    msgs = [str(p) for p in _problems(t)]
    assert any(m.startswith("personas.yaml, line") and "not valid YAML" in m for m in msgs)
    assert any("country.yaml, line" in m and "appears twice" in m for m in msgs)
    assert any(m.startswith("organisations.yaml: ") and "missing" in m for m in msgs)


def test_contingency_needs_a_known_trigger_and_time_inside_the_days():
    t = _texts()
    t["msel.yaml"] = (
        t["msel.yaml"]
        .replace("after_inject: SOC-03", "after_inject: XYZ-99")
        .replace('at: "D3 09:30"', 'at: "D9 09:30"')
    )
    msgs = [p.message for p in _problems(t)]
    assert any("unknown inject 'XYZ-99'" in m for m in msgs)
    assert any("outside the exercise's days" in m for m in msgs)


def test_missing_directory(tmp_path):
    with pytest.raises(PackageError):
        load_package(tmp_path / "nope")
    (tmp_path / "scenario.yaml").write_text("schema: 1\n")
    with pytest.raises(PackageError) as exc:
        load_package(tmp_path)
    problems = exc.value.problems
    missing = {p.file for p in problems if "missing" in p.message}
    assert missing == {"country.yaml", "organisations.yaml", "personas.yaml", "msel.yaml"}
    # and the file that is there is checked too, in the same report
    assert any(p.file == "scenario.yaml" and p.line == 1 for p in problems)
