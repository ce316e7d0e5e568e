"""The pure rule for a supplier and a contract as a whole (``supply/portfolio.py``): worked
examples, then the invariants as hypothesis properties — a risk factor never lowers the
level, evidence never raises it, the lines' order does not matter."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.supply import portfolio, vocabulary
from palermo.supply.portfolio import Line, Questionnaire, SupplierFacts

LEVELS = vocabulary.LEVELS


def rank(level: str) -> int:
    return LEVELS.index(level)


def line(ref: str, level: str, value: str = "1000", share: str = "1") -> Line:
    v = Decimal(value)
    return Line(ref, level, v, (v * Decimal(share)).quantize(Decimal("0.01")))


# --- worked examples ---------------------------------------------------------------------------


def test_a_supplier_with_nothing_known_is_low_with_no_reason():
    a = portfolio.assess_supplier(SupplierFacts("1"))
    assert (a.level, a.score, a.reasons, a.spend) == ("low", 0, (), Decimal(0))


def test_the_worst_line_sets_the_floor_and_names_its_source():
    facts = SupplierFacts(
        "7",
        lines=(line("PO-1/1", "low", "9000"), line("PO-2/1", "high", "100", "0.5")),
        evidence=frozenset({"policy", "audit", "sites"}),
    )
    a = portfolio.assess_supplier(facts)
    assert a.level == "high"  # evidence lowers the score, never below the worst line
    worst = a.reasons[0]
    assert worst.code == "worst_line:high" and worst.source_kind == "line"
    assert worst.source == "PO-2/1" and worst.points == 4
    assert a.score == 4 - 3
    assert a.exposure == Decimal("50.00")  # only medium and high lines count as at risk
    assert dict(a.shares) == {"high": Decimal("0.01"), "medium": Decimal(0), "low": Decimal("0.99")}


def test_half_the_spend_on_risky_lines_adds_points():
    facts = SupplierFacts("1", lines=(line("a", "medium", "600"), line("b", "low", "400")))
    a = portfolio.assess_supplier(facts)
    codes = [r.code for r in a.reasons]
    assert codes == ["worst_line:medium", "share_at_risk"]
    assert a.score == 3 and a.level == "medium"
    assert dict(a.reasons[1].params)["pct"] == "60"


def test_exclusion_is_high_whatever_the_evidence():
    facts = SupplierFacts(
        "1", evidence=frozenset(vocabulary.EVIDENCE), exclusion="exclusions.csv, row 4"
    )
    a = portfolio.assess_supplier(facts)
    assert a.level == "high"
    assert a.reasons[0].code == "excluded" and a.reasons[0].source == "exclusions.csv, row 4"


def test_questionnaire_actions_sites_and_recruiting_each_give_a_sourced_reason():
    facts = SupplierFacts(
        "3",
        questionnaire=Questionnaire("12", "medium", 2),
        open_actions=("5", "40", "9", "11"),
        overdue_actions=("9", "99"),  # 99 is not open: ignored
        site_countries=frozenset({"MY", "DE"}),
        listed_countries=frozenset({"MY", "CN"}),
        list_label="US DOL list, 2024",
        country_names=(("MY", "Malaysia"),),
        recruiter=True,
    )
    a = portfolio.assess_supplier(facts)
    by_code = {r.code: r for r in a.reasons}
    assert by_code["questionnaire_red_flags"].source == "12"
    assert by_code["open_actions"].points == portfolio.MAX_ACTION_POINTS
    assert by_code["open_actions"].source == "5, 9, 11, 40"
    assert by_code["overdue_actions"].source == "9"
    assert dict(by_code["site_location"].params)["countries"] == "Malaysia (MY)"
    assert by_code["site_location"].source == "US DOL list, 2024"
    assert by_code["recruiter"].points == 1
    assert a.score == 2 + 3 + 1 + 1 + 1 and a.level == "high"


def test_a_red_flag_never_leaves_a_supplier_low():
    facts = SupplierFacts(
        "1",
        questionnaire=Questionnaire("1", "low", 1),
        evidence=frozenset(vocabulary.EVIDENCE),
    )
    a = portfolio.assess_supplier(facts)
    assert a.score == -1 and a.level == "medium"


def test_a_clean_questionnaire_counts_as_evidence():
    a = portfolio.assess_supplier(
        SupplierFacts("1", lines=(line("x", "medium"),), questionnaire=Questionnaire("2", "low", 0))
    )
    assert [r.points for r in a.reasons] == [2, 1, -1] and a.level == "medium"


def test_a_contract_is_never_lower_than_its_worst_supplier_or_line():
    high = portfolio.assess_supplier(SupplierFacts("1", exclusion="x, row 1"))
    low = portfolio.assess_supplier(SupplierFacts("2"))
    c = portfolio.assess_contract("9", [("B", low), ("A", high)], [line("L", "low")])
    assert c.level == "high"
    assert [r.code for r in c.reasons] == ["worst_line:low", "supplier:high", "supplier:low"]
    assert c.reasons[1].source == "1" and dict(c.reasons[1].params)["name"] == "A"
    only_lines = portfolio.assess_contract("9", [], [line("L", "medium")])
    assert only_lines.level == "medium"
    assert portfolio.assess_contract("9", [], []).level == "low"


def test_prioritise_by_level_then_score_exposure_spend_and_name():
    def a(key: str, *lines: Line) -> portfolio.Assessment:
        return portfolio.assess_supplier(SupplierFacts(key, lines=lines))

    items = [
        ("Zeta", a("1", line("z", "medium", "10"))),
        ("Alpha", a("2", line("a", "medium", "10"))),
        ("Big", a("3", line("b", "medium", "5000"))),
        ("Top", a("4", line("t", "high", "1"))),
        ("Calm", a("5")),
    ]
    assert [n for n, _ in portfolio.prioritise(items)] == ["Top", "Big", "Alpha", "Zeta", "Calm"]


# --- properties ----------------------------------------------------------------------------------

_level = st.sampled_from(LEVELS)
_line = st.builds(
    line,
    ref=st.text("ABC123-/", min_size=1, max_size=6),
    level=_level,
    value=st.integers(0, 500_000).map(str),
    share=st.sampled_from(["1", "0.5", "0.25", "0.05"]),
)
_questionnaire = st.none() | st.builds(
    Questionnaire, ref=st.integers(1, 99).map(str), level=_level, red_flags=st.integers(0, 4)
)
_ids = st.lists(st.integers(1, 60).map(str), max_size=5, unique=True).map(tuple)
_countries = st.frozensets(st.sampled_from(["CN", "MY", "DE", "IN", "BR"]), max_size=4)

_facts = st.builds(
    SupplierFacts,
    key=st.just("1"),
    lines=st.lists(_line, max_size=8).map(tuple),
    evidence=st.frozensets(st.sampled_from(list(vocabulary.EVIDENCE))),
    questionnaire=_questionnaire,
    open_actions=_ids,
    overdue_actions=_ids,
    site_countries=_countries,
    listed_countries=_countries,
    list_label=st.just("list 2024"),
    exclusion=st.sampled_from(["", "", "", "excl.csv, row 2"]),
    recruiter=st.booleans(),
)


def _level_of(facts: SupplierFacts) -> int:
    return portfolio.assess_supplier(facts).rank


@settings(max_examples=300)
@given(facts=_facts, data=st.data())
def test_a_worse_line_never_lowers_the_level(facts, data):
    worst = max((rank(ln.level) for ln in facts.lines), default=0)
    extra = data.draw(
        st.builds(
            line,
            ref=st.text("XYZ", min_size=1, max_size=3),
            level=st.sampled_from(LEVELS[worst:]),
            value=st.integers(0, 900_000).map(str),
        )
    )
    more = dataclasses.replace(facts, lines=(*facts.lines, extra))
    assert _level_of(more) >= _level_of(facts)
    assert portfolio.assess_supplier(more).score >= portfolio.assess_supplier(facts).score


@settings(max_examples=300)
@given(facts=_facts, data=st.data())
def test_raising_one_line_never_lowers_the_level(facts, data):
    if not facts.lines:
        return
    i = data.draw(st.integers(0, len(facts.lines) - 1))
    old = facts.lines[i]
    new_level = data.draw(st.sampled_from(LEVELS[rank(old.level) :]))
    lines = list(facts.lines)
    lines[i] = dataclasses.replace(old, level=new_level)
    assert _level_of(dataclasses.replace(facts, lines=tuple(lines))) >= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts, aid=st.integers(61, 99).map(str), overdue=st.booleans())
def test_an_open_corrective_action_never_lowers_the_level(facts, aid, overdue):
    more = dataclasses.replace(
        facts,
        open_actions=(*facts.open_actions, aid),
        overdue_actions=(*facts.overdue_actions, aid) if overdue else facts.overdue_actions,
    )
    assert _level_of(more) >= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts, flags=st.integers(1, 5), level=_level)
def test_a_red_flag_questionnaire_never_lowers_the_level(facts, flags, level):
    more = dataclasses.replace(facts, questionnaire=Questionnaire("77", level, flags))
    assert _level_of(more) >= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts, country=st.sampled_from(["CN", "MY", "DE"]), recruiter=st.booleans())
def test_a_site_in_a_listed_country_or_recruiting_never_lowers_the_level(facts, country, recruiter):
    more = dataclasses.replace(
        facts,
        site_countries=facts.site_countries | {country},
        recruiter=facts.recruiter or recruiter,
    )
    assert _level_of(more) >= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts, ev=st.sampled_from(list(vocabulary.EVIDENCE)))
def test_evidence_never_raises_the_level(facts, ev):
    more = dataclasses.replace(facts, evidence=facts.evidence | {ev})
    assert _level_of(more) <= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts)
def test_a_clean_low_questionnaire_never_raises_the_level(facts):
    if facts.questionnaire is not None:
        return
    more = dataclasses.replace(facts, questionnaire=Questionnaire("5", "low", 0))
    assert _level_of(more) <= _level_of(facts)


@settings(max_examples=300)
@given(facts=_facts, data=st.data())
def test_the_result_does_not_depend_on_the_order_of_lines_or_actions(facts, data):
    lines = data.draw(st.permutations(facts.lines))
    actions = data.draw(st.permutations(facts.open_actions))
    shuffled = dataclasses.replace(facts, lines=tuple(lines), open_actions=tuple(actions))
    assert portfolio.assess_supplier(shuffled) == portfolio.assess_supplier(facts)


@settings(max_examples=200)
@given(facts=_facts)
def test_every_point_has_a_reason_and_the_level_follows_the_score(facts):
    a = portfolio.assess_supplier(facts)
    assert a.score == sum(r.points for r in a.reasons)
    assert all(r.source_kind in portfolio.SOURCE_KINDS for r in a.reasons)
    if a.score >= portfolio.HIGH_AT:
        assert a.level == "high"
    elif a.score >= portfolio.MEDIUM_AT:
        assert rank(a.level) >= rank("medium")
    if a.level == "low":
        assert a.score < portfolio.MEDIUM_AT


@settings(max_examples=200)
@given(
    suppliers=st.lists(_facts, max_size=4),
    lines=st.lists(_line, max_size=6),
    extra=_line,
    data=st.data(),
)
def test_contract_is_monotone_and_order_free(suppliers, lines, extra, data):
    assessed = [
        (f"S{i}", portfolio.assess_supplier(dataclasses.replace(f, key=str(i))))
        for i, f in enumerate(suppliers)
    ]
    base = portfolio.assess_contract("c", assessed, lines)
    assert all(base.rank >= a.rank for _, a in assessed)
    shuffled = portfolio.assess_contract(
        "c", data.draw(st.permutations(assessed)), data.draw(st.permutations(lines))
    )
    assert shuffled == base
    worst = max((rank(ln.level) for ln in lines), default=0)
    if rank(extra.level) >= worst:
        assert portfolio.assess_contract("c", assessed, [*lines, extra]).rank >= base.rank
    # evidence on a supplier never raises the contract
    if suppliers:
        f0 = dataclasses.replace(suppliers[0], key="0")
        better = dataclasses.replace(f0, evidence=frozenset(vocabulary.EVIDENCE))
        swapped = [("S0", portfolio.assess_supplier(better)), *assessed[1:]]
        assert portfolio.assess_contract("c", swapped, lines).rank <= base.rank


@settings(max_examples=100)
@given(items=st.lists(_facts, max_size=6), data=st.data())
def test_prioritise_is_a_total_order_independent_of_input_order(items, data):
    assessed = [
        (f"N{i % 3}", portfolio.assess_supplier(dataclasses.replace(f, key=str(i))))
        for i, f in enumerate(items)
    ]
    once = portfolio.prioritise(assessed)
    again = portfolio.prioritise(data.draw(st.permutations(assessed)))
    assert once == again
    ranks = [a.rank for _, a in once]
    assert ranks == sorted(ranks, reverse=True)
