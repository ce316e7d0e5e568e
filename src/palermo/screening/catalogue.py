"""Typed model of the indicator sets, with the lookup tables the engine needs.

Pure core: no Django, no I/O. ``loader.py`` builds these objects from the YAML files;
the engine only ever sees this module, so it can be type-checked strictly and reused by
the CLI, the batch processor and the Django shell alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

AgeGroup = Literal["adult", "child"]
Grade = Literal["strong", "medium", "weak"]
SetKind = Literal["indicators", "criteria"]
PalermoElement = Literal["means", "purpose"]

AGE_GROUPS: tuple[AgeGroup, ...] = ("adult", "child")
GRADES: tuple[Grade, ...] = ("strong", "medium", "weak")

# Palermo Protocol (2000), Art. 3(a). Kept as code, not data: they are the international
# definition every national list is read against. Purposes add forced begging and forced
# criminal activities from Directive 2011/36/EU, Art. 2(3), which the seeds also name.
PALERMO_ACTS: tuple[str, ...] = (
    "recruitment",
    "transportation",
    "transfer",
    "harbouring",
    "receipt",
)
PALERMO_MEANS: tuple[str, ...] = (
    "threat_or_use_of_force",
    "other_coercion",
    "abduction",
    "fraud",
    "deception",
    "abuse_of_power",
    "abuse_of_vulnerability",
    "payments_to_person_in_control",
)
PALERMO_PURPOSES: tuple[str, ...] = (
    "sexual_exploitation",
    "forced_labour_or_services",
    "slavery_or_similar_practices",
    "servitude",
    "removal_of_organs",
    "forced_begging",
    "forced_criminal_activities",
)

# Field names of a screening input (engine.py). Indicator keys may not reuse them because
# CSV columns and flat JSON fields put both in the same namespace.
RESERVED_INPUT_FIELDS: frozenset[str] = frozenset(
    {
        "ref",
        "age",
        "age_uncertain_may_be_child",
        "forms",
        "indicators",
        "act",
        "means",
        "purpose",
        "self_identifies_as_victim",
    }
)


@dataclass(frozen=True, slots=True)
class Source:
    citation: str
    year: int | None = None
    edition: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    # False means "not transcribed from the cited publication": the UI must say so.
    transcribed: bool
    note: str
    adapted_by: str | None = None
    adapted_from: str | None = None


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str
    number: int
    label: str
    palermo_element: PalermoElement
    stage: str


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Requirement:
    """``at_least`` present indicators whose grade is one of ``grades``."""

    grades: tuple[Grade, ...]
    at_least: int

    def count(self, strong: int, medium: int, weak: int) -> int:
        by_grade = {"strong": strong, "medium": medium, "weak": weak}
        return sum(by_grade[g] for g in self.grades)


@dataclass(frozen=True, slots=True)
class ThresholdClause:
    """One way for a dimension to be positive, e.g. "two strong indicators".

    The loader guarantees that the grade groups of one clause are disjoint, so each
    requirement can be counted on its own (no indicator is used twice).
    """

    id: str
    label: str
    requires: tuple[Requirement, ...]

    def is_met(self, strong: int, medium: int, weak: int) -> bool:
        return all(r.count(strong, medium, weak) >= r.at_least for r in self.requires)


# Outcome codes the engine itself produces when a graded list's combination is not met
# (engine.py). A set's own outcome codes may not reuse them.
EXPLOITATION_WITH_PARTIAL_MEANS = "exploitation_with_partial_means"
EXPLOITATION_WITHOUT_MEANS = "exploitation_without_means"
MEANS_WITHOUT_EXPLOITATION = "means_without_exploitation"
INSUFFICIENT_TO_ASSESS = "insufficient_to_assess"
ENGINE_OUTCOMES: frozenset[str] = frozenset(
    {
        EXPLOITATION_WITH_PARTIAL_MEANS,
        EXPLOITATION_WITHOUT_MEANS,
        MEANS_WITHOUT_EXPLOITATION,
        INSUFFICIENT_TO_ASSESS,
    }
)


@dataclass(frozen=True, slots=True)
class ChildActRule:
    """The children's combination (Palermo Protocol Art. 3(c); Council of Europe
    Convention Art. 4(c)): for a child, the act for the purpose of exploitation is
    trafficking, whatever the means. The act is established by a Palermo act declared in
    the input (when ``by_declared_act``) or by any positive stage in ``act_stages`` (the
    recruitment dimensions of the ILO/EC child lists, which are evidence of the act, not
    a condition). Only lists that apply to children alone carry it (loader.py)."""

    id: str
    citation: str
    by_declared_act: bool
    act_stages: tuple[str, ...]
    act_label: str
    # Exploitation positive, act not established: still a child's exploitation.
    outcome_without_act: str
    # Act established (or means indicated), exploitation not: a risk to follow up.
    outcome_without_exploitation: str


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    id: str
    citation: str
    clauses: tuple[ThresholdClause, ...]
    stages: tuple[Stage, ...]
    trafficking_when_positive: tuple[str, ...]
    outcome: str
    # Stage that must be positive, together with a ``severe`` indicator, for "signs of
    # severe exploitation"; None disables the rule for this set.
    severe_requires_stage: str | None
    # The children's combination, in lists for children only; None for adults' lists.
    child_act_rule: ChildActRule | None = None
    # True: that stage need only have an indicator present, not be positive (the adults'
    # lists: benefit of the doubt, docs/screening.md "Status").
    severe_stage_present_suffices: bool = False


@dataclass(frozen=True, slots=True)
class CriteriaRule:
    id: str
    citation: str
    criterion_met_when_at_least: int
    outcome: str


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    number: int
    label: str
    description: str
    # Keys of graded indicators (from the labour lists) that also satisfy the criterion,
    # so a screener does not have to tick the same fact twice.
    also_met_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScreeningQuestion:
    key: str
    text: str
    points_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    label: str
    guidance: str
    # Graded indicators (kind "indicators") have dimension and grade; criteria items
    # (kind "criteria") have criterion instead.
    dimension: str | None = None
    grade: Grade | None = None
    criterion: str | None = None
    severe: bool = False
    marker: bool = False
    grade_basis: str | None = None


def _threshold_table(
    clauses: tuple[ThresholdClause, ...],
) -> tuple[int, tuple[int, ...]]:
    """Precompute, for every (strong, medium, weak) count up to the largest threshold,
    the index of the first clause met (or -1). Counts above the cap behave like the cap
    because every requirement is an "at least"."""
    cap = max((r.at_least for c in clauses for r in c.requires), default=1)
    size = cap + 1
    table: list[int] = []
    for s in range(size):
        for m in range(size):
            for w in range(size):
                table.append(next((i for i, c in enumerate(clauses) if c.is_met(s, m, w)), -1))
    return cap, tuple(table)


@dataclass(frozen=True, eq=False)
class IndicatorSet:
    """One list (e.g. adults × labour) or one set of criteria (domestic servitude).

    ``eq=False``: identity equality and hashing, so a set can key the engine's caches
    cheaply; two loads of the same file are different objects on purpose.
    """

    id: str
    version: str
    kind: SetKind
    title: str
    age_groups: tuple[AgeGroup, ...]
    forms: tuple[str, ...]
    source: Source
    provenance: Provenance
    origin: str
    indicators: tuple[Indicator, ...]
    dimensions: tuple[Dimension, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    indicator_rule: IndicatorRule | None = None
    criteria_rule: CriteriaRule | None = None
    screening_questions: tuple[ScreeningQuestion, ...] = ()
    # Derived lookups, filled in __post_init__ (object.__setattr__: the class is frozen).
    # locations: graded indicator key -> (index of its dimension, position in the file);
    # the engine's hot path reads it directly.
    locations: dict[str, tuple[int, int]] = field(init=False, repr=False)
    _by_key: dict[str, Indicator] = field(init=False, repr=False)
    _position: dict[str, int] = field(init=False, repr=False)
    _threshold_cap: int = field(init=False, repr=False)
    _threshold: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {i.key: i for i in self.indicators})
        object.__setattr__(self, "_position", {i.key: n for n, i in enumerate(self.indicators)})
        dim_index = {d.key: n for n, d in enumerate(self.dimensions)}
        object.__setattr__(
            self,
            "locations",
            {
                i.key: (dim_index[i.dimension], n)
                for n, i in enumerate(self.indicators)
                if i.dimension is not None and i.dimension in dim_index
            },
        )
        clauses = self.indicator_rule.clauses if self.indicator_rule else ()
        cap, table = _threshold_table(clauses)
        object.__setattr__(self, "_threshold_cap", cap)
        object.__setattr__(self, "_threshold", table)

    @property
    def transcribed(self) -> bool:
        return self.provenance.transcribed

    def indicator(self, key: str) -> Indicator | None:
        return self._by_key.get(key)

    def position(self, key: str) -> int:
        """Order of the indicator in the file; results list indicators in this order."""
        return self._position[key]

    def applies(self, age_group: AgeGroup, forms: Iterable[str]) -> bool:
        return age_group in self.age_groups and any(f in self.forms for f in forms)

    def first_clause_met(self, strong: int, medium: int, weak: int) -> ThresholdClause | None:
        """The first clause, in file order, that the counts satisfy (table lookup)."""
        rule = self.indicator_rule
        if rule is None:
            return None
        cap = self._threshold_cap
        size = cap + 1
        s, m, w = min(strong, cap), min(medium, cap), min(weak, cap)
        index = self._threshold[(s * size + m) * size + w]
        return rule.clauses[index] if index >= 0 else None

    def dimension(self, key: str) -> Dimension:
        for d in self.dimensions:
            if d.key == key:
                return d
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class Selection:
    """The sets that apply to one (age group, forms) combination, with a merged key
    index; computed once per combination and cached by the catalogue."""

    age_group: AgeGroup
    forms: tuple[str, ...]
    sets: tuple[IndicatorSet, ...]
    keys: frozenset[str]


class IndicatorCatalogue:
    """All loaded indicator sets, with the questions the engine asks of them."""

    def __init__(self, sets: Iterable[IndicatorSet]) -> None:
        self.sets: tuple[IndicatorSet, ...] = tuple(sets)
        self._by_id = {s.id: s for s in self.sets}
        owners: dict[str, list[IndicatorSet]] = {}
        for s in self.sets:
            for i in s.indicators:
                owners.setdefault(i.key, []).append(s)
        self._owners = {k: tuple(v) for k, v in owners.items()}
        self.forms: tuple[str, ...] = tuple(sorted({f for s in self.sets for f in s.forms}))
        self._all_keys = tuple(sorted(self._owners))
        self._selections: dict[tuple[AgeGroup, tuple[str, ...]], Selection] = {}

    def get(self, set_id: str) -> IndicatorSet:
        return self._by_id[set_id]

    def is_known(self, key: str) -> bool:
        return key in self._owners

    def owners(self, key: str) -> tuple[IndicatorSet, ...]:
        """Sets that define ``key`` (a key may appear in several lists, e.g. adult and child)."""
        return self._owners.get(key, ())

    def all_keys(self) -> tuple[str, ...]:
        return self._all_keys

    def select(self, age_group: AgeGroup, forms: tuple[str, ...]) -> Selection:
        """Sets applying to a person of ``age_group`` screened for ``forms`` (sorted, unique)."""
        cache_key = (age_group, forms)
        found = self._selections.get(cache_key)
        if found is None:
            chosen = tuple(s for s in self.sets if s.applies(age_group, forms))
            keys = frozenset(i.key for s in chosen for i in s.indicators)
            found = Selection(age_group=age_group, forms=forms, sets=chosen, keys=keys)
            # Bounded by (2 age groups) x (subsets of a handful of forms): no eviction needed.
            self._selections[cache_key] = found
        return found
