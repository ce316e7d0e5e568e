"""The job-offer rules: the file's integrity, every warning's citation, and the evaluator's
invariants (property tests)."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.prevent import checker

RULES = checker.load()
QIDS = RULES.question_ids()
answers_st = st.dictionaries(st.sampled_from(QIDS), st.sampled_from(checker.ANSWERS))


def _doc() -> dict:
    return json.loads(checker.RULES_FILE.read_text(encoding="utf-8"))


def test_every_question_has_a_rule_and_every_rule_cites_a_published_source():
    assert 15 <= len(RULES.questions) <= 20
    for rule in RULES.rules:
        assert rule.sources, rule.id
        for s in rule.sources:
            src = RULES.sources[s]
            assert src.url.startswith("https://"), s
            assert src.title
    assert {r.question for r in RULES.rules} == set(QIDS)


def test_the_gettext_list_holds_every_text_of_the_rules_file():
    tree = ast.parse((Path(checker.__file__).parent / "msgids.py").read_text(encoding="utf-8"))
    listed = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_"
    }
    wanted = {q.text for q in RULES.questions}
    for r in RULES.rules:
        wanted |= {r.indicator, r.warning, r.next}
    assert wanted == listed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][0].update(sources=["nowhere"]), "unknown source"),
        (lambda d: d["rules"][0].update(sources=[]), "at least one source"),
        (lambda d: d["rules"][0].update(question="nope"), "unknown question"),
        (lambda d: d["rules"][0].update(when=[]), "'when' is empty"),
        (lambda d: d["rules"][0].update(when=["maybe"]), "unknown answer"),
        (lambda d: d["rules"][0].update(check_when=["yes"]), "both a warning and a check"),
        (lambda d: d["rules"][1].update(id=d["rules"][0]["id"]), "used twice"),
        (lambda d: d["rules"][0].update(warning="  "), "is empty"),
        (lambda d: d["questions"].append({"id": "orphan", "text": "?"}), "without a rule"),
        (lambda d: d["rules"][0].update(strength="huge"), "unknown strength"),
    ],
)
def test_the_loader_refuses_a_broken_rules_file(change, message):
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(checker.RulesError, match=message):
        checker.parse(doc)


def test_fee_yes_gives_the_employer_pays_warning_with_its_sources():
    result = checker.evaluate(RULES, {"fee": "yes"})
    assert [f.rule.id for f in result.warnings] == ["R01"]
    titles = " ".join(s.title for s in result.warnings[0].sources)
    assert "No. 181" in titles and "IRIS" in titles


def test_contract_no_is_a_warning_and_unknown_only_a_check():
    assert checker.evaluate(RULES, {"contract": "no"}).warnings[0].rule.id == "R03"
    r = checker.evaluate(RULES, {"contract": "unknown"})
    assert not r.warnings and r.checks[0].rule.id == "R03"


@given(answers_st)
def test_a_warning_comes_only_from_an_answered_question_and_its_trigger(answers):
    result = checker.evaluate(RULES, answers)
    for f in result.warnings:
        assert answers[f.rule.question] in f.rule.when
        assert f.sources
    for f in result.checks:
        assert answers[f.rule.question] in f.rule.check_when
    assert result.answered == len(answers)
    assert result.asked == len(QIDS)


@given(answers_st)
def test_warnings_come_strongest_first(answers):
    order = [
        checker.STRENGTHS.index(f.rule.strength) for f in checker.evaluate(RULES, answers).warnings
    ]
    assert order == sorted(order)


@given(answers_st, st.sampled_from(QIDS), st.sampled_from(checker.ANSWERS))
def test_answering_one_more_question_never_removes_another_questions_warning(answers, q, a):
    before = {f.rule.id for f in checker.evaluate(RULES, answers).warnings if f.rule.question != q}
    after = {f.rule.id for f in checker.evaluate(RULES, {**answers, q: a}).warnings}
    assert before <= after


@given(answers_st, st.dictionaries(st.text(max_size=10), st.text(max_size=10)))
def test_unknown_questions_and_answers_are_ignored(answers, noise):
    noisy = {**{k: v for k, v in noise.items() if k not in QIDS}, **answers}
    assert checker.evaluate(RULES, noisy) == checker.evaluate(RULES, answers)


def test_no_answer_no_warning_and_no_safe_verdict():
    result = checker.evaluate(RULES, {})
    assert not result.any_warning and result.answered == 0
    # the result object has no notion of "safe" for a template to show
    assert not hasattr(result, "safe")
