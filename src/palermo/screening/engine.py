"""Identification screening engine: indicators in, explained suggestion out.

Pure core (no Django, no I/O): given a :class:`ScreeningInput` and an
:class:`~palermo.screening.catalogue.IndicatorCatalogue`, :func:`screen` returns a
:class:`ScreeningResult` that says, for every dimension of every applicable indicator
list, whether it is positive and which threshold clause made it so; the combined
assessment; the suggested status (potential or presumed victim) with the rule that
produced it; the next steps; and an explanation in plain sentences.

The same input always gives the same result, whatever the order of its answers, and
``result.to_dict()`` / ``result.to_json()`` are the one serialisation every interface
(web, API, CLI, batch) uses. Humans decide: the result is a suggestion for the
identification body.

Invalid input raises :class:`ScreeningInputError` with every problem found; nothing is
computed from a half-valid input.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

import orjson

from palermo.core.errors import FieldError  # one field-message type for the whole project
from palermo.screening.catalogue import (
    EXPLOITATION_WITH_PARTIAL_MEANS,
    EXPLOITATION_WITHOUT_MEANS,
    INSUFFICIENT_TO_ASSESS,
    MEANS_WITHOUT_EXPLOITATION,
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    RESERVED_INPUT_FIELDS,
    AgeGroup,
    Grade,
    IndicatorCatalogue,
    IndicatorSet,
    Selection,
)
from palermo.screening.phrases import Code, Count, Data, Join, Msg, Part, _

ENGINE_VERSION = "1.0"

IndicatorSource = Literal["observed", "self_reported", "document"]
INDICATOR_SOURCES: tuple[IndicatorSource, ...] = ("observed", "self_reported", "document")

Status = Literal["presumed_victim", "potential_victim", "no_indication"]
AgeBasis = Literal["stated_age", "age_not_recorded", "presumed_child"]

# Outcome codes the engine itself produces when an adults' list's full combination is
# not met are defined in catalogue.py (EXPLOITATION_WITH_PARTIAL_MEANS, ...). The positive
# codes (trafficking_for_labour_exploitation, domestic_servitude, ...) and the children's
# outcomes (exploitation_of_a_child, ...) come from each set's rule, so a national set can
# name its own. Each conclusion has a kind; the kind ranks it in the combined assessment
# (positive outcomes rank 0, criteria 1).
CHILD_EXPLOITATION_WITHOUT_ACT = "child_exploitation_without_act"
CHILD_AT_RISK = "child_at_risk"
_KIND_RANK = {
    "met": 0,
    EXPLOITATION_WITH_PARTIAL_MEANS: 2,
    CHILD_EXPLOITATION_WITHOUT_ACT: 2,
    EXPLOITATION_WITHOUT_MEANS: 3,
    MEANS_WITHOUT_EXPLOITATION: 4,
    CHILD_AT_RISK: 4,
    INSUFFICIENT_TO_ASSESS: 5,
}

ADULT_AGE = 18
MAX_AGE = 120
MAX_NOTE_LENGTH = 2000

# Status rules in order of precedence; the first one met is "the rule that produced" the
# suggested status. The first five give reasonable grounds (presumed victim).
STATUS_RULES: tuple[str, ...] = (
    "combination_met",
    "self_identification",
    "severe_exploitation",
    "palermo_elements_met",
    "child_any_indication",
    "indicators_noticed",
    "no_indication",
)


# --------------------------------------------------------------------------- input


class ScreeningInputError(ValueError):
    """The input cannot be screened; ``errors`` lists every problem, field by field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def to_list(self) -> list[dict[str, str]]:
        return [e.to_dict() for e in self.errors]


class ObservedIndicator(NamedTuple):
    """One indicator the screener noticed. ``note`` is free text kept for the case file;
    it never enters the result, which may be logged or exported. (A NamedTuple rather
    than a dataclass: batch screening builds millions of them.)"""

    key: str
    source: IndicatorSource | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    """What the screener recorded about one person.

    ``age_uncertain_may_be_child`` means "there are reasons to believe the person may be
    a child": the person is then presumed a child whatever ``age`` says (Council of Europe
    Convention, 2005, Art. 10(3)). A stated age of 18 or more together with the flag is
    therefore not a contradiction: the stated age is exactly what is uncertain.
    """

    age: int | None = None
    age_uncertain_may_be_child: bool = False
    forms: tuple[str, ...] = ()
    indicators: tuple[ObservedIndicator, ...] = ()
    act: tuple[str, ...] = ()
    means: tuple[str, ...] = ()
    purpose: tuple[str, ...] = ()
    self_identifies_as_victim: bool = False


# -------------------------------------------------------------------------- result
#
# The result carries findings and codes, not the sets' static text: labels, guidance and
# dimension names live in the set files (and are translated by the shell from there),
# which keeps one result small enough to store per screening and to stream by the
# million. ``explanation`` is the English reference rendering in plain sentences. The
# exact age is not repeated either: the age group and how it was established suffice.
# No slots on these classes: orjson serialises __dict__ dataclasses several times faster.
# Findings shared between results through the engine's caches are frozen; the two
# containers built afresh for every person (ScreeningResult, SetFinding) are plain
# dataclasses because frozen ones cost several times more to construct.


@dataclass(frozen=True)
class GradeCounts:
    strong: int
    medium: int
    weak: int


@dataclass(frozen=True)
class IndicatorFinding:
    key: str
    grade: Grade | None
    source: IndicatorSource | None


@dataclass(frozen=True)
class DimensionFinding:
    key: str
    positive: bool
    clause: str | None
    counts: GradeCounts
    indicators: tuple[IndicatorFinding, ...]


@dataclass(frozen=True)
class StageFinding:
    key: str
    positive: bool


@dataclass(frozen=True)
class CriterionFinding:
    key: str
    met: bool
    indicators: tuple[IndicatorFinding, ...]


@dataclass
class SetFinding:
    set_id: str
    version: str
    transcribed: bool
    outcome: str | None
    outcome_positive: bool
    missing_stages: tuple[str, ...]
    severe_exploitation: bool
    stages: tuple[StageFinding, ...]
    dimensions: tuple[DimensionFinding, ...]
    criteria: tuple[CriterionFinding, ...]


@dataclass(frozen=True)
class PalermoFinding:
    act: tuple[str, ...]
    means: tuple[str, ...]
    purpose: tuple[str, ...]
    means_required: bool
    means_from_indicators: bool
    purpose_from_indicators: bool
    elements_met: bool


@dataclass(frozen=True)
class NextStep:
    code: str
    text: str


@dataclass
class ScreeningResult:
    engine_version: str
    age_group: AgeGroup
    age_basis: AgeBasis
    presumed_child: bool
    forms: tuple[str, ...]
    self_identifies_as_victim: bool
    sets: tuple[SetFinding, ...]
    palermo: PalermoFinding
    assessment: str
    assessments: tuple[str, ...]
    status: Status
    status_rule: str
    rules_met: tuple[str, ...]
    next_steps: tuple[NextStep, ...]
    explanation: tuple[str, ...]

    def to_json(self) -> bytes:
        """The canonical serialisation (orjson walks the dataclasses natively)."""
        return orjson.dumps(self)

    def to_dict(self) -> dict[str, Any]:
        # Derived from to_json so that the dict and the JSON can never disagree.
        return cast(dict[str, Any], orjson.loads(orjson.dumps(self)))


