"""Measuring the advert screening against a labelled set (tests/data/adverts/).

Pure: no Django imports. A labelled set is JSON Lines, one advert a line::

    {"id": "en-001", "lang": "en", "kind": "risky", "labels": ["fee", "urgency"], "text": "…"}

``labels`` are the indicator keys of :data:`adverts.INDICATOR_LABELS` that an analyst found in
the text, decided by reading it (the labelling guide is in docs/prevent.md), never by running
the screener. ``kind`` says why the advert is in the set: ``risky`` (written from the indicator
lists), ``ordinary`` (a lawful advert) or ``hard_negative`` (lawful, but worded near the
indicators: "we never charge fees", "keep your own passport").

:func:`evaluate` screens every advert the way an import does (language detected by
:mod:`langid` unless the caller passes ``detect=False``, then the labelled language) and counts,
per indicator, adverts where the screener and the label agree or not: a per-advert,
per-indicator decision, so an advert with two fee matches counts once. Confidence intervals are
Wilson score intervals (95 %), honest for small counts.

Two splits (``SPLITS``): ``dev`` is the one to read misses from and tune the rules on; ``test``
is frozen and only reports figures. :func:`closest_pairs` keeps them apart: no development
advert may be a near copy of a test advert, or tuning on it would tune on the test split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from palermo.prevent import adverts

KINDS = frozenset({"risky", "ordinary", "hard_negative"})
SPLITS = {"dev": "dev.jsonl", "test": "test.jsonl"}  # in tests/data/adverts/: tune on dev only
Z95 = 1.959963984540054


class EvalSetError(ValueError):
    """The labelled set is not valid; the message names the line."""


@dataclass(frozen=True, slots=True)
class LabelledAdvert:
    id: str
    lang: str
    kind: str
    labels: frozenset[str]
    text: str


def parse_lines(lines: Iterable[str], indicators: Iterable[str]) -> list[LabelledAdvert]:
    """The adverts of a JSON Lines set; refuses (naming the line) an unknown indicator or kind,
    an id used twice, an empty text or a line that is not an object with those fields."""
    known = frozenset(indicators)
    out: list[LabelledAdvert] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"line {n}: not JSON: {exc.msg}") from exc
        if not isinstance(raw, dict):
            raise EvalSetError(f"line {n}: not a JSON object")
        missing = {"id", "lang", "kind", "labels", "text"} - raw.keys()
        if missing:
            raise EvalSetError(f"line {n}: missing {sorted(missing)}")
        aid, text, labels = raw["id"], raw["text"], raw["labels"]
        if not isinstance(aid, str) or not aid:
            raise EvalSetError(f"line {n}: id must be a non-empty string")
        if aid in seen:
            raise EvalSetError(f"line {n}: id {aid!r} used twice")
        seen.add(aid)
        if not isinstance(text, str) or not text.strip():
            raise EvalSetError(f"line {n} ({aid}): empty text")
        if raw["kind"] not in KINDS:
            raise EvalSetError(f"line {n} ({aid}): unknown kind {raw['kind']!r}")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise EvalSetError(f"line {n} ({aid}): labels must be a list of indicator keys")
        unknown = set(labels) - known
        if unknown:
            raise EvalSetError(f"line {n} ({aid}): unknown indicators {sorted(unknown)}")
        if len(set(labels)) != len(labels):
            raise EvalSetError(f"line {n} ({aid}): an indicator is labelled twice")
        out.append(LabelledAdvert(aid, str(raw["lang"]), raw["kind"], frozenset(labels), text))
    return out


def load_set(path: Path, indicators: Iterable[str] | None = None) -> list[LabelledAdvert]:
    known = adverts.INDICATOR_LABELS if indicators is None else indicators
    with path.open(encoding="utf-8") as fh:
        return parse_lines(fh, known)


def _shingles(text: str, k: int = 5) -> frozenset[str]:
    t = adverts.template_form(text)
    return frozenset(t[i : i + k] for i in range(max(1, len(t) - k + 1)))


def closest_pairs(
    a: Sequence[LabelledAdvert], b: Sequence[LabelledAdvert], at_least: float
) -> list[tuple[float, str, str]]:
    """Pairs (one from each set) whose character 5-gram Jaccard similarity, numbers, links and
    e-mails masked, is ``at_least`` or more: near copies. Exact, not MinHash: the sets are
    small, and the estimate is noisy on texts this short."""
    shingled = [(y.id, _shingles(y.text)) for y in b]
    out = []
    for x in a:
        sx = _shingles(x.text)
        for yid, sy in shingled:
            j = len(sx & sy) / len(sx | sy)
            if j >= at_least:
                out.append((j, x.id, yid))
    return sorted(out, reverse=True)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there is nothing to count."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[str] = field(default_factory=list)  # ids of adverts a rule did not flag
    spurious: list[str] = field(default_factory=list)  # ids flagged without the label

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else None

    def precision_ci(self) -> tuple[float, float]:
        return wilson(self.tp, self.tp + self.fp)

    def recall_ci(self) -> tuple[float, float]:
        return wilson(self.tp, self.tp + self.fn)


@dataclass(frozen=True, slots=True)
class Report:
    per_indicator: dict[str, Counts]
    total: Counts  # micro-averaged over every (advert, indicator) decision
    adverts: int
    language_agreement: float  # share of adverts whose detected language is the labelled one
    flagged_hard_negatives: tuple[str, ...]  # hard negatives with a flag outside their labels

    @property
    def macro_f1(self) -> float:
        values = [c.f1 for c in self.per_indicator.values() if c.f1 is not None]
        return sum(values) / len(values) if values else 0.0


def evaluate(
    items: Sequence[LabelledAdvert],
    rules: adverts.AdvertRuleSet,
    *,
    detect: Callable[[str], tuple[str, float]] | None = None,
) -> Report:
    """Screen every advert and compare its indicators with its labels. ``detect`` gives the
    language as imports do (:func:`langid.detect`); None screens in the labelled language."""
    per = {key: Counts() for key in adverts.INDICATOR_LABELS}
    agree = 0
    flagged_negatives: list[str] = []
    for item in items:
        lang = detect(item.text)[0] if detect is not None else item.lang
        agree += lang == item.lang
        found = set(adverts.screen(item.text, lang, rules).indicators)
        if item.kind == "hard_negative" and found - item.labels:
            flagged_negatives.append(item.id)
        for key, c in per.items():
            want, got = key in item.labels, key in found
            if want and got:
                c.tp += 1
            elif got:
                c.fp += 1
                c.spurious.append(item.id)
            elif want:
                c.fn += 1
                c.missed.append(item.id)
    total = Counts(
        tp=sum(c.tp for c in per.values()),
        fp=sum(c.fp for c in per.values()),
        fn=sum(c.fn for c in per.values()),
    )
    share = agree / len(items) if items else 0.0
    return Report(per, total, len(items), share, tuple(flagged_negatives))
