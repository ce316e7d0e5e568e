"""Latency of the case list, search and case page under concurrent users.

Starts gunicorn on the database that benchmarks/cases_load.py filled, signs in
N simulated users (half co-ordinators who see every case, half NGO case
workers who see their team's cases), and lets each one loop for --duration
seconds: open the case list (30 %), search (30 %: reference prefix, filters,
overdue deadlines), open a case page (40 %), waiting --think seconds on
average between requests like a person reading the page (a locust-style
closed loop; --think 0 hammers the server). Every case page read is audited,
as in production. Prints p50/p95/p99 per kind of request and the targets.

    DATABASE_URL=postgres:///palermo_bench_cases?host=/var/run/postgresql \
        .venv/bin/python benchmarks/cases_latency.py [--users 20] [--duration 60] [--workers 4 --threads 2]

The connection comes from DATABASE_URL (as for benchmarks/cases_load.py; --db overrides the
database name only); the server listens on a free loopback port unless --port is given.
Prints the machine's plain-Python calibration (a 10**7-step loop) and the load average
before and after, beside the figures: on a shared machine they say what the figures mean.

The load generator runs on the same machine as the server and the database,
so on a small machine it takes a share of the CPU the server would have.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases_load import DEFAULT_URL, _conninfo, _db_url, calibration  # noqa: E402

TARGET_MS = {"list": 200.0, "search": 200.0, "case page": 150.0}
PASSWORD = "Palermo-demo-2026"  # noqa: S105 – the fictional demo accounts of the benchmark database


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sample_references(url: str) -> dict[str, list[str]]:
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(url)["NAME"]
    with psycopg.connect(_conninfo(url, db)) as conn:
        everyone = [
            r[0]
            for r in conn.execute(
                "SELECT reference FROM cases_case TABLESAMPLE SYSTEM (1) LIMIT 5000"
            ).fetchall()
        ]
        eastbay = conn.execute(
            "SELECT id FROM core_organisation WHERE name LIKE 'Eastbay%%'"
        ).fetchone()[0]
        team = [
            r[0]
            for r in conn.execute(
                "SELECT c.reference FROM cases_case c TABLESAMPLE SYSTEM (1) JOIN cases_caseteammember t ON t.case_id = c.id"
                " WHERE t.organisation_id = %s AND t.removed_at IS NULL LIMIT 5000",
                [eastbay],
            ).fetchall()
        ]
        count = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        events = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'cases_caseevent'"
        ).fetchone()[0]
    print(f"database {db}: {count:,} cases, about {events:,} timeline events")
    return {"coordinator": everyone, "outreach": team}


def _start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "PALERMO_DEMO": "1",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "palermo.settings",
            "PALERMO_LOG_LEVEL": "ERROR",
            "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"),
        }
    )
    proc = subprocess.Popen(  # noqa: S603 – our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "palermo.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


def _sign_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    r = s.get(f"{base}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    assert token, "no CSRF token on the login page"
    r = s.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=60,
    )
    if "/accounts/login/" in r.url:
        raise SystemExit(f"could not sign in as {username}")
    return s


SEARCHES = [
    lambda rng, refs: {"q": rng.choice(refs)[:6]},
    lambda rng, refs: {"q": rng.choice(refs)},
    lambda rng, refs: {
        "nationality": rng.choice(["RO", "MD", "UA", "NG"]),
        "exploitation": "ForcedLabour",
    },
    lambda rng, refs: {"phase": rng.choice(["first_line", "proceedings"]), "deadline": "overdue"},
    lambda rng, refs: {"status": "Active", "child": "yes", "sort": "deadline"},
    lambda rng, refs: {"exploitation": "SexualExploitation", "sort": "oldest"},
]


def _user_loop(
    session: requests.Session,
    base: str,
    refs: list[str],
    stop_at: float,
    warm_until: float,
    think: float,
    seed: int,
    out: dict[str, list[float]],
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    rng = random.Random(seed)
    while time.time() < stop_at:
        roll = rng.random()
        if roll < 0.3:
            kind, url, params = (
                "list",
                f"{base}/cases/",
                ({"page": rng.randint(2, 20)} if rng.random() < 0.3 else {}),
            )
        elif roll < 0.6:
            kind, url, params = "search", f"{base}/cases/", rng.choice(SEARCHES)(rng, refs)
        else:
            kind, url, params = "case page", f"{base}/cases/{rng.choice(refs)}/", {}
        t0 = time.perf_counter()
        try:
            r = session.get(url, params=params, timeout=30)
            ok = r.status_code == 200
        except requests.RequestException:
            ok = False
        ms = (time.perf_counter() - t0) * 1000
        if time.time() >= warm_until:
            with lock:
                if ok:
                    out[kind].append(ms)
                else:
                    errors[kind] += 1
        if think > 0:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", default=None, help="database name (default: the one in DATABASE_URL)"
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of measurement")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between a user's requests"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="0: a free loopback port")
    args = parser.parse_args()

    url = _db_url(os.environ.get("DATABASE_URL") or DEFAULT_URL, args.db)
    print(calibration(), flush=True)
    refs = _sample_references(url)
    port = args.port or _free_port()
    proc = _start_server(url, port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    try:
        # Sign everyone in first, one after another: a password check is deliberately slow
        # (PBKDF2), and twenty at once on two cores would time out before any page is read.
        who = ["coordinator" if i % 2 == 0 else "outreach" for i in range(args.users)]
        sessions = [_sign_in(base, w) for w in who]
        start = time.time()
        warm_until = start + args.warmup
        stop_at = warm_until + args.duration
        threads = []
        for i in range(args.users):
            t = threading.Thread(
                target=_user_loop,
                args=(
                    sessions[i],
                    base,
                    refs[who[i]],
                    stop_at,
                    warm_until,
                    args.think,
                    i,
                    out,
                    errors,
                    lock,
                ),
            )
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

    total = sum(len(v) for v in out.values())
    print(
        f"\n{args.users} users, {args.duration:.0f} s, think time {args.think} s, gunicorn {args.workers}x{args.threads}: "
        f"{total:,} requests ({total / args.duration:.1f}/s), "
        f"{sum(errors.values())} errors"
    )
    print(
        f"{'request':<12}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}   target p95"
    )
    for kind in ("list", "search", "case page"):
        v = out[kind]
        # 20 users: the targets above; 50 users (issue 13): p95 < 400 ms for every kind.
        target = TARGET_MS[kind] if args.users <= 20 else 400.0
        mark = "ok" if v and _percentile(v, 95) <= target else "MISSED"
        print(
            f"{kind:<12}{len(v):>8}{_percentile(v, 50):>10.1f}{_percentile(v, 95):>10.1f}{_percentile(v, 99):>10.1f}"
            f"{(statistics.fmean(v) if v else float('nan')):>10.1f}   < {target:.0f} ms  {mark}"
        )
    print(calibration())


if __name__ == "__main__":
    main()
