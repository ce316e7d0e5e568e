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

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar, cast

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

_LIST_FIELDS = frozenset({"forms", "act", "means", "purpose"})
_BOOL_FIELDS = frozenset({"age_uncertain_may_be_child", "self_identifies_as_victim"})
_ACTS = frozenset(PALERMO_ACTS)
_MEANS = frozenset(PALERMO_MEANS)
_PURPOSES = frozenset(PALERMO_PURPOSES)
# Exact spellings of an indicator cell: present ("x", "1", "yes", "true" -> no source, or a
# source name) or absent ("", "0", "no", "false" -> _SKIP). Anything else (" Yes") goes
# to the reference path, which is lenient about case and spaces.
_SKIP = object()
_BAD = object()
_SPELLINGS: Mapping[str, object] = {
    **dict.fromkeys(engine.FALSY, _SKIP),
    **engine._PRESENT_AS_IS,
}
_AGE_BASES = ("presumed_child", "age_not_recorded", "stated_age")

# Cache sizes (entries). Each cache keeps two generations: when the current one is full
# it becomes the old one and the one before is dropped, so memory stays bounded while
# whatever is still in use survives (it is copied forward on its next use).
DIMENSION_CACHE_SIZE = 131072  # a dimension's JSON, by indicators present and sources
KEYSET_CACHE_SIZE = 8192  # a dimension's finding and sentence, by indicators present
CRITERIA_CACHE_SIZE = 4096  # a criteria list's JSON, by the indicators it reads (per plan)
PALERMO_CACHE_SIZE = 16384  # the Palermo finding, by elements recorded and facts
VERDICT_CACHE_SIZE = 4096  # what follows from the lists' outcomes together
TAIL_CACHE_SIZE = 8192  # status, rules, next steps and closing sentences


def _dumps(value: object) -> bytes:
    """JSON bytes to keep in a cache. A copy: orjson hands out its whole output buffer,
    several KB even for a short value, and thousands of cached fragments would hold
    hundreds of MB."""
    return bytes(memoryview(orjson.dumps(value)))


