"""Background jobs through the web pages, the API, the worker and the command line:
need-to-know, failure paths (nothing partially imported), progress, the database queue."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from typer.testing import CliRunner

from palermo.core.models import AuditEntry, Membership, User
from palermo.core.roles import Role
from palermo.jobs import services as job_services
from palermo.jobs.models import Job
from tests.conftest import needs_french

pytestmark = pytest.mark.django_db

GOOD = (
    "prs_FirstName,prs_SecondName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation\n"
    "Zora,Fictive,Feminine,MD,2025-03-02,ForcedLabour\n"
    "Ilir,Sample,Masculine,AL,2025-04-11,SexualExploitation\n"
    "Ana,Example,Feminine,RO,2025-05-01,ForcedLabour\n"
)
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _var_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _confirm_import(client, text: str = GOOD):
    client.post(
        "/stats/import/", {"kind": "htcds", "file": SimpleUploadedFile("cases.csv", text.encode())}
    )
    return client.post("/stats/import/confirm/")


def _cases() -> int:
    from palermo.cases.models import Case

    return Case.objects.count()


def _h(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- the happy path, and what the job records --------------------------------------------------------------


def test_an_import_job_reports_its_result_and_audits_start_and_finish(login_as, tmp_path):
    client = login_as("coordinator")
    resp = _confirm_import(client)
    job = Job.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "done" and job.kind == "stats.import" and (job.done, job.total) == (3, 3)
    assert len(job.summary["created"]) == 3 and _cases() == 3
    assert job.params == {} and not list(
        (tmp_path / "jobs").glob("*")
    )  # inputs deleted, parameters emptied
    page = client.get(resp["Location"]).content.decode()
    assert "3 case(s) opened" in page and job.summary["created"][0] in page
    trail = list(
        AuditEntry.objects.filter(object_type="job", object_ref=str(job.pk)).order_by("id")
    )
    assert [(e.action, e.outcome) for e in trail] == [
        ("create", "ok"),
        ("update", "ok"),
        ("update", "ok"),
        ("read", "ok"),
    ]
    assert trail[2].details["summary"]["created"] == job.summary["created"]
    # No personal data in the summary or the audit trail: the names of the file stay out.
    for text in (str(job.summary), *(str(e.details) for e in trail)):
        assert "Zora" not in text and "cases.csv" not in text


def test_the_jobs_list_shows_my_jobs_with_their_status(login_as):
    client = login_as("coordinator")
    _confirm_import(client)
    page = client.get("/jobs/").content.decode()
    assert "Case import (HTCDS or KoboToolbox/ODK)" in page and "done" in page
    assert 'http-equiv="refresh"' not in page  # nothing runs: no refresh
    fragment = client.get("/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="job-rows"') and "<html" not in fragment


# --- failure paths ------------------------------------------------------------------------------------------


def test_a_job_that_raises_fails_with_a_message_and_imports_nothing(
    login_as, monkeypatch, caplog, tmp_path
):
    from palermo.cases import services as case_services

    real_open = case_services.case_open
    opened: list[int] = []

    def open_then_break(**kwargs):
        if opened:
            raise RuntimeError(
                "disk on fire while writing Ilir Sample"
            )  # the message quotes personal data
        opened.append(1)
        return real_open(**kwargs)

    monkeypatch.setattr(case_services, "case_open", open_then_break)
    client = login_as("coordinator")
    with caplog.at_level(logging.ERROR, logger="palermo.jobs"):
        resp = _confirm_import(client)
    job = Job.objects.get()
    assert job.status == "failed" and job.error == job_services.UNEXPECTED
    assert opened and _cases() == 0  # the first case was opened, then rolled back with the rest
    assert not list((tmp_path / "jobs").glob("*"))
    page = client.get(resp["Location"]).content.decode()
    assert "stopped on an unexpected error" in page and "disk on fire" not in page
    assert (
        "RuntimeError" in caplog.text and "Ilir" not in caplog.text
    )  # type only: no data in the log
    finish = AuditEntry.objects.filter(
        object_type="job", object_ref=str(job.pk), outcome="failed"
    ).get()
    assert finish.details["summary"] == {"exception": "RuntimeError"}


def test_refused_rows_fail_the_job_and_are_listed_for_the_user(login_as):
    client = login_as("coordinator")
    resp = _confirm_import(client, "prs_FirstName,prs_Gender\nZora,Female\nAna,Feminine\n")
    job = Job.objects.get()
    assert job.status == "failed" and job.report["errors"][0]["row"] == 2 and _cases() == 0
    page = client.get(resp["Location"]).content.decode()
    assert "Nothing was imported" in page and "prs_Gender" in page


@needs_french
def test_in_french_the_job_page_speaks_french(login_as):
    client = login_as("coordinator")
    resp = _confirm_import(client, "prs_FirstName,prs_Gender\nZora,Female\n")
    page = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Rien n’a été importé" in page or "Rien n'a été importé" in page
    assert "échoué" in page


# --- need to know -------------------------------------------------------------------------------------------


def test_nobody_else_sees_my_job(login_as, client, persona, api_token):
    coordinator = login_as("coordinator")
    _confirm_import(coordinator)
    job = Job.objects.get()
    org = persona("coordinator").organisations()[0]
    colleague = User.objects.create_user(username="colleague", password="x" * 16)
    Membership.objects.create(user=colleague, organisation=org, role=Role.COORDINATOR)
    for other in (
        "police",
        "analyst",
    ):  # another organisation; a colleague without the import right
        login_as(other)
        assert client.get(f"/jobs/{job.pk}/").status_code == 404
        assert (
            str(job.pk)
            not in client.get("/jobs/").content.decode().split("<main", 1)[1].split("</main>")[0]
            or f"/jobs/{job.pk}/" not in client.get("/jobs/").content.decode()
        )
        resp = client.get(f"/api/v1/jobs/{job.pk}", **_h(api_token(other)))
        assert resp.status_code == 404 and resp.json() == {"detail": "Not found.", "errors": []}
        assert client.get("/api/v1/jobs", **_h(api_token(other))).json()["count"] == 0
    client.force_login(colleague)  # same organisation, same role: still not theirs
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get("/jobs/abc/").status_code == 404


def test_a_job_is_not_seen_when_acting_for_another_organisation(login_as, persona):
    from palermo.core.models import Organisation

    client = login_as("coordinator")
    _confirm_import(client)
    job = Job.objects.get()
    other = Organisation.objects.exclude(pk=job.organisation_id).first()
    Membership.objects.create(
        user=persona("coordinator"), organisation=other, role=Role.COORDINATOR
    )
    client.post("/organisation/switch/", {"organisation": other.pk})
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


def test_starting_a_job_needs_its_permission(persona):
    analyst = persona("analyst")
    with pytest.raises(job_services.NotAllowed):
        job_services.job_start(
            actor=analyst,
            organisation=analyst.organisations()[0],
            kind="stats.import",
            params={"kind": "htcds", "name": "x.csv"},
        )
    assert not Job.objects.exists()


# --- the API -----------------------------------------------------------------------------------------------


def test_api_lists_and_reads_my_jobs(login_as, client, api_token):
    _confirm_import(login_as("coordinator"))
    token = api_token("coordinator")
    listed = client.get("/api/v1/jobs", **_h(token)).json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert (
        item["status"] == "done" and item["report"] == {}
    )  # reports only on the job itself (audited)
    one = client.get(item["url"], **_h(token)).json()
    assert (
        one["percent"] == 100
        and len(one["summary"]["created"]) == 3
        and one["page"] == f"/jobs/{one['id']}/"
    )
    assert AuditEntry.objects.filter(
        object_type="job", action="read", object_ref=str(one["id"])
    ).exists()


# --- progress while running ---------------------------------------------------------------------------------


def test_a_running_job_shows_live_progress_and_polls(login_as, persona):
    from django.utils import timezone

    coordinator = persona("coordinator")
    job = Job.objects.create(
        kind="stats.import",
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        status="running",
        created_at=timezone.now(),
        started_at=timezone.now(),
    )
    run = job_services.JobRun(job=job, actor=coordinator, organisation=job.organisation, params={})
    run.progress(40, 160)
    client = login_as("coordinator")
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "40 of 160" in page and "(25 %)" in page and '<progress max="160" value="40"' in page
    assert 'hx-trigger="every 2s"' in page and '<noscript><meta http-equiv="refresh"' in page
    fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div class="job-status"') and "40 of 160" in fragment
    Job.objects.filter(pk=job.pk).update(status="done")
    done = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert (
        done.status_code == 204 and done["HX-Refresh"] == "true"
    )  # finished: reload the whole page


# --- the database queue and the worker ------------------------------------------------------------------------


@pytest.mark.django_db(
    transaction=True
)  # the worker commits and checks its connection, as in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_with_the_database_queue_the_request_only_enqueues_and_the_worker_imports(login_as):
    from palermo.jobs import worker

    client = login_as("coordinator")
    resp = _confirm_import(client)
    job = Job.objects.get()
    assert job.status == "queued" and _cases() == 0  # the request did no import
    page = client.get(resp["Location"]).content.decode()
    assert "Waiting for a worker" in page and "every 2s" in page
    worker.run(batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == "done" and _cases() == 3
    assert job_services.job_run(job.pk) == ""  # a task delivered twice imports nothing twice
    assert _cases() == 3


@pytest.mark.django_db(
    transaction=True
)  # the worker commits and checks its connection, as in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_a_user_who_lost_the_right_before_the_job_ran_gets_nothing_done(login_as, persona):
    from palermo.jobs import worker

    _confirm_import(login_as("coordinator"))
    Membership.objects.filter(user=persona("coordinator"), role=Role.COORDINATOR).delete()
    worker.run(batch=True, verbosity=0)
    job = Job.objects.get()
    assert job.status == "failed" and job.error == job_services.NO_LONGER_ALLOWED and _cases() == 0


@pytest.mark.django_db(
    transaction=True
)  # the worker commits and checks its connection, as in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_palermo_worker_batch_runs_the_queue(login_as):
    from palermo.cli import app

    _confirm_import(login_as("coordinator"))
    result = CliRunner().invoke(app, ["worker", "--batch"])
    assert result.exit_code == 0, result.output
    assert Job.objects.get().status == "done" and _cases() == 3


def test_palermo_worker_refuses_without_a_queue():
    from palermo.cli import app

    result = CliRunner().invoke(app, ["worker", "--batch"])  # the tests' immediate backend
    assert result.exit_code == 2 and "no queue" in result.output


def test_palermo_jobs_prune_deletes_old_finished_jobs(login_as):
    from datetime import timedelta

    from django.utils import timezone

    from palermo.cli import app

    _confirm_import(login_as("coordinator"))
    job = Job.objects.get()
    runner = CliRunner()
    assert (
        "0 finished job(s) deleted" in runner.invoke(app, ["jobs", "prune", "--days", "30"]).output
    )
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=31))
    assert (
        "1 finished job(s) deleted" in runner.invoke(app, ["jobs", "prune", "--days", "30"]).output
    )
    assert not Job.objects.exists()


def test_prune_removes_uploads_a_dead_request_never_handed_to_a_job(tmp_path):
    import os
    import time

    old, fresh = job_services.save_upload([b"a"]), job_services.save_upload([b"b"])
    os.utime(old, (time.time() - 2 * 24 * 3600,) * 2)
    job_services.job_prune(older_than_days=30)
    assert not old.exists() and fresh.exists()


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_palermo_jobs_prune_also_empties_the_queue_of_old_tasks(login_as):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from palermo.cli import app
    from palermo.jobs import worker

    _confirm_import(login_as("coordinator"))
    worker.run(batch=True, verbosity=0)
    assert DBTaskResult.objects.count() == 1
    old = timezone.now() - timedelta(days=31)
    Job.objects.update(finished_at=old)
    DBTaskResult.objects.update(finished_at=old)
    assert (
        "1 finished job(s) deleted"
        in CliRunner().invoke(app, ["jobs", "prune", "--days", "30"]).output
    )
    assert not DBTaskResult.objects.exists() and not Job.objects.exists()


# --- a job's downloadable result -----------------------------------------------------------------------------


@pytest.fixture
def echo_kind():
    """A job kind that makes a file (as the CTDC release does), registered for these tests only."""
    from palermo.core.policy import Perm
    from palermo.jobs import registry

    def handler(run):
        path = job_services.save_upload([run.params["text"].encode()])
        return job_services.JobOutcome(
            ok=run.params["ok"],
            result_file=path,
            result_name="echo.txt",
            error="" if run.params["ok"] else "refused",
        )

    registry.register(
        registry.JobKind(
            name="tests.echo",
            label="Echo",
            perm=Perm.IMPORT_DATA,
            handler=handler,
            result_template="",
        )
    )
    yield "tests.echo"
    registry._KINDS.pop("tests.echo", None)


def test_a_result_file_is_served_to_its_starter_only_and_pruned_with_the_job(
    login_as, persona, echo_kind, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    coordinator = persona("coordinator")
    org = coordinator.organisations()[0]
    job = job_services.job_start(
        actor=coordinator, organisation=org, kind=echo_kind, params={"text": "hello", "ok": True}
    )
    client = login_as("coordinator")
    response = client.get(f"/jobs/{job.pk}/result")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"hello"
    assert (
        response["Content-Disposition"].endswith('"echo.txt"')
        and response["Cache-Control"] == "no-store"
    )
    assert AuditEntry.objects.filter(
        action="export", object_type="job", object_ref=str(job.pk)
    ).exists()
    login_as("police")
    assert client.get(f"/jobs/{job.pk}/result").status_code == 404
    path = job_services.result_path(Job.objects.get(pk=job.pk))
    assert path is not None and path.exists()
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=40))
    assert job_services.job_prune(older_than_days=30) == 1 and not path.exists()


def test_a_failed_job_keeps_no_result_file(login_as, persona, echo_kind, tmp_path):
    coordinator = persona("coordinator")
    job = job_services.job_start(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        kind=echo_kind,
        params={"text": "hello", "ok": False},
    )
    assert job.status == "failed" and "result" not in job.report
    assert not list((tmp_path / "jobs").rglob("*.result")) and not list(
        (tmp_path / "jobs").glob("*.part")
    )
    assert login_as("coordinator").get(f"/jobs/{job.pk}/result").status_code == 404


# --- a worker that dies ------------------------------------------------------------------------


def _running(persona, *, silent_minutes: int) -> Job:
    from datetime import timedelta

    from django.utils import timezone

    coordinator = persona("coordinator")
    then = timezone.now() - timedelta(minutes=silent_minutes)
    return Job.objects.create(
        kind="stats.import",
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        status="running",
        created_at=then,
        started_at=then,
        heartbeat_at=then,
    )


def test_a_job_whose_worker_died_is_failed_as_stopped_and_audited(persona, login_as):
    dead = _running(persona, silent_minutes=90)
    alive = _running(persona, silent_minutes=5)
    assert job_services.job_reap(stale_after_minutes=60) == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and dead.error == job_services.STOPPED and dead.finished_at
    assert alive.status == "running"
    assert AuditEntry.objects.filter(
        object_type="job", object_ref=str(dead.pk), outcome="failed"
    ).exists()
    page = login_as("coordinator").get(f"/jobs/{dead.pk}/").content.decode()
    assert "Start it again" in page
    assert job_services.job_reap(stale_after_minutes=60) == 0  # finished jobs stay as they are


def test_progress_is_a_heartbeat(persona):
    job = _running(persona, silent_minutes=90)
    run = job_services.JobRun(job=job, actor=job.actor, organisation=job.organisation, params={})
    run.progress(1, 10)
    assert job_services.job_reap(stale_after_minutes=60) == 0
    job.refresh_from_db()
    assert job.status == "running"


def test_palermo_jobs_reap_from_the_command_line(persona):
    from palermo.cli import app

    _running(persona, silent_minutes=200)
    result = CliRunner().invoke(app, ["jobs", "reap"])
    assert result.exit_code == 0 and "1 stopped job(s) marked as failed." in result.output


# --- the starter's language ---------------------------------------------------------------------------------


@pytest.fixture
def speaking_kind():
    """A job kind that fails with a translated message, registered for these tests only."""
    from django.utils.translation import gettext

    from palermo.core.policy import Perm
    from palermo.jobs import registry

    def handler(run):
        return job_services.JobOutcome(ok=False, error=gettext("Cancel"))

    registry.register(
        registry.JobKind(
            name="tests.speaking",
            label="Speaking",
            perm=Perm.IMPORT_DATA,
            handler=handler,
            result_template="",
        )
    )
    yield "tests.speaking"
    registry._KINDS.pop("tests.speaking", None)


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_a_worker_writes_the_jobs_messages_in_the_starters_language(persona, speaking_kind):
    from django.utils import translation

    from palermo.jobs import worker

    coordinator = persona("coordinator")
    unit = coordinator.organisations()[0]
    with translation.override("uk"):
        ukrainian = translation.gettext("Cancel")
        job_services.job_start(actor=coordinator, organisation=unit, kind=speaking_kind)
    assert ukrainian != "Cancel", "the Ukrainian catalogue translates the word the job writes"
    with translation.override("en"):  # the worker's own language is not the starter's
        worker.run(batch=True, verbosity=0)
    job = Job.objects.get()
    assert job.status == "failed" and job.error == ukrainian


def test_a_job_recorded_without_a_language_runs_in_the_default_one(persona, speaking_kind):
    from django.conf import settings
    from django.utils import translation

    coordinator = persona("coordinator")
    unit = coordinator.organisations()[0]
    with override_settings(TASKS=DATABASE_QUEUE):
        job = job_services.job_start(actor=coordinator, organisation=unit, kind=speaking_kind)
    Job.objects.filter(pk=job.pk).update(params={"inputs": {}})  # as jobs queued before the change
    with translation.override("uk"):
        job_services.job_run(job.pk)
    job.refresh_from_db()
    with translation.override(settings.LANGUAGE_CODE):
        assert job.error == translation.gettext("Cancel")
