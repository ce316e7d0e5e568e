"""The permission matrix: role × organisation's relation to the case × field group, exhaustively.

Each cell creates a user holding exactly one role in an organisation that
stands in one relation to a case, and checks both the visibility decision and
the case file actually served (the sections that are null).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404
from tests.cases.cases_helpers import acting, consent_for, decide, open_case, org, refer_to_shelter

from palermo.cases import access, selectors, services
from palermo.cases.models import CaseTeamMember, TeamRole
from palermo.core.models import Membership, User
from palermo.core.roles import Role

pytestmark = pytest.mark.django_db

ALL = access.ALL_GROUPS
NO_PERSONAL = ALL - {access.IDENTITY, access.CONTACT}
# relation → (organisation, groups seen by a role that may see cases)
EXPECTED = {
    "case team (NGO)": ("Eastbay Outreach", ALL),
    "case team (police, no consent)": ("Riverside Police", NO_PERSONAL),
    "case team (police, consent to identity)": (
        "Riverside Police",
        NO_PERSONAL | {access.IDENTITY},
    ),
    "case team (police, legal basis)": ("Riverside Police", ALL),
    "identification body": ("National Referral", ALL - {access.CONTACT}),
    "referral receiver (consent: identity)": ("Safe Harbour", {access.OVERVIEW, access.IDENTITY}),
    "referral receiver (consent withdrawn)": ("Safe Harbour", set()),
    "unrelated organisation": ("Labour Inspectorate", set()),
}
VIEWING_ROLES = {Role.CASE_WORKER, Role.COORDINATOR, Role.INVESTIGATOR}
SECTIONS = {
    access.IDENTITY: ["identity"],
    access.CONTACT: ["contact"],
    access.VICTIM_CONTEXT: ["victim_context", "trafficking_events"],
    access.SUSPECTS: ["suspects"],
    access.TIMELINE: ["decisions", "appeals"],
    access.CONSENTS: ["consents"],
    access.REFERRALS: ["referrals"],
    access.TASKS: ["tasks"],
    access.SAFEGUARDS: ["child", "return_assessments", "compensation_claims"],
}


def _case_for(relation: str):
    case = open_case()
    decide(case)
    police = org("Riverside Police")
    coord, coord_org = acting("coordinator")
    if relation.startswith("case team (police"):
        CaseTeamMember.objects.create(
            case=case, organisation=police, role=TeamRole.LAW_ENFORCEMENT, added_at=case.opened_at
        )
    if relation == "case team (police, consent to identity)":
        consent_for(case, recipient_prefix="Riverside Police", purpose="investigation")
    if relation == "case team (police, legal basis)":
        services.legal_basis_record(
            actor=coord,
            organisation=coord_org,
            case=case,
            member=police,
            basis="Court order 17/2026 of the fictional district court",
        )
    if relation.startswith("referral receiver"):
        ref = refer_to_shelter(case, scopes=("identity",))
        if "withdrawn" in relation:
            worker, ngo = acting("outreach")
            services.consent_withdraw(
                actor=worker,
                organisation=ngo,
                case=case,
                consent_id=ref.consent_id,
                withdrawn_on=date.today(),
            )
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("relation", list(EXPECTED))
def test_permission_matrix(demo_world, role, relation):
    case = _case_for(relation)
    prefix, groups = EXPECTED[relation]
    organisation = org(prefix)
    user = User.objects.create_user(f"probe-{role}", password="Probe-password-2026")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    expected = frozenset(groups) if role in VIEWING_ROLES else frozenset()
    vis = selectors.case_visibility(user, organisation, case)
    for group in sorted(ALL):
        assert (group in vis.groups) == (group in expected), f"{role} @ {relation}: {group}"
    if not expected:
        with pytest.raises(Http404):
            selectors.access_case(user, organisation, case.reference)
        return
    served = selectors.case_file(selectors.access_case(user, organisation, case.reference), vis)
    assert served.overview.phase == case.phase
    for group, keys in SECTIONS.items():
        for key in keys:
            if key == "child":  # an adult's case has no child section, whoever looks
                assert getattr(served, key) is None
                continue
            assert (getattr(served, key) is not None) == (group in expected), (
                f"{role} @ {relation}: {key}"
            )
    if access.IDENTITY in expected:
        assert served.identity.given_name == "Ana"
    if access.CONTACT in expected:
        assert served.contact.street == "1 Fictional Street"


def test_edit_rights_follow_the_team_not_the_referral(demo_world):
    case = _case_for("referral receiver (consent: identity)")
    worker, shelter = acting("caseworker")
    with pytest.raises(services.NotAllowed):
        services.note_add(actor=worker, organisation=shelter, case=case, text="Arrived safely.")
    with pytest.raises(services.NotAllowed):
        services.person_update(
            actor=worker,
            organisation=shelter,
            case=case,
            expected_version=case.version,
            changes={"given_name": "Z"},
        )


def test_police_on_the_team_cannot_edit_what_they_cannot_see(demo_world):
    case = _case_for("case team (police, no consent)")
    police = org("Riverside Police")
    officer = User.objects.create_user("officer-cw", password="Probe-password-2026")
    Membership.objects.create(user=officer, organisation=police, role=Role.CASE_WORKER)
    with pytest.raises(services.NotAllowed):
        services.person_update(
            actor=officer,
            organisation=police,
            case=case,
            expected_version=case.version,
            changes={"phone": "+40 21 123 4568"},
        )
    # … but may work the parts they see.
    services.note_add(actor=officer, organisation=police, case=case, text="Statement taken.")


def test_list_shows_exactly_the_cases_one_may_open(demo_world):
    mine = open_case()
    other = open_case(by="police")
    referred = open_case()
    refer_to_shelter(referred)
    worker, ngo = acting("outreach")
    assert set(selectors.cases_visible_to(worker, ngo)) == {mine, referred}
    shelter_worker, shelter = acting("caseworker")
    assert set(selectors.cases_visible_to(shelter_worker, shelter)) == {referred}
    coord, coord_org = acting("coordinator")
    assert set(selectors.cases_visible_to(coord, coord_org)) == {mine, other, referred}
    analyst, ministry = acting("analyst")
    assert list(selectors.cases_visible_to(analyst, ministry)) == []
