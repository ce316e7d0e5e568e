"""The explainable risk rule for a supplier, and for a contract, as a whole (issue 18).

A purchase-order line is screened by ``risk.py``. Here a **supplier** is assessed from its
screened lines (the worst line's level and the share of the spend at each level), its own
evidence (policy, audit reports, disclosed sites, the latest answered self-assessment
questionnaire), its open corrective actions, its sites' countries and the exclusion list;
a **contract** from its supplier(s)' results and its own lines. Every reason keeps its
points and its source (which line, list, questionnaire or action), so a person sees why.

The rule (rule ``supply-portfolio-1``, docs/supply.md, "Suppliers and contracts as a whole"):

* on an exclusion list → **high**, whatever else;
* the worst screened line → 4 points if high, 2 if medium, and the level is never lower
  than that line's;
* half or more of the spend on high-risk lines → 1 point; half or more on medium- or
  high-risk lines → 1 point;
* the latest answered questionnaire: red flags → 2 points and never lower than
  **medium**; else its level high → 2, medium → 1, low → −1 (evidence);
* each open corrective action → 1 point (at most 3), any of them overdue → 1 point;
* a site in a country on the risk list for forced labour → 1 point;
* a labour recruiter or agency → 1 point (a business-model characteristic);
* each piece of evidence (policy, audit reports, sites disclosed) → −1 point.

Score ≥ 4 → high, ≥ 2 → medium, else low, and never below the floors above. A contract is
never lower than its worst supplier or its worst own line; its score is the higher of its
suppliers' scores and its own lines' points. Priority orders suppliers by level, score,
exposure at risk (the value × the component's share of the product, of medium- and
high-risk lines) and then spend. Pure and deterministic: no Django import, the lines'
order does not matter (property-tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from palermo.supply import vocabulary

_ = vocabulary._

RULE_VERSION: Final = "supply-portfolio-1"
HIGH_AT: Final = 4
MEDIUM_AT: Final = 2
MAX_ACTION_POINTS: Final = 3
HALF: Final = Decimal("0.5")
LINE_POINTS: Final[dict[str, int]] = {"low": 0, "medium": 2, "high": 4}

# What a reason's source is: the shell names it in the reader's language.
SOURCE_KINDS: Final[dict[str, str]] = {
    "line": _("Purchase-order line"),
    "lines": _("Screened purchase-order lines"),
    "exclusion": _("Exclusion list"),
    "list": _("Risk list"),
    "questionnaire": _("Self-assessment questionnaire"),
    "actions": _("Corrective actions"),
    "supplier": _("Supplier record"),
}


@dataclass(frozen=True)
class Line:
    """A screened purchase-order line, as kept (its level from ``risk.screen``)."""

    ref: str
    level: str
    value: Decimal
    exposure: Decimal  # value × the component's share of the product


@dataclass(frozen=True)
class Questionnaire:
    """The latest answered self-assessment questionnaire (rule ``supply-saq-1``)."""

    ref: str
    level: str
    red_flags: int


@dataclass(frozen=True)
class SupplierFacts:
    key: str  # the supplier's id, as text
    lines: tuple[Line, ...] = ()
    evidence: frozenset[str] = frozenset()  # vocabulary.EVIDENCE keys
    questionnaire: Questionnaire | None = None
    open_actions: tuple[str, ...] = ()  # the open corrective actions' ids
    overdue_actions: tuple[str, ...] = ()  # those of them past their deadline
    site_countries: frozenset[str] = frozenset()
    listed_countries: frozenset[str] = frozenset()  # countries listed for forced labour
    list_label: str = ""  # the risk-list edition they come from
    country_names: tuple[tuple[str, str], ...] = ()  # code → the list's name of the country
    exclusion: str = ""  # the exclusion list entry ("file, row 4"), "" when not excluded
    recruiter: bool = False


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    template: str  # translated by the shell, then filled with params
    params: tuple[tuple[str, str], ...] = ()
    source_kind: str = ""  # SOURCE_KINDS key
    source: str = ""  # which one: a line's reference, a file and row, ids

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "points": self.points,
            "template": self.template,
            "params": dict(self.params),
            "source_kind": self.source_kind,
            "source": self.source,
        }


@dataclass(frozen=True)
class Assessment:
    key: str
    level: str
    score: int
    reasons: tuple[Reason, ...]
    spend: Decimal
    exposure: Decimal  # at risk: of medium- and high-risk lines
    shares: tuple[tuple[str, Decimal], ...]  # level → share of the spend, high first
    rule: str = RULE_VERSION

    @property
    def rank(self) -> int:
        return vocabulary.LEVELS.index(self.level)

    def priority_key(self) -> tuple[int, int, Decimal, Decimal]:
        """Sort descending by this: most severe, then the largest exposure and spend."""
        return (self.rank, self.score, self.exposure, self.spend)

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "score": self.score,
            "spend": str(self.spend),
            "exposure": str(self.exposure),
            "shares": {k: str(v) for k, v in self.shares},
            "rule": self.rule,
            "reasons": [r.to_dict() for r in self.reasons],
        }


def _worse(a: str, b: str) -> str:
    return max(a, b, key=vocabulary.LEVELS.index)


def _level(score: int, floor: str) -> str:
    level = "high" if score >= HIGH_AT else "medium" if score >= MEDIUM_AT else "low"
    return _worse(level, floor)


def _ordered(lines: Iterable[Line]) -> list[Line]:
    return sorted(
        lines, key=lambda ln: (-vocabulary.LEVELS.index(ln.level), -ln.exposure, -ln.value, ln.ref)
    )


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.01")) if whole > 0 else Decimal(0)


def _percent(part: Decimal, whole: Decimal) -> str:
    """A share of the spend as a percentage, one decimal at most: "60", "33.3"."""
    text = f"{(part * 100 / whole).quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


def _line_reasons(
    lines: list[Line],
) -> tuple[str, list[Reason], Decimal, Decimal, tuple[tuple[str, Decimal], ...]]:
    """The worst line (floor and points), the shares of spend; lines already ordered."""
    reasons: list[Reason] = []
    spend = sum((ln.value for ln in lines), Decimal(0))
    exposure = sum((ln.exposure for ln in lines if ln.level != "low"), Decimal(0))
    by_level = {
        lv: sum((ln.value for ln in lines if ln.level == lv), Decimal(0))
        for lv in vocabulary.LEVELS
    }
    shares = tuple((lv, _pct(by_level[lv], spend)) for lv in reversed(vocabulary.LEVELS))
    floor = "low"
    if lines:
        worst = lines[0]
        floor = worst.level
        n_worst = sum(1 for ln in lines if ln.level == worst.level)
        reasons.append(
            Reason(
                f"worst_line:{worst.level}",
                LINE_POINTS[worst.level],
                _("The worst screened line is %(level)s risk (%(n)s of %(total)s lines)."),
                (("level", worst.level), ("n", str(n_worst)), ("total", str(len(lines)))),
                "line",
                worst.ref,
            )
        )
        high = by_level["high"]
        at_risk = high + by_level["medium"]
        if spend > 0 and high >= spend * HALF:
            reasons.append(
                Reason(
                    "share_high",
                    1,
                    _("%(pct)s%% of the spend is on high-risk lines."),
                    (("pct", _percent(high, spend)),),
                    "lines",
                    str(len(lines)),
                )
            )
        if spend > 0 and at_risk >= spend * HALF:
            reasons.append(
                Reason(
                    "share_at_risk",
                    1,
                    _("%(pct)s%% of the spend is on medium- or high-risk lines."),
                    (("pct", _percent(at_risk, spend)),),
                    "lines",
                    str(len(lines)),
                )
            )
    return floor, reasons, spend, exposure, shares


def assess_supplier(facts: SupplierFacts) -> Assessment:
    lines = _ordered(facts.lines)
    floor, reasons, spend, exposure, shares = _line_reasons(lines)
    excluded = bool(facts.exclusion)
    if excluded:
        reasons.insert(
            0,
            Reason(
                "excluded",
                0,
                _("The supplier is on an exclusion list: high risk whatever else."),
                (),
                "exclusion",
                facts.exclusion,
            ),
        )
    q = facts.questionnaire
    if q is not None:
        if q.red_flags > 0:
            floor = _worse(floor, "medium")
            reasons.append(
                Reason(
                    "questionnaire_red_flags",
                    2,
                    _("The latest questionnaire has %(n)s red flags."),
                    (("n", str(q.red_flags)),),
                    "questionnaire",
                    q.ref,
                )
            )
        else:
            points = {"high": 2, "medium": 1}.get(q.level, -1)
            reasons.append(
                Reason(
                    f"questionnaire:{q.level}",
                    points,
                    _("The latest questionnaire's answers are %(level)s risk, with no red flag."),
                    (("level", q.level),),
                    "questionnaire",
                    q.ref,
                )
            )
    open_ids = sorted(set(facts.open_actions), key=_id_key)
    if open_ids:
        reasons.append(
            Reason(
                "open_actions",
                min(len(open_ids), MAX_ACTION_POINTS),
                _("%(n)s corrective actions are open."),
                (("n", str(len(open_ids))),),
                "actions",
                ", ".join(open_ids),
            )
        )
    overdue = sorted(set(facts.overdue_actions) & set(open_ids), key=_id_key)
    if overdue:
        reasons.append(
            Reason(
                "overdue_actions",
                1,
                _("%(n)s corrective actions are past their deadline."),
                (("n", str(len(overdue))),),
                "actions",
                ", ".join(overdue),
            )
        )
    listed = sorted(facts.site_countries & facts.listed_countries)
    if listed:
        reasons.append(
            Reason(
                "site_location",
                1,
                _("Sites in countries on the list for forced labour: %(countries)s."),
                (("countries", ", ".join(_named(c, facts.country_names) for c in listed)),),
                "list",
                facts.list_label,
            )
        )
    if facts.recruiter:
        reasons.append(
            Reason(
                "recruiter",
                1,
                _("Risk characteristic: %(what)s."),
                (("what", vocabulary.CHARACTERISTICS["business_model"]),),
                "supplier",
                facts.key,
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
                    "supplier",
                    facts.key,
                )
            )
    score = sum(r.points for r in reasons)
    level = "high" if excluded else _level(score, floor)
    return Assessment(facts.key, level, score, tuple(reasons), spend, exposure, shares)


def assess_contract(
    key: str, suppliers: Iterable[tuple[str, Assessment]], lines: Iterable[Line]
) -> Assessment:
    """A contract: never lower than its worst supplier or its worst own line. ``suppliers``
    are (the supplier's name, its assessment)."""
    own = _ordered(lines)
    floor, reasons, spend, exposure, shares = _line_reasons(own)
    own_points = sum(r.points for r in reasons)
    score = own_points
    for name, a in sorted(suppliers, key=lambda s: (-s[1].rank, -s[1].score, s[0], s[1].key)):
        floor = _worse(floor, a.level)
        score = max(score, a.score)
        reasons.append(
            Reason(
                f"supplier:{a.level}",
                0,
                _("Supplier %(name)s is %(level)s risk as a whole (score %(score)s)."),
                (("name", name), ("level", a.level), ("score", str(a.score))),
                "supplier",
                a.key,
            )
        )
    return Assessment(key, _level(score, floor), score, tuple(reasons), spend, exposure, shares)


def _named(code: str, names: tuple[tuple[str, str], ...]) -> str:
    name = dict(names).get(code, "")
    return f"{name} ({code})" if name else code


def _id_key(ref: str) -> tuple[int, str]:
    return (int(ref), "") if ref.isdigit() else (0, ref)


def prioritise(items: Iterable[tuple[str, Assessment]]) -> list[tuple[str, Assessment]]:
    """Most severe first, then the highest score, exposure at risk and spend; ties by the
    name then the key (stable)."""
    return sorted(
        items,
        key=lambda it: (
            -it[1].rank,
            -it[1].score,
            -it[1].exposure,
            -it[1].spend,
            it[0],
            it[1].key,
        ),
    )