class _Unusual(Exception):
    """The row needs the reference path (it is invalid, or uses a rare spelling)."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Cache(Generic[K, V]):
    """A bounded cache in two generations (see the sizes above). The hot path reads
    ``cache.new.get(key)`` itself and calls :meth:`fetch` only when that misses."""

    __slots__ = ("new", "old", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.new: dict[K, V] = {}
        self.old: dict[K, V] = {}

    def fetch(self, key: K, compute: Callable[[], V]) -> V:
        value = self.old.get(key)
        if value is None:
            value = compute()
        if len(self.new) >= self.size:
            self.old = self.new
            self.new = {}
        self.new[key] = value
        return value


# ------------------------------------------------------------------- dimensions
#
# Within one dimension, the indicators present and their sources are packed into one
# integer, the signature: indicator i of the dimension (file order) occupies bits
# 3i..3i+2 with its source code (0 = absent). A signature and the dimension's id make
# an int key, cheap to hash, for the cache of the dimension's JSON and sentence.

_CODE_SOURCE: tuple[engine.IndicatorSource | None, ...] = (
    None,
    None,
    *engine.INDICATOR_SOURCES,
)  # 0: absent
_SOURCE_CODE: Mapping[str | None, int] = {s: n for n, s in enumerate(_CODE_SOURCE) if n}
_BITS = 3
_UID_BITS = 12

DimensionFragment = tuple[bool, bytes, bytes | None]  # positive, JSON, sentence (JSON)


@dataclass(frozen=True, slots=True, eq=False)
class _Dimension:
    """One dimension of a graded list, as the hot path addresses it."""

    uid: int  # screener-wide id, part of every cache key
    s: IndicatorSet
    index: int
    keys: tuple[str, ...]  # its indicators in file order: key i is at bits 3i..3i+2
    items: tuple[tuple[bytes, ...], ...]  # items[i][code]: JSON of key i with that source
    severe: tuple[tuple[int, str], ...]  # (i, label) of its severe indicators, file order
    empty: bytes  # its JSON when none of its indicators is present


def _dimension(uid: int, s: IndicatorSet, index: int) -> _Dimension:
    key = s.dimensions[index].key
    indicators = [i for i in s.indicators if i.dimension == key]
    if len(indicators) * _BITS > 60 or uid >= 1 << _UID_BITS:
        raise ValueError(f"dimension {key} of {s.id} is too large for the batch fast path")
    items = tuple(
        tuple(_dumps(engine.IndicatorFinding(i.key, i.grade, source)) for source in _CODE_SOURCE)
        for i in indicators
    )
    severe = tuple((n, i.label) for n, i in enumerate(indicators) if i.severe)
    empty = _dumps(engine._dimension_finding(s, index, ())[0])
    return _Dimension(uid, s, index, tuple(i.key for i in indicators), items, severe, empty)


def _present_codes(sig: int) -> list[tuple[int, int]]:
    """(position in the dimension, source code) of each indicator in a signature."""
    out = []
    n = 0
    while sig:
        code = sig & 7
        if code:
            out.append((n, code))
        sig >>= _BITS
        n += 1
    return out


# ------------------------------------------------------------------ set results
#
# Each set's result for a row is one of these objects, shared by every row with the
# same result. They hash by identity (eq=False), so a tuple of them keys the caches of
# what follows from the sets together at the cost of a few pointer hashes.


@dataclass(frozen=True, slots=True, eq=False)
class _GradedResult:
    """A graded list's conclusion for a pattern of positive dimensions, with the JSON
    around its dimensions: ``head`` + severe flag + ``middle`` + dimensions + tail."""

    conclusion: Any  # engine._Conclusion
    outcome: tuple[str | None, bool, bool, int]  # as engine._rank_assessments reads it
    head: bytes
    middle: bytes
    sentence: bytes | None


_GRADED_TAIL = b'],"criteria":[]}'


def _graded_result(
    s: IndicatorSet, mask: int, any_present: bool, act_declared: bool = False
) -> _GradedResult:
    c = engine._set_conclusion(s, mask, any_present, act_declared)
    head = (
        _dumps(
            {
                "set_id": s.id,
                "version": s.version,
                "transcribed": s.provenance.transcribed,
                "outcome": c.outcome,
                "outcome_positive": c.kind == "met",
                "missing_stages": c.missing,
            }
        )[:-1]
        + b',"severe_exploitation":'
    )
    middle = b',"stages":' + _dumps(c.stages) + b',"dimensions":['
    return _GradedResult(
        c,
        engine._graded_outcome(c),
        head,
        middle,
        None if c.sentence is None else _dumps(c.sentence),
    )


@dataclass(frozen=True, slots=True, eq=False)
class _CriteriaResult:
    """A criteria list's (domestic servitude) result, computed by the engine."""

    json: bytes
    outcome: tuple[str | None, bool, bool, int]
    sentences: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, eq=False)
class _Verdict:
    """What follows from all the sets' results together."""

    means_from_indicators: bool
    purpose_from_indicators: bool
    positive_outcomes: tuple[str, ...]
    missing_labels: tuple[str, ...]
    assessments: tuple[str, ...]
    child_at_risk: bool  # a children's list found a risk short of exploitation
    # The Palermo fragment when no act, means or purpose is recorded (most rows), for
    # an adult (False) and for a child (True): it then depends on the verdict alone.
    without_elements: dict[bool, tuple[bool, bytes, tuple[bytes, ...]]]


def _verdict(
    results: tuple[_GradedResult | tuple[str | None, bool, bool, int], ...],
) -> _Verdict:
    """As engine.evaluate combines the sets: graded lists first, then criteria lists.
    A criteria list is represented by its outcome (outcome, positive, True) alone, so
    that rows whose criteria findings differ in detail share one verdict."""
    means_from = purpose_from = False
    positive: list[str] = []
    missing: list[str] = []
    outcomes: list[tuple[str | None, bool, bool, int]] = []
    child_at_risk = False
    for r in results:
        if isinstance(r, _GradedResult):
            outcomes.append(r.outcome)
            c = r.conclusion
            means_from = means_from or c.means_positive
            purpose_from = purpose_from or c.purpose_positive
            child_at_risk = child_at_risk or c.kind == engine.CHILD_AT_RISK
            if c.kind == "met" and c.outcome not in positive:
                positive.append(c.outcome)
            for label in c.missing_labels:
                if label not in missing:
                    missing.append(label)
        else:
            outcomes.append(r)
    for outcome, is_positive, _criteria, _rank in outcomes:
        if _criteria and is_positive and outcome is not None:
            purpose_from = True
            if outcome not in positive:
                positive.append(outcome)
    return _Verdict(
        means_from,
        purpose_from,
        tuple(positive),
        tuple(missing),
        engine._rank_assessments(tuple(outcomes)),
        child_at_risk,
        {child: _palermo((), (), (), child, means_from, purpose_from) for child in (False, True)},
    )


