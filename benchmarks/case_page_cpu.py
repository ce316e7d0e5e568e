"""CPU time of the audited case page, in process (no HTTP server, no load generator).

For a shared or busy machine, where wall-clock percentiles from
benchmarks/cases_latency.py mostly measure the neighbours: this renders the case
page (the same view, middleware and audit entry as in production) through
Django's test client against the database benchmarks/cases_load.py filled, and
reports the CPU time of this process per page (p50/p95) and the wall time.
Compare two code versions on their own databases to see what a change costs.

    PYTHONPATH=src .venv/bin/python benchmarks/case_page_cpu.py [--db palermo_bench_cases] [--pages 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="palermo_bench_cases")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres:///{args.db}?host=/var/run/postgresql"
    os.environ.setdefault("PALERMO_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("PALERMO_LOG_LEVEL", "ERROR")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from palermo.core.models import User

    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.reference FROM cases_case c JOIN cases_caseteammember t ON t.case_id = c.id "
            "JOIN core_organisation o ON o.id = t.organisation_id WHERE o.name LIKE 'Eastbay%%' "
            "AND t.removed_at IS NULL ORDER BY c.id LIMIT 20000"
        )
        refs = [r[0] for r in cur.fetchall()]
    rng = random.Random(args.seed)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username="outreach")
    )  # case team: identity, contacts, notes
    for ref in refs[:10]:  # warm-up
        client.get(f"/cases/{ref}/")
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(args.pages):
        ref = rng.choice(refs)
        c0, w0 = time.process_time(), time.perf_counter()
        r = client.get(f"/cases/{ref}/")
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert r.status_code == 200, r.status_code
    print(f"{args.pages} case pages of {args.db} as a case-team member:")
    print(
        f"  CPU  ms: p50 {_pct(cpu, 50):6.1f}  p95 {_pct(cpu, 95):6.1f}  mean {statistics.fmean(cpu):6.1f}"
    )
    print(
        f"  wall ms: p50 {_pct(wall, 50):6.1f}  p95 {_pct(wall, 95):6.1f}  mean {statistics.fmean(wall):6.1f}"
    )


if __name__ == "__main__":
    main()
