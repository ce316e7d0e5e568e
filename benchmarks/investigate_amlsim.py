"""Backtest Palermo's network red flags on the AMLSim 10K sample.

Prints, per typology (fan-in, fan-out, cycle), the recall and precision of the
accounts Palermo flags, beside the naive counting baseline (>= 4 distinct
counterparties within 20 days) computed in the same run on the same data.

    .venv/bin/python benchmarks/investigate_amlsim.py [--data DIR]

Target: recall >= 0.95 at precision >= 0.6 for each typology.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from palermo.investigate.backtest import (
    closed_cycle_members,
    flagged_accounts,
    labelled_accounts,
    naive_counterparty_baseline,
    score,
)
from palermo.investigate.workspace import Workspace

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "reference" / "amlsim-10k"
TARGET_RECALL, TARGET_PRECISION = 0.95, 0.6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="the same (the sample is small)")
    args = parser.parse_args()
    from benchenv import begin, result

    begin("investigate_amlsim", quick=args.quick)
    transactions = args.data / "transactions.parquet"

    ws = Workspace(":memory:")
    t0 = time.perf_counter()
    report = ws.ingest(transactions)
    t_ingest = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"import failed: {report.file_errors or report.errors[:5]}")
    t0 = time.perf_counter()
    run = ws.run_rules()
    t_rules = time.perf_counter() - t0
    t0 = time.perf_counter()
    baseline = naive_counterparty_baseline(ws.con)
    t_base = time.perf_counter() - t0

    print(
        f"AMLSim 10K: {report.rows_inserted:,} transactions imported in {t_ingest:.1f} s; "
        f"rule pack ({len(run.ran)} ran, {len(run.skipped)} skipped for missing fields) "
        f"in {t_rules:.1f} s; baseline in {t_base:.1f} s"
    )
    for s in run.skipped:
        print(f"  skipped {s.rule_id}: missing {', '.join(s.missing_fields)}")
    print()
    header = f"{'typology':<26}{'method':<34}{'flagged':>8}{'truth':>7}{'TP':>6}{'recall':>8}{'precision':>11}  target"
    print(header)
    print("-" * len(header))
    truths = {
        "fan_in": ("fan-in hubs", labelled_accounts(ws.con, "fan_in")),
        "fan_out": ("fan-out hubs", labelled_accounts(ws.con, "fan_out")),
        "cycle": ("cycle members (closed)", closed_cycle_members(ws.con)),
    }
    verdicts = []
    for typ, (label, truth) in truths.items():
        ours = score(flagged_accounts(ws.con, run.alerts, typ), truth)
        naive = score(baseline[typ], truth)
        ok = ours.recall >= TARGET_RECALL and ours.precision >= TARGET_PRECISION
        verdicts.append(ok)
        result(
            f"AMLSim 10K {label}: recall / precision",
            f"{ours.recall:.3f} / {ours.precision:.3f}",
            target=f"≥ {TARGET_RECALL} / ≥ {TARGET_PRECISION}",
            met=ok,
        )
        for name, m, mark in (
            ("Palermo rule pack", ours, "met" if ok else "NOT met"),
            ("naive >=4 counterparties/20 days", naive, ""),
        ):
            print(
                f"{label:<26}{name:<34}{m.flagged:>8}{m.truth:>7}{m.true_positives:>6}"
                f"{m.recall:>8.3f}{m.precision:>11.3f}  {mark}"
            )
    all_cycle = labelled_accounts(ws.con, "cycle")
    ours_all = score(flagged_accounts(ws.con, run.alerts, "cycle"), all_cycle)
    naive_all = score(baseline["cycle"], all_cycle)
    print(
        f"{'cycle members (all)':<26}{'Palermo rule pack':<34}{ours_all.flagged:>8}{ours_all.truth:>7}"
        f"{ours_all.true_positives:>6}{ours_all.recall:>8.3f}{ours_all.precision:>11.3f}  (incl. open chains)"
    )
    print(
        f"{'':<26}{'naive >=4 counterparties/20 days':<34}{naive_all.flagged:>8}{naive_all.truth:>7}"
        f"{naive_all.true_positives:>6}{naive_all.recall:>8.3f}{naive_all.precision:>11.3f}"
    )
    print()
    print(
        f"target: recall >= {TARGET_RECALL} at precision >= {TARGET_PRECISION} per typology: "
        f"{'met' if all(verdicts) else 'NOT met'}"
    )
    print(
        "closed: labelled cycles whose labelled payments form a loop "
        f"({len(truths['cycle'][1])} of {len(all_cycle)} labelled members; AMLSim dropped a "
        "payment in the others)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()
