"""``palermo exercise …``: create, serve, tick, reset, archive and delete exercise instances.

Each exercise lives in its own database (default ``var/exercises/NAME/exercise.sqlite3``) with a
registry file ``var/exercises/NAME/exercise.json``. Commands that open an exercise set
``PALERMO_EXERCISE`` and ``DATABASE_URL`` *before* Django starts, so they can never touch the
production database configured in the environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Simulation exercises on their own databases.", no_args_is_help=True)

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

# The live instance's keys and outside connections: an exercise process never sees them
# (audit checkpoint key and log, cross-border identity, keys and trust anchors, mail server).
LIVE_ONLY = (
    "PALERMO_AUDIT_SIGNING_KEY",
    "PALERMO_AUDIT_PUBLIC_KEY",
    "PALERMO_AUDIT_CHECKPOINT_LOG",
    "PALERMO_CROSSBORDER_ENTITY_ID",
    "PALERMO_CROSSBORDER_KEYS_FILE",
    "PALERMO_CROSSBORDER_ANCHORS_FILE",
    "EMAIL_BACKEND",
    # The live single sign-on client: its secret must not sit in a training instance's
    # environment, and trainees sign in with the exercise's own accounts.
    "PALERMO_OIDC_DISCOVERY_URL",
    "PALERMO_OIDC_CLIENT_ID",
    "PALERMO_OIDC_CLIENT_SECRET",
)


def _var() -> Path:
    var = Path(os.environ.get("PALERMO_VAR_DIR", Path.cwd() / "var"))
    # Inside an exercise (after _enter) PALERMO_VAR_DIR is var/exercises/NAME: the live var
    # dir, where the registry of exercises lives, is two levels up.
    name = os.environ.get("PALERMO_EXERCISE", "")
    if name and (var.name, var.parent.name) == (name, "exercises"):
        return var.parent.parent
    return var


def _dir(name: str) -> Path:
    if not NAME_RE.match(name):
        typer.secho("An exercise name is lower-case letters, digits and '-'.", fg="red", err=True)
        raise typer.Exit(2)
    return _var() / "exercises" / name


def _registry(name: str) -> dict[str, str]:
    p = _dir(name) / "exercise.json"
    if not p.is_file():
        typer.secho(f"No exercise named {name!r} (looked in {p.parent}).", fg="red", err=True)
        raise typer.Exit(2)
    return dict(json.loads(p.read_text()))


def _enter(name: str, database: str) -> None:
    """Point this process at the exercise's database and mark it an exercise instance."""
    here = _dir(name)
    os.environ["PALERMO_EXERCISE"] = name
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("PALERMO_DEMO", "1")  # fictional data: the demo's key handling
    # Set, not defaulted: the live instance's environment (where this command is normally run)
    # names its own var dir and field-key file, and an exercise must use neither — training
    # data sealed with live keys, or files written next to the live ones.
    os.environ["PALERMO_VAR_DIR"] = str(here)
    os.environ["PALERMO_FIELD_KEYS_FILE"] = str(here / "field-keys.json")
    # Migrated empty databases are kept by the installation, not per exercise: they hold only
    # the schema (palermo.core.schema_cache), and every exercise created after the first
    # starts from one instead of replaying the migrations.
    os.environ.setdefault("PALERMO_SCHEMA_CACHE_DIR", str(_var() / "cache" / "schema"))
    for live in LIVE_ONLY:  # settings.py ignores them in an exercise too; drop them here first
        os.environ.pop(live, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "palermo.settings"
    import django

    django.setup()
    from django.conf import settings

    if name != settings.PALERMO_EXERCISE:
        typer.secho("Django was already set up for another database.", fg="red", err=True)
        raise typer.Exit(2)


def _build(
    name: str, scenario: str, database: str, antennas: int, controllers: int, language: str = ""
) -> None:
    from palermo.exercise.scenario import PackageError, load_package, resolve_package

    try:
        sc = load_package(resolve_package(scenario))
    except PackageError as exc:
        typer.secho("The scenario package has errors; nothing was loaded:", fg="red", err=True)
        for p in exc.problems:
            typer.secho(f"  {p}", err=True)
        raise typer.Exit(1) from exc
    _enter(name, database)
    from palermo.core import schema_cache
    from palermo.core.encryption import ensure_demo_key_file
    from palermo.core.errors import PalermoError
    from palermo.exercise import services

    ensure_demo_key_file()
    schema_cache.migrate()
    try:
        _ex, logins = services.load_scenario(
            sc, antennas=antennas, controllers=controllers, language=language
        )
    except PalermoError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    logins_file = _dir(name) / "logins.txt"
    logins_file.write_text("".join(f"{u}\t{p}\t{w}\n" for u, p, w in logins))
    logins_file.chmod(0o600)
    typer.echo(
        f"Exercise {name!r}: {sc.title} ({sc.id} {sc.version}), {len(logins)} accounts "
        f"(list in {logins_file}, readable by you only)."
    )


@app.command()
def create(
    scenario: Annotated[
        str, typer.Argument(help="A shipped scenario's name or a package directory.")
    ],
    name: Annotated[str, typer.Option(help="The exercise's name.")] = "",
    database: Annotated[
        str, typer.Option(help="Database URL (default: a new SQLite file under var/exercises/).")
    ] = "",
    antennas: Annotated[int, typer.Option(min=0, max=200)] = 4,
    controllers: Annotated[int, typer.Option(min=0, max=50)] = 2,
    language: Annotated[
        str,
        typer.Option(
            help="Language of the names and seeded case files stored in Palermo's own tables "
            "(one of the package's translations.yaml languages; default: the package's)."
        ),
    ] = "",
) -> None:
    """Create an exercise instance from SCENARIO, in a database of its own."""
    name = name or re.sub(r"[^a-z0-9-]", "-", Path(scenario).name.lower())[:40]
    d = _dir(name)
    if (d / "exercise.json").exists():
        typer.secho(f"An exercise named {name!r} exists: reset or delete it.", fg="red", err=True)
        raise typer.Exit(2)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    database = database or f"sqlite:///{d / 'exercise.sqlite3'}"
    prod = os.environ.get("DATABASE_URL", "")
    if prod and database == prod and not os.environ.get("PALERMO_EXERCISE"):
        typer.secho(
            "That is this instance's own database: an exercise needs its own.", fg="red", err=True
        )
        raise typer.Exit(2)
    _build(name, scenario, database, antennas, controllers, language)
    (d / "exercise.json").write_text(
        json.dumps(
            {
                "name": name,
                "scenario": scenario,
                "database": database,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "antennas": str(antennas),
                "controllers": str(controllers),
                "language": language,
            },
            indent=2,
        )
    )


@app.command("list")
def list_() -> None:
    """List the exercises on this machine."""
    root = _var() / "exercises"
    for p in sorted(root.glob("*/exercise.json")) if root.is_dir() else []:
        reg = json.loads(p.read_text())
        typer.echo(f"{reg['name']}\t{reg['scenario']}\t{reg['created']}")


@app.command()
def serve(
    name: str,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8100,
) -> None:
    """Serve exercise NAME (TRAINING banner, no outbound e-mail) on its own database."""
    reg = _registry(name)
    os.environ.setdefault("PALERMO_DEBUG", "1")
    _enter(name, reg["database"])
    from django.core.management import call_command

    from palermo.core import schema_cache

    schema_cache.migrate()
    typer.echo(f"TRAINING exercise {name!r} at http://{host}:{port}/exercise/  (Ctrl+C to stop)")
    call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)


