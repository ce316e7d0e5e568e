"""Issue 11, finding 1 (HIGH): the referral view was a second door to a person's identity.

A police unit on a case's team sees ``identity: null`` on the case (no consent, no legal
basis). Opening the case's service referral showed what the *receiving* organisation's
consent allows, whoever asked: the person's name, birth date and identity number, and
the audit trail recorded the receiver's groups as read. Only the receiver gets the
consent-based view; everyone else sees their own case visibility, and the audit entry
records what this reader saw.
"""

from __future__ import annotations

from datetime import date

import pytest

from palermo.cases import access, selectors, services
from palermo.cases.models import CaseTeamMember, TeamRole
from palermo.core.models import AuditEntry
from tests.cases.cases_helpers import acting, decide, open_case, org, refer_to_shelter

pytestmark = pytest.mark.django_db

PERSON = {
    "given_name": "Zorana",
    "family_name": "Leakcheck",
    "birthdate": "1994-03-17",
    "identity_number": "ID-77-31-0042",
    "citizenship": ["MD"],
    "phone": "+373 22 999888",
    "street": "7 Hidden Lane",
    "city": "Nowhere",
    "primary_language": "ro",
}
SECRETS = ("Zorana", "Leakcheck", "1994-03-17", "ID-77-31-0042", "+373 22 999888", "Hidden Lane")


@pytest.fixture
def referred_case_with_police(demo_world):
    """A case worked by Eastbay Outreach and the police unit (no consent, no legal basis for
    the police), referred to the Safe Harbour shelter with consent to share identity and context."""
    case = open_case(person=PERSON)
    decide(case)
    CaseTeamMember.objects.create(
        case=case,
        organisation=org("Riverside Police"),
        role=TeamRole.LAW_ENFORCEMENT,
        added_at=case.opened_at,
    )
    ref = refer_to_shelter(case, scopes=("identity", "victim_context"))
    case.refresh_from_db()
    return case, ref


def _bearer(api_token, username):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(username)}"}


def test_police_on_the_team_get_no_identity_on_the_case_itself(
    client, api_token, referred_case_with_police
):
    case, _ref = referred_case_with_police
    body = client.get(f"/api/v1/cases/{case.reference}", **_bearer(api_token, "police")).json()
    assert body["identity"] is None and body["contact"] is None
    assert access.IDENTITY not in body["visible_groups"]


def test_referral_api_shows_police_no_more_than_the_case(
    client, api_token, referred_case_with_police
):
    case, ref = referred_case_with_police
    r = client.get(f"/api/v1/cases/referrals/{ref.pk}", **_bearer(api_token, "police"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["identity"] is None, "the referral view leaked the person's identity to the police"
    assert access.IDENTITY not in body["shared_groups"]
    for secret in SECRETS:
        assert secret not in r.content.decode(), secret
    # What the police may see on the case they still see here.
    assert body["victim_context"] is not None
    entry = AuditEntry.objects.filter(
        action="read", object_type="case", object_ref=case.reference, actor_username="police"
    ).latest("id")
    assert access.IDENTITY not in entry.details["groups"], entry.details
    assert access.VICTIM_CONTEXT in entry.details["groups"], entry.details


def test_referral_web_page_shows_police_no_more_than_the_case(
    client, persona, referred_case_with_police
):
    case, ref = referred_case_with_police
    client.force_login(persona("police"))
    page = client.get(f"/cases/referrals/{ref.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for secret in SECRETS:
        assert secret not in html, secret
    entry = AuditEntry.objects.filter(
        action="read", object_type="case", object_ref=case.reference, actor_username="police"
    ).latest("id")
    assert access.IDENTITY not in entry.details["groups"], entry.details


def test_the_receiver_still_gets_what_its_consent_allows(
    client, api_token, referred_case_with_police
):
    case, ref = referred_case_with_police
    body = client.get(
        f"/api/v1/cases/referrals/{ref.pk}", **_bearer(api_token, "caseworker")
    ).json()
    assert body["identity"]["family_name"] == "Leakcheck"
    assert body["identity"]["identity_number"] == "ID-77-31-0042"
    assert sorted(body["shared_groups"]) == [access.IDENTITY, access.VICTIM_CONTEXT]
    assert "contact" not in body  # contacts stay with the case team whatever a consent says
    entry = AuditEntry.objects.filter(
        action="read", object_type="case", object_ref=case.reference, actor_username="caseworker"
    ).latest("id")
    assert entry.details["groups"] == [access.IDENTITY, access.VICTIM_CONTEXT]


def test_police_with_a_legal_basis_see_identity_on_both_doors(
    client, api_token, referred_case_with_police
):

    case, ref = referred_case_with_police
    coord, office = acting("coordinator")
    services.legal_basis_record(
        actor=coord,
        organisation=office,
        case=case,
        member=org("Riverside Police"),
        basis="Court order 17/2026 of the fictional district court",
    )
    headers = _bearer(api_token, "police")
    on_case = client.get(f"/api/v1/cases/{case.reference}", **headers).json()
    on_referral = client.get(f"/api/v1/cases/referrals/{ref.pk}", **headers).json()
    assert (
        on_case["identity"]["family_name"] == on_referral["identity"]["family_name"] == "Leakcheck"
    )


def test_a_closed_referral_or_withdrawn_consent_still_hides_everything_from_the_receiver(
    client, api_token, referred_case_with_police
):

    case, ref = referred_case_with_police
    worker, ngo = acting("outreach")
    services.consent_withdraw(
        actor=worker,
        organisation=ngo,
        case=case,
        consent_id=ref.consent_id,
        withdrawn_on=date.today(),
    )
    body = client.get(
        f"/api/v1/cases/referrals/{ref.pk}", **_bearer(api_token, "caseworker")
    ).json()
    assert (
        body["identity"] is None and body["victim_context"] is None and body["shared_groups"] == []
    )
    # The case team that sent it still sees its own case data there.
    team = client.get(f"/api/v1/cases/referrals/{ref.pk}", **_bearer(api_token, "outreach")).json()
    assert team["identity"]["family_name"] == "Leakcheck"


def test_referral_visibility_never_exceeds_case_visibility(referred_case_with_police):
    """The selector itself: for the police, the receiver and the sender."""

    case, ref = referred_case_with_police
    for name in ("police", "caseworker", "outreach", "coordinator"):
        user, organisation = acting(name)
        vis = selectors.referral_visibility(user, organisation, ref)
        assert vis.groups <= selectors.case_visibility(user, organisation, case).groups, name
