"""Run every benchmark and write one markdown table: ``./dev bench [--quick]``.

Each script prints ``RESULT {json}`` lines through ``benchenv``; this gathers them,
with the calibration and the load each script saw, into ``var/bench-<time>.md`` and
prints the table. The case-page scripts need the 1,000,000-case PostgreSQL database
that ``cases_load.py`` fills (an hour or more): they run only with ``--with-cases``.

    ./dev bench                  # full sizes (hours on a 2-core machine)
    ./dev bench --quick          # small sizes, a few minutes: does everything still run?
    ./dev bench --only screen_1m,audit_chain
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# In the order they run; the audit and screening ones first (issue 13).
SCRIPTS = [
    "audit_cost.py",
    "audit_chain.py",
    "audit_verify.py",
    "screen_1m.py",
    "fieldcrypt_cost.py",
    "stats_release_1m.py",
    "monitor_indicators.py",
    "supply_screening.py",
    "exercise_load.py",
    "exercise_selection.py",
    "prevent_screening.py",
    "prevent_eval.py",
    "crossborder_handover.py",
    "investigate_amlsim.py",
    "investigate_amlsim_general.py",
    "investigate_scale.py",
]
CASE_SCRIPTS = ["cases_load.py", "cases_latency.py", "case_page_cpu.py"]


def run(script: str, quick: bool, timeout: float) -> tuple[list[dict], int, float, str]:
    cmd = [sys.executable, str(HERE / script), *(["--quick"] if quick else [])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(  # noqa: S603
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return _results(out), -1, time.perf_counter() - t0, f"stopped after {timeout:.0f} s"
    tail = (proc.stderr.strip().splitlines() or [""])[-1]
    return _results(proc.stdout), proc.returncode, time.perf_counter() - t0, tail


def _results(stdout: str) -> list[dict]:
    found = []
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            try:
                found.append(json.loads(line[7:]))
            except json.JSONDecodeError:
                continue
    return found


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--with-cases", action="store_true", help="also the 1M-case scripts")
    parser.add_argument("--timeout", type=float, default=0, help="seconds per script (0: none)")
    args = parser.parse_args()
    scripts = SCRIPTS + (CASE_SCRIPTS if args.with_cases else [])
    if args.only:
        wanted = {s if s.endswith(".py") else f"{s}.py" for s in args.only.split(",")}
        scripts = [s for s in SCRIPTS + CASE_SCRIPTS if s in wanted]
    timeout = args.timeout or (900 if args.quick else 6 * 3600)
    rows = []
    for script in scripts:
        print(f"running {script} …", file=sys.stderr, flush=True)
        results, code, took, tail = run(script, args.quick, timeout)
        envs = [r for r in results if r.get("kind") == "env"]
        cal = f"{envs[0]['calibration_s']:.2f} s" if envs else "—"
        figures = [r for r in results if r.get("kind") == "figure"]
        if not figures:
            why = f"exit {code}" + (f": {tail}" if tail else "")
            rows.append((script, "(no figures reported)", "", "", why, cal, "—"))
            continue
        for r in figures:
            met = {True: "met", False: "NOT met", None: ""}[r.get("met")]
            fig = _cell(r["figure"]) + (f" {r['unit']}" if r.get("unit") else "")
            rows.append(
                (script, r["metric"], r.get("target") or "", fig, met, cal, f"{r['load']:.1f}")
            )
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        l1, l5, l15 = os.getloadavg()
    except OSError:
        l1 = l5 = l15 = float("nan")
    lines = [
        f"# Benchmarks{' (quick sizes)' if args.quick else ''}, {stamp}",
        "",
        f"Calibration: seconds for a 10⁷-step plain-Python loop on this machine, measured by each "
        f"script as it starts. Load: 1-minute load average when the figure was taken "
        f"({os.cpu_count()} CPUs; load now {l1:.1f} {l5:.1f} {l15:.1f}). Database: "
        f"{(os.environ.get('DATABASE_URL') or 'temporary SQLite').split('?')[0]}.",
        "",
        "| script | figure | target | measured | verdict | calibration | load |",
        "|---|---|---|---|---|---|---|",
        *(f"| {' | '.join(_cell(c) for c in row)} |" for row in rows),
        "",
    ]
    table = "\n".join(lines)
    out_dir = ROOT / "var"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.md"
    path.write_text(table, encoding="utf-8")
    print(table)
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
