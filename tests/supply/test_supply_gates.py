"""Pure rules of issue 18's due-diligence additions: the per-stage gates (property tests),
the model-clause library's loader, and the draft statement's sentences."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.supply import clauses, diligence, gates, statement, vocabulary

S = diligence.StepState
OUTCOMES = ["met", "not_met", "waived"]
_levels = st.sampled_from(vocabulary.LEVELS)
_stages = st.sampled_from(gates.ORDER)
_steps = st.dictionaries(
    st.sampled_from(list(vocabulary.MEASURES)),
    st.tuples(st.sampled_from(OUTCOMES), st.booleans()),
).map(lambda d: {c: S(c, o, e) for c, (o, e) in d.items()})


def _done(steps, code):
    return code in steps and steps[code].outcome in ("met", "waived")


# --- gates: properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(_levels, _steps, _stages, _stages)
def test_a_gate_blocks_exactly_the_required_earlier_measures_not_done(level, steps, cur, target):
    gate = gates.check(level, steps, cur, target)
    required = diligence.required_measures(level)
    earlier = {
        c for c in required if gates.index(vocabulary.MEASURE_STAGE[c]) < gates.index(target)
    }
    assert set(gate.blocking) <= earlier  # only required measures of earlier stages block
    for c in earlier:
        if target == "termination":
            # Termination is the remedy for "not met": only an unrecorded measure blocks it.
            assert (c in gate.blocking) == (c not in steps)
        else:
            assert (c in gate.blocking) == (not _done(steps, c))
    assert gate.backwards == (gates.index(target) <= gates.index(cur))
    assert gate.open == (not gate.backwards and not gate.blocking)
    assert set(gate.missing).isdisjoint(gate.not_met)


@settings(max_examples=300, deadline=None)
@given(_levels, _steps, _stages, _stages, st.sampled_from(list(vocabulary.MEASURES)))
def test_meeting_a_measure_never_closes_a_gate(level, steps, cur, target, code):
    before = gates.check(level, steps, cur, target)
    after = gates.check(level, {**steps, code: S(code, "met", True)}, cur, target)
    assert set(after.blocking) <= set(before.blocking)
    assert after.open or not before.open


@settings(max_examples=300, deadline=None)
@given(_levels, _steps, st.sampled_from(gates.ORDER[:-1]))
def test_a_later_stage_asks_at_least_what_an_earlier_one_asks(level, steps, target):
    # Between stages before termination: entering a later stage never asks for less.
    i = gates.index(target)
    for later in gates.ORDER[i + 1 : -1]:
        assert set(gates.check(level, steps, "need", target).blocking) <= set(
            gates.check(level, steps, "need", later).blocking
        )


@settings(max_examples=200, deadline=None)
@given(_levels, _stages, _stages)
def test_every_measure_done_opens_every_forward_gate(level, cur, target):
    steps = {c: S(c, "met", True) for c in vocabulary.MEASURES}
    gate = gates.check(level, steps, cur, target)
    assert gate.open == (gates.index(target) > gates.index(cur))


@settings(max_examples=200, deadline=None)
@given(_steps, _stages, _stages)
def test_the_light_track_is_gated_by_a_and_f_only(steps, cur, target):
    assert set(gates.check("low", steps, cur, target).blocking) <= {"a", "f"}


@settings(max_examples=300, deadline=None)
@given(_levels, _steps, _stages, _stages)
def test_the_message_names_every_blocking_measure_and_the_stage(level, steps, cur, target):
    gate = gates.check(level, steps, cur, target)
    msg = gates.message(gate)
    if gate.open:
        assert msg is None
        return
    assert msg is not None
    if gate.backwards:
        assert "never moves back" in msg
        return
    assert vocabulary.STAGES[target] in msg
    for c in gate.blocking:
        assert f"({c})" in msg
    for c in set(vocabulary.MEASURES) - set(gate.blocking):
        assert f"({c})" not in msg


def test_gate_examples():
    steps = {"a": S("a", "met", False), "b": S("b", "met", True), "c": S("c", "not_met", True)}
    g = gates.check("high", steps, "selection", "award")
    assert g.not_met == ("c",) and not g.missing and not g.open
    assert str(gates.message(g)) == "Cannot move to Award while these measures are not met: (c)."
    g = gates.check("high", steps, "selection", "contract")
    assert g.missing == ("d",) and g.not_met == ("c",)
    assert (
        str(gates.message(g))
        == "Cannot move to Contract: measures not recorded: (d); measures not met: (c)."
    )
    # Termination needs every measure recorded, and lets "not met" through.
    g = gates.check("high", steps, "award", "termination")
    assert g.missing == ("d", "e", "f", "g") and g.not_met == ()
    # Entering selection asks nothing: (a)–(c) are taken at selection.
    assert gates.check("high", {}, "need", "selection").open
    # The light track: (a) before award, (f) (a contract-stage measure) before management.
    assert gates.check("low", {}, "need", "award").missing == ("a",)
    assert gates.check("low", {}, "need", "contract").missing == ("a",)
    assert gates.check("low", {}, "need", "management").missing == ("a", "f")
    with pytest.raises(ValueError):
        gates.check("high", {}, "need", "launch")
    assert gates.next_stage("need") == "specification" and gates.next_stage("termination") is None


def test_gate_message_translates_its_stage():
    from palermo.core.errors import Problem

    msg = gates.message(gates.check("high", {}, "need", "award"))
    assert isinstance(msg, Problem)
    assert msg.template == "Cannot move to {stage} until these measures are recorded: {missing}."
    assert dict(msg.params)["missing"] == "(a), (b), (c)"


# --- the clause library ------------------------------------------------------------------------


def test_the_shipped_library_loads_and_covers_measures_d_to_g():
    lib = clauses.library()
    assert lib.edition and len(lib.clauses) >= 8
    ids = [c.id for c in lib.clauses]
    assert len(ids) == len(set(ids))
    for code in "defg":
        assert lib.for_measure(code), code
    for c in lib.clauses:
        assert c.stage in vocabulary.STAGES and c.version >= 1
        assert set(c.measures) <= set(vocabulary.MEASURES)
        assert "  " not in c.text and "\n" not in c.text  # whitespace normalised, as the msgids
    assert lib.get("contract-employer-pays").key == "contract-employer-pays@1"
    assert lib.get("nope") is None


def _raw():
    return yaml.safe_load(clauses.DATA.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["clauses"][0].update(id="Bad Id"), "id must be"),
        (lambda d: d["clauses"][1].update(id=d["clauses"][0]["id"]), "used twice"),
        (lambda d: d["clauses"][0].update(version=0), "version"),
        (lambda d: d["clauses"][0].update(version=True), "version"),
        (lambda d: d["clauses"][0].update(text="  "), "title and text"),
        (lambda d: d["clauses"][0].update(measures=["h"]), "measures"),
        (lambda d: d["clauses"][0].update(measures=[]), "measures"),
        (lambda d: d["clauses"][0].update(stage="launch"), "unknown stage"),
        (lambda d: d.pop("clauses"), "list of clauses"),
    ],
)
def test_a_bad_library_is_refused_naming_the_clause(change, says):
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(clauses.LibraryError, match=says):
        clauses.parse(data)


def test_clause_titles_and_texts_are_data_msgids():
    from palermo.web import i18n

    sources = dict(i18n._data_sources())
    for c in clauses.library().clauses:
        assert sources[f"supply/data/clauses.yaml {c.id} title"]
        assert " ".join(sources[f"supply/data/clauses.yaml {c.id} text"].split()) == c.text


# --- the draft statement -----------------------------------------------------------------------


def _facts(**kw):
    base = dict(
        organisation="Office",
        as_of=date(2026, 3, 1),
        edition="Demo list, 2026",
        suppliers=7,
        suppliers_high=2,
        levels=[
            statement.LevelFacts("high", 3, Decimal("1000.50")),
            statement.LevelFacts("medium", 1, Decimal(5)),
            statement.LevelFacts("low", 0, Decimal(0)),
        ],
        contracts=2,
        contracts_complete=0,
        contracts_with_clauses=1,
        measures=[statement.MeasureFacts(c, 1, 0) for c in vocabulary.MEASURES],
        actions_open=2,
        actions_overdue=1,
        actions_closed=0,
        fees=[statement.FeeFacts("EUR", 12, Decimal(3000), Decimal(1000))],
        inspections=1,
        inspections_with_indicators=1,
        referrals=1,
    )
    base.update(kw)
    return statement.Facts(**base)


def test_statement_says_it_is_a_draft_and_reports_the_facts():
    parts = statement.sections(_facts())
    text = statement.as_text(parts, str, "T")
    assert parts[0].heading.startswith("Draft") and "DRAFT" in text
    assert "High risk — lines: 3; total value: 1,000.50." in text
    assert "Lines screened: 4; suppliers: 7." in text
    assert (
        "EUR — workers affected: 12; owed: 3,000.00; repaid: 1,000.00; outstanding: 2,000.00."
        in text
    )
    assert "open: 2 (past their deadline: 1); closed: 0" in text
    for code in vocabulary.MEASURES:
        assert f"{vocabulary.MEASURES[code]} — contracts that require it: 1; done: 0." in text


@given(st.integers(min_value=0, max_value=10_000))
def test_statement_never_shows_a_small_referral_count(n):
    text = statement.as_text(statement.sections(_facts(referrals=n)), str, "T")
    line = next(x for x in text.splitlines() if x.startswith("Workers referred"))
    if 0 < n < statement.MIN_CELL:
        assert line.endswith("fewer than 5.") and str(n) not in line
    else:
        assert line.endswith(f": {n}.")


def test_statement_without_data_still_reads():
    parts = statement.sections(
        _facts(edition="", fees=[], levels=[], measures=[], suppliers=0, contracts=0)
    )
    text = statement.as_text(parts, str, "T")
    assert "no risk list (none imported yet)" in text
    assert "No recruitment fees paid by workers have been recorded." in text
