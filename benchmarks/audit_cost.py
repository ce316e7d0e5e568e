"""What the audit trail costs a request.

Times an audited page request (the audit viewer, which records a `read` entry)
with the trail on and off, interleaved in one run so both see the same
machine, and prints the medians side by side. Target (issue 13): under 0.5 ms added.

    .venv/bin/python benchmarks/audit_cost.py [--requests 500]
    DATABASE_URL=postgres:///palermo_bench?host=/var/run/postgresql .venv/bin/python benchmarks/audit_cost.py

The database is a temporary SQLite file unless DATABASE_URL is set (then that
database is migrated and used: give it a scratch database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

TARGET_MS = 0.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="100 requests each way")
    args = parser.parse_args()
    if args.quick:
        args.requests = 100
    from benchenv import begin, result

    begin("audit_cost", quick=args.quick)

    tmp = tempfile.mkdtemp(prefix="palermo-bench-")
    os.environ.setdefault("PALERMO_VAR_DIR", tmp)
    os.environ.setdefault("PALERMO_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from palermo.core.demo import load_demo
    from palermo.core.models import AuditEntry, User

    call_command("migrate", verbosity=0)
    load_demo()
    client = Client()
    client.force_login(User.objects.get(username="coordinator"))
    url = "/audit/?object_type=case"
    for _ in range(30):  # warm-up: templates, connections, caches
        client.get(url)

    on: list[float] = []
    off: list[float] = []
    cpu_on: list[float] = []
    cpu_off: list[float] = []
    before = AuditEntry.objects.count()
    for i in range(args.requests * 2):
        enabled = i % 2 == 0
        settings.PALERMO_AUDIT_ENABLED = enabled
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - t0) * 1000
        (cpu_on if enabled else cpu_off).append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
        (on if enabled else off).append(elapsed)
    written = AuditEntry.objects.count() - before
    settings.PALERMO_AUDIT_ENABLED = True

    med_on, med_off = statistics.median(on), statistics.median(off)
    added = med_on - med_off
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"database: {engine}; requests: {args.requests} with the trail on, {args.requests} off (interleaved)"
    )
    print(f"audit entries written while on: {written}")
    print(f"{'':<18}{'trail on':>10}{'trail off':>11}")
    print(f"{'median (ms)':<18}{med_on:>10.2f}{med_off:>11.2f}")
    print(
        f"{'p95 (ms)':<18}{statistics.quantiles(on, n=20)[18]:>10.2f}{statistics.quantiles(off, n=20)[18]:>11.2f}"
    )
    print(
        f"added per request (median): {added:.2f} ms   target: < {TARGET_MS} ms   "
        f"{'MET' if added < TARGET_MS else 'NOT MET'}"
    )
    cpu_added = statistics.median(cpu_on) - statistics.median(cpu_off)
    print(
        f"CPU of this process per request (median): on {statistics.median(cpu_on):.2f} ms, "
        f"off {statistics.median(cpu_off):.2f} ms; the wall time adds the database's commit"
    )
    result(
        f"audited request, ms CPU added in Palermo's process (median, {engine})",
        round(cpu_added, 3),
        target=f"< {TARGET_MS}",
        met=cpu_added < TARGET_MS,
    )
    result(
        f"audited request, ms added by the trail (median, {engine})",
        round(added, 3),
        target=f"< {TARGET_MS}",
        met=added < TARGET_MS,
    )
    from palermo.core.audit import seal, verify_trail

    print(f"entries sealed after the run: {seal():,}")
    print(f"trail verifies after the run: {'yes' if not verify_trail() else 'NO'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
