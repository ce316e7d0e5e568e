"""Benchmark: the pure part of the monitoring indicators over N synthetic case facts.

    .venv/bin/python benchmarks/monitor_indicators.py [N]

Times ``indicators.compute_all`` (conditions, counting, small-cell protection) over N
``MonitoringFact``-shaped records built in memory. It does NOT time the database read
(``cases.selectors.monitoring_facts``), which the issue's target (every indicator over
1,000,000 cases on PostgreSQL in < 30 s) also includes: that needs a database of 10⁶ cases.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

from palermo.monitor import indicators

FORMS = (
    "ForcedLabour",
    "SexualExploitation",
    "ForcedBegging",
    "ForcedMarriage",
    "OrganRemoval",
    "Servitude",
)
STATUSES = ("potential", "presumed", "identified", "not_identified")


@dataclass(frozen=True, slots=True)
class Fact:
    case_id: int
    reference: str
    year: int
    identification_status: str
    is_child: bool
    forms: tuple[str, ...]
    guardian_due_on: date | None
    guardian_appointed_on: date | None
    reflection_period_granted: bool
    referrals_sent: int
    referrals_accepted: int
    compensation_claimed: int
    compensation_awarded: int


def synthetic(n: int, seed: int = 2026) -> list[Fact]:
    rng = random.Random(seed)
    base = date(2025, 1, 1)
    out = []
    for i in range(n):
        child = rng.random() < 0.2
        due = base + timedelta(days=rng.randrange(365)) if child else None
        appointed = (
            due + timedelta(days=rng.randrange(-2, 5)) if due and rng.random() < 0.8 else None
        )
        sent = rng.randrange(3)
        claimed = 1 if rng.random() < 0.1 else 0
        out.append(
            Fact(
                i,
                f"NRM-{i}",
                2025,
                rng.choice(STATUSES),
                child,
                tuple(rng.sample(FORMS, rng.randrange(1, 3))),
                due,
                appointed,
                rng.random() < 0.7,
                sent,
                min(sent, rng.randrange(3)),
                claimed,
                claimed if rng.random() < 0.4 else 0,
            )
        )
    return out


def main() -> None:
    from benchenv import begin, result

    quick = "--quick" in sys.argv
    argv = [a for a in sys.argv[1:] if a != "--quick"]
    n = int(argv[0]) if argv else (100_000 if quick else 1_000_000)
    begin("monitor_indicators", quick=quick)
    t0 = time.perf_counter()
    facts = synthetic(n)
    t1 = time.perf_counter()
    results = indicators.compute_all(facts)
    t2 = time.perf_counter()
    print(f"{n:,} synthetic case facts built in {t1 - t0:.1f} s")
    print(
        f"{len(results)} indicators computed and protected in {t2 - t1:.2f} s "
        f"({n / (t2 - t1):,.0f} cases/s); peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    result(f"monitoring indicators over {n:,} cases, cases/s", round(n / (t2 - t1)))
    for r in results:
        print(
            f"  {r.definition.id}: "
            + ", ".join(
                f"{f.label}={'x' if f.value is None else f.value}"
                + (f"/{f.denominator}" if r.definition.is_share else "")
                for f in r.figures
            )
        )


if __name__ == "__main__":
    main()
