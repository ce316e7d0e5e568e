"""The implementation survey as data: sections, questions, skip logic, and answer checking.

Pure: no Django. A survey is a plain dict (stored as JSON, exported as XLSForm) that
:func:`parse_definition` turns into frozen objects after checking it whole — every error is
reported with where it is, so a designer or an XLSForm import can show them all at once.

Skip logic uses the subset of XLSForm's ``relevant`` expressions that questionnaires of this
kind need, so the same survey runs unchanged on KoboToolbox/ODK::

    ${q} = 'yes'    ${q} != 'no'    ${n} >= 3    selected(${q}, 'ngo')
    count-selected(${q}) > 1    not(...)    ... and ...    ... or ...    ( ... )

Expressions are parsed into a small tree and evaluated by walking it — never ``eval``. A
relevance that depends, directly or through other questions, on itself is a cycle that no
form engine can settle; it is refused with the questions it runs through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "date",
    "select_one",
    "select_multiple",
    "file",
)
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_QUESTIONS = 500
MAX_TEXT_ANSWER = 10_000
MAX_LABEL = 1_000


def _(text: str) -> str:
    """Marks a message for translation (the shell translates it: ``Problem.render``)."""
    return text


class Problem:
    """One thing wrong, and where: ``where`` is a question or section name, "survey" or "file".
    The message is an English template with named values, translated where it is shown."""

    __slots__ = ("params", "text", "where")

    def __init__(self, where: str, text: str, **params: Any) -> None:
        self.where = where
        self.text = text
        self.params = {k: str(v) for k, v in params.items()}

    def render(self, translate: Callable[[str], str] = _) -> str:
        return translate(self.text) % self.params if self.params else translate(self.text)

    @property
    def message(self) -> str:
        return self.render()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.where, self.message) == (
            other.where,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.where, self.message))

    def __repr__(self) -> str:
        return f"Problem({self.where!r}, {self.message!r})"


class SurveyError(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p.message}" for p in problems))
        self.problems = list(problems)


# --- skip-logic expressions -------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z][A-Za-z-]*)
    )""",
    re.VERBOSE,
)

Node = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read the condition from “{text[pos : pos + 20]}”")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            want = value or kind
            got = tok[1] if tok else "the end"
            raise ValueError(f"expected {want} but found {got}")
        self.i += 1
        return tok[1]

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ValueError(f"unexpected “{self.peek()[1]}”")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == ("word", "or"):
            self.i += 1
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.cmp()
        while self.peek() == ("word", "and"):
            self.i += 1
            node = ("and", node, self.cmp())
        return node

    def cmp(self) -> Node:
        left = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "op":
            self.i += 1
            return ("cmp", tok[1], left, self.atom())
        return left

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ValueError("the condition ends too early")
        kind, value = tok
        self.i += 1
        if kind == "ref":
            return ("ref", value[2:-1])
        if kind == "str":
            return ("lit", value[1:-1])
        if kind == "num":
            return ("lit", Decimal(value))
        if kind == "punct" and value == "(":
            node = self.or_()
            self.take("punct", ")")
            return node
        if kind == "word" and value == "not":
            self.take("punct", "(")
            node = self.or_()
            self.take("punct", ")")
            return ("not", node)
        if kind == "word" and value == "selected":
            self.take("punct", "(")
            ref = self.take("ref")[2:-1]
            self.take("punct", ",")
            choice = self.take("str")[1:-1]
            self.take("punct", ")")
            return ("selected", ref, choice)
        if kind == "word" and value == "count-selected":
            self.take("punct", "(")
            ref = self.take("ref")[2:-1]
            self.take("punct", ")")
            return ("count", ref)
        raise ValueError(f"unexpected “{value}”")


def parse_condition(text: str) -> Node:
    """The tree of a ``relevant`` expression; ValueError with a readable reason if it is not one."""
    if len(text) > MAX_LABEL:
        raise ValueError("the condition is too long")
    return _Parser(text).parse()


def references(node: Node) -> set[str]:
    """Names of the questions an expression reads."""
    kind = node[0]
    if kind == "ref":
        return {node[1]}
    if kind in ("selected", "count"):
        return {node[1]}
    if kind == "lit":
        return set()
    if kind == "cmp":
        return references(node[2]) | references(node[3])
    return set().union(*(references(n) for n in node[1:]))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "ref":
        return answers.get(node[1])
    if kind == "lit":
        return node[1]
    if kind == "count":
        v = answers.get(node[1])
        return Decimal(len(v)) if isinstance(v, list) else Decimal(0)
    return evaluate(node, answers)


