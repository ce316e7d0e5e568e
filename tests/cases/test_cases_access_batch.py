"""Batched need-to-know (exports) agrees with the per-case rule, for everyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from palermo.cases import selectors
from palermo.cases.models import Case
from palermo.core.models import User

pytestmark = pytest.mark.django_db

PERSONAS = [
    "coordinator",
    "analyst",
    "admin",
    "police",
    "caseworker",
    "inspector",
    "fiu",
    "prosecutor",
    "outreach",
]


def test_case_visibilities_equal_case_visibility_for_every_persona_and_demo_case(demo_cases):
    from palermo.cases import services
    from palermo.cases.demo import CHILDREN_HOME_USER

    cases = list(Case.objects.order_by("id"))
    # Cover the rarer branches too: a legal basis for law enforcement, and a break-glass access.
    police = User.objects.get(username="police")
    coordinator = User.objects.get(username="coordinator")
    office = coordinator.organisations()[0]
    on_team = [
        c
        for c in cases
        if c.team.filter(organisation=police.organisations()[0], removed_at__isnull=True)
    ]
    assert on_team, "the demo has cases the police unit works on"
    services.legal_basis_record(
        actor=coordinator,
        organisation=office,
        case=on_team[0],
        member=police.organisations()[0],
        basis="Court order (fictional)",
        valid_until=on_team[0].opened_at.date() + timedelta(days=3650),
    )
    services.break_glass_open(
        actor=coordinator,
        organisation=office,
        case_ref=cases[-1].reference,
        reason="Emergency placement at night (test)",
    )
    seen_kinds = set()
    for name in [*PERSONAS, CHILDREN_HOME_USER]:
        user = User.objects.get(username=name)
        for org in user.organisations():
            batch = selectors.case_visibilities(user, org, cases)
            for case in cases:
                one = selectors.case_visibility(user, org, case)
                assert batch[case.pk] == one, (name, org.name, case.reference)
                seen_kinds.add(one.basis)
    # The comparison covered every way of seeing a case, not only "nothing" and "everything".
    flat = {b for basis in seen_kinds for b in basis}
    assert {"case team", "identification body", "referral", "break-glass"} <= flat, seen_kinds
