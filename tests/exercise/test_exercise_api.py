"""The exercise API: per role, idempotent observations, the standard error shape."""

from __future__ import annotations

import uuid

import pytest

from palermo.exercise.models import Observation


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


def test_clock_inbox_ack_observation_evidence(api):
    chief = api("chief")
    r = chief.post("/api/v1/exercises/clock", {"act": "start"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["started"] is True
    r = chief.post(
        "/api/v1/exercises/clock",
        {"act": "jump", "value": "D1 10:00"},
        content_type="application/json",
    )
    assert r.json()["exercise_time"].startswith("D1 10:0")
    ngo = api("a-ngo_worker-1")
    inbox = ngo.get("/api/v1/exercises/inbox").json()
    assert [m["inject"] for m in inbox] == ["SOC-02"]
    r = ngo.post(f"/api/v1/exercises/inbox/{inbox[0]['receipt']}/acknowledge")
    assert r.status_code == 200
    ant = api("antenna-1")
    body = {
        "client_id": str(uuid.uuid4()),
        "criterion": "sop",
        "team": "a",
        "note": "queued offline",
        "deviation": True,
    }
    first = ant.post("/api/v1/exercises/observations", body, content_type="application/json")
    again = ant.post("/api/v1/exercises/observations", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["stored"] == "already stored" and Observation.objects.count() == 1
    assert chief.get("/api/v1/exercises").json()["unseen_deviations"] == 1
    ev = chief.get("/api/v1/exercises/evidence").json()
    assert {e["action"] for e in ev} >= {"SOC-01.1", "SOC-02.1"}


def test_refusals_and_bad_input(api):
    ngo = api("a-ngo_worker-1")
    assert ngo.get("/api/v1/exercises").status_code == 403
    assert (
        ngo.post(
            "/api/v1/exercises/clock", {"act": "start"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert api("chief").get("/api/v1/exercises/inbox").status_code == 403
    ant = api("antenna-1")
    r = ant.post(
        "/api/v1/exercises/observations",
        {"client_id": "x", "criterion": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"client_id", "criterion"}
    assert Observation.objects.count() == 0
    r = api("chief").post(
        "/api/v1/exercises/clock", {"act": "speed", "value": "999"}, content_type="application/json"
    )
    assert r.status_code == 422


def test_applications_and_selection_over_the_api(api):
    from palermo.core.models import AuditEntry
    from palermo.exercise.models import Application

    header = "reference,name,country,organisation,profession,gender,languages\n"
    chief = api("chief")
    for who in ("controller-1", "antenna-1", "a-ngo_worker-1"):
        c = api(who)
        assert c.get("/api/v1/exercises/selection").status_code == 403
        r = c.post("/api/v1/exercises/selection", {"places": 1}, content_type="application/json")
        assert r.status_code == 403
    assert chief.get("/api/v1/exercises/selection").status_code == 404
    one = {
        "reference": "A1",
        "name": "Ana",
        "country": "MD",
        "organisation": "Police",
        "profession": "prosecutor",
        "gender": "female",
        "languages": "ro",
    }
    r = chief.post("/api/v1/exercises/applications", one, content_type="application/json")
    assert r.status_code == 201
    r = chief.post(
        "/api/v1/exercises/applications", {**one, "country": "ZZ"}, content_type="application/json"
    )
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"country"}
    text = header + "B1,Bo,RS,NGO,judge,male,\nB2,Cy,ZZ,NGO,judge,male,\n"
    r = chief.post(
        "/api/v1/exercises/applications/import", {"csv": text}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "row3.country"
    assert Application.objects.count() == 1
    text = header + "B1,Bo,RS,NGO,judge,male,\nB2,Cy,RS,NGO,judge,female,\n"
    r = chief.post(
        "/api/v1/exercises/applications/import", {"csv": text}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json() == {"imported": 2}
    body = {"places": 2, "quotas": {"prosecutor": 1}, "country_cap": 1, "seed": 3}
    r = chief.post("/api/v1/exercises/selection", body, content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["selected"] == 2 and {d["reference"] for d in out["decisions"] if d["selected"]} >= {
        "A1"
    }
    assert "name" not in str(out["decisions"][0])
    bad = {**body, "quotas": {"astronaut": 1}}
    r = chief.post("/api/v1/exercises/selection", bad, content_type="application/json")
    assert r.status_code == 422
    assert chief.get("/api/v1/exercises/selection").json()["id"] == out["id"]
    assert AuditEntry.objects.filter(object_type="exercise_selection", action="read").exists()
