"""``palermo supply …``: import sites and risk lists, screen purchase orders, report, remind.

Commands act as a named user (``--as USERNAME``) through the same services and policy as
the web UI. ``screen`` without ``--keep`` only prints (nothing is written).
"""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Supply chains: sites, risk lists, purchase-order screening, due diligence.",
    no_args_is_help=True,
)

AsOpt = Annotated[
    str | None, typer.Option("--as", help="Username to act as (their first organisation that may).")
]
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8) or XLSX.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row; import nothing.")]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()


def _actor(username: str | None, perm: str, object_type: str = "supply") -> tuple[Any, Any]:
    """The user named and their first organisation where they hold ``perm``. A user who holds
    it nowhere is refused, and the refusal audited, as on the web."""
    from palermo.core import audit
    from palermo.core.models import User
    from palermo.core.policy import has_perm

    if not username:
        typer.secho("Name the user to act as: --as USERNAME", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No active user {username!r}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    orgs = list(user.organisations())
    org = next((o for o in orgs if has_perm(user, perm, o)), None)
    if org is None:
        audit.record(
            action="refused",
            actor=user,
            organisation=orgs[0] if orgs else None,
            object_type=object_type,
            outcome="refused",
            details={"permission": perm, "cli": True},
        )
        typer.secho(f"{username} may not do this.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return user, org


def _fail_rows(errors: list[Any]) -> None:
    typer.secho(f"Nothing imported: {len(errors)} error(s).", fg=typer.colors.RED, err=True)
    for e in errors:
        where = f" {e.field}" if e.field else ""
        typer.echo(f"  row {e.row}{where}: {e.message}", err=True)
    raise typer.Exit(1)


def _invalid(exc: Any) -> None:
    for e in exc.errors:
        typer.secho(
            f"{e.field}: {e.message}" if e.field else e.message, fg=typer.colors.RED, err=True
        )
    raise typer.Exit(1)


@app.command("import-sites")
def import_sites(file: FileArg, as_user: AsOpt = None, dry_run: DryRun = False) -> None:
    """Import sites in Open Supply Hub's columns: every row, or none if any row has an error."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services, sites

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    try:
        result = services.sites_import(
            actor=user, organisation=org, data=file.read_bytes(), name=file.name, commit=not dry_run
        )
    except InvalidInput as exc:
        _invalid(exc)
        return
    if not result.preview.ok:
        _fail_rows(result.preview.errors)
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{len(result.preview.rows)} rows {verb}: {result.count(sites.NEW)} new, "
        f"{result.count(sites.MATCHED)} matched, {result.count(sites.POTENTIAL)} to review."
    )


@app.command("import-risk")
def import_risk(
    file: FileArg,
    source: Annotated[str, typer.Option(help="Who published the list.")],
    edition: Annotated[str, typer.Option(help="Its edition, e.g. 2024.")],
    licence: Annotated[str, typer.Option(help="Its licence, as the publisher states it.")],
    retrieved_on: Annotated[str, typer.Option("--retrieved-on", help="Download date, YYYY-MM-DD.")],
    url: Annotated[str, typer.Option(help="Where it was downloaded from.")] = "",
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="The kind of list: us_dol (Better Trade Tool columns), exclusions "
            "(company_id, name, country_code, reason, listed_on, until) or another "
            "registered format.",
        ),
    ] = "us_dol",
    as_user: AsOpt = None,
    dry_run: DryRun = False,
) -> None:
    """Import an edition of a risk list: the US DOL list of goods by default. It becomes the
    current edition of its kind; the other kinds' current editions stay in use. National
    reference data: only the national co-ordinator (supply.risk_lists) may."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services

    # The national lists: the co-ordinator only (the service checks it again).
    user, org = _actor(as_user, Perm.SUPPLY_RISK_LISTS, "supply.risk_edition")
    try:
        day = date.fromisoformat(retrieved_on)
    except ValueError:
        typer.secho("--retrieved-on: use YYYY-MM-DD.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    info = services.EditionInfo(source, edition, licence, day, url)
    try:
        preview = services.risk_import(
            actor=user,
            organisation=org,
            data=file.read_bytes(),
            name=file.name,
            info=info,
            fmt=fmt,
            commit=not dry_run,
        )
    except InvalidInput as exc:
        _invalid(exc)
        return
    if not preview.ok:
        _fail_rows(preview.errors)
    typer.echo(f"{len(preview.rows)} rows {'would be imported' if dry_run else 'imported'}.")


@app.command()
def screen(
    file: FileArg,
    as_user: AsOpt = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the screened lines.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            dir_okay=False,
            help="Write every screened line (level, score, exposure, reasons) to this CSV "
            "file, most severe first, instead of printing them. Nothing is kept.",
        ),
    ] = None,
) -> None:
    """Screen purchase-order lines (CSV, XLSX, or OCDS .json/.jsonl); print each line's level and reasons, most severe first."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services
    from palermo.supply.risk import prioritise

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    if out is not None:
        if keep:
            typer.secho("--out screens without keeping: leave out --keep.", err=True)
            raise typer.Exit(2)
        buffer = io.BytesIO()
        try:
            written = services.orders_results_file(
                actor=user, organisation=org, data=file.read_bytes(), name=file.name, out=buffer
            )
        except InvalidInput as exc:
            _invalid(exc)
            return
        if written.errors:
            _fail_rows(written.errors)
        out.write_bytes(buffer.getbuffer())
        counts = ", ".join(f"{n} {level}" for level, n in reversed(written.levels.items()))
        typer.echo(f"{sum(written.levels.values())} lines screened ({counts}); written to {out}.")
        return
    try:
        result = services.orders_import(
            actor=user, organisation=org, data=file.read_bytes(), name=file.name, commit=keep
        )
    except InvalidInput as exc:
        _invalid(exc)
        return
    if not result.preview.ok:
        _fail_rows(result.preview.errors)
    for ref, res in prioritise([(line.ref, res) for line, res in result.results]):
        typer.echo(f"{ref}\t{res.level}\t{res.score}\t{res.exposure}")
        for r in res.reasons:
            source = f" [{r.source}]" if r.source else ""
            typer.echo(f"    {r.points:+d} {r.message}{source}")
    typer.echo(f"{len(result.results)} lines screened{' and kept' if keep else ''}.")


@app.command()
def export(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="The XLSX file to write.")],
    as_user: AsOpt = None,
    level: Annotated[str, typer.Option(help="Only lines of this level: low, medium, high.")] = "",
) -> None:
    """Write the screened order lines and the supplier risk register as an XLSX workbook."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.supply import services, vocabulary

    if level and level not in vocabulary.LEVELS:
        typer.secho("--level: low, medium or high.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    user, org = _actor(as_user, Perm.SUPPLY_VIEW)
    out.write_bytes(services.screening_export(actor=user, organisation=org, level=level))
    typer.echo(f"Written to {out}.")


@app.command()
def report(as_user: AsOpt = None) -> None:
    """Print the procurement office's dashboard: spend by risk, measures, corrective actions."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.supply import selectors

    _user, org = _actor(as_user, Perm.SUPPLY_VIEW)
    d = selectors.dashboard(org)
    for s in d.spend:
        typer.echo(f"{s['level']}: {s['lines']} lines, {s['value']:.2f}")
    typer.echo(f"contracts: {d.contracts_complete} of {d.contracts} complete")
    for m in d.coverage:
        typer.echo(f"  measure ({m['code']}): {m['done']} of {m['required']}")
    typer.echo(f"corrective actions: {d.open_actions} open, {d.overdue_actions} overdue")
    typer.echo(f"inspections at own sites: {d.inspections}")
    referrals = "fewer than 5" if d.referrals is None else str(d.referrals)
    typer.echo(f"workers screened after an inspection: {referrals}")
    from palermo.supply import counts

    more = counts.more_counts(org)
    cases = "fewer than 5" if more.cases_identified is None else str(more.cases_identified)
    typer.echo(f"NRM cases opened from these inspections: {cases}")
    typer.echo(
        f"questionnaires: {more.questionnaires_sent} sent, {more.questionnaires_answered} answered,"
        f" {more.questionnaires_flagged} with red flags, {more.red_flags_open} red flags not yet actions"
    )


@app.command()
def remind() -> None:
    """List overdue corrective actions (for a daily cron job, like `palermo cases remind`)."""
    _setup()
    from palermo.supply import services

    overdue = services.overdue_actions()
    for a in overdue:
        typer.echo(f"{a.due_on}\t{a.supplier.name}\t{a.indicator}\t{a.owner}")
    typer.echo(f"{len(overdue)} overdue corrective action(s).")


# The issue-18 commands (pack, statement, clauses, advance) register themselves on ``app``.
from palermo.supply import cli_diligence as _cli_diligence  # noqa: E402, F401

# Suppliers and contracts as a whole (issue 18): ``rank``.
from palermo.supply import cli_portfolio as _cli_portfolio  # noqa: E402, F401

# Questionnaires and product classifications (issue 18): registered on ``app`` from their module.
from palermo.supply import cli_saq as _cli_saq  # noqa: E402, F401
