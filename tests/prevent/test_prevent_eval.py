"""The labelled advert set (tests/data/adverts/test.jsonl) loads, every label names a known
indicator, the set has the shape docs/prevent.md describes, and the screening's precision and
recall on it stay above floors set a little below the figures measured on 2026-12-02 (so a rule
change that loses recall or adds false flags fails here). The labels were written from the text;
the floors follow the rules, never the other way round."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.prevent import adverts, evaluation, langid

SET_DIR = Path(__file__).resolve().parent.parent / "data" / "adverts"
SET = SET_DIR / evaluation.SPLITS["test"]
DEV = SET_DIR / evaluation.SPLITS["dev"]
NEAR_COPY = 0.45  # character 5-gram Jaccard; the closest dev–test pair measured 0.34
RULES = adverts.load()

# Measured 2026-12-02 (rules 2026-12-02.1, language detected): precision 97.2 %, recall 57.2 %,
# F1 72.0 % (micro, 231 adverts). Floors about 3 points below; see docs/prevent.md.
PRECISION_FLOOR = 0.94
RECALL_FLOOR = 0.54
F1_FLOOR = 0.69
HARD_NEGATIVES_FALSELY_FLAGGED_MAX = 4  # 3 today


@pytest.fixture(scope="module")
def items() -> list[evaluation.LabelledAdvert]:
    return evaluation.load_set(SET)


@pytest.fixture(scope="module")
def report(items) -> evaluation.Report:
    return evaluation.evaluate(items, RULES, detect=langid.detect)


def test_the_set_loads_with_known_indicators_only(items):
    assert len(items) >= 150
    known = set(adverts.INDICATOR_LABELS)
    assert {r.indicator for r in RULES.rules} == known
    for item in items:
        assert item.labels <= known, item.id
    # every indicator the screener knows has positives to be measured on
    counts = Counter(label for item in items for label in item.labels)
    assert set(counts) == known
    assert min(counts.values()) >= 15


def test_the_set_covers_the_languages_and_kinds_it_claims(items):
    langs = Counter(i.lang for i in items)
    assert set(langs) == {"en", "ru", "uk", "ro", "sq", "sr"}
    assert min(langs.values()) >= 30
    kinds = Counter(i.kind for i in items)
    assert kinds["hard_negative"] >= 30 and kinds["ordinary"] >= 30 and kinds["risky"] >= 60
    for item in items:
        if item.kind == "risky":
            assert item.labels, f"{item.id}: a risky advert names its indicators"


@pytest.fixture(scope="module")
def dev_items() -> list[evaluation.LabelledAdvert]:
    return evaluation.load_set(DEV)


@pytest.mark.parametrize("split", ["test", "dev"])
def test_the_set_is_fictional(items, dev_items, split):
    """Phone numbers only from the UK range reserved for drama (+44 7700 900xxx); links and
    e-mails only at example.org / example.com."""
    for item in items if split == "test" else dev_items:
        ents = adverts.extract_entities(item.text)
        for phone in ents.phones:
            assert phone.startswith("+447700900"), (item.id, phone)
        for addr in (*ents.emails, *ents.urls):
            assert re.search(r"example\.(org|com)", addr), (item.id, addr)


def test_the_dev_split_covers_every_language_kind_and_indicator(dev_items):
    assert len(dev_items) >= 60
    assert Counter(i.lang for i in dev_items) == {
        lang: 12 for lang in ("en", "ru", "uk", "ro", "sq", "sr")
    }
    assert {i.kind for i in dev_items} == evaluation.KINDS
    assert {label for i in dev_items for label in i.labels} == set(adverts.INDICATOR_LABELS)
    assert all(i.id.startswith("dev-") for i in dev_items)


def test_the_dev_split_shares_no_advert_with_the_test_split(items, dev_items):
    """Tuning on dev must not tune on test: no shared id, and no dev advert a near copy of a
    test advert (numbers, links and e-mails masked)."""
    assert not {i.id for i in items} & {i.id for i in dev_items}
    assert evaluation.closest_pairs(dev_items, items, NEAR_COPY) == []


def test_a_near_copy_is_found():
    a = evaluation.LabelledAdvert(
        "a", "en", "risky", frozenset(), "Farm work, fee 300 EUR, start now."
    )
    b = evaluation.LabelledAdvert(
        "b", "en", "risky", frozenset(), "Farm work, fee 450 EUR, start now!"
    )
    c = evaluation.LabelledAdvert(
        "c", "en", "ordinary", frozenset(), "Accountant in Leeds, 3 years."
    )
    assert [(x, y) for _j, x, y in evaluation.closest_pairs([a], [b, c], NEAR_COPY)] == [("a", "b")]


def test_precision_and_recall_stay_above_the_floors(report):
    t = report.total
    assert report.adverts >= 150
    assert t.precision is not None and t.precision >= PRECISION_FLOOR, t.precision
    assert t.recall is not None and t.recall >= RECALL_FLOOR, t.recall
    assert t.f1 is not None and t.f1 >= F1_FLOOR, t.f1
    assert len(report.flagged_hard_negatives) <= HARD_NEGATIVES_FALSELY_FLAGGED_MAX


def test_every_indicator_is_found_at_least_once(report):
    # A rule file that lost an indicator's patterns would still pass the totals above.
    for key, c in report.per_indicator.items():
        assert c.tp >= 1, key


# --- the evaluation module itself ----------------------------------------------------------


def _line(**kw) -> str:
    base = {"id": "x-1", "lang": "en", "kind": "risky", "labels": ["fee"], "text": "Pay a fee."}
    base.update(kw)
    return json.dumps(base)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([_line(labels=["fees"])], "unknown indicators ['fees']"),
        ([_line(kind="scary")], "unknown kind"),
        ([_line(), _line()], "used twice"),
        ([_line(text="  ")], "empty text"),
        ([_line(labels="fee")], "list of indicator keys"),
        ([_line(labels=["fee", "fee"])], "labelled twice"),
        (["{not json"], "line 1: not JSON"),
        (["[1, 2]"], "not a JSON object"),
        ([json.dumps({"id": "a", "text": "t"})], "missing ['kind', 'labels', 'lang']"),
        (["", _line(id="")], "line 2: id must be"),
    ],
)
def test_a_bad_line_is_refused_naming_the_line(lines, message):
    with pytest.raises(evaluation.EvalSetError, match=re.escape(message)):
        evaluation.parse_lines(lines, adverts.INDICATOR_LABELS)


def test_counting_on_a_small_set_by_hand():
    items = evaluation.parse_lines(
        [
            _line(id="a", labels=["fee"], text="Registration fee 200 EUR before departure."),
            _line(id="b", labels=["passport"], text="Lovely flat, sea view."),
            _line(
                id="c",
                kind="hard_negative",
                labels=[],
                text="Registration fee 200 EUR before departure.",
            ),
            _line(id="d", kind="ordinary", labels=[], text="Accountant, three years."),
        ],
        adverts.INDICATOR_LABELS,
    )
    r = evaluation.evaluate(items, RULES)
    fee, passport = r.per_indicator["fee"], r.per_indicator["passport"]
    assert (fee.tp, fee.fp, fee.fn) == (1, 1, 0)
    assert fee.spurious == ["c"] and fee.precision == 0.5 and fee.recall == 1.0
    assert (passport.tp, passport.fp, passport.fn) == (0, 0, 1) and passport.missed == ["b"]
    assert passport.precision is None and passport.recall == 0.0
    assert r.per_indicator["photos"].f1 is None  # nothing labelled, nothing flagged
    assert (r.total.tp, r.total.fp, r.total.fn) == (1, 1, 1)
    assert r.flagged_hard_negatives == ("c",)
    assert r.language_agreement == 1.0  # no detector: the labelled language is used


def test_a_wrong_language_is_counted_as_disagreement():
    items = evaluation.parse_lines([_line()], adverts.INDICATOR_LABELS)
    r = evaluation.evaluate(items, RULES, detect=lambda _t: ("ru", 0.9))
    assert r.language_agreement == 0.0


def test_wilson_interval_known_value():
    lo, hi = evaluation.wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert evaluation.wilson(0, 0) == (0.0, 1.0)


@given(st.integers(0, 500), st.integers(0, 500))
def test_wilson_interval_contains_the_proportion(k, extra):
    n = k + extra
    lo, hi = evaluation.wilson(k, n)
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo - 1e-12 <= k / n <= hi + 1e-12
