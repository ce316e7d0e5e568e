"""Children: Palermo Protocol Art. 3(c) and Council of Europe Convention Art. 4(c).

For a child, or a person presumed a child, the act (a declared Palermo act, or any
positive recruitment dimension of the ILO/EC child list) plus exploitation is trafficking
of a child, whatever the means; exploitation without an established act is still a
child's exploitation that triggers child protection; act (or means) without exploitation
is a risk to follow up with child protection. A child is never routed to a labour-rights
referral, and explanation, next steps and status agree in every case.

Also: not one adult result changes (differential test against digests computed by the
engine before this rule, through the reference engine and the batch fast path).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.screening.adult_rows import adult_rows, digest

from palermo.screening.catalogue import (
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    IndicatorCatalogue,
)
from palermo.screening.display import result_for_display
from palermo.screening.engine import (
    INDICATOR_SOURCES,
    ObservedIndicator,
    ScreeningInput,
    ScreeningResult,
    screen,
    screen_mapping,
)
from palermo.screening.fastpath import FastScreener
from palermo.screening.loader import (
    BUILTIN_DIR,
    IndicatorSetError,
    default_catalogue,
    load_catalogue,
)

CATALOGUE = default_catalogue()
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)
GOLDEN = Path(__file__).parent / "data" / "adult_results_before_children_rule.txt"

CHILD_TRAFFICKING = {
    "trafficking_of_a_child_for_labour_exploitation",
    "trafficking_of_a_child_for_sexual_exploitation",
}
CHILD_PROTECTION = ("notify_child_protection", "request_guardian", "no_detention")
ADULT_ONLY_STEPS = ("refer_labour_rights", "follow_up_risk")


def steps(result: ScreeningResult) -> list[str]:
    return [s.code for s in result.next_steps]


def text(result: ScreeningResult) -> str:
    return " ".join(result.explanation) + " " + " ".join(s.text for s in result.next_steps)


def graded(result: ScreeningResult) -> list[Any]:
    return [s for s in result.sets if s.stages]


def is_trafficking(result: ScreeningResult) -> bool:
    return any(s.outcome_positive for s in graded(result))


def assert_child_safeguards(result: ScreeningResult) -> None:
    """What every child with any indication must get, and never get."""
    codes = steps(result)
    assert result.status == "presumed_victim"
    assert codes[:2] == ["refer_to_identification_body", "offer_assistance_and_reflection_period"]
    for code in CHILD_PROTECTION:
        assert code in codes
    for code in ADULT_ONLY_STEPS:
        assert code not in codes
    assert "labour-rights" not in text(result)
    assert "labour inspectorate" not in text(result)


# --------------------------------------------------------------------- vignettes
#
# Written from the domain digests (shared/domain/identification.md, nrm-workflow.md) and
# the cases the seeds describe: forced begging by a relative, farm work for a teenager,
# an unaccompanied young person of uncertain age recruited with false promises.


def test_a_15_year_old_recruited_by_a_relative_into_begging() -> None:
    """An uncle brings a 15-year-old to the city ('recruitment', declared), keeps what
    she is given and makes her beg from morning to night instead of going to school. No
    means at all are recorded: for a child none are needed."""
    result = screen_mapping(
        {
            "age": 15,
            "forms": "labour",
            "act": "recruitment;transportation",
            "purpose": "forced_begging",
            "excessive_working_hours": "observed",
            "low_or_no_salary": "self_reported",
            "no_access_to_education": "self_reported",
        },
        CATALOGUE,
    )
    assert result.age_group == "child" and result.age_basis == "stated_age"
    assert result.assessment == "trafficking_of_a_child_for_labour_exploitation"
    labour = result.sets[0]
    assert labour.outcome_positive and labour.missing_stages == ()
    assert {s.key: s.positive for s in labour.stages} == {
        "recruitment": False,  # the act is declared, not shown by indicators
        "exploitation": True,
        "destination": False,
    }
    assert result.status_rule == "combination_met"
    assert_child_safeguards(result)
    assert "gather_information" not in steps(result)
    sentence = next(x for x in result.explanation if x.startswith("For a child, the act"))
    assert "the act (declared)" in sentence and "Art. 3(c)" in sentence and "Art. 4(c)" in sentence
    assert "trafficking of a child for labour exploitation is met" in sentence


def test_the_same_begging_child_without_a_declared_act_but_with_recruitment_shown() -> None:
    """Recruitment by abuse of vulnerability (dimension 3: family situation, emotional
    dependency on the uncle, poverty) establishes the act without any declaration."""
    result = screen_mapping(
        {
            "age": 15,
            "forms": "labour",
            "vulnerable_at_recruitment_difficult_family_situation": "x",
            "vulnerable_at_recruitment_emotional_dependency": "x",
            "vulnerable_at_recruitment_economic_reasons": "x",
            "excessive_working_hours": "x",
            "no_access_to_education": "x",
        },
        CATALOGUE,
    )
    assert result.assessment == "trafficking_of_a_child_for_labour_exploitation"
    assert "the act (shown by recruitment (dimension 1, 2 or 3))" in " ".join(result.explanation)
    assert_child_safeguards(result)


def test_a_16_year_old_on_a_farm_with_no_recruitment_indicator() -> None:
    """A 16-year-old picks fruit 12 hours a day, handles pesticides and has left school;
    how he came to the farm is unknown. Exploitation of a child: child protection now,
    ask how he came there; never a labour-rights case."""
    result = screen_mapping(
        {
            "age": 16,
            "forms": "labour",
            "excessive_working_hours": "observed",
            "hazardous_work": "observed",
            "no_access_to_education": "self_reported",
        },
        CATALOGUE,
    )
    assert result.assessment == "exploitation_of_a_child"
    assert not is_trafficking(result)
    assert result.sets[0].missing_stages == ("recruitment",)
    assert result.status_rule == "child_any_indication"
    assert_child_safeguards(result)
    gather = next(s for s in result.next_steps if s.code == "gather_information")
    assert (
        "how the child was recruited, transported, transferred, harboured or received"
        in gather.text
    )
    assert "For a child, exploitation (dimension 4) is positive but the act" in text(result)
    # Learning how he was brought there (a declared act) makes it trafficking of a child.
    told = screen_mapping(
        {
            "age": 16,
            "forms": "labour",
            "act": "transportation",
            "excessive_working_hours": "observed",
            "hazardous_work": "observed",
            "no_access_to_education": "self_reported",
        },
        CATALOGUE,
    )
    assert told.assessment == "trafficking_of_a_child_for_labour_exploitation"


def test_the_same_farm_facts_for_an_adult_still_point_to_labour_rights() -> None:
    """The adults' rule is unchanged: exploitation without means is a labour-rights case."""
    result = screen_mapping(
        {
            "age": 30,
            "forms": "labour",
            "excessive_working_hours": "observed",
            "hazardous_work": "observed",
            "very_bad_working_conditions": "observed",
        },
        CATALOGUE,
    )
    assert result.assessment == "exploitation_without_means"
    assert "refer_labour_rights" in steps(result)
    assert "no_detention" not in steps(result)


