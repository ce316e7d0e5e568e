"""Batch fast path: the engine's result as JSON, assembled from cached fragments.

Screening a million people through :func:`engine.screen_mapping` and ``orjson.dumps``
builds some forty objects per person and serialises about 3.5 KB of JSON each time,
although most of it repeats from person to person: a dimension with the same indicators
present, a list's conclusion for the same positive dimensions, the same status and its
sentences. Here each of those facts is computed once by the engine's own rule functions
(``_dimension_finding``, ``_set_conclusion``, ``_status``, ...), its JSON bytes are kept
beside it in a bounded cache, and a person's result is the concatenation of the
fragments that apply.

This is an optimisation of the batch, not a second engine:

- every rule stays in :mod:`palermo.screening.engine`; this module only looks facts up
  and lays them out in the order ``orjson.dumps(ScreeningResult)`` does;
- anything out of the ordinary (an invalid row, a note, a source given in an object, a
  lenient spelling such as " Yes") is handed to the reference path, which also produces
  the error messages;
- ``tests/screening/test_screening_fastpath.py`` checks, byte for byte, that
  :meth:`FastScreener.result_json` equals ``orjson.dumps(screen_mapping(row))`` on
  generated rows of every shape, valid and invalid.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from palermo.screening import engine
from palermo.screening.catalogue import (
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    AgeGroup,
    IndicatorCatalogue,
    IndicatorSet,
)
from palermo.screening.engine import (
    ADULT_AGE,
    ENGINE_VERSION,
    MAX_AGE,
    FieldError,
    ObservedIndicator,
    screen_mapping,
)


def _dumps(value: object) -> bytes:
    """JSON bytes to keep in a cache. A copy: orjson hands out its whole output buffer,
    several KB even for a short value, and thousands of cached fragments would hold
    hundreds of MB."""
    return bytes(memoryview(orjson.dumps(value)))


_LIST_FIELDS = {"forms": "forms", "act": "act", "means": "means", "purpose": "purpose"}
_BOOL_FIELDS = frozenset({"age_uncertain_may_be_child", "self_identifies_as_victim"})
_ACTS = frozenset(PALERMO_ACTS)
_MEANS = frozenset(PALERMO_MEANS)
_PURPOSES = frozenset(PALERMO_PURPOSES)
_PRESENT = engine._PRESENT_AS_IS  # exact spellings: "x", "1", "yes", "true", a source
_ABSENT = frozenset({"0", "no", "false", ""})


class _Unusual(Exception):
    """The row needs the reference path (it is invalid, or uses a rare spelling)."""


# ----------------------------------------------------------------- cached fragments


@functools.lru_cache(maxsize=16384)
def _dimension_fragment(
    s: IndicatorSet, dim_index: int, present: engine.Present
) -> tuple[bool, bytes, bytes | None]:
    """(positive, the dimension's JSON, its explanation sentence as a JSON string)."""
    finding, sentence = engine._dimension_finding(s, dim_index, present)
    return finding.positive, _dumps(finding), None if sentence is None else _dumps(sentence)


@dataclass(frozen=True, slots=True)
class _SetConclusion:
    """One graded list's conclusion for a pattern of positive dimensions, with the JSON
    around its dimensions: ``head`` + severe flag + ``middle`` + dimensions + ``tail``."""

    conclusion: Any  # engine._Conclusion
    head: bytes
    middle: bytes
    sentence: bytes | None


_SET_TAIL = b'],"criteria":[]}'


@functools.lru_cache(maxsize=4096)
def _set_conclusion(s: IndicatorSet, mask: int, any_present: bool) -> _SetConclusion:
    c = engine._set_conclusion(s, mask, any_present)
    head = _dumps(
        {
            "set_id": s.id,
            "version": s.version,
            "transcribed": s.provenance.transcribed,
            "outcome": c.outcome,
            "outcome_positive": not c.missing,
            "missing_stages": c.missing,
        }
    )[:-1] + b',"severe_exploitation":'
    middle = b',"stages":' + _dumps(c.stages) + b',"dimensions":['
    return _SetConclusion(c, head, middle, None if c.sentence is None else _dumps(c.sentence))


@functools.lru_cache(maxsize=256)
def _head(
    age_group: AgeGroup, age_basis: str, adult: bool, presumed_child: bool,
    forms: tuple[str, ...], self_identifies: bool,
) -> tuple[bytes, bytes]:
    """The result's opening fields up to ``"sets":[``, and the person sentence."""
    head = _dumps(
        {
            "engine_version": ENGINE_VERSION,
            "age_group": age_group,
            "age_basis": age_basis,
            "presumed_child": presumed_child,
            "forms": forms,
            "self_identifies_as_victim": self_identifies,
        }
    )[:-1] + b',"sets":['
    return head, _dumps(engine._PERSON_SENTENCE[(age_basis, adult)])


@functools.lru_cache(maxsize=1024)
def _palermo(
    act: tuple[str, ...], means: tuple[str, ...], purpose: tuple[str, ...],
    means_required: bool, means_from_indicators: bool, purpose_from_indicators: bool,
    elements_met: bool,
) -> tuple[bytes, tuple[bytes, ...]]:
    """The Palermo finding's JSON and its sentences."""
    finding = engine._palermo_finding(
        act, means, purpose, means_required, means_from_indicators, purpose_from_indicators,
        elements_met,
    )
    sentences = (
        engine._palermo_sentences(act, means, purpose, elements_met, means_required)
        if act or means or purpose
        else ()
    )
    return _dumps(finding), tuple(_dumps(x) for x in sentences)


@functools.lru_cache(maxsize=4096)
def _tail(
    assessments: tuple[str, ...], status_facts: tuple[Any, ...]
) -> tuple[bytes, tuple[bytes, ...]]:
    """From ``"assessment"`` to ``"next_steps"`` included, and the closing sentences."""
    status, rules_met, steps, sentences = engine._status(*status_facts)
    middle = _dumps(
        {
            "assessment": assessments[0],
            "assessments": assessments,
            "status": status,
            "status_rule": rules_met[0],
            "rules_met": rules_met,
            "next_steps": steps,
        }
    )
    return b"," + middle[1:-1], tuple(_dumps(x) for x in sentences)


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True)
class _Graded:
    """A graded list in a plan, with what the hot path reads of it."""

    s: IndicatorSet
    empty_dimensions: tuple[bytes, ...]
    empty: bytes  # the whole set's JSON when none of its indicators is present
    empty_conclusion: Any  # engine._Conclusion
    severe: Mapping[str, str]  # severe indicator key -> label


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything fixed for one (age group, forms): built once per combination."""

    sets: tuple[IndicatorSet, ...]
    keys: frozenset[str]
    graded: tuple[_Graded, ...]
    # indicator key -> ((graded index, dimension index, position in the file), ...)
    where: Mapping[str, tuple[tuple[int, int, int], ...]]
    criteria: tuple[IndicatorSet, ...]
    list_sentences: tuple[bytes, ...]
    # Where each set's JSON goes: ("graded", n) or ("criteria", n), in catalogue order.
    layout: tuple[tuple[str, int], ...]


def _graded(s: IndicatorSet) -> _Graded:
    dims = tuple(_dimension_fragment(s, n, ())[1] for n in range(len(s.dimensions)))
    c = _set_conclusion(s, 0, False)
    empty = c.head + b"false" + c.middle + b",".join(dims) + _SET_TAIL
    severe = {i.key: i.label for i in s.indicators if i.severe}
    return _Graded(s, dims, empty, c.conclusion, severe)


def _plan(catalogue: IndicatorCatalogue, age_group: AgeGroup, forms: tuple[str, ...]) -> _Plan:
    selection = catalogue.select(age_group, forms)
    sets = selection.sets if forms else ()
    graded: list[_Graded] = []
    criteria: list[IndicatorSet] = []
    layout: list[tuple[str, int]] = []
    where: dict[str, list[tuple[int, int, int]]] = {}
    for s in sets:
        if s.kind == "criteria":
            layout.append(("criteria", len(criteria)))
            criteria.append(s)
            continue
        layout.append(("graded", len(graded)))
        for key, (dim_index, position) in s.locations.items():
            where.setdefault(key, []).append((len(graded), dim_index, position))
        graded.append(_graded(s))
    return _Plan(
        sets=sets,
        keys=selection.keys,
        graded=tuple(graded),
        where={k: tuple(v) for k, v in where.items()},
        criteria=tuple(criteria),
        list_sentences=tuple(_dumps(x) for x in engine._list_sentences(sets)),
        layout=tuple(layout),
    )


# ------------------------------------------------------------------------ screener


class FastScreener:
    """Screens plain mappings (CSV rows, JSON objects) straight to result JSON bytes.

    ``result_json(row)`` returns exactly ``orjson.dumps(screen_mapping(row, catalogue))``
    and raises the same :class:`~palermo.screening.engine.ScreeningInputError` for an
    invalid row. One screener per catalogue; it keeps one plan per (age group, forms).
    """

    def __init__(self, catalogue: IndicatorCatalogue) -> None:
        self.catalogue = catalogue
        self._known = frozenset(catalogue.all_keys())
        self._forms = frozenset(catalogue.forms)
        self._plans: dict[tuple[AgeGroup, tuple[str, ...]], _Plan] = {}

    def result_json(self, row: Mapping[str, Any]) -> bytes:
        try:
            return self._fast(row)
        except _Unusual:
            return _dumps(screen_mapping(row, self.catalogue))

    # The hot path. Every check below that fails sends the row to the reference path,
    # which finds and words the problem; this path only ever screens valid rows.
    def _fast(self, row: Mapping[str, Any]) -> bytes:  # noqa: C901, PLR0912, PLR0915
        age: int | None = None
        uncertain = self_identifies = False
        forms: tuple[str, ...] = ()
        act: tuple[str, ...] = ()
        means: tuple[str, ...] = ()
        purpose: tuple[str, ...] = ()
        observed: dict[str, str | None] = {}
        known = self._known
        present = _PRESENT
        errors: list[FieldError] = []
        for name, value in row.items():
            if name in known:
                if value.__class__ is str:
                    if value in present:
                        source = present[value]
                    elif value in _ABSENT:
                        continue
                    else:
                        raise _Unusual
                elif value is True:
                    source = None
                elif value is None or value is False:
                    continue
                else:
                    raise _Unusual
                if name in observed and observed[name] != source:
                    raise _Unusual
                observed[name] = source
            elif name == "ref":
                continue
            elif name == "age":
                if value is None:
                    continue
                if value.__class__ is int:
                    age = value
                elif value.__class__ is str and value.isascii() and value.isdigit() and len(value) <= 4:
                    age = int(value)
                else:
                    raise _Unusual
            elif name in _LIST_FIELDS:
                items = engine._as_list(name, value, errors)
                if name == "forms":
                    forms = items
                elif name == "act":
                    act = items
                elif name == "means":
                    means = items
                else:
                    purpose = items
            elif name in _BOOL_FIELDS:
                flag = engine._as_bool(name, value, errors)
                if name == "self_identifies_as_victim":
                    self_identifies = flag
                else:
                    uncertain = flag
            elif name == "indicators":
                self._indicators_field(value, observed)
            else:
                raise _Unusual
        if errors or (age is not None and not 0 <= age <= MAX_AGE):
            raise _Unusual
        if observed and not forms:
            raise _Unusual
        forms = engine._sorted_unique(forms)
        for f in forms:
            if f not in self._forms:
                raise _Unusual
        if (act and not _ACTS.issuperset(act)) or (means and not _MEANS.issuperset(means)) or (
            purpose and not _PURPOSES.issuperset(purpose)
        ):
            raise _Unusual

        child = uncertain or (age is not None and age < ADULT_AGE)
        age_group: AgeGroup = "child" if child else "adult"
        plan = self._plans.get((age_group, forms))
        if plan is None:
            plan = self._plans[(age_group, forms)] = _plan(self.catalogue, age_group, forms)
        if observed and not plan.keys.issuperset(observed):
            raise _Unusual
        age_basis = (
            "presumed_child" if uncertain else "age_not_recorded" if age is None else "stated_age"
        )
        head, person_sentence = _head(
            age_group, age_basis, age is not None and age >= ADULT_AGE, uncertain, forms,
            self_identifies,
        )
        return self._assemble(
            plan, head, person_sentence, observed, child, uncertain, self_identifies,
            act, means, purpose,
        )

    @staticmethod
    def _indicators_field(value: object, observed: dict[str, str | None]) -> None:
        """The nested ``indicators`` field, in its common shapes only."""
        if isinstance(value, Mapping):
            pairs: Any = value.items()
        elif isinstance(value, list):
            pairs = ((item, True) for item in value)
        else:
            raise _Unusual
        for key, v in pairs:
            if key.__class__ is not str or key != key.strip():
                raise _Unusual
            if v is True:
                source = None
            elif v.__class__ is str and v in _PRESENT:
                source = _PRESENT[v]
            elif v is None or v is False or (v.__class__ is str and v in _ABSENT):
                continue
            else:
                raise _Unusual
            if key in observed and observed[key] != source:
                raise _Unusual
            observed[key] = source

    def _assemble(  # noqa: C901, PLR0912, PLR0913, PLR0915
        self,
        plan: _Plan,
        head: bytes,
        person_sentence: bytes,
        observed: dict[str, str | None],
        child: bool,
        presumed_child: bool,
        self_identifies: bool,
        act: tuple[str, ...],
        means: tuple[str, ...],
        purpose: tuple[str, ...],
    ) -> bytes:
        explanation = [person_sentence, *plan.list_sentences]
        graded_json: list[bytes] = []
        outcomes: list[tuple[str | None, bool, bool]] = []
        positive_outcomes: list[str] = []
        missing_labels: list[str] = []
        severe_labels: list[str] = []
        means_from = purpose_from = False

        # Hits per graded list: (dimension index, file position, key, source).
        hits_by_list: list[list[tuple[int, int, str, str | None]]] = [[] for _ in plan.graded]
        where = plan.where
        for key, source in observed.items():
            for g, dim_index, position in where.get(key, ()):
                hits_by_list[g].append((dim_index, position, key, source))

        for g, graded in enumerate(plan.graded):
            hits = hits_by_list[g]
            if not hits:
                c = graded.empty_conclusion
                graded_json.append(graded.empty)
                if c.sentence is not None:
                    explanation.append(_dumps(c.sentence))
            else:
                s = graded.s
                hits.sort()
                dims = list(graded.empty_dimensions)
                mask = 0
                n_hits = len(hits)
                i = 0
                while i < n_hits:
                    dim_index = hits[i][0]
                    j = i + 1
                    while j < n_hits and hits[j][0] == dim_index:
                        j += 1
                    positive, fragment, sentence = _dimension_fragment(
                        s, dim_index, tuple([(h[2], h[3]) for h in hits[i:j]])
                    )
                    dims[dim_index] = fragment
                    if positive:
                        mask |= 1 << dim_index
                    if sentence is not None:
                        explanation.append(sentence)
                    i = j
                concluded = _set_conclusion(s, mask, True)
                c = concluded.conclusion
                if concluded.sentence is not None:
                    explanation.append(concluded.sentence)
                severe_here = False
                if c.severe_stage_positive:
                    for h in hits:
                        label = graded.severe.get(h[2])
                        if label is not None:
                            severe_here = True
                            if label not in severe_labels:
                                severe_labels.append(label)
                graded_json.append(
                    concluded.head + (b"true" if severe_here else b"false") + concluded.middle
                    + b",".join(dims) + _SET_TAIL
                )
            means_from = means_from or c.means_positive
            purpose_from = purpose_from or c.purpose_positive
            positive = not c.missing
            outcomes.append((c.outcome, positive, False))
            if positive and c.outcome not in positive_outcomes:
                positive_outcomes.append(c.outcome)
            for label in c.missing_labels:
                if label not in missing_labels:
                    missing_labels.append(label)

        criteria_json: list[bytes] = []
        criteria_outcomes: list[tuple[str | None, bool, bool]] = []
        if plan.criteria:
            # Rare enough (domestic servitude) to build the engine's objects directly.
            as_objects = {k: ObservedIndicator(k, src) for k, src in observed.items()}
            graded_labels: dict[str, tuple[str, Any]] = {}
            for graded in plan.graded:
                for key in observed:
                    ind = graded.s.indicator(key)
                    if ind is not None and key not in graded_labels:
                        graded_labels[key] = (ind.label, ind.grade)
            sentences: list[str] = []
            for s in plan.criteria:
                finding = engine._evaluate_criteria_set(s, as_objects, graded_labels, sentences)
                criteria_json.append(orjson.dumps(finding))
                criteria_outcomes.append((finding.outcome, finding.outcome_positive, bool(finding.criteria)))
                if finding.outcome_positive and finding.outcome is not None:
                    purpose_from = True
                    if finding.outcome not in positive_outcomes:
                        positive_outcomes.append(finding.outcome)
            explanation.extend(orjson.dumps(x) for x in sentences)
            sets_json = [
                graded_json[n] if kind == "graded" else criteria_json[n] for kind, n in plan.layout
            ]
            outcomes_in_order = tuple(
                outcomes[n] if kind == "graded" else criteria_outcomes[n] for kind, n in plan.layout
            )
        else:
            sets_json = graded_json
            outcomes_in_order = tuple(outcomes)
        assessments = engine._rank_assessments(outcomes_in_order)

        act = engine._ordered(act, PALERMO_ACTS)
        means = engine._ordered(means, PALERMO_MEANS)
        purpose = engine._ordered(purpose, PALERMO_PURPOSES)
        means_required = not child
        elements_met = (
            bool(act)
            and (bool(means) or means_from or not means_required)
            and (bool(purpose) or purpose_from)
        )
        palermo, palermo_sentences = _palermo(
            act, means, purpose, means_required, means_from, purpose_from, elements_met
        )
        explanation.extend(palermo_sentences)
        any_indication = bool(observed or act or means or purpose or self_identifies)
        tail, closing = _tail(
            assessments,
            (
                tuple(positive_outcomes),
                self_identifies,
                tuple(severe_labels),
                elements_met,
                child,
                any_indication,
                presumed_child,
                tuple(missing_labels),
                engine.EXPLOITATION_WITHOUT_MEANS in assessments,
                engine.MEANS_WITHOUT_EXPLOITATION in assessments,
            ),
        )
        explanation.extend(closing)
        return b"".join(
            (
                head,
                b",".join(sets_json),
                b'],"palermo":',
                palermo,
                tail,
                b',"explanation":[',
                b",".join(explanation),
                b"]}",
            )
        )


__all__ = ["FastScreener"]
