"""The pure NRM rules: the transition table, decisions, referrals, return, children, deadlines."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.cases import workflow as wf

# Deterministic: the same examples every run (tests must never flake).
DET = settings(derandomize=True, max_examples=200, deadline=None)

STATUSES = st.sampled_from(wf.IDENTIFICATION_STATUSES)
PHASES = st.sampled_from(wf.PHASES)

# The transition table, written out by hand so a change to it is a deliberate change to this test.
EXPECTED = {
    ("identification", "first_line"),
    ("identification", "closed"),
    ("first_line", "medium_long_term"),
    ("first_line", "return_inclusion"),
    ("first_line", "proceedings"),
    ("first_line", "closed"),
    ("medium_long_term", "first_line"),
    ("medium_long_term", "return_inclusion"),
    ("medium_long_term", "proceedings"),
    ("medium_long_term", "closed"),
    ("return_inclusion", "medium_long_term"),
    ("return_inclusion", "proceedings"),
    ("return_inclusion", "closed"),
    ("proceedings", "medium_long_term"),
    ("proceedings", "return_inclusion"),
    ("proceedings", "closed"),
    ("closed", "identification"),
    ("closed", "first_line"),
}


def _facts(phase: str, status: str = wf.PRESUMED, **kw) -> wf.TransitionFacts:
    return wf.TransitionFacts(phase=phase, identification_status=status, **kw)


@pytest.mark.parametrize("source", wf.PHASES)
@pytest.mark.parametrize("target", wf.PHASES)
def test_transition_table_exhaustively(source, target):
    # With facts that satisfy every guard, exactly the table's pairs are allowed.
    status = wf.NOT_IDENTIFIED if (source, target) == ("closed", "identification") else wf.PRESUMED
    facts = _facts(
        source, status, closure_reason="assistance_completed", has_best_interests_determination=True
    )
    problems = wf.transition_problems(facts, target)
    assert (problems == []) == ((source, target) in EXPECTED), (source, target, problems)
    if (source, target) not in EXPECTED:
        assert problems and all(isinstance(p, str) and p for p in problems)


def test_refusal_names_allowed_next_phases():
    [msg] = wf.transition_problems(_facts("identification"), "proceedings")
    assert "cannot move" in msg and "First-line assistance" in msg


def test_assistance_needs_a_presumed_or_identified_decision():
    for status in (wf.POTENTIAL, wf.NOT_IDENTIFIED):
        assert wf.transition_problems(_facts("identification", status), "first_line")
    for status in (wf.PRESUMED, wf.IDENTIFIED):
        assert wf.transition_problems(_facts("identification", status), "first_line") == []


def test_closing_needs_a_reason_and_other_needs_details():
    assert wf.transition_problems(_facts("first_line"), "closed") == [
        "Give the reason for closing the case."
    ]
    assert wf.transition_problems(_facts("first_line", closure_reason="other"), "closed") == [
        "Explain the reason for closure."
    ]
    assert (
        wf.transition_problems(
            _facts("first_line", closure_reason="other", closure_details="moved abroad"), "closed"
        )
        == []
    )


def test_closing_as_not_identified_needs_that_decision_and_no_pending_appeal():
    assert wf.transition_problems(
        _facts("identification", wf.POTENTIAL, closure_reason="not_identified"), "closed"
    )
    ok = _facts("identification", wf.NOT_IDENTIFIED, closure_reason="not_identified")
    assert wf.transition_problems(ok, "closed") == []
    pending = _facts(
        "identification", wf.NOT_IDENTIFIED, closure_reason="not_identified", appeal_pending=True
    )
    assert any("appeal" in p for p in wf.transition_problems(pending, "closed"))


def test_child_case_closes_only_after_a_best_interests_determination():
    child = _facts("first_line", is_child=True, closure_reason="assistance_completed")
    assert any("best-interests" in p for p in wf.transition_problems(child, "closed"))
    done = _facts(
        "first_line",
        is_child=True,
        closure_reason="assistance_completed",
        has_best_interests_determination=True,
    )
    assert wf.transition_problems(done, "closed") == []
    # A child who disappears cannot wait for a BID to close the file.
    assert (
        wf.transition_problems(
            _facts("first_line", is_child=True, closure_reason="lost_contact"), "closed"
        )
        == []
    )


@DET
@given(
    PHASES,
    PHASES,
    STATUSES,
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", *wf.CLOSURE_REASONS]),
)
def test_no_transition_outside_the_table_whatever_the_facts(
    source, target, status, child, bid, reason
):
    facts = _facts(
        source,
        status,
        is_child=child,
        has_best_interests_determination=bid,
        closure_reason=reason,
        closure_details="details",
    )
    if wf.transition_problems(facts, target) == []:
        assert target in wf.TRANSITIONS[source]


@DET
@given(PHASES, STATUSES)
def test_unknown_target_and_same_phase_are_refused(source, status):
    assert wf.transition_problems(_facts(source, status), "nowhere")
    assert wf.transition_problems(_facts(source, status), source)


def test_status_after_transition():
    assert wf.status_after_transition("closed", "referred_elsewhere", "Active") == "ClosedReferred"
    assert wf.status_after_transition("closed", "returned", "FollowUp") == "Closed"
    assert wf.status_after_transition("first_line", "", "Closed") == "Active"
    assert wf.status_after_transition("proceedings", "", "FollowUp") == "FollowUp"


@pytest.mark.parametrize("current", wf.IDENTIFICATION_STATUSES)
@pytest.mark.parametrize("outcome", [wf.PRESUMED, wf.IDENTIFIED, wf.NOT_IDENTIFIED])
def test_decision_table(current, outcome):
    reasons = "Credible account and indicators of forced labour."
    ok = wf.decision_problems(current, outcome, reasons, on_appeal_or_new_facts=True) == []
    assert ok == (outcome in wf.DECISIONS[current])


def test_identified_is_final_and_not_identified_changes_only_on_appeal_or_new_facts():
    reasons = "Credible account and indicators of forced labour."
    assert "final" in wf.decision_problems(wf.IDENTIFIED, wf.NOT_IDENTIFIED, reasons)[0]
    assert wf.decision_problems(wf.NOT_IDENTIFIED, wf.PRESUMED, reasons)
    assert (
        wf.decision_problems(wf.NOT_IDENTIFIED, wf.PRESUMED, reasons, on_appeal_or_new_facts=True)
        == []
    )


def test_decision_needs_reasons():
    assert wf.decision_problems(wf.POTENTIAL, wf.PRESUMED, "  ok ") == [
        "Give the reasons for the decision (at least a sentence)."
    ]
    assert wf.decision_problems(wf.POTENTIAL, "maybe", "long enough reasons") != []


@pytest.mark.parametrize("current", wf.REFERRAL_STATUSES)
@pytest.mark.parametrize("target", wf.REFERRAL_STATUSES)
def test_referral_transition_table(current, target):
    ok = (
        wf.referral_transition_problems(
            current, target, outcome="service_completed", reason="no places"
        )
        == []
    )
    expected = {
        ("sent", "accepted"),
        ("sent", "declined"),
        ("sent", "closed"),
        ("accepted", "delivered"),
        ("accepted", "closed"),
        ("delivered", "closed"),
    }
    assert ok == ((current, target) in expected)


def test_referral_decline_needs_reason_and_close_needs_outcome():
    assert wf.referral_transition_problems("sent", "declined")
    assert wf.referral_transition_problems("delivered", "closed", outcome="")
    assert wf.referral_transition_problems("delivered", "closed", outcome="other")
    assert (
        wf.referral_transition_problems("delivered", "closed", outcome="other", reason="moved")
        == []
    )


def test_service_referral_rules():
    base = dict(
        service_type="shelter",
        provider_services=["shelter"],
        provider_closed_facility=False,
        is_child=False,
        consent_purpose="shelter",
        consent_recipient_matches=True,
        consent_is_active=True,
    )
    assert wf.service_referral_problems(**base) == []
    assert wf.service_referral_problems(**{**base, "provider_services": ["legal_aid"]})
    assert wf.service_referral_problems(**{**base, "consent_purpose": None})
    assert wf.service_referral_problems(**{**base, "consent_is_active": False})
    assert wf.service_referral_problems(**{**base, "consent_recipient_matches": False})
    assert wf.service_referral_problems(**{**base, "consent_purpose": "investigation"})
    assert wf.service_referral_problems(**{**base, "consent_purpose": "assistance"}) == []


@DET
@given(st.booleans(), st.sampled_from(list(wf.SERVICE_TYPES)))
def test_no_child_is_ever_referred_to_a_closed_facility(_any, service):
    problems = wf.service_referral_problems(
        service_type=service,
        provider_services=[service],
        provider_closed_facility=True,
        is_child=True,
        consent_purpose="assistance",
        consent_recipient_matches=True,
        consent_is_active=True,
    )
    assert any("closed facility" in p for p in problems)


def test_consent_rules():
    today = date(2026, 5, 1)
    kw = dict(
        scopes=["identity"],
        purpose="shelter",
        given_on=today,
        today=today,
        given_by="person",
        is_child=False,
    )
    assert wf.consent_problems(**kw) == []
    assert wf.consent_problems(**{**kw, "scopes": []})
    assert wf.consent_problems(**{**kw, "scopes": ["everything"]})
    assert wf.consent_problems(**{**kw, "given_on": today + timedelta(days=1)})
    assert wf.consent_problems(
        **{**kw, "is_child": True}
    )  # a child's consent comes from a guardian
    assert wf.consent_problems(**{**kw, "is_child": True, "given_by": "guardian"}) == []


@DET
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 1, 1)),
    st.integers(0, 400),
    st.integers(0, 400),
    st.integers(-5, 5),
)
def test_consent_active_only_between_given_and_withdrawn(given_on, d1, d2, probe):
    withdrawn = given_on + timedelta(days=d1) if d1 % 3 else None
    on = given_on + timedelta(days=d2 * (1 if probe >= 0 else -1))
    active = wf.consent_active(given_on, withdrawn, on)
    assert active == (on >= given_on and (withdrawn is None or on < withdrawn))


def test_bid_needs_all_seven_factors_and_one_of_three_solutions():
    full = {k: "assessed" for k in wf.BID_FACTORS}
    assert len(wf.BID_FACTORS) == 7 and len(wf.DURABLE_SOLUTIONS) == 3
    assert wf.bid_problems(full, "integration") == []
    missing = dict(full, health="  ")
    assert [f for f, _ in wf.bid_problems(missing, "integration")] == ["health"]
    assert [f for f, _ in wf.bid_problems(full, "adoption")] == ["durable_solution"]
    assert [f for f, _ in wf.bid_problems({**full, "wishes": "x"}, "integration")] == ["factors"]


ANSWER = st.sampled_from(wf.ANSWERS)


@DET
@given(ANSWER, ANSWER, ANSWER, ANSWER)
def test_return_acceptable_only_when_every_answer_speaks_for_safety(a, b, c, d):
    answers = dict(zip(wf.RETURN_QUESTIONS, (a, b, c, d), strict=True))
    safe = all(answers[q] == s for q, s in wf.SAFE_ANSWER.items())
    assert (wf.suggested_return_conclusion(answers) == wf.ACCEPTABLE) == safe
    assert (wf.return_assessment_problems(answers, wf.ACCEPTABLE) == []) == safe
    # Concluding "not acceptable" is always possible: caution needs no justification.
    assert wf.return_assessment_problems(answers, wf.NOT_ACCEPTABLE) == []


def test_return_assessment_needs_all_four_answers():
    problems = wf.return_assessment_problems({"risk_of_harm": "no"}, wf.NOT_ACCEPTABLE)
    assert sorted(f for f, _ in problems) == sorted(set(wf.RETURN_QUESTIONS) - {"risk_of_harm"})


@DET
@given(
    st.dates(max_value=date(9000, 1, 1)), st.integers(0, 3650), st.dates(max_value=date(9000, 1, 1))
)
def test_deadline_arithmetic(start, days, today):
    due = wf.due_date(start, days)
    assert (due - start).days == days
    state = wf.deadline_state(due, False, today)
    left = wf.days_until(due, today)
    assert (state == "overdue") == (left < 0)
    assert (state == "due_today") == (left == 0)
    assert wf.deadline_state(due, True, today) == "done"
    assert wf.reminder_on(due, 3) <= due


def test_negative_period_is_an_error():
    with pytest.raises(ValueError):
        wf.due_date(date(2026, 1, 1), -1)


@DET
@given(st.integers(0, 2**32))
def test_references_are_well_formed_and_carry_no_ambiguous_characters(seed):
    ref = wf.new_reference(random.Random(seed))
    assert wf.is_reference(ref)
    assert not set(ref[4:].replace("-", "")) & set("01IOL")
    assert wf.normalise_reference(" " + ref.lower() + " ") == ref


def test_reference_check_refuses_other_shapes():
    for bad in ("NRM-7K2Q-9F3", "SCR-7K2Q-9F3D", "NRM-7K2Q-9F3O", "nrm-7k2q-9f3d", ""):
        assert not wf.is_reference(bad)
