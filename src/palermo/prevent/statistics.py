"""Protected counts of the online-risk tools: adverts screened and worker reports received.

Counted by ISO week, by warning sign (indicator) and by country (reports) or language (adverts),
over the last ``WEEKS`` weeks. Small cells are protected the way the statistics context protects
the Rapporteur tables (``palermo.stats.small_cells``): every count below the threshold is
suppressed, and the week and country breakdowns share the total through additive constraints,
so a suppressed cell cannot be worked out from the total and the other cells. Signs are not
additive (one report, several signs), so primary suppression is their whole protection, as
the monitoring indicators do for forms of exploitation.

What is not counted: the public "check a job offer" page. It stores nothing and logs nothing
(docs/prevent.md), so there is nothing to count, by design.

Pure: no Django imports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from palermo.stats.small_cells import DEFAULT_THRESHOLD, CellKey, Constraint, protect

WEEKS = 26
UNKNOWN = ""  # a report without a country, an advert without a language


@dataclass(frozen=True)
class Fact:
    """One counted item: the day it arrived, its country or language, its warning signs."""

    day: date
    place: str
    signs: frozenset[str]


@dataclass(frozen=True)
class Breakdown:
    dimension: str  # "week", "place" or "sign"
    cells: tuple[tuple[str, int | None], ...]  # (category, count or None when suppressed)


@dataclass(frozen=True)
class Counts:
    total: int | None
    since: date
    threshold: int
    breakdowns: tuple[Breakdown, ...]

    def by(self, dimension: str) -> dict[str, int | None]:
        for b in self.breakdowns:
            if b.dimension == dimension:
                return dict(b.cells)
        raise KeyError(dimension)


def period_start(today: date, weeks: int = WEEKS) -> date:
    """The Monday ``weeks - 1`` weeks before this week's: whole ISO weeks, this one included."""
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def protected_counts(
    facts: Iterable[Fact],
    *,
    today: date,
    weeks: int = WEEKS,
    threshold: int = DEFAULT_THRESHOLD,
) -> Counts:
    since = period_start(today, weeks)
    rows = [f for f in facts if since <= f.day <= today]
    per_week = Counter(iso_week(f.day) for f in rows)
    per_place = Counter(f.place for f in rows)
    per_sign = Counter(s for f in rows for s in f.signs)
    # Every week of the period is a cell, empty ones too: a zero describes no one, and a
    # missing week would read as "not counted".
    week_keys = sorted({iso_week(since + timedelta(weeks=n)) for n in range(weeks)})
    values: dict[CellKey, int] = {("total",): len(rows)}
    values.update({("week", w): per_week.get(w, 0) for w in week_keys})
    values.update({("place", p): n for p, n in per_place.items()})
    values.update({("sign", s): n for s, n in per_sign.items()})
    constraints = [
        Constraint(("total",), tuple(("week", w) for w in week_keys)),
        Constraint(("total",), tuple(("place", p) for p in sorted(per_place))),
    ]
    published = protect(values, constraints, threshold=threshold).published()

    def cells(dim: str, keys: Sequence[str]) -> Breakdown:
        return Breakdown(dim, tuple((k, published.get((dim, k))) for k in keys))

    places = sorted(per_place, key=lambda p: (p == UNKNOWN, p))
    signs = sorted(per_sign)  # not by count: the order would rank the suppressed cells
    return Counts(
        total=published.get(("total",)),
        since=since,
        threshold=threshold,
        breakdowns=(cells("week", week_keys), cells("place", places), cells("sign", signs)),
    )
