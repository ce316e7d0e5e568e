"""Every automatic evidence figure links to the audit entries it came from (issue 16, item 6):
the drill-down pages list each entry with its time, organisation and action in words, link to
the audit viewer only where the reader may open it, are audited, and are refused to the other
roles. The interpreter figure is computed from the case file's interpreter requests."""

from __future__ import annotations

import re

import pytest

from palermo.core import audit
from palermo.core.models import AuditEntry, Membership, User
from palermo.exercise import evidence, selectors, services
from palermo.exercise.models import Delivery, ExpectedAction


@pytest.fixture
def started(loaded, as_user):
    chief = as_user("chief")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    chief.get("/exercise/direction/")  # a page view runs the inject engine
    return chief


def _team_case(team: str) -> str:
    """Team ``team``'s seeded case, as the exercise sees it: through the audit trail."""
    return (
        AuditEntry.objects.filter(
            action="create", object_type="case", actor_username=f"{team}-nio_officer-1"
        )
        .latest("id")
        .object_ref
    )


def _interpreter_via_case_page(as_user, team: str) -> AuditEntry:
    officer = as_user(f"{team}-nio_officer-1")
    r = officer.post(f"/cases/{_team_case(team)}/interpreter/", {"language": "ro"})
    assert r.status_code == 302
    return AuditEntry.objects.filter(details__what="interpreter_request").latest("id")


def _figures(team: str, day=None):
    ex = services.current()
    for t in selectors.team_figures(ex, day):
        if t["team"].key == team:
            return {f["key"]: f["figure"] for f in t["figures"]}
    return None


def test_interpreter_requested_is_computed_from_the_case_file(started, as_user):
    assert _figures("a")["interpreter_requested"].value is False
    entry = _interpreter_via_case_page(as_user, "a")
    a, b = _figures("a"), _figures("b")
    assert a["interpreter_requested"].value is True
    assert a["interpreter_requested"].entry_ids == (entry.pk,)
    assert b["interpreter_requested"].value is False and b["interpreter_requested"].entry_ids == ()
    # the first action of team A is at least as early as the interpreter request
    assert entry.pk in a["first_action"].entry_ids


def test_every_figure_of_the_report_links_to_its_drill_down(started, as_user):
    entry = _interpreter_via_case_page(as_user, "a")
    team_a = services.current().teams.get(key="a")
    for url in ("/exercise/aar/", "/exercise/hotwash/1/"):
        html = started.get(url).content.decode()
        for key in evidence.FIGURES:
            assert f"/exercise/evidence/team/{team_a.pk}/{key}/" in html, (url, key)
    hot = started.get("/exercise/hotwash/1/").content.decode()
    assert f"/exercise/evidence/team/{team_a.pk}/interpreter_requested/?day=1" in hot
    # every expected action with an evidence rule links to its entries, per team
    aar = started.get("/exercise/aar/").content.decode()
    for d in Delivery.objects.filter(inject__key="SOC-02"):
        for ea in ExpectedAction.objects.filter(inject__key="SOC-02"):
            assert f"/exercise/evidence/delivery/{d.pk}/action/{ea.pk}/" in aar
    assert entry.pk  # the request is in the figures (see the page test below)


def test_drill_down_lists_time_organisation_and_words_and_is_audited(started, as_user):
    entry = _interpreter_via_case_page(as_user, "a")
    team_a = services.current().teams.get(key="a")
    url = f"/exercise/evidence/team/{team_a.pk}/interpreter_requested/"
    r = started.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Interpreter requested" in html
    assert "National Identification Office — Team A" in html or "Team A" in html
    assert entry.at.strftime("%Y-%m-%d %H:%M:%S") in html
    # words, never the codes
    table = html[html.index("<table") : html.index("</table>")]
    assert "interpreter_request" not in table
    # the chief controller may not open the trainees' entries in the audit viewer: no link
    assert "?entry=" not in html
    seen = AuditEntry.objects.filter(object_type="exercise_evidence").latest("id")
    assert seen.actor_username == "chief" and seen.details["entries"] == [entry.pk]
    assert seen.object_ref == f"team:{team_a.pk}:interpreter_requested"


