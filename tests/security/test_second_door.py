"""No second door: no view shows a user a field group of a case that the same user, acting
for the same organisation, cannot see on the case itself (issue 11).

Every demo case gets a unique marker string in each field group (a family name and an
identity number for identity, an e-mail and a street for contacts, the summary for the
victim context, a suspect, a note, a task, a non-punishment record). For every demo
persona, every response of every view that shows case data is searched for the markers
of the groups that persona may not see on that case (``selectors.case_visibilities``, the
case file's own rule); the referral view is also compared group by group with the case
file the same user gets from the API.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from palermo.cases import access, selectors, services
from palermo.cases.models import (
    Case,
    CaseEvent,
    CaseTeamMember,
    NonPunishment,
    Person,
    ServiceReferral,
    SuspectLink,
    Task,
)
from palermo.core.models import Membership, Organisation, User
from palermo.core.roles import Role
from palermo.core.tokens import token_create
from tests.dbsnapshot import Snapshots

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
    "childhome",
]
# Sections of the referral view → the field group they belong to.
REFERRAL_SECTIONS = {
    "identity": access.IDENTITY,
    "victim_context": access.VICTIM_CONTEXT,
    "trafficking_events": access.VICTIM_CONTEXT,
    "safeguards": access.SAFEGUARDS,
}


class World:
    def __init__(self, cases: list[Case], markers: list[tuple[int, str, str]]) -> None:
        self.cases = cases
        self.markers = markers
        self._tokens: dict[str, str] = {}

    def acting(self, name: str) -> tuple[User, Organisation]:
        user = User.objects.get(username=name)
        orgs = user.organisations()
        assert len(orgs) == 1, "every demo persona acts for one organisation"
        return user, orgs[0]

    def bearer(self, name: str) -> dict[str, str]:
        if name not in self._tokens:
            user, org = self.acting(name)
            self._tokens[name] = token_create(actor=user, organisation=org, name="second door")[1]
        return {"HTTP_AUTHORIZATION": f"Bearer {self._tokens[name]}"}

    def hidden(self, name: str) -> list[tuple[int, str, str]]:
        """(case id, group, marker) of every group this persona may not see on the case itself."""
        user, org = self.acting(name)
        vis = selectors.case_visibilities(user, org, self.cases)
        return [m for m in self.markers if m[1] not in vis[m[0]].groups]

    def visible_markers(self, name: str) -> list[tuple[int, str, str]]:
        hidden = set(self.hidden(name))
        return [m for m in self.markers if m not in hidden]


def assert_no_second_door(
    body: bytes | str, hidden: list[tuple[int, str, str]], where: str
) -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = [(m[1], m[2]) for m in hidden if m[2] in text]
    assert not found, (
        f"{where} shows field groups the reader cannot see on the case itself: {found[:6]}"
    )


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker, snapshots) -> Iterator[World]:
    """The demo, marked, built once for the module inside a transaction rolled back at its end
    (each test runs in its own savepoint inside it, as usual)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world(snapshots)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_shared_world: World, db) -> World:
    _shared_world._tokens = {}  # tokens made in an earlier test were rolled back with it
    return _shared_world


def _build_world(snapshots: Snapshots) -> World:
    """The demo world and its cases, then the markers and the rarer ways of seeing a case. Each
    part is built once per test process and replayed after (tests/dbsnapshot.py): the second
    module that asks for this world (test_second_door_crossborder) gets it in about a second."""
    from palermo.cases.demo import demo_cases
    from palermo.core.demo import load_demo

    snapshots.apply("demo world", load_demo)
    before = os.environ.get("PALERMO_DEMO_CASES")
    os.environ["PALERMO_DEMO_CASES"] = "1"
    try:
        snapshots.apply("demo cases", lambda: demo_cases(random.Random(2026)))
    finally:
        if before is None:
            del os.environ["PALERMO_DEMO_CASES"]
        else:
            os.environ["PALERMO_DEMO_CASES"] = before
    snapshots.apply("second door markers", _mark)
    cases = list(Case.objects.order_by("id"))
    return World(cases, _markers(cases))


