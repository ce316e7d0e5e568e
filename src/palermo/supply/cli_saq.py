"""``palermo supply …`` commands for questionnaires and product classifications (registered
on ``supply.cli.app``): ``saq-send``, ``saq-import``, ``map-code``, ``load-crosswalk``,
``import-recruiter-links``, ``import-findings``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from palermo.supply.cli import AsOpt, DryRun, FileArg, _actor, _fail_rows, _invalid, _setup, app


@app.command("saq-send")
def saq_send(
    company_id: Annotated[str, typer.Argument(help="The supplier's national company id.")],
    sent_on: Annotated[str, typer.Option("--sent-on", help="YYYY-MM-DD (default today).")] = "",
    as_user: AsOpt = None,
) -> None:
    """Record that the self-assessment questionnaire was sent to a supplier; prints its id."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services
    from palermo.supply.models import Supplier

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    supplier = Supplier.objects.filter(organisation=org, company_id=company_id).first()
    if supplier is None:
        typer.secho(f"No supplier with company id {company_id!r}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    try:
        day = date.fromisoformat(sent_on) if sent_on else None
    except ValueError:
        typer.secho("--sent-on: use YYYY-MM-DD.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None  # _invalid has already exited
    try:
        q = services.questionnaire_send(
            actor=user, organisation=org, supplier=supplier, sent_on=day
        )
    except InvalidInput as exc:
        _invalid(exc)
        return
    typer.echo(f"Questionnaire {q.pk} ({q.template} version {q.version}) sent to {supplier.name}.")


@app.command("saq-import")
def saq_import(
    questionnaire_id: Annotated[int, typer.Argument(help="The questionnaire's id.")],
    file: FileArg,
    as_user: AsOpt = None,
    dry_run: DryRun = False,
) -> None:
    """Import a supplier's answers (question, answer[, comment]): every row, or none."""
    _setup()
    from palermo.core.errors import InvalidInput, NotAllowed
    from palermo.core.policy import Perm
    from palermo.supply import services
    from palermo.supply.models import Questionnaire

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    q = Questionnaire.objects.filter(pk=questionnaire_id, organisation=org).first()
    if q is None:
        typer.secho(f"No questionnaire {questionnaire_id}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    try:
        result = services.questionnaire_import(
            actor=user,
            organisation=org,
            questionnaire=q,
            data=file.read_bytes(),
            name=file.name,
            commit=not dry_run,
        )
    except (InvalidInput, NotAllowed) as exc:
        if isinstance(exc, InvalidInput):
            _invalid(exc)
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if not result.preview.ok:
        _fail_rows(result.preview.errors)
    s = result.scored
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{len(result.preview.rows)} answers {verb}.")
    if s is not None:
        typer.echo(f"Result ({s.rule}): {s.level}, score {s.score}, {s.red_flags} red flag(s).")
        for f in s.findings:
            typer.echo(f"  {f.question} [{f.indicator}, {f.severity}]: {f.answer}")


@app.command("map-code")
def map_code(
    code: Annotated[str, typer.Argument(help="cpv:18100000-0 or unspsc:53100000")],
    hs: Annotated[str, typer.Argument(help="An HS code, e.g. 6109.")],
    as_user: AsOpt = None,
) -> None:
    """Map a CPV or UNSPSC code to an HS code."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    try:
        item = services.code_map_set(actor=user, organisation=org, code=code, hs=hs)
    except InvalidInput as exc:
        _invalid(exc)
        return
    typer.echo(f"{item.code} → hs:{item.hs}")


@app.command("load-crosswalk")
def load_crosswalk(as_user: AsOpt = None) -> None:
    """Add the shipped goods → HS crosswalk (your own entries are never changed)."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.supply import services

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    n = services.crosswalk_load_defaults(actor=user, organisation=org)
    typer.echo(f"{n} crosswalk entries added.")


def _import_file(file: Path, as_user: str | None, dry_run: bool, service: str) -> int:
    """Check (and unless ``dry_run`` import) a file through ``services.<service>``: every
    row or none; rejected rows are printed and exit 1. Returns the number of rows."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    try:
        preview = getattr(services, service)(
            actor=user, organisation=org, data=file.read_bytes(), name=file.name, commit=not dry_run
        )
    except InvalidInput as exc:
        _invalid(exc)
        raise typer.Exit(1) from None  # _invalid has already exited
    if not preview.ok:
        _fail_rows(preview.errors)
    return len(preview.rows)


@app.command("import-recruiter-links")
def import_recruiter_links(file: FileArg, as_user: AsOpt = None, dry_run: DryRun = False) -> None:
    """Import labour recruiter ↔ site links (recruiter_company_id, os_id, evidence[, workers]):
    every row, or none."""
    n = _import_file(file, as_user, dry_run, "recruiter_links_import")
    typer.echo(f"{n} links {'would be imported' if dry_run else 'imported'}.")


@app.command("import-findings")
def import_findings(file: FileArg, as_user: AsOpt = None, dry_run: DryRun = False) -> None:
    """Import social-audit findings (supplier_company_id, indicator, finding, description,
    owner, due_on[, os_id, workers_affected]) as corrective actions: every row, or none."""
    n = _import_file(file, as_user, dry_run, "findings_import")
    done = "would be imported" if dry_run else "imported"
    typer.echo(f"{n} findings {done} as corrective actions.")
