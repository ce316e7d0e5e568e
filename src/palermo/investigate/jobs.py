"""The investigations' background jobs: a bank statement import and a red-flag run.

Each runs the same service a request ran before (``services.statement_import``, all or
nothing and idempotent; ``services.rules_run``), for the user who started it, acting for
the same organisation: the service checks again that they may still work on the
investigation and that it is still open. Summaries hold counts, rule ids and the
investigation's reference; the statement report (rejected rows, as the page showed them)
is for that user only.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm
from palermo.investigate import services
from palermo.investigate.models import Investigation
from palermo.jobs import registry
from palermo.jobs.services import JobOutcome, JobRun

STATEMENT_IMPORT = "investigate.statement_import"
RULES_RUN = "investigate.rules_run"
REJECTED = gettext_noop("The file was rejected: nothing was imported.")


def _refusal(exc: Exception) -> str | None:
    """A service's refusal as the job's message, or None when the exception is not a refusal."""
    if isinstance(exc, InvalidInput):
        return "; ".join(e.message for e in exc.errors)
    if isinstance(exc, (services.NotAllowed, services.InvestigationClosed, services.WorkspaceBusy)):
        return str(exc)
    return None


def _investigation(run: JobRun) -> Investigation:
    return Investigation.objects.get(pk=run.params["investigation"])


def run_statement_import(run: JobRun) -> JobOutcome:
    inv = _investigation(run)
    p = run.params
    run.progress(0, 1)
    try:
        with run.input_path("statement").open("rb") as fh:
            report = services.statement_import(
                actor=run.actor,
                organisation=run.organisation,
                investigation=inv,
                upload=fh,
                file_name=p.get("file_name", "statement"),
                kind=p["kind"],
                profile=p.get("profile", ""),
                account=p.get("account", ""),
                account_name=p.get("account_name", ""),
            )
    except Exception as exc:
        message = _refusal(exc)
        if message is None:
            raise
        return JobOutcome(ok=False, error=message, summary={"investigation": inv.reference})
    summary = {
        "investigation": inv.reference,
        "rows_read": report.rows_read,
        "rows_inserted": report.rows_inserted,
        "rows_duplicate": report.rows_duplicate,
        "already_imported": report.already_imported,
        "error_count": report.error_count,
    }
    return JobOutcome(
        ok=report.ok, summary=summary, report=report.as_dict(), error="" if report.ok else REJECTED
    )


def run_rules(run: JobRun) -> JobOutcome:
    inv = _investigation(run)
    try:
        report = services.rules_run(
            actor=run.actor, organisation=run.organisation, investigation=inv
        )
    except Exception as exc:
        message = _refusal(exc)
        if message is None:
            raise
        return JobOutcome(ok=False, error=message, summary={"investigation": inv.reference})
    return JobOutcome(
        ok=True,
        summary={
            "investigation": inv.reference,
            "run_id": report.run_id,
            "ran": list(report.ran),
            "skipped": [
                {"rule_id": s.rule_id, "missing_fields": list(s.missing_fields)}
                for s in report.skipped
            ],
            "suppressed": report.suppressed,
            "alerts": len(report.alerts),
        },
    )


def _back(job: Any) -> tuple[str, Any] | None:
    if not job.subject_ref:
        return None
    return reverse("investigate:detail", args=[job.subject_ref]), job.subject_ref


def register() -> None:
    registry.register(
        registry.JobKind(
            name=STATEMENT_IMPORT,
            label=_("Bank statement import"),
            perm=Perm.INVESTIGATE,
            handler=run_statement_import,
            result_template="investigate/job_statement_result.html",
            back=_back,
        )
    )
    registry.register(
        registry.JobKind(
            name=RULES_RUN,
            label=_("Red-flag run"),
            perm=Perm.INVESTIGATE,
            handler=run_rules,
            result_template="investigate/job_rules_result.html",
            back=_back,
        )
    )
