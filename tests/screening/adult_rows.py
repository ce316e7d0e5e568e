"""Deterministic adult screening rows for the adult differential test.

``tests/screening/data/adult_results_before_children_rule.txt`` holds, for each row this
module generates, the first 16 hex digits of the SHA-256 of the engine's result JSON as
computed by the engine *before* the children's Art. 3(c) rule was added (engine 1.0,
commit 5d3dd7b). The children's rule must not change a single adult result; the test
recomputes the digests with the current engine and with the batch fast path.

Regenerate the file only for an intended change to adult screening:
``PYTHONPATH=src python -m tests.screening.adult_rows > tests/screening/data/...``.
"""

from __future__ import annotations

import hashlib
import random

import orjson

from palermo.screening.catalogue import (
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    IndicatorCatalogue,
)

SEED = 3_2000_2009
COUNT = 2000
SPELLINGS = ["x", "1", "yes", "true", "observed", "self_reported", "document"]


def adult_rows(catalogue: IndicatorCatalogue, count: int = COUNT) -> list[dict]:
    """Valid rows for adults (18+ or age not recorded, never presumed a child), every
    form combination, 0-20 indicators, sometimes Palermo elements and self-identification."""
    rng = random.Random(SEED)
    forms_all = sorted(catalogue.forms)
    rows = []
    for n in range(count):
        row: dict = {"ref": f"A{n}"}
        if rng.random() < 0.85:
            row["age"] = rng.randint(18, 90)
        forms = tuple(sorted(rng.sample(forms_all, rng.choice([1, 1, 1, 2, 3]))))
        row["forms"] = list(forms)
        pool = sorted(catalogue.select("adult", forms).keys)
        chosen = rng.sample(pool, min(len(pool), rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20])))
        for key in chosen:
            row[key] = rng.choice(SPELLINGS)
        if rng.random() < 0.35:
            row["act"] = rng.sample(PALERMO_ACTS, rng.randint(0, 2))
            row["means"] = rng.sample(PALERMO_MEANS, rng.randint(0, 2))
            row["purpose"] = rng.sample(PALERMO_PURPOSES, rng.randint(0, 2))
        if rng.random() < 0.15:
            row["self_identifies_as_victim"] = True
        rows.append(row)
    return rows


def digest(result_json: bytes) -> str:
    return hashlib.sha256(result_json).hexdigest()[:16]


if __name__ == "__main__":  # pragma: no cover - regenerates the golden file
    from palermo.screening.engine import screen_mapping
    from palermo.screening.loader import default_catalogue

    cat = default_catalogue()
    for r in adult_rows(cat):
        print(digest(orjson.dumps(screen_mapping(r, cat))))
