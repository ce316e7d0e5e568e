"""Benchmark: a k = 11 CTDC release of 1,000,000 synthetic CTDC-shaped records.

    .venv/bin/python benchmarks/stats_release_1m.py [N] [K]

Prints the time and peak memory of the release (generation is timed apart),
and records kept by Palermo's method (generalisation, local recoding, then
suppression) beside suppression alone, with information loss for both.
Target (issue): under 60 s and 2 GB; at least 90 % of records kept.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from palermo.stats.anonymise import k_anonymity_check_file
from palermo.stats.ctdc import DEFAULT_QUASI_IDENTIFIERS, release_ctdc, write_ctdc_csv
from palermo.stats.synthetic import synthetic_ctdc_frame


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    from benchenv import begin, result

    quick = "--quick" in sys.argv
    argv = [a for a in sys.argv[1:] if a != "--quick"]
    n = int(argv[0]) if argv else (100_000 if quick else 1_000_000)
    k = int(argv[1]) if len(argv) > 1 else 11
    begin("stats_release_1m", quick=quick)
    t0 = time.perf_counter()
    frame = synthetic_ctdc_frame(n)
    t_gen = time.perf_counter() - t0
    rss_after_gen = peak_rss_mb()

    t1 = time.perf_counter()
    release = release_ctdc(frame, k=k)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ctdc_release.csv"
        write_ctdc_csv(release, out)
        t_release = time.perf_counter() - t1
        check = k_anonymity_check_file(out, release.quasi_identifiers, k=k)
        size_mb = out.stat().st_size / 1e6
    peak = peak_rss_mb()

    m, b = release.metrics, release.baseline
    print(
        f"records: {n:,} synthetic, CTDC-shaped; k = {k}; quasi-identifiers: {', '.join(DEFAULT_QUASI_IDENTIFIERS)}"
    )
    print(
        f"generation: {t_gen:.1f} s (not part of the release); peak RSS after generation {rss_after_gen:,.0f} MB"
    )
    print(f"release (anonymise + write {size_mb:,.0f} MB CSV): {t_release:.1f} s   target < 60 s")
    print(f"peak memory (whole process, RSS): {peak:,.0f} MB   target < 2,048 MB")
    full = n >= 1_000_000
    result(
        f"CTDC release of {n:,} records, k = {k}: s",
        round(t_release, 1),
        target="< 60 (1M)",
        met=t_release < 60 if full else None,
    )
    result(
        f"CTDC release of {n:,} records: peak MB", round(peak), target="< 2,048", met=peak < 2048
    )
    result(
        f"CTDC release of {n:,} records: share kept",
        f"{release.metrics.share_kept:.4%}",
        target="≥ 90 %",
        met=release.metrics.share_kept >= 0.9,
    )
    print()
    print(f"{'':34}{'Palermo':>16}{'suppression only':>20}")
    print(f"{'records kept':34}{m.records_kept:>16,}{b.records_kept:>20,}")
    print(f"{'share kept (target >= 90 %)':34}{m.share_kept:>16.2%}{b.share_kept:>20.2%}")
    print(f"{'NCP, all records (0 best, 1 worst)':34}{m.ncp:>16.4f}{b.ncp:>20.4f}")
    print(f"{'NCP, released records':34}{m.ncp_kept:>16.4f}{b.ncp_kept:>20.4f}")
    print(f"{'discernibility / N':34}{m.discernibility / n:>16,.0f}{b.discernibility / n:>20,.0f}")
    print()
    print(f"k check of the written file: k = {check.k}, groups under {k}: {check.offending_groups}")
    print("passes (lattice node applied, records released):")
    for p in release.passes:
        node = ", ".join(f"{c}={lvl}" for c, lvl in p.node.items())
        print(f"  {p.records_kept:>9,}  {node}")


if __name__ == "__main__":
    main()