def test_a_presumed_child_recruited_with_false_promises_but_not_yet_exploited() -> None:
    """A young person says he is 19 but may well be younger (presumed a child,
    CoE Convention Art. 10(3)); he was promised a job and schooling abroad by a man who
    paid his travel; no exploitation yet. A risk to follow up with child protection."""
    result = screen_mapping(
        {
            "age": 19,
            "age_uncertain_may_be_child": "yes",
            "forms": "labour",
            "deceived_about_job": "self_reported",
            "deceived_about_education": "self_reported",
            "deceived_about_travel": "self_reported",
        },
        CATALOGUE,
    )
    assert result.age_group == "child" and result.presumed_child
    assert result.assessment == "child_at_risk_of_trafficking"
    assert not is_trafficking(result)
    assert_child_safeguards(result)
    codes = steps(result)
    assert "establish_age" in codes and "follow_up_with_child_protection" in codes
    gather = next(s for s in result.next_steps if s.code == "gather_information")
    assert gather.text == "Ask more about exploitation (dimension 4)."
    assert "a risk to follow up with child protection services" in text(result)


def test_a_declared_act_alone_for_a_child_is_a_risk_to_follow_up() -> None:
    result = screen_mapping(
        {"age": 13, "forms": ["labour", "sexual"], "act": "harbouring"}, CATALOGUE
    )
    assert [s.outcome for s in result.sets] == ["child_at_risk_of_trafficking"] * 2
    assert result.assessment == "child_at_risk_of_trafficking"
    assert_child_safeguards(result)


