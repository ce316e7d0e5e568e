"""The tabletop variant over the API (``/api/v1/exercises/tabletop…``) and the CLI
(``palermo exercise tabletop|answer``): the page's service, policy and audit; refusals for the
other roles change nothing and are audited."""

from __future__ import annotations

import pytest
import typer

from palermo.core.models import AuditEntry
from palermo.exercise import cli
from palermo.exercise.models import Delivery, TabletopAnswer


@pytest.fixture
def api(loaded):
    from django.test import Client

    from palermo.core.models import User
    from palermo.core.tokens import token_create

    def as_(username: str) -> Client:
        user = User.objects.get(username=username)
        _, clear = token_create(actor=user, organisation=user.organisations()[0], name="t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    return as_


@pytest.fixture
def played(api):
    chief = api("chief")
    for body in ({"act": "start"}, {"act": "jump", "value": "D1 10:05"}, {"act": "pause"}):
        assert (
            chief.post("/api/v1/exercises/clock", body, content_type="application/json").status_code
            == 200
        )
    return chief


def _post(client, body):
    return client.post("/api/v1/exercises/tabletop/answers", body, content_type="application/json")


def test_prompts_and_answers_over_the_api(played, api):
    r = played.get("/api/v1/exercises/tabletop")
    assert r.status_code == 200
    prompts = {p["inject"]: p for p in r.json()}
    soc02 = prompts["SOC-02"]
    assert soc02["title"] == "A young woman at the NGO drop-in centre"
    assert soc02["questions"][0] == "What do you do in the first ten minutes?"
    team_a = next(t for t in soc02["teams"] if t["team"] == "a")
    assert [a["question"] for a in team_a["answers"]] == [0, 1]
    assert all(a["answer"] is None for a in team_a["answers"])
    read = AuditEntry.objects.filter(object_type="exercise_tabletop").latest("id")
    assert read.actor_username == "chief" and "SOC-02" in read.details["injects"]

    body = {"delivery": team_a["delivery"], "question": 1, "text": "Rights explained first"}
    r = _post(played, body)
    assert r.status_code == 201 and r.json()["saved"] == "created"
    # a controller (not only the chief) may record; again replaces
    r = _post(api("controller-1"), {**body, "text": "Revised by the room"})
    assert r.status_code == 200 and r.json()["saved"] == "replaced"
    assert TabletopAnswer.objects.get(delivery_id=team_a["delivery"], question=1).text == (
        "Revised by the room"
    )
    writes = AuditEntry.objects.filter(object_type="exercise_tabletop_answer").order_by("id")
    assert [(w.action, w.actor_username) for w in writes] == [
        ("create", "chief"),
        ("update", "controller-1"),
    ]
    assert all("Revised" not in str(w.details) for w in writes)  # ids, never the text
    again = played.get("/api/v1/exercises/tabletop").json()
    a = next(t for p in again if p["inject"] == "SOC-02" for t in p["teams"] if t["team"] == "a")
    assert a["answers"][1]["answer"] == "Revised by the room"


def test_bad_input_is_refused_beside_the_field_and_changes_nothing(played):
    d = Delivery.objects.get(inject__key="SOC-02", team__key="a")
    r = _post(played, {"delivery": d.pk, "question": 0, "text": "   "})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["text"]
    r = _post(played, {"delivery": d.pk, "question": 7, "text": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "question"
    assert _post(played, {"delivery": 999999, "question": 0, "text": "x"}).status_code == 404
    assert _post(played, {"delivery": d.pk, "question": -1, "text": "x"}).status_code == 422
    assert _post(played, {"delivery": d.pk, "question": 0, "text": "x" * 4001}).status_code == 422
    assert played.get("/api/v1/exercises/tabletop?limit=0").status_code == 422
    assert not TabletopAnswer.objects.exists()


@pytest.mark.parametrize("username", ["a-ngo_worker-1", "antenna-1", "actor_mira"])
def test_other_roles_are_refused_and_audited(played, api, username):
    d = Delivery.objects.get(inject__key="SOC-02", team__key="a")
    c = api(username)
    before = AuditEntry.objects.filter(action="refused").count()
    assert c.get("/api/v1/exercises/tabletop").status_code == 403
    assert _post(c, {"delivery": d.pk, "question": 0, "text": "x"}).status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 2
    assert not TabletopAnswer.objects.exists()


# --- the CLI (in process: the commands' bodies after `_enter` set Django up) ----------------------


def test_cli_shows_prompts_and_records_answers_as_the_account(played):
    lines = cli.tabletop_show("controller-1")
    text = "\n".join(lines)
    assert lines[0].startswith("TRAINING EXERCISE")
    assert "SOC-02 — A young woman at the NGO drop-in centre" in text
    assert "  1. What do you do in the first ten minutes?" in text
    assert "    [a] 1: -" in text
    pk, created = cli.tabletop_record("controller-1", "SOC-02", "a", 2, "Consent before sharing")
    assert created
    pk2, created2 = cli.tabletop_record("chief", "SOC-02", "a", 2, "Consent, then referral")
    assert pk2 == pk and not created2
    assert "    [a] 2: Consent, then referral" in "\n".join(cli.tabletop_show("chief"))
    writes = AuditEntry.objects.filter(object_type="exercise_tabletop_answer").order_by("id")
    assert [w.actor_username for w in writes] == ["controller-1", "chief"]
    reads = AuditEntry.objects.filter(object_type="exercise_tabletop", details__cli=True)
    assert reads.count() == 2


@pytest.mark.parametrize("username", ["a-ngo_worker-1", "antenna-1", "actor_mira"])
def test_cli_refuses_other_roles_and_audits_it(played, username):
    before = AuditEntry.objects.filter(action="refused").count()
    with pytest.raises(typer.Exit) as exc:
        cli.tabletop_show(username)
    assert exc.value.exit_code == 3
    with pytest.raises(typer.Exit):
        cli.tabletop_record(username, "SOC-02", "a", 1, "x")
    assert AuditEntry.objects.filter(action="refused").count() == before + 2
    assert not TabletopAnswer.objects.exists()


def test_cli_bad_input_changes_nothing(played):
    from palermo.core.errors import InvalidInput, NotFound

    with pytest.raises(NotFound):
        cli.tabletop_record("chief", "SOC-05", "a", 1, "not delivered yet")
    with pytest.raises(InvalidInput):
        cli.tabletop_record("chief", "SOC-02", "a", 9, "no such question")
    with pytest.raises(InvalidInput):
        cli.tabletop_record("chief", "SOC-02", "a", 1, "")
    with pytest.raises(typer.Exit):
        cli.tabletop_record("nobody", "SOC-02", "a", 1, "x")
    assert not TabletopAnswer.objects.exists()


def test_team_figures_over_the_api_carry_their_entries(played, api):
    from palermo.core.models import User
    from palermo.exercise import services

    user = User.objects.get(username="a-ngo_worker-1")
    from palermo.core import audit

    entry = audit.record(
        action="create",
        actor=user,
        organisation=user.organisations()[0],
        object_type="screening",
        object_ref="S-1",
    )
    r = played.get("/api/v1/exercises/evidence/teams?day=1")
    assert r.status_code == 200
    rows = {(x["team"], x["figure"]): x for x in r.json()}
    a = rows[("a", "interviews")]
    assert a["value"] == 1 and a["audit_entries"] == [entry]
    assert a["label"] == "Interviews (screenings) recorded"
    assert rows[("b", "interviews")]["value"] == 0
    assert rows[("a", "first_action")]["audit_entries"][0] == entry
    assert len(rows) == 4 * 9 and services.current().days == 3
    assert played.get("/api/v1/exercises/evidence/teams?day=9").status_code == 404
    assert api("a-ngo_worker-1").get("/api/v1/exercises/evidence/teams").status_code == 403
    seen = AuditEntry.objects.filter(object_type="exercise_evidence").latest("id")
    assert seen.actor_username == "chief" and seen.object_ref == "teams:1"
