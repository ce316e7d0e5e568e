"""CPU cost of field encryption per value, and per case page (no database, no server).

The end-to-end cost under load is measured by benchmarks/cases_latency.py (run it
against a database filled by benchmarks/cases_load.py, which seals the personal
fields as the application does). This one isolates the cryptography: CPU time to
seal and to open one value (AES-256-GCM envelope: a fresh data key per value,
wrapped by the primary key), and to open what a case page opens (the person's
nine sealed fields, the summary, and the sealed texts among the 50 timeline
entries shown).

    .venv/bin/python benchmarks/fieldcrypt_cost.py [--values 20000] [--notes-per-page 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from palermo.core import fieldcrypt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--values", type=int, default=20_000)
    parser.add_argument(
        "--notes-per-page",
        type=int,
        default=50,
        help="sealed timeline texts on a page (worst case)",
    )
    parser.add_argument("--quick", action="store_true", help="2,000 values")
    args = parser.parse_args()
    if args.quick:
        args.values = 2_000
    from benchenv import begin, result

    begin("fieldcrypt_cost", quick=args.quick)
    ring = fieldcrypt.ring_from_data(fieldcrypt.new_key_file())
    text = "First meeting in a safe place with an interpreter. The person is tired and worried about family."
    ctxs = [fieldcrypt.context("cases_caseevent", "text", i) for i in range(args.values)]
    t0 = time.process_time()
    tokens = [fieldcrypt.encrypt(ring, text, c) for c in ctxs]
    t1 = time.process_time()
    for tok, c in zip(tokens, ctxs, strict=True):
        fieldcrypt.decrypt(ring, tok, c)
    t2 = time.process_time()
    seal_us = (t1 - t0) / args.values * 1e6
    open_us = (t2 - t1) / args.values * 1e6
    per_page = 9 + 1 + args.notes_per_page
    print(f"{args.values:,} values of {len(text)} characters ({len(tokens[0])} characters sealed):")
    print(f"  seal  {seal_us:8.1f} µs CPU per value")
    print(f"  open  {open_us:8.1f} µs CPU per value")
    print(f"  case page opening {per_page} sealed values: {per_page * open_us / 1000:.2f} ms CPU")
    result("field encryption: seal, µs CPU per value", round(seal_us, 1))
    result("field encryption: open, µs CPU per value", round(open_us, 1))
    result(
        f"field encryption: a case page opening {per_page} sealed values, ms CPU",
        round(per_page * open_us / 1000, 2),
    )


if __name__ == "__main__":
    main()
