"""The batch fast path gives, byte for byte, the reference engine's result.

``FastScreener.result_json(row)`` must equal ``orjson.dumps(screen_mapping(row))`` for
every valid row and raise the same errors for every invalid one. Rows are generated
in every shape the batch reads: flat indicator columns with each spelling, a nested
``indicators`` object or list, notes, lenient spellings, bad values, unknown fields,
several forms, criteria lists, Palermo elements, and enough rows to cycle the caches.
"""

from __future__ import annotations

import random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.screening import fastpath
from palermo.screening.catalogue import PALERMO_ACTS, PALERMO_MEANS, PALERMO_PURPOSES
from palermo.screening.engine import ScreeningInputError, screen_mapping
from palermo.screening.fastpath import FastScreener
from palermo.screening.loader import default_catalogue

CATALOGUE = default_catalogue()
ALL_KEYS = CATALOGUE.all_keys()
SPELLINGS = ["x", "1", "yes", "true", "observed", "self_reported", "document"]
ODD_SPELLINGS = ["", "0", "no", "false", " Yes", "X", "maybe", 1, 0, True, False, None, 2.5]


def assert_same(row: dict, screener: FastScreener | None = None) -> None:
    screener = screener or FastScreener(CATALOGUE)
    try:
        expected = orjson.dumps(screen_mapping(row, CATALOGUE))
    except ScreeningInputError as exc:
        with pytest.raises(ScreeningInputError) as caught:
            screener.result_json(row)
        assert caught.value.errors == exc.errors
        return
    assert screener.result_json(row) == expected, row


def _keys_for(rng: random.Random, group: str, forms: tuple[str, ...]) -> list[str]:
    pool = sorted(CATALOGUE.select(group, tuple(sorted(set(forms)))).keys)
    if rng.random() < 0.03:
        pool = list(ALL_KEYS)  # may pick a key from another list: an error
    return pool


def random_row(rng: random.Random) -> dict:
    row: dict = {"ref": f"R{rng.randrange(10**6)}"}
    roll = rng.random()
    age = None if roll < 0.1 else rng.randint(0, 17) if roll < 0.4 else rng.randint(18, 90)
    if age is not None:
        row["age"] = age if rng.random() < 0.5 else str(age)
    if rng.random() < 0.02:
        row["age"] = rng.choice([-3, 121, 999, "12.5", "abc", " 30 ", 17.0, True])
    uncertain = rng.random() < 0.15
    if uncertain or rng.random() < 0.05:
        row["age_uncertain_may_be_child"] = rng.choice(
            [True, "x", "yes", "1", False, "no", "maybe"]
        )
    group = "child" if uncertain or (age is not None and age < 18) else "adult"
    forms = tuple(rng.sample(CATALOGUE.forms, rng.choice([1, 1, 1, 1, 2, 3])))
    if rng.random() < 0.02:
        forms = (*forms, "not_a_form")
    if rng.random() < 0.97:
        row["forms"] = list(forms) if rng.random() < 0.5 else ";".join(forms)
    pool = _keys_for(rng, group, tuple(f for f in forms if f != "not_a_form") or ("labour",))
    chosen = rng.sample(pool, min(len(pool), rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20])))
    shape = rng.random()
    values = [
        rng.choice(ODD_SPELLINGS) if rng.random() < 0.04 else rng.choice(SPELLINGS) for _ in chosen
    ]
    if shape < 0.6:
        row.update(zip(chosen, values, strict=True))
    elif shape < 0.8:
        row["indicators"] = dict(zip(chosen, values, strict=True))
    elif shape < 0.9:
        row["indicators"] = list(chosen)
    else:
        row["indicators"] = [
            {"key": k, "source": rng.choice(["observed", "document", None]), "note": "seen"}
            for k in chosen
        ]
    if chosen and rng.random() < 0.03:
        row[chosen[0]] = rng.choice(["x", "observed", "document"])  # flat and nested: twice
    if rng.random() < 0.3:
        row["act"] = rng.sample(PALERMO_ACTS, rng.randint(0, 3))
        row["means"] = ";".join(rng.sample(PALERMO_MEANS, rng.randint(0, 3)))
        row["purpose"] = rng.sample(PALERMO_PURPOSES, rng.randint(0, 2))
        if rng.random() < 0.05:
            row["means"] = "bribery"
    if rng.random() < 0.15:
        row["self_identifies_as_victim"] = rng.choice([True, "yes", "x", False, "no", "perhaps"])
    if rng.random() < 0.01:
        row["nickname"] = "unknown field"
    return row