def _palermo(
    act: tuple[str, ...],
    means: tuple[str, ...],
    purpose: tuple[str, ...],
    child: bool,
    means_from: bool,
    purpose_from: bool,
) -> tuple[bool, bytes, tuple[bytes, ...]]:
    """Whether the Palermo elements are met, the finding's JSON and its sentences."""
    means_required = not child
    elements_met = (
        bool(act)
        and (bool(means) or means_from or not means_required)
        and (bool(purpose) or purpose_from)
    )
    finding = engine._palermo_finding(
        act, means, purpose, means_required, means_from, purpose_from, elements_met
    )
    sentences = (
        engine._palermo_sentences(act, means, purpose, elements_met, means_required)
        if act or means or purpose
        else ()
    )
    return elements_met, _dumps(finding), tuple(_dumps(x) for x in sentences)


def _tail(
    verdict: _Verdict,
    self_identifies: bool,
    severe_labels: tuple[str, ...],
    elements_met: bool,
    child: bool,
    any_indication: bool,
    presumed_child: bool,
) -> tuple[bytes, tuple[bytes, ...]]:
    """From ``"assessment"`` to ``"next_steps"`` included, and the closing sentences."""
    assessments = verdict.assessments
    status, rules_met, steps, sentences = engine._status(
        engine.StatusFacts(
            positive_outcomes=verdict.positive_outcomes,
            self_identifies=self_identifies,
            severe_labels=severe_labels,
            elements_met=elements_met,
            child=child,
            any_indication=any_indication,
            presumed_child=presumed_child,
            missing_labels=verdict.missing_labels,
            exploitation_without_means=engine.EXPLOITATION_WITHOUT_MEANS in assessments,
            means_without_exploitation=engine.MEANS_WITHOUT_EXPLOITATION in assessments,
            child_at_risk=verdict.child_at_risk,
        )
    )
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


def _head(
    age_group: AgeGroup,
    age_basis: str,
    adult: bool,
    presumed_child: bool,
    forms: tuple[str, ...],
    self_identifies: bool,
) -> tuple[bytes, bytes]:
    """The result's opening fields up to ``"sets":[``, and the person sentence."""
    head = (
        _dumps(
            {
                "engine_version": ENGINE_VERSION,
                "age_group": age_group,
                "age_basis": age_basis,
                "presumed_child": presumed_child,
                "forms": forms,
                "self_identifies_as_victim": self_identifies,
            }
        )[:-1]
        + b',"sets":['
    )
    return head, _dumps(engine._PERSON_SENTENCE[(age_basis, adult)])


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True, eq=False)
class _Graded:
    """A graded list in a plan: its dimensions occupy slots base .. base+len(dims)-1."""

    s: IndicatorSet
    base: int
    dims: tuple[_Dimension, ...]
    refs: tuple[tuple[int, int, int], ...]  # (slot, uid, index) of each dimension
    empty_dims: tuple[bytes, ...]
    empty_json: bytes  # the whole list's JSON when none of its indicators is present
    empty_result: _GradedResult
    # by (mask of positive dimensions) << 2 | (some present) << 1 | (act declared, for a
    # list with the children's rule; always 0 for the others)
    results: dict[int, _GradedResult]
    uses_act: bool  # the list has the children's rule: a declared act changes its result
    # The dimensions of the severe rule's stage when an indicator present there suffices (the
    # adults' lists); empty when the stage must be positive (engine._severe_stage_present).
    severe_stage_dims: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class _Plan:
    """Everything fixed for one (age group, forms): built once per combination."""

    graded: tuple[_Graded, ...]
    slots: int
    # indicator key -> ((slot, bit shift), ...) in the graded lists (criteria-only: ())
    where: Mapping[str, tuple[tuple[int, int], ...]]
    criteria: tuple[IndicatorSet, ...]
    # keys a criteria list reads (its own and those that also meet a criterion)
    criteria_keys: frozenset[str]
    list_sentences: tuple[bytes, ...]
    # Where each set's result goes: ("graded", n) or ("criteria", n), in catalogue order.
    layout: tuple[tuple[str, int], ...]
    criteria_cache: _Cache[tuple[tuple[str, str | None], ...], tuple[_CriteriaResult, ...]]
    heads: dict[int, tuple[bytes, bytes]]  # opening fields and person sentence, by code


