"""The "Jobs" pages: my jobs with their progress, and one job with its result.

Any signed-in user may open the pages (policy mark ``authenticated``); what they list is
scoped by ``selectors`` (own jobs, acting organisation, the kind's permission). While a
job runs, its page refreshes itself: htmx polls the status fragment every two seconds,
and without JavaScript a ``<meta http-equiv="refresh">`` reloads the page.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from palermo.core import audit
from palermo.core.policy import authenticated
from palermo.core.request import SignedInRequest
from palermo.jobs import display, selectors, services

PAGE_SIZE = 25


@authenticated
def job_list(request: SignedInRequest) -> HttpResponse:
    org = getattr(request, "organisation", None)
    page = Paginator(selectors.jobs_for(request.user, org), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    views = [display.job_view(j) for j in page]
    running = any(not v.finished for v in views)
    template = "jobs/_list_rows.html" if request.htmx else "jobs/list.html"
    return render(request, template, {"page": page, "jobs": views, "running": running})


@authenticated
def job_detail(request: SignedInRequest, job_id: int) -> HttpResponse:
    job = selectors.access_job(request.user, getattr(request, "organisation", None), job_id)
    view = display.job_view(job)
    if job.finished and not request.htmx:
        # The report may quote the user's file (rejected rows): reading it is audited.
        audit.record_request(
            request,
            action="read",
            object_type="job",
            object_ref=str(job.pk),
            details={"kind": job.kind, "status": job.status},
        )
    if request.htmx and not job.finished:
        return render(request, "jobs/_status.html", {"v": view})
    if request.htmx:
        # Finished while polled: reload the whole page, which shows the result (and audits the read).
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "jobs/detail.html",
        {"v": view, "summary": job.summary, "report": job.report, "job": job},
    )


@authenticated
def job_result(request: SignedInRequest, job_id: int) -> HttpResponseBase:
    """The file a finished job made (a release …), to the user who started it; an audited export."""
    job = selectors.access_job(request.user, getattr(request, "organisation", None), job_id)
    path = services.result_path(job)
    if path is None:
        raise Http404("not found")
    audit.record_request(
        request,
        action="export",
        object_type="job",
        object_ref=str(job.pk),
        details={"kind": job.kind},
    )
    name = str(job.report["result"].get("name") or "result")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response