def test_many_generated_rows_match_the_reference() -> None:
    rng = random.Random(20_091_001)
    screener = FastScreener(CATALOGUE)
    for _ in range(6000):
        assert_same(random_row(rng), screener)


def test_cache_eviction_changes_nothing(monkeypatch) -> None:
    """Tiny caches evict all the time: results stay byte-identical."""
    for name in (
        "DIMENSION_CACHE_SIZE",
        "KEYSET_CACHE_SIZE",
        "CRITERIA_CACHE_SIZE",
        "PALERMO_CACHE_SIZE",
        "VERDICT_CACHE_SIZE",
        "TAIL_CACHE_SIZE",
    ):
        monkeypatch.setattr(fastpath, name, 4)
    rng = random.Random(7)
    screener = FastScreener(CATALOGUE)
    for _ in range(1500):
        assert_same(random_row(rng), screener)
    for cache in (
        screener._by_signature,
        screener._by_keyset,
        screener._palermo,
        screener._verdicts,
        screener._tails,
    ):
        assert 0 < len(cache.new) <= 4
        assert len(cache.old) == 4  # it did evict


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32),
    extra=st.dictionaries(
        st.sampled_from(
            [
                "age",
                "forms",
                "act",
                "means",
                "purpose",
                "indicators",
                "ref",
                "self_identifies_as_victim",
                "age_uncertain_may_be_child",
                *ALL_KEYS[:20],
            ]
        ),
        st.none()
        | st.booleans()
        | st.integers(-5, 200)
        | st.text(max_size=12)
        | st.lists(st.text(max_size=10), max_size=3),
        max_size=4,
    ),
)
def test_arbitrary_field_values_match_the_reference(seed, extra) -> None:
    row = random_row(random.Random(seed))
    row.update(extra)
    assert_same(row)


@pytest.mark.parametrize(
    "row",
    [
        {},
        {"ref": "only"},
        {"forms": "labour"},
        {"forms": []},
        {"age": 17, "forms": "domestic_servitude"},
        {"age": "0"},
        {"age": 120, "forms": "sexual"},
        {"age": 18, "age_uncertain_may_be_child": True, "forms": "labour"},
        {"forms": "labour;sexual;domestic_servitude", "act": "recruitment", "purpose": "servitude"},
        {"forms": "labour", "indicators": "a;b"},
        {"forms": "labour", "indicators": 5},
        {"forms": "labour", "indicators": [" padded "]},
        {"forms": "labour", "indicators": {"x": {"source": "observed"}}},
    ],
)
def test_edge_rows_match_the_reference(row) -> None:
    assert_same(row)


def test_every_indicator_alone_and_with_each_source() -> None:
    """Every key of every list, on its own, with each spelling: covers every dimension."""
    screener = FastScreener(CATALOGUE)
    for group, age in (("adult", 30), ("child", 12)):
        for form in CATALOGUE.forms:
            for key in sorted(CATALOGUE.select(group, (form,)).keys):
                for spelling in SPELLINGS:
                    assert_same({"age": age, "forms": form, key: spelling}, screener)


def test_cached_fragments_do_not_hold_orjson_buffers() -> None:
    """orjson returns its whole output buffer; cached fragments must be trimmed copies."""
    import sys

    fragment = fastpath._dumps({"key": "k", "positive": True})
    assert sys.getsizeof(fragment) < 200


def _dimension_groups(group: str, forms: tuple[str, ...]) -> list[list[str]]:
    """Keys of each dimension (graded lists) and of each criterion with its also_met_by
    keys (criteria lists) for one selection."""
    out: list[list[str]] = []
    for s in CATALOGUE.select(group, forms).sets:
        if s.kind == "indicators":
            for d in s.dimensions:
                out.append([i.key for i in s.indicators if i.dimension == d.key])
        else:
            for c in s.criteria:
                out.append([*(i.key for i in s.indicators if i.criterion == c.key), *c.also_met_by])
    return out