def _compare(op: str, left: Any, right: Any) -> bool:
    ln, rn = _number(left), _number(right)
    if ln is not None and rn is not None:
        a: Any = ln
        b: Any = rn
    else:  # XPath: an unanswered question is the empty string
        if op not in ("=", "!="):
            return False
        a = "" if left is None else str(left)
        b = "" if right is None else str(right)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def evaluate(node: Node, answers: Mapping[str, Any]) -> bool:
    """Whether the condition holds for these answers (unanswered questions read as empty)."""
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], answers) and evaluate(node[2], answers)
    if kind == "or":
        return evaluate(node[1], answers) or evaluate(node[2], answers)
    if kind == "not":
        return not evaluate(node[1], answers)
    if kind == "cmp":
        return _compare(node[1], _value(node[2], answers), _value(node[3], answers))
    if kind == "selected":
        v = answers.get(node[1])
        return node[2] in v if isinstance(v, list) else v == node[2]
    value = _value(node, answers)
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "", Decimal(0))


# --- the definition -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    name: str
    label: str


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    label: str
    section: str
    hint: str = ""
    required: bool = False
    relevant: str = ""
    choices: tuple[Choice, ...] = ()
    condition: Node | None = field(default=None, compare=False)

    def choice_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.choices)


@dataclass(frozen=True)
class Section:
    name: str
    label: str
    guidance: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Definition:
    title: str
    form_id: str
    sections: tuple[Section, ...]

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions() if q.name == name), None)

    def to_data(self) -> dict[str, Any]:
        """The JSON form kept in the database (and given by the API)."""
        return {
            "title": self.title,
            "form_id": self.form_id,
            "sections": [
                {
                    "name": s.name,
                    "label": s.label,
                    "guidance": s.guidance,
                    "questions": [_question_data(q) for q in s.questions],
                }
                for s in self.sections
            ],
        }


def _question_data(q: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"name": q.name, "type": q.type, "label": q.label}
    if q.hint:
        data["hint"] = q.hint
    if q.required:
        data["required"] = True
    if q.relevant:
        data["relevant"] = q.relevant
    if q.choices:
        data["choices"] = [{"name": c.name, "label": c.label} for c in q.choices]
    return data


def _str(raw: Mapping[str, Any], key: str, where: str, problems: list[Problem]) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(where, _("“%(a0)s” must be text."), a0=key))
        return ""
    value = value.strip()
    if len(value) > MAX_LABEL * 4:
        problems.append(
            Problem(
                where, _("“%(a0)s” is longer than %(a1)s characters."), a0=key, a1=MAX_LABEL * 4
            )
        )
    if "\x00" in value:
        problems.append(Problem(where, _("“%(a0)s” may not contain NUL characters."), a0=key))
    return value


def _choices(raw: Any, where: str, problems: list[Problem]) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(where, _("A choice question needs at least one choice.")))
        return ()
    out: list[Choice] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, Mapping):
            problems.append(Problem(where, _("Each choice needs a name and a label.")))
            continue
        name = _str(item, "name", where, problems)
        label = _str(item, "label", where, problems)
        if not NAME_RE.match(name):
            problems.append(
                Problem(
                    where,
                    _("Choice name “%(a0)s” must be letters, digits or _ (no spaces)."),
                    a0=name,
                )
            )
        elif name in seen:
            problems.append(Problem(where, _("Choice “%(a0)s” appears twice."), a0=name))
        if not label:
            problems.append(Problem(where, _("Choice “%(a0)s” needs a label."), a0=name))
        seen.add(name)
        out.append(Choice(name, label))
    return tuple(out)


def _question(raw: Any, section: str, problems: list[Problem]) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(section, _("Each question must be an object.")))
        return None
    name = _str(raw, "name", section, problems)
    where = name or section
    if not NAME_RE.match(name):
        problems.append(
            Problem(where, _("A question's name must be letters, digits or _ (no spaces)."))
        )
    qtype = _str(raw, "type", where, problems)
    if qtype not in QUESTION_TYPES:
        problems.append(
            Problem(
                where,
                _("Unknown question type “%(a0)s”; use one of %(a1)s."),
                a0=qtype,
                a1=", ".join(QUESTION_TYPES),
            )
        )
    label = _str(raw, "label", where, problems)
    if not label:
        problems.append(Problem(where, _("A question needs a label.")))
    choices = _choices(raw.get("choices"), where, problems) if qtype in SELECT_TYPES else ()
    if qtype not in SELECT_TYPES and raw.get("choices"):
        problems.append(Problem(where, _("Only choice questions have choices.")))
    relevant = _str(raw, "relevant", where, problems)
    condition = None
    if relevant:
        try:
            condition = parse_condition(relevant)
        except ValueError as exc:
            problems.append(Problem(where, _("The condition cannot be read: %(a0)s."), a0=exc))
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems.append(Problem(where, _("“required” must be true or false.")))
        required = False
    return Question(
        name=name,
        type=qtype,
        label=label,
        section=section,
        hint=_str(raw, "hint", where, problems),
        required=required,
        relevant=relevant,
        choices=choices,
        condition=condition,
    )


