"""Invariants of the screening engine, checked with hypothesis on generated inputs."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.screening.catalogue import PALERMO_ACTS, PALERMO_MEANS, PALERMO_PURPOSES
from palermo.screening.engine import (
    INDICATOR_SOURCES,
    ObservedIndicator,
    ScreeningInput,
    screen,
)
from palermo.screening.loader import default_catalogue

CATALOGUE = default_catalogue()
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)


@st.composite
def people(draw: st.DrawFn, *, child: bool | None = None) -> ScreeningInput:
    """A valid input: age and forms first, then indicators from the matching lists."""
    is_child = draw(st.booleans()) if child is None else child
    uncertain = draw(st.booleans()) if is_child else False
    if is_child and uncertain:
        age = draw(st.none() | st.integers(0, 30))
    elif is_child:
        age = draw(st.integers(0, 17))
    else:
        age = draw(st.none() | st.integers(18, 120))
    forms = tuple(
        draw(st.lists(st.sampled_from(CATALOGUE.forms), min_size=1, max_size=3, unique=True))
    )
    group = "child" if is_child else "adult"
    keys = sorted(CATALOGUE.select(group, tuple(sorted(forms))).keys)
    chosen = draw(st.lists(st.sampled_from(keys), max_size=14, unique=True))
    indicators = tuple(
        ObservedIndicator(k, draw(st.none() | st.sampled_from(INDICATOR_SOURCES))) for k in chosen
    )
    return ScreeningInput(
        age=age,
        age_uncertain_may_be_child=uncertain,
        forms=forms,
        indicators=indicators,
        act=tuple(draw(st.lists(st.sampled_from(PALERMO_ACTS), max_size=2, unique=True))),
        means=tuple(draw(st.lists(st.sampled_from(PALERMO_MEANS), max_size=2, unique=True))),
        purpose=tuple(draw(st.lists(st.sampled_from(PALERMO_PURPOSES), max_size=2, unique=True))),
        self_identifies_as_victim=draw(st.booleans()),
    )


def positive_dimensions(result) -> set[tuple[str, str]]:
    return {(s.set_id, d.key) for s in result.sets for d in s.dimensions if d.positive}


@SETTINGS
@given(person=people(), data=st.data())
def test_adding_an_indicator_never_turns_a_positive_dimension_negative(person, data) -> None:
    group = (
        "child"
        if person.age_uncertain_may_be_child or (person.age is not None and person.age < 18)
        else "adult"
    )
    present = {o.key for o in person.indicators}
    candidates = sorted(CATALOGUE.select(group, tuple(sorted(person.forms))).keys - present)
    extra = data.draw(st.sampled_from(candidates))
    before = screen(person, CATALOGUE)
    after = screen(
        replace(person, indicators=(*person.indicators, ObservedIndicator(extra))), CATALOGUE
    )
    assert positive_dimensions(before) <= positive_dimensions(after)
    # and nothing met before is lost: positive outcomes and presumed status persist
    assert {s.outcome for s in before.sets if s.outcome_positive} <= {
        s.outcome for s in after.sets if s.outcome_positive
    }
    if before.status == "presumed_victim":
        assert after.status == "presumed_victim"


@SETTINGS
@given(person=people(child=True))
def test_a_child_never_needs_means(person) -> None:
    result = screen(person, CATALOGUE)
    assert result.age_group == "child"
    assert result.palermo.means_required is False
    # trafficking follows from the act (declared, or shown by recruitment) and
    # exploitation, whatever the destination (Palermo Art. 3(c))
    for finding in result.sets:
        if finding.stages:
            stages = {s.key: s.positive for s in finding.stages}
            act = bool(person.act) or stages["recruitment"]
            assert finding.outcome_positive == (act and stages["exploitation"])
    # declared act and purpose suffice without any means
    declared = screen(
        replace(person, act=("harbouring",), means=(), purpose=("servitude",)), CATALOGUE
    )
    assert declared.palermo.elements_met
    # any indication at all puts every child protection duty in motion
    if (
        person.indicators
        or person.act
        or person.means
        or person.purpose
        or person.self_identifies_as_victim
    ):
        assert result.status == "presumed_victim"
        codes = [s.code for s in result.next_steps]
        assert "notify_child_protection" in codes and "request_guardian" in codes


@SETTINGS
@given(person=people(child=False))
def test_an_adult_needs_destination_coercion_for_trafficking(person) -> None:
    result = screen(person, CATALOGUE)
    for finding in result.sets:
        if finding.stages:
            stages = {s.key: s.positive for s in finding.stages}
            assert finding.outcome_positive == all(stages.values())


@SETTINGS
@given(person=people(), data=st.data())
def test_order_of_answers_never_matters(person, data) -> None:
    shuffled = replace(
        person,
        forms=tuple(data.draw(st.permutations(person.forms))),
        indicators=tuple(data.draw(st.permutations(person.indicators))),
        act=tuple(data.draw(st.permutations(person.act))),
        means=tuple(data.draw(st.permutations(person.means))),
        purpose=tuple(data.draw(st.permutations(person.purpose))),
    )
    assert screen(person, CATALOGUE).to_json() == screen(shuffled, CATALOGUE).to_json()


@SETTINGS
@given(person=people())
def test_deterministic_and_serialisable(person) -> None:
    first = screen(person, CATALOGUE)
    second = screen(person, CATALOGUE)
    assert first == second
    assert first.to_json() == second.to_json()
    assert first.to_dict()["status"] == first.status
    # status follows the first rule met, and presumed rules come before the others
    assert first.status_rule == first.rules_met[0]
    assert first.rules_met[-1] in ("indicators_noticed", "no_indication")


@SETTINGS
@given(person=people())
def test_benefit_of_the_doubt(person) -> None:
    result = screen(person, CATALOGUE)
    if person.self_identifies_as_victim or any(s.outcome_positive for s in result.sets):
        assert result.status == "presumed_victim"
    if result.status != "no_indication":
        assert result.next_steps[0].code == "refer_to_identification_body"
