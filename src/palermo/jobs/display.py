"""What a job looks like to a person: its kind and status in words, its progress, its message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from palermo.jobs import registry, services
from palermo.jobs.models import Job, JobStatus


@dataclass(frozen=True)
class JobView:
    job: Job
    kind_label: str
    status_label: str
    done: int
    total: int
    percent: int | None
    error: str
    back: tuple[str, Any] | None
    result_template: str

    @property
    def finished(self) -> bool:
        return self.job.finished


def job_view(job: Job) -> JobView:
    kind = registry.get(job.kind)
    p = services.live_progress(job)
    return JobView(
        job=job,
        kind_label=str(kind.label) if kind else _("Unknown job"),
        status_label=str(JobStatus(job.status).label),
        done=p.done,
        total=p.total,
        percent=100 if job.status == JobStatus.DONE else p.percent,
        error=_(job.error) if job.error else "",  # stored in English, in the catalogue
        back=kind.back(job) if kind else None,
        result_template=kind.result_template if kind else "",
    )


def job_out(job: Job, *, with_report: bool = True) -> dict[str, Any]:
    """The API's view of a job (``api.JobOut``); lists leave the report out (it is read, audited, one by one)."""
    v = job_view(job)
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": v.kind_label,
        "status": job.status,
        "done": v.done,
        "total": v.total,
        "percent": v.percent,
        "error": v.error,
        "subject": job.subject_ref,
        "summary": job.summary,
        "report": job.report if with_report else {},
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": f"/api/v1/jobs/{job.pk}",
        "page": reverse("jobs:detail", args=[job.pk]),
    }
