"""Generalisation benchmark: the red flags on AMLSim-typology sets no one tuned them on.

Generates, with Palermo's own generator of AMLSim's eight typologies
(``palermo.investigate.amlsim_gen``), several parameter sets x seeds whose
sizes, amounts, pattern sizes, periods and normal-traffic rhythms all differ
from ``reference/amlsim-10k``; imports each as AMLSim output; runs the rule
pack; and prints per typology and per seed the recall and precision of the
accounts the rules name, beside a naive degree-threshold baseline (>= 4
distinct counterparties within 20 days; in for fan-in, out for fan-out, either
way for the others), then the minimum and spread across seeds.

    .venv/bin/python benchmarks/investigate_amlsim_general.py [--seeds 11 12 13] [--quick]

Targets (minimum over seeds): recall >= 0.95 and precision >= 0.80 for fan-in,
fan-out, cycle, scatter-gather and gather-scatter; recall >= 0.80 at
precision >= 0.60 for bipartite and stack. "random" has no rule (see
docs/investigate.md); its row shows what the other rules catch of it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from palermo.investigate.amlsim_gen import GeneratorParams, generate, write_amlsim
from palermo.investigate.backtest import (
    TRUTH_ROLES,
    flagged_accounts,
    labelled_accounts,
    naive_counterparty_baseline,
    score,
)
from palermo.investigate.workspace import Workspace

PARAM_SETS = {
    # heavy normal traffic, mid-size patterns, one-year horizon
    "A": dict(
        accounts=20_000,
        days=365,
        normal_transactions=150_000,
        alerts_per_typology=25,
        size=(6, 12),
        period=(10, 30),
        amount=(200.0, 2_000.0),
        normal_amount=(10.0, 3_000.0),
        normal_intervals=(7, 14, 28, 10, 30),
    ),
    # larger population, small and large patterns, short periods, other rhythms and amounts
    "B": dict(
        accounts=40_000,
        days=540,
        normal_transactions=250_000,
        alerts_per_typology=20,
        size=(5, 16),
        period=(5, 20),
        amount=(50.0, 9_000.0),
        normal_amount=(1.0, 800.0),
        normal_intervals=(5, 7, 9, 15, 21),
        hub_share=0.01,
        payer_share=0.3,
        zero_amount_rows=4,
    ),
}
TARGETS = {
    t: (0.95, 0.80) for t in ("fan_in", "fan_out", "cycle", "scatter_gather", "gather_scatter")
}
TARGETS |= {"bipartite": (0.80, 0.60), "stack": (0.80, 0.60)}


def run_one(name: str, seed: int, work: Path) -> dict[str, tuple]:
    params = GeneratorParams(seed=seed, **PARAM_SETS[name])  # type: ignore[arg-type]
    gen = generate(params)
    path = write_amlsim(gen, work / f"{name}-{seed}")
    ws = Workspace(":memory:")
    report = ws.ingest(path)
    if not report.ok:
        raise SystemExit(f"import failed: {report.file_errors or report.errors[:5]}")
    t0 = time.perf_counter()
    run = ws.run_rules()
    t_rules = time.perf_counter() - t0
    base = naive_counterparty_baseline(ws.con)
    out = {}
    for typ in TRUTH_ROLES:
        truth = labelled_accounts(ws.con, typ)
        ours = score(flagged_accounts(ws.con, run.alerts, typ), truth)
        naive = score(base.get(typ, base["cycle"]), truth)
        out[typ] = (ours, naive)
    print(
        f"set {name} seed {seed}: {report.rows_inserted:,} transactions "
        f"({report.warning_count} zero-amount warnings), rule pack {t_rules:.1f} s"
    )
    ws.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--sets", nargs="+", default=sorted(PARAM_SETS))
    parser.add_argument("--quick", action="store_true", help="one seed")
    args = parser.parse_args()
    if args.quick:
        args.seeds = args.seeds[:1]
    from benchenv import begin, result

    begin("investigate_amlsim_general", quick=args.quick)
    results: dict[tuple[str, int], dict[str, tuple]] = {}
    with tempfile.TemporaryDirectory(prefix="palermo-amlsim-gen-") as tmp:
        for name in args.sets:
            for seed in args.seeds:
                results[(name, seed)] = run_one(name, seed, Path(tmp))
    print()
    head = f"{'typology':<16}{'set':>4}{'seed':>6}{'truth':>7}{'flagged':>8}{'recall':>8}{'prec.':>7}   {'naive R':>8}{'naive P':>8}"
    print(head)
    print("-" * len(head))
    for typ in TRUTH_ROLES:
        for (name, seed), res in results.items():
            ours, naive = res[typ]
            print(
                f"{typ:<16}{name:>4}{seed:>6}{ours.truth:>7}{ours.flagged:>8}{ours.recall:>8.3f}"
                f"{ours.precision:>7.3f}   {naive.recall:>8.3f}{naive.precision:>8.3f}"
            )
    print()
    print(f"{'typology':<16}{'min R':>7}{'spread R':>10}{'min P':>7}{'spread P':>10}   target")
    met_all = True
    for typ in TRUTH_ROLES:
        rs = [res[typ][0].recall for res in results.values()]
        ps = [res[typ][0].precision for res in results.values()]
        target = TARGETS.get(typ)
        if target:
            ok = min(rs) >= target[0] and min(ps) >= target[1]
            met_all &= ok
            result(
                f"generated AMLSim {typ}: minimum recall / precision over {len(results)} runs",
                f"{min(rs):.3f} / {min(ps):.3f}",
                target=f"≥ {target[0]} / ≥ {target[1]}",
                met=ok,
            )
            mark = f"R>={target[0]} P>={target[1]}: {'met' if ok else 'NOT met'}"
        else:
            mark = "no rule (documented decision)"
        print(
            f"{typ:<16}{min(rs):>7.3f}{max(rs) - min(rs):>10.3f}{min(ps):>7.3f}{max(ps) - min(ps):>10.3f}   {mark}"
        )
    print(
        f"\nall targets (minimum over {len(results)} set x seed runs): {'met' if met_all else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