# ---------------------------------------------------------------------- validation


def _age_group(person: ScreeningInput) -> AgeGroup:
    if person.age_uncertain_may_be_child:
        return "child"
    if person.age is not None and person.age < ADULT_AGE:
        return "child"
    return "adult"


def _describe_set(s: IndicatorSet) -> str:
    return f"'{s.id}' ({'/'.join(s.age_groups)}; {', '.join(s.forms)})"


@functools.lru_cache(maxsize=1024)
def _suggestion(name: str, candidates: tuple[str, ...]) -> str:
    """The closest candidate, or ''. Only names sharing the first three characters are
    compared, which keeps a file full of distinct bad keys from crawling through difflib;
    the cache serves a typo repeated on many rows."""
    prefix = name[:3]
    pool = [c for c in candidates if c.startswith(prefix)]
    close = difflib.get_close_matches(name, pool, n=1) if pool else []
    return close[0] if close else ""


def _unknown_key(field: str, key: str, suggestion: str, *, field_or_key: bool) -> FieldError:
    """An unknown indicator key (or, in a flat row, field); with a close match, "did you mean"."""
    if field_or_key:
        if suggestion:
            return FieldError(
                field,
                "unknown field or indicator key '{key}' (did you mean '{suggestion}'?)",
                key=key,
                suggestion=suggestion,
            )
        return FieldError(field, "unknown field or indicator key '{key}'", key=key)
    if suggestion:
        return FieldError(
            field,
            "unknown indicator key '{key}' (did you mean '{suggestion}'?)",
            key=key,
            suggestion=suggestion,
        )
    return FieldError(field, "unknown indicator key '{key}'", key=key)


def _check_items(
    field: str, values: tuple[str, ...], allowed: Sequence[str], errors: list[FieldError]
) -> None:
    for v in values:
        if not isinstance(v, str) or v not in allowed:
            errors.append(
                FieldError(
                    field, "'{value}' is not one of: {choices}", value=v, choices=", ".join(allowed)
                )
            )


def validate_screening_input(
    person: ScreeningInput, catalogue: IndicatorCatalogue, *, _typed: bool = False
) -> list[FieldError]:
    """Every problem with ``person``; an empty list means it can be screened.

    Besides types and vocabularies it rejects impossible ages, indicators without a form
    of exploitation, the same indicator twice with different source or note, and an
    indicator that exists but not in the lists for this person's age group and forms
    (for example an adult-only indicator for a child). ``_typed`` is for the parser,
    whose objects have the right Python types by construction.
    """
    errors: list[FieldError] = []
    age = person.age
    age_ok = True
    if age is not None:
        if isinstance(age, bool) or not isinstance(age, int):
            age_ok = False
            errors.append(FieldError("age", "age must be a whole number of years"))
        elif age < 0 or age > MAX_AGE:
            age_ok = False
            errors.append(
                FieldError(
                    "age", "impossible age {age}: must be between 0 and {max}", age=age, max=MAX_AGE
                )
            )
    if not isinstance(person.age_uncertain_may_be_child, bool):
        errors.append(FieldError("age_uncertain_may_be_child", "must be true or false"))
    if not isinstance(person.self_identifies_as_victim, bool):
        errors.append(FieldError("self_identifies_as_victim", "must be true or false"))

    forms_ok = True
    known_forms = catalogue.forms
    for f in person.forms:
        if not isinstance(f, str) or f not in known_forms:
            forms_ok = False
            errors.append(
                FieldError(
                    "forms",
                    "unknown form of exploitation '{form}'; expected one of: {choices}",
                    form=f,
                    choices=", ".join(known_forms),
                )
            )
    if person.indicators and not person.forms:
        forms_ok = False
        errors.append(
            FieldError(
                "forms",
                "indicators were given without a form of exploitation; choose at least one "
                "so the right list is used",
            )
        )
    if person.act:
        _check_items("act", person.act, PALERMO_ACTS, errors)
    if person.means:
        _check_items("means", person.means, PALERMO_MEANS, errors)
    if person.purpose:
        _check_items("purpose", person.purpose, PALERMO_PURPOSES, errors)

    selection: Selection | None = None
    if forms_ok and age_ok and person.forms:
        selection = catalogue.select(_age_group(person), _sorted_unique(person.forms))

    seen: dict[str, ObservedIndicator] = {}
    selection_keys = selection.keys if selection is not None else frozenset()
    for o in person.indicators:
        if not _typed and (not isinstance(o, ObservedIndicator) or not isinstance(o.key, str)):
            errors.append(
                FieldError("indicators", "not an observed indicator: {value}", value=repr(o))
            )
            continue
        key = o.key
        if o.source is not None and o.source not in INDICATOR_SOURCES:
            errors.append(
                FieldError(
                    f"indicators.{key}",
                    "unknown source '{source}'; expected one of: {choices}",
                    source=o.source,
                    choices=", ".join(INDICATOR_SOURCES),
                )
            )
        if o.note is not None and (
            (not _typed and not isinstance(o.note, str)) or len(o.note) > MAX_NOTE_LENGTH
        ):
            errors.append(
                FieldError(
                    f"indicators.{key}",
                    "note must be text of at most {limit} characters",
                    limit=MAX_NOTE_LENGTH,
                )
            )
        twin = seen.get(key)
        if twin is not None and twin != o:
            errors.append(
                FieldError(
                    f"indicators.{key}",
                    "listed more than once with different source or note; keep one",
                )
            )
        seen[key] = o
        if key in selection_keys:
            continue
        if not catalogue.is_known(key):
            errors.append(
                _unknown_key(
                    f"indicators.{key}",
                    key,
                    _suggestion(key, catalogue.all_keys()),
                    field_or_key=False,
                )
            )
        elif selection is not None:
            owners = ", ".join(_describe_set(s) for s in catalogue.owners(key))
            template = (
                "indicator '{key}' belongs to {owners}, not to a list for a child screened for "
                "{forms}"
                if selection.age_group == "child"
                else "indicator '{key}' belongs to {owners}, not to a list for an adult screened "
                "for {forms}"
            )
            errors.append(
                FieldError(
                    f"indicators.{key}",
                    template,
                    key=key,
                    owners=owners,
                    forms=", ".join(selection.forms),
                )
            )
    return errors


# ------------------------------------------------------------------------- engine
#
# The hot path is written for batch speed: per-set lookup tables from the catalogue, and
# small bounded caches for whatever depends on few inputs (a dimension's finding depends
# only on the indicators present in it). The engine is deterministic, so caching never
# changes a result.


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return values if len(values) < 2 else tuple(sorted(set(values)))


# The explanation's sentences are phrases.Msg objects: their text is the English
# reference wording (stored, served by the API and the CLI), and they keep their template
# and parts so the web pages can say them in the reader's language (screening/labels.py).


