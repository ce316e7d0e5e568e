"""Evaluation: the advert screening against a labelled split of tests/data/adverts/.

    .venv/bin/python benchmarks/prevent_eval.py [--split dev|test] [--given-language]
        [--misses] [--quick]

``--split test`` (the default) reports the figures of the frozen test split; ``--split dev``
measures the development split, the only one to tune the rules on. ``--misses`` lists the ids
and texts behind misses and false flags, and is refused on the test split: reading the test
split's misses to change the rules would make its figures optimistic (docs/prevent.md).

Prints, per indicator, true/false positives, false negatives, precision, recall and F1 with
95 % Wilson intervals, then the micro-averaged totals, the macro F1, how often the language
detector agreed with the labelled language, and the hard negatives that drew a flag. The
labels were written from the advert text before the screener was run on the set (see
"Evaluation set" in docs/prevent.md). ``--given-language`` screens in the labelled language
instead of the detected one; ``--misses`` lists the ids behind every miss and false flag.
``--quick`` is accepted (for ``./dev bench --quick``) and changes nothing: the set is small.

These are figures on a small set written by the project, in its own words: they say whether
the rules find what they were written to find and where they do not, not what recall would
be on real adverts (unknowable here: no labelled public set of trafficking adverts exists).
"""

from __future__ import annotations

import sys
from pathlib import Path

from palermo.prevent import adverts, evaluation, langid

SET_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "adverts"


def _pct(x: float | None) -> str:
    return "   –  " if x is None else f"{100 * x:5.1f}%"


def _ci(lo_hi: tuple[float, float]) -> str:
    return f"[{100 * lo_hi[0]:4.0f}–{100 * lo_hi[1]:3.0f}]"


def main() -> None:
    from benchenv import begin, result

    given = "--given-language" in sys.argv
    split = sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "test"
    if split not in evaluation.SPLITS:
        sys.exit(f"--split: one of {', '.join(evaluation.SPLITS)}")
    if "--misses" in sys.argv and split != "dev":
        sys.exit("--misses lists the dev split only: the test split is not read to tune rules")
    begin("prevent_eval", quick="--quick" in sys.argv)
    items = evaluation.load_set(SET_DIR / evaluation.SPLITS[split])
    rules = adverts.load()
    report = evaluation.evaluate(items, rules, detect=None if given else langid.detect)
    langs = sorted({i.lang for i in items})
    print(
        f"split {split}: {report.adverts} adverts ({', '.join(langs)}), rules {rules.version}, "
        "language "
        f"{'as labelled' if given else 'detected'}; "
        f"detector agreed with the label on {100 * report.language_agreement:.1f}%"
    )
    head = f"{'indicator':<14} {'TP':>3} {'FP':>3} {'FN':>3}  {'precision':>17}  "
    print(head + f"{'recall':>17}  {'F1':>6}")
    rows = [*report.per_indicator.items(), ("TOTAL (micro)", report.total)]
    for key, c in rows:
        print(
            f"{key:<14} {c.tp:>3} {c.fp:>3} {c.fn:>3}  "
            f"{_pct(c.precision)} {_ci(c.precision_ci())}  "
            f"{_pct(c.recall)} {_ci(c.recall_ci())}  {_pct(c.f1)}"
        )
    print(f"macro F1 over indicators: {100 * report.macro_f1:.1f}%")
    print(
        f"hard negatives with a flag outside their labels: {len(report.flagged_hard_negatives)} of "
        f"{sum(i.kind == 'hard_negative' for i in items)}"
    )
    print("per language (micro):")
    for lang in langs:
        sub = evaluation.evaluate(
            [i for i in items if i.lang == lang], rules, detect=None if given else langid.detect
        )
        st = sub.total
        print(
            f"  {lang}: {sub.adverts} adverts, precision {_pct(st.precision)}, recall "
            f"{_pct(st.recall)}, F1 {_pct(st.f1)}, detected as labelled "
            f"{100 * sub.language_agreement:.0f}%"
        )
    if "--misses" in sys.argv:
        for key, c in report.per_indicator.items():
            if c.missed or c.spurious:
                print(f"  {key}: missed {' '.join(c.missed) or '–'}")
                print(f"  {key}: flagged without label {' '.join(c.spurious) or '–'}")
        print(f"  hard negatives flagged: {' '.join(report.flagged_hard_negatives) or '–'}")
    t = report.total
    result(
        f"advert flags vs labels ({split}), precision (micro)", round(100 * (t.precision or 0), 1)
    )
    result(f"advert flags vs labels ({split}), recall (micro)", round(100 * (t.recall or 0), 1))
    result(f"advert flags vs labels ({split}), F1 (micro)", round(100 * (t.f1 or 0), 1))


if __name__ == "__main__":
    main()
