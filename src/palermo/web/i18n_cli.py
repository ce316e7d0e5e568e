"""`palermo i18n …`: extract the msgids, report and check each language's catalogue."""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Translations: extract, status, check (docs/translating.md).", no_args_is_help=True
)


def _django() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("PALERMO_TESTING", "1")  # no secret key or database is needed
    django.setup()


@app.command("data-msgids")
def data_msgids() -> None:
    """Regenerate web/data_msgids.py from the data files (indicator sets, rules, picklists)."""
    _django()
    from palermo.web import i18n

    changed = i18n.write_data_msgids()
    typer.echo(f"{len(i18n.data_strings())} data msgids; {'updated' if changed else 'unchanged'}.")


@app.command("extract")
def extract(
    language: Annotated[
        list[str] | None,
        typer.Option("--language", "-l", help="Also start a catalogue for this language code."),
    ] = None,
) -> None:
    """Data msgids, makemessages for every catalogue (django.pot kept), msgfmt --check."""
    _django()
    from palermo.web import i18n

    errors = i18n.extract(language or [])
    for e in errors:
        typer.secho(e, fg=typer.colors.RED, err=True)
    typer.echo(f"{len(i18n.template_keys())} msgids in {i18n.TEMPLATE}.")
    if errors:
        raise typer.Exit(1)


def _table() -> list[Any]:
    from palermo.web import i18n

    rows = [i18n.catalogue_status(code) for code, _ in i18n.WANTED_LANGUAGES if code != "en"]
    released = set(i18n.released_languages())
    typer.echo(
        f"{'language':<9}{'translated':>11}{'fuzzy':>7}{'untransl.':>10}{'missing':>9}"
        "  released  shown"
    )
    for r in rows:
        typer.echo(
            f"{r.language:<9}{r.translated:>6}/{r.total:<4}{r.fuzzy:>7}{r.untranslated:>10}"
            f"{r.missing:>9}  {'yes' if r.language in released else 'no ':<8}  "
            f"{'yes' if r.complete else 'no (falls back to English)'}"
        )
    public = i18n.released_public_languages()
    typer.echo("public pages only (/check/, /report/):")
    total = len(i18n.public_msgids())
    for code, _name in i18n.PUBLIC_LANGUAGES:
        gap = len(i18n.missing_public_msgids(code))
        typer.echo(
            f"{code:<9}{total - gap:>6}/{total:<4}{'':>17}{gap:>9}  "
            f"{'yes' if code in public else 'no ':<8}  "
            f"{'yes, on the public pages' if not gap else 'no (falls back to English)'}"
        )
    return rows


@app.command("status")
def status() -> None:
    """Per language: translated, fuzzy, untranslated and missing msgids; shipped or not."""
    _table()


@app.command("check")
def check() -> None:
    """Compile every catalogue (msgfmt --check); exit 1 if one fails to compile or a
    released language (locale/RELEASED) misses a msgid of the template."""
    from palermo.web import i18n

    errors = i18n.compile_catalogues()
    for e in errors:
        typer.secho(e, fg=typer.colors.RED, err=True)
    _table()
    incomplete = [c for c in i18n.released_languages() if i18n.missing_msgids(c)]
    for code in incomplete:
        typer.secho(
            f"{code} is released (locale/RELEASED) but misses "
            f"{len(i18n.missing_msgids(code))} msgids: palermo i18n missing {code}",
            fg=typer.colors.RED,
            err=True,
        )
    for code in i18n.released_public_languages():
        gap = i18n.missing_public_msgids(code)
        if gap:
            incomplete.append(code)
            typer.secho(
                f"{code} is released for the public pages (locale/RELEASED_PUBLIC) but misses "
                f"{len(gap)} public msgids: palermo i18n missing-public {code}",
                fg=typer.colors.RED,
                err=True,
            )
    if errors or incomplete:
        raise typer.Exit(1)


@app.command("missing")
def missing(language: str) -> None:
    """List the msgids LANGUAGE's compiled catalogue does not translate."""
    from palermo.web import i18n

    for m in i18n.missing_msgids(language):
        typer.echo(m.replace("\x04", " | "))


@app.command("missing-public")
def missing_public(
    language: str,
    po: Annotated[
        str | None,
        typer.Option("--po", help="Write them to this .po file (empty msgstr) instead."),
    ] = None,
) -> None:
    """List the public-page msgids (/check/, /report/) LANGUAGE does not translate, or write
    them to a .po file for translators."""
    from pathlib import Path

    from palermo.web import i18n

    if po:
        n = i18n.write_public_todo(language, Path(po))
        typer.echo(f"{n} entries written to {po}.")
        return
    for m in i18n.missing_public_msgids(language):
        typer.echo(m.replace("\x04", " | "))
