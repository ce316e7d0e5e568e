"""Cases identified through a supply-chain labour inspection (issue 18, item 6), by year of
registration, with the Rapporteur tables' small-cell protection.

A case counts when it was opened from a screening made at a labour inspection of a supplier's
site: the supply context opens that screening with the origin ``supply_inspection``, and the
referral passes it to the case (``Case.origin``). Each row holds three counts that add up —
all cases = through an inspection + otherwise — and the year rows add up to the total, so they
are protected jointly by ``small_cells.protect``: a count from 1 to threshold − 1 is
suppressed, and so is a second cell wherever the first could be worked out by subtraction.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from palermo.stats.small_cells import DEFAULT_THRESHOLD, CellKey, Constraint, protect

SUPPLY_INSPECTION = "supply_inspection"
MEASURES = ("origin", "other", "all")


@dataclass(frozen=True, slots=True)
class OriginRow:
    year: int | None  # None for the total over all years
    identified: int | None  # cases with the origin; None when suppressed
    cases: int | None  # all cases registered that year; None when suppressed


@dataclass(frozen=True, slots=True)
class OriginCounts:
    origin: str
    rows: tuple[OriginRow, ...]  # the total first, then each year, newest first
    threshold: int

    @property
    def total(self) -> OriginRow:
        return self.rows[0]


def origin_counts(
    facts: Sequence[tuple[int, str]],
    *,
    origin: str = SUPPLY_INSPECTION,
    threshold: int = DEFAULT_THRESHOLD,
    all_cases: Mapping[int | None, int | None] | None = None,
) -> OriginCounts:
    """``facts`` are ``(year of registration, origin)`` per case. Counts only.

    ``all_cases``: the number of all cases per year (None: the total) as the Rapporteur tables
    publish it (None where they suppress it). The "all cases" column then shows exactly that:
    hidden where they hide it, shown where they show it, with the secondary suppression worked
    out around it — two tables with different suppression patterns over the same year totals
    would let a reader recover a hidden year from the pair."""
    counts: dict[CellKey, int] = {(m, "total"): 0 for m in MEASURES}
    years = sorted({year for year, _o in facts}, reverse=True)
    for y in years:
        for m in MEASURES:
            counts[(m, y)] = 0
    for year, o in facts:
        measure = "origin" if o == origin else "other"
        for key in ((measure, "total"), (measure, year), ("all", "total"), ("all", year)):
            counts[key] += 1
    constraints = [Constraint(("all", "total"), (("origin", "total"), ("other", "total")))]
    for y in years:
        constraints.append(Constraint(("all", y), (("origin", y), ("other", y))))
    if years:
        for m in MEASURES:
            constraints.append(Constraint((m, "total"), tuple((m, y) for y in years)))
    hidden: set[CellKey] = set()
    shown: set[CellKey] = set()
    for published_year, value in (all_cases or {}).items():
        cell: CellKey = ("all", "total" if published_year is None else published_year)
        if cell in counts:
            (hidden if value is None else shown).add(cell)
    cells = protect(
        counts, constraints, threshold=threshold, also_primary=hidden, public=shown
    ).cells
    rows = [OriginRow(None, cells[("origin", "total")].value, cells[("all", "total")].value)]
    rows.extend(OriginRow(y, cells[("origin", y)].value, cells[("all", y)].value) for y in years)
    return OriginCounts(origin, tuple(rows), threshold)
