"""The pure applicant selection: invariants (hypothesis), reasons and the CSV reader."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.exercise.selection import (
    REASONS,
    Applicant,
    Rules,
    check_application,
    parse_csv,
    select,
)
from palermo.exercise.vocabulary import GENDERS, PROFESSIONS

PROFS = sorted(PROFESSIONS)[:4]
COUNTRIES = ["AL", "MD", "RS", "UA"]

applicant_lists = st.lists(
    st.tuples(st.sampled_from(COUNTRIES), st.sampled_from(PROFS), st.sampled_from(sorted(GENDERS))),
    max_size=40,
).map(lambda rows: [Applicant(f"R{i:03d}", c, "Org", p, g) for i, (c, p, g) in enumerate(rows)])


@st.composite
def rules(draw):
    places = draw(st.integers(1, 30))
    quotas = {}
    left = places
    for p in PROFS:
        q = draw(st.integers(0, min(left, 6)))
        quotas[p] = q
        left -= q
    target = draw(st.none() | st.floats(0, 1))
    cap = draw(st.none() | st.integers(1, 12))
    return Rules(places=places, quotas=quotas, women_target=target, country_cap=cap)


def _feasible_quota_total(apps, rules):
    """Brute force: the most quota places any choice of applicants can give (small cases)."""
    needs = [(p, q) for p, q in rules.quotas.items() if q]
    best = 0
    by_pc = {}
    for a in apps:
        by_pc[(a.profession, a.country)] = by_pc.get((a.profession, a.country), 0) + 1
    # choose per (profession, country) a count; search greedily over all splits is huge, so
    # enumerate per profession the countries' allocations within the cap.
    cap = rules.country_cap if rules.country_cap is not None else 10**6

    def rec(i, used):
        nonlocal best
        if i == len(needs):
            best = max(best, sum(used_p for used_p in used[1]))
            return
        p, q = needs[i]
        ranges = [range(0, min(by_pc.get((p, c), 0), q) + 1) for c in COUNTRIES]
        for alloc in itertools.product(*ranges):
            if sum(alloc) > q:
                continue
            per_c = dict(used[0])
            ok = True
            for c, n in zip(COUNTRIES, alloc, strict=True):
                per_c[c] = per_c.get(c, 0) + n
                if per_c[c] > cap:
                    ok = False
            if ok:
                rec(i + 1, (per_c, [*used[1], sum(alloc)]))

    rec(0, ({}, []))
    return best


@settings(max_examples=150, deadline=None)
@given(applicant_lists, rules(), st.integers(0, 2**32))
def test_never_exceeds_places_or_caps_and_explains_everyone(apps, r, seed):
    res = select(apps, r, seed)
    chosen = set(res.selected)
    assert len(chosen) <= r.places
    assert len(chosen) == min(r.places, len(chosen) + 0)
    assert {d.ref for d in res.decisions} == {a.ref for a in apps}
    assert sorted(d.rank for d in res.decisions) == list(range(1, len(apps) + 1))
    for d in res.decisions:
        assert d.reason in REASONS
        assert d.selected == (d.reason in {"quota", "open_place", "gender_balance"})
    if r.country_cap is not None:
        for c in COUNTRIES:
            assert sum(1 for a in apps if a.ref in chosen and a.country == c) <= r.country_cap
    # a place stays empty only when every unselected applicant's country is full
    if len(chosen) < r.places:
        assert all(d.reason == "country_cap" for d in res.decisions if not d.selected)


@settings(max_examples=150, deadline=None)
@given(applicant_lists, rules(), st.integers(0, 2**32), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_row_order(apps, r, seed, rnd):
    first = select(apps, r, seed)
    shuffled = list(apps)
    rnd.shuffle(shuffled)
    again = select(shuffled, r, seed)
    assert first == again


@settings(max_examples=150, deadline=None)
@given(applicant_lists, rules(), st.integers(0, 2**32))
def test_quotas_met_when_enough_applicants(apps, r, seed):
    res = select(apps, r, seed)
    chosen = set(res.selected)
    if r.country_cap is None:
        for p, q in r.quotas.items():
            available = sum(1 for a in apps if a.profession == p)
            got = sum(1 for a in apps if a.ref in chosen and a.profession == p)
            assert got >= min(q, available)
    got_total = sum(
        min(q, sum(1 for a in apps if a.ref in chosen and a.profession == p))
        for p, q in r.quotas.items()
    )
    if len(apps) <= 14 and sum(r.quotas.values()) <= 8:
        assert got_total == _feasible_quota_total(apps, r)
    line = {x.key: x for x in res.by_profession}
    for p, q in r.quotas.items():
        if q:
            assert line[p].met == (line[p].selected >= q)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.floats(0, 1), st.integers(0, 2**32))
def test_gender_target_reached_exactly_when_nothing_else_binds(places, target, seed):
    women = round(target * places)
    apps = [Applicant(f"W{i}", "MD", "Org", PROFS[0], "female") for i in range(places)]
    apps += [Applicant(f"M{i}", "RS", "Org", PROFS[1], "male") for i in range(places)]
    apps += [Applicant(f"O{i}", "UA", "Org", PROFS[2], "other") for i in range(3)]
    res = select(apps, Rules(places=places, women_target=target), seed)
    chosen = set(res.selected)
    assert len(chosen) == places
    assert sum(1 for a in apps if a.ref in chosen and a.gender == "female") == women
    line = {x.key: x for x in res.by_gender}
    assert line["female"].target == women and line["female"].met is True


def test_gender_target_never_leaves_a_place_empty():
    apps = [Applicant(f"M{i}", "MD", "Org", PROFS[0], "male") for i in range(10)]
    res = select(apps, Rules(places=5, women_target=0.5), 1)
    assert len(res.selected) == 5
    assert {x.key: x for x in res.by_gender}["female"].met is False


def test_a_different_seed_draws_differently_and_reasons_are_named():
    apps = [
        Applicant(f"A{i}", COUNTRIES[i % 4], "Org", PROFS[(i // 4) % 4], "male") for i in range(40)
    ]
    r = Rules(places=8, quotas={PROFS[3]: 4}, country_cap=3)
    a, b = select(apps, r, 1), select(apps, r, 2)
    assert a.selected != b.selected
    reasons = {d.reason for d in a.decisions}
    assert {"quota", "open_place", "places_full", "country_cap"} <= reasons
    picked = [x for x in apps if x.ref in set(a.selected)]
    assert sum(1 for x in picked if x.profession == PROFS[3]) >= 4
    assert max(sum(1 for x in picked if x.country == c) for c in COUNTRIES) <= 3


def test_quota_needs_the_flow_not_greedy():
    # Greedy (profession by profession in lottery order) can use up a country's cap on the
    # first profession that had an alternative; the flow keeps the only prosecutor's country free.
    apps = [
        Applicant("J1", "MD", "Org", "judge", "male"),
        Applicant("J2", "RS", "Org", "judge", "male"),
        Applicant("P1", "MD", "Org", "prosecutor", "female"),
    ]
    for seed in range(20):
        res = select(
            apps, Rules(places=2, quotas={"judge": 1, "prosecutor": 1}, country_cap=1), seed
        )
        assert set(res.selected) == {"J2", "P1"}


def test_bad_rules_and_duplicate_references_refused():
    apps = [Applicant("A", "MD", "Org", "judge", "male")]
    for r in (
        Rules(places=0),
        Rules(places=2, quotas={"judge": 3}),
        Rules(places=2, quotas={"astronaut": 1}),
        Rules(places=2, women_target=1.5),
        Rules(places=2, country_cap=0),
    ):
        assert r.problems()
        with pytest.raises(ValueError):
            select(apps, r, 1)
    with pytest.raises(ValueError):
        select(apps + apps, Rules(places=1), 1)


def test_check_application_normalises_and_names_each_bad_field():
    app, errs = check_application(
        {
            "reference": " A-1 ",
            "name": "Ana",
            "country": "md",
            "organisation": "Police",
            "profession": "Labour inspector",
            "gender": "FEMALE",
            "languages": "ro; en, ron",
        }
    )
    assert errs == [] and app is not None
    assert (app.ref, app.country, app.profession, app.gender, app.languages) == (
        "A-1",
        "MD",
        "labour_inspector",
        "female",
        ("ro", "en"),
    )
    app, errs = check_application(
        {
            "reference": "",
            "name": "",
            "country": "Moldova",
            "organisation": "",
            "profession": "astronaut",
            "gender": "x",
            "languages": "klingonese",
        }
    )
    assert app is None
    assert {f for f, _m in errs} == {
        "reference",
        "name",
        "country",
        "organisation",
        "profession",
        "gender",
        "languages",
    }


HEADER = "reference,name,country,organisation,profession,gender,languages\n"


def test_parse_csv_reads_all_or_reports_every_row():
    ok = HEADER + "A1,Ana,MD,Police,judge,female,ro;en\nA2,Bo,RS,NGO,social_worker,male,sr\n"
    apps, errs = parse_csv(ok)
    assert errs == [] and [a.ref for a in apps] == ["A1", "A2"]
    bad = ok + "A1,Dup,AL,X,judge,male,\nA4,Cy,ZZ,X,judge,male,\n\n"
    apps, errs = parse_csv(bad)
    assert [(e.row, e.column) for e in errs] == [(4, "reference"), (5, "country")]
    _apps, errs = parse_csv("reference,name\nA1,Ana\n")
    assert {e.column for e in errs} == {"country", "organisation", "profession", "gender"}
    assert parse_csv(HEADER)[1][0].row == 1
    # an exported (formula-neutralised) cell reads back as typed
    apps, errs = parse_csv(HEADER + "A9,'=Ana,MD,'+Org,judge,female,\n")
    assert errs == [] and apps[0].name == "=Ana" and apps[0].organisation == "+Org"


def test_scale_of_the_cited_exercise():
    rnd = random.Random(5)
    apps = [
        Applicant(
            f"X{i}",
            f"C{rnd.randrange(60):02d}",
            "Org",
            rnd.choice(sorted(PROFESSIONS)),
            rnd.choice(["female", "male", "male", "other"]),
        )
        for i in range(670)
    ]
    r = Rules(places=192, quotas={p: 12 for p in PROFESSIONS}, women_target=0.5, country_cap=5)
    res = select(apps, r, 2026)
    assert len(res.selected) == 192
    assert all(x.met for x in res.by_profession)


def test_parse_csv_skips_the_training_mark_of_an_export():
    text = (
        "\ufeff# TRAINING EXERCISE - fictional data\r\n"
        + HEADER
        + "A1,Ana,MD,P,judge,female,\nA2,,MD,P,judge,female,\n"
    )
    apps, errs = parse_csv(text)
    assert [(e.row, e.column) for e in errs] == [(4, "name")]