def test_a_14_year_old_harboured_for_sexual_exploitation() -> None:
    """A 14-year-old girl is kept in a flat (harbouring, declared) and made to see
    clients, with no pay and no schooling. The sexual list is not transcribed: the
    explanation says so, and the children's rule still applies."""
    result = screen_mapping(
        {
            "age": 14,
            "forms": "sexual",
            "act": "harbouring",
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
            "coerced_tasks_or_clients": "x",
        },
        CATALOGUE,
    )
    assert result.assessment == "trafficking_of_a_child_for_sexual_exploitation"
    assert result.sets[0].transcribed is False
    assert "not transcribed from the publication" in text(result)
    assert_child_safeguards(result)


def test_means_at_destination_without_exploitation_for_a_child() -> None:
    result = screen_mapping(
        {
            "age": 12,
            "forms": "labour",
            "coerced_documents_confiscated": "x",
            "coerced_violence_on_victim": "x",
        },
        CATALOGUE,
    )
    assert result.assessment == "child_at_risk_of_trafficking"
    assert "For a child, means are indicated but exploitation is not" in text(result)
    assert_child_safeguards(result)


def test_nothing_positive_for_a_child_is_insufficient_but_still_protected() -> None:
    result = screen_mapping({"age": 10, "forms": "labour", "wage_manipulation": "x"}, CATALOGUE)
    assert result.assessment == "insufficient_to_assess"
    assert_child_safeguards(result)


def test_display_names_the_childrens_rule() -> None:
    result = screen_mapping(
        {
            "age": 15,
            "forms": "labour",
            "act": "recruitment",
            "excessive_working_hours": "x",
            "low_or_no_salary": "x",
        },
        CATALOGUE,
    )
    shown = result_for_display(result.to_dict(), CATALOGUE)
    assert shown["sets"][0]["rule_id"] == "ilo-ec-2009-combination"
    assert shown["sets"][0]["child_rule_id"] == "palermo-art-3c-children"
    adult = result_for_display(screen_mapping({"age": 40}, CATALOGUE).to_dict(), CATALOGUE)
    assert adult["sets"] == []


# --------------------------------------------------------------------- properties


@st.composite
def children(draw: st.DrawFn) -> ScreeningInput:
    uncertain = draw(st.booleans())
    age = draw(st.none() | st.integers(0, 30)) if uncertain else draw(st.integers(0, 17))
    forms = tuple(
        draw(st.lists(st.sampled_from(CATALOGUE.forms), min_size=1, max_size=3, unique=True))
    )
    keys = sorted(CATALOGUE.select("child", tuple(sorted(forms))).keys)
    chosen = draw(st.lists(st.sampled_from(keys), max_size=14, unique=True))
    return ScreeningInput(
        age=age,
        age_uncertain_may_be_child=uncertain,
        forms=forms,
        indicators=tuple(
            ObservedIndicator(k, draw(st.none() | st.sampled_from(INDICATOR_SOURCES)))
            for k in chosen
        ),
        act=tuple(draw(st.lists(st.sampled_from(PALERMO_ACTS), max_size=2, unique=True))),
        means=tuple(draw(st.lists(st.sampled_from(PALERMO_MEANS), max_size=2, unique=True))),
        purpose=tuple(draw(st.lists(st.sampled_from(PALERMO_PURPOSES), max_size=2, unique=True))),
        self_identifies_as_victim=draw(st.booleans()),
    )


def means_keys(person: ScreeningInput, *, with_recruitment: bool) -> list[str]:
    """Indicator keys of means dimensions in this child's lists: coercion and abuse of
    vulnerability at destination always; the recruitment dimensions too when an act is
    declared (they are then no longer needed to establish it)."""
    stages = {"destination", "recruitment"} if with_recruitment else {"destination"}
    out = set()
    for s in CATALOGUE.select("child", tuple(sorted(person.forms))).sets:
        if s.kind != "indicators":
            continue
        dims = {d.key for d in s.dimensions if d.palermo_element == "means" and d.stage in stages}
        out |= {i.key for i in s.indicators if i.dimension in dims}
    return sorted(out)


