"""Reads of the inbox, cue cards and dashboard are audited (a poll at most once a minute per
viewer); the plan and report downloads through the API keep the pages' permissions and marks."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from palermo.core.models import AuditEntry
from palermo.exercise.models import Participant


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _reads(object_type: str) -> int:
    return AuditEntry.objects.filter(action="read", object_type=object_type).count()


def _start(chief):
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})


@pytest.mark.parametrize(
    ("username", "url", "object_type"),
    [
        ("a-ngo_worker-1", "/exercise/inbox/", "exercise_inbox"),
        ("actor_mira", "/exercise/cues/", "exercise_cue_cards"),
        ("chief", "/exercise/direction/?live=1", "exercise_dashboard"),
    ],
)
def test_page_view_audited_each_time_poll_once_a_minute(
    loaded, as_user, username, url, object_type
):
    _start(as_user("chief"))
    c = as_user(username)
    before = _reads(object_type)
    assert c.get(url).status_code == 200
    assert c.get(url).status_code == 200
    assert _reads(object_type) == before + 2  # every full page view
    for _ in range(5):  # htmx refreshes within the minute: one entry
        assert c.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert _reads(object_type) == before + 3
    entry = AuditEntry.objects.filter(action="read", object_type=object_type).latest("id")
    assert entry.actor_username == username and entry.details["refresh"] is True
    cache.clear()  # the minute has passed
    c.get(url, HTTP_HX_REQUEST="true")
    assert _reads(object_type) == before + 4


def test_inbox_entry_names_receipt_ids_not_content(loaded, as_user):
    _start(as_user("chief"))
    as_user("a-ngo_worker-1").get("/exercise/inbox/")
    e = AuditEntry.objects.filter(object_type="exercise_inbox").latest("id")
    me = Participant.objects.get(user__username="a-ngo_worker-1")
    assert e.object_ref == str(me.pk)
    assert e.details["count"] == len(e.details["receipts"]) >= 1
    assert "drop-in" not in str(e.details)


def test_two_viewers_each_get_their_entry(loaded, as_user):
    chief, ctl = as_user("chief"), as_user("controller-1")
    before = _reads("exercise_dashboard")
    chief.get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true")
    ctl.get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true")
    assert _reads("exercise_dashboard") == before + 2


def test_refused_poll_is_not_a_read(loaded, as_user):
    before = _reads("exercise_dashboard")
    r = as_user("a-ngo_worker-1").get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    assert _reads("exercise_dashboard") == before


# --- API downloads ------------------------------------------------------------------------------


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


DOWNLOADS = {
    "/api/v1/exercises/hotwash/1/pdf": {"chief", "controller-1"},
    "/api/v1/exercises/aar/pdf": {"chief"},
    "/api/v1/exercises/improvement-plan.csv": {"chief"},
}


def test_api_downloads_per_role_marked_training(api):
    for username in ("chief", "controller-1", "a-ngo_worker-1", "antenna-1"):
        c = api(username)
        for url, allowed in DOWNLOADS.items():
            exports = AuditEntry.objects.filter(action="export").count()
            r = c.get(url)
            if username not in allowed:
                assert r.status_code == 403, (username, url)
                assert AuditEntry.objects.filter(action="export").count() == exports
                continue
            assert r.status_code == 200, (username, url)
            assert r["X-Palermo-Training"] == "exercise"
            assert 'filename="TRAINING-' in r["Content-Disposition"]
            assert AuditEntry.objects.filter(action="export").count() == exports + 1
            if url.endswith(".csv"):
                assert r.content.startswith(b"# TRAINING EXERCISE")
            else:
                assert r.content.startswith(b"%PDF")


def test_api_hotwash_unknown_day_is_404_and_not_exported(api):
    c = api("chief")
    exports = AuditEntry.objects.filter(action="export").count()
    assert c.get("/api/v1/exercises/hotwash/9/pdf").status_code == 404
    assert c.get("/api/v1/exercises/hotwash/0/pdf").status_code == 422
    assert AuditEntry.objects.filter(action="export").count() == exports


def test_api_improvement_csv_neutralises_formulas(api, loaded):
    from datetime import date

    from palermo.exercise import services

    services.improvement_add(
        actor=None,
        organisation=None,
        data={
            "issue": "=HYPERLINK(1)",
            "corrective_action": "train",
            "owner": "NGO",
            "criterion": "sop",
            "due_date": date(2027, 3, 1),
        },
    )
    body = api("chief").get("/api/v1/exercises/improvement-plan.csv").content.decode()
    assert "'=HYPERLINK(1)" in body


def test_inbox_and_dashboard_queries_do_not_grow_with_deliveries(loaded, as_user):
    """No N+1: the number of queries per refresh is the same after 2 injects and after many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chief, ngo, mira = as_user("chief"), as_user("a-ngo_worker-1"), as_user("actor_mira")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    pages = [
        (ngo, "/exercise/inbox/"),
        (mira, "/exercise/cues/"),
        (chief, "/exercise/direction/?live=1"),
    ]

    def counts():
        out = []
        for c, url in pages:
            c.get(url, HTTP_HX_REQUEST="true")  # deliver what is due; warm the audit minute
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url, HTTP_HX_REQUEST="true").status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    few = counts()
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D2 12:00"})
    many = counts()
    assert few == many, (few, many)


def test_api_inbox_read_is_audited_once_a_minute(api):
    before = _reads("exercise_inbox")
    ngo = api("a-ngo_worker-1")
    for _ in range(3):
        assert ngo.get("/api/v1/exercises/inbox").status_code == 200
    assert _reads("exercise_inbox") == before + 1
    e = AuditEntry.objects.filter(object_type="exercise_inbox").latest("id")
    assert e.details["api"] is True and e.actor_username == "a-ngo_worker-1"
    assert api("antenna-1").get("/api/v1/exercises/inbox").status_code == 403
    assert _reads("exercise_inbox") == before + 1


def test_contingency_check_reads_the_trail_once_per_tick(loaded, as_user):
    """A team that met the `unless` rule stays a candidate on every tick: its check must not
    cost queries per team (and it must still hold the contingency back for that team only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from palermo.core import audit
    from palermo.core.models import User
    from palermo.exercise import services
    from palermo.exercise.models import Delivery

    chief = as_user("chief")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 13:31"})
    chief.get("/exercise/direction/")
    assert Delivery.objects.filter(inject__key="SOC-03").count() == 4
    for username in ("a-social_worker-1", "b-social_worker-1"):  # two teams met the rule
        audit.record(
            action="create",
            actor=User.objects.get(username=username),
            object_type="case",
            details={"what": "guardian_appoint"},
        )
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 15:45"})
    chief.get("/exercise/direction/")
    fired = set(Delivery.objects.filter(inject__key="CON-01").values_list("team__key", flat=True))
    assert fired == {"c", "d"}
    with CaptureQueriesContext(connection) as ctx:
        assert services.tick() == []
    trail = [q for q in ctx.captured_queries if "core_auditentry" in q["sql"]]
    assert len(trail) == 1, len(trail)
