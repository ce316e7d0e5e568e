"""How many audit entries per second the trail takes, with 1, 2, 4 and 8 concurrent writers.

Each writer is its own process with its own database connection and writes entries as
requests do: audited changes write one ``audit.record`` inside their transaction, audited
reads and refusals one autocommitted ``audit.record`` (both are measured). A sealer process seals
every 0.2 s meanwhile (as ``palermo worker`` does); after the writers stop, the time
to seal the rest is measured too, and the whole trail is verified. Figures: entries
written per second (all writers together) and entries sealed per second.

Target (issue 13): ≥ 5,000 entries/s with 8 writers on PostgreSQL.

    DATABASE_URL=postgres:///palermo_bench?host=/var/run/postgresql \\
        .venv/bin/python benchmarks/audit_chain.py [--seconds 5] [--writers 1,2,4,8] [--quick]

Give it a scratch database: it is migrated, and audit entries are appended to it. Without
DATABASE_URL a temporary SQLite file is used (one writer at a time: figures for
PostgreSQL only mean something there).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import begin, database_url, django_defaults, result  # noqa: E402

TARGET_8_WRITERS = 5_000


def _setup() -> None:
    django_defaults()
    import django

    django.setup()


def _writer(seconds: float, counter: mp.Value, start: mp.Barrier, mode: str) -> None:  # type: ignore[type-arg]
    """mode: "write" (one entry inside its own transaction, as an audited change is),
    "read" (one autocommitted entry, as ``record_request`` writes an audited read or refusal)
    or "plain" (the baseline: a row of the same size in its own transaction, no audit code)."""
    _setup()
    from django.db import connection, transaction

    from palermo.core import audit

    n = 0
    start.wait()  # every process has started Django: the clock starts now
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        if mode == "read":
            audit.record(action="read", object_type="bench", object_ref=f"B-{n}", details={"n": n})
        else:
            with transaction.atomic():
                if mode == "plain":
                    with connection.cursor() as cur:
                        cur.execute(_PLAIN_INSERT, [f"B-{n}", f'{{"n": {n}}}'])
                else:
                    audit.record(
                        action="read", object_type="bench", object_ref=f"B-{n}", details={"n": n}
                    )
        n += 1
    with counter.get_lock():
        counter.value += n


def _sealer(stop: mp.Event, sealed: mp.Value, start: mp.Barrier) -> None:  # type: ignore[type-arg]
    _setup()
    from palermo.core import audit

    start.wait()
    total = 0
    while not stop.is_set():
        total += audit.seal()
        stop.wait(0.2)
    with sealed.get_lock():
        sealed.value += total


_PLAIN_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_plain_insert (id {serial} PRIMARY KEY, at TIMESTAMP DEFAULT"
    " CURRENT_TIMESTAMP, ref VARCHAR(80), details TEXT, hash VARCHAR(64) DEFAULT '{zeros}')"
)
_PLAIN_INSERT = "INSERT INTO bench_plain_insert (ref, details) VALUES (%s, %s)"


def run_plain(writers: int, seconds: float) -> float:
    """Rows/s of a plain INSERT + COMMIT per row: what the database itself allows here."""
    from django.db import connection

    serial = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cur:
        cur.execute(_PLAIN_TABLE.format(serial=serial, zeros="0" * 64))
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    start = ctx.Barrier(writers + 1)
    procs = [
        ctx.Process(target=_writer, args=(seconds, counter, start, "plain")) for _ in range(writers)
    ]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.monotonic()
    for p in procs:
        p.join()
    elapsed = time.monotonic() - t0
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_plain_insert")
    return counter.value / elapsed


def run(writers: int, seconds: float, mode: str = "write") -> tuple[float, float, float]:
    """(entries written/s, entries sealed/s while writing, seconds to seal the rest)."""
    from palermo.core import audit

    audit.seal()  # start from an empty backlog
    ctx = mp.get_context("spawn")
    counter, sealed = ctx.Value("q", 0), ctx.Value("q", 0)
    stop = ctx.Event()
    start = ctx.Barrier(writers + 2)
    procs = [
        ctx.Process(target=_writer, args=(seconds, counter, start, mode)) for _ in range(writers)
    ]
    sealer = ctx.Process(target=_sealer, args=(stop, sealed, start))
    for p in [*procs, sealer]:
        p.start()
    start.wait()
    t0 = time.monotonic()
    for p in procs:
        p.join()
    elapsed = time.monotonic() - t0
    stop.set()
    sealer.join()
    t1 = time.monotonic()
    rest = audit.seal()
    drain = time.monotonic() - t1
    written = counter.value
    return written / elapsed, sealed.value / elapsed, drain if rest else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", default="1,2,4,8")
    parser.add_argument("--quick", action="store_true", help="2 s per writer count")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the plain-INSERT baseline run beside each writer count",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    if not database_url():
        os.environ["DATABASE_URL"] = (
            f"sqlite:///{tempfile.mkdtemp(prefix='palermo-bench-')}/db.sqlite3"
        )
    begin("audit_chain", quick=args.quick)
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from palermo.core.audit import verify_trail

    pg = database_url().startswith("postgres")
    for n in (int(x) for x in args.writers.split(",")):
        per_s, sealed_s, drain = run(n, args.seconds)
        is_target = pg and n == 8
        result(
            f"entries/s, {n} writer(s), one entry per transaction",
            round(per_s),
            target=f"≥ {TARGET_8_WRITERS:,} (8 writers, PostgreSQL)" if n == 8 else "",
            met=(per_s >= TARGET_8_WRITERS) if is_target else None,
        )
        result(
            f"entries sealed/s while {n} writer(s) wrote (then {drain:.2f} s to seal the rest)",
            round(sealed_s),
        )
        # Audited reads and refusals are one autocommitted INSERT each (no BEGIN, no COMMIT
        # of their own): most of a deployment's entries are written this way.
        read_s, _, _ = run(n, args.seconds, mode="read")
        result(
            f"entries/s, {n} writer(s), one autocommitted entry each (as audited reads)",
            round(read_s),
            target=f"≥ {TARGET_8_WRITERS:,} (8 writers, PostgreSQL)" if n == 8 else "",
            met=(read_s >= TARGET_8_WRITERS) if is_target else None,
        )
        if args.baseline:
            result(
                f"baseline: plain INSERT rows/s, {n} writer(s), one row per transaction",
                round(run_plain(n, args.seconds)),
            )
    # The sealer's own capacity: a backlog written in a few transactions, then sealed.
    from django.db import transaction

    from palermo.core import audit

    backlog = 5_000 if args.quick else 50_000
    audit.seal()
    t0 = time.perf_counter()
    for start in range(0, backlog, 1000):
        with transaction.atomic():
            for n in range(start, start + 1000):
                audit.record(action="read", object_type="bench", object_ref=f"S-{n}")
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sealed = audit.seal()
    seal_s = time.perf_counter() - t0
    result(
        "record() cost, µs per entry (1,000 per transaction, one process)",
        round(write_s / backlog * 1e6, 1),
    )
    result(
        f"sealer capacity, entries/s ({sealed:,} entries backlog, one sealer)",
        round(sealed / seal_s),
        target=f"≥ {TARGET_8_WRITERS:,}",
        met=sealed / seal_s >= TARGET_8_WRITERS,
    )
    problems = verify_trail()
    result("trail verifies after the run", "yes" if not problems else f"NO ({len(problems)})")


if __name__ == "__main__":
    main()
