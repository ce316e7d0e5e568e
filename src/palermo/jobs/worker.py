"""Running the job queue: the `palermo worker` process, and the demo's worker thread.

Both use django-tasks-db's own worker (the loop behind its ``db_worker`` command): it claims
one queued task at a time in a transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite), so several workers may run side by side.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def uses_queue() -> bool:
    """True when jobs are queued for a worker (False: run immediately, inside the request)."""
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db.")


def _require_database_queue() -> None:
    if not uses_queue():
        raise ImproperlyConfigured(
            "Jobs run immediately in this configuration (PALERMO_JOBS_BACKEND=immediate): there is no queue for a "
            "worker. Unset PALERMO_JOBS_BACKEND to use the database queue."
        )


def run(
    *, batch: bool = False, interval: float = 1.0, max_tasks: int | None = None, verbosity: int = 1
) -> None:
    """Run the worker in this process until stopped (SIGTERM/SIGINT finish the running job first),
    or with ``batch`` until the queue is empty."""
    from django.core.management import call_command

    _require_database_queue()
    from palermo.jobs.services import job_reap

    job_reap()  # jobs left "running" by a worker that was killed
    options: dict[str, object] = {
        "queue_name": "default",
        "interval": interval,
        "batch": batch,
        "reload": False,
        "verbosity": verbosity,
        "startup_delay": False,
    }
    if max_tasks:
        options["max_tasks"] = max_tasks
    from palermo.core.audit import seal, sealer_thread

    if batch:
        seal()
    else:
        sealer_thread()  # chains the audit entries written since, every half second
    call_command("db_worker", **options)
    if batch:
        seal()


def start_thread(*, interval: float = 1.0) -> threading.Thread:
    """The demo's worker: a daemon thread beside the development server, so `palermo demo` needs no
    second command. (Production runs `palermo worker` as its own service: a thread in a web worker
    would die with it, and gunicorn restarts web workers.)"""
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    _require_database_queue()
    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"demo-{get_random_string(12)}",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="palermo-demo-worker", daemon=True)
    thread.start()
    from palermo.core.audit import sealer_thread

    sealer_thread()
    return thread
