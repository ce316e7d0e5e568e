"""``palermo investigate …``: the follow-the-money workspace from the command line.

A typer sub-app; the lead engineer mounts it on the main CLI with
``app.add_typer(investigate.cli.app, name="investigate")``. Every command works
on a workspace file (a DuckDB database, created on first import), or — with
``--investigation REF --as USERNAME`` — on an investigation held by Palermo, through
the same services as the web UI (need-to-know, audit trail).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

# DuckDB, networkx and the rule pack load inside the commands that use them (issue 13).

app = typer.Typer(help="Follow the money: import statements, run red flags, build evidence packs.")

WorkspaceArg = Annotated[Path, typer.Argument(help="Workspace file (DuckDB).")]
OptWorkspaceArg = Annotated[
    Path | None, typer.Argument(help="Workspace file (DuckDB); omit with --investigation.")
]
InvestigationOpt = Annotated[
    str | None,
    typer.Option("--investigation", help="Act on a Palermo investigation (e.g. INV-2026-0001)."),
]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="Username to act as (with --investigation).")
]


def _django_context(reference: str, username: str | None) -> tuple[Any, Any, Any]:
    """(user, organisation, investigation) for --investigation, through the audited one door."""
    import os

    if not username:
        raise typer.BadParameter("--investigation needs --as USERNAME")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()
    from django.http import Http404

    from palermo.core.models import User
    from palermo.core.policy import Perm, has_perm
    from palermo.investigate import selectors

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.echo(f"no active user {username!r}", err=True)
        raise typer.Exit(code=2)
    org = next((o for o in user.organisations() if has_perm(user, Perm.INVESTIGATE, o)), None)
    if org is None:
        typer.echo(f"{username} may not investigate.", err=True)
        raise typer.Exit(code=2)
    try:
        inv = selectors.access_investigation(user, org, reference)
    except Http404:
        typer.echo(f"no investigation {reference} that {username} may see.", err=True)
        raise typer.Exit(code=2) from None
    return user, org, inv


def _workspace_or_fail(workspace: Path | None) -> Path:
    if workspace is None:
        raise typer.BadParameter("give a workspace file or --investigation REF --as USERNAME")
    return workspace


def _print_import(report: Any, name: str) -> None:
    if report.already_imported:
        typer.echo(f"{name} was imported before (sha256 {report.source_id}); nothing to do.")
        return
    if not report.ok:
        for err in report.file_errors:
            typer.echo(f"error: {err}", err=True)
        for e in report.errors:
            typer.echo(f"line {e.line}: {e.field}: {e.message} ({e.value!r})", err=True)
        if report.error_count > len(report.errors):
            typer.echo(f"… and {report.error_count - len(report.errors)} more errors", err=True)
        typer.echo(f"{name}: rejected, nothing imported.", err=True)
        raise typer.Exit(code=1)
    typer.echo(
        f"{name}: {report.rows_inserted} transactions imported, {report.rows_duplicate} already present "
        f"(sha256 {report.source_id})."
    )
    for w in report.warnings:
        typer.echo(f"warning: line {w.line}: {w.field}: {w.message} ({w.value!r})", err=True)
    if report.warning_count > len(report.warnings):
        typer.echo(f"… and {report.warning_count - len(report.warnings)} more warnings", err=True)


@app.command("import")
def import_(
    workspace: OptWorkspaceArg = None,
    file: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, help="Statement file.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="csv, camt053 or amlsim (guessed from the suffix).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="CSV mapping profile: packaged id or YAML path.")
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Statement account (IBAN) when the CSV lacks it.")
    ] = None,
    account_name: Annotated[
        str | None, typer.Option(help="Holder of the statement account.")
    ] = None,
    investigation: InvestigationOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Import a statement: all or nothing, idempotent, with provenance.

    ``palermo investigate import WORKSPACE FILE`` or ``palermo investigate import FILE --investigation REF --as USER``.
    """
    from palermo.investigate.workspace import Workspace

    if investigation:
        # with --investigation the only positional argument is the statement file
        stmt = file or workspace
        if stmt is None or not stmt.is_file():
            raise typer.BadParameter("give the statement file")
        user, org, inv = _django_context(investigation, as_user)
        from palermo.core.errors import InvalidInput
        from palermo.investigate import services

        kind = kind or {".xml": "camt053", ".parquet": "amlsim"}.get(stmt.suffix.lower(), "csv")
        prof = profile if not profile or ":" in profile else f"pkg:{profile}"
        try:
            with stmt.open("rb") as fh:
                report = services.statement_import(
                    actor=user,
                    organisation=org,
                    investigation=inv,
                    upload=fh,
                    file_name=stmt.name,
                    kind=kind,
                    profile=prof or "",
                    account=account or "",
                    account_name=account_name or "",
                )
        except InvalidInput as exc:
            for e in exc.errors:
                typer.echo(f"error: {e.field}: {e.message}", err=True)
            raise typer.Exit(code=1) from None
        _print_import(report, stmt.name)
        return
    if workspace is None or file is None:
        raise typer.BadParameter(
            "give a workspace file and a statement file (or --investigation REF --as USER)"
        )
    from palermo.core.limits import LimitExceeded

    try:
        with Workspace(workspace) as ws:
            report = ws.ingest(
                file, kind=kind, profile=profile, account=account, account_name=account_name
            )
    except LimitExceeded as exc:
        typer.echo(f"error: file: {exc.message()} Nothing was imported.", err=True)
        raise typer.Exit(code=1) from None
    _print_import(report, file.name)