def _outcome_words(codes: Sequence[str]) -> Join:
    return Join([Code("outcome", c) for c in codes])


def _labels(labels: Sequence[str], *, lower: bool = False) -> Join:
    return Join([Data(str(x), lower=lower) for x in labels])


def _counts_phrase(counts: GradeCounts) -> Join:
    return Join(
        [
            Count(n, g)
            for g, n in (
                ("strong", counts.strong),
                ("medium", counts.medium),
                ("weak", counts.weak),
            )
            if n
        ]
    )


Present = tuple[tuple[str, IndicatorSource | None], ...]


@functools.lru_cache(maxsize=16384)
def _dimension_finding(
    s: IndicatorSet, dim_index: int, present: Present
) -> tuple[DimensionFinding, str | None]:
    """One dimension's finding and its explanation sentence.

    ``present`` holds the (key, source) pairs in this dimension, in file order. The
    cache is bounded, so batch memory stays constant.
    """
    d = s.dimensions[dim_index]
    tally = {"strong": 0, "medium": 0, "weak": 0}
    findings = []
    labels: list[Part] = []
    for key, source in present:
        ind = s.indicator(key)
        assert ind is not None and ind.grade is not None  # guaranteed by validation
        tally[ind.grade] += 1
        findings.append(IndicatorFinding(key, ind.grade, source))
        labels.append(Data(ind.label, lower=True))
    counts = GradeCounts(tally["strong"], tally["medium"], tally["weak"])
    clause = s.first_clause_met(counts.strong, counts.medium, counts.weak)
    finding = DimensionFinding(
        key=d.key,
        positive=clause is not None,
        clause=clause.id if clause else None,
        counts=counts,
        indicators=tuple(findings),
    )
    sentence = None
    if findings:
        what = Msg(
            _("{counts} ({indicators})"), counts=_counts_phrase(counts), indicators=Join(labels)
        )
        if clause is not None:
            sentence = Msg(
                _(
                    "{dimension} (dimension {number}) is positive: {what} meet the threshold '{clause}'."
                ),
                dimension=Data(d.label),
                number=str(d.number),
                what=what,
                clause=Data(clause.label),
            )
        else:
            sentence = Msg(
                _("{dimension} (dimension {number}) is not positive: {what} reach no threshold."),
                dimension=Data(d.label),
                number=str(d.number),
                what=what,
            )
    return finding, sentence


class _Conclusion(NamedTuple):
    outcome: str
    kind: str  # "met" or one of the partial kinds in _KIND_RANK
    missing: tuple[str, ...]
    stages: tuple[StageFinding, ...]
    sentence: str | None
    means_positive: bool
    purpose_positive: bool
    severe_stage_positive: bool
    missing_labels: tuple[str, ...]


@functools.lru_cache(maxsize=1024)
def _set_conclusion(
    s: IndicatorSet, positive_mask: int, any_present: bool, act_declared: bool = False
) -> _Conclusion:
    """Everything about one graded set that follows from which of its dimensions are
    positive (bit n of ``positive_mask`` = dimension at index n) and, for a list with the
    children's rule, whether a Palermo act is declared (ignored by the adults' rule:
    callers pass False for such lists, so their cache entries are shared)."""
    rule = s.indicator_rule
    assert rule is not None
    positive_stages = set()
    means_positive = purpose_positive = False
    for n, d in enumerate(s.dimensions):
        if positive_mask >> n & 1:
            positive_stages.add(d.stage)
            if d.palermo_element == "means":
                means_positive = True
            else:
                purpose_positive = True
    stages = tuple(StageFinding(st.key, st.key in positive_stages) for st in rule.stages)
    stage_label = {st.key: st.label for st in rule.stages}
    required = rule.trafficking_when_positive
    missing = tuple(k for k in required if k not in positive_stages)
    missing_words = _labels([stage_label[k] for k in missing])
    missing_labels: tuple[str, ...]
    sentence: str | None
    if rule.child_act_rule is not None:
        outcome, kind, missing, missing_labels, sentence = _child_conclusion(
            s, positive_stages, missing, means_positive, any_present, act_declared
        )
    else:
        if not missing:
            outcome, kind = rule.outcome, "met"
            sentence = Msg(
                _("{stages} are all positive: the combination for {outcome} is met ({title})."),
                stages=Join([Data(stage_label[k], lower=True) for k in required], capitalise=True),
                outcome=Code("outcome", outcome),
                title=Data(s.title),
            )
        elif purpose_positive and means_positive:
            outcome = kind = EXPLOITATION_WITH_PARTIAL_MEANS
            sentence = Msg(
                _(
                    "Exploitation and some means are indicated, but {missing} is not positive,"
                    " so the combination for {outcome} is not complete."
                ),
                missing=missing_words,
                outcome=Code("outcome", rule.outcome),
            )
        elif purpose_positive:
            outcome = kind = EXPLOITATION_WITHOUT_MEANS
            sentence = Msg(
                _(
                    "Exploitation is indicated without positive {missing}: this points to a"
                    " labour-rights case unless more is learned."
                ),
                missing=missing_words,
            )
        elif means_positive:
            outcome = kind = MEANS_WITHOUT_EXPLOITATION
            sentence = Msg(
                _(
                    "Means are indicated but exploitation is not: a risk of trafficking to follow up."
                )
            )
        else:
            outcome = kind = INSUFFICIENT_TO_ASSESS
            sentence = _insufficient(s) if any_present else None
        # Only partial outcomes ask for more information; "insufficient" has nothing to
        # build on yet, and a met combination needs nothing more.
        partial = kind in (
            EXPLOITATION_WITH_PARTIAL_MEANS,
            EXPLOITATION_WITHOUT_MEANS,
            MEANS_WITHOUT_EXPLOITATION,
        )
        missing_labels = tuple(Data(stage_label[k]) for k in missing) if partial else ()
    return _Conclusion(
        outcome=outcome,
        kind=kind,
        missing=missing,
        stages=stages,
        sentence=sentence,
        means_positive=means_positive,
        purpose_positive=purpose_positive,
        severe_stage_positive=rule.severe_requires_stage in positive_stages,
        missing_labels=missing_labels,
    )


