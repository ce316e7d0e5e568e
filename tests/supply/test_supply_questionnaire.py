"""Self-assessment questionnaires, the pure part: the shipped template, answers, the answers
file and the scoring rule ``supply-saq-1`` (property: a red flag never lowers the result)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.supply import questionnaire as saq
from palermo.supply import vocabulary

T = saq.load()
LEVELS = vocabulary.LEVELS


def test_every_shipped_template_loads_and_covers_what_the_issue_asks():
    assert saq.available() and all(saq.load(t, v) for t, v in saq.available())
    informs = {q.indicator for q in T.questions}
    # recruitment fees, disclosure of sites and recruiters, grievance mechanism, audits …
    assert set(vocabulary.SAQ_MEASURES) <= informs
    # … and the ILO indicators of forced labour
    assert len(informs & set(vocabulary.ILO_INDICATORS)) >= 8
    for q in T.questions:
        assert q.type in saq.TYPES and q.text
        if q.type in ("yes_no", "choice"):
            assert q.red_flags <= {c for c, _l in q.choices()}


def test_a_broken_template_is_refused():
    good = {"id": "x", "version": 1, "title": "t"}
    with pytest.raises(saq.TemplateError, match="unknown indicator"):
        saq.parse_template(
            {**good, "questions": [{"id": "a", "type": "yes_no", "text": "?", "indicator": "x"}]}
        )
    with pytest.raises(saq.TemplateError, match="red flag"):
        saq.parse_template(
            {
                **good,
                "questions": [
                    {
                        "id": "a",
                        "type": "yes_no",
                        "text": "?",
                        "indicator": "isolation",
                        "red_flags": ["maybe"],
                    }
                ],
            }
        )
    with pytest.raises(saq.TemplateError):
        saq.load("saq-labour", 999)
    with pytest.raises(saq.TemplateError):
        saq.load("../questionnaires/saq-labour", 1)


def test_answers_are_checked_by_type():
    clean, problems = saq.check_answers(
        T,
        {
            "fees_charged": "Yes",
            "fees_workers": "1,200",
            "documents_held": "The employer or the recruiter",  # a label is accepted
            "overtime_hours": "lots",
            "housing": "tent",
            "nope": "yes",
        },
    )
    assert clean == {"fees_charged": "yes", "fees_workers": "1200", "documents_held": "employer"}
    fields = {qid for qid, _m, _p in problems}
    assert fields == {"overtime_hours", "housing", "nope"}
    housing = next(p for p in problems if p[0] == "housing")
    assert "employer_not_inspected" in dict(housing[2])["values"]


def test_the_rule_on_known_answers():
    nothing = saq.score(T, {})
    assert (nothing.level, nothing.score, nothing.red_flags) == ("low", 0, 0)
    assert len(nothing.missing) == len(T.questions)  # unanswered is not "clear"
    clear = saq.score(T, {"fees_charged": "no", "free_to_leave": "yes", "overtime_hours": "48"})
    assert clear.level == "low" and not clear.findings
    one = saq.score(T, {"overtime_hours": "61"})
    assert one.level == "medium" and one.findings[0].indicator == "excessive_overtime"
    critical = saq.score(T, {"documents_held": "employer"})
    assert critical.level == "high" and critical.score == 2  # critical on its own
    two = saq.score(T, {"fees_charged": "yes", "debts": "yes"})
    assert two.level == "high" and two.score == 4
    assert {f.indicator for f in two.findings} == {"recruitment_fees", "debt_bondage"}


ANSWERS = {
    q.id: st.sampled_from(["", *(c for c, _l in q.choices())])
    if q.type in ("yes_no", "choice")
    else st.one_of(st.just(""), st.integers(0, 200).map(str))
    if q.type == "number"
    else st.sampled_from(["", "some words"])
    for q in T.questions
}


def _red_answer(q: saq.Question) -> str:
    if q.type == "number":
        assert q.red_flag_above is not None
        return str(q.red_flag_above + 1)
    return sorted(q.red_flags)[0]


@settings(max_examples=300, deadline=None)
@given(
    answers=st.fixed_dictionaries(ANSWERS),
    qid=st.sampled_from([q.id for q in T.questions if q.red_flags or q.red_flag_above is not None]),
)
def test_adding_a_red_flag_answer_never_lowers_the_result(answers, qid):
    answers = {k: v for k, v in answers.items() if v}
    before = saq.score(T, answers)
    q = T.question(qid)
    assert q is not None
    after = saq.score(T, {**answers, qid: _red_answer(q)})
    assert after.score >= before.score
    assert LEVELS.index(after.level) >= LEVELS.index(before.level)
    assert after.red_flags >= before.red_flags
    assert any(f.question == qid for f in after.findings)


@settings(max_examples=200, deadline=None)
@given(answers=st.fixed_dictionaries(ANSWERS))
def test_every_point_has_its_finding_and_the_rule_is_deterministic(answers):
    answers = {k: v for k, v in answers.items() if v}
    r = saq.score(T, answers)
    assert r == saq.score(T, dict(reversed(list(answers.items()))))
    assert r.score == sum(saq.POINTS[f.severity] for f in r.findings)
    for f in r.findings:
        q = T.question(f.question)
        assert q is not None and q.is_red_flag(answers[f.question])


def _file(*rows: str, header: str = "question,answer,comment") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def test_answers_file_names_every_error_by_row_and_field_and_keeps_nothing():
    out = saq.preview_answers(
        _file(
            "fees_charged,yes,",
            "overtime_hours,many,",
            "nope,yes,",
            "fees_charged,no,",
            "housing,tent,",
        ),
        "a.csv",
        T,
    )
    assert not out.ok and out.rows == []
    assert [(e.row, e.field) for e in out.errors] == [
        (3, "answer"),
        (4, "question"),
        (5, "question"),
        (6, "answer"),
    ]
    assert "row 2" in out.errors[2].message
    missing = saq.preview_answers(_file("fees_charged", header="question"), "a.csv", T)
    assert not missing.ok and missing.errors[0].row == 1


def test_answers_file_clean():
    out = saq.preview_answers(
        _file("fees_charged,no,We pay all costs", "overtime_hours,72,peak season", "remarks,,"),
        "a.csv",
        T,
    )
    assert out.ok
    assert [(r.question, r.answer, r.comment) for r in out.rows] == [
        ("fees_charged", "no", "We pay all costs"),
        ("overtime_hours", "72", "peak season"),
        ("remarks", "", ""),
    ]
