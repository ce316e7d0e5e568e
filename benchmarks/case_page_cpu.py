"""CPU time of the audited case page, the case list and a search, in process.

For a shared or busy machine, where wall-clock percentiles from
benchmarks/cases_latency.py mostly measure the neighbours: this renders the pages
(the same views, middleware and audit entries as in production) through Django's
test client against the database benchmarks/cases_load.py filled, and reports the
CPU time of this process per page (p50/p95), the wall time and the queries per page.
Targets (issue 13): case page <= 25 ms, list and search <= 20 ms of server CPU at
1,000,000 cases, on a machine whose 10**7-step Python loop takes about 1 s.

    DATABASE_URL=postgres:///palermo_bench_cases?host=/var/run/postgresql \\
        PYTHONPATH=src .venv/bin/python benchmarks/case_page_cpu.py [--pages 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases_load import DEFAULT_URL, _db_url, calibration  # noqa: E402

TARGET_MS = {"case page": 25.0, "list": 20.0, "search": 20.0}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", default=None, help="database name (default: the one in DATABASE_URL)"
    )
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = _db_url(os.environ.get("DATABASE_URL") or DEFAULT_URL, args.db)
    os.environ.setdefault("PALERMO_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("PALERMO_LOG_LEVEL", "ERROR")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from palermo.core.models import User

    print(calibration(), flush=True)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case")
        n_cases = cur.fetchone()[0]
        cur.execute(
            "SELECT c.reference FROM cases_case c JOIN cases_caseteammember t ON t.case_id = c.id "
            "JOIN core_organisation o ON o.id = t.organisation_id WHERE o.name LIKE 'Eastbay%%' "
            "AND t.removed_at IS NULL ORDER BY c.id LIMIT 20000"
        )
        refs = [r[0] for r in cur.fetchall()]
    rng = random.Random(args.seed)
    client = Client(HTTP_HOST="127.0.0.1")
    # A case-team member (identity, contacts, notes): the heaviest case page.
    client.force_login(User.objects.get(username="outreach"))
    searches = [
        lambda: {"q": rng.choice(refs)[:6]},
        lambda: {"nationality": "RO", "exploitation": "ForcedLabour"},
        lambda: {"phase": "first_line", "deadline": "overdue"},
        lambda: {"status": "Active", "child": "yes", "sort": "deadline"},
    ]
    kinds = {
        "case page": lambda: (f"/cases/{rng.choice(refs)}/", {}),
        "list": lambda: ("/cases/", {"page": rng.randint(1, 20)} if rng.random() < 0.3 else {}),
        "search": lambda: ("/cases/", rng.choice(searches)()),
    }
    print(f"{n_cases:,} cases; {args.pages} pages of each kind as a case-team member (outreach)")
    print(
        f"{'page':<11}{'queries':>8}{'CPU p50':>9}{'CPU p95':>9}{'CPU mean':>10}{'wall p50':>10}{'wall p95':>10}   target CPU"
    )
    for kind, make in kinds.items():
        for _ in range(10):  # warm-up
            url, params = make()
            client.get(url, params)
        url, params = make()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, params)
        n_queries = len(ctx.captured_queries)
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(args.pages):
            url, params = make()
            c0, w0 = time.process_time(), time.perf_counter()
            r = client.get(url, params)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        print(
            f"{kind:<11}{n_queries:>8}{_pct(cpu, 50):>9.1f}{_pct(cpu, 95):>9.1f}"
            f"{statistics.fmean(cpu):>10.1f}{_pct(wall, 50):>10.1f}{_pct(wall, 95):>10.1f}"
            f"   <= {TARGET_MS[kind]:.0f} ms (p50)"
        )
    print(calibration())


if __name__ == "__main__":
    main()