@app.command("run")
def run(
    workspace: OptWorkspaceArg = None,
    rule: Annotated[
        list[str] | None, typer.Option(help="Run only these rule ids (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    investigation: InvestigationOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Run the red-flag rule pack; rules lacking data are listed as skipped."""
    from palermo.investigate.workspace import Workspace

    if investigation:
        if rule:
            raise typer.BadParameter(
                "--rule is for workspace files; an investigation runs the whole pack"
            )
        user, org, inv = _django_context(investigation, as_user)
        from palermo.investigate import services

        report = services.rules_run(actor=user, organisation=org, investigation=inv)
    else:
        with Workspace(_workspace_or_fail(workspace)) as ws:
            report = ws.run_rules(only=set(rule) if rule else None)
    if as_json:
        out = report.as_dict()
        out["alerts"] = [
            {
                "alert_key": a.alert_key,
                "rule_id": a.rule_id,
                "subject": a.subject,
                "score": a.score,
                "summary": a.summary,
                "tx_ids": list(a.tx_ids),
            }
            for a in report.alerts
        ]
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    counts: dict[str, int] = {}
    for a in report.alerts:
        counts[a.rule_id] = counts.get(a.rule_id, 0) + 1
    for rid in report.ran:
        typer.echo(f"{rid}: {counts.get(rid, 0)} alerts")
    for s in report.skipped:
        typer.echo(f"{s.rule_id}: skipped, missing {', '.join(s.missing_fields)}")
    if report.suppressed:
        typer.echo(f"{report.suppressed} alerts already decided were not raised again.")


@app.command("report")
def report(
    workspace: OptWorkspaceArg = None,
    html: Annotated[Path | None, typer.Option(help="Write the evidence pack as HTML here.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the evidence pack as PDF here.")] = None,
    title: Annotated[str, typer.Option(help="Title of the pack.")] = "Financial investigation",
    case_ref: Annotated[str, typer.Option(help="Case reference (pseudonymous).")] = "-",
    prepared_by: Annotated[str, typer.Option(help="Name or role of the author.")] = "-",
    offender: Annotated[
        list[str] | None, typer.Option(help="Offender account key (repeatable).")
    ] = None,
    victim: Annotated[
        list[str] | None, typer.Option(help="Victim account key (repeatable).")
    ] = None,
    reference_wage: Annotated[
        str | None, typer.Option(help="Reference monthly wage for the shortfall method.")
    ] = None,
    investigation: InvestigationOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Build the evidence pack (alerts, network, proceeds, source hashes).

    With --investigation the pack uses the proceeds choice saved in Palermo (or the one given
    here with --offender/--victim, which is then saved) and the export is audited.
    """
    from palermo.investigate.workspace import Workspace

    if html is None and pdf is None:
        raise typer.BadParameter("give --html and/or --pdf")
    if investigation:
        user, org, inv = _django_context(investigation, as_user)
        from palermo.core.errors import InvalidInput
        from palermo.investigate import services

        try:
            if offender:
                services.proceeds_estimate(
                    actor=user,
                    organisation=org,
                    investigation=inv,
                    offenders=offender,
                    victims=victim or [],
                    reference_wage=reference_wage,
                )
            digest = ""
            for target, fmt in ((html, "html"), (pdf, "pdf")):
                if target is not None:
                    data, digest = services.evidence_pack(
                        actor=user, organisation=org, investigation=inv, fmt=fmt
                    )
                    target.write_bytes(data)
                    typer.echo(f"wrote {target}")
        except InvalidInput as exc:
            for e in exc.errors:
                typer.echo(f"error: {e.field}: {e.message}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo(f"pack digest {digest}")
        return
    with Workspace(_workspace_or_fail(workspace)) as ws:
        proceeds = None
        if offender or victim:
            proceeds = ws.proceeds(
                offender_accounts=offender or [],
                victim_accounts=victim or [],
                reference_monthly_wage=Decimal(reference_wage) if reference_wage else None,
            )
        kwargs = {
            "title": title,
            "case_ref": case_ref,
            "prepared_by": prepared_by,
            "victim_accounts": victim or [],
            "proceeds": proceeds,
        }
        pack = ws.evidence_pack(**kwargs)  # type: ignore[arg-type]
        if html:
            from palermo.investigate.evidence import render_html

            html.write_text(render_html(pack), encoding="utf-8")
            typer.echo(f"wrote {html}")
        if pdf:
            from palermo.investigate.evidence import render_pdf

            render_pdf(pack, pdf)
            typer.echo(f"wrote {pdf}")
    typer.echo(f"pack digest {pack.digest}")


@app.command("export-ftm")
def export_ftm(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Argument(help="JSON-lines file for Aleph / OpenAleph.")],
) -> None:
    """Export the investigation as FollowTheMoney entities."""
    from palermo.investigate.workspace import Workspace

    with Workspace(workspace) as ws, out.open("w", encoding="utf-8") as fh:
        n = ws.export_ftm(fh)
    typer.echo(f"wrote {n} entities to {out}")


@app.command("rules")
def rules() -> None:
    """List the packaged red-flag rules with their sources."""
    from palermo.investigate.redflags import load_rule_pack

    for r in load_rule_pack().rules:
        typer.echo(f"{r.id} v{r.version} [{', '.join(r.exploitation)}] {r.title}")
        typer.echo(
            f"    sources: {', '.join(s.id for s in r.sources)}; needs {', '.join(r.requires)}"
        )


@app.command("profiles")
def profiles() -> None:
    """List the packaged CSV mapping profiles."""
    from palermo.investigate.profiles import packaged_profiles

    for p in packaged_profiles():
        typer.echo(f"{p.id}: {p.label}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
