"""Seeded case files (opened through the cases context's services, per team; bad entries named
with file and line) and the tabletop variant (answers per team and question, in the AAR)."""

from __future__ import annotations

import pytest

from palermo.core.models import AuditEntry
from palermo.exercise.scenario import FILES, SHIPPED, PackageError, parse_package


def _texts():
    return {n: (SHIPPED / "harbour_crossing" / n).read_text() for n in FILES}


def _problems(texts):
    with pytest.raises(PackageError) as exc:
        parse_package(texts)
    return exc.value.problems


# --- seeded cases -------------------------------------------------------------------------------


def test_shipped_scenario_declares_a_case_with_documents():
    sc = parse_package(_texts())
    assert [c["key"] for c in sc.cases] == ["plant_tip"]
    assert len(sc.cases[0]["documents"]) == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    persona: workers\n    opened_by",
            "    persona: ghost\n    opened_by",
            "unknown persona 'ghost'",
        ),
        ("opened_by: nio_officer", "opened_by: inspektor", "unknown role 'inspektor'"),
        ("opened_by: nio_officer", "opened_by: actor_mira", "is not a trainee role"),
        (
            "opened_by: nio_officer",
            "opened_by: inspector",
            "role 'inspector' cannot add the documents",
        ),
        ("exploitation_forms: [labour]", "exploitation_forms: [labour, fishing]", "'fishing'"),
        ('gender: "Masculine"', 'gender: "robot"', "unknown gender 'robot'"),
        ("source: hotline", "source: rumour", "'rumour' is not one of"),
        ("    documents:\n      - title", "    documents:\n      - titel", "documents/0"),
    ],
)
def test_bad_case_entry_named_with_file_and_line(old, new, message):
    t = _texts()
    assert old in t["personas.yaml"]
    t["personas.yaml"] = t["personas.yaml"].replace(old, new, 1)
    problems = _problems(t)
    hit = [p for p in problems if message in p.message]
    assert hit, [str(p) for p in problems]
    assert hit[0].file == "personas.yaml" and hit[0].line > 0
    # the line named is the entry's line (or within the entry just above it)
    lines = t["personas.yaml"].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("cases:"))
    assert hit[0].line > start


def test_case_editing_roles_match_the_policy():
    from palermo.core.policy import ROLE_PERMISSIONS, Perm
    from palermo.exercise.scenario import CASE_EDITING_ROLES

    editing = {r for r, perms in ROLE_PERMISSIONS.items() if Perm.EDIT_CASES in perms}
    from palermo.exercise.vocabulary import PALERMO_ROLES

    assert set(CASE_EDITING_ROLES) == editing & set(PALERMO_ROLES)


def test_duplicate_case_key_is_refused():
    t = _texts()
    block = t["personas.yaml"].split("cases:\n", 1)[1]
    t["personas.yaml"] += block
    assert any("'plant_tip' is used twice" in p.message for p in _problems(t))


def test_each_team_starts_with_the_case_opened_through_the_services(loaded):
    # read through the audit trail, as the exercise context does (not the cases' tables)
    opened = AuditEntry.objects.filter(action="create", object_type="case")
    openers = set(opened.values_list("actor_username", flat=True))
    assert {"a-nio_officer-1", "b-nio_officer-1", "c-nio_officer-1", "d-nio_officer-1"} <= openers
    assert opened.values("object_ref").distinct().count() == 4
    # the documents went in as notes of each case, by the same opener
    assert AuditEntry.objects.filter(actor_username="a-nio_officer-1").count() >= 3
    created = AuditEntry.objects.filter(object_type="exercise", action="create").latest("id")
    assert created.details["cases"] == 4


def test_a_case_the_cases_context_refuses_loads_nothing(exercise_instance):
    from palermo.core.errors import InvalidInput
    from palermo.core.models import User
    from palermo.exercise import services
    from palermo.exercise.models import Exercise
    from palermo.exercise.scenario import load_package

    sc = load_package(SHIPPED / "harbour_crossing")
    bad = dict(sc.cases[0])
    bad["summary"] = "x" * 10_001  # the scenario allows 4,000; forged past it
    sc = sc.__class__(**{**sc.__dict__, "cases": (bad,)})
    with pytest.raises(InvalidInput):
        services.load_scenario(sc, antennas=1, controllers=1, password="Exercise-test-1")
    assert not Exercise.objects.exists() and not User.objects.exists()


