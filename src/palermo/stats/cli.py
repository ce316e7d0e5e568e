"""Command-line pieces of the statistics context, for ``palermo`` to mount.

``anonymity_app`` works on files alone (no database), so it is usable now::

    palermo anonymity check release.csv --qi gender --qi ageBroad --qi citizenship --k 11
    palermo anonymity release source.csv release.csv --k 11

The import/export commands of the shell (``palermo import htcds|kobo``,
``palermo export htcds|ctdc|stats``) read and write the case tables; they call
:func:`preview_import` and the writers in ``htcds_rows``, ``ctdc`` and
``small_cells``.

Pure: no Django imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import polars as pl
import typer

from palermo.stats.anonymise import DEFAULT_K, k_anonymity_check_file
from palermo.stats.ctdc import (
    DEFAULT_QUASI_IDENTIFIERS,
    SOURCE_COLUMNS,
    release_ctdc,
    write_ctdc_csv,
)
from palermo.stats.htcds_rows import ImportPreview, preview_htcds_file
from palermo.stats.kobo import preview_kobo_file

anonymity_app = typer.Typer(help="Check and produce k-anonymous releases.", no_args_is_help=True)


@anonymity_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file")],
    qi: Annotated[list[str], typer.Option("--qi", help="a quasi-identifier column (repeat)")],
    k: Annotated[int, typer.Option(help="the k the file must reach")] = DEFAULT_K,
) -> None:
    """Report the smallest group over the given columns; exit 1 if any group is smaller than k."""
    result = k_anonymity_check_file(file, qi, k=k)
    typer.echo(f"k = {result.k} over {', '.join(qi)} ({result.groups} groups)")
    if result.ok:
        typer.echo(f"OK: every group has at least {k} records.")
        return
    typer.echo(f"FAIL: {result.offending_groups} group(s) with fewer than {k} records "
               f"({result.offending_records} records).")
    raise typer.Exit(1)


@anonymity_app.command("release")
def release_command(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CTDC-shaped CSV with exact 'age'")],
    out: Annotated[Path, typer.Argument(dir_okay=False, help="where to write the CTDC release")],
    k: Annotated[int, typer.Option(help="k of the release")] = DEFAULT_K,
    qi: Annotated[list[str] | None, typer.Option("--qi", help="quasi-identifier (repeat); default CTDC's")] = None,
) -> None:
    """Write a k-anonymous CTDC release of SOURCE and print what it kept and lost."""
    frame = pl.read_csv(source, infer_schema_length=10000, null_values=["-99", ""])
    frame = frame.with_columns(pl.col(c).cast(pl.Utf8) for c in ("citizenship", "CountryOfExploitation", "gender")
                               if c in frame.columns)
    missing = [c for c in SOURCE_COLUMNS if c not in frame.columns]
    if missing:
        typer.echo(f"{source} lacks columns: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    release = release_ctdc(frame, k=k, quasi_identifiers=tuple(qi or DEFAULT_QUASI_IDENTIFIERS))
    write_ctdc_csv(release, out)
    m, b = release.metrics, release.baseline
    typer.echo(f"kept {m.records_kept} of {m.records_in} ({m.share_kept:.1%}); suppression alone would keep "
               f"{b.records_kept} ({b.share_kept:.1%}); NCP {m.ncp:.4f}")


def preview_import(path: Path, kind: Literal["htcds", "kobo"], *, secret: bytes | None = None) -> ImportPreview:
    """Validate an HTCDS file or an ODK/KoboToolbox export; the shell imports only if ``.ok``."""
    if kind == "htcds":
        return preview_htcds_file(path, secret=secret)
    return preview_kobo_file(path, secret=secret)


def register(app: typer.Typer) -> None:
    """Mount this context's commands on the `palermo` command (see palermo/cli.py)."""
    app.add_typer(anonymity_app, name="anonymity")
