"""The exercise pages, per role: a scripted hour; refusals audited; bad input changes nothing."""

from __future__ import annotations

import uuid

import pytest

from palermo.core.models import AuditEntry
from palermo.exercise import services
from palermo.exercise.models import Delivery, ImprovementItem, Observation, Receipt

PAGES = {
    "/exercise/direction/": {"chief", "controller-1"},
    "/exercise/inbox/": {"a-ngo_worker-1"},
    "/exercise/cues/": {"actor_mira"},
    "/exercise/antenna/": {"antenna-1", "chief"},
    "/exercise/aar/": {"chief"},
    "/exercise/hotwash/1/": {"chief", "controller-1"},
}
USERS = ["chief", "controller-1", "a-ngo_worker-1", "actor_mira", "antenna-1"]


def test_each_role_sees_its_pages_and_is_refused_the_others(loaded, as_user):
    for username in USERS:
        c = as_user(username)
        assert c.get("/exercise/").status_code == 200
        for url, allowed in PAGES.items():
            before = AuditEntry.objects.filter(action="refused").count()
            r = c.get(url)
            if username in allowed:
                assert r.status_code == 200, (username, url)
            else:
                assert r.status_code == 403, (username, url)
                assert AuditEntry.objects.filter(action="refused").count() == before + 1


def _start(c):
    assert c.post("/exercise/direction/clock/", {"act": "start"}).status_code == 302


def test_scripted_hour(loaded, as_user):
    chief = as_user("chief")
    _start(chief)
    # jump to 10:05 on day 1: SOC-01 and SOC-02 are due for all four teams
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    r = chief.get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"SOC-02" in r.content
    assert Delivery.objects.filter(inject__key="SOC-02").count() == 4
    assert Delivery.objects.filter(inject__key="INV-01").count() == 0

    ngo = as_user("a-ngo_worker-1")
    page = ngo.get("/exercise/inbox/")
    assert b"A young woman at the NGO drop-in centre" in page.content
    assert b"Routine inspection" not in page.content  # sent to inspectors only
    receipt = Receipt.objects.get(
        participant__user__username="a-ngo_worker-1", delivery__inject__key="SOC-02"
    )
    assert ngo.post(f"/exercise/inbox/{receipt.pk}/acknowledge/").status_code == 302
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None
    # someone else's receipt is not yours
    other = Receipt.objects.filter(participant__user__username="b-ngo_worker-1").first()
    assert ngo.post(f"/exercise/inbox/{other.pk}/acknowledge/").status_code == 404
    # the role-player's cue card
    assert (
        b"nervous, answers only in Kelvan" in as_user("actor_mira").get("/exercise/cues/").content
    )

    # an antenna rates and flags a deviation; the resend is stored once
    ant = as_user("antenna-1")
    cid = str(uuid.uuid4())
    obs = {
        "client_id": cid,
        "team": "a",
        "criterion": "victim_centred",
        "expected_action": "SOC-02.1",
        "rating": "major_challenges",
        "note": "Interviewed in the corridor, no interpreter.",
        "deviation": "1",
    }
    assert ant.post("/exercise/antenna/", obs).status_code == 302
    assert ant.post("/exercise/antenna/", obs).status_code == 302
    assert Observation.objects.filter(client_id=cid).count() == 1
    live = chief.get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true").content
    assert b"Interviewed in the corridor" in live and b"deviation-unseen" in live

    # contingency: two hours after SOC-03 without a guardian request
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 13:31"})
    chief.get("/exercise/direction/")
    assert Delivery.objects.filter(inject__key="SOC-03").count() == 4
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 15:45"})
    chief.get("/exercise/direction/")
    assert Delivery.objects.filter(inject__key="CON-01", fired_by="condition").count() == 4

    # manual inject fired by a controller, ad-hoc inject to team B only
    ctl = as_user("controller-1")
    from palermo.exercise.models import Inject

    news = Inject.objects.get(key="NEWS-01")
    assert (
        ctl.post(f"/exercise/direction/injects/{news.pk}/fire/", {"teams": ["a"]}).status_code
        == 302
    )
    assert Delivery.objects.filter(inject=news).count() == 1
    ctl.post(
        "/exercise/direction/adhoc/",
        {
            "title": "Mira's phone rings",
            "content": "The driver calls.",
            "channel": "phone_call",
            "path": "social",
            "receivers": ["ngo_worker"],
            "teams": ["b"],
        },
    )
    assert Delivery.objects.filter(inject__kind="adhoc", team__key="b").count() == 1
    assert b"Mira&#x27;s phone rings" in as_user("b-ngo_worker-1").get("/exercise/inbox/").content

    # end of day: hot wash, then the AAR and its improvement plan
    chief = as_user("chief")
    r = chief.post("/exercise/direction/end-day/")
    assert r.status_code == 302 and r["Location"].endswith("/exercise/hotwash/1/")
    hw = chief.get("/exercise/hotwash/1/")
    assert b"Interviewed in the corridor" in hw.content and b"overdue" in hw.content
    assert (
        chief.post("/exercise/direction/end-day/").status_code == 302
    )  # second time: refused, message
    assert (
        chief.post(
            "/exercise/aar/",
            {
                "criterion": "victim_centred",
                "issue": "No interpreter",
                "corrective_action": "Interpreter roster at the drop-in",
                "owner": "Harbour Light",
                "due_date": "2027-03-31",
            },
        ).status_code
        == 302
    )
    csv_body = chief.get("/exercise/aar/improvement-plan.csv").content.decode()
    assert "Interpreter roster at the drop-in" in csv_body and "Victim-centred approach" in csv_body
    assert AuditEntry.objects.filter(
        object_type="exercise_improvement_plan", action="export"
    ).exists()
    assert (
        AuditEntry.objects.filter(object_type="exercise_observation", action="create").count() == 1
    )


