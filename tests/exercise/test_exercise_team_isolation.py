"""Team isolation in an exercise instance (docs/exercise.md, "Team isolation").

The identification officer trainee holds the co-ordinator's national powers: the whole audit
trail, every case, break-glass, oversight, statistics. In an exercise instance those reach only
their own team's organisations (``palermo.exercise.scope`` decides, ``core.scope`` carries it
to the policy and the selectors): team A gets "not found" (and an audited refusal) for team B's
case, screening, audit entries and break-glass, and sees its own; the direction is unaffected;
a production instance (no exercise flag) behaves exactly as before.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import override_settings

from palermo.core import scope
from palermo.core.models import AuditEntry, Membership, User
from palermo.core.policy import NATIONAL_ONLY, Perm, has_perm
from palermo.core.tokens import token_create
from palermo.exercise.models import Team
from palermo.screening import services as screening_services

REASON = "The person is in danger tonight and the lead worker is unreachable."


def _team_case(team: str) -> str:
    return (
        AuditEntry.objects.filter(
            action="create", object_type="case", actor_username=f"{team}-nio_officer-1"
        )
        .latest("id")
        .object_ref
    )


def _officer(team: str) -> User:
    return User.objects.get(username=f"{team}-nio_officer-1")


def _refusals(username: str, object_type: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            actor_username=username, action="refused", object_type=object_type
        ).order_by("id")
    )


def _team_orgs(key: str) -> set[int]:
    return set(Team.objects.get(key=key).organisation_ids)


def _bearer(username: str) -> dict[str, str]:
    user = User.objects.get(username=username)
    _, clear = token_create(actor=user, organisation=user.organisations()[0], name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


# --- the scope itself -----------------------------------------------------------------------


def test_each_team_keeps_its_own_organisations(loaded):
    teams = list(Team.objects.all())
    assert len(teams) == 4
    for t in teams:
        assert t.organisation_ids, t.key
        # every trainee of the team acts for one of the team's organisations
        for m in Membership.objects.filter(user__exercise_participant__team=t):
            assert m.organisation_id in t.organisation_ids
    for a in teams:
        for b in teams:
            if a != b:
                assert not set(a.organisation_ids) & set(b.organisation_ids)


def test_a_team_administrator_at_its_identification_body_administers_only_its_organisation(
    loaded,
):
    """Each team has its own identification body; a trainee given the administrator role there
    is still an organisation's administrator, not the instance's (policy.administers_all)."""
    from palermo.core.policy import administers_all
    from palermo.core.roles import Role

    officer = _officer("a")
    body = next(o for o in officer.organisations() if o.is_identification_body)
    Membership.objects.create(user=officer, organisation=body, role=Role.ADMINISTRATOR)
    officer = User.objects.get(pk=officer.pk)  # roles are kept on the user object
    assert has_perm(officer, Perm.ADMINISTER, body)
    assert not administers_all(officer, body)


def test_who_is_scoped_to_what(loaded):
    a = _officer("a")
    assert scope.organisations_in_scope(a) == frozenset(_team_orgs("a"))
    for direction in ("chief", "controller-1"):
        assert scope.organisations_in_scope(User.objects.get(username=direction)) is None
    # antennas and role-players: their own (direction) organisation only, no team's
    for other in ("antenna-1", "actor_mira"):
        user = User.objects.get(username=other)
        within = scope.organisations_in_scope(user)
        assert within == frozenset(o.pk for o in user.organisations())
        assert not within & _team_orgs("a")


def test_outside_an_exercise_instance_nobody_is_scoped(loaded):
    with override_settings(PALERMO_EXERCISE=""):
        assert scope.organisations_in_scope(_officer("a")) is None
        assert scope.organisations_in_scope(User.objects.get(username="antenna-1")) is None


def test_national_only_powers_are_withheld_from_a_trainee(loaded):
    a = _officer("a")
    org = a.organisations()[0]
    for perm in NATIONAL_ONLY & a.permissions_in(org):
        assert not has_perm(a, perm, org), perm
    # team-meaningful powers stay (narrowed by the selectors)
    for perm in (Perm.VIEW_AUDIT_ALL, Perm.OVERSEE_CASES, Perm.BREAK_GLASS, Perm.VIEW_CASES):
        assert has_perm(a, perm, org), perm
    with override_settings(PALERMO_EXERCISE=""):
        scope.forget(a)
        assert has_perm(a, Perm.VIEW_STATISTICS, org)


# --- cases --------------------------------------------------------------------------------------


def test_team_a_cannot_open_team_b_case_but_opens_its_own(loaded, as_user):
    a = as_user("a-nio_officer-1")
    own, other = _team_case("a"), _team_case("b")
    assert a.get(f"/cases/{own}/").status_code == 200
    assert a.get(f"/cases/{other}/").status_code == 404
    refused = _refusals("a-nio_officer-1", "case")
    assert [r.object_ref for r in refused] == [other]
    assert refused[0].outcome == "refused" and refused[0].details["reason"] == "out_of_scope"
    # a reference that does not exist is refused alike: the trail is no oracle of existence
    assert a.get("/cases/NRM-2099-ZZZZZZ/").status_code == 404
    assert len(_refusals("a-nio_officer-1", "case")) == 2
    # the list shows team A's cases only
    listing = a.get("/cases/").content.decode()
    assert own in listing and other not in listing
    # and team B's officer sees their own
    assert as_user("b-nio_officer-1").get(f"/cases/{other}/").status_code == 200


def test_case_api_refuses_team_b_case(loaded, client):
    other = _team_case("b")
    r = client.get(f"/api/v1/cases/{other}", **_bearer("a-nio_officer-1"))
    assert r.status_code == 404
    assert _refusals("a-nio_officer-1", "case")[-1].object_ref == other
    refs = [
        c["reference"]
        for c in client.get("/api/v1/cases", **_bearer("a-nio_officer-1")).json()["items"]
    ]
    assert refs == [_team_case("a")]
    own = client.get(f"/api/v1/cases/{_team_case('a')}", **_bearer("a-nio_officer-1"))
    assert own.status_code == 200


def test_break_glass_reaches_only_the_own_team(loaded, as_user, client):
    from palermo.cases.models import BreakGlassAccess

    a = as_user("a-nio_officer-1")
    other = _team_case("b")
    r = a.post(f"/cases/{other}/break-glass/", {"reason": REASON})
    assert r.status_code == 404
    assert not BreakGlassAccess.objects.exists()
    assert _refusals("a-nio_officer-1", "case")[-1].object_ref == other
    api = client.post(
        f"/api/v1/cases/{other}/break-glass",
        {"reason": REASON},
        content_type="application/json",
        **_bearer("a-nio_officer-1"),
    )
    assert api.status_code == 404
    assert not BreakGlassAccess.objects.exists()
    # the own team's case: break-glass works as in production
    own = _team_case("a")
    assert a.post(f"/cases/{own}/break-glass/", {"reason": REASON}).status_code == 302
    assert BreakGlassAccess.objects.filter(case__reference=own).count() == 1
    # team B's oversight does not list team A's break-glass, team A's does
    b = as_user("b-nio_officer-1")
    assert own not in b.get("/cases/oversight/").content.decode()
    assert own in a.get("/cases/oversight/").content.decode()


def test_the_service_directory_lists_the_own_team_and_refuses_the_other(loaded, as_user):
    from palermo.cases import services as cases_services
    from palermo.core.errors import NotAllowed

    page = as_user("a-nio_officer-1").get("/cases/services/")
    listed = {p.organisation_id for p in page.context["providers"]}
    assert listed and listed <= _team_orgs("a")
    b_listed = {
        p.organisation_id
        for p in as_user("b-nio_officer-1").get("/cases/services/").context["providers"]
    }
    assert b_listed and b_listed <= _team_orgs("b")
    a = _officer("a")
    b_org = next(o for o in User.objects.get(username="b-ngo_worker-1").organisations())
    with pytest.raises(NotAllowed):
        cases_services.service_provider_save(
            actor=a,
            organisation=a.organisations()[0],
            provider_organisation=b_org,
            service_types=["shelter"],
            capacity=1,
            languages=[],
            area_served="",
        )


def test_a_case_is_not_shared_with_another_team(loaded, as_user):
    from palermo.cases import services as cases_services
    from palermo.cases.models import Case
    from palermo.core.errors import NotAllowed

    a = _officer("a")
    case = Case.objects.get(reference=_team_case("a"))
    b_police = next(o for o in User.objects.get(username="b-investigator-1").organisations())
    with pytest.raises(NotAllowed):
        cases_services.team_add(
            actor=a, organisation=a.organisations()[0], case=case, member=b_police, role="member"
        )


# --- screenings -----------------------------------------------------------------------------------


def test_team_a_cannot_open_team_b_screening(loaded, as_user):
    b = _officer("b")
    s = screening_services.screening_create(
        actor=b, organisation=b.organisations()[0], answers={}, assess=False
    )
    a = as_user("a-nio_officer-1")
    assert a.get(f"/screening/{s.reference}/").status_code == 404
    assert _refusals("a-nio_officer-1", "screening")[-1].object_ref == s.reference
    assert s.reference not in a.get("/screening/").content.decode()
    # team B reaches its own draft (the result page sends a draft on to its interview)
    own = as_user("b-nio_officer-1").get(f"/screening/{s.reference}/")
    assert own.status_code == 302 and own["Location"] == f"/screening/{s.reference}/interview/"
    assert not _refusals("b-nio_officer-1", "screening")


# --- the audit trail ---------------------------------------------------------------------------------


def test_the_audit_trail_of_a_trainee_is_their_team(loaded, as_user):
    b_entry = AuditEntry.objects.filter(actor_username="b-nio_officer-1").latest("id")
    a_entry = AuditEntry.objects.filter(actor_username="a-nio_officer-1").latest("id")
    a = as_user("a-nio_officer-1")
    assert a.get(f"/audit/?entry={a_entry.pk}").status_code == 200
    assert a.get(f"/audit/?entry={b_entry.pk}").status_code == 404
    refused = _refusals("a-nio_officer-1", "audit_entry")
    assert [r.object_ref for r in refused] == [str(b_entry.pk)]
    assert a.get(f"/audit/export.csv?entry={b_entry.pk}").status_code == 404
    # the whole export holds team A's entries only: no other team's, no direction's
    body = a.get("/audit/export.csv").getvalue().decode("utf-8-sig")
    lines = [x for x in body.splitlines() if not x.startswith("#")]  # the TRAINING line
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert rows
    assert {int(r["organisation_id"]) for r in rows} <= _team_orgs("a")
    usernames = {r["actor_username"] for r in rows}
    assert "a-nio_officer-1" in usernames
    assert not {u for u in usernames if u.startswith(("b-", "c-", "d-", "chief", "antenna"))}


def test_the_audit_api_of_a_trainee_is_their_team(loaded, client, as_user):
    as_user("chief").get("/exercise/direction/")  # a direction entry exists
    r = client.get("/api/v1/audit?limit=500", **_bearer("a-nio_officer-1"))
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and {i["actor_username"] for i in items} >= {"a-nio_officer-1"}
    assert all(not i["actor_username"].startswith(("b-", "c-", "d-", "chief")) for i in items)


def test_statistics_are_refused_to_a_trainee(loaded, as_user):
    a = as_user("a-nio_officer-1")
    assert a.get("/stats/").status_code == 403
    assert AuditEntry.objects.filter(
        actor_username="a-nio_officer-1",
        action="refused",
        details__permission=Perm.VIEW_STATISTICS,
    ).exists()


# --- the direction and production ----------------------------------------------------------------------


def test_the_direction_with_an_audit_role_sees_every_team(loaded, as_user):
    chief = User.objects.get(username="chief")
    Membership.objects.create(user=chief, organisation=chief.organisations()[0], role="coordinator")
    c = as_user("chief")
    for team in "abcd":
        entry = AuditEntry.objects.filter(actor_username=f"{team}-nio_officer-1").latest("id")
        assert c.get(f"/audit/?entry={entry.pk}").status_code == 200
    assert c.get("/exercise/direction/").status_code == 200
    assert not _refusals("chief", "audit_entry")


def test_without_the_exercise_flag_the_national_powers_are_as_before(loaded, as_user):
    other = _team_case("b")
    with override_settings(PALERMO_EXERCISE=""):
        a = as_user("a-nio_officer-1")
        assert a.get(f"/cases/{other}/").status_code == 200
        b_entry = AuditEntry.objects.filter(actor_username="b-nio_officer-1").latest("id")
        assert a.get(f"/audit/?entry={b_entry.pk}").status_code == 200
    assert not _refusals("a-nio_officer-1", "case")


def test_the_batch_visibility_agrees_with_the_one_case_door_for_a_trainee(loaded):
    """Exports read need-to-know in batches (``case_visibilities``): for a scoped trainee it
    must say what ``case_visibility`` says, case by case — nothing of another team."""
    from palermo.cases import selectors as case_selectors
    from palermo.cases.models import Case

    cases = list(Case.objects.all())
    assert len(cases) == 4
    for username in ("a-nio_officer-1", "b-nio_officer-1", "a-ngo_worker-1"):
        user = User.objects.get(username=username)
        org = user.organisations()[0]
        batch = case_selectors.case_visibilities(user, org, cases)
        for case in cases:
            assert batch[case.pk] == case_selectors.case_visibility(user, org, case), (
                username,
                case.reference,
            )
        if username.endswith("nio_officer-1"):
            own = {c.pk for c in cases if batch[c.pk].visible}
            assert len(own) == 1
            assert {c.pk for c in case_selectors.cases_visible_to(user, org)} == own


# --- organisation drop-downs ------------------------------------------------------------------------


def _select_options(html: str, name: str) -> set[int]:
    """The organisation ids a form's <select name=…> (or checkboxes of that name) offers."""
    import re

    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if block is not None:
        return {int(v) for v in re.findall(r'<option value="(\d+)"', block.group(1))}
    return {int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', html)}


@pytest.mark.parametrize(
    ("username", "path", "field"),
    [
        ("a-nio_officer-1", "/cases/{case}/consent/", "recipient"),
        ("a-nio_officer-1", "/cases/{case}/team/", "organisation"),
        ("a-nio_officer-1", "/cases/{case}/details/", "lead_organisation"),
        ("a-nio_officer-1", "/cases/{case}/legal-basis/", "organisation"),
        ("a-nio_officer-1", "/cases/{case}/refer/", "provider"),
        ("a-nio_officer-1", "/cases/", "organisation"),
        ("a-nio_officer-1", "/cases/services/", "organisation"),
        ("a-investigator-1", "/investigations/new/", "members"),
    ],
)
def test_organisation_drop_downs_offer_only_the_team(loaded, as_user, username, path, field):
    """Another team's organisations are neither listed nor accepted in a trainee's forms (the
    services refuse them too; a drop-down listing them told a team who the others are)."""
    from palermo.cases.models import ServiceProvider

    page = as_user(username).get(path.format(case=_team_case("a")))
    assert page.status_code == 200, path
    offered = _select_options(page.content.decode(), field)
    if field == "provider":
        offered = set(
            ServiceProvider.objects.filter(pk__in=offered).values_list("organisation_id", flat=True)
        )
    assert offered, f"{path}: no choice offered at all"
    assert offered <= _team_orgs("a"), path


def test_the_organisation_directory_api_lists_only_the_team(loaded, client):
    r = client.get("/api/v1/organisations?limit=500", **_bearer("a-nio_officer-1"))
    assert r.status_code == 200
    ids = {o["id"] for o in r.json()["items"]}
    assert ids and ids <= _team_orgs("a")


def test_a_forged_choice_of_another_team_is_refused_beside_the_field(loaded, as_user):
    from palermo.cases.models import Case

    case = Case.objects.get(reference=_team_case("a"))
    b_org = next(iter(_team_orgs("b")))
    r = as_user("a-nio_officer-1").post(
        f"/cases/{case.reference}/team/", {"organisation": b_org, "role": "other"}
    )
    assert r.status_code in (200, 400)
    assert "organisation" in r.context["form"].errors
    assert not case.team.filter(organisation_id=b_org).exists()


def test_outside_an_exercise_every_active_organisation_is_offered(loaded, as_user):
    from palermo.core.models import Organisation

    with override_settings(PALERMO_EXERCISE=""):
        page = as_user("a-nio_officer-1").get(f"/cases/{_team_case('a')}/team/")
    offered = _select_options(page.content.decode(), "organisation")
    assert offered == set(Organisation.objects.filter(is_active=True).values_list("pk", flat=True))


def test_the_investigation_api_answers_alike_for_another_team_and_an_unknown_id(loaded, client):
    """Opening an investigation with another team's organisation as member gets the same
    message as an id that does not exist: the API must not confirm the other team's ids."""
    from palermo.core.models import Organisation
    from palermo.investigate.models import Investigation

    headers = _bearer("a-investigator-1")
    b_org = next(iter(_team_orgs("b")))
    unknown = (
        Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1000
    before = Investigation.objects.count()
    answers = []
    for pk in (b_org, unknown):
        r = client.post(
            "/api/v1/investigations",
            {"title": "Team isolation", "members": [pk], "cases": []},
            content_type="application/json",
            **headers,
        )
        assert r.status_code == 422, r.content
        body = r.json()
        answers.append(str(body).replace(str(pk), "<id>"))
    assert answers[0] == answers[1]
    assert Investigation.objects.count() == before
    from palermo.investigate.models import INVESTIGATING_TYPES

    # Another investigating organisation of the own team is still accepted.
    own = (
        Organisation.objects.filter(
            pk__in=_team_orgs("a"), org_type__in=INVESTIGATING_TYPES, is_active=True
        )
        .exclude(pk=User.objects.get(username="a-investigator-1").organisations()[0].pk)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    assert own is not None, "team a has a second investigating organisation"
    r = client.post(
        "/api/v1/investigations",
        {"title": "Team isolation", "members": [own], "cases": []},
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 201, r.content


def test_the_investigation_service_refuses_another_team_as_member(loaded):
    """Defence in depth: the service refuses too, whatever door called it."""
    from palermo.core.errors import NotAllowed
    from palermo.core.models import Organisation
    from palermo.investigate import services as inv_services

    actor = User.objects.get(username="a-investigator-1")
    b_org = Organisation.objects.get(pk=next(iter(_team_orgs("b"))))
    with pytest.raises(NotAllowed):
        inv_services.investigation_create(
            actor=actor, organisation=actor.organisations()[0], title="x", members=[b_org]
        )


def test_the_case_api_answers_alike_for_another_team_organisation_and_an_unknown_id(loaded, client):
    from palermo.cases.models import Case
    from palermo.core.models import Organisation

    headers = _bearer("a-nio_officer-1")
    case = Case.objects.get(reference=_team_case("a"))
    b_org = next(iter(_team_orgs("b")))
    unknown = (
        Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1000
    statuses = []
    for pk in (b_org, unknown):
        r = client.post(
            f"/api/v1/cases/{case.reference}/team",
            {"organisation_id": pk, "role": "other"},
            content_type="application/json",
            **headers,
        )
        statuses.append((r.status_code, r.content.replace(str(pk).encode(), b"<id>")))
    assert statuses[0] == statuses[1]
    assert statuses[0][0] == 404
    assert not case.team.filter(organisation_id=b_org).exists()
