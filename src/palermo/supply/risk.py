"""The explainable risk rule for suppliers, contracts and purchase-order lines.

A line's level (low / medium / high) is computed from named factors, each kept as a
``Reason`` with its points and its source, so a person sees why — and the same facts and
the same risk-list edition always give the same result.

The rule (docs/supply.md, "The risk model"):

* the supplier is on an exclusion list → **high**, whatever else;
* the country × good is currently on a risk list for forced labour or forced child
  labour → 3 points and never lower than **medium**; for child labour only → 2 points;
* the good is listed for forced labour in some other country → 1 point (a commodity risk);
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
    excluded: bool = False  # the supplier is on an exclusion list


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
    """A risk-list edition, indexed for screening: (country, good) → the row, and the goods
    listed for forced labour anywhere."""

    label: str
    by_country_good: dict[tuple[str, str], RiskRow] = field(default_factory=dict)
    forced_goods: dict[str, list[str]] = field(default_factory=dict)
    # Results by everything but the amounts: lines that share their facts share their level,
    # score and reasons (the rule is pure), so each distinct combination is worked out once.
    cache: dict[tuple[object, ...], tuple[str, int, tuple[Reason, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def build(cls, label: str, rows: Iterable[RiskRow]) -> RiskIndex:
        index = cls(label)
        for r in rows:
            key = good_key(r.good)
            index.by_country_good[(r.country_code, key)] = r
            if {"fl", "fcl"} & set(r.current_kinds()):
                index.forced_goods.setdefault(key, []).append(r.country_code)
        for countries in index.forced_goods.values():
            countries.sort()
        return index


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
                "excluded", 0, _("The supplier is on an exclusion list: high risk whatever else.")
            )
        )
    key = good_key(facts.good)
    row = index.by_country_good.get((facts.country_code, key)) if key else None
    kinds = set(row.current_kinds()) if row else set()
    if row is not None and kinds & {"fl", "fcl"}:
        floor = "medium"
        reasons.append(
            Reason(
                "list_forced",
                3,
                _("%(good)s from %(country)s is on the list for %(kinds)s."),
                (("good", row.good), ("country", row.country), ("kinds", _kinds(kinds))),
                f"{index.label}, row {row.row}",
            )
        )
    elif row is not None and "cl" in kinds:
        reasons.append(
            Reason(
                "list_child",
                2,
                _("%(good)s from %(country)s is on the list for %(kinds)s."),
                (("good", row.good), ("country", row.country), ("kinds", _kinds(kinds))),
                f"{index.label}, row {row.row}",
            )
        )
    if key and not (kinds & {"fl", "fcl"}):
        elsewhere = [c for c in index.forced_goods.get(key, []) if c != facts.country_code]
        if elsewhere:
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
                    index.label,
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
    return _level(score, floor=floor, excluded=facts.excluded), score, tuple(reasons)


def _kinds(kinds: set[str]) -> str:
    return ", ".join(vocabulary.EXPLOITATION_KINDS[k] for k in ("fl", "fcl", "cl") if k in kinds)


def prioritise(results: Iterable[tuple[str, Result]]) -> list[tuple[str, Result]]:
    """Most severe and largest exposure first; ties by the line's reference (stable)."""
    return sorted(results, key=lambda item: (tuple(-x for x in _neg(item[1])), item[0]))


def _neg(result: Result) -> tuple[Decimal, ...]:
    rank, score, exposure = result.priority_key()
    return (Decimal(rank), Decimal(score), exposure)
