"""Command-line pieces of the statistics context, for ``palermo`` to mount.

``anonymity_app`` works on files alone (no database), so it is usable now::

    palermo anonymity check release.csv --qi gender --qi ageBroad --qi citizenship --k 11
    palermo anonymity release source.csv release.csv --k 11

The import/export commands of the shell read and write the case tables
through ``palermo.stats.services`` (Django is set up inside each command, so
importing this module stays free of Django)::

    palermo export htcds OUT.csv --as coordinator [--format xlsx]
    palermo export ctdc OUT.csv --k 11
    palermo export stats OUT.csv
    palermo import htcds FILE --as coordinator [--dry-run]
    palermo import kobo FILE --as coordinator [--dry-run]
    palermo import sweep [--hours 24]      # unconfirmed web uploads (cron)

``--as`` names the user the command acts for (their first organisation): an
HTCDS export holds what that user may see, and an import is theirs in the
audit trail. CTDC and statistics exports are anonymised; without ``--as`` they
are audited as made at the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from palermo.stats.htcds_rows import ImportPreview

# polars, numpy and the import readers load inside the commands that use them, so that
# `palermo --help` and every other command start at once (issue 13). Equal to
# palermo.stats.anonymise.DEFAULT_K (tests/core/test_core_cli_lazy.py keeps them so).
DEFAULT_K = 11

anonymity_app = typer.Typer(help="Check and produce k-anonymous releases.", no_args_is_help=True)


@anonymity_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file")],
    qi: Annotated[list[str], typer.Option("--qi", help="a quasi-identifier column (repeat)")],
    k: Annotated[int, typer.Option(help="the k the file must reach")] = DEFAULT_K,
) -> None:
    """Report the smallest group over the given columns; exit 1 if any group is smaller than k."""
    from palermo.stats.anonymise import k_anonymity_check_file

    result = k_anonymity_check_file(file, qi, k=k)
    typer.echo(f"k = {result.k} over {', '.join(qi)} ({result.groups} groups)")
    if result.ok:
        typer.echo(f"OK: every group has at least {k} records.")
        return
    typer.echo(
        f"FAIL: {result.offending_groups} group(s) with fewer than {k} records "
        f"({result.offending_records} records)."
    )
    raise typer.Exit(1)


@anonymity_app.command("release")
def release_command(
    source: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CTDC-shaped CSV with exact 'age'")
    ],
    out: Annotated[Path, typer.Argument(dir_okay=False, help="where to write the CTDC release")],
    k: Annotated[int, typer.Option(help="k of the release")] = DEFAULT_K,
    qi: Annotated[
        list[str] | None, typer.Option("--qi", help="quasi-identifier (repeat); default CTDC's")
    ] = None,
) -> None:
    """Write a k-anonymous CTDC release of SOURCE and print what it kept and lost."""
    import polars as pl

    from palermo.stats.ctdc import (
        DEFAULT_QUASI_IDENTIFIERS,
        SOURCE_COLUMNS,
        release_ctdc,
        write_ctdc_csv,
    )

    frame = pl.read_csv(source, infer_schema_length=10000, null_values=["-99", ""])
    frame = frame.with_columns(
        pl.col(c).cast(pl.Utf8)
        for c in ("citizenship", "CountryOfExploitation", "gender")
        if c in frame.columns
    )
    missing = [c for c in SOURCE_COLUMNS if c not in frame.columns]
    if missing:
        typer.echo(f"{source} lacks columns: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    release = release_ctdc(frame, k=k, quasi_identifiers=tuple(qi or DEFAULT_QUASI_IDENTIFIERS))
    write_ctdc_csv(release, out)
    m, b = release.metrics, release.baseline
    typer.echo(
        f"kept {m.records_kept} of {m.records_in} ({m.share_kept:.1%}); suppression alone would keep "
        f"{b.records_kept} ({b.share_kept:.1%}); NCP {m.ncp:.4f}"
    )


def preview_import(
    path: Path, kind: Literal["htcds", "kobo"], *, secret: bytes | None = None
) -> ImportPreview:
    """Validate an HTCDS file or an ODK/KoboToolbox export; the shell imports only if ``.ok``."""
    from palermo.stats.htcds_rows import preview_htcds_file
    from palermo.stats.kobo import preview_kobo_file

    if kind == "htcds":
        return preview_htcds_file(path, secret=secret)
    return preview_kobo_file(path, secret=secret)


export_app = typer.Typer(
    help="Export cases as HTCDS, a CTDC release or Rapporteur statistics.", no_args_is_help=True
)
import_app = typer.Typer(
    help="Import HTCDS files or ODK/KoboToolbox exports into cases.", no_args_is_help=True
)

AsUser = Annotated[
    str, typer.Option("--as", help="username the command acts for (their first organisation)")
]


def _django() -> None:
    # The `palermo` command's own set-up: a configuration error is a message, not a traceback.
    from palermo.cli import _setup

    _setup()


def _acting(username: str):  # type: ignore[no-untyped-def]
    from palermo.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not user.organisations():
        typer.echo(f"No active user {username!r} with an organisation.", err=True)
        raise typer.Exit(2)
    return user, user.organisations()[0]


@export_app.command("htcds")
def export_htcds_command(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="file to write")],
    as_user: AsUser,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="CSV: write every value as it is, for software (never open it in a spreadsheet: "
            "a value starting with = + - @ may run as a formula). Default: such cells get a leading apostrophe, "
            "which Palermo's import removes.",
        ),
    ] = False,
) -> None:
    """Write the cases the user may open as HTCDS 2.0 records (personal data: audited)."""
    if format not in ("csv", "xlsx"):
        typer.echo("--format is csv or xlsx", err=True)
        raise typer.Exit(2)
    if exact and format != "csv":
        typer.echo("--exact applies to CSV only (XLSX stores every cell as text)", err=True)
        raise typer.Exit(2)
    _django()
    from palermo.stats import services

    actor, org = _acting(as_user)
    try:
        if format == "xlsx":
            with out.open("wb") as fh:
                n = services.htcds_export(actor=actor, organisation=org, fmt="xlsx", out=fh)
        else:
            with out.open("w", encoding="utf-8", newline="") as fh:
                n = services.htcds_export(
                    actor=actor, organisation=org, fmt="csv", out=fh, exact=exact
                )
        if exact:
            typer.echo(
                "Warning: exact CSV, formulas not neutralised: do not open it in a spreadsheet.",
                err=True,
            )
    except services.NotAllowed as exc:
        out.unlink(missing_ok=True)
        typer.echo(
            f"Refused: {exc} (HTCDS exports need the export and view-cases permissions)", err=True
        )
        raise typer.Exit(1) from exc
    typer.echo(f"{n} case(s) written to {out}.")


@export_app.command("ctdc")
def export_ctdc_command(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write")],
    k: Annotated[int, typer.Option(help="k of the release")] = DEFAULT_K,
    as_user: Annotated[str, typer.Option("--as", help="username, for the audit trail")] = "",
) -> None:
    """Write a k-anonymous CTDC-compatible release of every case and print what it kept and lost."""
    _django()
    from palermo.core.errors import InvalidInput
    from palermo.stats import services
    from palermo.stats.ctdc import write_ctdc_csv

    actor, org = _acting(as_user) if as_user else (None, None)
    try:
        release = services.ctdc_release(actor=actor, organisation=org, k=k)
    except services.NotAllowed as exc:
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    except InvalidInput as exc:
        typer.echo("; ".join(e.message for e in exc.errors), err=True)
        raise typer.Exit(1) from exc
    write_ctdc_csv(release, out)
    m, b = release.metrics, release.baseline
    typer.echo(
        f"kept {m.records_kept} of {m.records_in} ({m.share_kept:.1%}) at k = {release.k}; suppression "
        f"alone would keep {b.records_kept} ({b.share_kept:.1%}); NCP {m.ncp:.4f}"
    )


@export_app.command("stats")
def export_stats_command(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write")],
    form: Annotated[str, typer.Option(help="only victims of this HTCDS form of exploitation")] = "",
    as_user: Annotated[str, typer.Option("--as", help="username, for the audit trail")] = "",
) -> None:
    """Write the Rapporteur tables (small cells suppressed, written x) as long-format CSV."""
    _django()
    from palermo.stats import services

    actor, org = _acting(as_user) if as_user else (None, None)
    try:
        with out.open("w", encoding="utf-8", newline="") as fh:
            n = services.statistics_export(actor=actor, organisation=org, out=fh, form=form)
    except services.NotAllowed as exc:
        out.unlink(missing_ok=True)
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{n} cell(s) written to {out}.")


def _import(kind: Literal["htcds", "kobo"], file: Path, as_user: str, dry_run: bool) -> None:
    _django()
    from palermo.stats import services

    actor, org = _acting(as_user)
    from palermo.core.errors import InvalidInput
    from palermo.core.upload_limits import check_size_of_path

    try:
        check_size_of_path(file, services.upload_limits(kind))
        data = file.read_bytes()
        if dry_run:
            plan = services.import_preview(
                actor=actor, organisation=org, kind=kind, data=data, name=file.name
            )
            typer.echo(plan.preview.report())
            for note in plan.notes[len(plan.preview.notes) :]:
                typer.echo(f"note: {note}")
            if plan.ok:
                typer.echo(
                    f"Would create {plan.creates} case(s) and update {plan.updates}. Nothing was written."
                )
            raise typer.Exit(0 if plan.ok else 1)
        result = services.import_commit(
            actor=actor, organisation=org, kind=kind, data=data, name=file.name
        )
    except services.NotAllowed as exc:
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    except InvalidInput as exc:
        for e in exc.errors:
            typer.echo(f"Refused: {e.message}", err=True)
        typer.echo("Nothing was imported.", err=True)
        raise typer.Exit(1) from exc
    typer.echo(result.report())
    if not result.ok:
        raise typer.Exit(1)


@import_app.command("htcds")
def import_htcds_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="HTCDS CSV or XLSX")],
    as_user: AsUser,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and report only")] = False,
) -> None:
    """Import an HTCDS 2.0 file into cases: every row or none; report every rejected row."""
    _import("htcds", file, as_user, dry_run)


@import_app.command("sweep")
def import_sweep_command(
    hours: Annotated[
        float, typer.Option("--hours", min=0, help="remove held uploads older than this")
    ] = 24,
) -> None:
    """Remove import files uploaded in the web UI but never confirmed or cancelled (run daily from cron)."""
    _django()
    from palermo.stats import uploads

    typer.echo(f"Removed {uploads.sweep(hours * 3600)} unconfirmed upload(s).")


@import_app.command("kobo")
def import_kobo_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or JSON export")
    ],
    as_user: AsUser,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and report only")] = False,
) -> None:
    """Import ODK Collect / KoboToolbox submissions of IOM's HTCDS form into cases: every row or none."""
    _import("kobo", file, as_user, dry_run)


def register(app: typer.Typer) -> None:
    """Mount this context's commands on the `palermo` command (see palermo/cli.py)."""
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.add_typer(anonymity_app, name="anonymity")