@SETTINGS
@given(person=children(), data=st.data())
def test_for_a_child_adding_a_means_indicator_never_changes_whether_it_is_trafficking(
    person, data
) -> None:
    before = screen(person, CATALOGUE)
    present = {o.key for o in person.indicators}
    candidates = [
        k for k in means_keys(person, with_recruitment=bool(person.act)) if k not in present
    ]
    extra = (
        data.draw(st.lists(st.sampled_from(candidates), max_size=4, unique=True))
        if candidates
        else []
    )
    declared_means = data.draw(st.lists(st.sampled_from(PALERMO_MEANS), max_size=3, unique=True))
    after = screen(
        replace(
            person,
            indicators=(*person.indicators, *(ObservedIndicator(k) for k in extra)),
            means=tuple(dict.fromkeys((*person.means, *declared_means))),
        ),
        CATALOGUE,
    )
    assert is_trafficking(after) == is_trafficking(before)
    assert [s.outcome_positive for s in graded(after)] == [
        s.outcome_positive for s in graded(before)
    ]
    assert (after.assessment in CHILD_TRAFFICKING) == (before.assessment in CHILD_TRAFFICKING)


@SETTINGS
@given(person=children())
def test_a_childs_next_steps_never_include_a_labour_rights_referral(person) -> None:
    result = screen(person, CATALOGUE)
    assert result.age_group == "child"
    for code in ADULT_ONLY_STEPS:
        assert code not in steps(result)
    assert "labour-rights" not in text(result)
    assert not {
        "exploitation_without_means",
        "means_without_exploitation",
        "exploitation_with_partial_means",
    } & set(result.assessments)


@SETTINGS
@given(person=children())
def test_a_child_with_positive_exploitation_always_triggers_child_protection(person) -> None:
    result = screen(person, CATALOGUE)
    exploited = any(
        st_.positive for s in graded(result) for st_ in s.stages if st_.key == "exploitation"
    )
    if exploited:
        assert_child_safeguards(result)
        assert result.assessment in CHILD_TRAFFICKING | {
            "exploitation_of_a_child",
            "domestic_servitude",
        }


@SETTINGS
@given(person=children())
def test_for_a_child_outcome_explanation_steps_and_status_agree(person) -> None:
    result = screen(person, CATALOGUE)
    codes = steps(result)
    for s in graded(result):
        positive = {x.key: x.positive for x in s.stages}
        act = bool(person.act) or positive["recruitment"]
        if positive["exploitation"] and act:
            assert s.outcome in CHILD_TRAFFICKING and s.outcome_positive
        elif positive["exploitation"]:
            assert s.outcome == "exploitation_of_a_child" and not s.outcome_positive
        elif act or any(d.positive for d in s.dimensions):
            assert s.outcome == "child_at_risk_of_trafficking"
        else:
            assert s.outcome == "insufficient_to_assess"
    if is_trafficking(result):
        assert result.status_rule == "combination_met" and result.assessment in CHILD_TRAFFICKING
    if "child_at_risk_of_trafficking" in result.assessments:
        assert "follow_up_with_child_protection" in codes
    if "exploitation_of_a_child" in result.assessments:
        assert "gather_information" in codes
    if result.status != "no_indication":
        assert_child_safeguards(result)
    else:
        assert codes in ([], ["establish_age"])


@SETTINGS
@given(person=children())
def test_the_fast_path_gives_the_childrens_results_byte_for_byte(person) -> None:
    row: dict[str, Any] = {
        "age": person.age,
        "age_uncertain_may_be_child": person.age_uncertain_may_be_child,
        "forms": list(person.forms),
        "act": list(person.act),
        "means": list(person.means),
        "purpose": list(person.purpose),
        "self_identifies_as_victim": person.self_identifies_as_victim,
        **{o.key: o.source or "x" for o in person.indicators},
    }
    assert FastScreener(CATALOGUE).result_json(row) == orjson.dumps(screen_mapping(row, CATALOGUE))


# --------------------------------------------------------------------- adults unchanged


def _as_of_1_0_0(
    catalogue: IndicatorCatalogue, *, severe: bool = True, servitude: bool = True
) -> IndicatorCatalogue:
    """The catalogue with the lists changed since 1.0.0 as they were: the adults' lists'
    severe rule asking for a positive exploitation stage (``severe``), the servitude
    criteria without the labour lists' "no access to education" (``servitude``)."""
    sets = []
    for s in catalogue.sets:
        rule = s.indicator_rule
        if severe and rule is not None and rule.severe_stage_present_suffices:
            s = replace(
                s,
                version="1.0.0",
                indicator_rule=replace(rule, severe_stage_present_suffices=False),
            )
        if servitude and s.kind == "criteria":
            criteria = tuple(
                replace(c, also_met_by=tuple(k for k in c.also_met_by if k != EDUCATION))
                for c in s.criteria
            )
            s = replace(s, version="1.0.0", criteria=criteria)
        sets.append(s)
    return IndicatorCatalogue(sets)


