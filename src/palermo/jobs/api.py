"""Jobs API: my background jobs and one job with its progress and result.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from palermo.core.apiutil import PalermoPagination, with_errors
from palermo.core.policy import api_requires
from palermo.core.request import AuthedRequest
from palermo.jobs import display, selectors

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str = Field(description="queued, running, done or failed")
    done: int
    total: int = Field(description="0 while the size of the work is not known")
    percent: int | None
    error: str = Field(description="why the job failed, for the user; empty otherwise")
    subject: str = Field(description="the pseudonymous reference the job worked on, if any")
    summary: dict[str, Any] = Field(
        description="counts and pseudonymous references (no personal data)"
    )
    report: dict[str, Any] = Field(
        description="details for the user who started it, e.g. rejected rows"
    )
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str
    page: str


@router.get("", response=with_errors(list[JobOut]), summary="My background jobs (newest first)")
@api_requires(None)
@paginate(PalermoPagination)
def job_list(request: AuthedRequest) -> Any:
    jobs = selectors.jobs_for(request.user, request.organisation)
    return [display.job_out(j, with_report=False) for j in jobs[:500]]


@router.get(
    "/{job_id}", response=with_errors(JobOut), summary="One of my jobs: progress and result"
)
@api_requires(None)
def job_detail(request: AuthedRequest, job_id: int) -> Any:
    from palermo.core import audit

    job = selectors.access_job(request.user, request.organisation, job_id)
    if job.finished:
        audit.record_request(
            request,
            action="read",
            object_type="job",
            object_ref=str(job.pk),
            details={"kind": job.kind, "status": job.status},
        )
    return display.job_out(job)
