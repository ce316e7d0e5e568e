"""``palermo cases …``: deadline reminders and the NRM rules in force.

Run from cron, e.g. every morning: ``palermo cases remind``.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated

import typer

app = typer.Typer(help="The NRM case file.", no_args_is_help=True, add_completion=False)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()


@app.command("remind")
def remind(
    on: Annotated[
        str, typer.Option(help="The day to remind for (YYYY-MM-DD); default today.")
    ] = "",
) -> None:
    """E-mail the organisations whose deadlines' reminder day has come (reference and date only)."""
    _django()
    from palermo.cases.services import reminders_send

    day = date.fromisoformat(on) if on else None
    sent = reminders_send(today=day)
    typer.echo(f"{sent} reminder(s) sent.")


@app.command("rules")
def rules() -> None:
    """Print the entitlement and deadline rules in force, with this deployment's settings."""
    from palermo.cases import entitlements

    rs = entitlements.default_rules()
    values = entitlements.settings_from_environment(rs)
    typer.echo(f"{rs.title} — {rs.id} version {rs.version}")
    for name, value in values.items():
        typer.echo(f"  setting {name} = {value} (minimum {rs.settings[name].minimum})")
    for r in rs.rules:
        days = r.days if r.days is not None else f"{values[r.days_setting]} ({r.days_setting})"
        typer.echo(f"  {r.key}: {r.kind}, on {r.trigger}, for {r.applies_to}, {days} days")
        for s in r.sources:
            typer.echo(f"      source: {s.citation}")


if __name__ == "__main__":
    app()
