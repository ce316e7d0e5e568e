"""k-anonymous releases: hierarchies, the engine, the CTDC release and the k check."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.stats.anonymise import (
    QuasiIdentifier,
    anonymise,
    k_anonymity_check,
    k_anonymity_check_file,
)
from palermo.stats.ctdc import CTDC_COLUMNS, DEFAULT_QUASI_IDENTIFIERS, export_ctdc, release_ctdc
from palermo.stats.hierarchies import (
    HierarchyError,
    age_hierarchy,
    build_hierarchy,
    categorical_hierarchy,
    country_hierarchy,
    ctdc_age_band,
    year_hierarchy,
)
from palermo.stats.synthetic import synthetic_ctdc_frame


def test_ctdc_age_bands():
    assert [ctdc_age_band(a) for a in (0, 8, 9, 17, 18, 20, 30, 47, 48, 99)] == [
        "0--8",
        "0--8",
        "9--17",
        "9--17",
        "18--20",
        "18--20",
        "30--38",
        "39--47",
        "48+",
        "48+",
    ]


def test_hierarchies_must_nest():
    with pytest.raises(HierarchyError, match="splits"):
        build_hierarchy(
            "x",
            ["a", "b", "-99"],
            [["a", "a", "-99"], ["A", "B", "-99"]],
            ["l0", "l1"],
            missing="-99",
        )
    with pytest.raises(HierarchyError, match="divide"):
        year_hierarchy([2019, 2020], widths=[1, 2, 5])


@pytest.mark.parametrize(
    "h",
    [
        age_hierarchy(),
        year_hierarchy(range(2002, 2024)),
        country_hierarchy("citizenship", ["XK"]),
        categorical_hierarchy("g", ["F", "M"]),
    ],
)
def test_ncp_is_zero_at_the_bottom_one_at_the_top_and_grows(h):
    known = [i for i in range(len(h.leaves)) if i != h.missing_leaf]
    assert np.all(h.ncp[0, known] == 0)
    assert np.all(h.ncp[-1] == 1)
    assert np.all(np.diff(h.ncp[:, known], axis=0) >= 0)
    assert np.all(h.ncp[:-1, h.missing_leaf] == 0)


def test_country_hierarchy_follows_m49():
    h = country_hierarchy("citizenship", ["XK"])
    assert h.label(1, "NG") == "Western Africa" and h.label(2, "NG") == "Sub-Saharan Africa"
    assert h.label(3, "NG") == "Africa" and h.label(1, "GB") == "Northern Europe"
    assert h.label(3, "XK") == "Unclassified" and h.label(4, "NG") == "-99"


def test_k_check_counts_small_groups():
    rows = [{"a": "x", "b": 1}] * 3 + [{"a": "y", "b": 1}] * 12 + [{"a": None, "b": 2}]
    check = k_anonymity_check(rows, ["a", "b"], k=11)
    assert (check.k, check.groups, check.offending_groups, check.offending_records) == (1, 3, 2, 4)
    assert k_anonymity_check(rows, ["b"], k=4).offending_groups == 1
    with pytest.raises(KeyError):
        k_anonymity_check(rows, ["nope"])


def _independent_k(frame: pl.DataFrame, columns) -> int:
    groups = Counter(tuple(r) for r in frame.select(columns).iter_rows())
    return min(groups.values()) if groups else 0


@pytest.fixture(scope="module")
def release_20k():
    return synthetic_ctdc_frame(20_000, seed=7), release_ctdc(synthetic_ctdc_frame(20_000, seed=7))


def test_ctdc_release_is_k_anonymous_in_ctdc_columns(release_20k):
    source, release = release_20k
    out = release.released
    assert tuple(out.columns) == CTDC_COLUMNS
    assert set(release.quasi_identifiers) == {
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "majorityStatus",
        "citizenship",
        "CountryOfExploitation",
    }
    assert _independent_k(out, list(release.quasi_identifiers)) >= 11
    assert release.metrics.records_kept == out.height
    assert release.metrics.records_kept >= release.baseline.records_kept
    assert release.metrics.share_kept >= 0.9


def test_release_never_publishes_exact_ages_and_only_valid_labels(release_20k):
    _, release = release_20k
    out = release.released
    bands = {ctdc_age_band(a) for a in range(121)} | {"-99"}
    assert set(out["ageBroad"].unique()) <= bands
    assert set(out["majorityStatus"].unique()) <= {"Minor", "Adult", "-99"}
    minors = out.filter(pl.col("ageBroad").is_in(["0--8", "9--17"]))
    assert set(minors["majorityStatus"].unique()) <= {"Minor"}


def test_release_keeps_the_non_identifying_columns_of_kept_records(release_20k):
    source, release = release_20k
    column = "typeOfExploitConcatenated"
    kept = Counter(release.released[column].to_list())
    original = Counter(source[column].to_list())
    assert all(kept[v] <= original[v] for v in kept)
    assert sum(kept.values()) == release.metrics.records_kept


def test_written_release_passes_the_file_check(tmp_path, release_20k):
    source, _ = release_20k
    path = tmp_path / "release.csv"
    release = export_ctdc(source, path)
    check = k_anonymity_check_file(path, release.quasi_identifiers, k=11)
    assert check.ok and check.k >= 11
    assert path.read_text().splitlines()[0].split(",") == list(CTDC_COLUMNS)


def test_synthetic_data_is_deterministic():
    assert synthetic_ctdc_frame(500, seed=1).equals(synthetic_ctdc_frame(500, seed=1))
    assert not synthetic_ctdc_frame(500, seed=1).equals(synthetic_ctdc_frame(500, seed=2))


def test_too_few_records_are_all_suppressed():
    frame = synthetic_ctdc_frame(8, seed=3)
    release = release_ctdc(frame, k=11)
    assert release.released.height == 0 and release.metrics.records_kept == 0


def test_values_outside_the_hierarchy_are_refused():
    frame = pl.DataFrame({"g": ["F", "M", "Q"]})
    with pytest.raises(Exception, match="outside the hierarchy"):
        anonymise(frame, [QuasiIdentifier("g", categorical_hierarchy("g", ["F", "M"]))], k=2)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 60) | st.none(),
            st.sampled_from([2015, 2016, 2017, 2020]),
            st.sampled_from(["UA", "MD", "RO", "NG", "GH", "PH", None]),
        ),
        min_size=0,
        max_size=120,
    ),
    k=st.integers(2, 6),
)
def test_any_release_is_k_anonymous_and_accounts_for_every_record(rows, k):
    frame = pl.DataFrame(
        {
            "age": [r[0] for r in rows],
            "year": [r[1] for r in rows],
            "cit": [r[2] for r in rows],
            "id": list(range(len(rows))),
        },
        schema={"age": pl.Int64, "year": pl.Int64, "cit": pl.Utf8, "id": pl.Int64},
    )
    qis = [
        QuasiIdentifier("age", age_hierarchy(exact_level=True)),
        QuasiIdentifier("year", year_hierarchy([2015, 2016, 2017, 2020])),
        QuasiIdentifier("cit", country_hierarchy("cit")),
    ]
    release = anonymise(frame, qis, k=k)
    out = release.released
    if out.height:
        assert _independent_k(out, list(release.quasi_identifiers)) >= k
    assert out.height == release.metrics.records_kept <= len(rows)
    assert len(set(out["id"].to_list())) == out.height  # each record at most once
    assert release.metrics.records_kept >= release.baseline.records_kept
    assert 0.0 <= release.metrics.ncp <= 1.0
    if len(rows) >= k:
        # Some pass can always release the whole table with the year alone kept or suppressed.
        assert release.metrics.records_kept >= len(rows) - (k - 1) * 4


def test_default_quasi_identifiers_are_the_documented_ones():
    assert DEFAULT_QUASI_IDENTIFIERS == (
        "yearOfRegistration",
        "gender",
        "age",
        "citizenship",
        "CountryOfExploitation",
    )
