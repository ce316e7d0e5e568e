"""Benchmark: the monitoring indicators over the cases of a real database, and the annual report.

    DATABASE_URL=postgres:///palermo_bench?host=/var/run/postgresql \\
        .venv/bin/python benchmarks/monitor_db.py

Runs against whatever database DATABASE_URL names (build a large one first, e.g. with
``benchmarks/cases_load.py``). Prints, beside the machine's plain-Python calibration and load:

* every indicator computed from the database — the read of the case facts
  (``cases.selectors.monitoring_facts``), the investigations linked per case
  (``investigate.selectors.investigations_per_case``), conditions, counting and small-cell
  protection (target: < 30 s for 1,000,000 cases on PostgreSQL);
* the annual report as PDF, DOCX and HTML with its charts, and 20 charts rendered as PNG
  (target: the report with 20 charts in < 15 s).
"""

from __future__ import annotations

import os
import resource
import sys
import time


def calibration() -> float:
    start = time.perf_counter()
    n = 0
    for i in range(10_000_000):
        n += i
    return time.perf_counter() - start


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("PALERMO_TESTING", "1")  # no demo key files; auditing as configured
    import django

    django.setup()
    from palermo.cases.models import Case
    from palermo.monitor import charts, report, selectors

    print(f"calibration: 10^7-step loop {calibration():.2f} s; load {os.getloadavg()}")
    n = Case.objects.count()
    print(f"cases in the database: {n:,}")
    start = time.perf_counter()
    results = selectors.indicator_results(None, None, year=None)
    took = time.perf_counter() - start
    print(f"all {len(results)} indicators over {n:,} cases: {took:.1f} s (target < 30 s at 10^6)")
    for fmt in ("pdf", "docx", "html"):
        start = time.perf_counter()
        out = report.annual_report(actor=None, organisation=None, year=None, fmt=fmt)
        print(f"annual report {fmt}: {time.perf_counter() - start:.1f} s, {len(out):,} bytes")
    chart = charts.bars("Benchmark", [(f"Row {i}", i * 3) for i in range(8)])
    start = time.perf_counter()
    for _ in range(20):
        charts.render(chart, "png")
    print(
        f"20 charts as PNG: {time.perf_counter() - start:.1f} s (target: report with 20 charts < 15 s)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
