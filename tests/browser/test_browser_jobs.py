"""Browser: the Jobs pages at phone width, and a running job's page following it to the end
by itself (htmx polling), as a user waiting for a long import sees it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.waits import WAIT_MS


def _running_job():
    from django.utils import timezone

    from palermo.core.models import User
    from palermo.jobs.models import Job

    user = User.objects.get(username="coordinator")
    return Job.objects.create(
        kind="stats.import",
        actor=user,
        organisation=user.organisations()[0],
        status="running",
        total=0,
        created_at=timezone.now(),
        started_at=timezone.now(),
    )


def test_a_running_job_page_follows_the_job_to_its_result_at_phone_width(page, demo_users):
    from palermo.jobs.models import Job

    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "coordinator")
    job = _running_job()
    page.goto(f"/jobs/{job.pk}/")
    expect(
        page.get_by_role("heading", name="Case import (HTCDS or KoboToolbox/ODK)")
    ).to_be_visible()
    expect(page.get_by_text("Working…")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The worker finishes: the page polls, sees it, and reloads itself to show the result.
    Job.objects.filter(pk=job.pk).update(
        status="done",
        done=2,
        total=2,
        finished_at=job.started_at,
        summary={"kind": "htcds", "created": [], "updated": [], "unchanged": 2, "refused_rows": 0},
        report={"notes": [], "errors": []},
    )
    expect(page.get_by_text("0 case(s) opened, 0 updated, 2 unchanged.")).to_be_visible(
        timeout=WAIT_MS
    )

    page.get_by_role("link", name="Jobs").first.click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Case import"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
