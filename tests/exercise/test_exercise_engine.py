"""Inject engine decisions and evidence rules (pure)."""

from __future__ import annotations

import pytest

from palermo.exercise import engine, evidence
from palermo.exercise.scenario import SHIPPED, load_package

SC = load_package(SHIPPED / "harbour_crossing")


def test_scheduled_injects_due_once_per_team_in_time_order():
    due = engine.due_scheduled(SC.injects, 3600, set(), ["a", "b"])
    assert [(i.id, t) for i, t in due] == [
        ("SOC-01", "a"),
        ("SOC-01", "b"),
        ("SOC-02", "a"),
        ("SOC-02", "b"),
    ]
    again = engine.due_scheduled(SC.injects, 3600, {("SOC-01", "a"), ("SOC-02", "a")}, ["a", "b"])
    assert [(i.id, t) for i, t in again] == [("SOC-01", "b"), ("SOC-02", "b")]
    assert engine.due_scheduled(SC.injects, 0, set(), ["a"]) == []


def test_contingency_fires_only_after_delay_and_without_evidence():
    at = {("SOC-03", "a"): 1000.0, ("SOC-03", "b"): 1000.0}
    never = lambda rule, team, trig: False  # noqa: E731
    assert engine.due_contingencies(SC.injects, 1000 + 119 * 60, at, ["a", "b"], never) == []
    fired = engine.due_contingencies(SC.injects, 1000 + 120 * 60, at, ["a", "b"], never)
    assert [(i.id, t) for i, t in fired] == [("CON-01", "a"), ("CON-01", "b")]
    only_b = engine.due_contingencies(
        SC.injects, 1000 + 121 * 60, at, ["a", "b"], lambda rule, team, trig: team == "a"
    )
    assert [(i.id, t) for i, t in only_b] == [("CON-01", "b")]
    done = {**at, ("CON-01", "a"): 9000.0}
    assert [t for _, t in engine.due_contingencies(SC.injects, 99999, done, ["a"], never)] == []
    # no trigger delivered: nothing fires
    assert engine.due_contingencies(SC.injects, 99999, {}, ["a"], never) == []


def test_overdue_expected_actions():
    soc02 = SC.inject("SOC-02")
    st = engine.action_status(soc02, "a", 0.0, 61 * 60, lambda a: a == "SOC-02.2")
    by = {s.action_id: s for s in st}
    assert by["SOC-02.1"].overdue and not by["SOC-02.1"].done
    assert not by["SOC-02.2"].overdue and by["SOC-02.2"].done
    assert not by["SOC-02.3"].overdue  # 240 minutes


def F(i, at, what="", object_type="case", action="update"):
    return evidence.Fact(i, at, 1, action, object_type, "REF-1", what)


def test_evidence_find_counts_from_delivery_and_keeps_entry_ids():
    facts = [
        F(1, 50, "consent_give"),
        F(2, 130, "consent_give"),
        F(3, 160, "", "screening", "create"),
        F(4, 200, "consent_give"),
    ]
    f = evidence.find("consent_recorded", facts, since=100)
    assert f.met and f.count == 2 and f.entry_ids == (2, 4)
    assert f.minutes_after == 0.5
    assert not evidence.find("guardian_requested", facts, 0).met
    assert evidence.find("screening_recorded", facts, 0).entry_ids == (3,)


def test_orderings():
    ok = [F(1, 10, "consent_give"), F(2, 20, "service_referral_send")]
    late = [F(1, 30, "consent_give"), F(2, 20, "service_referral_send")]
    assert evidence.ordering("consent_before_referral", ok, 0).held is True
    assert evidence.ordering("consent_before_referral", late, 0).held is False
    assert evidence.ordering("consent_before_referral", ok[:1], 0).held is None
    assert (
        evidence.ordering(
            "guardian_before_identification", [F(3, 5, "identification_decide")], 0
        ).held
        is False
    )


# --- figures and their entries (issue 16, item 6) -------------------------------------------------


def test_interpreter_requested_counts_requests_and_interpretation_referrals_only():
    def R(i, at, service_type):
        return evidence.Fact(
            i, at, 1, "create", "case", "REF-1", "service_referral_send", service_type
        )

    facts = [
        R(1, 10, "shelter"),
        F(2, 20, "interpreter_request", action="create"),
        R(3, 30, "interpretation"),
    ]
    found = evidence.find("interpreter_requested", facts, 0)
    assert found.entry_ids == (2, 3) and found.minutes_after == round(20 / 60, 1)
    assert not evidence.find("interpreter_requested", facts[:1], 0).met


def test_figures_keep_the_entries_they_came_from():
    facts = [
        F(1, 5, "consent_give"),  # before the team's first inject: not counted
        F(2, 100, "", "screening", "create"),
        F(3, 110, "consent_give"),
        F(4, 120, "service_referral_send"),
        F(5, 130, "", "screening", "create"),
    ]
    interviews = evidence.figure("interviews", facts, 50)
    assert interviews.value == 2 and interviews.entry_ids == (2, 5)
    order = evidence.figure("consent_before_referral", facts, 50)
    assert order.value is True and order.entry_ids == (3, 4)
    first = evidence.figure("first_action", facts, 50)
    assert (
        first.value is True and first.entry_ids[0] == 2 and first.minutes_after == round(50 / 60, 1)
    )
    assert evidence.figure("return_assessment_done", facts, 50) == evidence.Figure(
        "return_assessment_done", "rule", False, None, ()
    )
    with pytest.raises(KeyError):
        evidence.figure("no_such", facts, 0)


def test_every_case_entry_the_case_services_write_has_words():
    """The drill-down says what was done in words: each ``what`` a case service audits."""
    import pathlib
    import re

    import palermo.cases.services as cs

    src = "\n".join(p.read_text() for p in pathlib.Path(cs.__file__).parent.glob("*.py"))
    whats = set(re.findall(r"_audit\(\s*\w+,\s*\w+,\s*\w+,\s*\"([a-z_]+)\"", src))
    whats |= {f"service_referral_{t}" for t in ("accepted", "declined", "delivered", "closed")}
    assert {"case_open", "consent_give", "interpreter_request"} <= whats
    missing = sorted(w for w in whats if evidence.describe(F(1, 0, w)) is None)
    assert not missing, missing
