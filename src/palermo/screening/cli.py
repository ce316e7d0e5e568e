"""``palermo screen FILE``: batch identification screening from the command line.

The lead CLI mounts this command (``palermo.cli``); it can also be run on its own as
``python -m palermo.screening.cli FILE``. Exit status: 0 when every row was screened,
1 when at least one row was rejected (the valid rows are still screened), 2 when the
file or the indicator sets cannot be used at all.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from palermo.screening.batch import BatchSummary

app = typer.Typer(help="Identification screening.", no_args_is_help=True, add_completion=False)


class ProgressLine:
    """``screened N rows …`` on one terminal line, redrawn at most twice a second."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.next_at = time.monotonic() + interval

    def __call__(self, summary: BatchSummary) -> None:
        now = time.monotonic()
        if now >= self.next_at:
            self.next_at = now + self.interval
            typer.echo(
                f"\rscreened {summary.rows_total:,} rows ({summary.rows_rejected:,} rejected) …",
                err=True,
                nl=False,
            )


class FileFormat(StrEnum):
    auto = "auto"
    csv = "csv"
    jsonl = "jsonl"


@app.command("screen")
def screen(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or JSON Lines file, one person per row ('-' reads standard input).",
            allow_dash=True,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write results as JSON Lines [default: stdout]."
        ),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(
            "--errors", "-e", help="Where to write rejected rows as JSON Lines [default: stderr]."
        ),
    ] = None,
    format: Annotated[
        FileFormat,
        typer.Option(
            "--format", "-f", help="Input format; auto uses the extension, then the content."
        ),
    ] = FileFormat.auto,
    indicator_sets: Annotated[
        Path | None,
        typer.Option(
            "--indicator-sets",
            help="Extra directory of indicator set files, loaded after the built-in sets "
            "(replaces PALERMO_INDICATOR_SETS_DIR for this run).",
            file_okay=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-j",
            min=0,
            help="Processes that screen side by side; 0: one per core. Results keep the input order.",
        ),
    ] = 0,
    compact: Annotated[
        bool,
        typer.Option(
            "--compact",
            help="Write only the assessment, status, positive dimensions and rules met of each "
            "person (for bulk use; on CSV computed by columns, several times faster); without "
            "it, the full result with its explanation.",
        ),
    ] = False,
) -> None:
    """Screen every person in FILE; write one result per line, report rejected rows."""
    from palermo.screening.batch import BatchInputError
    from palermo.screening.batch_parallel import screen_lines_parallel
    from palermo.screening.loader import IndicatorSetError, default_catalogue, load_catalogue

    try:
        catalogue = (
            load_catalogue([indicator_sets], use_env=False)
            if indicator_sets
            else default_catalogue()
        )
    except IndicatorSetError as exc:
        typer.echo(f"error: indicator set {exc}", err=True)
        raise typer.Exit(2) from exc

    with contextlib.ExitStack() as stack:
        try:
            if str(file) == "-":
                source: IO[str] = io.TextIOWrapper(
                    sys.stdin.buffer, encoding="utf-8-sig", newline=""
                )
                name = None
            else:
                # newline="" lets the csv module handle line breaks inside quoted cells.
                source = stack.enter_context(file.open(encoding="utf-8-sig", newline=""))
                name = file.name
            out: IO[bytes] = stack.enter_context(output.open("wb")) if output else sys.stdout.buffer
            err: IO[bytes] = stack.enter_context(errors.open("wb")) if errors else sys.stderr.buffer
        except OSError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        # Progress on a terminal only, and only when rejected rows are not going to that
        # same terminal (they would interleave with it).
        show_progress = errors is not None and sys.stderr.isatty()
        try:
            summary = screen_lines_parallel(
                source,
                catalogue,
                out,
                err,
                input_format=format.value,
                name=name,
                progress=ProgressLine() if show_progress else None,
                workers=workers,
                compact=compact,
            )
        except BatchInputError as exc:
            typer.echo(f"error: {file}: {exc}", err=True)
            raise typer.Exit(2) from exc
        except UnicodeDecodeError as exc:
            typer.echo(f"error: {file}: not UTF-8 text ({exc.reason})", err=True)
            raise typer.Exit(2) from exc
        out.flush()
        err.flush()
    if show_progress:
        typer.echo("\r\033[K", err=True, nl=False)  # clear the progress line
    typer.echo(summary.line(), err=True)
    if summary.rows_rejected:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
