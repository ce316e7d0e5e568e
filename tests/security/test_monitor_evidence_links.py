"""Monitoring must not become a side door to case data: a case cited as evidence, or counted
in an indicator, is named only to readers who may open that case."""

from __future__ import annotations

import random

import pytest

from palermo.monitor import services
from palermo.monitor.models import Measure


@pytest.fixture
def world(demo_cases, snapshots, monkeypatch):
    """The demo cases and the monitoring demo on them (built once per session, replayed after)."""
    from palermo.monitor.demo import demo_monitor

    monkeypatch.setenv("PALERMO_DEMO_MONITOR", "1")
    snapshots.apply("demo monitor", lambda: demo_monitor(random.Random(2026)))


def _acting(name):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]


def test_a_cited_case_reference_is_not_shown_to_a_reader_who_may_not_open_it(world, login_as):
    from palermo.cases import selectors as case_selectors

    worker, shelter = _acting("caseworker")
    police, unit = _acting("police")
    police_refs = set(
        case_selectors.cases_visible_to(police, unit).values_list("reference", flat=True)
    )
    ref = next(
        r
        for r in case_selectors.cases_visible_to(worker, shelter).values_list(
            "reference", flat=True
        )
        if r not in police_refs
    )
    m = Measure.objects.get(objective__code="1")
    services.evidence_add(
        actor=worker,
        organisation=shelter,
        measure=m,
        kind="case",
        title="Guardian in time",
        target=ref,
    )
    assert ref in login_as("caseworker").get(f"/monitor/measures/{m.pk}/").content.decode()
    page = login_as("police").get(f"/monitor/measures/{m.pk}/").content.decode()
    assert ref not in page and "a case record you may not open" in page
    assert ref not in login_as("analyst").get(f"/monitor/measures/{m.pk}/").content.decode()


def test_citing_a_case_one_may_not_open_does_not_tell_whether_it_exists(world):
    from palermo.cases import selectors as case_selectors
    from palermo.core.errors import InvalidInput

    police, unit = _acting("police")
    coordinator, office = _acting("coordinator")
    theirs = set(case_selectors.cases_visible_to(police, unit).values_list("reference", flat=True))
    existing = next(
        r
        for r in case_selectors.cases_visible_to(coordinator, office).values_list(
            "reference", flat=True
        )
        if r not in theirs
    )
    m = Measure.objects.get(objective__code="2")
    messages = []
    for target in (existing, "NRM-2099-ZZZZ"):
        with pytest.raises(InvalidInput) as exc:
            services.evidence_add(
                actor=police, organisation=unit, measure=m, kind="case", title="x", target=target
            )
        messages.append(exc.value.errors[0].message)
    assert messages[0] == messages[1]
