"""``palermo prevent …``: import licence lists, import adverts, screen adverts offline.

Commands that change data act as a named user (``--as USERNAME``) through the same services and
policy as the web pages. ``screen-adverts`` touches no database: it prints the flags of each
advert as JSON Lines (for a quick look at a file before importing it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Online risk: licence registry, advert screening, job-offer rules.", no_args_is_help=True
)

AsOpt = Annotated[
    str | None, typer.Option("--as", help="Username to act as (their first organisation that may).")
]
FmtOpt = Annotated[str, typer.Option("--format", help="csv, jsonl or text (blank-line separated).")]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()


def _actor(username: str | None, perm: str) -> tuple[Any, Any]:
    from palermo.core.models import User
    from palermo.core.policy import has_perm

    if not username:
        typer.secho("Name the user to act as: --as USERNAME", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No active user {username!r}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    org = next((o for o in user.organisations() if has_perm(user, perm, o)), None)
    if org is None:
        typer.secho(f"{username} may not do this.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return user, org


def _read(file: Path, fmt: str) -> list[Any]:
    from palermo.prevent import advert_input

    text, err = advert_input.decode(file.read_bytes())
    if text is None:
        typer.secho(err.message.format(**dict(err.params)) if err else "?", fg="red", err=True)
        raise typer.Exit(1)
    items, errors = advert_input.parse(text, fmt)
    for e in errors:
        typer.secho(e.message.format(**dict(e.params)), fg=typer.colors.RED, err=True)
    if errors:
        raise typer.Exit(1)
    return items


@app.command("import-licences")
def import_licences(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8).")],
    title: Annotated[str, typer.Option(help="Title of the list.")],
    kind: Annotated[str, typer.Option(help="licence or ethical.")] = "licence",
    as_user: AsOpt = None,
) -> None:
    """Import a licence list: every row, or none if any row has an error."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.prevent import advert_input, services

    user, org = _actor(as_user, Perm.PREVENT_LICENCES)
    text, err = advert_input.decode(file.read_bytes())
    if text is None:
        typer.secho(err.message.format(**dict(err.params)) if err else "?", fg="red", err=True)
        raise typer.Exit(1)
    try:
        lst = services.licences_import(
            actor=user,
            organisation=org,
            kind=kind,
            title=title,
            rows=list(csv.DictReader(io.StringIO(text))),
        )
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{lst.rows} agencies imported (list {lst.pk}).")


@app.command("import-adverts")
def import_adverts(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    label: Annotated[str, typer.Option(help="Name of the batch.")],
    fmt: FmtOpt = "jsonl",
    region: Annotated[str, typer.Option(help="Country for phone numbers without +prefix.")] = "ZZ",
    as_user: AsOpt = None,
) -> None:
    """Import, screen and group adverts into leads."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.prevent import services

    user, org = _actor(as_user, Perm.PREVENT_SCREEN)
    items = _read(file, fmt)
    try:
        batch = services.adverts_import(
            actor=user, organisation=org, label=label, items=items, region=region
        )
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{batch.adverts} adverts imported; {batch.new_leads} new leads.")


@app.command("screen-adverts")
def screen_adverts(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    fmt: FmtOpt = "jsonl",
) -> None:
    """Print each advert's language, flags and contact details as JSON Lines (stores nothing)."""
    from palermo.prevent import adverts, langid

    rules = adverts.load()
    items = _read(file, fmt)
    groups = adverts.group_near_duplicates([i.text for i in items])
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    for n, item in enumerate(items):
        lang, _score = langid.detect(item.text)
        s = adverts.screen(item.text, lang, rules)
        out = {
            "ref": item.ref,
            "language": lang,
            "group": group_of[n],
            "flags": [
                {"rule": f.rule_id, "indicator": f.indicator, "text": f.matched} for f in s.flags
            ],
            "phones": list(s.entities.phones),
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
