"""The public "check a job offer" page under load: the issue's ≥ 200 requests/s on this machine.

Serves Palermo with its production server (`palermo serve`: gunicorn, WhiteNoise) on a free
loopback port, then sends GET /check/ at a fixed rate (open loop: request i is due at
start + i/rate whatever happened to the ones before, so a slow server shows up as latency and
a lower achieved rate, not as a politely slower client). Latency is measured from the time a
request was due, so queueing in the client counts (no coordinated omission).

    .venv/bin/python benchmarks/prevent_check_load.py [--rate 200] [--duration 20]
        [--workers 2] [--threads 4] [--clients 32] [--quick]

Prints the achieved rate, p50/p95/p99, errors (anything but 200, and timeouts), and `uptime`
before and after. The database is a temporary SQLite file unless DATABASE_URL is set (a GET
of the blank page reads no row: it is rendered once per language and served from memory).
Only GET is timed: answering the questions (POST) is rate-limited per client (60 in 10 minutes, prevent/throttle.py), so one load generator would
measure the limiter, not the page. The load generator runs on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchenv import begin, free_port, result

TARGET = 200.0


def _uptime() -> str:
    try:
        done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)  # noqa: S607
        return done.stdout.strip()
    except OSError:
        return "uptime not available"


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    var = tempfile.mkdtemp(prefix="palermo-bench-check-")
    env.setdefault("PALERMO_DEMO", "1")  # a throw-away secret key, DEBUG off
    env["PALERMO_VAR_DIR"] = var
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    env.setdefault("PALERMO_LOG_LEVEL", "ERROR")
    return env


def _start(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    palermo = str(Path(sys.executable).parent / "palermo")
    subprocess.run([palermo, "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
    proc = subprocess.Popen(  # noqa: S603 – our own command and arguments
        [
            palermo,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-control-socket",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    last = "no answer"
    deadline = time.time() + 180  # a loaded shared machine boots workers slowly
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/check/")
            resp = c.getresponse()
            if resp.status == 200:
                return proc
            last = f"{resp.status}: {resp.read()[:200]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the server did not answer /check/ with 200 ({last})")


def _run(port: int, rate: float, duration: float, clients: int) -> tuple[list[float], int, float]:
    """Open-loop load; returns (latencies in ms of the 200 answers, errors, wall seconds)."""
    total = int(rate * duration)
    lock = threading.Lock()
    nxt = [0]
    lat: list[float] = []
    errors = [0]
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= total:
                return
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                conn.request("GET", "/check/")
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            took = (time.perf_counter() - due) * 1000
            with lock:
                if ok:
                    lat.append(took)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors[0], time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=TARGET)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--quick", action="store_true", help="5 s instead of --duration")
    args = ap.parse_args()
    duration = 5.0 if args.quick else args.duration
    begin("prevent_check_load", quick=args.quick)
    print(f"uptime before: {_uptime()}", flush=True)
    port = free_port()
    proc = _start(_env(), port, args.workers, args.threads)
    try:
        _run(port, min(args.rate, 50.0), 2.0, 8)  # warm-up: workers import, templates compile
        lat, errors, wall = _run(port, args.rate, duration, args.clients)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    achieved = len(lat) / wall
    print(
        f"GET /check/ at {args.rate:.0f}/s offered for {duration:.0f} s, gunicorn "
        f"{args.workers} workers × {args.threads} threads, {args.clients} client threads: "
        f"{len(lat)} answered 200, {errors} errors, {wall:.1f} s",
        flush=True,
    )
    result(
        "/check/ achieved requests/s (200 answers)",
        round(achieved, 1),
        target=f"≥ {TARGET:.0f}",
        met=achieved >= TARGET * 0.98 and errors == 0,
    )
    result("/check/ latency p50 (from due time)", round(_percentile(lat, 50), 1), unit="ms")
    result("/check/ latency p95 (from due time)", round(_percentile(lat, 95), 1), unit="ms")
    result("/check/ latency p99 (from due time)", round(_percentile(lat, 99), 1), unit="ms")
    result("/check/ errors", errors, target="0", met=errors == 0)
    print(f"uptime after: {_uptime()}", flush=True)


if __name__ == "__main__":
    main()
