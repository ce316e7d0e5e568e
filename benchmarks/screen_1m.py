"""Benchmark: batch screening of 1,000,000 synthetic people.

Generates a deterministic synthetic file (seeded), runs it through the same code path as
``palermo screen`` (``batch_parallel.screen_lines_parallel``, each mode in a fresh process
as the CLI would be, so that its peak memory is its own), then once through the CLI in a
subprocess on a smaller file, and prints rows per second (wall clock and CPU time of the
process and its workers: the machine may be shared) and the peak memory of the process
and of its largest worker.

Targets (issue 13): >= 50,000 rows/s wall with the full result and >= 150,000 with the
compact one (``--compact``), using every core; < 200 MB per process. Also times
`palermo --help` and `palermo screen` on 15 rows (target < 0.5 s wall each).

    .venv/bin/python benchmarks/screen_1m.py                 # 1,000,000 rows, CSV and JSONL
    .venv/bin/python benchmarks/screen_1m.py --rows 200000 --formats csv
    .venv/bin/python benchmarks/screen_1m.py --output devnull   # skip the disk write

Synthetic people are plausible but not real: ages, forms and indicators are drawn so that
every row uses only keys valid for its age group and forms, except ~1 % of rows that are
made invalid on purpose to exercise the rejection path.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import begin, result  # noqa: E402

from palermo.screening.batch_parallel import default_workers, screen_lines_parallel
from palermo.screening.catalogue import (
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    RESERVED_INPUT_FIELDS,
    AgeGroup,
)
from palermo.screening.loader import default_catalogue

TARGET_ROWS_PER_S = 50_000
TARGET_COMPACT_ROWS_PER_S = 150_000
TARGET_PEAK_MB = 200
SEED = 20_090_901  # the ILO/EC indicators' revision month; any fixed value would do

FORM_CHOICES = (["labour"] * 55) + (["sexual"] * 30) + (["domestic_servitude"] * 15)
# How many indicators a screener ticks: mostly a handful, sometimes many.
COUNT_CHOICES = (
    [0] * 10
    + [1] * 10
    + [2] * 15
    + [3] * 15
    + [4] * 15
    + [5] * 10
    + [6] * 8
    + [7] * 7
    + [8, 9, 10, 11, 12] * 2
)
SOURCES = ["", "", "", "", "", "", "observed", "self_reported", "document"]
# Indicator prevalence is skewed in real screenings (a few indicators, such as excessive
# hours or withheld wages, are ticked far more often than others). Keys are drawn with
# Zipf-like weights 1/rank**ZIPF_S over a fixed shuffled order of each list (this also
# decides how often the engine's per-dimension cache hits); --uniform draws every key
# equally.
ZIPF_S = 1.1


def synthetic_people(
    rows: int, seed: int = SEED, *, uniform: bool = False
) -> Iterator[dict[str, object]]:
    catalogue = default_catalogue()
    rng = random.Random(seed)
    keys_for: dict[tuple[AgeGroup, tuple[str, ...]], tuple[list[str], list[float]]] = {}
    for n in range(rows):
        roll = rng.random()
        person: dict[str, object] = {"ref": f"S{n:07d}"}
        if roll < 0.05:
            age = None
        elif roll < 0.25:
            age = rng.randint(8, 17)
        else:
            age = rng.randint(18, 65)
        uncertain = rng.random() < 0.05
        if age is not None:
            person["age"] = age
        if uncertain:
            person["age_uncertain_may_be_child"] = True
        group: AgeGroup = "child" if uncertain or (age is not None and age < 18) else "adult"
        forms = {rng.choice(FORM_CHOICES)}
        if rng.random() < 0.05:
            forms.add(rng.choice(FORM_CHOICES))
        form_key = tuple(sorted(forms))
        person["forms"] = list(form_key)
        found = keys_for.get((group, form_key))
        if found is None:
            pool = sorted(catalogue.select(group, form_key).keys)
            random.Random(f"{seed}-{group}-{form_key}").shuffle(pool)
            weights = (
                [1.0] * len(pool) if uniform else [1 / (r + 1) ** ZIPF_S for r in range(len(pool))]
            )
            cumulative = list(itertools.accumulate(weights))
            found = (pool, cumulative)
            keys_for[(group, form_key)] = found
        pool, cumulative = found
        wanted = min(rng.choice(COUNT_CHOICES), len(pool))
        picked: set[str] = set()
        while len(picked) < wanted:
            picked.add(rng.choices(pool, cum_weights=cumulative)[0])
        chosen = sorted(picked)
        rng.shuffle(chosen)
        person["indicators"] = {k: (rng.choice(SOURCES) or "x") for k in chosen}
        if rng.random() < 0.2:
            person["act"] = rng.sample(PALERMO_ACTS, rng.randint(1, 2))
            person["means"] = rng.sample(PALERMO_MEANS, rng.randint(0, 2))
            person["purpose"] = rng.sample(PALERMO_PURPOSES, 1)
        if rng.random() < 0.1:
            person["self_identifies_as_victim"] = True
        bad = rng.random()
        if bad < 0.005:
            person["age"] = rng.choice([-1, 130, 999])
        elif bad < 0.01:
            person["indicators"] = {**person["indicators"], "not_a_real_indicator": "x"}  # type: ignore[dict-item]
        yield person


def write_jsonl(path: Path, rows: int, uniform: bool = False) -> None:
    with path.open("wb") as f:
        for person in synthetic_people(rows, uniform=uniform):
            f.write(orjson.dumps(person))
            f.write(b"\n")


def write_csv(path: Path, rows: int, uniform: bool = False) -> None:
    catalogue = default_catalogue()
    fields = [
        "ref",
        "age",
        "age_uncertain_may_be_child",
        "forms",
        "act",
        "means",
        "purpose",
        "self_identifies_as_victim",
    ]
    assert set(fields) <= RESERVED_INPUT_FIELDS
    keys = list(catalogue.all_keys())
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        # The deliberately unknown key cannot be a column (an unknown column rejects the
        # whole file), so in CSV it becomes an unknown form instead: still a row error.
        writer.writerow(fields + keys)
        index = {k: n for n, k in enumerate(keys)}
        for person in synthetic_people(rows, uniform=uniform):
            row = [""] * (len(fields) + len(keys))
            row[0] = str(person["ref"])
            row[1] = "" if person.get("age") is None else str(person["age"])
            row[2] = "x" if person.get("age_uncertain_may_be_child") else ""
            forms = list(person["forms"])  # type: ignore[call-overload]
            indicators = dict(person["indicators"])  # type: ignore[call-overload]
            if indicators.pop("not_a_real_indicator", None):
                forms.append("not_a_form")
            row[3] = ";".join(forms)
            row[4] = ";".join(person.get("act", ()))  # type: ignore[arg-type]
            row[5] = ";".join(person.get("means", ()))  # type: ignore[arg-type]
            row[6] = ";".join(person.get("purpose", ()))  # type: ignore[arg-type]
            row[7] = "yes" if person.get("self_identifies_as_victim") else ""
            for k, v in indicators.items():
                row[len(fields) + index[k]] = v
            writer.writerow(row)


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def run_in_process(
    path: Path, out_path: str, workers: int, compact: bool
) -> tuple[int, int, float, float, float]:
    """The `palermo screen` path in-process (with its worker processes); returns ok,
    rejected, wall s, CPU s of this process and its workers, and the kernel's part."""
    catalogue = default_catalogue()
    with (
        path.open(encoding="utf-8-sig", newline="") as source,
        open(out_path, "wb") as out,  # noqa: PTH123 - may be os.devnull
        open(os.devnull, "wb") as err,  # noqa: PTH123
    ):
        before = os.times()
        wall = time.perf_counter()
        summary = screen_lines_parallel(
            source, catalogue, out, err, name=path.name, workers=workers, compact=compact
        )
        wall = time.perf_counter() - wall
        after = os.times()
    cpu = sum(
        getattr(after, f) - getattr(before, f)
        for f in ("user", "system", "children_user", "children_system")
    )
    system = (after.system - before.system) + (after.children_system - before.children_system)
    return summary.rows_ok, summary.rows_rejected, wall, cpu, system