@app.command()
def tick(name: str) -> None:
    """Deliver every inject that is due now (pages do this too; for cron or scripts)."""
    reg = _registry(name)
    _enter(name, reg["database"])
    from palermo.exercise import services

    done = services.tick()
    typer.echo(f"{len(done)} deliveries.")


# --- the tabletop variant: the facilitator's page from a terminal -----------------------------
#
# The commands act as an exercise account (``--as``), so the one policy decides (controller or
# chief controller) and the audit trail names who read the prompts and recorded each answer,
# exactly as the page and the API do. Questions are numbered from 1 here (the API counts from 0).


def _acting(username: str) -> tuple[object, object]:
    """The exercise account ``username`` and the organisation it acts for (its first)."""
    from palermo.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No account {username!r} in this exercise.", fg="red", err=True)
        raise typer.Exit(2)
    orgs = user.organisations()
    return user, (orgs[0] if orgs else None)


def _require_control(user: object, org: object, object_type: str) -> None:
    """The policy's answer for the tabletop (controllers); a refusal is audited, as on the web."""
    from palermo.core import audit
    from palermo.core.policy import Perm, has_perm

    if has_perm(user, Perm.EXERCISE_CONTROL, org):  # type: ignore[arg-type]
        return
    audit.record(
        action="refused",
        actor=user,
        organisation=org,
        object_type=object_type,
        outcome="refused",
        details={"permission": Perm.EXERCISE_CONTROL, "cli": True},
    )
    typer.secho("Only a controller or the chief controller runs the tabletop.", err=True)
    raise typer.Exit(3)


