"""The exercise direction follows the evidence drill-downs to the audit entries themselves
(issue 16): controllers and the chief controller hold no audit role, so the exercise gives them
``exercise.evidence`` — one page per entry that stands behind an evidence figure (a trainee's
entry of this exercise), audited. Trainees, antennas and role-players do not get it; the
direction's own entries and ids that are no evidence are "not found" and a refusal."""

from __future__ import annotations

import pytest

from palermo.core.models import AuditEntry
from palermo.core.policy import ROLE_PERMISSIONS, Perm
from palermo.core.roles import Role
from palermo.exercise import services


@pytest.fixture
def started(loaded, as_user):
    chief = as_user("chief")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    chief.get("/exercise/direction/")
    return chief


def _interpreter_entry(as_user) -> AuditEntry:
    ref = (
        AuditEntry.objects.filter(
            action="create", object_type="case", actor_username="a-nio_officer-1"
        )
        .latest("id")
        .object_ref
    )
    r = as_user("a-nio_officer-1").post(f"/cases/{ref}/interpreter/", {"language": "ro"})
    assert r.status_code == 302
    return AuditEntry.objects.filter(details__what="interpreter_request").latest("id")


def test_only_the_direction_holds_the_permission():
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if Perm.EXERCISE_EVIDENCE in perms}
    assert holders == {Role.CHIEF_CONTROLLER, Role.CONTROLLER}


@pytest.mark.parametrize("username", ["chief", "controller-1"])
def test_the_direction_follows_a_figure_to_its_entries(started, as_user, username):
    entry = _interpreter_entry(as_user)
    team_a = services.current().teams.get(key="a")
    c = as_user(username)
    html = c.get(f"/exercise/evidence/team/{team_a.pk}/interpreter_requested/").content.decode()
    link = f"/exercise/evidence/entry/{entry.pk}/"
    assert f'href="{link}"' in html
    r = c.get(link)
    assert r.status_code == 200
    page = r.content.decode()
    assert "TRAINING EXERCISE" in page and "Evidence entry" in page
    assert "a-nio_officer-1" in page or "Team A" in page
    read = AuditEntry.objects.filter(
        actor_username=username, action="read", object_type="audit_entry"
    ).latest("id")
    assert read.object_ref == str(entry.pk) and read.purpose == "exercise evidence"


@pytest.mark.parametrize(
    "username", ["a-nio_officer-1", "a-ngo_worker-1", "antenna-1", "actor_mira"]
)
def test_trainees_antennas_and_role_players_are_refused(started, as_user, username):
    entry = _interpreter_entry(as_user)
    r = as_user(username).get(f"/exercise/evidence/entry/{entry.pk}/")
    assert r.status_code == 403
    assert AuditEntry.objects.filter(
        actor_username=username, action="refused", details__permission=Perm.EXERCISE_EVIDENCE
    ).exists()
    assert not AuditEntry.objects.filter(
        actor_username=username, action="read", object_type="audit_entry"
    ).exists()


def test_entries_that_are_no_evidence_are_not_found_and_refused(started, as_user):
    c = as_user("controller-1")
    direction_entry = AuditEntry.objects.filter(actor_username="chief").latest("id")
    system_entry = AuditEntry.objects.filter(actor_id__isnull=True).earliest("id")
    missing = AuditEntry.objects.latest("id").pk + 1000
    for entry_id in (direction_entry.pk, system_entry.pk, missing):
        r = c.get(f"/exercise/evidence/entry/{entry_id}/")
        assert r.status_code == 404, entry_id
        refusal = AuditEntry.objects.filter(actor_username="controller-1", action="refused").latest(
            "id"
        )
        assert refusal.object_ref == str(entry_id) and refusal.object_type == "audit_entry"
    assert not AuditEntry.objects.filter(
        actor_username="controller-1", action="read", object_type="audit_entry"
    ).exists()