def run_mode(path: Path, out_path: str, workers: int, compact: bool) -> dict[str, float]:
    """One mode in a fresh process, as `palermo screen` runs it (so that its peak memory
    is its own, not the generator's or another mode's): its figures and the peak RSS of
    that process and of its largest worker."""
    command = [sys.executable, __file__, "--one", str(path), out_path, str(workers)]
    done = subprocess.run(  # noqa: S603
        [*command, "compact" if compact else "full"], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return figures


def one_mode(path: str, out_path: str, workers: str, kind: str) -> None:
    """(in the fresh process of run_mode)"""
    ok, rejected, wall, cpu, system = run_in_process(
        Path(path), out_path, int(workers), kind == "compact"
    )
    figures = {
        "ok": ok,
        "rejected": rejected,
        "wall": wall,
        "cpu": cpu,
        "system": system,
        "peak_mb": peak_mb(),
        "peak_worker_mb": peak_mb(resource.RUSAGE_CHILDREN),
    }
    print(orjson.dumps(figures).decode())


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one_mode(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cli-rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--output", choices=["file", "devnull"], default="file")
    parser.add_argument(
        "--modes",
        default="full:1,full:0,compact:0",
        help="result:workers pairs (0 workers: one per core)",
    )
    parser.add_argument(
        "--uniform", action="store_true", help="draw indicators uniformly instead of Zipf-like"
    )
    parser.add_argument("--quick", action="store_true", help="100,000 rows, CSV, no CLI run")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.cli_rows, args.formats = 100_000, 0, "csv"
    begin("screen_1m", quick=args.quick)
    print(
        f"targets: full result >= {TARGET_ROWS_PER_S:,} rows/s, compact >= {TARGET_COMPACT_ROWS_PER_S:,} "
        f"rows/s (wall, every core), < {TARGET_PEAK_MB} MB per process; {default_workers()} core(s)"
    )
    with tempfile.TemporaryDirectory(prefix="palermo-screen-bench-") as tmp:
        tmpdir = Path(tmp)
        for fmt in args.formats.split(","):
            writer = write_csv if fmt == "csv" else write_jsonl
            path = tmpdir / f"people.{fmt}"
            t0 = time.perf_counter()
            writer(path, args.rows, args.uniform)
            gen = time.perf_counter() - t0
            size_mb = path.stat().st_size / 1e6
            print(
                f"\n[{fmt}] generated {args.rows:,} rows ({size_mb:,.0f} MB) in {gen:.1f} s (not timed below)"
            )
            peaks = []
            for mode in args.modes.split(","):
                kind, _, n = mode.partition(":")
                workers = int(n or 0) or default_workers()
                compact = kind == "compact"
                out_path = str(tmpdir / "results.jsonl") if args.output == "file" else os.devnull
                figures = run_mode(path, out_path, workers, compact)
                ok, rejected = int(figures["ok"]), int(figures["rejected"])
                wall, cpu, system = figures["wall"], figures["cpu"], figures["system"]
                peak = max(figures["peak_mb"], figures["peak_worker_mb"])
                total = ok + rejected
                out_mb = os.path.getsize(out_path) / 1e6 if args.output == "file" else 0.0
                print(
                    f"[{fmt} {kind} ×{workers}] {ok:,} ok, {rejected:,} rejected; wall {wall:.1f} s; "
                    f"CPU {cpu:.1f} s (kernel {system:.1f} s) = {total / cpu:,.0f} rows per CPU-second; "
                    f"output {out_mb:,.0f} MB; peak RSS {figures['peak_mb']:,.0f} MB "
                    f"(largest worker {figures['peak_worker_mb']:,.0f} MB)"
                )
                target = TARGET_COMPACT_ROWS_PER_S if compact else TARGET_ROWS_PER_S
                result(
                    f"screening {args.rows:,} rows, {fmt}, {kind} result, {workers} process(es), rows/s wall",
                    round(total / wall),
                    target=f"≥ {target:,} (every core)" if workers == default_workers() else "",
                    met=(total / wall >= target) if workers == default_workers() else None,
                )
                result(
                    f"screening, {fmt}, {kind} result, {workers} process(es): peak RSS of any "
                    "one process, MB",
                    round(peak),
                    target=f"< {TARGET_PEAK_MB}",
                    met=peak < TARGET_PEAK_MB,
                )
                peaks.append(peak)
                if args.output == "file":
                    os.remove(out_path)
            peak = max(peaks)
            result(
                f"screening, {fmt}: peak RSS of any one process, MB",
                round(peak),
                target=f"< {TARGET_PEAK_MB}",
                met=peak < TARGET_PEAK_MB,
            )
            os.remove(path)

            if args.cli_rows:
                small = tmpdir / f"small.{fmt}"
                writer(small, args.cli_rows, args.uniform)
                cmd = [
                    sys.executable,
                    "-m",
                    "palermo.screening.cli",
                    str(small),
                    "-o",
                    os.devnull,
                    "-e",
                    os.devnull,
                ]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
                elapsed = time.perf_counter() - t0
                last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "-"
                print(
                    f"[{fmt}] CLI subprocess `python -m palermo.screening.cli`, {args.cli_rows:,} rows: "
                    f"{args.cli_rows / elapsed:,.0f} rows/s including interpreter start-up "
                    f"({elapsed:.1f} s), exit {proc.returncode} (1 = some rows rejected, expected), {last}"
                )
        # `palermo screen` on 15 rows and `palermo --help`: the start-up a person waits for.
        tiny = tmpdir / "fifteen.csv"
        write_csv(tiny, 15)
        for label, cli_args in (
            ("palermo --help", ["--help"]),
            (
                "palermo screen on 15 rows",
                ["screen", str(tiny), "-o", os.devnull, "-e", os.devnull],
            ),
        ):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                subprocess.run(  # noqa: S603
                    [sys.executable, "-m", "palermo.cli", *cli_args],
                    capture_output=True,
                    check=False,
                )
                times.append(time.perf_counter() - t0)
            best = min(times)
            result(f"{label}, s wall (best of 3)", round(best, 3), target="< 0.5", met=best < 0.5)
    print(
        f"\nload average at end: {os.getloadavg()[0]:.1f} (other work on this machine slows wall time)"
    )


if __name__ == "__main__":
    main()
