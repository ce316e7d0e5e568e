"""Aggregate statistics for the National Rapporteur, with small-cell protection.

Every published table is a set of cells tied by additive constraints
(``total = part + part + …``): rows, columns, year totals and the grand total
shared by all tables, so a cell suppressed in one table cannot be recovered
from another. Protection is by suppression:

* **Primary**: every cell (margins included) with ``0 < count < threshold``.
  The default threshold, 11, matches the k of the CTDC release: a published
  count is never smaller than a released microdata group. Zeros are published:
  they describe no one.
* **Secondary**: further cells are suppressed until, for every primary cell,
  the interval of values an attacker can derive from everything published
  (linear programming over the constraints, counts ≥ 0; ``scipy.optimize.linprog``
  with HiGHS) is at least ``protection_width`` wide. First the cheap rule
  "no constraint with exactly one suppressed cell" is enforced, then each
  failing cell gets its smallest published neighbour suppressed, and the audit
  repeats until every interval is wide enough. For two-way tables with margins
  the constraint matrix is totally unimodular, so the LP interval is exactly
  the set of integer values an attacker cannot rule out.

Pure: no Django imports.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
from scipy.optimize import linprog

from palermo.core.spreadsheet import spreadsheet_safe
from palermo.stats.hierarchies import ctdc_age_band, m49_table

DEFAULT_THRESHOLD = 11

CellKey = tuple[Hashable, ...]
Status = Literal["published", "primary", "secondary"]


@dataclass(frozen=True, slots=True)
class Constraint:
    total: CellKey
    parts: tuple[CellKey, ...]


@dataclass(frozen=True, slots=True)
class ProtectedCell:
    key: CellKey
    value: int | None  # None when suppressed
    status: Status


@dataclass(frozen=True)
class Protection:
    cells: dict[CellKey, ProtectedCell]
    constraints: tuple[Constraint, ...]
    threshold: int
    protection_width: int
    intervals: dict[CellKey, tuple[float, float]] = field(
        default_factory=dict
    )  # primary cell → attacker's range

    def published(self) -> dict[CellKey, int]:
        return {k: c.value for k, c in self.cells.items() if c.value is not None}

    def suppressed(self) -> set[CellKey]:
        return {k for k, c in self.cells.items() if c.value is None}


def _check_additive(values: Mapping[CellKey, int], constraints: Sequence[Constraint]) -> None:
    for c in constraints:
        if values[c.total] != sum(values[p] for p in c.parts):
            raise ValueError(f"cell {c.total} is not the sum of its parts")


def attacker_intervals(
    values: Mapping[CellKey, int],
    suppressed: set[CellKey],
    constraints: Sequence[Constraint],
    targets: Iterable[CellKey],
) -> dict[CellKey, tuple[float, float]]:
    """For each target cell, the least and greatest value consistent with what is published."""
    variables = sorted(suppressed, key=repr)
    index = {k: i for i, k in enumerate(variables)}
    rows, rhs = [], []
    for c in constraints:
        keys = (c.total, *c.parts)
        if not any(k in suppressed for k in keys):
            continue
        row = np.zeros(len(variables))
        b = 0.0
        for k, sign in [(c.total, -1.0)] + [(p, 1.0) for p in c.parts]:
            if k in suppressed:
                row[index[k]] += sign
            else:
                b -= sign * values[k]
        rows.append(row)
        rhs.append(b)
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    out = {}
    for target in targets:
        objective = np.zeros(len(variables))
        objective[index[target]] = 1.0
        bounds = [(0, None)] * len(variables)
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status != 0:
            raise RuntimeError(f"published cells are inconsistent: {low.message}")
        hi = math.inf if high.status == 3 else -float(high.fun)
        out[target] = (float(low.fun), hi)
    return out


def _component_intervals(
    values: Mapping[CellKey, int],
    suppressed: set[CellKey],
    constraints: Sequence[Constraint],
    by_cell: Mapping[CellKey, list[Constraint]],
    targets: set[CellKey],
) -> dict[CellKey, tuple[float, float]]:
    """:func:`attacker_intervals`, solved separately on each connected group of suppressed cells.

    Suppressed cells interact only through constraints they share; solving each
    group alone gives the same intervals with far smaller linear programs.
    """
    seen: set[CellKey] = set()
    out: dict[CellKey, tuple[float, float]] = {}
    for start in sorted(targets, key=repr):
        if start in seen:
            continue
        component = {start}
        stack = [start]
        while stack:
            cell = stack.pop()
            for c in by_cell.get(cell, []):
                for k in (c.total, *c.parts):
                    if k in suppressed and k not in component:
                        component.add(k)
                        stack.append(k)
        seen |= component
        local = [c for c in constraints if any(k in component for k in (c.total, *c.parts))]
        out.update(
            attacker_intervals(values, component, local, sorted(component & targets, key=repr))
        )
    return out


def protect(
    values: Mapping[CellKey, int],
    constraints: Sequence[Constraint],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    protection_width: int | None = None,
    also_primary: Collection[CellKey] = (),
    public: Collection[CellKey] = (),
) -> Protection:
    """Suppress primary and secondary cells; see the module docstring for the rule.

    ``also_primary``: cells protected as primary whatever their count — a cell of a subset
    table whose difference from the published whole table would be a small count
    (:func:`differencing_risks`), or a cell another table hides.
    ``public``: cells another table publishes anyway: never suppressed here (hiding them would
    protect nothing), so the secondary suppression is worked out around them."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    width = max(1, threshold // 2) if protection_width is None else protection_width
    if any(v < 0 for v in values.values()):
        raise ValueError("counts cannot be negative")
    _check_additive(values, constraints)
    primary = {k for k, v in values.items() if 0 < v < threshold} | (
        set(also_primary) & values.keys()
    )
    suppressed = set(primary)
    by_cell: dict[CellKey, list[Constraint]] = {}
    for c in constraints:
        for k in (c.total, *c.parts):
            by_cell.setdefault(k, []).append(c)

    shown = set(public) - primary

    def cheapest(candidates: Iterable[CellKey]) -> CellKey | None:
        # Smallest positive count first (least information lost), zeros last; stable order.
        pool = [k for k in candidates if k not in suppressed and k not in shown]
        if not pool:
            return None
        return min(pool, key=lambda k: (values[k] == 0, values[k], repr(k)))

    def enforce_pairs() -> None:
        changed = True
        while changed:
            changed = False
            for c in constraints:
                keys = (c.total, *c.parts)
                if sum(k in suppressed for k in keys) == 1:
                    pick = cheapest(c.parts) or cheapest(keys)
                    if pick is not None:
                        suppressed.add(pick)
                        changed = True

    intervals: dict[CellKey, tuple[float, float]] = {}
    certified: set[CellKey] = set()
    while True:
        enforce_pairs()
        # Suppressing more only widens an interval, so a cell once certified stays so.
        pending = primary - certified
        if not pending:
            break
        found = _component_intervals(values, suppressed, constraints, by_cell, pending)
        intervals.update(found)
        certified |= {k for k, (lo, hi) in found.items() if hi - lo >= width}
        failing = sorted(pending - certified, key=repr)
        if not failing:
            break
        added = False
        for cell in failing:
            neighbours = [k for c in by_cell.get(cell, []) for k in (c.total, *c.parts)]
            pick = cheapest(neighbours)
            if pick is None:  # its own constraints are all suppressed: widen through their cells
                second = [
                    k for n in neighbours for c in by_cell.get(n, []) for k in (c.total, *c.parts)
                ]
                pick = cheapest(second)
            if pick is not None:
                suppressed.add(pick)
                added = True
                break
        if not added:
            pick = cheapest(values)
            if pick is None:
                break  # everything is suppressed
            suppressed.add(pick)
    cells = {
        k: ProtectedCell(
            k,
            None if k in suppressed else v,
            "primary" if k in primary else "secondary" if k in suppressed else "published",
        )
        for k, v in values.items()
    }
    return Protection(cells, tuple(constraints), threshold, width, intervals)