def tabletop_show(username: str, limit: int = 12) -> list[str]:
    """The delivered injects as discussion prompts, with the answers so far (Django set up)."""
    from palermo.core import audit
    from palermo.exercise import services
    from palermo.exercise.api import tabletop_prompts

    user, org = _acting(username)
    _require_control(user, org, "exercise_tabletop")
    services.tick()
    ex = services.current()
    prompts = tabletop_prompts(ex, limit)
    audit.record(
        action="read",
        actor=user,
        organisation=org,
        object_type="exercise_tabletop",
        object_ref=str(ex.pk),
        details={"injects": [p["inject"] for p in prompts], "cli": True},
    )
    lines = [f"TRAINING EXERCISE {ex.name}: {services.sim_label(ex, services.sim_now(ex))}"]
    for p in prompts:
        lines += ["", f"{p['inject']} — {p['title']}", p["content"]]
        lines += [f"  {i}. {q}" for i, q in enumerate(p["questions"], 1)]
        for t in p["teams"]:
            for a in t["answers"]:
                answer = a["answer"] if a["answer"] is not None else "-"
                lines.append(f"    [{t['team']}] {a['question'] + 1}: {answer}")
    if not prompts:
        lines.append("No inject delivered.")
    return lines


def tabletop_record(
    username: str, inject: str, team: str, question: int, text: str
) -> tuple[int, bool]:
    """Record team ``team``'s answer to question ``question`` (from 1) of ``inject``: the
    service checks the policy and validates; returns (answer id, created)."""
    from palermo.exercise import selectors, services

    user, org = _acting(username)
    _require_control(user, org, "exercise_tabletop_answer")
    d = selectors.delivery_by_keys(services.current(), inject, team)
    row, created = services.tabletop_answer_saved(
        actor=user,
        organisation=org,
        delivery_id=d.pk if d else 0,
        question=question - 1,
        text=text,
    )
    return row.pk, created


