"""Reading jobs: the one door.

A job is seen only by the user who started it, acting for the organisation it ran for,
while they still hold the permission its kind needs. Anyone else — a colleague, the same
user acting for another organisation, someone who lost the role — gets "not found", as
for a job that does not exist: a job's report may quote the file it read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from palermo.core.models import Organisation, User
from palermo.core.policy import has_perm
from palermo.jobs import registry
from palermo.jobs.models import Job


def _visible_kinds(actor: User, organisation: Organisation) -> list[str]:
    return [k.name for k in registry.kinds() if has_perm(actor, k.perm, organisation)]


def jobs_for(actor: User, organisation: Organisation | None) -> QuerySet[Job]:
    """The jobs the actor started for the organisation they act for, newest first."""
    if organisation is None or not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(
        actor=actor, organisation=organisation, kind__in=_visible_kinds(actor, organisation)
    )


def access_job(actor: User, organisation: Organisation | None, job_id: Any) -> Job:
    """The job, or Http404 when it does not exist or the actor may not see it."""
    try:
        pk = int(job_id)
    except (TypeError, ValueError) as exc:
        raise Http404("not found") from exc
    job = jobs_for(actor, organisation).filter(pk=pk).first()
    if job is None:
        raise Http404("not found")
    return job


def active_count(actor: User, organisation: Organisation | None) -> int:
    return jobs_for(actor, organisation).filter(status__in=["queued", "running"]).count()
