"""Isolation: no code path writes exercise data outside an exercise instance; an exercise
instance marks every page, download and e-mail as TRAINING and sends nothing out."""

from __future__ import annotations

import inspect

import pytest
from django.apps import apps
from django.core import mail
from django.test import override_settings

from palermo.exercise import services
from palermo.exercise.isolation import GuardedModel, NotAnExerciseInstance
from palermo.exercise.scenario import SHIPPED, load_package


def test_production_instance_refuses_to_load_a_scenario(db):
    from palermo.exercise.models import Exercise

    with pytest.raises(NotAnExerciseInstance):
        services.load_scenario(load_package(SHIPPED / "harbour_crossing"))
    assert not Exercise.objects.exists()


def test_every_exercise_model_refuses_every_write_outside_an_exercise(db):
    models = list(apps.get_app_config("exercise").get_models())
    assert len(models) >= 10
    for model in models:
        assert issubclass(model, GuardedModel), model
        for write in (
            lambda m=model: m().save(),
            lambda m=model: m.objects.create(),
            lambda m=model: m.objects.bulk_create([m()]),
            lambda m=model: m.objects.all().update(pk=1),
            lambda m=model: m.objects.all().delete(),
            lambda m=model: m.objects.get_or_create(pk=1),
            lambda m=model: m(pk=1).delete(),
        ):
            with pytest.raises(NotAnExerciseInstance):
                write()
        assert not model.objects.exists()


def test_every_writing_service_refuses_outside_an_exercise(db, persona):
    user = persona("coordinator")
    org = user.organisations()[0]
    calls = {
        "load_scenario": lambda: services.load_scenario(load_package(SHIPPED / "harbour_crossing")),
        "clock_act": lambda: services.clock_act(actor=user, organisation=org, act="start"),
        "tick": lambda: services.tick(),
        "fire": lambda: services.fire(actor=user, organisation=org, inject_id=1, team_keys=[]),
        "adhoc": lambda: services.adhoc(actor=user, organisation=org, data={}),
        "acknowledge": lambda: services.acknowledge(actor=user, organisation=org, receipt_id=1),
        "observe": lambda: services.observe(actor=user, organisation=org, data={}),
        "deviation_seen": lambda: services.deviation_seen(
            actor=user, organisation=org, observation_id=1
        ),
        "end_day": lambda: services.end_day(actor=user, organisation=org),
        "improvement_add": lambda: services.improvement_add(actor=user, organisation=org, data={}),
        "tabletop_answer": lambda: services.tabletop_answer(
            actor=user, organisation=org, delivery_id=1, question=0, text="x"
        ),
        "tabletop_answer_saved": lambda: services.tabletop_answer_saved(
            actor=user, organisation=org, delivery_id=1, question=0, text="x"
        ),
    }
    public = {
        n
        for n, f in inspect.getmembers(services, inspect.isfunction)
        if f.__module__ == services.__name__ and not n.startswith("_")
    }
    reads = {
        "current",
        "clock_of",
        "wall_now",
        "sim_now",
        "sim_label",
        "wall_label",
        "models_q_receivers",
    }
    assert public - reads == set(calls), "a new service must be added to this isolation test"
    for call in calls.values():
        with pytest.raises(NotAnExerciseInstance):
            call()


def test_exercise_pages_are_not_there_in_production(demo_world, login_as):
    c = login_as("coordinator")
    r = c.get("/exercise/")
    assert r.status_code == 404
    assert b"TRAINING EXERCISE" not in c.get("/").content


def test_a_database_with_accounts_is_refused_even_when_flagged(demo_world):
    from palermo.core.errors import Conflict

    with override_settings(PALERMO_EXERCISE="x"), pytest.raises(Conflict):
        services.load_scenario(load_package(SHIPPED / "harbour_crossing"))


def test_banner_on_every_page_and_marked_downloads(loaded, as_user):
    c = as_user("chief")
    for url in ("/dashboard/", "/exercise/", "/exercise/direction/", "/exercise/aar/"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert b"training-banner" in r.content and b"TRAINING EXERCISE" in r.content, url
    r = c.get("/exercise/aar/improvement-plan.csv")
    assert r["Content-Disposition"].startswith('attachment; filename="TRAINING-')
    assert r.content.startswith(b"# TRAINING EXERCISE")
    assert r["X-Palermo-Training"] == "exercise"


def test_no_outbound_email_and_subject_marked(exercise_instance):
    from palermo.exercise import outbound

    with override_settings(EMAIL_BACKEND="palermo.exercise.outbound.TrainingEmailBackend"):
        outbound.OUTBOX.clear()
        mail.send_mail("Reminder", "body", "a@example.org", ["b@example.org"])
    assert outbound.OUTBOX[-1].subject == "[TRAINING EXERCISE] Reminder"
    assert len(mail.outbox) == 0  # nothing reached any real backend


def test_settings_force_the_training_backend_in_an_exercise_instance(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PALERMO_EXERCISE": "x",
        "PALERMO_TESTING": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import palermo.settings as s; print(s.EMAIL_BACKEND)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "palermo.exercise.outbound.TrainingEmailBackend"


def test_production_still_deletes_users_and_reads_nothing(demo_world, persona):
    """The guard refuses writes of exercise data, not production's own work: deleting a user
    (whose cascade looks for exercise participants) still works, and reads find nothing."""
    from palermo.exercise import selectors

    user = persona("analyst")
    user.delete()
    assert selectors.exercise_or_none() is None
    assert selectors.participant_of(persona("coordinator")) is None