def test_many_indicators_in_one_dimension_across_shared_lists(monkeypatch) -> None:
    """Whole dimensions and criteria with mixed sources, for every forms combination,
    adults, children and presumed children of 18+, keys shared by several lists (labour
    and sexual, criteria also_met_by); one screener with tiny caches so plans sharing a
    graded list interleave and evict each other, then the same rows again (warm)."""
    import itertools

    for name in (
        "DIMENSION_CACHE_SIZE",
        "KEYSET_CACHE_SIZE",
        "CRITERIA_CACHE_SIZE",
        "PALERMO_CACHE_SIZE",
        "VERDICT_CACHE_SIZE",
        "TAIL_CACHE_SIZE",
    ):
        monkeypatch.setattr(fastpath, name, 3)
    rng = random.Random(41)
    sources = ["x", "observed", "self_reported", "document", True]
    people = [
        ({"age": 30}, "adult"),
        ({"age": "9"}, "child"),
        ({"age": 40, "age_uncertain_may_be_child": "yes"}, "child"),
    ]
    rows = []
    for r in (1, 2, 3):
        for forms in itertools.combinations(CATALOGUE.forms, r):
            for person, group in people:
                for keys in _dimension_groups(group, forms):
                    picked = rng.sample(keys, rng.randint(1, len(keys)))
                    row = {
                        **person,
                        "forms": "|".join(reversed(forms)),
                        **{k: rng.choice(sources) for k in picked},
                    }
                    if rng.random() < 0.3:
                        row.update(act="harbouring", purpose=["servitude"])
                    rows.append(row)
    screener = FastScreener(CATALOGUE)
    rng.shuffle(rows)
    for row in rows + rows:
        assert_same(row, screener)


@pytest.mark.parametrize(
    "row",
    [
        # the same indicator flat and nested, in compatible spellings: one fact
        {
            "forms": "labour",
            "excessive_working_hours": "x",
            "indicators": ["excessive_working_hours"],
        },
        {
            "forms": "labour",
            "excessive_working_hours": "observed",
            "indicators": {"excessive_working_hours": "no"},
        },
        {
            "forms": "labour",
            "excessive_working_hours": "",
            "indicators": {"excessive_working_hours": True},
        },
        {"forms": "labour", "indicators": ["excessive_working_hours", "excessive_working_hours"]},
        {
            "forms": "labour",
            "indicators": {"excessive_working_hours": "1"},
            "excessive_working_hours": "true",
        },
        # ... and in conflicting ones: an error
        {
            "forms": "labour",
            "excessive_working_hours": "document",
            "indicators": ["excessive_working_hours"],
        },
        {
            "forms": "labour",
            "indicators": {"excessive_working_hours": "observed"},
            "excessive_working_hours": "self_reported",
        },
        # absent spellings for keys outside the person's lists (or unknown, nested): no error
        {"age": 30, "forms": "labour", "no_social_protection": "no", "ds_no_phone": ""},
        {"forms": "sexual", "indicators": {"not_a_key": "no", "ds_no_phone": False}},
        {"age": 10, "forms": "labour", "no_social_protection": "x"},  # adult-only key: error
        # criteria-only keys, with and without the graded keys that also meet a criterion
        {
            "age": 50,
            "forms": "domestic_servitude",
            "ds_no_wages": "x",
            "ds_no_rest": "document",
            "ds_humiliation": "self_reported",
        },
        {
            "age": "5",
            "forms": ["domestic_servitude", "labour"],
            "ds_no_wages": "x",
            "excessive_working_hours": "observed",
            "coerced_violence_on_victim": "1",
        },
        {
            "forms": "domestic_servitude;sexual",
            "ds_no_wages": "x",
            "bad_living_conditions": "x",
            "coerced_documents_confiscated": "document",
            "act": "transfer",
            "means": "fraud",
        },
    ],
)
def test_repeated_and_cross_list_indicators_match_the_reference(row) -> None:
    screener = FastScreener(CATALOGUE)
    assert_same(row, screener)
    assert_same(row, screener)  # warm caches


