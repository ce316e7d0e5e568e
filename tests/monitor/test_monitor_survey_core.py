"""The survey as data: skip-logic expressions, definition checks, answers, XLSForm round trip.

Pure rules (no database). The XLSForm tests convert our export with pyxform, the reference
implementation KoboToolbox and ODK use, so "KoboToolbox accepts it" is checked, not assumed.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.monitor import survey, xlsform
from palermo.monitor.survey_services import template_2016


def _def(*questions: dict, title: str = "T") -> dict:
    return {"title": title, "sections": [{"name": "s", "label": "S", "questions": list(questions)}]}


YESNO = [{"name": "yes", "label": "Yes"}, {"name": "no", "label": "No"}]


# --- expressions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("${a} = 'yes'", {"a": "yes"}, True),
        ("${a} = 'yes'", {"a": "no"}, False),
        ("${a} = 'yes'", {}, False),
        ("${a} != 'yes'", {}, True),  # XPath: unanswered reads as ""
        ("${n} >= 3", {"n": 3}, True),
        ("${n} >= 3", {"n": 2}, False),
        ("${n} > 3", {}, False),  # a number compared with nothing is never true
        ("${n} < 10 and ${n} > 1.5", {"n": 2}, True),
        ("selected(${m}, 'x')", {"m": ["x", "y"]}, True),
        ("selected(${m}, 'z')", {"m": ["x", "y"]}, False),
        ("count-selected(${m}) > 1", {"m": ["x", "y"]}, True),
        ("not(${a} = 'yes') or ${n} = 1", {"a": "yes", "n": 1}, True),
        ("(${a} = 'yes' or ${a} = 'no') and ${n} = 2", {"a": "no", "n": 2}, True),
        ('${a} = "yes"', {"a": "yes"}, True),
    ],
)
def test_conditions_evaluate_as_xlsform_does(text, answers, expected):
    assert survey.evaluate(survey.parse_condition(text), answers) is expected


@pytest.mark.parametrize(
    "text",
    [
        "${a} = ",
        "${a} == 'x'",
        "import os",
        "${a} = 'x' and",
        "(${a} = 'x'",
        "selected(a, 'x')",
        "${} = 1",
        "x; y",
    ],
)
def test_unreadable_conditions_are_refused_with_a_reason(text):
    with pytest.raises(ValueError) as info:
        survey.parse_condition(text)
    assert str(info.value)


@given(st.sampled_from(["yes", "no", ""]), st.integers(-5, 5))
def test_not_is_the_opposite_and_and_or_are_consistent(a, n):
    answers = {"a": a or None, "n": n}
    x = survey.parse_condition("${a} = 'yes'")
    y = survey.parse_condition("${n} > 0")
    assert survey.evaluate(("not", x), answers) is not survey.evaluate(x, answers)
    assert survey.evaluate(("and", x, y), answers) == (
        survey.evaluate(x, answers) and survey.evaluate(y, answers)
    )
    assert survey.evaluate(("or", x, y), answers) == (
        survey.evaluate(x, answers) or survey.evaluate(y, answers)
    )


# --- definitions ---------------------------------------------------------------------------------


def test_the_2016_template_is_a_valid_survey_of_eight_areas():
    d = survey.parse_definition(template_2016())
    assert len(d.sections) == 8
    assert {s.name for s in d.sections} >= {"labour_exploitation", "financial_investigations"}
    assert all(s.questions[0].required for s in d.sections)


def test_a_skip_logic_cycle_is_refused_naming_its_questions():
    data = _def(
        {"name": "a", "type": "text", "label": "A", "relevant": "${c} = 'x'"},
        {"name": "b", "type": "text", "label": "B", "relevant": "${a} = 'x'"},
        {"name": "c", "type": "text", "label": "C", "relevant": "${b} = 'x'"},
    )
    with pytest.raises(survey.SurveyError) as info:
        survey.parse_definition(data)
    (problem,) = info.value.problems
    assert "circle" in problem.message and "a → c → b → a" in problem.message


def test_a_question_depending_on_itself_is_a_cycle():
    data = _def({"name": "a", "type": "text", "label": "A", "relevant": "${a} = 'x'"})
    with pytest.raises(survey.SurveyError, match="circle"):
        survey.parse_definition(data)


def test_every_problem_of_a_definition_is_reported_at_once():
    data = _def(
        {"name": "bad name", "type": "text", "label": "A"},
        {"name": "b", "type": "colour", "label": ""},
        {"name": "c", "type": "select_one", "label": "C"},
        {"name": "d", "type": "text", "label": "D", "relevant": "${nowhere} = 'x'"},
        {"name": "e", "type": "select_one", "label": "E", "choices": YESNO},
        {"name": "f", "type": "text", "label": "F", "relevant": "selected(${e}, 'maybe')"},
        {"name": "c", "type": "text", "label": "C again"},
    )
    with pytest.raises(survey.SurveyError) as info:
        survey.parse_definition(data)
    messages = [f"{p.where}: {p.message}" for p in info.value.problems]
    text = "\n".join(messages)
    assert "letters, digits" in text
    assert "Unknown question type “colour”" in text
    assert "b: A question needs a label." in messages
    assert "c: A choice question needs at least one choice." in messages
    assert "“nowhere”, which is not a question" in text
    assert "“maybe” is not a choice of “e”" in text
    assert "c: This name is used twice." in messages


@pytest.mark.parametrize(
    "raw", [None, [], "survey", {"title": "T"}, {"title": "T", "sections": "x"}]
)
def test_shapeless_definitions_are_refused(raw):
    with pytest.raises(survey.SurveyError):
        survey.parse_definition(raw)


def test_problems_are_translated_where_they_are_shown():
    problem = survey.Problem("q", "Choice “%(a0)s” appears twice.", a0="x")
    assert problem.render(lambda t: t.replace("appears twice", "apparaît deux fois")) == (
        "Choice “x” apparaît deux fois."
    )


# --- answers -------------------------------------------------------------------------------------


@pytest.fixture
def small():
    return survey.parse_definition(
        _def(
            {
                "name": "works",
                "type": "select_one",
                "label": "W",
                "required": True,
                "choices": YESNO,
            },
            {
                "name": "n",
                "type": "integer",
                "label": "N",
                "required": True,
                "relevant": "${works} = 'yes'",
            },
            {
                "name": "how",
                "type": "select_multiple",
                "label": "H",
                "relevant": "${n} > 0",
                "choices": YESNO,
            },
            {"name": "when", "type": "date", "label": "When"},
            {"name": "amount", "type": "decimal", "label": "Amount"},
        )
    )


def test_required_questions_only_when_they_apply(small):
    _clean, problems = survey.check_answers(small, {"works": "no"}, complete=True)
    assert problems == []
    _clean, problems = survey.check_answers(small, {"works": "yes"}, complete=True)
    assert [p.where for p in problems] == ["n"]
    _clean, problems = survey.check_answers(small, {}, complete=False)
    assert problems == []  # a draft may be partial


def test_an_answer_to_a_removed_question_is_refused_not_dropped(small):
    _clean, problems = survey.check_answers(small, {"works": "no", "gone": "x"}, complete=False)
    assert [(p.where, "no longer in the survey" in p.message) for p in problems] == [("gone", True)]


def test_an_answer_that_does_not_apply_is_refused(small):
    _clean, problems = survey.check_answers(small, {"works": "no", "n": 3}, complete=False)
    assert [p.where for p in problems] == ["n"]


def test_a_question_reading_a_question_that_does_not_apply_reads_it_as_empty(small):
    # n was answered but does not apply (works = no): "how" must not apply through it either
    visible = survey.applies(small, {"works": "no", "n": 3})
    assert visible["n"] is False and visible["how"] is False


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("works", "maybe", "offered answers"),
        ("n", "2.5", "whole number"),
        ("n", "many", "whole number"),
        ("when", "31/12/2025", "YYYY-MM-DD"),
        ("amount", "1e999", "number"),
        ("how", ["yes", "perhaps"], "offered answers"),
    ],
)
def test_bad_answers_get_a_message_beside_the_question(small, name, value, fragment):
    answers = {"works": "yes", "n": 1, name: value}
    _clean, problems = survey.check_answers(small, answers, complete=False)
    mine = [p for p in problems if p.where == name]
    assert len(mine) == 1 and fragment in mine[0].message
    assert name not in _clean


def test_clean_answers_are_normalised_and_stable(small):
    answers = {
        "works": "yes",
        "n": "4",
        "how": ["no", "yes", "no"],
        "when": "2025-01-31",
        "amount": "2.50",
    }
    clean, problems = survey.check_answers(small, answers, complete=True)
    assert problems == []
    assert clean == {
        "works": "yes",
        "n": 4,
        "how": ["yes", "no"],
        "when": "2025-01-31",
        "amount": "2.50",
    }
    again, problems = survey.check_answers(small, clean, complete=True)
    assert again == clean and problems == []


def test_consolidation_counts_choices_and_sums_numbers(small):
    rows = survey.consolidate(
        small,
        [
            ("Org A", {"works": "yes", "n": 2, "how": ["yes"]}),
            ("Org B", {"works": "yes", "n": 5, "how": ["yes", "no"]}),
            ("Org C", {"works": "no"}),
        ],
    )[0]["rows"]
    by = {r["question"].name: r for r in rows}
    assert by["works"]["counts"] == [("Yes", 2), ("No", 1)]
    assert by["n"]["total"] == Decimal(7) and by["n"]["low"] == 2 and by["n"]["high"] == 5
    assert by["how"]["counts"] == [("Yes", 2), ("No", 1)]
    assert by["n"]["answered"] == 2 and by["n"]["of"] == 3


# --- XLSForm -------------------------------------------------------------------------------------


def test_xlsform_round_trip_is_exact_and_pyxform_accepts_it():
    d = survey.parse_definition(template_2016())
    data = xlsform.export(d)
    xml = xlsform.xform(data)
    assert "<h:title>" in xml and 'relevant="' in xml
    assert xlsform.import_definition(data) == d


def _workbook(survey_rows, choice_rows=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "relevant"])
    for r in survey_rows:
        ws.append(list(r))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for r in choice_rows:
        ch.append(list(r))
    st_ = wb.create_sheet("settings")
    st_.append(["form_title", "form_id"])
    st_.append(["Imported", "imported"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xlsform_from_kobotoolbox_imports_with_loose_questions_as_a_section():
    data = _workbook(
        [
            ("select_one yn", "works", "Works?", ""),
            ("integer", "n", "How many?", "${works} = 'yes'"),
        ],
        [("yn", "yes", "Yes"), ("yn", "no", "No")],
    )
    d = xlsform.import_definition(data)
    assert d.title == "Imported" and [q.name for q in d.questions()] == ["works", "n"]
    assert d.question("works").choice_names() == ("yes", "no")


@pytest.mark.parametrize(
    ("rows", "choices", "fragment"),
    [
        ([("select_one missing", "a", "A", "")], [], "choice list “missing”"),
        ([("begin_group", "g", "G", ""), ("text", "a", "A", "")], [], "never closed"),
        ([("end_group", "", "", "")], [], "without a “begin_group”"),
        ([("text", "a", "A", "${b} = 'x'"), ("text", "b", "B", "${a} = 'x'")], [], "circle"),
        ([("geopoint", "a", "A", "")], [], "Unknown question type"),
    ],
)
def test_bad_xlsforms_are_refused_whole_with_where(rows, choices, fragment):
    with pytest.raises(survey.SurveyError) as info:
        xlsform.import_definition(_workbook(rows, choices))
    assert any(fragment in p.message for p in info.value.problems)


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(survey.SurveyError, match="not an XLSForm"):
        xlsform.import_definition(b"type,name,label\ntext,a,A\n")


# --- charts --------------------------------------------------------------------------------------


def test_charts_draw_suppressed_cells_as_x_never_as_a_number():
    from palermo.monitor import charts

    chart = charts.bars("Victims", [("Labour", 25), ("Sexual", None)])
    svg = charts.render(chart, "svg").decode()
    assert "<svg" in svg
    png = charts.render(chart, "png")
    assert png[:4] == b"\x89PNG"
    assert chart.values == ((25,), (None,))
    with pytest.raises(ValueError):
        charts.render(chart, "gif")


def test_a_label_that_looks_like_a_formula_is_exported_as_text():
    d = survey.parse_definition(
        _def({"name": "a", "type": "text", "label": '=HYPERLINK("http://evil","x")'})
    )
    wb = openpyxl.load_workbook(io.BytesIO(xlsform.export(d)))
    cells = [
        c
        for row in wb["survey"].iter_rows()
        for c in row
        if c.value and str(c.value).startswith("=")
    ]
    assert cells and all(c.data_type == "s" for c in cells)
    assert xlsform.import_definition(xlsform.export(d)).question("a").label.startswith("=HYPERLINK")
