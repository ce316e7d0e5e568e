"""The statistics context's background job: confirming an HTCDS or ODK/Kobo import.

The job runs ``services.import_commit`` — the same all-or-nothing service the request
ran before — for the user who confirmed, acting for the same organisation, on the file
they checked. Its summary holds counts and case references; its report, the refused rows
and notes, shown to that user as the request showed them.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm
from palermo.jobs import registry
from palermo.jobs.services import JobOutcome, JobRun
from palermo.stats import services

IMPORT = "stats.import"
PREVIEW = "stats.import_preview"
CTDC = "stats.ctdc_release"
REFUSED = gettext_noop(
    "Nothing was imported: the case file refused the rows listed below. "
    "Correct them and import the file again."
)


def _call(service: Any, run: JobRun) -> Any:
    """Run the import service on the job's upload; a refusal becomes a failed job with its reason."""
    kind = run.params["kind"]
    try:
        return service(
            actor=run.actor,
            organisation=run.organisation,
            kind=kind,
            data=run.input_path("upload").read_bytes(),
            name=run.params.get("name", "upload"),
            progress=run.progress,
        )
    except services.NotAllowed as exc:
        return JobOutcome(ok=False, error=str(exc), summary={"kind": kind})
    except (
        InvalidInput
    ) as exc:  # over an import limit (rows, cell length): refused whole, with the reason
        return JobOutcome(
            ok=False, error=" ".join(e.message for e in exc.errors), summary={"kind": kind}
        )


def run_import(run: JobRun) -> JobOutcome:
    kind = run.params["kind"]
    outcome = _call(services.import_commit, run)
    if isinstance(outcome, JobOutcome):
        return outcome
    result = outcome
    summary = {
        "kind": kind,
        "created": result.created,
        "updated": result.updated,
        "unchanged": len(result.unchanged),
        "refused_rows": len(result.errors),
    }
    report = {
        "notes": result.notes,
        "errors": [
            {"row": e.row, "field": e.field, "value": e.value, "message": e.message}
            for e in result.errors
        ],
    }
    return JobOutcome(
        ok=result.ok, summary=summary, report=report, error="" if result.ok else REFUSED
    )


def run_preview(run: JobRun) -> JobOutcome:
    """Check the file and rehearse the import (rolled back): what confirming would do, row by row."""
    kind = run.params["kind"]
    outcome = _call(services.import_preview, run)
    if isinstance(outcome, JobOutcome):
        return outcome
    plan = outcome
    summary = {
        "kind": kind,
        "ok": plan.ok,
        "rows_read": plan.preview.rows_read,
        "valid": len(plan.preview.records),
        "rejected": len(plan.preview.rejected_rows),
        "creates": plan.creates,
        "updates": plan.updates,
        "upload": run.params.get("upload", ""),
    }
    report = {
        "notes": plan.notes,
        "errors": [
            {"row": e.row, "field": e.field, "value": e.value, "message": e.message}
            for e in plan.errors
        ],
        # What confirming would do, record by record (field names and case references only).
        "records": plan.records,
    }
    # The check itself succeeded even when rows are refused: the page lists them and offers no confirmation.
    return JobOutcome(ok=True, summary=summary, report=report)


def run_ctdc(run: JobRun) -> JobOutcome:
    """A k-anonymous CTDC release of every case (``services.ctdc_release``, audited as an export), written
    to a file the user downloads from the job's page; the summary holds its figures (aggregates only)."""
    from palermo.jobs.services import save_upload
    from palermo.stats.ctdc import write_ctdc_csv

    k = int(run.params["k"])
    try:
        release = services.ctdc_release(actor=run.actor, organisation=run.organisation, k=k)
    except InvalidInput as exc:
        return JobOutcome(
            ok=False, error="; ".join(e.message for e in exc.errors), summary={"k": k}
        )
    path = save_upload([])
    with path.open("wb") as fh:
        write_ctdc_csv(release, fh)  # type: ignore[arg-type]
    m = release.metrics
    summary = {
        "k": release.k,
        "records_in": m.records_in,
        "records_kept": m.records_kept,
        "kept_percent": round(100 * m.share_kept, 1),
        "ncp": round(m.ncp, 4),
        "ncp_kept": round(m.ncp_kept, 4),
        "baseline_kept": release.baseline.records_kept,
        "baseline_in": release.baseline.records_in,
        "quasi_identifiers": list(release.quasi_identifiers),
        "passes": [
            {
                "levels": "; ".join(f"{c}: {lv}" for c, lv in p.node.items()),
                "records_kept": p.records_kept,
                "groups": p.groups,
            }
            for p in release.passes
        ],
    }
    return JobOutcome(
        ok=True, summary=summary, result_file=path, result_name=f"palermo-ctdc-k{release.k}.csv"
    )


def _back(job: Any) -> tuple[str, Any]:
    return reverse("stats:import"), _("Import another file")


def register() -> None:
    registry.register(
        registry.JobKind(
            name=IMPORT,
            label=_("Case import (HTCDS or KoboToolbox/ODK)"),
            perm=Perm.IMPORT_DATA,
            handler=run_import,
            result_template="stats/job_import_result.html",
            back=_back,
        )
    )
    registry.register(
        registry.JobKind(
            name=PREVIEW,
            label=_("Check the import"),
            perm=Perm.IMPORT_DATA,
            handler=run_preview,
            result_template="stats/job_preview_result.html",
            back=_back,
        )
    )
    registry.register(
        registry.JobKind(
            name=CTDC,
            label=_("CTDC release"),
            perm=Perm.EXPORT_DATA,
            handler=run_ctdc,
            result_template="stats/job_ctdc_result.html",
            back=lambda job: (reverse("stats:ctdc"), _("Another release")),
        )
    )