def _markers(cases: list[Case]) -> list[tuple[int, str, str]]:
    """(case id, field group, marker) of every marker ``_mark`` wrote."""
    markers: list[tuple[int, str, str]] = []
    for c in cases:
        k = f"{c.pk:05d}"
        markers += [
            (c.pk, access.IDENTITY, f"Fam{k}qz"),
            (c.pk, access.IDENTITY, f"Idn{k}qz"),
            (c.pk, access.CONTACT, f"ct{k}qz"),
            (c.pk, access.CONTACT, f"Streetmark{k}qz"),
            (c.pk, access.VICTIM_CONTEXT, f"Vcx{k}qz"),
            (c.pk, access.SUSPECTS, f"Sus{k}qz"),
            (c.pk, access.TIMELINE, f"Tln{k}qz"),
            (c.pk, access.TASKS, f"Tsk{k}qz"),
            (c.pk, access.SAFEGUARDS, f"Npo{k}qz"),
        ]
    return markers


def _mark() -> None:
    """A unique marker in each field group of every demo case, and the rarer ways of seeing one."""
    cases = list(Case.objects.order_by("id"))
    now = timezone.now()
    today = timezone.localdate()
    for c in cases:
        k = f"{c.pk:05d}"
        Person.objects.filter(case=c).update(
            family_name=f"Fam{k}qz",
            identity_number=f"Idn{k}qz",
            email=f"ct{k}qz@example.org",
            street=f"{k} Streetmark{k}qz",
        )
        Case.objects.filter(pk=c.pk).update(summary=f"Vcx{k}qz")
        SuspectLink.objects.create(case=c, name_or_alias=f"Sus{k}qz", recorded_at=now)
        CaseEvent.objects.create(
            case=c, at=now, kind="note", summary="Note added", text=f"Tln{k}qz"
        )
        # Every other marked task is overdue, so that the oversight lists meet them too.
        Task.objects.create(
            case=c,
            title=f"Tsk{k}qz",
            starts_on=today - timedelta(days=10),
            due_on=today + timedelta(days=-3 if c.pk % 2 else 20),
            created_at=now,
        )
        NonPunishment.objects.create(
            case=c, offence=f"Npo{k}qz", compulsion="Under threat (fictional).", recorded_at=now
        )
    # The rarer ways of seeing a case: law enforcement with a legal basis, law enforcement with
    # consent to identity, and a co-ordinator's break-glass access.
    police_org = Organisation.objects.get(name__startswith="Riverside Police")
    police_cases = [
        c
        for c in cases
        if CaseTeamMember.objects.filter(
            case=c, organisation=police_org, removed_at__isnull=True
        ).exists()
    ]
    assert len(police_cases) >= 3, "the demo has cases the police unit works on"
    coordinator = User.objects.get(username="coordinator")
    office = coordinator.organisations()[0]
    services.legal_basis_record(
        actor=coordinator,
        organisation=office,
        case=police_cases[0],
        member=police_org,
        basis="Court order 17/2026 of the fictional district court",
    )
    services.consent_give(
        actor=coordinator,
        organisation=office,
        case=police_cases[1],
        scopes=["identity"],
        recipient=police_org,
        purpose="investigation",
        given_by="person",
        given_on=today,
    )
    services.break_glass_open(
        actor=coordinator,
        organisation=office,
        case_ref=cases[-1].reference,
        reason="Emergency placement at night (test)",
    )


# --- the referral view -------------------------------------------------------------------------------------