def _child_conclusion(
    s: IndicatorSet,
    positive_stages: set[str],
    missing_purpose: tuple[str, ...],
    means_positive: bool,
    any_present: bool,
    act_declared: bool,
) -> tuple[str, str, tuple[str, ...], tuple[str, ...], str | None]:
    """The children's combination (Palermo Protocol Art. 3(c), Council of Europe
    Convention Art. 4(c)): the act (declared, or shown by a positive recruitment stage)
    plus exploitation is trafficking of a child; means never matter. Returns (outcome,
    kind, missing stages, labels to ask more about, sentence)."""
    rule = s.indicator_rule
    assert rule is not None and rule.child_act_rule is not None
    child = rule.child_act_rule
    stage_label = {st.key: st.label for st in rule.stages}
    shown_by = [k for k in child.act_stages if k in positive_stages]
    declared = act_declared and child.by_declared_act
    act_established = declared or bool(shown_by)
    exploited = not missing_purpose
    exploitation_words = _labels([stage_label[k] for k in rule.trafficking_when_positive])
    act_words: Msg | None = None
    if act_established:
        how = Join(
            ([Msg(_("declared"))] if declared else [])
            + [Msg(_("shown by {stage}"), stage=Data(stage_label[k])) for k in shown_by]
        )
        act_words = Msg(_("the act ({how})"), how=how)
    if exploited and act_words is not None:
        return (
            rule.outcome,
            "met",
            (),
            (),
            Msg(
                _(
                    "For a child, {act} and {exploitation} are established: the combination for"
                    " {outcome} is met, and no means are required (Palermo Protocol, Art. 3(c);"
                    " Council of Europe Convention, Art. 4(c)) ({title})."
                ),
                act=act_words,
                exploitation=exploitation_words,
                outcome=Code("outcome", rule.outcome),
                title=Data(s.title),
            ),
        )
    if exploited:
        missing = tuple(k for k in child.act_stages if k not in positive_stages)
        return (
            child.outcome_without_act,
            CHILD_EXPLOITATION_WITHOUT_ACT,
            missing,
            (Data(child.act_label),),
            Msg(
                _(
                    "For a child, {exploitation} is positive but {act} is not established:"
                    " {outcome}. Means are not required for a child, and child protection"
                    " applies now; if the act is established, this is trafficking of a child."
                ),
                exploitation=exploitation_words,
                act=Data(child.act_label),
                outcome=Code("outcome", child.outcome_without_act),
            ),
        )
    if act_words is not None or means_positive:
        outcome_words = Code("outcome", child.outcome_without_exploitation)
        sentence = (
            Msg(
                _(
                    "For a child, {act} is established but exploitation is not: {outcome}, a"
                    " risk to follow up with child protection services."
                ),
                act=act_words,
                outcome=outcome_words,
            )
            if act_words is not None
            else Msg(
                _(
                    "For a child, means are indicated but exploitation is not: {outcome}, a risk"
                    " to follow up with child protection services."
                ),
                outcome=outcome_words,
            )
        )
        return (
            child.outcome_without_exploitation,
            CHILD_AT_RISK,
            missing_purpose,
            tuple(Data(stage_label[k]) for k in missing_purpose),
            sentence,
        )
    return (
        INSUFFICIENT_TO_ASSESS,
        INSUFFICIENT_TO_ASSESS,
        missing_purpose,
        (),
        _insufficient(s) if any_present else None,
    )


def _insufficient(s: IndicatorSet) -> Msg:
    return Msg(
        _("No dimension of {title} reached its threshold: insufficient to assess."),
        title=Data(s.title),
    )


@functools.lru_cache(maxsize=64)
def _empty_dimensions(s: IndicatorSet) -> tuple[DimensionFinding, ...]:
    return tuple(_dimension_finding(s, n, ())[0] for n in range(len(s.dimensions)))


def _severe_stage_present(s: IndicatorSet, hits: Sequence[tuple[int, int, str, Any]]) -> bool:
    """For a list whose rule says so (the adults' lists): the severe rule's stage has an
    indicator present, positive or not (benefit of the doubt, docs/screening.md "Status")."""
    rule = s.indicator_rule
    if rule is None or not rule.severe_stage_present_suffices:
        return False
    return any(s.dimensions[h[0]].stage == rule.severe_requires_stage for h in hits)


def _evaluate_indicator_set(
    s: IndicatorSet,
    observed: Mapping[str, ObservedIndicator],
    explanation: list[str],
    act_declared: bool = False,
) -> tuple[SetFinding, _Conclusion, list[str]]:
    """The set's finding, its conclusion, and the labels of the severe indicators
    present when the set shows signs of severe exploitation (else an empty list)."""
    locations = s.locations
    # (dimension index, file position, key, source): sorting gives dimension order and,
    # within a dimension, file order, whatever order the answers came in.
    hits = []
    for key, o in observed.items():
        where = locations.get(key)
        if where is not None:
            hits.append((where[0], where[1], key, o.source))
    dims = list(_empty_dimensions(s))
    mask = 0
    if hits:
        hits.sort()
        n_hits = len(hits)
        i = 0
        while i < n_hits:
            dim_index = hits[i][0]
            j = i + 1
            while j < n_hits and hits[j][0] == dim_index:
                j += 1
            finding, sentence = _dimension_finding(
                s, dim_index, tuple([(h[2], h[3]) for h in hits[i:j]])
            )
            dims[dim_index] = finding
            if finding.positive:
                mask |= 1 << dim_index
            if sentence is not None:
                explanation.append(sentence)
            i = j
    conclusion = _set_conclusion(
        s,
        mask,
        bool(hits),
        act_declared and s.indicator_rule.child_act_rule is not None,  # type: ignore[union-attr]
    )
    if conclusion.sentence is not None:
        explanation.append(conclusion.sentence)
    severe_labels: list[str] = []
    if conclusion.severe_stage_positive or _severe_stage_present(s, hits):
        for h in hits:
            ind = s.indicator(h[2])
            if ind is not None and ind.severe:
                severe_labels.append(Data(ind.label))
    finding_set = SetFinding(
        set_id=s.id,
        version=s.version,
        transcribed=s.provenance.transcribed,
        outcome=conclusion.outcome,
        outcome_positive=conclusion.kind == "met",
        missing_stages=conclusion.missing,
        severe_exploitation=bool(severe_labels),
        stages=conclusion.stages,
        dimensions=tuple(dims),
        criteria=(),
    )
    return finding_set, conclusion, severe_labels


def _evaluate_criteria_set(
    s: IndicatorSet,
    observed: Mapping[str, ObservedIndicator],
    graded: Mapping[str, tuple[str, Grade | None]],
    explanation: list[str],
) -> SetFinding:
    """``graded`` maps the graded indicators present (from the lists screened alongside)
    to (label, grade), so ``also_met_by`` can count and name them."""
    rule = s.criteria_rule
    assert rule is not None
    criteria = []
    for c in s.criteria:
        items: list[IndicatorFinding] = []
        labels: list[Part] = []
        for ind in s.indicators:
            if ind.criterion == c.key:
                o = observed.get(ind.key)
                if o is not None:
                    items.append(IndicatorFinding(ind.key, None, o.source))
                    labels.append(Data(ind.label, lower=True))
        for key in c.also_met_by:
            o = observed.get(key)
            if o is not None and key in graded:
                label, grade = graded[key]
                items.append(IndicatorFinding(key, grade, o.source))
                labels.append(Data(label, lower=True))
        met = len(items) >= rule.criterion_met_when_at_least
        criteria.append(CriterionFinding(c.key, met, tuple(items)))
        if items:
            explanation.append(
                Msg(
                    _("Criterion {number}, {criterion}, is met ({indicators}).")
                    if met
                    else _("Criterion {number}, {criterion}, is not met ({indicators})."),
                    number=str(c.number),
                    criterion=Data(c.label, lower=True),
                    indicators=Join(labels),
                )
            )
    n_met = sum(1 for c in criteria if c.met)
    all_met = n_met == len(criteria)
    if all_met:
        explanation.append(
            Msg(
                _("All {n} criteria of {title} are met: {outcome}."),
                n=str(len(criteria)),
                title=Data(s.title),
                outcome=Code("outcome", rule.outcome),
            )
        )
    elif n_met:
        explanation.append(
            Msg(
                _("{met} of {n} criteria of {title} are met."),
                met=str(n_met),
                n=str(len(criteria)),
                title=Data(s.title),
            )
        )
    return SetFinding(
        set_id=s.id,
        version=s.version,
        transcribed=s.provenance.transcribed,
        outcome=rule.outcome if all_met else None,
        outcome_positive=all_met,
        missing_stages=(),
        severe_exploitation=False,
        stages=(),
        dimensions=(),
        criteria=tuple(criteria),
    )


