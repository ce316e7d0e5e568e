"""Starting and running background jobs (one function per action, audited).

* ``job_start`` (in a request): checks the kind's permission, records the job, hands the
  user's file to it, enqueues it on django-tasks, audits the start. Returns at once.
* ``job_run`` (in the worker): claims the job, runs its kind's handler, records what came
  of it, deletes its input files, audits the finish. A handler that raises fails the job
  with a plain message for the user; the work itself is all-or-nothing (each handler runs
  the same all-or-nothing service a request used to), so nothing is left half done.

Live progress is written to a cache shared by the web server and the worker (by default
a file cache under ``VAR_DIR``, which both already share for uploads and investigation
workspaces), not to the job's row: an import writes inside one database transaction, and
a row updated there would stay invisible until the end (PostgreSQL) or block (SQLite).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from palermo.core import audit, errors
from palermo.core.models import Organisation, User
from palermo.core.policy import has_perm
from palermo.jobs import progress, registry
from palermo.jobs.models import Job, JobStatus

logger = logging.getLogger("palermo.jobs")

# Stored in English and translated when shown (the strings are in the catalogue).
UNEXPECTED = gettext_noop(
    "The job stopped on an unexpected error and nothing of it was kept. "
    "Try again; if it happens again, tell your administrator."
)
NO_LONGER_ALLOWED = gettext_noop(
    "You no longer have the permission this job needs, so it was not run."
)
UNKNOWN_KIND = gettext_noop("This kind of job is no longer known to Palermo, so it was not run.")

PROGRESS_CACHE = "jobs"
PROGRESS_TTL_S = 2 * 24 * 3600
HEARTBEAT_EVERY_S = 30.0
STOPPED = gettext_noop(
    "The job stopped before it finished: the worker running it ended (restarted or killed). "
    "Start it again."
)


NotAllowed = errors.NotAllowed  # the actor may not start this kind of job (403)


@dataclass
class JobOutcome:
    """What a handler returns: ``summary`` without personal data, ``report`` for the user."""

    ok: bool
    summary: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    # A file the job made for its user to download (e.g. a release): kept with the job, served
    # by ``views.job_result`` to the same user only, deleted with the job.
    result_file: Path | None = None
    result_name: str = ""


@dataclass
class JobRun:
    """What a handler gets: who asked, for which organisation, the parameters and files."""

    job: Job
    actor: User
    organisation: Organisation
    params: dict[str, Any]

    def input_path(self, name: str) -> Path:
        token = str(self.params.get("inputs", {}).get(name, ""))
        if not token.isalnum():
            raise FileNotFoundError(name)
        return input_dir() / f"{token}.input"

    def progress(self, done: int, total: int) -> None:
        """Report how far the job is (cheap: call it every few items, see ``progress.progress_steps``)."""
        p = progress.Progress.of(done, total)
        caches[PROGRESS_CACHE].set(_progress_key(self.job.pk), (p.done, p.total), PROGRESS_TTL_S)
        self.beat()

    def beat(self) -> None:
        """Tell that the worker is alive (a database write at most every HEARTBEAT_EVERY_S)."""
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_EVERY_S:
            self._last_beat = now
            Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(
                heartbeat_at=timezone.now()
            )

    _last_beat: float = field(default=float("-inf"), init=False, repr=False)


def _progress_key(job_id: int) -> str:
    return f"palermo-job-progress-{job_id}"


def live_progress(job: Job) -> progress.Progress:
    """How far the job is: the worker's latest report while it runs, the recorded figures after."""
    if job.status == JobStatus.RUNNING:
        found = caches[PROGRESS_CACHE].get(_progress_key(job.pk))
        if isinstance(found, (tuple, list)) and len(found) == 2:
            return progress.Progress.of(found[0], found[1])
    return progress.Progress.of(job.done, job.total)