EDUCATION = "no_access_to_education"


def test_adult_results_are_unchanged_by_the_childrens_rule() -> None:
    """2,000 adult rows of every shape: each result's digest equals the digest the
    engine gave before the children's rule existed, through the reference engine and the
    batch fast path (with the adults' lists as they were then: see the next test for the
    one change made to them since)."""
    expected = GOLDEN.read_text().split()
    rows = adult_rows(CATALOGUE)
    assert len(expected) == len(rows) == 2000
    before = _as_of_1_0_0(CATALOGUE)
    screener = FastScreener(before)
    changed = []
    for n, (row, want) in enumerate(zip(rows, expected, strict=True)):
        result = screen_mapping(row, before)
        assert result.age_group == "adult"
        got = digest(orjson.dumps(result))
        assert digest(screener.result_json(row)) == got
        if got != want:
            changed.append(n)
    assert changed == [], f"adult results changed for rows {changed[:10]}"
    # The file is not trivially one value: the rows cover many distinct results.
    assert len(set(expected)) > 1500


def _now_and_then(before: IndicatorCatalogue):
    """Each of the 2,000 adult rows with its result today and under ``before``, once the
    fast path has given today's result byte for byte."""
    screener = FastScreener(CATALOGUE)
    for row in adult_rows(CATALOGUE):
        new = screen_mapping(row, CATALOGUE)
        assert orjson.dumps(new) == screener.result_json(row)
        yield row, new, screen_mapping(row, before)


def test_the_adults_severe_rule_changed_only_what_it_says() -> None:
    """Set version 1.1.0 of the adults' lists: "signs of severe exploitation" needs a severe
    indicator and an indicator of exploitation present, no longer a positive exploitation
    dimension. On the same 2,000 adult rows, every result that differs from version 1.0.0's
    (beyond the version) is one where exactly that holds and the status became presumed
    through the severe rule; the fast path agrees with the engine on every row."""
    newly_presumed = 0
    for _row, new, old in _now_and_then(_as_of_1_0_0(CATALOGUE, servitude=False)):
        assert new.assessment == old.assessment and new.assessments == old.assessments
        if new.status == old.status and new.status_rule == old.status_rule:
            continue
        assert new.status == "presumed_victim" and new.status_rule == "severe_exploitation"
        # Before: a potential victim, or presumed by a rule the severe rule comes before.
        assert old.status_rule in ("indicators_noticed", "palermo_elements_met")
        newly_presumed += old.status == "potential_victim"
        for found in new.sets:
            if found.severe_exploitation:
                stage = {d.key: d.stage for d in CATALOGUE.get(found.set_id).dimensions}
                exploitation = [d for d in found.dimensions if stage[d.key] == "exploitation"]
                assert not any(d.positive for d in exploitation)  # else 1.0.0 said so too
                assert any(d.indicators for d in exploitation)
    assert newly_presumed > 20  # the rows exercise the change


def test_the_servitude_criteria_changed_only_what_they_say() -> None:
    """Servitude criteria 1.1.0: the labour lists' "no access to education" also meets
    criterion 3 (its "no schooling"). On the 2,000 adult rows, every result that differs
    from 1.0.0's (beyond the version) has that indicator, and criterion 3 was not met
    without it; the fast path agrees with the engine on every row."""
    changed = 0
    for row, new, old in _now_and_then(_as_of_1_0_0(CATALOGUE, severe=False)):
        new_c = [c for f in new.sets for c in f.criteria]
        old_c = [c for f in old.sets for c in f.criteria]
        if [c.met for c in new_c] == [c.met for c in old_c]:
            assert (new.assessments, new.status_rule) == (old.assessments, old.status_rule)
            continue
        changed += 1
        assert EDUCATION in orjson.dumps(row).decode()  # the indicator is in the row
        for n, o in zip(new_c, old_c, strict=True):
            assert n.met or not o.met  # only ever met where it was not
            if n.met != o.met:
                assert n.key == "violation_of_dignity_and_autonomy"
    assert changed > 5  # the rows exercise the change