def test_referral_view_never_shows_a_group_the_reader_cannot_see_on_the_case(world, client):
    referrals = list(ServiceReferral.objects.select_related("case").order_by("id"))
    assert len(referrals) >= 20, "the demo has referrals in every state"
    opened = 0
    leaks_checked: set[str] = set()
    for name in PERSONAS:
        user, _org = world.acting(name)
        headers = world.bearer(name)
        hidden = world.hidden(name)
        client.force_login(user)
        case_groups: dict[int, set[str]] = {}
        for r in referrals:
            api = client.get(f"/api/v1/cases/referrals/{r.pk}", **headers)
            web = client.get(f"/cases/referrals/{r.pk}/")
            assert api.status_code in (200, 403, 404), (name, api.status_code)
            assert (web.status_code == 200) == (api.status_code == 200), (name, r.pk)
            if api.status_code != 200:
                continue
            opened += 1
            if r.case_id not in case_groups:
                c = client.get(f"/api/v1/cases/{r.case.reference}", **headers)
                case_groups[r.case_id] = (
                    set(c.json()["visible_groups"]) if c.status_code == 200 else set()
                )
            body = api.json()
            shown = set(body["shared_groups"]) | {
                g for key, g in REFERRAL_SECTIONS.items() if body[key]
            }
            assert shown <= case_groups[r.case_id], (name, r.pk, shown - case_groups[r.case_id])
            assert_no_second_door(
                api.content, hidden, f"{name}: GET /api/v1/cases/referrals/{r.pk}"
            )
            assert_no_second_door(web.content, hidden, f"{name}: /cases/referrals/{r.pk}/")
            leaks_checked.add(name)
    # The comparison met receivers, senders, the police on the team and the co-ordinator.
    assert {"caseworker", "outreach", "childhome", "police", "coordinator"} <= leaks_checked, (
        leaks_checked
    )
    assert opened > len(referrals)


# --- the case file itself: page, API, timeline, edit forms --------------------------------------------------


def test_case_page_api_and_timeline_show_only_the_visible_groups(world, client):
    checked = 0
    for name in PERSONAS:
        user, org = world.acting(name)
        headers = world.bearer(name)
        hidden = world.hidden(name)
        client.force_login(user)
        visible = selectors.case_visibilities(user, org, world.cases)
        for case in world.cases:
            if not visible[case.pk].visible:
                continue
            checked += 1
            for path in (
                f"/api/v1/cases/{case.reference}",
                f"/api/v1/cases/{case.reference}/timeline?page_size=200",
            ):
                r = client.get(path, **headers)
                assert r.status_code in (200, 403), (name, path, r.status_code)
                assert_no_second_door(r.content, hidden, f"{name}: {path}")
            if (
                checked % 4 == 0
            ):  # the page renders the same case_file as the API: a sample suffices
                page = client.get(f"/cases/{case.reference}/")
                assert page.status_code == 200
                assert_no_second_door(page.content, hidden, f"{name}: /cases/{case.reference}/")
    assert checked >= len(world.cases)


def test_edit_forms_prefilled_with_case_data_show_only_the_visible_groups(world, client):
    """The person and context edit forms come pre-filled: the identification body (no contacts),
    the police on a team and the case team, on the cases they may open."""
    for name in ("coordinator", "police", "outreach", "caseworker"):
        user, org = world.acting(name)
        hidden = world.hidden(name)
        client.force_login(user)
        visible = selectors.case_visibilities(user, org, world.cases)
        for case in [c for c in world.cases if visible[c.pk].visible][:6]:
            for slug in ("person", "context"):
                r = client.get(f"/cases/{case.reference}/{slug}/")
                assert r.status_code in (200, 403), (name, slug, r.status_code)
                assert_no_second_door(r.content, hidden, f"{name}: /cases/{case.reference}/{slug}/")


# --- lists, search and exports -------------------------------------------------------------------------------