def _ordered(values: tuple[str, ...], vocabulary: Sequence[str]) -> tuple[str, ...]:
    if not values:
        return ()
    present = set(values)
    return tuple(v for v in vocabulary if v in present)


def _age_basis(person: ScreeningInput) -> AgeBasis:
    if person.age_uncertain_may_be_child:
        return "presumed_child"
    return "age_not_recorded" if person.age is None else "stated_age"


_PERSON_SENTENCE = {
    ("presumed_child", False): Msg(
        _(
            "The person's age is uncertain and there are reasons to believe they may be a"
            " child, so they are presumed a child (Council of Europe Convention, Art. 10(3))."
        )
    ),
    ("presumed_child", True): Msg(
        _(
            "The person's age is uncertain and there are reasons to believe they may be a"
            " child, so they are presumed a child (Council of Europe Convention, Art. 10(3))."
            " A stated age of 18 or more does not lift the presumption until the age is"
            " established."
        )
    ),
    ("age_not_recorded", False): Msg(
        _(
            "Age not recorded and no reason given to believe the person is a child: the adult"
            " lists are used."
        )
    ),
    ("stated_age", False): Msg(
        _(
            "The person is under 18, a child: means are not required (Palermo Protocol,"
            " Art. 3(c)) and any indication triggers child protection."
        )
    ),
    ("stated_age", True): Msg(_("The person is 18 or older, an adult.")),
}


@functools.lru_cache(maxsize=64)
def _list_sentences(sets: tuple[IndicatorSet, ...]) -> tuple[str, ...]:
    if not sets:
        return (Msg(_("No form of exploitation was recorded, so no indicator list was used.")),)
    out = []
    for s in sets:
        out.append(
            Msg(
                _("Indicators were read against: {title} (version {version}).")
                if s.provenance.transcribed
                else _(
                    "Indicators were read against: {title} (version {version}). This list is not"
                    " transcribed from the publication: treat its grades with caution."
                ),
                title=Data(s.title),
                version=s.version,
            )
        )
    return tuple(out)


_NEXT_STEP_TEXT = {
    "refer_to_identification_body": Msg(
        _(
            "Refer the person, with their informed consent, to the competent identification"
            " body; identification must not depend on their willingness to testify."
        )
    ),
    "offer_assistance_and_reflection_period": Msg(
        _(
            "As a presumed victim the person is entitled at once to assistance and to the"
            " reflection and recovery period."
        )
    ),
    "notify_child_protection": Msg(
        _(
            "Notify child protection services now: for a child every protection duty applies"
            " at the slightest indication."
        )
    ),
    "request_guardian": Msg(_("Request the appointment of a temporary guardian without delay.")),
    "no_detention": Msg(
        _(
            "Do not detain the child: place them in safe accommodation suited to children"
            " (detention only ever as a last resort), and do not punish them for what they were"
            " made to do."
        )
    ),
    "establish_age": Msg(
        _(
            "Treat the person as a child until their age is established; any age assessment"
            " follows child-protection safeguards."
        )
    ),
    "refer_labour_rights": Msg(
        _(
            "With the person's consent, inform the labour inspectorate or a support"
            " organisation of the exploitative conditions."
        )
    ),
    "follow_up_risk": Msg(
        _("Keep in contact and follow up: the person is at risk of exploitation.")
    ),
    "follow_up_with_child_protection": Msg(
        _(
            "Follow up together with child protection services: the child is at risk of"
            " trafficking or exploitation."
        )
    ),
}
NEXT_STEP_CODES: tuple[str, ...] = (*_NEXT_STEP_TEXT, "gather_information")
_NEXT_STEPS = {code: NextStep(code, text) for code, text in _NEXT_STEP_TEXT.items()}

_STATUS_REASON = {
    "self_identification": Msg(
        _(
            "the person says they are a victim, and a person claiming to be a victim is given"
            " the benefit of the doubt"
        )
    ),
    "palermo_elements_met": Msg(_("the elements of the Palermo definition are recorded")),
    "child_any_indication": Msg(
        _(
            "the person is, or is presumed to be, a child and there is at least one indication"
            " of trafficking"
        )
    ),
    "indicators_noticed": Msg(_("indications were noticed but do not yet give reasonable grounds")),
    "no_indication": Msg(_("no indicator, element of the definition or claim was recorded")),
}
_FINAL_SENTENCE = Msg(
    _("This is a suggestion to support the identification body; the decision is a human one.")
)


# (outcome, outcome_positive, is a criteria set, rank of a partial outcome)
Outcome = tuple[str | None, bool, bool, int]


def _outcome(f: SetFinding) -> Outcome:
    """A criteria set's outcome as _rank_assessments reads it (a criteria set has no
    partial outcome: its outcome is None unless all criteria are met)."""
    return (f.outcome, f.outcome_positive, bool(f.criteria), _KIND_RANK[INSUFFICIENT_TO_ASSESS])


def _graded_outcome(c: _Conclusion) -> Outcome:
    return (c.outcome, c.kind == "met", False, _KIND_RANK[c.kind])


@functools.lru_cache(maxsize=1024)
def _rank_assessments(outcomes: tuple[Outcome, ...]) -> tuple[str, ...]:
    """Positive outcomes first (graded lists, then criteria), then the partial outcomes
    from most to least informative; "insufficient to assess" only when alone.
    ``outcomes`` has one (outcome, outcome_positive, is criteria, partial rank) per set, in
    set order."""
    if len(outcomes) == 1 and outcomes[0][0] is not None:
        return (outcomes[0][0],)
    ranked: dict[str, tuple[int, int]] = {}
    for n, (outcome, positive, is_criteria, partial_rank) in enumerate(outcomes):
        if outcome is None:
            continue
        if positive:
            rank = 1 if is_criteria else 0
        else:
            rank = partial_rank
        if outcome not in ranked or (rank, n) < ranked[outcome]:
            ranked[outcome] = (rank, n)
    assessments = tuple(sorted(ranked, key=ranked.__getitem__))
    if len(assessments) > 1:
        assessments = tuple(a for a in assessments if a != INSUFFICIENT_TO_ASSESS)
    return assessments or (INSUFFICIENT_TO_ASSESS,)


