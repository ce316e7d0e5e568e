"""Scale benchmark: synthetic transactions through import, normalisation and the rule pack.

Generates ``--rows`` synthetic transactions (default 10,000,000) as a bank CSV
in the ``palermo-canonical`` profile, imports them into a file-backed workspace
(CSV parsing, validation, IBAN and name normalisation, classification,
deduplication) and runs the full rule pack.

    .venv/bin/python benchmarks/investigate_scale.py [--rows N] [--dir DIR] [--keep]

Targets at 10,000,000 rows: import-and-normalise <= 10 min, rule pack <= 15 min,
peak memory <= 8 GB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from palermo.investigate.synth import write_synthetic_csv
from palermo.investigate.workspace import Workspace

TARGET_IMPORT_S, TARGET_RULES_S, TARGET_MEM_GB = 600, 900, 8.0


def _peak_gb() -> float:
    # ru_maxrss is in KiB on Linux; DuckDB runs in-process, so this includes it
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="working folder (default: a temp dir)"
    )
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and workspace")
    parser.add_argument("--quick", action="store_true", help="200,000 transactions")
    args = parser.parse_args()
    if args.quick:
        args.rows = 200_000
    from benchenv import begin, result

    begin("investigate_scale", quick=args.quick)
    full = args.rows >= 10_000_000
    work = args.dir or Path(tempfile.mkdtemp(prefix="palermo-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"synthetic-{args.rows}.csv"
    db_path = work / "workspace.duckdb"
    if db_path.exists():
        db_path.unlink()

    t0 = time.perf_counter()
    info = write_synthetic_csv(csv_path, rows=args.rows)
    t_gen = time.perf_counter() - t0
    size_mb = csv_path.stat().st_size / 1e6
    print(
        f"generated {info['rows']:,} transactions ({size_mb:,.0f} MB CSV, {info['accounts']:,} accounts) "
        f"in {t_gen:.1f} s  [not part of the targets]"
    )

    ws = Workspace(db_path, memory_limit=args.memory_limit)
    t0 = time.perf_counter()
    report = ws.ingest(csv_path, profile="palermo-canonical")
    t_import = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"import failed: {report.file_errors or report.errors[:5]}")
    mem_after_import = _peak_gb()
    print(
        f"import and normalise: {report.rows_inserted:,} rows in {t_import:.1f} s "
        f"({report.rows_inserted / t_import:,.0f} rows/s)   target <= {TARGET_IMPORT_S} s: "
        f"{'met' if t_import <= TARGET_IMPORT_S else 'NOT met'}"
    )

    t0 = time.perf_counter()
    run = ws.run_rules()
    t_rules = time.perf_counter() - t0
    print(
        f"rule pack: {len(run.ran)} rules ran, {len(run.skipped)} skipped, {len(run.alerts):,} alerts "
        f"in {t_rules:.1f} s   target <= {TARGET_RULES_S} s: {'met' if t_rules <= TARGET_RULES_S else 'NOT met'}"
    )
    for s in run.skipped:
        print(f"  skipped {s.rule_id}: missing {', '.join(s.missing_fields)}")
    peak = _peak_gb()
    result(
        f"{args.rows:,} transactions: import and normalise, s",
        round(t_import, 1),
        target=f"≤ {TARGET_IMPORT_S} (10M)",
        met=t_import <= TARGET_IMPORT_S if full else None,
    )
    result(
        f"{args.rows:,} transactions: rule pack, s",
        round(t_rules, 1),
        target=f"≤ {TARGET_RULES_S} (10M)",
        met=t_rules <= TARGET_RULES_S if full else None,
    )
    result(
        f"{args.rows:,} transactions: peak memory, GB",
        round(peak, 2),
        target=f"≤ {TARGET_MEM_GB}",
        met=peak <= TARGET_MEM_GB,
    )
    print(
        f"peak memory (RSS): {peak:.2f} GB (after import {mem_after_import:.2f} GB)   "
        f"target <= {TARGET_MEM_GB} GB: {'met' if peak <= TARGET_MEM_GB else 'NOT met'}"
    )
    ws.close()
    if not args.keep and args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