def test_case_lists_and_the_htcds_export_show_only_the_visible_groups(world, client):
    # An export right for the police unit too (an analyst there), so that the export meets a
    # reader who may open cases but not see the person's identity on most of them.
    police, police_org = world.acting("police")
    Membership.objects.create(user=police, organisation=police_org, role=Role.ANALYST)
    exported = 0
    for name in PERSONAS:
        user, _org = world.acting(name)
        headers = world.bearer(name)
        hidden = world.hidden(name)
        client.force_login(user)
        for page in range(1, 3):
            r = client.get(f"/api/v1/cases?page_size=50&page={page}", **headers)
            assert r.status_code in (200, 403)
            assert_no_second_door(r.content, hidden, f"{name}: GET /api/v1/cases")
            r = client.get(f"/cases/?page={page}")
            assert_no_second_door(r.content, hidden, f"{name}: /cases/")
        r = client.get("/cases/oversight/")
        assert_no_second_door(r.content, hidden, f"{name}: /cases/oversight/")
        r = client.get("/api/v1/cases/overdue?page_size=200", **headers)
        assert_no_second_door(r.content, hidden, f"{name}: /api/v1/cases/overdue")
        if (
            name == "police"
        ):  # the comparison is not empty: the police see their cases' overdue tasks
            assert any(
                m[2] in r.content.decode()
                for m in world.visible_markers(name)
                if m[1] == access.TASKS
            )
        for path in ("/cases/referrals/", "/api/v1/cases/referrals/incoming?page_size=200"):
            r = client.get(path, **headers)
            assert_no_second_door(r.content, hidden, f"{name}: {path}")
        csv = client.post("/stats/export/htcds/", {"format": "csv"})
        api_csv = client.post(
            "/api/v1/stats/htcds/export",
            {"format": "csv"},
            content_type="application/json",
            **headers,
        )
        for resp, where in ((csv, "/stats/export/htcds/"), (api_csv, "/api/v1/stats/htcds/export")):
            assert resp.status_code in (200, 403), (name, where, resp.status_code)
            if resp.status_code == 200:
                exported += 1
                assert_no_second_door(resp.content, hidden, f"{name}: {where}")
    assert exported >= 4, (
        "the co-ordinator and the police (with an export right) exported, page and API"
    )
    # The export is not empty for the police: they see their cases' context, not their identity.
    user, org = world.acting("police")
    visible = [m for m in world.visible_markers("police") if m[1] == access.VICTIM_CONTEXT]
    assert (
        visible
        and visible[0][2]
        in client.post(
            "/api/v1/stats/htcds/export",
            {"format": "csv"},
            content_type="application/json",
            **world.bearer("police"),
        ).content.decode()
    )


# --- statistics: aggregates never carry a case's data ---------------------------------------------------


def test_statistics_and_the_ctdc_release_show_no_case_data_to_anyone(world, client):
    for name in PERSONAS:
        user, _org = world.acting(name)
        client.force_login(user)
        # Nothing of any single case belongs in an aggregate: every marker counts as hidden.
        everything = world.markers
        for path in ("/stats/", "/stats/statistics.csv", "/stats/tables/victims.csv"):
            r = client.get(path)
            assert_no_second_door(r.content, everything, f"{name}: {path}")
        r = client.get("/api/v1/stats/tables", **world.bearer(name))
        assert_no_second_door(r.content, everything, f"{name}: /api/v1/stats/tables")
        # The release is made by a background job (run at once by the tests' immediate backend):
        # its page and its file are what the reader gets.
        r = client.post("/stats/export/ctdc/", {"k": "3"}, follow=True)
        assert_no_second_door(r.content, everything, f"{name}: /stats/export/ctdc/")
        if name in ("coordinator", "analyst"):  # the readers of statistics got the real thing
            job_page = r.redirect_chain[-1][0]
            assert job_page.startswith("/jobs/"), (name, r.redirect_chain)
            f = client.get(job_page + "result")
            assert f.status_code == 200 and f["Content-Type"].startswith("text/csv"), (
                name,
                f.status_code,
            )
            assert_no_second_door(
                b"".join(f.streaming_content) if f.streaming else f.content,
                everything,
                f"{name}: CTDC release file",
            )
            assert client.get("/stats/").status_code == 200


