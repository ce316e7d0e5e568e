"""Supplier self-assessment questionnaires (issue 18, item 5): the template, the answers and
the scoring rule (``supply-saq-1``).

A template is versioned data shipped in the package (``data/questionnaires/ID-VERSION.yaml``):
questions on the ILO indicators of forced labour, recruitment fees, disclosure of sites and
recruiters, the grievance mechanism and social audits, each with its type, the indicator or
measure it informs, and which answers are **red flags**. A questionnaire sent to a supplier
keeps the template's id and version, and its answers are always read against that version.

The rule: each red-flag answer is a finding tied to the question's indicator, with its
severity (non-compliance 2 points, observation 1). Score ≥ 4, or any red flag on a
*critical* question, → high; score ≥ 1 → medium; else low. Adding a red-flag answer never
lowers the score or the level (property test). An unanswered question is listed as missing,
never counted as a red flag nor as clear.

An answers file (CSV or XLSX, header row): ``question`` (the question's id), ``answer``;
``comment`` optional. Every row is checked; one error and nothing is imported.

Pure: no Django imports. Texts are English, translated by the shell through the data
msgids (``palermo i18n data-msgids`` reads this package's templates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from palermo.supply import tables, vocabulary
from palermo.supply.tables import Preview, RowError, p

_ = tables._

RULE: Final = "supply-saq-1"
DATA_DIR: Final = Path(__file__).parent / "data" / "questionnaires"
DEFAULT: Final = ("saq-labour", 1)
TYPES: Final = ("yes_no", "choice", "number", "text")
SEVERITIES: Final = ("non_compliance", "observation")
POINTS: Final = {"non_compliance": 2, "observation": 1}
HIGH_AT: Final = 4
MEDIUM_AT: Final = 1
MAX_NUMBER: Final = 10_000_000
MAX_TEXT: Final = 2000
YES_NO: Final = {"yes": _("Yes"), "no": _("No")}


@dataclass(frozen=True)
class Question:
    id: str
    indicator: str  # an ILO indicator or a SAQ measure (vocabulary)
    type: str
    text: str
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (code, label) of a choice
    red_flags: frozenset[str] = frozenset()
    red_flag_above: int | None = None
    severity: str = "observation"
    critical: bool = False

    def choices(self) -> tuple[tuple[str, str], ...]:
        return tuple(YES_NO.items()) if self.type == "yes_no" else self.options

    def is_red_flag(self, answer: str) -> bool:
        if not answer:
            return False
        if self.type == "number":
            return self.red_flag_above is not None and int(answer) > self.red_flag_above
        return answer in self.red_flags


@dataclass(frozen=True)
class Template:
    id: str
    version: int
    title: str
    questions: tuple[Question, ...]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


class TemplateError(ValueError):
    """A questionnaire data file that does not follow the format (a packaging bug)."""


def _question(raw: Mapping[str, object], where: str) -> Question:
    qid, kind, indicator = str(raw.get("id", "")), str(raw.get("type", "")), raw.get("indicator")
    if not qid or kind not in TYPES or not raw.get("text"):
        raise TemplateError(f"{where}: a question needs an id, a type of {TYPES} and a text")
    if indicator not in vocabulary.ILO_INDICATORS and indicator not in vocabulary.SAQ_MEASURES:
        raise TemplateError(f"{where} {qid}: unknown indicator or measure {indicator!r}")
    options = tuple((str(k), str(v)) for k, v in dict(raw.get("options") or {}).items())  # type: ignore[call-overload]
    if (kind == "choice") != bool(options):
        raise TemplateError(f"{where} {qid}: options belong to (and only to) a choice")
    severity = str(raw.get("severity", "observation"))
    if severity not in SEVERITIES:
        raise TemplateError(f"{where} {qid}: severity is one of {SEVERITIES}")
    flags = frozenset(str(f) for f in raw.get("red_flags") or ())  # type: ignore[attr-defined]
    allowed = {c for c, _label in options} if kind == "choice" else set(YES_NO)
    if kind in ("number", "text") and flags or kind in ("yes_no", "choice") and flags - allowed:
        raise TemplateError(f"{where} {qid}: a red flag that is not one of its answers")
    above = raw.get("red_flag_above")
    if above is not None and (kind != "number" or not isinstance(above, int)):
        raise TemplateError(f"{where} {qid}: red_flag_above is a whole number, on a number")
    return Question(
        id=qid,
        indicator=str(indicator),
        type=kind,
        text=" ".join(str(raw["text"]).split()),
        help=" ".join(str(raw.get("help") or "").split()),
        options=options,
        red_flags=flags,
        red_flag_above=above,
        severity=severity,
        critical=bool(raw.get("critical", False)),
    )


def parse_template(data: Mapping[str, object], where: str = "questionnaire") -> Template:
    questions = tuple(_question(q, where) for q in data.get("questions") or ())  # type: ignore[attr-defined]
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids) or not questions:
        raise TemplateError(f"{where}: question ids must be unique, and there must be some")
    return Template(str(data["id"]), int(data["version"]), str(data["title"]), questions)  # type: ignore[call-overload]


def template_path(template_id: str, version: int) -> Path:
    return DATA_DIR / f"{template_id}-{version}.yaml"


@cache
def load(template_id: str = DEFAULT[0], version: int = DEFAULT[1]) -> Template:
    """A shipped template by id and version (cached; the files never change once sent)."""
    import yaml

    path = template_path(template_id, version)
    if not path.is_file() or "/" in template_id:
        raise TemplateError(f"no questionnaire {template_id} version {version}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = parse_template(data, path.name)
    if (out.id, out.version) != (template_id, version):
        raise TemplateError(f"{path.name}: its id and version differ from its name")
    return out


def available() -> list[tuple[str, int]]:
    """(id, version) of every shipped template."""
    out = []
    for path in sorted(DATA_DIR.glob("*.yaml")):
        name, _sep, version = path.stem.rpartition("-")
        if version.isdigit():
            out.append((name, int(version)))
    return out


def latest(template_id: str = DEFAULT[0]) -> Template:
    versions = [v for t, v in available() if t == template_id]
    if not versions:
        raise TemplateError(f"no questionnaire {template_id}")
    return load(template_id, max(versions))


# --- answers ------------------------------------------------------------------------------


def check_answer(q: Question, value: str) -> tuple[str, str | None]:
    """The normalised answer and the problem with it (a message template), if any."""
    text = (value or "").strip()
    if not text:
        return "", None
    if q.type == "number":
        digits = text.replace(",", "").replace(" ", "")
        if not digits.isdigit() or int(digits) > MAX_NUMBER:
            return "", _("A whole number, 0 or more.")
        return str(int(digits)), None
    if q.type == "text":
        if len(text) > MAX_TEXT:
            return "", _("At most 2000 characters.")
        return text, None
    codes = [c for c, _label in q.choices()]
    code = text.lower()
    if code not in codes:
        by_label = {label.lower(): c for c, label in q.choices()}
        if code in by_label:
            return by_label[code], None
        return "", _("Answer one of: %(values)s.")
    return code, None


def check_answers(
    template: Template, answers: Mapping[str, str]
) -> tuple[dict[str, str], list[tuple[str, str, tuple[tuple[str, str], ...]]]]:
    """Clean answers by question id, and (question id, message template, params) problems.
    Blank answers are left out (unanswered)."""
    clean: dict[str, str] = {}
    problems: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
    for qid in answers:
        if template.question(qid) is None:
            problems.append((qid, _("No such question in this questionnaire."), ()))
    for q in template.questions:
        value, issue = check_answer(q, answers.get(q.id, ""))
        if issue:
            params = p(values=", ".join(c for c, _label in q.choices())) if "%(" in issue else ()
            problems.append((q.id, issue, params))
        elif value:
            clean[q.id] = value
    return clean, problems


@dataclass(frozen=True)
class AnswerRow:
    row: int
    question: str
    answer: str
    comment: str


def preview_answers(data: bytes, name: str, template: Template) -> Preview[AnswerRow]:
    """Check an answers file against the template: every row, all or nothing."""

    def check(values: dict[str, str], line: int, errors: list[RowError]) -> AnswerRow | None:
        before = len(errors)
        qid = values["question"].strip()
        q = template.question(qid)
        answer = ""
        if q is None:
            errors.append(RowError(line, "question", _("No such question in this questionnaire.")))
        else:
            answer, issue = check_answer(q, values["answer"])
            if issue:
                params = p(values=", ".join(c for c, _l in q.choices())) if "%(" in issue else ()
                errors.append(RowError(line, "answer", issue, params))
        comment = tables.text(
            values.get("comment", ""), line, "comment", errors, limit=MAX_TEXT, required=False
        )
        if len(errors) > before:
            return None
        return AnswerRow(line, qid, answer, comment)

    out = tables.parse(
        data, name, required=("question", "answer"), optional=("comment",), check=check
    )
    seen: dict[str, int] = {}
    for r in out.rows:
        if r.question in seen:
            out.errors.append(
                RowError(
                    r.row,
                    "question",
                    _("This question is answered twice (row %(row)s)."),
                    p(row=seen[r.question]),
                )
            )
        seen.setdefault(r.question, r.row)
    bad = {e.row for e in out.errors}
    out.rows = [r for r in out.rows if r.row not in bad]
    if out.errors:
        out.rows = []
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out


# --- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    question: str
    indicator: str
    severity: str
    answer: str
    critical: bool


@dataclass(frozen=True)
class Scored:
    findings: tuple[Finding, ...]
    missing: tuple[str, ...]  # question ids without an answer
    score: int
    level: str  # vocabulary.LEVELS
    rule: str = RULE

    @property
    def red_flags(self) -> int:
        return len(self.findings)


def score(template: Template, answers: Mapping[str, str]) -> Scored:
    """Red-flag answers → findings, a score and a level. ``answers`` are clean (checked)."""
    findings = tuple(
        Finding(q.id, q.indicator, q.severity, answers[q.id], q.critical)
        for q in template.questions
        if q.is_red_flag(answers.get(q.id, ""))
    )
    missing = tuple(q.id for q in template.questions if not answers.get(q.id))
    points = sum(POINTS[f.severity] for f in findings)
    if points >= HIGH_AT or any(f.critical for f in findings):
        level = "high"
    elif points >= MEDIUM_AT:
        level = "medium"
    else:
        level = "low"
    return Scored(findings, missing, points, level)


def answer_label(q: Question, answer: str) -> str:
    """The label (untranslated) of a choice or yes/no answer; a number or text as given."""
    return dict(q.choices()).get(answer, answer)