def input_dir() -> Path:
    d = Path(settings.VAR_DIR) / "jobs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _take_file(source: Path) -> str:
    """Move a file the request saved into the jobs' input directory; returns its token."""
    token = secrets.token_hex(16)
    shutil.move(str(source), input_dir() / f"{token}.input")
    return token


def save_upload(chunks: Any) -> Path:
    """Write an uploaded file (its ``chunks()``) to a fresh file to hand to ``job_start``."""
    path = input_dir() / f"{secrets.token_hex(16)}.part"
    with path.open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
    return path


def result_path(job: Job) -> Path | None:
    """The job's downloadable result, if it made one and it is still there."""
    token = str((job.report or {}).get("result", {}).get("token", ""))
    if not token.isalnum():
        return None
    path = input_dir() / "results" / f"{token}.result"
    return path if path.exists() else None


def _keep_result(outcome: JobOutcome) -> None:
    if outcome.result_file is None:
        return
    if not outcome.ok:
        outcome.result_file.unlink(missing_ok=True)
        return
    (input_dir() / "results").mkdir(exist_ok=True)
    token = secrets.token_hex(16)
    shutil.move(str(outcome.result_file), input_dir() / "results" / f"{token}.result")
    outcome.report = {**outcome.report, "result": {"token": token, "name": outcome.result_name}}


def _remove_inputs(params: Mapping[str, Any]) -> None:
    for token in dict(params.get("inputs") or {}).values():
        if str(token).isalnum():
            (input_dir() / f"{token}.input").unlink(missing_ok=True)


def job_start(
    *,
    actor: User,
    organisation: Organisation | None,
    kind: str,
    params: dict[str, Any] | None = None,
    inputs: Mapping[str, Path] | None = None,
    subject_ref: str = "",
) -> Job:
    """Record and enqueue a job; the files in ``inputs`` now belong to it (moved, deleted when it ends)."""
    found = registry.get(kind)
    if found is None:
        raise ValueError(f"unknown job kind {kind!r}")
    if organisation is None or not has_perm(actor, found.perm, organisation):
        raise NotAllowed("You do not have permission to do this.")
    taken = {name: _take_file(path) for name, path in (inputs or {}).items()}
    from palermo.jobs.tasks import run_job

    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                actor=actor,
                organisation=organisation,
                subject_ref=subject_ref[:80],
                # The starter's language goes with the job: the worker has no request, and the
                # messages the job writes (refused rows, reasons) are read by that person.
                params={**(params or {}), "inputs": taken, "language": _starter_language()},
                created_at=timezone.now(),
            )
            audit.record(
                action="create",
                actor=actor,
                organisation=organisation,
                object_type="job",
                object_ref=str(job.pk),
                purpose="background job",
                details={"kind": kind, "subject": job.subject_ref},
            )
            # Enqueued in the same transaction: the worker never sees a task whose job is missing
            # (the database backend's task row commits with it). The immediate backend (tests) runs it here.
            result = run_job.enqueue(job.pk)
    except Exception:
        _remove_inputs({"inputs": taken})
        raise
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def _starter_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _claim(job_id: int) -> Job | None:
    with transaction.atomic():
        now = timezone.now()
        claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
        )
        if not claimed:  # run already (a task delivered twice), or failed by an operator
            return None
        job = Job.objects.select_related("actor", "organisation").get(pk=job_id)
        audit.record(
            action="update",
            actor=job.actor,
            organisation=job.organisation,
            object_type="job",
            object_ref=str(job.pk),
            purpose="background job",
            details={"kind": job.kind, "status": "running"},
        )
    return job


