"""What every benchmark prints beside its figures, so a figure can be judged (issue 13).

* the machine: CPU count and the **calibration** — seconds for a plain-Python loop of
  10⁷ steps (``for i in range(10**7): x += i``), which says how fast this machine runs
  Python code compared with the one a figure in docs/testing.md was measured on;
* the **load** (``os.getloadavg``) at the start and at the end: on a shared machine a
  figure means little without it;
* the connection comes from ``DATABASE_URL`` (nothing hard-coded), servers listen on a
  free port (``free_port``);
* each figure also as one ``RESULT {json}`` line, which ``./dev bench``
  (``benchmarks/run_all.py``) gathers into a markdown table.

Usage in a script::

    from benchenv import begin, result
    env = begin("screen_1m", quick=args.quick)
    ...
    result("rows/s, full result, CSV", 61_234, target="≥ 50,000", met=61_234 >= 50_000)
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from dataclasses import dataclass

CALIBRATION_STEPS = 10_000_000


def calibrate(steps: int = CALIBRATION_STEPS) -> float:
    """Seconds for ``steps`` iterations of a plain-Python loop (the machine's speed for Python)."""
    x = 0
    t0 = time.perf_counter()
    for i in range(steps):
        x += i
    return time.perf_counter() - t0


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # not available on this platform
        return (float("nan"),) * 3


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def database_url() -> str:
    """The database to benchmark on: ``DATABASE_URL``, or "" for a temporary SQLite file."""
    return os.environ.get("DATABASE_URL", "")


def database_label() -> str:
    url = database_url()
    return url.split(":", 1)[0] if url else "sqlite (temporary file)"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def django_defaults() -> None:
    """Settings a benchmark runs Palermo with unless the environment says otherwise:
    the demo's (a throw-away secret key, DEBUG off), var/ in a temporary directory."""
    import tempfile

    os.environ.setdefault("PALERMO_DEMO", "1")
    os.environ.setdefault("PALERMO_VAR_DIR", tempfile.mkdtemp(prefix="palermo-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")


@dataclass
class Env:
    name: str
    calibration_s: float
    load_start: tuple[float, float, float]
    started: float


_env: Env | None = None


def begin(name: str, *, quick: bool = False) -> Env:
    """Print the machine line (calibration, load, database) before any figure."""
    global _env  # noqa: PLW0603 – one benchmark per process
    cal = calibrate()
    _env = Env(name, cal, load(), time.time())
    l1, l5, l15 = _env.load_start
    print(
        f"# {name}{' (quick)' if quick else ''} — {platform.python_implementation()} "
        f"{platform.python_version()}, {cores()} core(s), calibration {cal:.2f} s "
        f"(10⁷-step Python loop), load {l1:.2f} {l5:.2f} {l15:.2f}, database: {database_label()}",
        flush=True,
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "kind": "env",
                "name": name,
                "calibration_s": round(cal, 3),
                "load": [l1, l5, l15],
                "quick": quick,
            }
        ),
        flush=True,
    )
    return _env


def result(
    metric: str, figure: float | str, *, target: str = "", met: bool | None = None, unit: str = ""
) -> None:
    """One figure: printed for people and as a RESULT line for ``./dev bench``."""
    l1 = load()[0]
    shown = (
        f"{figure:,.2f}"
        if isinstance(figure, float)
        else f"{figure:,}"
        if isinstance(figure, int)
        else figure
    )
    verdict = "" if met is None else ("MET" if met else "NOT MET")
    print(
        f"{metric}: {shown}{(' ' + unit) if unit else ''}   target: {target or '—'}   {verdict}   (load {l1:.2f})",
        flush=True,
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "kind": "figure",
                "name": _env.name if _env else os.path.basename(sys.argv[0]),
                "metric": metric,
                "figure": figure,
                "unit": unit,
                "target": target,
                "met": met,
                "load": l1,
            }
        ),
        flush=True,
    )
