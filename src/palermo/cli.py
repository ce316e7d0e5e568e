"""The `palermo` command: set-up, demo, server, audit, and each context's batch tools."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

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
    except Exception as exc:
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
    # A new SQLite database starts from a migrated copy (palermo.core.schema_cache).
    from palermo.core import schema_cache

    schema_cache.migrate(verbosity=verbosity)


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
    host: str = typer.Option(
        "127.0.0.1", help="Address to serve on (the demo stays on this machine)."
    ),
    port: int | None = typer.Option(
        None, help="Port to serve on (default 8000; the partner's from PALERMO_DEMO_PARTNER)."
    ),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Start the web server after loading."
    ),
    seed: int = typer.Option(2026, help="Seed of the deterministic demo data."),
    partner: bool = typer.Option(
        False,
        "--partner",
        help="Run the partner-country instance for cross-border hand-overs (its own database "
        "and keys, in var/partner-demo/); start the main demo first.",
    ),
) -> None:
    """Prepare the embedded SQLite database, load fictional demo data, serve the web UI."""
    if partner:
        port = _partner_environment(port)
    _setup(demo=True)
    from palermo.core.encryption import ensure_demo_key_file

    if ensure_demo_key_file():
        typer.echo("Created the demo's field-encryption key file in var/ (fictional data only).")
    typer.echo("Preparing the database …")
    _migrate()
    from palermo.core.demo import demo_logins, load_demo

    steps = None
    if partner:  # organisations, users and the trust list: the partner receives cases
        from palermo.crossborder.demo import demo_crossborder

        steps = [demo_crossborder]
    for line in load_demo(seed=seed, steps=steps):
        typer.echo(f"  demo data: {line}")
    typer.echo("\nDemo logins (all fictional):")
    for username, password, what in demo_logins():
        typer.echo(f"  {username:<12} {password}   {what}")
    from django.conf import settings as dj_settings

    if not dj_settings.PALERMO_MFA_REQUIRED_ROLES:
        typer.echo(
            "\nTwo-step sign-in is not required in the demo; production requires it for "
            "co-ordinators, investigators and administrators (PALERMO_MFA_REQUIRED_ROLES)."
        )
    if serve:
        from django.core.management import call_command

        from palermo.jobs.worker import start_thread, uses_queue

        if uses_queue():
            start_thread()  # background jobs (imports, red-flag runs) with zero set-up: a worker thread
        port = port or 8000
        where = dj_settings.CROSSBORDER_ENTITY_ID if partner else f"http://{host}:{port}"
        typer.echo(f"\nPalermo is running at {where}/  (Ctrl+C to stop)\n")
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)


def _partner_environment(port: int | None) -> int:
    """Point this process at the partner-country demo instance: its own var directory and
    SQLite database (var/partner-demo/), field keys and cookies; the cross-border keys and
    the anchor's public key the main demo made for it (docs/crossborder.md, "Demo")."""
    from urllib.parse import urlsplit

    main_var = Path(os.environ.get("PALERMO_VAR_DIR", Path.cwd() / "var")).resolve()
    if not (main_var / "crossborder-demo-trust-list.jws").is_file():
        typer.secho(
            f"No demo trust list in {main_var}: prepare the main demo first (`palermo demo`), "
            "then start the partner with `palermo demo --partner` in a second terminal.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    # The same default as palermo.crossborder.demo.PARTNER_ID (not importable before set-up).
    entity = os.environ.get("PALERMO_DEMO_PARTNER", "http://127.0.0.1:8001").rstrip("/")
    own_port = urlsplit(entity).port or 80
    if port is not None and port != own_port:
        typer.secho(
            f"The partner's trust-list entry says {entity}: serve it on port {own_port} "
            "(or set PALERMO_DEMO_PARTNER before preparing the main demo).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    var = main_var / "partner-demo"
    os.environ.pop("PALERMO_FIELD_KEYS_FILE", None)  # its own, made in its var directory
    os.environ.update(
        PALERMO_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'palermo.sqlite3'}",
        PALERMO_CROSSBORDER_ENTITY_ID=entity,
        PALERMO_CROSSBORDER_KEYS_FILE=str(main_var / "crossborder-demo-partner-keys.json"),
        PALERMO_CROSSBORDER_ANCHORS_FILE=str(main_var / "crossborder-anchors.json"),
        PALERMO_DEMO_ROLE="partner",
        PALERMO_DEMO_MAIN_VAR=str(main_var),
        PALERMO_SESSION_COOKIE_NAME="palermo_partner_session",
        PALERMO_CSRF_COOKIE_NAME="palermo_partner_csrftoken",
    )
    return own_port


# --- `palermo serve`: gunicorn's command line (issue 11) ----------------------------------------------

# A Unix socket path holds at most 108 bytes (sun_path); keep a margin.
_MAX_SOCKET_PATH = 100


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by this user only (0700), or check that an existing one is ours;
    never a shared directory that another local user could have prepared."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise typer.BadParameter(f"{path} belongs to another user: choose a private directory.")
    if st.st_mode & 0o077:
        path.chmod(0o700)
    return path


def control_socket_path(var_dir: Path, runtime_dir: str | None = None) -> Path:
    """gunicorn's control socket: ``<VAR_DIR>/run/gunicorn.ctl`` (private to the instance), or, when
    that path is too long for a Unix socket, a per-instance folder of the user's private runtime
    directory (``$XDG_RUNTIME_DIR``, 0700). Never a shared path such as /tmp or gunicorn's default."""
    candidate = var_dir.resolve() / "run" / "gunicorn.ctl"
    if len(os.fsencode(candidate)) <= _MAX_SOCKET_PATH:
        return candidate
    if runtime_dir:
        import hashlib

        tag = hashlib.sha256(os.fsencode(var_dir.resolve())).hexdigest()[:12]
        return Path(runtime_dir) / f"palermo-{tag}" / "gunicorn.ctl"
    raise typer.BadParameter(
        f"{candidate} is too long for a Unix socket: pass --control-socket with a shorter private path "
        "or --no-control-socket."
    )


def gunicorn_version() -> tuple[int, ...]:
    from importlib.metadata import version as dist_version

    parts = []
    for piece in dist_version("gunicorn").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def gunicorn_argv(
    *,
    bind: str,
    workers: int,
    timeout: int,
    control_socket: Path | None,
    version: tuple[int, ...],
    threads: int = 1,
) -> list[str]:
    """The arguments `palermo serve` hands to gunicorn.

    ``timeout``: a worker silent for longer is killed and restarted (long imports run as
    background jobs, so no request needs minutes). The control socket (gunicorn ≥ 25.1)
    goes to a private path with mode 0600, or is switched off; older gunicorns have none.
    """
    argv = [
        "palermo.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        # Threads per worker (gunicorn's gthread worker when > 1): a page waits on PostgreSQL
        # for part of its time, and a thread serves another meanwhile (benchmarks/cases_latency.py).
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(min(timeout, 30)),
    ]
    # No gunicorn access log: its request line quotes the query string, which may hold a
    # searched name; Palermo writes its own ``request`` line (core/logs.py).
    if version >= (25, 1):
        if control_socket is None:
            argv.append("--no-control-socket")
        else:
            argv += ["--control-socket", str(control_socket), "--control-socket-mode", "0o600"]
    return argv


@app.command()
def serve(
    bind: str = typer.Option("127.0.0.1:8000", help="host:port for gunicorn."),
    workers: int = typer.Option(2, min=1, help="Worker processes."),
    # Measured on 2 cores, 1M cases, 20 users (docs/testing.md): 2 workers x 4 threads served
    # as many pages as 4 x 2 in half the memory; 2 x 2 (4 at a time) a quarter fewer, p95 doubled.
    threads: int = typer.Option(4, min=1, help="Threads per worker process."),
    timeout: int | None = typer.Option(
        None,
        min=5,
        help="Seconds a silent worker may take before it is restarted "
        "(default PALERMO_WORKER_TIMEOUT, 60).",
    ),
    control_socket: str = typer.Option(
        "",
        help="gunicorn's control socket (default <PALERMO_VAR_DIR>/run/gunicorn.ctl, private to this user).",
    ),
    no_control_socket: bool = typer.Option(
        False, "--no-control-socket", help="Run without a control socket."
    ),
    dry_run: bool = typer.Option(False, "--print", help="Print gunicorn's command line and exit."),
) -> None:
    """Production server: gunicorn, static files served by WhiteNoise. Needs SECRET_KEY."""
    _setup()
    from django.conf import settings

    version = gunicorn_version()
    socket_path: Path | None = None
    if not no_control_socket and version >= (25, 1):
        socket_path = (
            Path(control_socket)
            if control_socket
            else control_socket_path(Path(settings.VAR_DIR), os.environ.get("XDG_RUNTIME_DIR"))
        )
        private_dir(socket_path.parent)
    argv = gunicorn_argv(
        bind=bind,
        workers=workers,
        threads=threads,
        timeout=timeout or settings.PALERMO_WORKER_TIMEOUT,
        control_socket=socket_path,
        version=version,
    )
    if dry_run:
        typer.echo(" ".join(["gunicorn", *argv]))
        return
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    _migrate()
    os.execv(  # noqa: S606 – replaces this process with gunicorn; arguments are ours
        sys.executable,
        [sys.executable, "-m", "gunicorn", *argv],
    )


@app.command()
def worker(
    batch: bool = typer.Option(
        False, "--batch", help="Run every queued job, then exit (cron, or a one-off)."
    ),
    interval: float = typer.Option(1.0, min=0.1, help="Seconds between looks at an empty queue."),
    max_jobs: int = typer.Option(
        0, min=0, help="Exit after this many jobs (0: no limit); the service restarts it."
    ),
) -> None:
    """Run background jobs (imports, red-flag runs) from the database queue. Run it as a service
    beside `palermo serve` (see the admin guide); SIGTERM lets the running job finish first."""
    _setup()
    from django.core.exceptions import ImproperlyConfigured

    from palermo.jobs.worker import run

    try:
        run(batch=batch, interval=interval, max_tasks=max_jobs or None)
    except ImproperlyConfigured as exc:
        typer.secho(f"Configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


@app.command()
def createadmin(
    username: str = typer.Option(..., prompt=True, help="Login name."),
    email: str = typer.Option("", prompt=True, help="E-mail for password resets."),
    organisation: str = typer.Option(..., prompt=True, help="Organisation name (created if new)."),
    org_type: str = typer.Option(
        "central_government", help="Organisation type key if it is created."
    ),
    country: str = typer.Option(
        ..., prompt=True, help="ISO 3166-1 alpha-2 country of the organisation."
    ),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an administrator (and their organisation if it does not exist)."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.services import administrator_create

    try:
        user = administrator_create(
            username=username,
            email=email,
            organisation_name=organisation,
            org_type=org_type,
            country=country,
            password=password,
        )
    except InvalidInput as exc:
        for e in exc.errors:
            typer.secho(f"{e.field}: {e.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Administrator {user.username} created.")


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Checkpoint log (JSON lines) to compare the trail with.",
            dir_okay=False,
        ),
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="Public key(s) that signed the checkpoints (repeat for old keys). "
            "Default: PALERMO_AUDIT_PUBLIC_KEY, else derived from PALERMO_AUDIT_SIGNING_KEY.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check the hash chain; report every edited, inserted or deleted entry; print the head.

    With --checkpoints, also check every checkpoint's signature and that the trail still
    holds each signed (entry, hash): finds entries removed from the end and a rewritten head.
    Exit status: 0 intact, 1 tampering found, 2 could not verify (file or key unusable).
    """
    _setup()
    from palermo.core import anchor
    from palermo.core.audit import verify_trail_report

    log = None
    if checkpoints is not None:
        keys = _audit_public_keys(public_key or [])
        try:
            with checkpoints.open(encoding="utf-8", errors="replace") as lines:
                log = anchor.checkpoint_log_read(lines, keys)
        except OSError as exc:
            typer.secho(
                f"Cannot read the checkpoint log {checkpoints}: {exc.strerror}",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2) from exc
    report, head_seq, head_hash = verify_trail_report(log.wanted() if log else frozenset())
    anchor_problems = list(log.problems) if log else []
    if log:
        anchor_problems += anchor.checkpoints_compare(log, report.found, report.last_seq)
    typer.echo(f"Head: entry {head_seq}, hash {head_hash}")
    if not report.problems:
        typer.echo(f"Audit trail intact: {report.entries + report.unsealed} entries verified.")
        if report.unsealed:
            typer.echo(
                f"{report.unsealed} of them not sealed yet (the worker seals them within a "
                "second; `palermo audit seal` does it now)."
            )
    else:
        typer.secho(
            f"Audit trail BROKEN: {len(report.problems) + report.more} problem(s) in "
            f"{report.entries + report.unsealed} entries:",
            fg=typer.colors.RED,
            err=True,
        )
        for p in report.problems:
            typer.secho(f"  {p.where}: {p.kind}: {p.message}", err=True)
        if report.more:
            typer.secho(f"  … and {report.more} more problem(s), not listed", err=True)
    if log is not None:
        newest = anchor.latest(log)
        if not anchor_problems and newest is not None:
            typer.echo(
                f"Checkpoints: {len(log.checkpoints)} verified against {checkpoints}; "
                f"newest: entry {newest.seq} signed at {newest.at}."
            )
        elif anchor_problems:
            typer.secho(
                f"Checkpoints FAILED: {len(anchor_problems)} problem(s) in {checkpoints}:",
                fg=typer.colors.RED,
                err=True,
            )
            for a in anchor_problems:
                typer.secho(f"  {a.kind}: {a.message}", err=True)
    if report.problems or anchor_problems:
        raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Chain every audit entry written so far into the hash chain, oldest first.

    The worker (`palermo worker`) does this every half second; run it by hand after a
    bulk job without a worker, or before a backup. Exit status: 0 sealed, 1 an unsealed
    entry was changed after it was written (nothing after it is sealed).
    """
    _setup()
    from palermo.core.audit import SealRefused, audit_head, seal

    try:
        done = seal()
    except SealRefused as exc:
        typer.secho(f"Sealing stopped: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    head_seq, head_hash = audit_head()
    typer.echo(f"Sealed {done} entries. Head: entry {head_seq}, hash {head_hash}")


def _audit_public_keys(paths: list[Path]) -> list[object]:
    """The keys to check checkpoints with: given, configured, or the signing key's own."""
    from django.conf import settings

    from palermo.core import anchor

    configured = getattr(settings, "PALERMO_AUDIT_PUBLIC_KEY", "")
    signing = getattr(settings, "PALERMO_AUDIT_SIGNING_KEY", "")
    try:
        if paths:
            return [anchor.public_key_read(p) for p in paths]
        if configured:
            return [anchor.public_key_read(Path(configured))]
        if signing:
            return [anchor.private_key_read(Path(signing)).public_key()]
    except anchor.KeyFileError as exc:
        typer.secho(f"Unusable key: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.secho(
        "Checking checkpoints needs a public key: --public-key FILE or PALERMO_AUDIT_PUBLIC_KEY.",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(2)


@audit_app.command("keygen")
def audit_keygen(
    private_key: Annotated[
        Path,
        typer.Option(
            "--private-key", help="Where to write the signing key (mode 600).", dir_okay=False
        ),
    ],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="Where to write the public key.", dir_okay=False)
    ],
) -> None:
    """Create the Ed25519 key pair that signs audit checkpoints. Never overwrites a key.

    Keep the private key outside the database server, readable only by the account that
    runs `palermo audit checkpoint`; give the public key to whoever verifies.
    """
    from palermo.core import anchor

    try:
        kid = anchor.keypair_write(private_key, public_key)
    except (anchor.KeyFileError, OSError) as exc:
        typer.secho(f"No key written: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Key {kid} written: private {private_key}, public {public_key}.")
    typer.echo(
        f"Set PALERMO_AUDIT_SIGNING_KEY={private_key.resolve()} for `palermo audit checkpoint`."
    )


@audit_app.command("checkpoint")
def audit_checkpoint(
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help="Checkpoint log to append to. Default: PALERMO_AUDIT_CHECKPOINT_LOG; "
            "none: the line is only printed.",
            dir_okay=False,
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", help="Signing key. Default: PALERMO_AUDIT_SIGNING_KEY.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Sign the audit trail's head and append it to the checkpoint log.

    The signed line is also printed on standard output (and nothing else is), so it can be
    shipped to syslog or a write-once store: `palermo audit checkpoint | logger -t palermo-audit`.
    """
    _setup()
    from django.conf import settings

    from palermo.core import anchor
    from palermo.core.audit import HeadInconsistent, SealRefused, checkpoint_create

    key_path = key or (
        Path(settings.PALERMO_AUDIT_SIGNING_KEY)
        if getattr(settings, "PALERMO_AUDIT_SIGNING_KEY", "")
        else None
    )
    if key_path is None:
        typer.secho(
            "No signing key: set PALERMO_AUDIT_SIGNING_KEY or pass --key (create one with "
            "`palermo audit keygen`).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    configured_log = getattr(settings, "PALERMO_AUDIT_CHECKPOINT_LOG", "")
    log_path = log or (Path(configured_log) if configured_log else None)
    try:
        private = anchor.private_key_read(key_path)
        cp = checkpoint_create(private_key=private, log_path=log_path)
    except anchor.KeyFileError as exc:
        typer.secho(f"Unusable signing key: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    except (HeadInconsistent, SealRefused) as exc:
        typer.secho(f"No checkpoint signed: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        typer.secho(
            f"Cannot append to the checkpoint log {log_path}: {exc.strerror}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from exc
    typer.echo(anchor.checkpoint_line(cp))
    where = f"appended to {log_path}" if log_path else "printed only (no checkpoint log configured)"
    typer.echo(f"Checkpoint of entry {cp.seq} signed with key {cp.key_id}, {where}.", err=True)


# --- Backups (docs/admin-guide.md, "Backups and restore drill") -------------------------


@app.command("backup")
def backup(
    file: Annotated[
        Path, typer.Argument(help="The archive to write (must not exist).", dir_okay=False)
    ],
) -> None:
    """Back up the database, the audit checkpoint log and the field-key references into one archive.

    PostgreSQL through pg_dump (custom format), SQLite through its online backup API. The
    archive holds personal data: keep it encrypted and where only the backup operator reads.
    Exit status: 0 written, 2 not written.
    """
    _setup()
    from palermo.core.backup import BackupError, backup_create

    try:
        manifest = backup_create(file)
    except BackupError as exc:
        typer.secho(f"No backup written: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    head = manifest["audit_head"]
    typer.echo(f"Backup written to {file} ({manifest['database']['vendor']}).")
    typer.echo(f"Audit head in the backup: entry {head['seq']}, hash {head['hash']}")
    for name, member in manifest["members"].items():
        typer.echo(f"  {name}: {member['size']} bytes, SHA-256 {member['sha256']}")


@app.command("restore")
def restore(
    file: Annotated[
        Path, typer.Argument(help="An archive written by `palermo backup`.", dir_okay=False)
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data.")
    ] = False,
) -> None:
    """Restore a backup: check the archive, restore the database, verify the audit trail.

    Stop Palermo first. Exit status: 0 restored and verified, 1 restored but the audit
    trail does not verify, 2 refused or failed (nothing restored unless the tool said so).
    """
    _setup()
    from palermo.core.backup import BackupError
    from palermo.core.backup import restore as restore_archive

    try:
        report = restore_archive(file, force=force)
    except BackupError as exc:
        typer.secho(f"Restore refused: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Restored {file} (backup of {report.manifest['created_at']}).")
    typer.echo(f"Head: entry {report.head[0]}, hash {report.head[1]}")
    for note in report.notes:
        typer.echo(f"Note: {note}")
    if report.problems:
        typer.secho(
            f"Audit verification after restore FAILED ({len(report.problems)} problem(s)):",
            fg=typer.colors.RED,
            err=True,
        )
        for p in report.problems:
            typer.secho(f"  {p}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Audit trail intact: {report.entries} entries verified after restore.")


# Each bounded context may contribute commands in ``<context>/cli.py`` (a Typer ``app``):
# mounted as a group (`palermo investigate …`) or, for a context whose commands are
# everyday verbs, at the top level (`palermo screen FILE`).
for _name, _module, _top_level in [
    ("screening", "palermo.screening.cli", True),
    ("cases", "palermo.cases.cli", False),
    ("stats", "palermo.stats.cli", False),
    ("investigate", "palermo.investigate.cli", False),
    ("keys", "palermo.core.keys_cli", False),  # field-encryption keys (docs/admin-guide.md)
    ("jobs", "palermo.jobs.cli", False),
    ("monitor", "palermo.monitor.cli", False),
    ("supply", "palermo.supply.cli", False),
    ("exercise", "palermo.exercise.cli", False),  # simulation exercises (docs/exercise.md)
    ("prevent", "palermo.prevent.cli", False),
    ("crossborder", "palermo.crossborder.cli", False),
    ("i18n", "palermo.web.i18n_cli", False),  # translations (docs/translating.md)
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