def _cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle in the dependency graph, as the names it runs through, or None."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if colour.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if colour.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def _sections(sections_raw: list[Any], problems: list[Problem]) -> tuple[list[Section], int]:
    """The sections and their questions, with every problem of names and shapes."""
    sections: list[Section] = []
    names: set[str] = set()
    count = 0
    for s_raw in sections_raw:
        if not isinstance(s_raw, Mapping):
            problems.append(Problem("survey", _("Each section must be an object.")))
            continue
        s_name = _str(s_raw, "name", "survey", problems)
        if not NAME_RE.match(s_name):
            problems.append(
                Problem(s_name or "survey", _("A section's name must be letters, digits or _."))
            )
        elif s_name in names:
            problems.append(Problem(s_name, _("This name is used twice.")))
        names.add(s_name)
        questions: list[Question] = []
        q_list = s_raw.get("questions")
        if not isinstance(q_list, list):
            problems.append(Problem(s_name, _("A section needs a list of questions.")))
            q_list = []
        for q_raw in q_list:
            q = _question(q_raw, s_name, problems)
            if q is None:
                continue
            count += 1
            if q.name in names:
                problems.append(Problem(q.name, _("This name is used twice.")))
            names.add(q.name)
            questions.append(q)
        sections.append(
            Section(
                name=s_name,
                label=_str(s_raw, "label", s_name, problems) or s_name,
                guidance=_str(s_raw, "guidance", s_name, problems),
                questions=tuple(questions),
            )
        )
    return sections, count


def _check_conditions(definition: Definition, problems: list[Problem]) -> dict[str, set[str]]:
    """Each condition's references and choices; returns the dependency graph (for cycles)."""
    by_name = {q.name: q for q in definition.questions()}
    graph: dict[str, set[str]] = {}
    for q in by_name.values():
        if q.condition is None:
            continue
        refs = references(q.condition)
        graph[q.name] = refs
        for ref in sorted(refs):
            target = by_name.get(ref)
            if target is None:
                problems.append(
                    Problem(
                        q.name,
                        _(
                            "The condition refers to “%(a0)s”, which is not a question of this survey."
                        ),
                        a0=ref,
                    )
                )
            elif target.type == "file":
                problems.append(
                    Problem(
                        q.name,
                        _("The condition cannot depend on the file question “%(a0)s”."),
                        a0=ref,
                    )
                )
        for node in _choice_tests(q.condition):
            target = by_name.get(node[1])
            if (
                target is not None
                and target.type in SELECT_TYPES
                and node[2] not in target.choice_names()
            ):
                problems.append(
                    Problem(
                        q.name, _("“%(a0)s” is not a choice of “%(a1)s”."), a0=node[2], a1=node[1]
                    )
                )
    return graph