def _finish(job: Job, outcome: JobOutcome) -> Job:
    status = JobStatus.DONE if outcome.ok else JobStatus.FAILED
    if not progress.can_move(job.status, status):
        return job
    last = live_progress(job)
    done, total = (last.total, last.total) if outcome.ok and last.total else (last.done, last.total)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=status,
            done=done,
            total=total,
            summary=outcome.summary,
            report=outcome.report,
            error=outcome.error[:500],
            params={},
            finished_at=timezone.now(),
        )
        audit.record(
            action="update",
            actor=job.actor,
            organisation=job.organisation,
            object_type="job",
            object_ref=str(job.pk),
            purpose="background job",
            outcome="ok" if outcome.ok else "failed",
            details={"kind": job.kind, "status": str(status), "summary": outcome.summary},
        )
    caches[PROGRESS_CACHE].delete(_progress_key(job.pk))
    job.refresh_from_db()
    return job


def _handle(job: Job, kind: registry.JobKind | None, params: dict[str, Any]) -> JobOutcome:
    if kind is None:
        return JobOutcome(ok=False, error=UNKNOWN_KIND)
    if not job.actor.is_active or not has_perm(job.actor, kind.perm, job.organisation):
        return JobOutcome(ok=False, error=NO_LONGER_ALLOWED)
    return kind.handler(
        JobRun(job=job, actor=job.actor, organisation=job.organisation, params=params)
    )


def job_run(job_id: int) -> str:
    """Run one job (the worker's entry point, through ``tasks.run_job``); returns its final status.

    Every exception of the handler ends here: the task itself always succeeds, so the
    queue's own table never stores a traceback (whose message could quote a file's data).
    """
    job = _claim(job_id)
    if job is None:
        return ""
    kind = registry.get(job.kind)
    params = dict(job.params)
    language = str(params.get("language") or settings.LANGUAGE_CODE)
    try:
        with translation.override(language):
            outcome = _handle(job, kind, params)
    except Exception as exc:
        # The exception's message may quote the file's data: only its type goes to the log and the trail.
        logger.error("job %s (%s) stopped on %s", job.pk, job.kind, type(exc).__name__)
        outcome = JobOutcome(ok=False, error=UNEXPECTED, summary={"exception": type(exc).__name__})
    finally:
        _remove_inputs(params)
    _keep_result(outcome)
    status = str(_finish(job, outcome).status)
    # Outside a request: the job's own user and organisation ids stand in for the request's.
    logger.info(
        "job finished",
        extra={
            "event": "job",
            "job_id": job.pk,
            "kind": job.kind,
            "status": status,
            "user_id": job.actor_id,
            "organisation_id": job.organisation_id,
        },
    )
    return status


def job_reap(*, stale_after_minutes: int | None = None) -> int:
    """Fail the running jobs whose worker stopped beating (killed, or its machine restarted)
    for longer than ``stale_after_minutes`` (``settings.PALERMO_JOBS_STALE_MINUTES``), so no
    job says "running" forever and its user can start it again. Returns how many."""
    minutes = (
        stale_after_minutes
        if stale_after_minutes is not None
        else int(getattr(settings, "PALERMO_JOBS_STALE_MINUTES", 60))
    )
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Job.objects.select_related("actor", "organisation").filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=cutoff
    )
    count = 0
    for job in stale:
        logger.warning("job %s (%s) stopped beating; failed as stopped", job.pk, job.kind)
        _remove_inputs(job.params)
        _finish(job, JobOutcome(ok=False, error=STOPPED, summary={"stopped": True}))
        count += 1
    return count


def job_prune(*, older_than_days: int = 30) -> int:
    """Delete finished jobs (and their reports) older than the retention period; returns how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = Job.objects.filter(status__in=list(progress.FINISHED), finished_at__lt=cutoff)
    for job in old:
        found = result_path(job)
        if found is not None:
            found.unlink(missing_ok=True)
    n, _ = old.delete()
    # Uploads saved by a request that died before handing them to a job (a day is far longer
    # than any request): they hold personal data for nobody.
    stale = time.time() - 24 * 3600
    for part in input_dir().glob("*.part"):
        try:
            if part.stat().st_mtime < stale:
                part.unlink()
        except OSError:  # taken by a job meanwhile
            pass
    return n