def test_bad_input_changes_nothing(loaded, as_user):
    chief = as_user("chief")
    _start(chief)
    ant = as_user("antenna-1")
    for bad in (
        {"client_id": "not-a-uuid", "criterion": "sop", "note": "x"},
        {"client_id": str(uuid.uuid4()), "criterion": "kindness", "note": "x"},
        {
            "client_id": str(uuid.uuid4()),
            "criterion": "sop",
            "rating": "performed",
        },  # rating without action
        {"client_id": str(uuid.uuid4()), "criterion": "sop"},  # nothing observed
        {"client_id": str(uuid.uuid4()), "criterion": "sop", "note": "x", "team": "zz"},
    ):
        r = ant.post("/exercise/antenna/", bad)
        assert r.status_code == 400, bad
        assert b"field-error" in r.content
    assert Observation.objects.count() == 0
    r = chief.post(
        "/exercise/aar/",
        {
            "criterion": "sop",
            "issue": "",
            "corrective_action": "x",
            "owner": "y",
            "due_date": "soon",
        },
    )
    assert r.status_code == 400 and ImprovementItem.objects.count() == 0
    for act, value in (
        ("speed", "fast"),
        ("speed", "0"),
        ("jump", "D9 09:00"),
        ("jump", "tomorrow"),
        ("start", ""),
    ):
        chief.post("/exercise/direction/clock/", {"act": act, "value": value})
    from palermo.exercise.models import Exercise

    ex = Exercise.objects.get()
    assert ex.clock_speed == 1.0 and ex.clock_started
    ctl = as_user("controller-1")
    ctl.post(
        "/exercise/direction/adhoc/", {"title": "", "channel": "pigeon", "receivers": ["chief"]}
    )
    assert not Delivery.objects.filter(inject__kind="adhoc").exists()


def test_resend_from_another_antenna_is_refused(loaded, as_user):
    _start(as_user("chief"))
    cid = str(uuid.uuid4())
    as_user("antenna-1").post(
        "/exercise/antenna/", {"client_id": cid, "criterion": "sop", "note": "ok"}
    )
    r = as_user("antenna-2").post(
        "/exercise/antenna/", {"client_id": cid, "criterion": "sop", "note": "mine"}
    )
    assert r.status_code == 409
    assert Observation.objects.get(client_id=cid).note == "ok"


def test_evidence_from_the_audit_trail(loaded, as_user):
    """A team member's real action in Palermo (audited) meets the expected action's evidence rule."""
    from palermo.core import audit
    from palermo.core.models import User
    from palermo.exercise import selectors

    chief = as_user("chief")
    _start(chief)
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:01"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    services.tick()
    user = User.objects.get(username="a-ngo_worker-1")
    entry = audit.record(action="create", actor=user, object_type="screening", object_ref="S-1")
    ex = services.current()
    rows = [
        r for r in selectors.action_rows(ex, services.sim_now(ex)) if r.action.key == "SOC-02.1"
    ]
    by_team = {r.team.key: r for r in rows}
    assert by_team["a"].done and by_team["a"].finding.entry_ids == (entry,)
    assert not by_team["b"].done


@pytest.mark.parametrize("url", ["/exercise/hotwash/0/", "/exercise/hotwash/9/"])
def test_hotwash_day_out_of_range(loaded, as_user, url):
    assert as_user("chief").get(url).status_code == 404


def test_the_service_directory_is_seeded_per_team(loaded):
    from palermo.cases import selectors as cases_selectors

    names = {p.organisation.name for p in cases_selectors.service_directory()}
    assert "Harbour Light (NGO) — Team A" in names
    assert "Marennes Social Services — Team D" in names
