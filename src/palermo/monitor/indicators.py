"""Monitoring indicators: definitions as data, computed with small-cell protection.

Definitions live in ``data/indicators.yaml`` (validated on load: an unknown fact, an
empty numerator or a missing citation is refused). ``compute`` counts the cases that
meet the numerator and the denominator and protects the figures with the statistics
context's suppression rule (``stats.small_cells.protect``) before anything is shown:

* a count indicator (no denominator) publishes a total and, with ``breakdown: form``,
  one count per form of exploitation; each is 0, at least the threshold, or suppressed;
* a share publishes numerator and denominator only when both *and their difference*
  (the cases not meeting the numerator) survive protection, since ``den - num`` is as
  telling as ``num``: the difference is a cell of the table, tied by ``den = num + rest``,
  so the secondary suppression takes care of it. The percentage is shown only when both
  counts are published.

Pure: no Django imports. The facts come from ``cases.selectors.monitoring_facts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from palermo.stats.small_cells import (
    DEFAULT_THRESHOLD,
    CellKey,
    Constraint,
    differencing_risks,
    protect,
)

DATA = Path(__file__).parent / "data" / "indicators.yaml"

# Facts a condition may name, and their kind. ``guardian_in_time`` is derived here.
FACTS: dict[str, str] = {
    "identification_status": "code",
    "is_child": "bool",
    "reflection_period_granted": "bool",
    "guardian_in_time": "bool",
    "referrals_sent": "count",
    "referrals_accepted": "count",
    "compensation_claimed": "count",
    "compensation_awarded": "count",
    "financial_investigations": "count",
}
BREAKDOWNS = ("form",)
CASE_GROUPS = frozenset(
    {
        "overview",
        "identity",
        "contact",
        "victim_context",
        "suspects",
        "timeline",
        "safeguards",
        "consents",
        "referrals",
        "tasks",
    }
)


class DefinitionError(ValueError):
    """An indicator definition that cannot be computed (says which and why)."""


@dataclass(frozen=True)
class Condition:
    fact: str
    values: tuple[Any, ...] = ()  # "in"
    is_: bool | None = None
    at_least: int | None = None

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return self.test(facts[self.fact])

    def test(self, value: Any) -> bool:
        if self.values:
            return value in self.values
        if self.is_ is not None:
            return bool(value) is self.is_
        assert self.at_least is not None
        return int(value) >= self.at_least


@dataclass(frozen=True)
class IndicatorDefinition:
    id: str
    title: str
    definition: str
    numerator: tuple[Condition, ...]
    denominator: tuple[Condition, ...]  # empty: a count, not a share
    breakdown: str | None
    groups: frozenset[str]
    source: str
    citation: str

    @property
    def is_share(self) -> bool:
        return bool(self.denominator)


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or "fact" not in raw:
        raise DefinitionError(f"{where}: a condition needs a 'fact'")
    fact = raw["fact"]
    if fact not in FACTS:
        raise DefinitionError(f"{where}: unknown fact {fact!r}")
    ops = [k for k in ("in", "is", "at_least") if k in raw]
    if len(ops) != 1 or set(raw) - {"fact", *ops}:
        raise DefinitionError(f"{where}: a condition has exactly one of 'in', 'is', 'at_least'")
    op = ops[0]
    kind = FACTS[fact]
    if op == "in" and kind == "code" and isinstance(raw["in"], list) and raw["in"]:
        return Condition(fact, values=tuple(str(v) for v in raw["in"]))
    if op == "is" and kind == "bool" and isinstance(raw["is"], bool):
        return Condition(fact, is_=raw["is"])
    if (
        op == "at_least"
        and kind == "count"
        and isinstance(raw["at_least"], int)
        and raw["at_least"] >= 0
    ):
        return Condition(fact, at_least=raw["at_least"])
    raise DefinitionError(f"{where}: {op!r} does not fit the {kind} fact {fact!r}")


def parse_definitions(doc: Any) -> tuple[IndicatorDefinition, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("indicators"), list):
        raise DefinitionError("the file needs a list under 'indicators'")
    out: list[IndicatorDefinition] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["indicators"]):
        where = f"indicator {i + 1}"
        if not isinstance(raw, dict):
            raise DefinitionError(f"{where}: not a mapping")
        for key in ("id", "title", "definition", "numerator", "source", "citation", "groups"):
            if not raw.get(key):
                raise DefinitionError(f"{where}: '{key}' is required")
        ident = str(raw["id"])
        where = f"indicator {ident!r}"
        if ident in seen:
            raise DefinitionError(f"{where}: defined twice")
        seen.add(ident)
        breakdown = raw.get("breakdown")
        if breakdown is not None and breakdown not in BREAKDOWNS:
            raise DefinitionError(f"{where}: unknown breakdown {breakdown!r}")
        denominator = tuple(_condition(c, where) for c in raw.get("denominator") or ())
        if breakdown and denominator:
            raise DefinitionError(f"{where}: a breakdown is for counts, not shares")
        groups = frozenset(str(g) for g in raw["groups"])
        if not groups <= CASE_GROUPS:
            raise DefinitionError(
                f"{where}: unknown case-file groups {sorted(groups - CASE_GROUPS)}"
            )
        out.append(
            IndicatorDefinition(
                id=ident,
                title=str(raw["title"]),
                definition=" ".join(str(raw["definition"]).split()),
                numerator=tuple(_condition(c, where) for c in raw["numerator"]),
                denominator=denominator,
                breakdown=breakdown,
                groups=groups,
                source=str(raw["source"]),
                citation=str(raw["citation"]),
            )
        )
    return tuple(out)


@cache
def definitions() -> tuple[IndicatorDefinition, ...]:
    return parse_definitions(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def definition(ident: str) -> IndicatorDefinition | None:
    return next((d for d in definitions() if d.id == ident), None)


# --- facts ------------------------------------------------------------------------------------------


def fact_row(fact: Any) -> dict[str, Any]:
    """The condition-facing facts of one case (an object with ``MonitoringFact``'s attributes)."""
    due: date | None = fact.guardian_due_on
    appointed: date | None = fact.guardian_appointed_on
    return {
        "identification_status": fact.identification_status,
        "is_child": bool(fact.is_child),
        "reflection_period_granted": bool(fact.reflection_period_granted),
        "guardian_in_time": due is not None and appointed is not None and appointed <= due,
        "referrals_sent": int(fact.referrals_sent),
        "referrals_accepted": int(fact.referrals_accepted),
        "compensation_claimed": int(fact.compensation_claimed),
        "compensation_awarded": int(fact.compensation_awarded),
        # linked by the investigate context (monitor.selectors adds it to the case facts)
        "financial_investigations": int(getattr(fact, "financial_investigations", 0)),
        "forms": tuple(dict.fromkeys(fact.forms)),
    }


def matches(conditions: Sequence[Condition], row: Mapping[str, Any]) -> bool:
    return all(c.holds(row) for c in conditions)


def _select(conditions: Sequence[Condition], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # One pass per condition over the shrinking list: the hot loop of a million-case run.
    for c in conditions:
        name, test = c.fact, c.test
        rows = [r for r in rows if test(r[name])]
    return rows


# --- computation with protection ----------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str  # "Total" or a form-of-exploitation code
    value: int | None  # None: suppressed
    denominator: int | None = None  # shares only; None when suppressed

    @property
    def share(self) -> float | None:
        if self.value is None or self.denominator is None or self.denominator == 0:
            return None
        return self.value / self.denominator


@dataclass(frozen=True)
class IndicatorResult:
    definition: IndicatorDefinition
    figures: tuple[Figure, ...]
    threshold: int

    @property
    def total(self) -> Figure:
        return self.figures[0]


TOTAL = "Total"


def compute(
    defn: IndicatorDefinition, facts: Iterable[Any], *, threshold: int = DEFAULT_THRESHOLD
) -> IndicatorResult:
    """Count, then protect. ``facts``: ``MonitoringFact``-like objects (or rows from ``fact_row``)."""
    rows = [f if isinstance(f, dict) else fact_row(f) for f in facts]
    num_rows = _select(defn.numerator, rows)
    if defn.is_share:
        den = _count(_select(defn.denominator, rows))
        # A definition whose numerator is not inside its denominator would make "rest" negative.
        num = _count(_select(defn.denominator, num_rows))
        share_cells: dict[CellKey, int] = {("den",): den, ("num",): num, ("rest",): den - num}
        p = protect(share_cells, [Constraint(("den",), (("num",), ("rest",)))], threshold=threshold)
        pub = p.published()
        n, d = pub.get(("num",)), pub.get(("den",))
        figure = Figure(TOTAL, n if d is not None else None, d if n is not None else None)
        return IndicatorResult(defn, (figure,), threshold)
    values: dict[CellKey, int] = {("total",): _count(num_rows)}
    labels: list[str] = []
    if defn.breakdown == "form":
        per: dict[str, int] = {}
        for r in num_rows:
            for form in r["forms"] or ("Unknown",):
                per[form] = per.get(form, 0) + r.get("weight", 1)
        labels = sorted(per)
        values.update({("form", k): v for k, v in per.items()})
    # Forms are not additive (one person, several forms): no constraint ties them to the total,
    # exactly as in the Rapporteur tables, so primary suppression is the whole protection.
    p = protect(values, [], threshold=threshold)
    pub = p.published()
    figures = [Figure(TOTAL, pub.get(("total",)))]
    figures += [Figure(k, pub.get(("form", k))) for k in labels]
    return IndicatorResult(defn, tuple(figures), threshold)


ALL_YEARS = "all years"  # the column of every year together (a cell key, never shown)


def _parts(defn: IndicatorDefinition, rows: list[dict[str, Any]]) -> dict[CellKey, int]:
    """The counts ``compute`` protects, for one year's rows: num, den and rest of a share; the
    total and one count per form of a count."""
    num_rows = _select(defn.numerator, rows)
    if defn.is_share:
        den = _count(_select(defn.denominator, rows))
        num = _count(_select(defn.denominator, num_rows))
        return {("num",): num, ("den",): den, ("rest",): den - num}
    values: dict[CellKey, int] = {("total",): _count(num_rows)}
    if defn.breakdown == "form":
        for r in num_rows:
            for form in r["forms"] or ("Unknown",):
                values[("form", form)] = values.get(("form", form), 0) + r.get("weight", 1)
    return values


def _registered(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Every case of the year, in total and per form: what the Rapporteur tables count (all
    cases registered, whatever their status), of which each indicator counts a part."""
    out = {TOTAL: _count(rows)}
    for r in rows:
        for form in r["forms"] or ("Unknown",):
            out[form] = out.get(form, 0) + r.get("weight", 1)
    return out


def compute_years(
    facts_by_year: Mapping[int, Iterable[Any]],
    *,
    year: int | None,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[IndicatorResult]:
    """Every indicator for ``year`` (None: all years together), protected against differencing.

    The figures of every year and of all years are one table per indicator, tied by
    ``all years = sum of the years`` (and ``den = num + rest`` in each column), protected by
    one ``protect`` run: a year hidden in its own column cannot be worked out as all years
    minus the others. And each figure is a part of the cases registered that year (in total,
    or of its form), which the Rapporteur tables publish; a figure whose difference from that
    count is from 1 to threshold − 1 (the cases *not* counted: not presumed or identified, …)
    is suppressed as a primary cell (``small_cells.differencing_risks``).
    """
    rows_by_year = {
        y: group_rows(f if isinstance(f, dict) else fact_row(f) for f in facts)
        for y, facts in facts_by_year.items()
    }
    years = sorted(rows_by_year)
    column: int | str = ALL_YEARS if year is None else year
    if not years or (column != ALL_YEARS and column not in rows_by_year):
        return compute_all([], threshold=threshold)  # no case (that year): every count is 0
    registered: dict[tuple[str, int | str], int] = {}
    for y in years:
        for label, count in _registered(rows_by_year[y]).items():
            registered[(label, y)] = count
            registered[(label, ALL_YEARS)] = registered.get((label, ALL_YEARS), 0) + count
    results = []
    for defn in definitions():
        per_year = {y: _parts(defn, rows_by_year[y]) for y in years}
        parts = sorted({p for v in per_year.values() for p in v}, key=repr)
        values: dict[CellKey, int] = {}
        constraints: list[Constraint] = []
        for part in parts:
            for y in years:
                values[(*part, y)] = per_year[y].get(part, 0)
            values[(*part, ALL_YEARS)] = sum(values[(*part, y)] for y in years)
            constraints.append(Constraint((*part, ALL_YEARS), tuple((*part, y) for y in years)))
        if defn.is_share:
            for c in (*years, ALL_YEARS):
                constraints.append(Constraint(("den", c), (("num", c), ("rest", c))))
        whole: dict[CellKey, int] = {}
        for key in values:
            label = str(key[1]) if key[0] == "form" else TOTAL
            col = key[-1]
            assert isinstance(col, int | str)
            if key[0] != "rest" and (label, col) in registered:
                whole[key] = registered[(label, col)]
        risky = differencing_risks(values, whole, threshold=threshold)
        pub = protect(values, constraints, threshold=threshold, also_primary=risky).published()
        if defn.is_share:
            n, d = pub.get(("num", column)), pub.get(("den", column))
            shown = [Figure(TOTAL, n if d is not None else None, d if n is not None else None)]
        else:
            shown = [Figure(TOTAL, pub.get(("total", column)))]
            labels = sorted(str(p[1]) for p in parts if p[0] == "form" and values[(*p, column)])
            shown += [Figure(k, pub.get(("form", k, column))) for k in labels]
        results.append(IndicatorResult(defn, tuple(shown), threshold))
    return results


def compute_all(
    facts: Iterable[Any], *, threshold: int = DEFAULT_THRESHOLD
) -> list[IndicatorResult]:
    rows = group_rows(f if isinstance(f, dict) else fact_row(f) for f in facts)
    return [compute(d, rows, threshold=threshold) for d in definitions()]


def group_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Identical fact rows collapsed into one with a ``weight`` (how many cases it stands for).

    A million cases have only a few thousand distinct combinations of facts, so every
    indicator then runs over those instead of over each case; the counts are the same.
    """
    groups: dict[tuple[tuple[str, Any], ...], int] = {}
    for r in rows:
        weight = r.get("weight", 1)
        key = tuple(sorted((k, v) for k, v in r.items() if k != "weight"))
        groups[key] = groups.get(key, 0) + weight
    return [{**dict(key), "weight": n} for key, n in groups.items()]


def _count(rows: Iterable[Mapping[str, Any]]) -> int:
    return sum(r.get("weight", 1) for r in rows)


def numerator_case_ids(defn: IndicatorDefinition, facts: Iterable[Any]) -> list[int]:
    """The ids of the cases counted in the numerator (for the drill-down, before need-to-know)."""
    out = []
    for f in facts:
        row = fact_row(f)
        if matches(defn.numerator, row) and (not defn.is_share or matches(defn.denominator, row)):
            out.append(int(f.case_id))
    return out
