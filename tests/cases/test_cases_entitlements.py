"""Entitlements held as data: the rules file, its checks, and the deadlines it plans."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.cases import entitlements as ent
from palermo.cases.workflow import due_date

DET = settings(derandomize=True, max_examples=200, deadline=None)
RULES = ent.default_rules()


def _doc() -> dict:
    from importlib import resources

    return yaml.safe_load(
        resources.files("palermo.cases").joinpath("data", "nrm_rules.yaml").read_text()
    )


def test_shipped_rules_load_and_every_rule_cites_a_source():
    assert RULES.version
    assert RULES.rules
    for rule in RULES.rules:
        assert rule.sources and all(s.citation.strip() for s in rule.sources)


def test_reflection_period_defaults_to_30_days_and_starts_on_presumed():
    rule = RULES.rule(ent.REFLECTION_RULE)
    assert rule.trigger == "identification.presumed" and rule.when_cooperating is None
    values = ent.setting_values(RULES)
    assert values[ent.REFLECTION_SETTING] == 30
    [planned] = [
        p
        for p in ent.plan(
            "identification.presumed", date(2026, 3, 1), ent.CaseFacts(False, False), RULES, values
        )
        if p.rule_key == ent.REFLECTION_RULE
    ]
    assert planned.due_on == date(2026, 3, 31) and planned.kind == "entitlement"
    assert any("Article 13" in c for c in planned.citations)


def test_deployment_sets_a_longer_reflection_period_but_never_a_shorter_one():
    assert (
        ent.settings_from_environment(RULES, {"PALERMO_REFLECTION_DAYS": "90"})[
            ent.REFLECTION_SETTING
        ]
        == 90
    )
    with pytest.raises(ent.RulesError, match="below the minimum"):
        ent.settings_from_environment(RULES, {"PALERMO_REFLECTION_DAYS": "29"})
    with pytest.raises(ent.RulesError, match="whole number"):
        ent.settings_from_environment(RULES, {"PALERMO_REFLECTION_DAYS": "a month"})


@DET
@given(
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, True, False]),
    st.integers(30, 365),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
def test_reflection_period_never_depends_on_cooperation(child, foreign, cooperates, days, on):
    settings_ = {ent.REFLECTION_SETTING: days}

    def reflection(coop):
        facts = ent.CaseFacts(
            is_child=child, is_foreign_national=foreign, cooperates_with_authorities=coop
        )
        return [
            p
            for p in ent.plan("identification.presumed", on, facts, RULES, settings_)
            if p.rule_key == ent.REFLECTION_RULE
        ]

    got = reflection(cooperates)
    assert len(got) == 1 and got[0].due_on == due_date(on, days)
    assert got == reflection(True) == reflection(False) == reflection(None)


@DET
@given(
    st.sampled_from(sorted(ent.TRIGGERS)),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, True, False]),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
def test_every_planned_deadline_ends_on_or_after_its_start(trigger, child, foreign, coop, on):
    planned = ent.plan(
        trigger, on, ent.CaseFacts(child, foreign, coop), RULES, ent.setting_values(RULES)
    )
    for p in planned:
        assert p.starts_on == on <= p.due_on and p.rule_version == RULES.version
    keys = [p.rule_key for p in planned]
    assert len(keys) == len(set(keys))
    if not child:
        assert not {"guardian_appointment", "best_interests_determination"} & set(keys)
    if not foreign:
        assert not any(k.startswith("residence_permit") for k in keys)


def test_child_case_gets_guardian_notification_and_bid_deadlines():
    keys = {
        p.rule_key
        for p in ent.plan(
            "case.opened",
            date(2026, 1, 10),
            ent.CaseFacts(True, True),
            RULES,
            ent.setting_values(RULES),
        )
    }
    assert {
        "guardian_appointment",
        "child_protection_notification",
        "best_interests_determination",
    } <= keys


def test_residence_permit_for_cooperation_only_when_cooperating():
    def keys(coop):
        return {
            p.rule_key
            for p in ent.plan(
                "identification.identified",
                date(2026, 1, 1),
                ent.CaseFacts(False, True, coop),
                RULES,
                ent.setting_values(RULES),
            )
        }

    assert "residence_permit_cooperation" in keys(True)
    assert "residence_permit_cooperation" not in keys(False) | keys(None)
    assert "residence_permit_personal_situation" in keys(False) & keys(None) & keys(True)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: d["rules"][5].__setitem__("when_cooperating", True),
            "may not depend on co-operation",
        ),
        (lambda d: d["settings"]["reflection_period_days"].__setitem__("minimum", 20), "below 30"),
        (
            lambda d: d["settings"]["reflection_period_days"].__setitem__("default", 10),
            "below the minimum",
        ),
        (lambda d: d["rules"][5].__setitem__("days", 30), "must come from the setting"),
        (lambda d: d["rules"][5].__setitem__("applies_to", "adult"), "every presumed victim"),
        (lambda d: d["rules"][0].__setitem__("sources", []), "cite at least one source"),
        (lambda d: d["rules"][0].__setitem__("sources", ["nowhere"]), "unknown sources"),
        (lambda d: d["rules"][0].__setitem__("trigger", "moon.full"), "unknown trigger"),
        (lambda d: d["rules"][0].__setitem__("days", -1), "cannot be negative"),
        (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "defined twice"),
        (lambda d: d["rules"][0].pop("task"), "'task' is missing"),
    ],
)
def test_loader_refuses_broken_rule_files(mutate, message):
    doc = _doc()
    assert doc["rules"][5]["key"] == ent.REFLECTION_RULE
    mutate(doc)
    with pytest.raises(ent.RulesError, match=message):
        ent.parse_rules(doc)


def test_a_copy_of_the_rules_file_can_replace_the_shipped_one(tmp_path):
    doc = _doc()
    doc["version"] = "2.0.0-test"
    doc["rules"][0]["days"] = 10
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc))
    rules = ent.load_rules(path)
    assert rules.version == "2.0.0-test" and rules.rule("identification_decision").days == 10


def test_rules_command_prints_the_rules_in_force(monkeypatch):
    from typer.testing import CliRunner

    from palermo.cases.cli import app

    monkeypatch.setenv("PALERMO_REFLECTION_DAYS", "45")
    out = CliRunner().invoke(app, ["rules"])
    assert out.exit_code == 0
    assert "reflection_period_days = 45" in out.output and "Article 13" in out.output
