"""The online analyst role, adverts attached as evidence, and the protected statistics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.prevent.prevent_helpers import acting

from palermo.core.errors import InvalidInput, NotAllowed
from palermo.core.models import AuditEntry
from palermo.core.policy import Perm, has_perm
from palermo.prevent import selectors, services, statistics
from palermo.prevent.models import Advert, AdvertEvidence, Lead

# --- the role ----------------------------------------------------------------------------------

# (persona, workbench, licence registry, statistics, triage queue) as the policy gives them
PAGES = ["/prevent/", "/prevent/licences/", "/prevent/statistics/", "/prevent/reports/"]
EXPECTED = {
    "online": (200, 200, 200, 403),
    "analyst": (403, 403, 200, 403),
    "coordinator": (403, 200, 200, 200),
    "police": (200, 403, 403, 200),
    "fiu": (200, 403, 403, 403),
    "caseworker": (403, 403, 403, 200),
    "admin": (403, 403, 403, 403),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_role_opens_exactly_the_pages_the_policy_gives_it(login_as, demo_world, name):
    c = login_as(name)
    got = tuple(c.get(p).status_code for p in PAGES)
    assert got == EXPECTED[name]
    if 403 in got:
        assert AuditEntry.objects.filter(action="refused", actor_username=name).exists()


def test_online_analyst_is_a_demo_user_with_no_case_or_investigation_rights(demo_world):
    from palermo.core.demo import DEMO_USERS

    assert any(u == "online" for u, _o, _r in DEMO_USERS)
    user, org = acting("online")
    for perm in (Perm.PREVENT_SCREEN, Perm.PREVENT_LICENCES, Perm.PREVENT_STATS, Perm.REFER):
        assert has_perm(user, perm, org), perm
    for perm in (Perm.INVESTIGATE, Perm.VIEW_CASES, Perm.PREVENT_TRIAGE, Perm.VIEW_AUDIT):
        assert not has_perm(user, perm, org), perm


def test_online_analyst_sees_the_demo_campaign_and_opens_a_referral(prevent_demo, login_as):
    c = login_as("online")  # same police unit as the importer: leads are per organisation
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    assert c.get(f"/prevent/leads/{lead.pk}/").status_code == 200
    r = c.post(f"/prevent/leads/{lead.pk}/refer/", {"exploitation_form": "labour"})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.decision == "referred" and lead.case_reference


# --- evidence ----------------------------------------------------------------------------------


def _investigation(username: str):
    from palermo.investigate import services as inv

    actor, org = acting(username)
    return inv.investigation_create(actor=actor, organisation=org, title="Online recruiter")


def _advert() -> Advert:
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    return lead.adverts.first()


def test_police_attach_an_advert_to_their_investigation_audited(prevent_demo, login_as):
    inv = _investigation("police")
    advert = _advert()
    c = login_as("police")
    url = f"/prevent/leads/{advert.lead_id}/adverts/{advert.pk}/attach/"
    prefix = f"a{advert.pk}"
    r = c.post(
        url,
        {f"{prefix}-target": "investigation", f"{prefix}-reference": inv.reference.lower()},
        follow=True,
    )
    assert r.status_code == 200
    e = AdvertEvidence.objects.get(advert=advert)
    assert (e.target, e.reference) == ("investigation", inv.reference)
    entry = AuditEntry.objects.get(object_type="advert_evidence", object_ref=str(e.pk))
    assert entry.action == "create" and entry.details["reference"] == inv.reference
    assert inv.reference in r.content.decode()  # listed under the advert
    # attaching twice is refused, not duplicated
    r = c.post(
        url,
        {f"{prefix}-target": "investigation", f"{prefix}-reference": inv.reference},
        follow=True,
    )
    assert "already attached" in r.content.decode()
    assert AdvertEvidence.objects.count() == 1


@pytest.mark.parametrize("name", ["online", "fiu"])
def test_a_user_without_access_to_the_investigation_is_refused(prevent_demo, name):
    from palermo.prevent.models import Lead as LeadModel

    inv = _investigation("police")  # FIU is not a member; the online analyst may not investigate
    actor, org = acting(name)
    # give the refused user a lead of their own organisation, so only the target is at stake
    if name == "fiu":
        from palermo.prevent.advert_input import AdvertIn

        services.adverts_import(
            actor=actor, organisation=org, label="t", items=[AdvertIn("Work abroad, fee 300", "")]
        )
    advert = Advert.objects.filter(lead__in=LeadModel.objects.filter(organisation=org)).first()
    refusals = AuditEntry.objects.filter(action="refused", object_type="investigation").count()
    with pytest.raises(InvalidInput) as exc:
        services.advert_attach(
            actor=actor,
            organisation=org,
            advert=advert,
            target="investigation",
            reference=inv.reference,
        )
    assert exc.value.errors[0].field == "reference"
    assert AdvertEvidence.objects.count() == 0
    assert (
        AuditEntry.objects.filter(action="refused", object_type="investigation").count()
        == refusals + 1
    )


def test_an_unknown_investigation_answers_as_an_unseen_one(prevent_demo):
    actor, org = acting("police")
    with pytest.raises(InvalidInput) as exc:
        services.advert_attach(
            actor=actor, organisation=org, advert=_advert(), target="investigation", reference="X"
        )
    unknown = exc.value.errors[0].message
    with pytest.raises(InvalidInput) as exc:
        services.advert_attach(
            actor=actor,
            organisation=org,
            advert=_advert(),
            target="investigation",
            reference="INV-2026-99999",
        )
    assert exc.value.errors[0].message == unknown


def test_attach_to_a_case_the_user_may_see(prevent_demo, login_as):
    from palermo.cases.models import CaseEvent

    actor, org = acting("police")
    advert = _advert()
    ref = services.lead_refer(actor=actor, organisation=org, lead=advert.lead)
    services.advert_attach(
        actor=actor, organisation=org, advert=advert, target="case", reference=ref, note="seen"
    )
    e = AdvertEvidence.objects.get()
    assert (e.target, e.reference) == ("case", ref)
    # the police unit sees the case it opened but may not write notes: the link is kept here
    assert e.advert.text not in "".join(
        CaseEvent.objects.filter(case__reference=ref).values_list("text", flat=True)
    )
    entry = AuditEntry.objects.get(object_type="advert_evidence")
    assert entry.details["case_note"] is False


def test_attach_to_a_case_writes_a_timeline_note_when_the_user_may(prevent_demo):
    from palermo.cases.models import CaseEvent
    from palermo.core.models import Membership
    from palermo.core.roles import Role

    actor, org = acting("police")
    advert = _advert()
    ref = services.lead_refer(actor=actor, organisation=org, lead=advert.lead)
    Membership.objects.create(user=actor, organisation=org, role=Role.CASE_WORKER)
    actor, org = acting("police")  # permissions are kept on the user object: read it again
    services.advert_attach(
        actor=actor, organisation=org, advert=advert, target="case", reference=ref
    )
    notes = CaseEvent.objects.filter(case__reference=ref, kind="note")
    assert any(advert.text in (n.text or "") for n in notes)
    assert AuditEntry.objects.get(object_type="advert_evidence").details["case_note"] is True


def test_a_case_the_user_may_not_see_is_refused_and_audited(prevent_demo):
    police, police_org = acting("police")
    ref = services.lead_refer(actor=police, organisation=police_org, lead=_advert().lead)
    online, org = acting("online")  # same unit, but no case rights
    with pytest.raises(InvalidInput):
        services.advert_attach(
            actor=online, organisation=org, advert=_advert(), target="case", reference=ref
        )
    assert AdvertEvidence.objects.count() == 0
    assert AuditEntry.objects.filter(
        action="refused", object_type="case", actor_username="online"
    ).exists()


def test_attach_refuses_another_organisations_advert_and_bad_input(prevent_demo):
    advert = _advert()
    fiu, fiu_org = acting("fiu")
    with pytest.raises(NotAllowed):
        services.advert_attach(
            actor=fiu, organisation=fiu_org, advert=advert, target="case", reference="X"
        )
    police, org = acting("police")
    with pytest.raises(InvalidInput) as exc:
        services.advert_attach(
            actor=police,
            organisation=org,
            advert=advert,
            target="nope",
            reference="",
            note="x" * 501,
        )
    assert {e.field for e in exc.value.errors} == {"target", "reference", "note"}


def test_attach_api_refuses_an_unseen_target(prevent_demo, client, api_token):
    inv = _investigation("police")
    advert = _advert()
    url = f"/api/v1/prevent/leads/{advert.lead_id}/adverts/{advert.pk}/evidence"
    r = client.post(
        url,
        {"target": "investigation", "reference": inv.reference},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token('online')}",
    )
    assert r.status_code == 422
    r = client.post(
        url,
        {"target": "investigation", "reference": inv.reference},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token('police')}",
    )
    assert r.status_code == 201, r.content
    assert r.json()["reference"] == inv.reference


# --- statistics --------------------------------------------------------------------------------

TODAY = date(2026, 12, 2)  # a Wednesday


def _facts(n: int, day: date, place: str, *signs: str) -> list[statistics.Fact]:
    return [statistics.Fact(day, place, frozenset(signs))] * n


def test_counts_by_week_place_and_sign_with_small_cells_suppressed():
    facts = (
        _facts(30, TODAY, "UA", "fee")
        + _facts(20, TODAY - timedelta(weeks=1), "RO", "fee", "debt")
        + _facts(3, TODAY - timedelta(weeks=1), "AL", "passport")
    )
    c = statistics.protected_counts(facts, today=TODAY)
    assert c.since == date(2026, 6, 8) and c.since.weekday() == 0  # 25 weeks before 30 Nov
    assert c.total == 53
    assert c.by("week")["2026-W49"] == 30
    assert c.by("week")["2026-W40"] == 0  # empty weeks are published as zeros
    assert len(c.by("week")) == statistics.WEEKS
    assert c.by("sign") == {"debt": 20, "fee": 50, "passport": None}  # 3 < 11
    # AL (3) is below the threshold; with the total published, one more place must go with it
    # (the smallest, RO), or 53 − 30 − 20 would give AL away
    assert c.by("place") == {"AL": None, "RO": None, "UA": 30}
    assert c.by("week")["2026-W48"] == 23  # 20 + 3: tells nothing about AL alone


def test_a_suppressed_cell_cannot_be_derived_from_the_published_ones():
    facts = _facts(40, TODAY, "UA") + _facts(2, TODAY, "")
    c = statistics.protected_counts(facts, today=TODAY)
    assert c.total == 42
    assert c.by("place") == {"UA": None, "": None}  # else 42 − 40 = 2 could be worked out


def test_facts_outside_the_period_are_not_counted():
    old = _facts(50, statistics.period_start(TODAY) - timedelta(days=1), "UA")
    assert statistics.protected_counts(old, today=TODAY).total == 0


def test_statistics_page_and_api_show_protected_counts(prevent_demo, login_as, api_token):
    c = login_as("online")
    body = c.get("/prevent/statistics/").content.decode()
    assert 'data-status="suppressed"' in body  # 3 demo reports: below the threshold
    assert "Online-risk statistics" in body
    r = c.get("/api/v1/prevent/statistics", HTTP_AUTHORIZATION=f"Bearer {api_token('analyst')}")
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["reports"]["total"] is None and data["reports"]["threshold"] == 11
    assert data["adverts"]["total"] == 18  # the demo import: 12 campaign adverts and 6 others
    r = c.get("/api/v1/prevent/statistics", HTTP_AUTHORIZATION=f"Bearer {api_token('admin')}")
    assert r.status_code == 403


def test_statistics_selector_refuses_without_the_permission(prevent_demo):
    admin, org = acting("admin")
    with pytest.raises(NotAllowed):
        selectors.online_statistics(admin, org)
