"""The jobs context's one table: a long piece of work a user started, run by a worker.

The queue itself is django-tasks' (``django_tasks_db.DBTaskResult``, which holds only this
row's id); a ``Job`` is what the person who started the work sees: what it is, for which
organisation, how far it is, and what came of it.

* ``params`` hold what the work needs (an upload's token, an investigation's id, a
  mapping profile …); they are emptied when the job finishes.
* ``summary`` holds counts and pseudonymous references only (case and investigation
  references): never personal data, so it may go into the audit trail and the API.
* ``report`` holds what the user must see to correct their file (rejected rows, with the
  value the file gave): the same data the user uploaded, shown to that user only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from palermo.jobs import progress


class JobStatus(models.TextChoices):
    QUEUED = progress.QUEUED, pgettext_lazy("job status", "queued")
    RUNNING = progress.RUNNING, pgettext_lazy("job status", "running")
    DONE = progress.DONE, pgettext_lazy("job status", "done")
    FAILED = progress.FAILED, pgettext_lazy("job status", "failed")


class Job(models.Model):
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    # The pseudonymous object the job works on (an investigation reference), for links: never personal data.
    subject_ref = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.CharField(
        max_length=500, blank=True
    )  # for the user, in English: translated when shown
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of the worker running it (at most every HEARTBEAT_EVERY_S): a running
    # job whose worker was killed stops beating and is failed by ``services.job_reap``.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "organisation", "-created_at"], name="jobs_mine_idx")
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind}, {self.status})"

    @property
    def finished(self) -> bool:
        return self.status in progress.FINISHED
