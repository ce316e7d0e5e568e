"""The `palermo` command: set-up, demo, server, audit, and each context's batch tools."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import typer

app = typer.Typer(
    name="palermo",
    help="Palermo — software for National Referral Mechanisms against trafficking in human beings.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _setup(demo: bool = False) -> None:
    """Configure Django once. The demo switches DEBUG on and allows the demo key."""
    if demo:
        os.environ.setdefault("PALERMO_DEMO", "1")
        os.environ.setdefault("PALERMO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # noqa: BLE001 – a configuration error must reach the user, not a traceback
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured):
            typer.secho(f"Configuration error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        raise
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@app.command()
def version() -> None:
    """Print Palermo's version."""
    from palermo import __version__

    typer.echo(f"palermo {__version__}")


@app.command()
def migrate() -> None:
    """Create or update the database schema (never drops data)."""
    _setup()
    _migrate(verbosity=1)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address to serve on (the demo stays on this machine)."),
    port: int = typer.Option(8000, help="Port to serve on."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web server after loading."),
    seed: int = typer.Option(2026, help="Seed of the deterministic demo data."),
) -> None:
    """Prepare the embedded SQLite database, load fictional demo data, serve the web UI."""
    _setup(demo=True)
    typer.echo("Preparing the database …")
    _migrate()
    from palermo.core.demo import demo_logins, load_demo

    for line in load_demo(seed=seed):
        typer.echo(f"  demo data: {line}")
    typer.echo("\nDemo logins (all fictional):")
    for username, password, what in demo_logins():
        typer.echo(f"  {username:<12} {password}   {what}")
    if serve:
        from django.core.management import call_command

        typer.echo(f"\nPalermo is running at http://{host}:{port}/  (Ctrl+C to stop)\n")
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)


@app.command()
def serve(
    bind: str = typer.Option("127.0.0.1:8000", help="host:port for gunicorn."),
    workers: int = typer.Option(2, min=1, help="Worker processes."),
) -> None:
    """Production server: gunicorn, static files served by WhiteNoise. Needs SECRET_KEY."""
    _setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    _migrate()
    os.execv(  # noqa: S606 – replaces this process with gunicorn; arguments are ours
        sys.executable,
        [sys.executable, "-m", "gunicorn", "palermo.wsgi:application", "--bind", bind,
         "--workers", str(workers), "--access-logfile", "-"],
    )


@app.command()
def createadmin(
    username: str = typer.Option(..., prompt=True, help="Login name."),
    email: str = typer.Option("", prompt=True, help="E-mail for password resets."),
    organisation: str = typer.Option(..., prompt=True, help="Organisation name (created if new)."),
    org_type: str = typer.Option("central_government", help="Organisation type key if it is created."),
    country: str = typer.Option(..., prompt=True, help="ISO 3166-1 alpha-2 country of the organisation."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an administrator (and their organisation if it does not exist)."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.services import administrator_create

    try:
        user = administrator_create(
            username=username, email=email, organisation_name=organisation,
            org_type=org_type, country=country, password=password,
        )
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Administrator {user.username} created.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; report every edited, inserted or deleted entry."""
    _setup()
    from palermo.core.audit import verify_trail
    from palermo.core.models import AuditEntry

    problems = verify_trail()
    total = AuditEntry.objects.count()
    if not problems:
        typer.echo(f"Audit trail intact: {total} entries verified.")
        return
    typer.secho(f"Audit trail BROKEN: {len(problems)} problem(s) in {total} entries:", fg=typer.colors.RED, err=True)
    for p in problems:
        typer.secho(f"  entry {p.seq}: {p.kind}: {p.message}", err=True)
    raise typer.Exit(1)


# Each bounded context may contribute commands in ``<context>/cli.py`` (a Typer ``app``):
# mounted as a group (`palermo investigate …`) or, for a context whose commands are
# everyday verbs, at the top level (`palermo screen FILE`).
for _name, _module, _top_level in [
    ("screening", "palermo.screening.cli", True),
    ("cases", "palermo.cases.cli", False),
    ("stats", "palermo.stats.cli", False),
    ("investigate", "palermo.investigate.cli", False),
    ("monitor", "palermo.monitor.cli", False),
]:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
        continue
    if hasattr(_mod, "register"):
        _mod.register(app)
    elif _top_level:
        app.registered_commands.extend(_mod.app.registered_commands)
    else:
        app.add_typer(_mod.app, name=_name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