def differencing_risks(
    values: Mapping[CellKey, int],
    whole: Mapping[CellKey, int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> set[CellKey]:
    """Cells of a subset table (``values``) that, subtracted from the same cell published in the
    table of everyone (``whole``), would give a count ``0 < n < threshold``: the people of
    that cell *outside* the subset. Protected as primary cells of the subset table, each one's
    attacker interval is at least the protection width, and so is its complement's."""
    return {k for k, v in values.items() if k in whole and 0 < whole[k] - v < threshold}


# --------------------------------------------------------------------------- rapporteur tables


@dataclass(frozen=True, slots=True)
class VictimStat:
    """One identified or presumed victim, as the statistics need them (no identifying data)."""

    year: int  # year of registration (or of the identification decision, as the caller chooses)
    sex: str | None
    age: int | None
    citizenship: str | None  # ISO 3166-1 alpha-2
    country_of_exploitation: str | None
    forms_of_exploitation: tuple[str, ...] = ()
    referral_outcome: str | None = None
    referral_date: date | None = None
    decision_date: date | None = None


UNKNOWN = "Unknown"
NO_DECISION = "No decision"
DECISION_BANDS = (
    (0, 30, "0-30 days"),
    (31, 90, "31-90 days"),
    (91, 180, "91-180 days"),
    (181, 365, "181-365 days"),
    (366, None, "over 365 days"),
)

# Dimensions: name → (how to read a victim, additive?). Forms of exploitation
# are not additive: one victim may suffer several.
Dimension = Literal[
    "sex",
    "age_group",
    "citizenship",
    "country_of_exploitation",
    "form_of_exploitation",
    "referral_outcome",
    "days_referral_to_decision",
]
DIMENSIONS: tuple[Dimension, ...] = (
    "sex",
    "age_group",
    "citizenship",
    "country_of_exploitation",
    "form_of_exploitation",
    "referral_outcome",
    "days_referral_to_decision",
)


def _decision_band(v: VictimStat) -> str:
    if v.referral_date is None or v.decision_date is None:
        return NO_DECISION
    days = (v.decision_date - v.referral_date).days
    if days < 0:
        raise ValueError("an identification decision dated before its referral")
    for low, high, label in DECISION_BANDS:
        if days >= low and (high is None or days <= high):
            return label
    raise AssertionError("unreachable")


def _values_of(v: VictimStat, dim: Dimension) -> tuple[str, ...]:
    if dim == "sex":
        return (v.sex or UNKNOWN,)
    if dim == "age_group":
        return (ctdc_age_band(v.age) if v.age is not None else UNKNOWN,)
    if dim == "citizenship":
        return (v.citizenship or UNKNOWN,)
    if dim == "country_of_exploitation":
        return (v.country_of_exploitation or UNKNOWN,)
    if dim == "form_of_exploitation":
        return tuple(dict.fromkeys(v.forms_of_exploitation)) or (UNKNOWN,)
    if dim == "referral_outcome":
        return (v.referral_outcome or "No referral",)
    return (_decision_band(v),)


@dataclass(frozen=True)
class RapporteurTables:
    protection: Protection
    years: tuple[int, ...]
    categories: dict[str, tuple[str, ...]]  # dimension → its values, in order

    def rows(self) -> list[dict[str, object]]:
        """Long format: one row per published or suppressed cell (value None when suppressed)."""
        out: list[dict[str, object]] = []
        cells = self.protection.cells

        def emit(table: str, category: str, year: str, key: CellKey) -> None:
            c = cells[key]
            out.append(
                {
                    "table": table,
                    "category": category,
                    "year": year,
                    "value": c.value,
                    "status": c.status,
                }
            )

        emit("victims", "Total", "All years", ("total",))
        for y in self.years:
            emit("victims", "Total", str(y), ("year", y))
        for dim, values in self.categories.items():
            for value in values:
                emit(dim, value, "All years", (dim, value))
                for y in self.years:
                    emit(dim, value, str(y), (dim, value, y))
        return out

    def write_csv(self, out: Path | TextIO) -> None:
        """CSV with suppressed cells written as ``x`` (the statistical convention)."""
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8", newline="") as fh:
                self.write_csv(fh)
                return
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["table", "category", "year", "value", "status"])
        for r in self.rows():
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        r["table"],
                        r["category"],
                        r["year"],
                        "x" if r["value"] is None else r["value"],
                        r["status"],
                    )
                ]
            )