def test_a_reader_who_may_open_the_entry_gets_a_link_that_shows_exactly_it(started, as_user):
    entry = _interpreter_via_case_page(as_user, "a")
    chief = User.objects.get(username="chief")
    org = chief.organisations()[0]
    # the direction's organisation also holds the national audit trail (VIEW_AUDIT_ALL)
    Membership.objects.create(user=chief, organisation=org, role="coordinator")
    c = as_user("chief")
    team_a = services.current().teams.get(key="a")
    html = c.get(f"/exercise/evidence/team/{team_a.pk}/interpreter_requested/").content.decode()
    assert f'href="/audit/?entry={entry.pk}"' in html
    trail = c.get(f"/audit/?entry={entry.pk}")
    assert trail.status_code == 200
    assert re.search(r"\b1 entry\b", trail.content.decode())


def test_expected_action_drill_down(started, as_user):
    user = User.objects.get(username="a-ngo_worker-1")
    entry = audit.record(
        action="create",
        actor=user,
        organisation=user.organisations()[0],
        object_type="screening",
        object_ref="S-1",
    )
    d = Delivery.objects.get(inject__key="SOC-02", team__key="a")
    ea = ExpectedAction.objects.get(key="SOC-02.1")
    r = started.get(f"/exercise/evidence/delivery/{d.pk}/action/{ea.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Screening (interview) recorded" in html and "Harbour Light (NGO) — Team A" in html
    assert AuditEntry.objects.filter(
        object_type="exercise_evidence", details__entries=[entry]
    ).exists()
    # team B's delivery of the same inject shows no entry
    d_b = Delivery.objects.get(inject__key="SOC-02", team__key="b")
    assert (
        "No entry."
        in started.get(f"/exercise/evidence/delivery/{d_b.pk}/action/{ea.pk}/").content.decode()
    )
    # an action without a rule says so
    no_rule = ExpectedAction.objects.get(key="SOC-01.2")
    d1 = Delivery.objects.get(inject__key="SOC-01", team__key="a")
    page = started.get(f"/exercise/evidence/delivery/{d1.pk}/action/{no_rule.pk}/")
    assert page.status_code == 200 and b"no evidence rule" in page.content


@pytest.mark.parametrize("username", ["a-ngo_worker-1", "antenna-1", "actor_mira"])
def test_drill_downs_refused_to_other_roles(started, as_user, username):
    team_a = services.current().teams.get(key="a")
    d = Delivery.objects.get(inject__key="SOC-02", team__key="a")
    ea = ExpectedAction.objects.get(key="SOC-02.1")
    c = as_user(username)
    for url in (
        f"/exercise/evidence/team/{team_a.pk}/first_action/",
        f"/exercise/evidence/delivery/{d.pk}/action/{ea.pk}/",
    ):
        before = AuditEntry.objects.filter(action="refused").count()
        assert c.get(url).status_code == 403
        assert AuditEntry.objects.filter(action="refused").count() == before + 1
    assert not AuditEntry.objects.filter(object_type="exercise_evidence").exists()


def test_controller_may_drill_down_and_unknown_things_are_404(started, as_user):
    team_a = services.current().teams.get(key="a")
    d = Delivery.objects.get(inject__key="SOC-02", team__key="a")
    other = ExpectedAction.objects.get(key="SOC-01.1")  # of another inject
    c = as_user("controller-1")
    assert c.get(f"/exercise/evidence/team/{team_a.pk}/interviews/").status_code == 200
    for url in (
        f"/exercise/evidence/team/{team_a.pk}/no_such_figure/",
        "/exercise/evidence/team/999999/interviews/",
        f"/exercise/evidence/team/{team_a.pk}/interviews/?day=9",
        f"/exercise/evidence/team/{team_a.pk}/interviews/?day=x",
        f"/exercise/evidence/delivery/{d.pk}/action/{other.pk}/",
        f"/exercise/evidence/delivery/999999/action/{other.pk}/",
    ):
        assert c.get(url).status_code == 404, url


def test_pdf_names_each_figures_entries(started, as_user):
    _interpreter_via_case_page(as_user, "a")
    pdf = started.get("/exercise/hotwash/1/pack.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
