"""The one django-tasks task: run a Palermo job by its id (the job row holds everything else).

Why django-tasks (+ django-tasks-db): it is the reference implementation of Django's own
tasks framework (``django.tasks`` from Django 6.0, so moving up is an import change), and
its database backend queues in the database Palermo already has — SQLite for the demo,
PostgreSQL in production — with a ``db_worker`` command: no broker, no new service.
The task's only argument is the job's id, so the queue's table never holds personal data.
"""

from __future__ import annotations

try:  # Django ≥ 6.0 ships the framework itself
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2: the backport
    from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from palermo.jobs.services import job_run

    return job_run(job_id)