COUNTRY_DIMENSIONS: tuple[Dimension, ...] = ("citizenship", "country_of_exploitation")


def _country_groups(totals: Mapping[str, int], minimum: int) -> dict[str, str]:
    """Countries with fewer than ``minimum`` victims → their M49 region, then "Other".

    Generalising before suppressing, as the microdata release does: a table of
    two hundred countries whose rows are all suppressed tells the Rapporteur
    nothing, while "Other – Western Africa" keeps most of what is known.
    """
    table = m49_table()
    group = {c: c for c in totals}
    for level in ("intermediate", "region"):
        sums: dict[str, int] = {}
        for c, g in group.items():
            sums[g] = sums.get(g, 0) + totals[c]
        for c, g in list(group.items()):
            if sums[g] >= minimum or UNKNOWN in (g, c):
                continue
            row = table.get(c)
            if row is None or not row.region:
                group[c] = "Other"
            elif level == "intermediate":
                group[c] = f"Other – {row.intermediate_region or row.sub_region}"
            else:
                group[c] = f"Other – {row.region}"
    return group


def rapporteur_tables(
    victims: Iterable[VictimStat],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    protection_width: int | None = None,
    dimensions: Sequence[Dimension] = DIMENSIONS,
    country_minimum: int | None = None,
) -> RapporteurTables:
    """Victims by year × each dimension, with margins, protected jointly.

    Countries (citizenship, country of exploitation) with fewer than
    ``country_minimum`` victims over all years (default ``5 × threshold``) are
    grouped by M49 region before protection.
    """
    minimum = 5 * threshold if country_minimum is None else country_minimum
    victims = list(victims)
    groups: dict[str, dict[str, str]] = {}
    for dim in COUNTRY_DIMENSIONS:
        if dim in dimensions:
            totals: dict[str, int] = {}
            for v in victims:
                for value in _values_of(v, dim):
                    totals[value] = totals.get(value, 0) + 1
            groups[dim] = _country_groups(totals, minimum)
    counts: dict[CellKey, int] = {("total",): 0}
    categories: dict[str, set[str]] = {d: set() for d in dimensions}
    years: set[int] = set()
    for v in victims:
        years.add(v.year)
        counts[("total",)] += 1
        counts[("year", v.year)] = counts.get(("year", v.year), 0) + 1
        for dim in dimensions:
            for value in _values_of(v, dim):
                value = groups[dim][value] if dim in groups else value
                categories[dim].add(value)
                counts[(dim, value)] = counts.get((dim, value), 0) + 1
                counts[(dim, value, v.year)] = counts.get((dim, value, v.year), 0) + 1
    ys = tuple(sorted(years))
    cats = {
        d: tuple(
            sorted(
                vals,
                key=lambda s: (
                    s in (UNKNOWN, NO_DECISION, "No referral") or s.startswith("Other"),
                    s,
                ),
            )
        )
        for d, vals in categories.items()
    }
    constraints = [Constraint(("total",), tuple(("year", y) for y in ys))] if ys else []
    for name, values in cats.items():
        for value in values:
            for y in ys:
                counts.setdefault((name, value, y), 0)
            constraints.append(Constraint((name, value), tuple((name, value, y) for y in ys)))
        if name != "form_of_exploitation":
            constraints.append(Constraint(("total",), tuple((name, v) for v in values)))
            for y in ys:
                constraints.append(Constraint(("year", y), tuple((name, v, y) for v in values)))
    protection = protect(
        counts, constraints, threshold=threshold, protection_width=protection_width
    )
    # Shown in reading order (age bands by age: "0--8", "9--17", … "48+"); the protection above
    # was worked out on the alphabetical order, which it keeps.
    shown = {d: tuple(sorted(vals, key=display_order)) for d, vals in cats.items()}
    return RapporteurTables(protection, ys, shown)


def display_order(value: str) -> tuple[bool, float, str]:
    """Sort key of a category as people read it: a label that starts with a number ("9--17",
    "0-30 days", "48+") by that number, others alphabetically; unknown and "other" last."""
    tail = value in (UNKNOWN, NO_DECISION, "No referral") or value.startswith("Other")
    m = re.match(r"\d+", value)
    return (tail, float(m.group()) if m else float("inf"), value)
