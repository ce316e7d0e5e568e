"""The dimension rule, checked around every threshold against independent formulations.

The rule (ILO & European Commission, 2009): a dimension is positive when its present
indicators include at least two strong; or one strong and one medium or weak; or three
medium; or two medium and one weak.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from palermo.screening.engine import ObservedIndicator, ScreeningInput, screen
from palermo.screening.loader import BUILTIN_DIR, default_catalogue, load_catalogue

COUNTS = range(5)  # 0..4 of each grade: every threshold and one beyond
ALL_COMBINATIONS = list(itertools.product(COUNTS, COUNTS, COUNTS))


def positive_as_stated(s: int, m: int, w: int) -> bool:
    """The rule as the publication states it."""
    return s >= 2 or (s >= 1 and (m + w) >= 1) or m >= 3 or (m >= 2 and w >= 1)


def negative_as_enumerated(s: int, m: int, w: int) -> bool:
    """The complement, worked out by hand case by case (not derived from the above):
    with no strong indicator, a dimension stays negative with at most one medium, or
    with exactly two medium and no weak; with one strong, only when it is alone."""
    if s == 0:
        return m <= 1 or (m == 2 and w == 0)
    if s == 1:
        return m == 0 and w == 0
    return False


def expected_clause(s: int, m: int, w: int) -> str | None:
    """The first clause, in the order the set file lists them."""
    if s >= 2:
        return "two_strong"
    if s >= 1 and m + w >= 1:
        return "strong_and_medium_or_weak"
    if m >= 3:
        return "three_medium"
    if m >= 2 and w >= 1:
        return "two_medium_and_one_weak"
    return None


def test_the_two_formulations_agree() -> None:
    for s, m, w in ALL_COMBINATIONS:
        assert positive_as_stated(s, m, w) is not negative_as_enumerated(s, m, w), (s, m, w)


@pytest.mark.parametrize(
    "set_id", [s.id for s in default_catalogue().sets if s.kind == "indicators"]
)
def test_builtin_rule_table_matches_every_combination(set_id: str) -> None:
    indicator_set = default_catalogue().get(set_id)
    for s, m, w in ALL_COMBINATIONS:
        clause = indicator_set.first_clause_met(s, m, w)
        assert (clause is not None) is positive_as_stated(s, m, w), (set_id, s, m, w)
        assert (clause.id if clause else None) == expected_clause(s, m, w), (set_id, s, m, w)


def test_counts_far_above_the_thresholds_behave_like_the_cap() -> None:
    indicator_set = default_catalogue().get("ilo-ec-2009-adults-labour")
    assert indicator_set.first_clause_met(0, 2, 0) is None
    assert indicator_set.first_clause_met(0, 40, 0).id == "three_medium"
    assert indicator_set.first_clause_met(1, 0, 0) is None
    assert indicator_set.first_clause_met(1, 0, 99).id == "strong_and_medium_or_weak"


@pytest.fixture(scope="module")
def graded_test_set(tmp_path_factory: pytest.TempPathFactory):
    """A set whose one exploitation dimension holds four indicators of each grade, so the
    whole engine path (YAML, schema, loader, engine) can be driven through every
    combination; the clauses are copied from the built-in adult-labour file."""
    builtin = yaml.safe_load((BUILTIN_DIR / "adults-labour.yaml").read_text())
    directory: Path = tmp_path_factory.mktemp("sets")
    grades = {"strong": "s", "medium": "m", "weak": "w"}
    data = {
        "id": "test-graded",
        "version": "1",
        "kind": "indicators",
        "title": "Test set",
        "applies_to": {"age_groups": ["adult"], "forms": ["test_form"]},
        "source": {"citation": "test"},
        "provenance": {"transcribed": False, "note": "test"},
        "dimensions": [
            {
                "key": "exploit",
                "number": 1,
                "label": "Exploitation",
                "palermo_element": "purpose",
                "stage": "exploitation",
            },
        ],
        "rule": {
            "id": "test-rule",
            "citation": "test",
            "dimension_positive_when_any": builtin["rule"]["dimension_positive_when_any"],
            "stages": [{"key": "exploitation", "label": "exploitation"}],
            "trafficking_when_positive": ["exploitation"],
            "outcome": "test_outcome",
        },
        "indicators": [
            {
                "key": f"t_{g}{n}",
                "dimension": "exploit",
                "grade": grade,
                "label": f"{grade} {n}",
                "guidance": "ask",
            }
            for grade, g in grades.items()
            for n in range(4)
        ],
    }
    (directory / "test.yaml").write_text(yaml.safe_dump(data))
    return load_catalogue([directory], use_env=False, builtin=False)


def test_engine_dimension_verdict_for_every_combination(graded_test_set) -> None:
    for s, m, w in ALL_COMBINATIONS:
        keys = (
            [f"t_s{n}" for n in range(s)]
            + [f"t_m{n}" for n in range(m)]
            + [f"t_w{n}" for n in range(w)]
        )
        person = ScreeningInput(
            age=30, forms=("test_form",), indicators=tuple(ObservedIndicator(k) for k in keys)
        )
        result = screen(person, graded_test_set)
        (dimension,) = result.sets[0].dimensions
        assert dimension.positive is positive_as_stated(s, m, w), (s, m, w)
        assert dimension.clause == expected_clause(s, m, w), (s, m, w)
        assert (dimension.counts.strong, dimension.counts.medium, dimension.counts.weak) == (
            s,
            m,
            w,
        )
        assert result.sets[0].outcome_positive is positive_as_stated(s, m, w)