def parse_definition(raw: Any) -> Definition:
    """Check a whole survey definition and return it; SurveyError lists every problem."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise SurveyError([Problem("survey", _("A survey must be an object."))])
    title = _str(raw, "title", "survey", problems)
    if not title:
        problems.append(Problem("survey", _("A survey needs a title.")))
    form_id = _str(raw, "form_id", "survey", problems) or "palermo_survey"
    if not NAME_RE.match(form_id):
        problems.append(Problem("survey", _("The form id must be letters, digits or _.")))
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        problems.append(Problem("survey", _("A survey needs at least one section.")))
        sections_raw = []
    sections, count = _sections(sections_raw, problems)
    if count > MAX_QUESTIONS:
        problems.append(Problem("survey", _("At most %(a0)s questions."), a0=MAX_QUESTIONS))
    definition = Definition(title=title, form_id=form_id, sections=tuple(sections))
    graph = _check_conditions(definition, problems)
    cycle = _cycle(graph)
    if cycle:
        problems.append(
            Problem(
                cycle[0],
                _(
                    "The skip logic goes round in a circle: %(path)s. Break the circle so "
                    "that no question depends on itself."
                ),
                path=" → ".join(cycle),
            )
        )
    if problems:
        raise SurveyError(problems)
    return definition


def _choice_tests(node: Node) -> list[Node]:
    if node[0] == "selected":
        return [node]
    if node[0] in ("and", "or", "not"):
        return [t for n in node[1:] for t in _choice_tests(n)]
    return []


# --- answers ------------------------------------------------------------------------------------


def applies(definition: Definition, answers: Mapping[str, Any]) -> dict[str, bool]:
    """Which questions apply given these answers (a question whose condition reads a question
    that does not apply reads it as unanswered, as ODK does)."""
    result: dict[str, bool] = {}
    questions = {q.name: q for q in definition.questions()}

    def decide(name: str) -> bool:
        if name in result:
            return result[name]
        q = questions[name]
        if q.condition is None:
            result[name] = True
            return True
        result[name] = False  # guards re-entry; definitions are acyclic
        visible = {
            r: answers.get(r) for r in references(q.condition) if r in questions and decide(r)
        }
        result[name] = evaluate(q.condition, visible)
        return result[name]

    for name in questions:
        decide(name)
    return result


def check_answers(
    definition: Definition, answers: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], list[Problem]]:
    """Clean answers and list every problem. ``complete`` asks required questions to be answered
    (a submission); a draft may be partial. Files are answered by the caller with the name of the
    stored attachment. Nothing is dropped silently: an answer to a question that is not in the
    survey, or that does not apply, is a problem to fix, not something to ignore."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    by_name = {q.name: q for q in definition.questions()}
    for name in answers:
        if name not in by_name:
            problems.append(
                Problem(
                    str(name)[:64],
                    _("This question is no longer in the survey; its answer cannot be kept."),
                )
            )
    for name, q in by_name.items():
        value = answers.get(name)
        if value in (None, "", []):
            continue
        cleaned = _clean(q, value, problems)
        if cleaned is not None:
            clean[name] = cleaned
    visible = applies(definition, clean)
    for name, q in by_name.items():
        if name in clean and not visible[name]:
            problems.append(
                Problem(
                    name, _("This question does not apply given the other answers; leave it empty.")
                )
            )
        elif complete and q.required and visible[name] and name not in clean:
            problems.append(Problem(name, _("An answer is required.")))
    return clean, problems


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _clean_text(q: Question, value: Any) -> Any:
    if not isinstance(value, str):
        raise _Refused(Problem(q.name, _("Give text.")))
    value = value.strip()
    if len(value) > MAX_TEXT_ANSWER:
        raise _Refused(Problem(q.name, _("At most %(a0)s characters."), a0=MAX_TEXT_ANSWER))
    if "\x00" in value:
        raise _Refused(Problem(q.name, _("Text may not contain NUL characters.")))
    return value or None


def _clean_integer(q: Question, value: Any) -> Any:
    number = _number(value)
    if number is None or number != number.to_integral_value() or abs(number) > 10**12:
        raise _Refused(Problem(q.name, _("Give a whole number.")))
    return int(number)


def _clean_decimal(q: Question, value: Any) -> Any:
    number = _number(value)
    if number is None or not number.is_finite() or abs(number) > 10**12:
        raise _Refused(Problem(q.name, _("Give a number.")))
    return str(number)


def _clean_date(q: Question, value: Any) -> Any:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _Refused(Problem(q.name, _("Give a date as YYYY-MM-DD."))) from None


def _clean_one(q: Question, value: Any) -> Any:
    if value not in q.choice_names():
        raise _Refused(Problem(q.name, _("Choose one of the offered answers.")))
    return value


def _clean_many(q: Question, value: Any) -> Any:
    allowed = q.choice_names()
    picked = value if isinstance(value, list) else str(value).split()
    if any(v not in allowed for v in picked):
        raise _Refused(Problem(q.name, _("Choose only among the offered answers.")))
    return [c for c in allowed if c in picked]  # the survey's order, no duplicates


_CLEANERS = {
    "text": _clean_text,
    "file": _clean_text,
    "integer": _clean_integer,
    "decimal": _clean_decimal,
    "date": _clean_date,
    "select_one": _clean_one,
    "select_multiple": _clean_many,
}


def _clean(q: Question, value: Any, problems: list[Problem]) -> Any:
    try:
        return _CLEANERS[q.type](q, value)
    except _Refused as refused:
        problems.append(refused.problem)
        return None


def consolidate(
    definition: Definition, responses: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """Per section and question, what the respondents answered: counts per choice, totals of
    numbers, and each text answer with the organisation that gave it."""
    out: list[dict[str, Any]] = []
    for section in definition.sections:
        rows: list[dict[str, Any]] = []
        for q in section.questions:
            answered = [(org, a[q.name]) for org, a in responses if q.name in a]
            row: dict[str, Any] = {"question": q, "answered": len(answered), "of": len(responses)}
            if q.type in SELECT_TYPES:
                counts = dict.fromkeys(q.choice_names(), 0)
                for _org, value in answered:
                    for v in value if isinstance(value, list) else [value]:
                        if v in counts:
                            counts[v] += 1
                row["counts"] = [(c.label, counts[c.name]) for c in q.choices]
            elif q.type in ("integer", "decimal"):
                numbers = [Decimal(str(v)) for _org, v in answered]
                row["total"] = sum(numbers, Decimal(0)) if numbers else None
                row["low"] = min(numbers) if numbers else None
                row["high"] = max(numbers) if numbers else None
            else:
                row["texts"] = sorted(answered)
            rows.append(row)
        out.append({"section": section, "rows": rows})
    return out
