"""``palermo monitor …``: import recommendations, print indicators, write the annual report.

Commands act as a named user (``--as USERNAME``) through the same services and policy as
the web UI; the report may also be written by the operator (no ``--as``: database access
already), which the audit trail records as "command line".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Monitoring commitments: recommendations register, indicators, annual report.",
    no_args_is_help=True,
)

AsOpt = Annotated[
    str | None, typer.Option("--as", help="Username to act as (their first organisation that may).")
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()


def _actor(username: str | None, perm: str, *, required: bool) -> tuple[Any, Any]:
    from palermo.core.models import User
    from palermo.core.policy import has_perm

    if not username:
        if required:
            typer.secho("Name the user to act as: --as USERNAME", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        return None, None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No active user {username!r}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    org = next((o for o in user.organisations() if has_perm(user, perm, o)), None)
    if org is None:
        typer.secho(f"{username} may not do this.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return user, org


@app.command("import-recommendations")
def import_recommendations(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8) or XLSX file.")
    ],
    as_user: AsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; import nothing.")
    ] = False,
) -> None:
    """Check every row of FILE and import all of them, or none if any row has an error."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.monitor import services

    user, org = _actor(as_user, Perm.MONITOR_MANAGE, required=True)
    from palermo.core.errors import InvalidInput

    try:
        preview = services.recommendations_import(
            actor=user, organisation=org, data=file.read_bytes(), name=file.name, commit=not dry_run
        )
    except InvalidInput as exc:  # over the import limits: nothing read, nothing imported
        for e in exc.errors:
            typer.secho(e.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    if not preview.ok:
        typer.secho(
            f"Nothing imported: {len(preview.errors)} error(s).", fg=typer.colors.RED, err=True
        )
        for row_error in preview.errors:
            where = f" {row_error.field}" if row_error.field else ""
            typer.echo(f"  row {row_error.row}{where}: {row_error.message}", err=True)
        raise typer.Exit(1)
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{len(preview.rows)} recommendations {verb}.")


@app.command()
def indicators(
    year: Annotated[int | None, typer.Option(help="Year of referral (default: all years).")] = None,
) -> None:
    """Print every indicator, small-cell protected (x = suppressed)."""
    _setup()
    from palermo.monitor import selectors

    for r in selectors.indicator_results(None, None, year=year):
        typer.echo(f"{r.definition.id}: {r.definition.title}")
        for f in r.figures:
            value = "x" if f.value is None else str(f.value)
            if r.definition.is_share:
                den = "x" if f.denominator is None else str(f.denominator)
                typer.echo(f"  {f.label}: {value} / {den} ({selectors.share_text(f, True)})")
            else:
                typer.echo(f"  {f.label}: {value}")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="File to write (.pdf, .docx or .html).")],
    year: Annotated[int | None, typer.Option(help="Reporting year (default: all years).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="pdf, docx or html (default: from --out).")
    ] = "",
    as_user: AsOpt = None,
) -> None:
    """Write the national rapporteur's annual report skeleton."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.monitor import report as report_mod

    suffix = out.suffix.lower()
    kind = fmt or (
        "html" if suffix in (".html", ".htm") else "docx" if suffix == ".docx" else "pdf"
    )
    if kind not in ("pdf", "html", "docx"):
        raise typer.BadParameter("--format is pdf, docx or html")
    user, org = _actor(as_user, Perm.MONITOR_REPORT, required=False)
    out.write_bytes(report_mod.annual_report(actor=user, organisation=org, year=year, fmt=kind))
    typer.echo(f"Report written to {out}.")


survey_app = typer.Typer(
    help="The implementation survey: XLSForm export and import, reminders.",
    no_args_is_help=True,
)
app.add_typer(survey_app, name="survey")


@survey_app.command("export-xlsform")
def survey_export_xlsform(
    survey_id: Annotated[int, typer.Argument(help="The survey's number (see the Surveys page).")],
    out: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")],
) -> None:
    """Write a survey as an XLSForm workbook that KoboToolbox and ODK accept."""
    _setup()
    from palermo.monitor import survey_selectors, xlsform

    item = survey_selectors.surveys(None, None).filter(pk=survey_id).first()
    if item is None:
        typer.secho(f"No survey {survey_id}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    data = xlsform.export(survey_selectors.definition(item), version=str(item.version))
    xlsform.xform(data)  # the check KoboToolbox/ODK apply: refuse to write what they would refuse
    out.write_bytes(data)
    typer.echo(f"Survey {survey_id} written to {out}.")


@survey_app.command("import-xlsform")
def survey_import_xlsform(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSForm (.xlsx).")],
    title: Annotated[str, typer.Option("--title", help="Title of the new draft survey.")],
    as_user: AsOpt = None,
) -> None:
    """Create a draft survey from an XLSForm workbook (checked whole; nothing on an error)."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.monitor import survey_services

    user, org = _actor(as_user, Perm.MONITOR_MANAGE, required=True)
    from django.db import transaction

    try:
        with transaction.atomic():
            item = survey_services.survey_create(actor=user, organisation=org, title=title)
            survey_services.definition_import(
                actor=user, organisation=org, item=item, data=file.read_bytes(), name=file.name
            )
    except InvalidInput as exc:
        typer.secho("Nothing imported.", fg=typer.colors.RED, err=True)
        for e in exc.errors:
            typer.echo(f"  {e.field + ': ' if e.field else ''}{e.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Draft survey {item.pk} created with the workbook's questions.")


@survey_app.command("remind")
def survey_remind() -> None:
    """Remind organisations whose answers are due within a week or overdue (once a day)."""
    _setup()
    from palermo.monitor import survey_services

    count = survey_services.remind(actor=None, organisation=None)
    typer.echo(f"{count} organisation(s) reminded.")


@app.command("remind-overdue")
def remind_overdue() -> None:
    """Remind of recommendations past their due date (each at most once a day), e.g. from cron."""
    _setup()
    from palermo.monitor import plan_edit

    count = plan_edit.remind_overdue(actor=None, organisation=None)
    typer.echo(f"{count} overdue recommendation(s) reminded.")