@functools.lru_cache(maxsize=1024)
def _palermo_finding(
    act: tuple[str, ...],
    means: tuple[str, ...],
    purpose: tuple[str, ...],
    means_required: bool,
    means_from_indicators: bool,
    purpose_from_indicators: bool,
    elements_met: bool,
) -> PalermoFinding:
    return PalermoFinding(
        act=act,
        means=means,
        purpose=purpose,
        means_required=means_required,
        means_from_indicators=means_from_indicators,
        purpose_from_indicators=purpose_from_indicators,
        elements_met=elements_met,
    )


@functools.lru_cache(maxsize=256)
def _palermo_sentences(
    act: tuple[str, ...],
    means: tuple[str, ...],
    purpose: tuple[str, ...],
    elements_met: bool,
    means_required: bool,
) -> tuple[str, ...]:
    element_words = {"act": _("act"), "means": _("means"), "purpose": _("purpose")}
    parts: list[Part] = [
        Msg(
            _("{element} ({values})"),
            element=Msg(element_words[name]),
            values=Join([Code(name, v) for v in values]),
        )
        for name, values in (("act", act), ("means", means), ("purpose", purpose))
        if values
    ]
    out = [Msg(_("Palermo elements recorded: {elements}."), elements=Join(parts))]
    if elements_met:
        out.append(
            Msg(_("Act, means and purpose of the Palermo definition are all present."))
            if means_required
            else Msg(
                _(
                    "Act and purpose of the Palermo definition are present; for a child the"
                    " means are not required."
                )
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """The few facts the suggested status follows from: hashable, so ``_status`` is cached
    on them, and named, so the engine and the fast path cannot pass them in the wrong order."""

    positive_outcomes: tuple[str, ...]
    self_identifies: bool
    severe_labels: tuple[str, ...]
    elements_met: bool
    child: bool
    any_indication: bool
    presumed_child: bool
    missing_labels: tuple[str, ...]
    exploitation_without_means: bool
    means_without_exploitation: bool
    child_at_risk: bool = False


@functools.lru_cache(maxsize=4096)
def _status(
    facts: StatusFacts,
) -> tuple[Status, tuple[str, ...], tuple[NextStep, ...], tuple[str, ...]]:
    """Suggested status (benefit of the doubt, rules in the order of STATUS_RULES), the
    rules met, the next steps and the closing sentences. A function of a few facts
    only, hence cached. A child is never routed to a labour-rights referral: whatever
    the lists found short of trafficking is followed up with child protection."""
    rules_met: list[str] = []
    reasons: list[Part] = []
    if facts.positive_outcomes:
        rules_met.append("combination_met")
        reasons.append(
            Msg(
                _("the combination for {outcomes} is met"),
                outcomes=_outcome_words(facts.positive_outcomes),
            )
        )
    if facts.self_identifies:
        rules_met.append("self_identification")
        reasons.append(_STATUS_REASON["self_identification"])
    if facts.severe_labels:
        rules_met.append("severe_exploitation")
        reasons.append(
            Msg(
                _("there are signs of severe exploitation ({signs})"),
                signs=_labels(facts.severe_labels, lower=True),
            )
        )
    if facts.elements_met:
        rules_met.append("palermo_elements_met")
        reasons.append(_STATUS_REASON["palermo_elements_met"])
    child_indication = facts.child and facts.any_indication
    if child_indication:
        rules_met.append("child_any_indication")
        reasons.append(_STATUS_REASON["child_any_indication"])
    status: Status
    if rules_met:
        status = "presumed_victim"
    elif facts.any_indication:
        status = "potential_victim"
    else:
        status = "no_indication"
    last_rule = "indicators_noticed" if facts.any_indication else "no_indication"
    rules_met.append(last_rule)
    reasons.append(_STATUS_REASON[last_rule])
    sentences: list[str] = [
        Msg(
            _("Suggested status: {status}, because {reason} (rule {rule})."),
            status=Code("status", status),
            reason=reasons[0],
            rule=Code("status_rule", rules_met[0], spaced=False),
        )
    ]
    if len(rules_met) > 2:
        sentences.append(
            Msg(_("Also: {reasons}."), reasons=Join(reasons[1:-1], sep="; ", last="; "))
        )
    sentences.append(_FINAL_SENTENCE)

    steps: list[NextStep] = []
    if status != "no_indication":
        steps.append(_NEXT_STEPS["refer_to_identification_body"])
    if status == "presumed_victim":
        steps.append(_NEXT_STEPS["offer_assistance_and_reflection_period"])
    if child_indication:
        steps.append(_NEXT_STEPS["notify_child_protection"])
        steps.append(_NEXT_STEPS["request_guardian"])
        steps.append(_NEXT_STEPS["no_detention"])
    if facts.presumed_child:
        steps.append(_NEXT_STEPS["establish_age"])
    if facts.missing_labels:
        steps.append(
            NextStep(
                "gather_information",
                Msg(_("Ask more about {what}."), what=_labels(facts.missing_labels)),
            )
        )
    if facts.child:
        if (
            facts.child_at_risk
            or facts.exploitation_without_means
            or facts.means_without_exploitation
        ):
            steps.append(_NEXT_STEPS["follow_up_with_child_protection"])
    else:
        if facts.exploitation_without_means:
            steps.append(_NEXT_STEPS["refer_labour_rights"])
        if facts.means_without_exploitation:
            steps.append(_NEXT_STEPS["follow_up_risk"])
    return status, tuple(rules_met), tuple(steps), tuple(sentences)


def evaluate(person: ScreeningInput, catalogue: IndicatorCatalogue) -> ScreeningResult:
    """Screen an input that has already passed :func:`validate_screening_input` (as every
    input from :func:`screening_input_from_mapping` has). Use :func:`screen` otherwise."""
    presumed_child = person.age_uncertain_may_be_child
    age_group = _age_group(person)
    age_basis = _age_basis(person)
    explanation: list[str] = [
        _PERSON_SENTENCE[(age_basis, person.age is not None and person.age >= ADULT_AGE)]
    ]

    forms = _sorted_unique(person.forms)
    observed = {o.key: o for o in person.indicators}
    sets = catalogue.select(age_group, forms).sets if forms else ()
    explanation.extend(_list_sentences(sets))

    findings: list[SetFinding] = []
    severe_labels: list[str] = []
    positive_outcomes: list[str] = []
    missing_labels: list[str] = []
    means_from_indicators = purpose_from_indicators = False
    has_criteria = False
    graded: dict[str, tuple[str, Grade | None]] = {}
    outcome_of: dict[str, Outcome] = {}
    kinds: set[str] = set()
    act_declared = bool(person.act)
    for s in sets:
        if s.kind == "criteria":
            has_criteria = True
            continue
        finding, conclusion, severe = _evaluate_indicator_set(
            s, observed, explanation, act_declared
        )
        findings.append(finding)
        outcome_of[s.id] = _graded_outcome(conclusion)
        kinds.add(conclusion.kind)
        means_from_indicators = means_from_indicators or conclusion.means_positive
        purpose_from_indicators = purpose_from_indicators or conclusion.purpose_positive
        if finding.outcome_positive and conclusion.outcome not in positive_outcomes:
            positive_outcomes.append(conclusion.outcome)
        for label in conclusion.missing_labels:
            if label not in missing_labels:
                missing_labels.append(label)
        for label in severe:
            if label not in severe_labels:
                severe_labels.append(label)
    if has_criteria:
        for s in sets:
            if s.kind == "indicators":
                for key in observed:
                    ind = s.indicator(key)
                    if ind is not None and key not in graded:
                        graded[key] = (ind.label, ind.grade)
        for s in sets:
            if s.kind == "criteria":
                finding = _evaluate_criteria_set(s, observed, graded, explanation)
                findings.append(finding)
                if finding.outcome_positive and finding.outcome is not None:
                    purpose_from_indicators = True
                    if finding.outcome not in positive_outcomes:
                        positive_outcomes.append(finding.outcome)
        # Catalogue order for the sets whatever their kind, for a stable layout.
        order = {s.id: n for n, s in enumerate(sets)}
        findings.sort(key=lambda f: order[f.set_id])
    assessments = _rank_assessments(
        tuple(outcome_of.get(f.set_id) or _outcome(f) for f in findings)
    )

    # Palermo definition: declared elements, completed by what the indicators show.
    act = _ordered(person.act, PALERMO_ACTS)
    means = _ordered(person.means, PALERMO_MEANS)
    purpose = _ordered(person.purpose, PALERMO_PURPOSES)
    means_required = age_group == "adult"
    elements_met = (
        bool(act)
        and (bool(means) or means_from_indicators or not means_required)
        and (bool(purpose) or purpose_from_indicators)
    )
    palermo = _palermo_finding(
        act,
        means,
        purpose,
        means_required,
        means_from_indicators,
        purpose_from_indicators,
        elements_met,
    )
    if act or means or purpose:
        explanation.extend(_palermo_sentences(act, means, purpose, elements_met, means_required))

    any_indication = bool(observed or act or means or purpose or person.self_identifies_as_victim)
    status, rules_met, steps, sentences = _status(
        StatusFacts(
            positive_outcomes=tuple(positive_outcomes),
            self_identifies=person.self_identifies_as_victim,
            severe_labels=tuple(severe_labels),
            elements_met=elements_met,
            child=age_group == "child",
            any_indication=any_indication,
            presumed_child=presumed_child,
            missing_labels=tuple(missing_labels),
            exploitation_without_means=EXPLOITATION_WITHOUT_MEANS in assessments,
            means_without_exploitation=MEANS_WITHOUT_EXPLOITATION in assessments,
            child_at_risk=CHILD_AT_RISK in kinds,
        )
    )
    explanation.extend(sentences)

    return ScreeningResult(
        engine_version=ENGINE_VERSION,
        age_group=age_group,
        age_basis=age_basis,
        presumed_child=presumed_child,
        forms=forms,
        self_identifies_as_victim=person.self_identifies_as_victim,
        sets=tuple(findings),
        palermo=palermo,
        assessment=assessments[0],
        assessments=assessments,
        status=status,
        status_rule=rules_met[0],
        rules_met=rules_met,
        next_steps=steps,
        explanation=tuple(explanation),
    )


def screen(person: ScreeningInput, catalogue: IndicatorCatalogue) -> ScreeningResult:
    """Validate ``person`` and screen them; raises ScreeningInputError if invalid."""
    errors = validate_screening_input(person, catalogue)
    if errors:
        raise ScreeningInputError(errors)
    return evaluate(person, catalogue)


# ------------------------------------------------------------------ plain mappings

TRUTHY = frozenset({"1", "yes", "true", "x"})
FALSY = frozenset({"", "0", "no", "false"})
_SPLIT = re.compile(r"[;,|]")
_PRESENT_AS_IS: dict[str, IndicatorSource | None] = {
    **{v: None for v in TRUTHY},
    **{v: v for v in INDICATOR_SOURCES},
}
_AGE_TEXT = re.compile(r"[+-]?\d{1,4}")


def _as_bool(field: str, value: object, errors: list[FieldError]) -> bool:
    if value is None or value is True or value is False:
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in TRUTHY:
            return True
        if v in FALSY:
            return False
    errors.append(
        FieldError(
            field,
            "expected yes/no (1/yes/true/x or 0/no/false/empty), got {value}",
            value=repr(value),
        )
    )
    return False


def _as_list(field: str, value: object, errors: list[FieldError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if ";" not in value and "," not in value and "|" not in value:
            v = value.strip()
            return (v,) if v else ()
        parts = [p.strip() for p in _SPLIT.split(value)]
        return tuple(dict.fromkeys(p for p in parts if p))
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = tuple(v.strip() for v in value)
        return items if len(items) < 2 else tuple(dict.fromkeys(items))
    errors.append(FieldError(field, "expected a list of names or a text separated by ';'"))
    return ()


def _as_age(value: object, errors: list[FieldError]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        errors.append(FieldError("age", "age must be a whole number of years"))
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        if value.isascii() and value.isdigit() and len(value) <= 4:
            return int(value)
        v = value.strip()
        if not v:
            return None
        if _AGE_TEXT.fullmatch(v):
            return int(v)
    errors.append(
        FieldError("age", "age must be a whole number of years, got {value}", value=repr(value))
    )
    return None


def _indicator_from_value(
    key: str, value: object, errors: list[FieldError]
) -> ObservedIndicator | None:
    """A flat value for one indicator: yes/no, a source name, or {source, note}."""
    if value is None or value is False:
        return None
    if value is True:
        return ObservedIndicator(key)
    if isinstance(value, str):
        # Exact common spellings first (the batch hot path), then the lenient forms.
        if value in _PRESENT_AS_IS:
            return ObservedIndicator(key, _PRESENT_AS_IS[value])
        v = value.strip().lower()
        if v in TRUTHY:
            return ObservedIndicator(key)
        if v in FALSY:
            return None
        if v in INDICATOR_SOURCES:
            return ObservedIndicator(key, v)
        errors.append(
            FieldError(
                f"indicators.{key}",
                "expected 1/yes/true/x, empty/0/no/false or a source ({sources}), got {value}",
                sources=", ".join(INDICATOR_SOURCES),
                value=repr(value),
            )
        )
        return None
    if isinstance(value, int) and value in (0, 1):
        return ObservedIndicator(key) if value else None
    if isinstance(value, Mapping):
        return _indicator_from_object(key, value, f"indicators.{key}", errors)
    errors.append(FieldError(f"indicators.{key}", "unexpected value {value}", value=repr(value)))
    return None


# An explicit "no" (not an empty cell or null, which only say nothing was ticked).
_EXPLICIT_NO = frozenset({"0", "no", "false"})


def _is_explicit_no(value: object) -> bool:
    if value is False:
        return True
    if isinstance(value, str):
        return value.strip().lower() in _EXPLICIT_NO
    return value.__class__ is int and value == 0


def _indicator_from_object(
    key: str, value: Mapping[Any, Any], field: str, errors: list[FieldError]
) -> ObservedIndicator:
    extra = sorted(str(k) for k in value if k not in ("key", "source", "note"))
    if extra:
        errors.append(
            FieldError(
                field,
                "unknown field(s) {fields}; expected key, source, note",
                fields=", ".join(extra),
            )
        )
    source = value.get("source")
    note = value.get("note")
    if source is not None and source not in INDICATOR_SOURCES:
        errors.append(
            FieldError(
                field,
                "unknown source {source}; expected one of: {choices}",
                source=repr(source),
                choices=", ".join(INDICATOR_SOURCES),
            )
        )
        source = None
    if note is not None and not isinstance(note, str):
        errors.append(FieldError(field, "note must be text"))
        note = None
    return ObservedIndicator(key, source, note)


def _indicators_field(
    value: object, out: list[ObservedIndicator], errors: list[FieldError], denied: set[str]
) -> None:
    if value is None:
        return
    if isinstance(value, str):
        out.extend(ObservedIndicator(k.strip()) for k in _SPLIT.split(value) if k.strip())
        return
    if isinstance(value, Mapping):
        for key, v in value.items():
            if not isinstance(key, str):
                errors.append(
                    FieldError(
                        "indicators", "indicator key must be text, got {value}", value=repr(key)
                    )
                )
                continue
            o = _indicator_from_value(key, v, errors)
            if o is not None:
                out.append(o)
            elif _is_explicit_no(v):
                denied.add(key)
        return
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            if isinstance(item, str):
                out.append(ObservedIndicator(item.strip()))
            elif isinstance(item, Mapping) and isinstance(item.get("key"), str):
                out.append(_indicator_from_object(item["key"], item, f"indicators[{n}]", errors))
            else:
                errors.append(
                    FieldError(
                        f"indicators[{n}]", "expected an indicator key or an object with 'key'"
                    )
                )
        return
    errors.append(FieldError("indicators", "expected a list of indicator keys or objects"))


def screening_input_from_mapping(
    data: Mapping[str, Any], catalogue: IndicatorCatalogue
) -> ScreeningInput:
    """Parse a plain mapping (JSON object, API payload, CSV row) into a validated input.

    Fields: ``age``, ``age_uncertain_may_be_child``, ``forms``, ``act``, ``means``,
    ``purpose`` (lists, or text separated by ';'), ``self_identifies_as_victim``,
    ``indicators`` (a list of keys or of ``{key, source, note}``, or a mapping
    key -> value) and, flat, any indicator key as a field whose value is yes/no
    (1/yes/true/x, 0/no/false/empty) or a source name. ``ref`` is reserved for the
    caller's own reference and ignored here. Any other field is an error: nothing is
    silently dropped. Raises ScreeningInputError with every problem found.
    """
    if not isinstance(data, Mapping):
        raise ScreeningInputError([FieldError("", "expected an object with screening fields")])
    errors: list[FieldError] = []
    indicators: list[ObservedIndicator] = []
    age: int | None = None
    uncertain = self_identifies = False
    forms: tuple[str, ...] = ()
    act: tuple[str, ...] = ()
    means: tuple[str, ...] = ()
    purpose: tuple[str, ...] = ()
    denied: set[str] = set()  # indicators explicitly answered "no"
    is_known = catalogue.is_known
    present_as_is = _PRESENT_AS_IS
    # One pass over the fields (rather than a lookup per expected field): batch rows
    # carry only their non-empty cells, so this loop is short.
    for name, value in data.items():
        if name in RESERVED_INPUT_FIELDS:
            if name == "age":
                age = _as_age(value, errors)
            elif name == "forms":
                forms = _as_list("forms", value, errors)
            elif name == "indicators":
                _indicators_field(value, indicators, errors, denied)
            elif name == "age_uncertain_may_be_child":
                uncertain = _as_bool(name, value, errors)
            elif name == "self_identifies_as_victim":
                self_identifies = _as_bool(name, value, errors)
            elif name == "act":
                act = _as_list("act", value, errors)
            elif name == "means":
                means = _as_list("means", value, errors)
            elif name == "purpose":
                purpose = _as_list("purpose", value, errors)
            # "ref" belongs to the caller.
        elif isinstance(name, str) and is_known(name):
            if value.__class__ is str and value in present_as_is:
                # Inlined fast path for the usual CSV cell ("x", "1", a source name).
                indicators.append(ObservedIndicator(name, present_as_is[value]))
                continue
            o = _indicator_from_value(name, value, errors)
            if o is not None:
                indicators.append(o)
            elif _is_explicit_no(value):
                denied.add(name)
        else:
            hint = ""
            if isinstance(name, str):
                hint = _suggestion(name, (*sorted(RESERVED_INPUT_FIELDS), *catalogue.all_keys()))
            errors.append(_unknown_key(str(name), str(name), hint, field_or_key=True))
    if denied:
        # A key both flat and in "indicators", once "no" and once present: which answer
        # holds is for the screener to say, not for the parser to pick.
        for key in dict.fromkeys(o.key for o in indicators if o.key in denied):
            errors.append(
                FieldError(
                    f"indicators.{key}",
                    "answered both no and yes (as a field and in 'indicators'); keep one answer",
                )
            )
    person = ScreeningInput(
        age=age,
        age_uncertain_may_be_child=uncertain,
        forms=forms,
        # Identical repeats (a key both flat and in "indicators") carry no new fact.
        indicators=tuple(dict.fromkeys(indicators)) if len(indicators) > 1 else tuple(indicators),
        act=act,
        means=means,
        purpose=purpose,
        self_identifies_as_victim=self_identifies,
    )
    if errors:
        # Report the semantic problems too (unknown keys, impossible age), so whoever
        # fixes the row sees everything at once; skip fields already reported.
        fields = {e.field for e in errors}
        errors.extend(
            e for e in validate_screening_input(person, catalogue) if e.field not in fields
        )
        raise ScreeningInputError(errors)
    errors = validate_screening_input(person, catalogue, _typed=True)
    if errors:
        raise ScreeningInputError(errors)
    return person


def screen_mapping(data: Mapping[str, Any], catalogue: IndicatorCatalogue) -> ScreeningResult:
    """Parse, validate and screen a plain mapping: the one path for API, CLI and batch."""
    return evaluate(screening_input_from_mapping(data, catalogue), catalogue)


__all__ = [
    "CHILD_AT_RISK",
    "CHILD_EXPLOITATION_WITHOUT_ACT",
    "ENGINE_VERSION",
    "EXPLOITATION_WITHOUT_MEANS",
    "EXPLOITATION_WITH_PARTIAL_MEANS",
    "INSUFFICIENT_TO_ASSESS",
    "MEANS_WITHOUT_EXPLOITATION",
    "INDICATOR_SOURCES",
    "NEXT_STEP_CODES",
    "STATUS_RULES",
    "FieldError",
    "ObservedIndicator",
    "ScreeningInput",
    "ScreeningInputError",
    "ScreeningResult",
    "evaluate",
    "screen",
    "screen_mapping",
    "screening_input_from_mapping",
    "validate_screening_input",
]