@app.command()
def tabletop(
    name: str,
    as_: Annotated[str, typer.Option("--as", help="Your exercise account (a controller).")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 12,
) -> None:
    """Show the delivered injects of exercise NAME as discussion prompts, with the answers."""
    reg = _registry(name)
    _enter(name, reg["database"])
    for line in tabletop_show(as_, limit):
        typer.echo(line)


@app.command()
def answer(
    name: str,
    inject: Annotated[str, typer.Option(help="The inject, e.g. SOC-02.")],
    team: Annotated[str, typer.Option(help="The team's key, e.g. a.")],
    question: Annotated[int, typer.Option(min=1, max=100, help="Question number (from 1).")],
    text: Annotated[str, typer.Option(help="The team's answer (again: replaces it).")],
    as_: Annotated[str, typer.Option("--as", help="Your exercise account (a controller).")],
) -> None:
    """Record a team's answer to a discussion question of a delivered inject."""
    reg = _registry(name)
    _enter(name, reg["database"])
    from palermo.core.errors import InvalidInput, NotFound

    try:
        pk, created = tabletop_record(as_, inject, team, question, text)
    except NotFound:
        typer.secho(f"Inject {inject!r} has not reached team {team!r}.", fg="red", err=True)
        raise typer.Exit(1) from None
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg="red", err=True)
        typer.secho("Nothing was recorded.", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Answer {pk} {'recorded' if created else 'replaced'}.")


@app.command("import-applications")
def import_applications(name: str, file: Path) -> None:
    """Import applications from a CSV file into exercise NAME: every row, or none."""
    reg = _registry(name)
    text = file.read_text(encoding="utf-8-sig")
    _enter(name, reg["database"])
    from palermo.exercise import applicants

    try:
        n = applicants.applications_import(actor=None, organisation=None, text=text)
    except applicants.ImportRejected as exc:
        for e in exc.rows:
            typer.secho(f"line {e.row} {e.column}: {e.message}", fg="red", err=True)
        typer.secho("Nothing was imported.", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{n} applications imported.")


@app.command()
def select(
    name: str,
    places: Annotated[int, typer.Option("--places")],
    quota: Annotated[list[str] | None, typer.Option("--quota", help="PROFESSION=N")] = None,
    women: Annotated[int | None, typer.Option("--women", help="share of women, %")] = None,
    cap: Annotated[int | None, typer.Option("--cap", help="most places per country")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
) -> None:
    """Select the trainees of exercise NAME from its applications (see docs/exercise.md)."""
    data: dict[str, object] = {"places": places, "women_percent": women, "country_cap": cap}
    data["seed"] = seed
    for q in quota or []:
        prof, _sep, n = q.partition("=")
        data[f"quota_{prof.strip()}"] = n.strip()
    reg = _registry(name)
    _enter(name, reg["database"])
    from palermo.core.errors import InvalidInput
    from palermo.exercise import applicants
    from palermo.exercise.vocabulary import PROFESSIONS

    unknown = [k for k in data if k.startswith("quota_") and k[6:] not in PROFESSIONS]
    if unknown:
        typer.secho(f"Unknown profession in {unknown}; use {sorted(PROFESSIONS)}.", err=True)
        raise typer.Exit(2)
    try:
        run = applicants.run_selection(actor=None, organisation=None, data=data)
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    chosen = sum(1 for d in run.decisions if d["selected"])
    typer.echo(f"{chosen} of {run.places} places filled (seed {run.seed}).")
    for key in ("profession", "gender", "country"):
        for x in run.balance[key]:
            target = "" if x["target"] is None else f" target {x['target']}"
            typer.echo(f"{key} {x['key']}: {x['selected']}/{x['applied']}{target}")


@app.command()
def reset(name: str, yes: Annotated[bool, typer.Option("--yes")] = False) -> None:
    """Empty exercise NAME's database and load its scenario again (a new cohort)."""
    reg = _registry(name)
    if not yes:
        typer.confirm(f"Erase everything in exercise {name!r} and start again?", abort=True)
    db = reg["database"]
    if db.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        _build(
            name,
            reg["scenario"],
            db,
            int(reg["antennas"]),
            int(reg["controllers"]),
            reg.get("language", ""),
        )
    else:
        _enter(name, db)
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
        from palermo.exercise import scenario, services

        sc = scenario.load_package(scenario.resolve_package(reg["scenario"]))
        services.load_scenario(
            sc,
            antennas=int(reg["antennas"]),
            controllers=int(reg["controllers"]),
            language=reg.get("language", ""),
        )
    typer.echo(f"Exercise {name!r} reset.")


@app.command()
def archive(name: str) -> None:
    """Pack exercise NAME (database, registry, logins) into var/exercises/archive/."""
    reg = _registry(name)
    d = _dir(name)
    out_dir = _var() / "exercises" / "archive"
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = out_dir / f"{name}-{stamp}.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(d, arcname=name)
    out.chmod(0o600)
    if not reg["database"].startswith("sqlite:///"):
        typer.echo(
            "The exercise's PostgreSQL database is not in the archive: dump it with pg_dump."
        )
    typer.echo(f"Archived to {out}")


@app.command()
def delete(name: str, yes: Annotated[bool, typer.Option("--yes")] = False) -> None:
    """Delete exercise NAME: its directory and SQLite database (archive it first to keep it)."""
    reg = _registry(name)
    if not yes:
        typer.confirm(f"Delete exercise {name!r} and all its data?", abort=True)
    shutil.rmtree(_dir(name))
    if not reg["database"].startswith("sqlite:///"):
        typer.echo("Its PostgreSQL database was left in place: drop it yourself.")
    typer.echo(f"Exercise {name!r} deleted.")