@pytest.mark.parametrize(
    "row",
    [
        {
            "forms": " labour | sexual ,labour;",
            "act": "recruitment,transfer,recruitment",
            "means": ["fraud", " deception ", "fraud"],
            "purpose": "servitude",
        },
        {"forms": [" domestic_servitude "], "act": [], "means": "", "purpose": None},
        {"forms": ["labour", ""]},
        {"forms": "labour", "act": "Recruitment"},
        {"forms": "labour", "act": [" receipt"], "means": "bribery"},
        {"age": "007", "forms": "labour"},
        {"age": "120"},
        {"age": "121"},
        {"age": " 18 ", "forms": "labour"},
        {"age": 17.0, "forms": "sexual"},
        {"age": "-0"},
        {"age": False},
        {"age": None, "age_uncertain_may_be_child": " YES "},
        {"age": 18, "age_uncertain_may_be_child": 1, "self_identifies_as_victim": "0"},
        {"age": 18, "age_uncertain_may_be_child": 2},
        {"self_identifies_as_victim": "x", "act": "harbouring"},
        {"forms": "labour", "indicators": ""},
        {"forms": "labour", "indicators": None, "excessive_working_hours": 1},
        {"forms": "labour", "indicators": ("excessive_working_hours",)},
    ],
)
def test_list_age_and_flag_spellings_match_the_reference(row) -> None:
    assert_same(row)


@pytest.mark.parametrize("row", [None, [], "age=30", 42, [("age", 30)]])
def test_a_row_that_is_not_an_object_gets_the_reference_error(row) -> None:
    assert_same(row)


# Children (Palermo Art. 3(c)): every outcome of the children's rule, through both paths,
# cold and warm, including a declared act with nothing present in one of two lists.
CHILD_ROWS = {
    "trafficking_of_a_child_for_labour_exploitation": [
        {
            "age": 15,
            "forms": "labour",
            "act": "recruitment",
            "excessive_working_hours": "x",
            "no_access_to_education": "observed",
        },
        {
            "age": "14",
            "forms": "labour",
            "vulnerable_at_recruitment_economic_reasons": "x",
            "vulnerable_at_recruitment_family_situation": "x",
            "vulnerable_at_recruitment_emotional_dependency": "x",
            "excessive_working_hours": "x",
            "hazardous_work": "document",
        },
        {
            "age": 19,
            "age_uncertain_may_be_child": "yes",
            "forms": "labour;sexual",
            "act": "receipt",
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
        },
    ],
    "trafficking_of_a_child_for_sexual_exploitation": [
        {
            "age": 14,
            "forms": "sexual",
            "act": ["harbouring"],
            "excessive_working_hours": "x",
            "low_or_no_salary": "self_reported",
            "means": "abuse_of_vulnerability",
        },
    ],
    "exploitation_of_a_child": [
        {"age": 16, "forms": "labour", "excessive_working_hours": "x", "hazardous_work": "x"},
        {
            "age": 16,
            "forms": "labour",
            "excessive_working_hours": "x",
            "hazardous_work": "x",
            "coerced_documents_confiscated": "observed",
            "coerced_violence_on_victim": "x",
        },
    ],
    "child_at_risk_of_trafficking": [
        {"age": 13, "forms": "labour", "deceived_about_job": "x", "deceived_about_education": "x"},
        {"age": 13, "forms": ["labour", "sexual"], "act": "harbouring"},
        {"age": 13, "forms": "labour;sexual", "act": "transfer", "deceived_about_wages": "x"},
        {
            "age": 12,
            "forms": "labour",
            "coerced_debt_bondage": "x",
            "coerced_violence_on_victim": "x",
        },
    ],
}


@pytest.mark.parametrize(
    ("assessment", "row"),
    [(a, row) for a, rows in CHILD_ROWS.items() for row in rows],
)
def test_childrens_outcomes_match_the_reference(assessment, row) -> None:
    assert screen_mapping(row, CATALOGUE).assessment == assessment
    screener = FastScreener(CATALOGUE)
    assert_same(row, screener)
    assert_same(row, screener)  # warm caches
    # the same facts without the declared act, then with it again, on the same screener
    if "act" in row:
        assert_same({k: v for k, v in row.items() if k != "act"}, screener)
        assert_same(row, screener)


def test_generated_rows_reach_every_childrens_outcome() -> None:
    """The generated rows of the differential tests above do exercise the children's rule."""
    rng = random.Random(20_091_001)
    seen: set[str] = set()
    for _ in range(6000):
        try:
            result = screen_mapping(random_row(rng), CATALOGUE)
        except ScreeningInputError:
            continue
        seen.update(s.outcome for s in result.sets if s.outcome)
    assert set(CHILD_ROWS) <= seen
