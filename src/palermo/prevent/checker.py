"""The "check a job offer" rules: a small interpreter over a versioned data file.

Pure: no Django imports. ``data/job_offer_rules.json`` holds the questions and the rules; each
rule names one question, the answers that raise a warning (``when``) and the answers that only
call for a check (``check_when``), the indicator it stands for and at least one source. The
loader refuses a file whose rules cite an unknown source or question, so every warning a person
sees can be traced to a published indicator.

:func:`evaluate` never says an offer is safe: with no warning it reports that none of the
questions asked raised one, and how many were answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ANSWERS: tuple[str, ...] = ("yes", "no", "unknown")
STRENGTHS: tuple[str, ...] = ("strong", "medium", "weak")
RULES_FILE = Path(__file__).parent / "data" / "job_offer_rules.json"


class RulesError(ValueError):
    """The rules file is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str
    checked: bool


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    question: str
    when: frozenset[str]
    check_when: frozenset[str]
    strength: str
    indicator: str
    warning: str
    next: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    sources: Mapping[str, Source]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]

    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired: a warning (``kind == "warning"``) or a thing to find out."""

    rule: Rule
    kind: str  # "warning" | "check"
    answer: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    version: str
    warnings: tuple[Finding, ...]
    checks: tuple[Finding, ...]
    answered: int
    asked: int

    @property
    def any_warning(self) -> bool:
        return bool(self.warnings)


def _req(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise RulesError(f"{where}: missing {key!r}")
    return obj[key]


def _parse_rule(raw: Mapping[str, Any], i: int, questions: set[str], sources: set[str]) -> Rule:
    where = f"rules[{i}]"
    rule_id = str(_req(raw, "id", where))
    question = str(_req(raw, "question", where))
    if question not in questions:
        raise RulesError(f"{where} ({rule_id}): unknown question {question!r}")
    when = frozenset(str(a) for a in _req(raw, "when", where))
    check_when = frozenset(str(a) for a in raw.get("check_when", []))
    for a in when | check_when:
        if a not in ANSWERS:
            raise RulesError(f"{where} ({rule_id}): unknown answer {a!r}")
    if not when:
        raise RulesError(f"{where} ({rule_id}): 'when' is empty")
    if when & check_when:
        raise RulesError(f"{where} ({rule_id}): an answer is both a warning and a check")
    strength = str(_req(raw, "strength", where))
    if strength not in STRENGTHS:
        raise RulesError(f"{where} ({rule_id}): unknown strength {strength!r}")
    cited = tuple(str(s) for s in _req(raw, "sources", where))
    if not cited:
        raise RulesError(f"{where} ({rule_id}): a rule needs at least one source")
    for s in cited:
        if s not in sources:
            raise RulesError(f"{where} ({rule_id}): unknown source {s!r}")
    texts = {k: str(_req(raw, k, where)).strip() for k in ("indicator", "warning", "next")}
    for k, v in texts.items():
        if not v:
            raise RulesError(f"{where} ({rule_id}): {k!r} is empty")
    return Rule(
        rule_id,
        question,
        when,
        check_when,
        strength,
        texts["indicator"],
        texts["warning"],
        texts["next"],
        cited,
    )


def parse(document: Mapping[str, Any]) -> RuleSet:
    """A rule set from the JSON document, or :class:`RulesError` naming the first fault."""
    version = str(_req(document, "version", "file"))
    sources = {
        str(k): Source(str(k), str(_req(v, "title", k)), str(_req(v, "url", k)), bool(v["checked"]))
        for k, v in _req(document, "sources", "file").items()
    }
    questions = tuple(
        Question(str(_req(q, "id", "question")), str(_req(q, "text", "question")))
        for q in _req(document, "questions", "file")
    )
    qids = [q.id for q in questions]
    if len(set(qids)) != len(qids):
        raise RulesError("questions: an id is used twice")
    rules = tuple(
        _parse_rule(r, i, set(qids), set(sources))
        for i, r in enumerate(_req(document, "rules", "file"))
    )
    rids = [r.id for r in rules]
    if len(set(rids)) != len(rids):
        raise RulesError("rules: an id is used twice")
    unused = set(qids) - {r.question for r in rules}
    if unused:
        raise RulesError(f"questions without a rule: {sorted(unused)}")
    return RuleSet(version, sources, questions, rules)


@cache
def load(path: Path = RULES_FILE) -> RuleSet:
    with path.open(encoding="utf-8") as fh:
        return parse(json.load(fh))


_ORDER = {s: i for i, s in enumerate(STRENGTHS)}


def evaluate(rules: RuleSet, answers: Mapping[str, str]) -> CheckResult:
    """The warnings and checks raised by ``answers`` (question id → "yes"/"no"/"unknown").

    Unknown question ids and answers outside :data:`ANSWERS` are ignored (the web form has
    already refused them); a question left out is "not answered" and raises nothing.
    Warnings come strongest first, then in the order of the rules file.
    """
    known = set(rules.question_ids())
    given = {q: a for q, a in answers.items() if q in known and a in ANSWERS}
    warnings: list[Finding] = []
    checks: list[Finding] = []
    for rule in rules.rules:
        answer = given.get(rule.question)
        if answer is None:
            continue
        cited = tuple(rules.sources[s] for s in rule.sources)
        if answer in rule.when:
            warnings.append(Finding(rule, "warning", answer, cited))
        elif answer in rule.check_when:
            checks.append(Finding(rule, "check", answer, cited))
    warnings.sort(key=lambda f: _ORDER[f.rule.strength])
    return CheckResult(rules.version, tuple(warnings), tuple(checks), len(given), len(known))
