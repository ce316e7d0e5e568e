"""Indicator definitions as data, computed against hand-built facts, always protected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.monitor import indicators
from palermo.monitor.indicators import DefinitionError, compute, definition, parse_definitions


@dataclass(frozen=True)
class Fact:
    case_id: int = 1
    reference: str = "NRM-X"
    year: int = 2025
    identification_status: str = "presumed"
    is_child: bool = False
    forms: tuple[str, ...] = ("ForcedLabour",)
    guardian_due_on: date | None = None
    guardian_appointed_on: date | None = None
    reflection_period_granted: bool = False
    referrals_sent: int = 0
    referrals_accepted: int = 0
    compensation_claimed: int = 0
    compensation_awarded: int = 0


def many(n: int, **kw) -> list[Fact]:
    return [Fact(**kw) for _ in range(n)]


def test_shipped_definitions_load_and_each_has_a_citation_and_groups():
    defs = indicators.definitions()
    assert {d.id for d in defs} >= {
        "victims_by_form",
        "children_guardian_in_time",
        "reflection_period",
        "referrals_accepted",
        "compensation_awarded",
    }
    for d in defs:
        assert d.citation and d.source and d.definition and "overview" in d.groups


def test_victims_by_form_counts_presumed_and_identified_per_form():
    facts = (
        many(12, identification_status="identified", forms=("ForcedLabour", "SexualExploitation"))
        + many(11, identification_status="presumed", forms=("SexualExploitation",))
        + many(30, identification_status="potential")  # not yet decided: not counted
        + many(3, identification_status="identified", forms=("OrganRemoval",))
    )
    r = compute(definition("victims_by_form"), facts)
    by = {f.label: f.value for f in r.figures}
    assert by["Total"] == 26
    assert by["ForcedLabour"] == 12
    assert by["SexualExploitation"] == 23
    assert by["OrganRemoval"] is None  # 3 people: suppressed


def test_guardian_in_time_is_on_or_before_the_due_date():
    due = date(2025, 3, 4)
    facts = (
        many(15, is_child=True, guardian_due_on=due, guardian_appointed_on=due)
        + many(12, is_child=True, guardian_due_on=due, guardian_appointed_on=date(2025, 3, 5))
        + many(20, is_child=False)
    )
    total = compute(definition("children_guardian_in_time"), facts).total
    assert (total.value, total.denominator) == (15, 27)


def test_a_share_whose_complement_is_small_is_suppressed():
    # 20 children, 19 with a guardian in time: publishing 19/20 would tell that one child had none.
    due = date(2025, 3, 4)
    facts = many(19, is_child=True, guardian_due_on=due, guardian_appointed_on=due) + many(
        1, is_child=True
    )
    total = compute(definition("children_guardian_in_time"), facts).total
    assert total.value is None and total.denominator is None and total.share is None


def test_reflection_referrals_and_compensation():
    facts = (
        many(
            11,
            reflection_period_granted=True,
            referrals_sent=2,
            referrals_accepted=1,
            compensation_claimed=1,
            compensation_awarded=1,
        )
        + many(11, referrals_sent=1, compensation_claimed=1)
        + many(11, identification_status="not_identified", reflection_period_granted=False)
    )
    assert compute(definition("reflection_period"), facts).total.value == 11
    assert compute(definition("reflection_period"), facts).total.denominator == 22
    ref = compute(definition("referrals_accepted"), facts).total
    assert (ref.value, ref.denominator) == (11, 22)
    comp = compute(definition("compensation_awarded"), facts).total
    assert comp.share == pytest.approx(0.5)


@pytest.mark.parametrize(
    "doc, message",
    [
        (
            {
                "indicators": [
                    {
                        "id": "a",
                        "title": "t",
                        "definition": "d",
                        "source": "s",
                        "citation": "c",
                        "groups": ["overview"],
                        "numerator": [{"fact": "name", "is": True}],
                    }
                ]
            },
            "unknown fact",
        ),
        (
            {
                "indicators": [
                    {
                        "id": "a",
                        "title": "t",
                        "definition": "d",
                        "source": "s",
                        "citation": "c",
                        "groups": ["overview"],
                        "numerator": [{"fact": "is_child", "at_least": 1}],
                    }
                ]
            },
            "does not fit",
        ),
        (
            {
                "indicators": [
                    {
                        "id": "a",
                        "title": "t",
                        "definition": "d",
                        "source": "s",
                        "groups": ["overview"],
                        "numerator": [{"fact": "is_child", "is": True}],
                    }
                ]
            },
            "'citation'",
        ),
        (
            {
                "indicators": [
                    {
                        "id": "a",
                        "title": "t",
                        "definition": "d",
                        "source": "s",
                        "citation": "c",
                        "groups": ["passwords"],
                        "numerator": [{"fact": "is_child", "is": True}],
                    }
                ]
            },
            "groups",
        ),
        ({"indicators": "nope"}, "list under"),
    ],
)
def test_bad_definitions_are_refused_with_the_reason(doc, message):
    with pytest.raises(DefinitionError, match=message):
        parse_definitions(doc)


# --- protection always applies -----------------------------------------------------------------------

facts_strategy = st.lists(
    st.builds(
        Fact,
        identification_status=st.sampled_from(
            ["potential", "presumed", "identified", "not_identified"]
        ),
        is_child=st.booleans(),
        forms=st.lists(
            st.sampled_from(["ForcedLabour", "SexualExploitation", "ForcedBegging"]), max_size=2
        ).map(tuple),
        guardian_due_on=st.sampled_from([None, date(2025, 1, 10)]),
        guardian_appointed_on=st.sampled_from([None, date(2025, 1, 9), date(2025, 1, 11)]),
        reflection_period_granted=st.booleans(),
        referrals_sent=st.integers(0, 2),
        referrals_accepted=st.integers(0, 2),
        compensation_claimed=st.integers(0, 1),
        compensation_awarded=st.integers(0, 1),
    ),
    max_size=80,
)


@settings(
    deadline=None, max_examples=60
)  # each example runs linear programs: no timing in a unit test
@given(facts=facts_strategy, threshold=st.integers(2, 15))
def test_no_published_figure_is_a_small_cell(facts, threshold):
    for r in indicators.compute_all(facts, threshold=threshold):
        for f in r.figures:
            for v in (f.value, f.denominator):
                assert v is None or v == 0 or v >= threshold, (r.definition.id, f)
            if r.definition.is_share:
                # Both counts or neither; their difference is never a small cell either.
                assert (f.value is None) == (f.denominator is None)
                if f.value is not None:
                    rest = f.denominator - f.value
                    assert rest == 0 or rest >= threshold, (r.definition.id, f)
                    assert 0 <= f.value <= f.denominator


@settings(deadline=None, max_examples=60)
@given(facts=facts_strategy)
def test_published_figures_are_the_true_counts(facts):
    rows = [indicators.fact_row(f) for f in facts]
    for r in indicators.compute_all(facts):
        d = r.definition
        true_num = sum(
            1
            for x in rows
            if indicators.matches(d.numerator, x)
            and (not d.is_share or indicators.matches(d.denominator, x))
        )
        if r.total.value is not None:
            assert r.total.value == true_num


@dataclass(frozen=True)
class FiFact(Fact):
    financial_investigations: int = 0


def test_financial_investigations_alongside_cases():
    facts = (
        [FiFact(financial_investigations=1) for _ in range(12)]
        + [FiFact(financial_investigations=2, identification_status="identified") for _ in range(3)]
        + [FiFact() for _ in range(20)]
        + [FiFact(identification_status="potential", financial_investigations=1) for _ in range(5)]
    )
    total = compute(definition("financial_investigations"), facts).total
    assert (total.value, total.denominator) == (15, 35)
    # a fact object without the link counts as no investigation (the investigate context adds it)
    assert compute(definition("financial_investigations"), many(12)).total.value == 0


@pytest.mark.django_db
def test_financial_investigations_are_read_through_the_investigate_selector(demo_cases):
    from django.utils import timezone

    from palermo.cases.models import Case
    from palermo.core.models import Organisation
    from palermo.investigate.models import Investigation, InvestigationCase
    from palermo.monitor import selectors

    org = Organisation.objects.first()
    inv = Investigation.objects.create(
        reference="INV-T-1",
        title="t",
        organisation=org,
        workspace_file="t.duckdb",
        created_at=timezone.now(),
    )
    chosen = list(
        Case.objects.filter(identification_status__in=["presumed", "identified"]).order_by("id")[
            :12
        ]
    )
    for case in chosen:
        InvestigationCase.objects.create(investigation=inv, case=case, linked_at=timezone.now())
    (result,) = [
        r
        for r in selectors.indicator_results(None, None, year=None)
        if r.definition.id == "financial_investigations"
    ]
    assert result.total.value == 12


def test_indicator_titles_and_definitions_are_in_the_readers_language() -> None:
    """The indicators page and report show each indicator's title and definition through
    the data-file msgids, never the raw English data in another language (issue 15)."""
    from django.utils import translation

    from palermo.monitor import indicators as ind
    from palermo.monitor.selectors import indicator_tables

    results = [ind.IndicatorResult(d, (), 10) for d in ind.definitions()]
    with translation.override("fr"):
        shown = indicator_tables(results)
    english = [d.title for d in ind.definitions()]
    assert len(shown) == len(english)
    translated = [row["title"] for row in shown if row["title"] not in english]
    assert len(translated) == len(english), set(english) & {r["title"] for r in shown}
    with translation.override("en"):
        assert [r["title"] for r in indicator_tables(results)] == english
