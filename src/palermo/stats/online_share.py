"""The share of cases recruited online (issue 19, item 5), by year, country of exploitation and
form of exploitation, with the Rapporteur tables' small-cell protection.

A case counts as **recruited online** when its recorded methods of recruitment (HTCDS
``vic_MethodOfRecruitment``) include an online advertisement or online social networks. The
share is taken over the cases whose method of recruitment is **recorded**; cases without one are
counted apart (``not recorded``) and never treated as offline.

Each row holds three counts that add up — recorded = online + offline — and the year and
country rows add up to the total, so all of them are protected jointly by
``small_cells.protect``: a count from 1 to threshold − 1 is suppressed, and so is a second cell
wherever the first could be worked out by subtraction (an offline count of 3 would give the
online count away). Forms of exploitation are not additive (one case, several forms): only their
own triad constrains them. Countries with few recorded cases are grouped by M49 region first,
as in the Rapporteur tables. A share is shown only when both its counts are published.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from palermo.stats.small_cells import (
    DEFAULT_THRESHOLD,
    UNKNOWN,
    CellKey,
    Constraint,
    _country_groups,
    display_order,
    protect,
)

ONLINE_METHODS = frozenset({"ThroughAnOnlineAdvertisement", "ThroughOnlineSocialNetworks"})
NOT_RECORDED = frozenset({"", "Unknown", "NotKnown", "DontKnow", "NotSpecified"})

Breakdown = Literal["year", "country", "form"]
BREAKDOWNS: tuple[Breakdown, ...] = ("year", "country", "form")
MEASURES = ("online", "offline", "recorded")


@dataclass(frozen=True, slots=True)
class RecruitmentFact:
    """One case as this table needs it (no identifying value)."""

    year: int
    country_of_exploitation: str | None
    forms: tuple[str, ...]
    methods: tuple[str, ...]


def recruited_online(methods: Iterable[str]) -> bool | None:
    """True/False, or None when no method of recruitment is recorded."""
    known = [m for m in methods if m and m not in NOT_RECORDED]
    if not known:
        return None
    return any(m in ONLINE_METHODS for m in known)


@dataclass(frozen=True, slots=True)
class ShareRow:
    breakdown: str  # "total", "year", "country" or "form"
    value: str  # the year, country (or group), form; "" for the total
    online: int | None  # None when suppressed
    recorded: int | None
    share: float | None  # online / recorded, when both are published and recorded > 0


@dataclass(frozen=True, slots=True)
class OnlineShare:
    rows: tuple[ShareRow, ...]
    not_recorded: int | None  # cases without a recorded method (None when 1..threshold-1)
    threshold: int

    def of(self, breakdown: str) -> list[ShareRow]:
        return [r for r in self.rows if r.breakdown == breakdown]


def _values(f: RecruitmentFact, breakdown: Breakdown, groups: dict[str, str]) -> tuple[str, ...]:
    if breakdown == "year":
        return (str(f.year),)
    if breakdown == "country":
        c = f.country_of_exploitation or UNKNOWN
        return (groups.get(c, c),)
    return tuple(dict.fromkeys(f.forms)) or (UNKNOWN,)


def online_share(
    facts: Sequence[RecruitmentFact],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    country_minimum: int | None = None,
) -> OnlineShare:
    """The protected table. Counts only; nothing identifies a case."""
    minimum = 5 * threshold if country_minimum is None else country_minimum
    recorded = [(f, online) for f in facts if (online := recruited_online(f.methods)) is not None]
    unrecorded = len(facts) - len(recorded)
    country_totals: dict[str, int] = {}
    for f, _online in recorded:
        c = f.country_of_exploitation or UNKNOWN
        country_totals[c] = country_totals.get(c, 0) + 1
    groups = _country_groups(country_totals, minimum)

    counts: dict[CellKey, int] = {(m, "total"): 0 for m in MEASURES}
    values: dict[Breakdown, set[str]] = {b: set() for b in BREAKDOWNS}
    for f, online in recorded:
        measure = "online" if online else "offline"
        counts[(measure, "total")] += 1
        counts[("recorded", "total")] += 1
        for b in BREAKDOWNS:
            for v in _values(f, b, groups):
                values[b].add(v)
                for m in (measure, "recorded"):
                    counts[(m, b, v)] = counts.get((m, b, v), 0) + 1
    ordered = {b: sorted(vs, key=display_order) for b, vs in values.items()}
    constraints = [Constraint(("recorded", "total"), (("online", "total"), ("offline", "total")))]
    for b, vs in ordered.items():
        for v in vs:
            for m in MEASURES:
                counts.setdefault((m, b, v), 0)
            constraints.append(
                Constraint(("recorded", b, v), (("online", b, v), ("offline", b, v)))
            )
        if b != "form" and vs:
            for m in MEASURES:
                constraints.append(Constraint((m, "total"), tuple((m, b, v) for v in vs)))
    # The cases without a recorded method are their own cell: all cases = recorded + unrecorded
    # is published nowhere, so it needs no constraint, only primary suppression.
    cells = protect(counts, constraints, threshold=threshold).cells

    def row(breakdown: str, value: str, key: tuple[str, ...]) -> ShareRow:
        online = cells[("online", *key)].value
        rec = cells[("recorded", *key)].value
        share = online / rec if online is not None and rec else None
        return ShareRow(breakdown, value, online, rec, share)

    rows = [row("total", "", ("total",))]
    for b in BREAKDOWNS:
        rows.extend(row(b, v, (b, v)) for v in ordered[b])
    hidden = 0 < unrecorded < threshold
    return OnlineShare(tuple(rows), None if hidden else unrecorded, threshold)
