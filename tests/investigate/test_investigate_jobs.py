"""Statement imports and red-flag runs as background jobs: what the request still refuses at
once, what the worker refuses later (nothing imported), and who sees the job."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from test_investigate_shell import statement_csv

from palermo.investigate import services
from palermo.investigate.models import Investigation, StatementFile
from palermo.jobs.models import Job

pytestmark = pytest.mark.django_db
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    settings.VAR_DIR = tmp_path


def _investigation(client) -> Investigation:
    client.post(reverse("investigate:create"), {"title": "Operation Harbour"})
    return Investigation.objects.get(title="Operation Harbour")


def _post_statement(client, inv: Investigation, **fields: str):
    payload = {
        "file": SimpleUploadedFile("s.csv", statement_csv(), content_type="text/csv"),
        "kind": "csv",
        "profile": "pkg:palermo-canonical",
        **fields,
    }
    return client.post(reverse("investigate:upload", args=[inv.reference]), payload)


def test_a_bad_parameter_is_refused_at_once_and_queues_nothing(login_as, client):
    login_as("police")
    inv = _investigation(client)
    resp = _post_statement(client, inv, profile="")
    assert resp.status_code == 422 and "Choose one of the mapping profiles" in resp.content.decode()
    assert not Job.objects.exists()


def test_a_red_flag_run_job_reports_and_leads_to_the_alerts_and_only_its_starter_sees_it(
    login_as, client
):
    login_as("police")
    inv = _investigation(client)
    _post_statement(client, inv)
    resp = client.post(reverse("investigate:run", args=[inv.reference]))
    job = Job.objects.get(kind="investigate.rules_run")
    assert (
        resp["Location"] == f"/jobs/{job.pk}/"
        and job.status == "done"
        and job.subject_ref == inv.reference
    )
    page = client.get(resp["Location"]).content.decode()
    assert f"Red flags run: {job.summary['alerts']} new alerts" in page
    assert f'href="/investigations/{inv.reference}/#alerts"' in page
    login_as("fiu")  # another investigating organisation
    assert client.get(resp["Location"]).status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_an_import_queued_before_the_investigation_closed_imports_nothing(
    login_as, client, persona, tmp_path
):
    from palermo.jobs import worker

    login_as("police")
    inv = _investigation(client)
    resp = _post_statement(client, inv)
    job = Job.objects.get()
    assert resp.status_code == 302 and job.status == "queued"
    assert "Waiting for a worker" in client.get(resp["Location"]).content.decode()
    police = persona("police")
    services.investigation_close(
        actor=police, organisation=inv.organisation, investigation=inv, reason="concluded"
    )
    worker.run(batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == "failed" and "is closed" in job.error
    assert StatementFile.objects.count() == 0 and not list((tmp_path / "jobs").glob("*"))
    assert "is closed" in client.get(resp["Location"]).content.decode()
