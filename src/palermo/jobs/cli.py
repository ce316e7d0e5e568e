"""`palermo jobs …`: housekeeping of background jobs (the worker itself is `palermo worker`)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Background jobs: imports and red-flag runs started from the web or the API.",
    no_args_is_help=True,
)


@app.command("prune")
def prune(
    days: int = typer.Option(
        None,
        min=1,
        help="Keep finished jobs this many days (default: PALERMO_JOBS_RETENTION_DAYS, 30).",
    ),
) -> None:
    """Delete finished jobs older than the retention period, with their reports (daily cron)."""
    from palermo.cli import _setup

    _setup()
    from django.conf import settings

    from palermo.jobs.services import job_prune, job_reap

    keep = days or settings.PALERMO_JOBS_RETENTION_DAYS
    reaped = job_reap()
    if reaped:
        typer.echo(f"{reaped} stopped job(s) marked as failed.")
    n = job_prune(older_than_days=keep)
    from palermo.jobs.worker import uses_queue

    if uses_queue():  # the queue's own finished task rows (they hold only a job's number)
        from django.core.management import call_command

        call_command("prune_db_task_results", "--min-age-days", str(keep), verbosity=0)
    typer.echo(f"{n} finished job(s) deleted.")


@app.command("reap")
def reap(
    minutes: int = typer.Option(
        None,
        min=1,
        help="A running job silent this many minutes is failed (default: PALERMO_JOBS_STALE_MINUTES, 60).",
    ),
) -> None:
    """Fail running jobs whose worker stopped (killed or restarted), so their users can start
    them again; `palermo worker` does this when it starts, and so does `jobs prune`."""
    from palermo.cli import _setup

    _setup()
    from palermo.jobs.services import job_reap

    n = job_reap(stale_after_minutes=minutes)
    typer.echo(f"{n} stopped job(s) marked as failed.")