# --- investigations: people taken over from cases ---------------------------------------------------------


def test_investigation_parties_from_cases_show_only_what_each_member_may_see(
    world, client, settings, tmp_path
):
    from palermo.investigate import services as inv_services

    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    police, police_org = world.acting("police")
    fiu, fiu_org = world.acting("fiu")
    visible = selectors.case_visibilities(police, police_org, world.cases)
    linked = [c.reference for c in world.cases if visible[c.pk].visible][:20]
    # One investigation of the police alone, one shared with the FIU from the start.
    alone = inv_services.investigation_create(
        actor=police, organisation=police_org, title="Parties (police)", case_refs=linked
    )
    shared = inv_services.investigation_create(
        actor=police,
        organisation=police_org,
        title="Parties (shared)",
        members=[fiu_org],
        case_refs=linked,
    )
    for inv in (alone, shared):
        inv_services.parties_from_cases(actor=police, organisation=police_org, investigation=inv)
    assert alone.parties.exists(), "the police took over suspects (and identities where they may)"
    # A member organisation that may not open a linked case does not learn from the investigation
    # that it exists (the case file answers "not found" to it): its reference counts as hidden too.
    references = {c.pk: c.reference for c in world.cases if c.reference in linked}
    fiu_visible = selectors.case_visibilities(fiu, fiu_org, world.cases)
    assert any(not fiu_visible[pk].visible for pk in references), (
        "the FIU may not open some linked cases"
    )
    for name in PERSONAS:
        user, org = world.acting(name)
        headers = world.bearer(name)
        vis = selectors.case_visibilities(user, org, world.cases)
        hidden = world.hidden(name) + [
            (pk, access.OVERVIEW, ref) for pk, ref in references.items() if not vis[pk].visible
        ]
        client.force_login(user)
        for inv in (alone, shared):
            for path in (
                f"/investigations/{inv.reference}/",
                f"/investigations/{inv.reference}/ftm.json",
                f"/investigations/{inv.reference}/evidence-pack.html",
                f"/investigations/{inv.reference}/proceeds/",
            ):
                r = client.get(path)
                assert_no_second_door(r.content, hidden, f"{name}: {path}")
            for path in (
                f"/api/v1/investigations/{inv.reference}",
                f"/api/v1/investigations/{inv.reference}/parties",
            ):
                r = client.get(path, **headers)
                assert_no_second_door(r.content, hidden, f"{name}: {path}")
    # Where the police may see a person, the name did reach their own investigation.
    names = " ".join(p.name for p in alone.parties.all())  # encrypted: opened per row
    assert any(m[2] in names for m in world.visible_markers("police") if m[1] == access.IDENTITY)


# --- screening → case links ---------------------------------------------------------------------------------


def test_screenings_referred_to_a_case_show_its_reference_only(world, client):
    from palermo.screening.models import Screening, ScreeningStatus

    outreach, eastbay = world.acting("outreach")
    for i, case in enumerate(world.cases[:5]):
        Screening.objects.create(
            reference=f"SCR-TEST-{i:04d}",
            organisation=eastbay,
            created_by=outreach,
            status=ScreeningStatus.REFERRED,
            answers={},
            result={"status": "presumed"},
            case_reference=case.reference,
        )
    for name in PERSONAS:
        user, _org = world.acting(name)
        headers = world.bearer(name)
        client.force_login(user)
        everything = world.markers  # a screening holds no case data, whoever reads it
        for path in (
            "/screening/",
            "/api/v1/screenings?page_size=100",
            *(f"/api/v1/screenings/SCR-TEST-{i:04d}" for i in range(5)),
        ):
            r = client.get(path, **headers)
            assert_no_second_door(r.content, everything, f"{name}: {path}")