# --- tabletop -----------------------------------------------------------------------------------


@pytest.fixture
def played(loaded, as_user):
    chief = as_user("chief")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    chief.get("/exercise/direction/")  # a page view runs the inject engine
    return chief


def _delivery(inject: str, team: str):
    from palermo.exercise.models import Delivery

    return Delivery.objects.get(inject__key=inject, team__key=team)


def test_facilitator_records_answers_and_aar_shows_them(played, as_user):
    from palermo.exercise.models import TabletopAnswer

    page = played.get("/exercise/tabletop/")
    assert page.status_code == 200
    assert b"What do you do in the first ten minutes?" in page.content
    assert b"A young woman at the NGO drop-in centre" in page.content
    d = _delivery("SOC-02", "a")
    r = played.post(
        "/exercise/tabletop/",
        {"delivery": d.pk, "question": 1, "text": "NGO worker explains rights with interpreter"},
    )
    assert r.status_code == 302
    # a second answer to the same question replaces the text
    played.post("/exercise/tabletop/", {"delivery": d.pk, "question": 1, "text": "Revised"})
    assert TabletopAnswer.objects.get(delivery=d, question=1).text == "Revised"
    assert AuditEntry.objects.filter(object_type="exercise_tabletop_answer").count() == 2
    aar = played.get("/exercise/aar/")
    assert b"Revised" in aar.content and b"What must she know" in aar.content
    hot = played.get("/exercise/hotwash/1/")
    assert b"Revised" in hot.content
    pdf = played.get("/exercise/aar/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_inject_without_questions_asks_for_the_decision(played):
    from palermo.exercise.models import Inject, TabletopAnswer

    news = Inject.objects.get(key="NEWS-01")
    assert not news.questions
    played.post(f"/exercise/direction/injects/{news.pk}/fire/", {"teams": ["b"]})
    d = _delivery("NEWS-01", "b")
    assert (
        played.post(
            "/exercise/tabletop/", {"delivery": d.pk, "question": 0, "text": "Press line agreed"}
        ).status_code
        == 302
    )
    assert (
        played.post(
            "/exercise/tabletop/", {"delivery": d.pk, "question": 1, "text": "no such"}
        ).status_code
        == 400
    )
    assert TabletopAnswer.objects.filter(delivery=d).count() == 1
    assert b"The team&#x27;s decision" in played.get("/exercise/tabletop/").content


def test_empty_answer_is_refused_next_to_the_field_and_changes_nothing(played):
    from palermo.exercise.models import TabletopAnswer

    d = _delivery("SOC-02", "a")
    r = played.post("/exercise/tabletop/", {"delivery": d.pk, "question": 0, "text": "   "})
    assert r.status_code == 400
    assert b"Write the team&#x27;s answer." in r.content
    assert not TabletopAnswer.objects.exists()
    r = played.post("/exercise/tabletop/", {"delivery": 999999, "question": 0, "text": "x"})
    assert r.status_code == 404
    r = played.post("/exercise/tabletop/", {"delivery": "abc", "question": 0, "text": "x"})
    assert r.status_code == 400
    assert not TabletopAnswer.objects.exists()


@pytest.mark.parametrize("username", ["a-ngo_worker-1", "antenna-1", "actor_mira"])
def test_tabletop_refused_to_other_roles(played, as_user, username):
    from palermo.exercise.models import TabletopAnswer

    c = as_user(username)
    before = AuditEntry.objects.filter(action="refused").count()
    assert c.get("/exercise/tabletop/").status_code == 403
    d = _delivery("SOC-02", "a")
    assert (
        c.post("/exercise/tabletop/", {"delivery": d.pk, "question": 0, "text": "x"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(action="refused").count() == before + 2
    assert not TabletopAnswer.objects.exists()


def test_tabletop_service_refuses_outside_the_permission(played):
    from palermo.core.errors import NotAllowed
    from palermo.core.models import User
    from palermo.exercise import services

    u = User.objects.get(username="antenna-1")
    with pytest.raises(NotAllowed):
        services.tabletop_answer(
            actor=u,
            organisation=u.organisations()[0],
            delivery_id=_delivery("SOC-02", "a").pk,
            question=0,
            text="x",
        )
