"""The explainable risk rule for suppliers, contracts and purchase-order lines.

A line's level (low / medium / high) is computed from named factors, each kept as a
``Reason`` with its points and its source, so a person sees why — and the same facts and
the same risk-list editions always give the same result.

The rule (docs/supply.md, "The risk model"):

* the supplier is on an exclusion list → **high**, whatever else;
* the country × good is currently on a risk list for forced labour or forced child
  labour → 3 points and never lower than **medium**; for child labour only → 2 points;
* the good is listed for forced labour in some other country → 1 point (a commodity risk);

The lists are the current edition of every kind of list, read together (``RiskIndex.combine``):
a country × good listed by several counts once, from the list that says the most (forced
before child labour, then the order the editions are given in), and every other list that
lists it is cited beside it with no points. So adding an edition never lowers a level.
* each of the six risk characteristics present → 1 point;
* spend at or above the large-spend threshold → 1 point;
* each piece of supplier evidence (policy, audit reports, sites disclosed) → −1 point.

Score ≥ 4 → high, ≥ 2 → medium, else low. Adding a risk factor never lowers the level
and adding evidence never raises it (property-tested). Priority orders lines by level,
then by the exposure (spend × the component's share of the product).

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, NamedTuple

from palermo.supply import vocabulary
from palermo.supply.riskdata import RiskRow, good_key

_ = vocabulary._

RULE_VERSION: Final = "supply-risk-1"
HIGH_AT: Final = 4
MEDIUM_AT: Final = 2
LARGE_SPEND: Final = Decimal("100000")


@dataclass(frozen=True)
class LineFacts:
    """What is known about one purchase-order line (or a supplier or contract)."""

    country_code: str  # the origin of the good, ISO 3166-1 alpha-2
    good: str  # the good, in the risk list's words ("" when unknown)
    value: Decimal = Decimal(0)
    share: Decimal = Decimal(1)  # the component's share of the product, 0–1
    characteristics: frozenset[str] = frozenset()
    evidence: frozenset[str] = frozenset()
    # The supplier is on an exclusion list: the entry that says so ("list, 2026, row 4"),
    # "" when it is not.
    excluded: str = ""


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    template: str  # translated by the shell, then filled with params
    params: tuple[tuple[str, str], ...] = ()
    source: str = ""  # e.g. "US DOL list, edition 2024, row 17"

    @property
    def message(self) -> str:
        return self.template % dict(self.params) if self.params else self.template


class Result(NamedTuple):
    """A screening's outcome. A named tuple, not a dataclass: screening a million lines
    builds a million of them, and a tuple is built without a Python-level ``__init__``
    (issue 18)."""

    level: str
    score: int
    reasons: tuple[Reason, ...]
    exposure: Decimal
    rule: str = RULE_VERSION

    @property
    def rank(self) -> int:
        return vocabulary.LEVELS.index(self.level)

    def priority_key(self) -> tuple[int, int, Decimal]:
        """Sort descending by this: most severe first, then the largest exposure."""
        return (self.rank, self.score, self.exposure)

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "score": self.score,
            "exposure": str(self.exposure),
            "rule": self.rule,
            "reasons": [
                {
                    "code": r.code,
                    "points": r.points,
                    "template": r.template,
                    "params": dict(r.params),
                    "source": r.source,
                }
                for r in self.reasons
            ],
        }


@dataclass
class RiskIndex:
    """The risk-list editions a screening reads, indexed for the rule: (country, good) → each
    edition's row for it, and the countries where a good is listed for forced labour."""

    label: str  # every edition's label, "; " between them
    # (country, good) → (edition label, row), in the order the editions were given
    by_country_good: dict[tuple[str, str], list[tuple[str, RiskRow]]] = field(default_factory=dict)
    # good → country → the labels of the editions listing it there for forced labour
    forced_goods: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Results by everything but the amounts: lines that share their facts share their level,
    # score and reasons (the rule is pure), so each distinct combination is worked out once.
    cache: dict[tuple[object, ...], tuple[str, int, tuple[Reason, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def build(cls, label: str, rows: Iterable[RiskRow]) -> RiskIndex:
        """One edition's index."""
        return cls.combine([(label, rows)])

    @classmethod
    def combine(cls, editions: Iterable[tuple[str, Iterable[RiskRow]]]) -> RiskIndex:
        """Several editions (each ``(label, rows)``, one per kind of list), read together."""
        labels: list[str] = []
        by_country_good: dict[tuple[str, str], list[tuple[str, RiskRow]]] = {}
        forced: dict[str, dict[str, list[str]]] = {}
        for label, rows in editions:
            labels.append(label)
            for r in rows:
                key = good_key(r.good)
                by_country_good.setdefault((r.country_code, key), []).append((label, r))
                if _FORCED & set(r.current_kinds()):
                    forced.setdefault(key, {}).setdefault(r.country_code, []).append(label)
        return cls(
            "; ".join(labels),
            by_country_good,
            {good: dict(sorted(countries.items())) for good, countries in forced.items()},
        )


_FORCED: Final = frozenset({"fl", "fcl"})


def resolve_good(good: str, code: str, crosswalk: Mapping[str, str]) -> str:
    """The good of a line: as given, else by the longest prefix of its product code (HS,
    CPV or UNSPSC, e.g. ``cpv:18`` or ``hs:6109``) in the user's crosswalk."""
    if good.strip():
        return good.strip()
    code = code.strip().lower().replace(".", "").replace(" ", "")
    while code and code[-1] != ":":
        if code in crosswalk:
            return crosswalk[code]
        code = code[:-1]
    return ""


def _level(score: int, *, floor: str = "low", excluded: bool = False) -> str:
    if excluded:
        return "high"
    level = "high" if score >= HIGH_AT else "medium" if score >= MEDIUM_AT else "low"
    return max(level, floor, key=vocabulary.LEVELS.index)


def screen(facts: LineFacts, index: RiskIndex) -> Result:
    share = min(max(facts.share, Decimal(0)), Decimal(1))
    exposure = (facts.value * share).quantize(Decimal("0.01"))
    key = (
        facts.country_code,
        facts.good,
        facts.characteristics,
        facts.evidence,
        facts.excluded,
        facts.value >= LARGE_SPEND,
    )
    found = index.cache.get(key)
    if found is None:
        found = _assess(facts, index)
        if len(index.cache) < 100_000:
            index.cache[key] = found
    level, score, reasons = found
    return Result(level=level, score=score, reasons=reasons, exposure=exposure)


def _assess(facts: LineFacts, index: RiskIndex) -> tuple[str, int, tuple[Reason, ...]]:
    reasons: list[Reason] = []
    floor = "low"
    if facts.excluded:
        reasons.append(
            Reason(
                "excluded",
                0,
                _("The supplier is on an exclusion list: high risk whatever else."),
                source=facts.excluded,
            )
        )
    key = good_key(facts.good)
    listed = _listed(index, facts.country_code, key)
    kinds = set().union(*(k for _label, _row, k in listed))
    if listed:
        # The list that says the most counts (forced labour before child labour, then the
        # editions' order); every other list that lists the country and good is cited too.
        first = next((x for x in listed if x[2] & _FORCED), listed[0])
        if kinds & _FORCED:
            floor = "medium"
        code, points = ("list_forced", 3) if kinds & _FORCED else ("list_child", 2)
        for n, (label, row, own) in enumerate([first, *(x for x in listed if x is not first)]):
            reasons.append(
                Reason(
                    code if n == 0 else "list_also",
                    points if n == 0 else 0,
                    _("%(good)s from %(country)s is on the list for %(kinds)s."),
                    (("good", row.good), ("country", row.country), ("kinds", _kinds(own))),
                    f"{label}, row {row.row}",
                )
            )
    if key and not (kinds & _FORCED):
        by_country = index.forced_goods.get(key, {})
        elsewhere = [c for c in by_country if c != facts.country_code]
        if elsewhere:
            sources = dict.fromkeys(label for c in elsewhere for label in by_country[c])
            reasons.append(
                Reason(
                    "commodity",
                    1,
                    _(
                        "%(good)s is on the list for forced labour in %(n)s other countries (%(countries)s)."
                    ),
                    (
                        ("good", facts.good),
                        ("n", str(len(elsewhere))),
                        ("countries", ", ".join(elsewhere[:5])),
                    ),
                    "; ".join(sources),
                )
            )
    for code in sorted(facts.characteristics):
        if code in vocabulary.CHARACTERISTICS:
            reasons.append(
                Reason(
                    f"characteristic:{code}",
                    1,
                    _("Risk characteristic: %(what)s."),
                    (("what", vocabulary.CHARACTERISTICS[code]),),
                )
            )
    if facts.value >= LARGE_SPEND:
        reasons.append(
            Reason(
                "spend",
                1,
                _("Large spend (%(value)s or more)."),
                (("value", f"{LARGE_SPEND:,}"),),
            )
        )
    for code in sorted(facts.evidence):
        if code in vocabulary.EVIDENCE:
            reasons.append(
                Reason(
                    f"evidence:{code}",
                    -1,
                    _("Mitigation: %(what)s."),
                    (("what", vocabulary.EVIDENCE[code]),),
                )
            )
    score = sum(r.points for r in reasons)
    return _level(score, floor=floor, excluded=bool(facts.excluded)), score, tuple(reasons)


def _listed(index: RiskIndex, country_code: str, key: str) -> list[tuple[str, RiskRow, set[str]]]:
    """Each edition's row for the country and good that lists it now, with its kinds."""
    if not key:
        return []
    hits = index.by_country_good.get((country_code, key), [])
    return [(label, row, kinds) for label, row in hits if (kinds := set(row.current_kinds()))]


def _kinds(kinds: set[str]) -> str:
    return ", ".join(vocabulary.EXPLOITATION_KINDS[k] for k in ("fl", "fcl", "cl") if k in kinds)


def prioritise(results: Iterable[tuple[str, Result]]) -> list[tuple[str, Result]]:
    """Most severe and largest exposure first; ties by the line's reference (stable)."""
    return sorted(results, key=lambda item: (tuple(-x for x in _neg(item[1])), item[0]))


def _neg(result: Result) -> tuple[Decimal, ...]:
    rank, score, exposure = result.priority_key()
    return (Decimal(rank), Decimal(score), exposure)