# --------------------------------------------------------------------- the rule as data


def child_set(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((BUILTIN_DIR / "children-labour.yaml").read_text())
    data["id"] = "broken-child-set"
    data["applies_to"]["forms"] = ["test_only"]
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rejected(path: Path, *fragments: str) -> None:
    with pytest.raises(IndicatorSetError) as caught:
        load_catalogue([path.parent], use_env=False)
    assert caught.value.path == str(path)
    for fragment in fragments:
        assert fragment in caught.value.reason, caught.value.reason


def test_the_childrens_rule_is_read_from_the_set(tmp_path: Path) -> None:
    """A national copy of the child list whose children's rule does not accept a
    declared act: the engine follows the data, not a hard-coded rule."""

    def mutate(d: dict[str, Any]) -> None:
        d["id"] = "ilo-ec-2009-children-labour"
        d["version"] = "1.1.0-national"
        d["rule"]["child_act_rule"]["act_established_by"]["declared_act"] = False
        d["rule"]["child_act_rule"]["outcome_without_act"] = "exploitation_of_a_child_national"

    mutate_path = child_set(tmp_path, mutate)
    data = yaml.safe_load(mutate_path.read_text())
    data["applies_to"]["forms"] = ["labour", "domestic_servitude"]
    mutate_path.write_text(yaml.safe_dump(data, sort_keys=False))
    national = load_catalogue([tmp_path], use_env=False)
    row = {
        "age": 15,
        "forms": "labour",
        "act": "recruitment",
        "excessive_working_hours": "x",
        "low_or_no_salary": "x",
    }
    assert (
        screen_mapping(row, CATALOGUE).assessment
        == "trafficking_of_a_child_for_labour_exploitation"
    )
    result = screen_mapping(row, national)
    assert result.assessment == "exploitation_of_a_child_national"
    assert FastScreener(national).result_json(row) == orjson.dumps(result)


def test_a_graded_list_for_children_must_carry_the_childrens_rule(tmp_path: Path) -> None:
    path = child_set(tmp_path, lambda d: d["rule"].pop("child_act_rule"))
    rejected(path, "needs rule.child_act_rule", "Art. 3(c)")


def test_the_childrens_rule_is_refused_on_a_list_for_adults(tmp_path: Path) -> None:
    path = child_set(
        tmp_path, lambda d: d["applies_to"].__setitem__("age_groups", ["adult", "child"])
    )
    rejected(path, "for children only")


def test_the_act_stage_may_not_also_be_required(tmp_path: Path) -> None:
    path = child_set(
        tmp_path,
        lambda d: d["rule"].__setitem__(
            "trafficking_when_positive", ["recruitment", "exploitation"]
        ),
    )
    rejected(path, "recruitment establish the act")


def test_unknown_act_stage_and_empty_act_are_refused(tmp_path: Path) -> None:
    path = child_set(
        tmp_path,
        lambda d: d["rule"]["child_act_rule"]["act_established_by"].__setitem__(
            "positive_stages", ["recruting"]
        ),
    )
    rejected(path, "unknown stage 'recruting'")

    def nothing(d: dict[str, Any]) -> None:
        d["rule"]["child_act_rule"]["act_established_by"] = {
            "declared_act": False,
            "positive_stages": [],
        }

    rejected(child_set(tmp_path, nothing), "declared act or a stage")


def test_reserved_or_repeated_outcome_codes_are_refused(tmp_path: Path) -> None:
    path = child_set(
        tmp_path,
        lambda d: d["rule"]["child_act_rule"].__setitem__(
            "outcome_without_act", "exploitation_without_means"
        ),
    )
    rejected(path, "reserves", "exploitation_without_means")
    path = child_set(
        tmp_path,
        lambda d: d["rule"]["child_act_rule"].__setitem__(
            "outcome_without_exploitation", "exploitation_of_a_child"
        ),
    )
    rejected(path, "duplicate outcome code")


def test_the_schema_checks_the_childrens_rule(tmp_path: Path) -> None:
    path = child_set(tmp_path, lambda d: d["rule"]["child_act_rule"].pop("citation"))
    rejected(path, "schema violation", "citation")
    path = child_set(
        tmp_path,
        lambda d: d["rule"]["child_act_rule"]["act_established_by"].__setitem__(
            "declared_act", "yes"
        ),
    )
    rejected(path, "schema violation", "declared_act")