# ------------------------------------------------------------------------ screener


class FastScreener:
    """Screens plain mappings (CSV rows, JSON objects) straight to result JSON bytes.

    ``result_json(row)`` returns exactly ``orjson.dumps(screen_mapping(row, catalogue))``
    and raises the same :class:`~palermo.screening.engine.ScreeningInputError` for an
    invalid row. One screener per catalogue; it keeps one plan per (age group, forms)
    and bounded caches of fragments.
    """

    def __init__(self, catalogue: IndicatorCatalogue) -> None:
        self.catalogue = catalogue
        self._known = frozenset(catalogue.all_keys())
        self._forms = frozenset(catalogue.forms)
        # plans[child][forms]
        self._plans: tuple[dict[tuple[str, ...], _Plan], dict[tuple[str, ...], _Plan]] = ({}, {})
        self._graded_parts: dict[IndicatorSet, _Graded] = {}
        self._uids = 0
        self._by_signature: _Cache[int, DimensionFragment] = _Cache(DIMENSION_CACHE_SIZE)
        self._by_keyset: _Cache[int, DimensionFragment] = _Cache(KEYSET_CACHE_SIZE)
        self._palermo: _Cache[tuple[Any, ...], tuple[bool, bytes, tuple[bytes, ...]]] = _Cache(
            PALERMO_CACHE_SIZE
        )
        self._verdicts: _Cache[tuple[Any, ...], _Verdict] = _Cache(VERDICT_CACHE_SIZE)
        self._tails: _Cache[tuple[Any, ...], tuple[bytes, tuple[bytes, ...]]] = _Cache(
            TAIL_CACHE_SIZE
        )

    def result_json(self, row: Mapping[str, Any]) -> bytes:
        try:
            if row.__class__ is not dict and not isinstance(row, Mapping):
                raise _Unusual  # the reference path words the error
            return self._fast(row)
        except _Unusual:
            return orjson.dumps(screen_mapping(row, self.catalogue))

    # -- plans

    def _plan(self, age_group: AgeGroup, forms: tuple[str, ...]) -> _Plan:
        selection = self.catalogue.select(age_group, forms)
        sets = selection.sets if forms else ()
        graded: list[_Graded] = []
        criteria: list[IndicatorSet] = []
        layout: list[tuple[str, int]] = []
        where: dict[str, list[tuple[int, int]]] = {k: [] for k in selection.keys}
        slots = 0
        for s in sets:
            if s.kind == "criteria":
                layout.append(("criteria", len(criteria)))
                criteria.append(s)
                continue
            layout.append(("graded", len(graded)))
            shared = self._graded(s)
            for dim in shared.dims:
                for n, key in enumerate(dim.keys):
                    where[key].append((slots + dim.index, n * _BITS))
            refs = tuple((slots + d.index, d.uid, d.index) for d in shared.dims)
            graded.append(replace(shared, base=slots, refs=refs))
            slots += len(shared.dims)
        criteria_keys = frozenset(
            key
            for s in criteria
            for key in (
                *(i.key for i in s.indicators),
                *(k for c in s.criteria for k in c.also_met_by),
            )
        )
        return _Plan(
            graded=tuple(graded),
            slots=slots,
            where={k: tuple(v) for k, v in where.items()},
            criteria=tuple(criteria),
            criteria_keys=criteria_keys,
            list_sentences=tuple(_dumps(x) for x in engine._list_sentences(sets)),
            layout=tuple(layout),
            criteria_cache=_Cache(CRITERIA_CACHE_SIZE),
            heads={},
        )

    def _graded(self, s: IndicatorSet) -> _Graded:
        """A graded list's parts, shared by every plan that uses the list."""
        found = self._graded_parts.get(s)
        if found is None:
            dims = tuple(_dimension(self._uids + n, s, n) for n in range(len(s.dimensions)))
            self._uids += len(dims)
            empty = _graded_result(s, 0, False)
            empty_dims = tuple(d.empty for d in dims)
            empty_json = empty.head + b"false" + empty.middle + b",".join(empty_dims) + _GRADED_TAIL
            refs = tuple((d.index, d.uid, d.index) for d in dims)
            rule = s.indicator_rule
            uses_act = rule is not None and rule.child_act_rule is not None
            severe_stage_dims = (
                tuple(
                    n for n, d in enumerate(s.dimensions) if d.stage == rule.severe_requires_stage
                )
                if rule is not None and rule.severe_stage_present_suffices
                else ()
            )
            found = self._graded_parts[s] = _Graded(
                s, 0, dims, refs, empty_dims, empty_json, empty, {}, uses_act, severe_stage_dims
            )
        return found

    # -- dimensions

    def _dimension_miss(self, dim: _Dimension, sig: int) -> DimensionFragment:
        """A dimension's fragment for a signature not in the cache. The finding and its
        sentence depend only on which indicators are present (cached by key set); the
        sources only change the indicators' JSON, joined here."""
        present = _present_codes(sig)
        keyset = 0
        for n, _code in present:
            keyset |= 1 << (n * _BITS)

        def by_keys() -> DimensionFragment:
            finding, sentence = engine._dimension_finding.__wrapped__(
                dim.s, dim.index, tuple((dim.keys[n], None) for n, _ in present)
            )
            head = _dumps(replace(finding, indicators=()))[:-2]  # up to '"indicators":['
            return finding.positive, head, None if sentence is None else _dumps(sentence)

        key = keyset << _UID_BITS | dim.uid
        base = self._by_keyset.new.get(key) or self._by_keyset.fetch(key, by_keys)
        items = dim.items
        fragment = (
            base[0],
            base[1] + b",".join([items[n][code] for n, code in present]) + b"]}",
            base[2],
        )
        return self._by_signature.fetch(sig << _UID_BITS | dim.uid, lambda: fragment)

    # -- the hot path. Every check below that fails sends the row to the reference path,
    # which finds and words the problem; this path only ever screens valid rows.

    def _fast(self, row: Mapping[str, Any]) -> bytes:  # noqa: C901, PLR0912
        age: int | None = None
        uncertain = self_identifies = False
        forms: tuple[str, ...] = ()
        act: tuple[str, ...] = ()
        means: tuple[str, ...] = ()
        purpose: tuple[str, ...] = ()
        observed: dict[str, Any] = {}
        nested: object = None
        known = self._known
        spellings = _SPELLINGS
        errors: list[FieldError] = []
        for name, value in row.items():
            if name in known:
                if value.__class__ is str:
                    source = spellings.get(value, _BAD)
                    if source is _SKIP:
                        continue
                    if source is _BAD:
                        raise _Unusual
                elif value is True:
                    source = None
                elif value is None or value is False:
                    continue
                else:
                    raise _Unusual
                observed[name] = source  # row keys are unique: no duplicate here
            elif name == "ref":
                continue
            elif name == "age":
                if value is None:
                    continue
                if value.__class__ is int:
                    age = value
                elif (
                    value.__class__ is str
                    and value.isascii()
                    and value.isdigit()
                    and len(value) <= 4
                ):
                    age = int(value)
                else:
                    raise _Unusual
            elif name in _LIST_FIELDS:
                # One plain name ("labour") is the usual cell; the rest is the engine's.
                if value.__class__ is str and value.isidentifier():
                    items: tuple[str, ...] = (value,)
                else:
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
                nested = value  # after the flat keys, so that it can check for repeats
            else:
                raise _Unusual
        if nested is not None:
            self._indicators_field(nested, observed, row)
        if errors or (age is not None and not 0 <= age <= MAX_AGE):
            raise _Unusual
        if observed and not forms:
            raise _Unusual
        if len(forms) > 1:
            forms = engine._sorted_unique(forms)
        for f in forms:
            if f not in self._forms:
                raise _Unusual
        if act or means or purpose:
            if not (
                _ACTS.issuperset(act) and _MEANS.issuperset(means) and _PURPOSES.issuperset(purpose)
            ):
                raise _Unusual
            act = engine._ordered(act, PALERMO_ACTS)
            means = engine._ordered(means, PALERMO_MEANS)
            purpose = engine._ordered(purpose, PALERMO_PURPOSES)

        child = uncertain or (age is not None and age < ADULT_AGE)
        plan = self._plans[child].get(forms)
        if plan is None:
            plan = self._plans[child][forms] = self._plan("child" if child else "adult", forms)
        # The opening fields, by (age basis, adult by stated age, self-identification).
        basis = 0 if uncertain else 1 if age is None else 2
        head_code = basis * 4 + (age is not None and age >= ADULT_AGE) * 2 + self_identifies
        opening = plan.heads.get(head_code)
        if opening is None:
            opening = plan.heads[head_code] = _head(
                "child" if child else "adult",
                _AGE_BASES[basis],
                age is not None and age >= ADULT_AGE,
                uncertain,
                forms,
                self_identifies,
            )
        return self._assemble(
            plan, opening, observed, child, uncertain, self_identifies, act, means, purpose
        )

    @staticmethod
    def _indicators_field(
        value: object, observed: dict[str, engine.IndicatorSource | None], row: Mapping[str, Any]
    ) -> None:
        """The nested ``indicators`` field, in its common shapes only. A key also given
        flat (a repeat, or a "no" against a "yes") goes to the reference path."""
        if isinstance(value, Mapping):
            pairs: Any = value.items()
        elif isinstance(value, list):
            pairs = ((item, True) for item in value)
        else:
            raise _Unusual
        for key, v in pairs:
            if key.__class__ is not str or key != key.strip() or key in row:
                raise _Unusual
            if v is True:
                source = None
            elif v.__class__ is str:
                source = _SPELLINGS.get(v, _BAD)
                if source is _SKIP:
                    continue
                if source is _BAD:
                    raise _Unusual
            elif v is None or v is False:
                continue
            else:
                raise _Unusual
            observed[key] = cast("engine.IndicatorSource | None", source)  # a _SPELLINGS value

    def _assemble(  # noqa: C901, PLR0912
        self,
        plan: _Plan,
        opening: tuple[bytes, bytes],
        observed: dict[str, engine.IndicatorSource | None],
        child: bool,
        presumed_child: bool,
        self_identifies: bool,
        act: tuple[str, ...],
        means: tuple[str, ...],
        purpose: tuple[str, ...],
    ) -> bytes:
        explanation = [opening[1], *plan.list_sentences]
        sigs = [0] * plan.slots
        where = plan.where
        codes = _SOURCE_CODE
        try:
            for key, source in observed.items():
                code = codes[source]
                for slot, shift in where[key]:
                    sigs[slot] += code << shift
        except KeyError:
            raise _Unusual from None  # an indicator not in this person's lists

        sets_json: list[bytes] = []
        results: list[_GradedResult | tuple[str | None, bool, bool, int]] = []
        severe_labels: list[str] = []
        cached = self._by_signature.new.get  # (a miss may start a new generation: fine)
        act_flag = 1 if act else 0
        for graded in plan.graded:
            mask = 0
            dims: list[bytes] | None = None
            for slot, uid, d in graded.refs:
                sig = sigs[slot]
                if sig:
                    found = cached(sig << _UID_BITS | uid) or self._dimension_miss(
                        graded.dims[d], sig
                    )
                    positive, fragment, sentence = found
                    if dims is None:
                        dims = list(graded.empty_dims)
                    dims[d] = fragment
                    if positive:
                        mask |= 1 << d
                    if sentence is not None:
                        explanation.append(sentence)
            if dims is None:
                if not (act_flag and graded.uses_act):
                    sets_json.append(graded.empty_json)
                    results.append(graded.empty_result)
                    if graded.empty_result.sentence is not None:  # (none in the built-in lists)
                        explanation.append(graded.empty_result.sentence)
                    continue
                # A children's list with nothing present but a declared act.
                result = graded.results.get(1)
                if result is None:
                    result = graded.results[1] = _graded_result(graded.s, 0, False, True)
                results.append(result)
                if result.sentence is not None:
                    explanation.append(result.sentence)
                sets_json.append(
                    b"".join(
                        (
                            result.head,
                            b"false",
                            result.middle,
                            b",".join(graded.empty_dims),
                            _GRADED_TAIL,
                        )
                    )
                )
                continue
            flag = act_flag if graded.uses_act else 0
            result_key = mask << 2 | 2 | flag
            result = graded.results.get(result_key)
            if result is None:
                result = graded.results[result_key] = _graded_result(
                    graded.s, mask, True, bool(flag)
                )
            results.append(result)
            if result.sentence is not None:
                explanation.append(result.sentence)
            severe_here = False
            base = graded.base
            if result.conclusion.severe_stage_positive or any(
                sigs[base + d] for d in graded.severe_stage_dims
            ):
                for dim in graded.dims:
                    sig = sigs[graded.base + dim.index]
                    if sig:
                        for n, label in dim.severe:
                            if sig >> (n * _BITS) & 7:
                                severe_here = True
                                if label not in severe_labels:
                                    severe_labels.append(label)
            sets_json.append(
                b"".join(
                    (
                        result.head,
                        b"true" if severe_here else b"false",
                        result.middle,
                        b",".join(dims),
                        _GRADED_TAIL,
                    )
                )
            )

        if plan.criteria:
            criteria = self._criteria(plan, observed)
            for c in criteria:
                explanation.extend(c.sentences)
            graded_json, graded_results = sets_json, results
            sets_json = []
            results = []
            for kind, n in plan.layout:
                if kind == "graded":
                    sets_json.append(graded_json[n])
                    results.append(graded_results[n])
                else:
                    sets_json.append(criteria[n].json)
                    results.append(criteria[n].outcome)
        results_key = tuple(results)
        verdict = self._verdicts.new.get(results_key) or self._verdicts.fetch(
            results_key, lambda: _verdict(results_key)
        )

        if act or means or purpose:
            palermo_key = (
                act,
                means,
                purpose,
                child,
                verdict.means_from_indicators,
                verdict.purpose_from_indicators,
            )
            elements_met, palermo, palermo_sentences = self._palermo.new.get(
                palermo_key
            ) or self._palermo.fetch(palermo_key, lambda: _palermo(*palermo_key))
            explanation.extend(palermo_sentences)
        else:
            elements_met, palermo, _none = verdict.without_elements[child]

        tail_key = (
            verdict,
            self_identifies,
            tuple(severe_labels),
            elements_met,
            child,
            bool(observed or act or means or purpose or self_identifies),
            presumed_child,
        )
        tail, closing = self._tails.new.get(tail_key) or self._tails.fetch(
            tail_key, lambda: _tail(*tail_key)
        )
        explanation.extend(closing)
        return b"".join(
            (
                opening[0],
                b",".join(sets_json),
                b'],"palermo":',
                palermo,
                tail,
                b',"explanation":[',
                b",".join(explanation),
                b"]}",
            )
        )

    @staticmethod
    def _criteria(
        plan: _Plan, observed: dict[str, engine.IndicatorSource | None]
    ) -> tuple[_CriteriaResult, ...]:
        """The criteria lists' results through the engine's own function, cached by the
        indicators (and sources) those lists read."""
        relevant = plan.criteria_keys
        key = tuple(sorted((k, s) for k, s in observed.items() if k in relevant))
        cache = plan.criteria_cache
        found = cache.new.get(key)
        if found is not None:
            return found

        def compute() -> tuple[_CriteriaResult, ...]:
            as_objects = {k: ObservedIndicator(k, s) for k, s in key}
            graded_labels: dict[str, tuple[str, Any]] = {}
            for graded in plan.graded:
                for k in as_objects:
                    ind = graded.s.indicator(k)
                    if ind is not None and k not in graded_labels:
                        graded_labels[k] = (ind.label, ind.grade)
            out = []
            for s in plan.criteria:
                sentences: list[str] = []
                finding = engine._evaluate_criteria_set(s, as_objects, graded_labels, sentences)
                out.append(
                    _CriteriaResult(
                        _dumps(finding),
                        engine._outcome(finding),
                        tuple(_dumps(x) for x in sentences),
                    )
                )
            return tuple(out)

        return cache.fetch(key, compute)


__all__ = ["FastScreener"]
