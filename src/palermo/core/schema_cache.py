"""Migrating a new SQLite database: copy a migrated empty one instead of replaying history.

Replaying Palermo's and Django's migrations on a new database takes about 12 s of CPU on
the 2-core machine kind (measured 4 Dec 2026: 16 of a profiled 19 s were Django re-rendering
model states between operations, not SQL). Every `palermo exercise create` and `reset`, the
first `palermo demo`, and every test that starts a real `palermo` process paid it.

``migrate`` therefore keeps, in a schema cache, one migrated *empty* SQLite database per
exact set of migrations (its name is a digest of every migration file's bytes, the Django
and SQLite versions and the installed apps). A new database — a file that does not exist
yet, or exists without a single table — starts as a copy of it; Django's ``migrate`` then
runs as always, finds nothing to apply, and runs its post-migrate steps. Any change to a
migration, to Django or to the apps gives another digest, so a stale copy is never used.
An existing database with tables is never touched by this module: it is migrated as before.

The cached file holds the schema, Django's content types and permissions, and what the
migrations themselves write into an empty database (triggers) — no keys, no personal data.
PostgreSQL and in-memory databases are migrated as always.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connections

log = logging.getLogger("palermo.schema_cache")


def migrate(*, verbosity: int = 0, stdout: Any = None) -> None:
    """Bring the default database up to date (``manage.py migrate``), starting a new SQLite
    database from the cached migrated copy when there is one."""
    target = _new_sqlite_file()
    cache = cache_dir()
    if target is None or cache is None:
        _migrate(verbosity, stdout)
        return
    template = cache / f"schema-{fingerprint()}.sqlite3"
    if template.is_file():
        connections["default"].close()
        _remove(target)
        try:
            _copy(template, target)
        except (OSError, sqlite3.Error) as exc:  # an unreadable copy costs speed, never a database
            log.warning(
                "schema_cache_unusable", extra={"event": "schema_cache_unusable", "error": str(exc)}
            )
            _remove(target)
        else:
            log.info("schema_cache_used", extra={"event": "schema_cache_used"})
            _migrate(verbosity, stdout)  # nothing to apply: checks so, runs post-migrate steps
            return
    _migrate(verbosity, stdout)
    _save(target, template)


def cache_dir() -> Path | None:
    """Where migrated copies are kept: PALERMO_SCHEMA_CACHE_DIR, else the instance's
    ``VAR_DIR/cache/schema``; None when it is set to an empty value (no cache)."""
    configured = os.environ.get("PALERMO_SCHEMA_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    return Path(settings.VAR_DIR) / "cache" / "schema"


def fingerprint() -> str:
    """A digest of everything that decides the schema a migrate gives."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    h = hashlib.sha256()
    h.update(f"django {django.__version__}\0sqlite {sqlite3.sqlite_version}\0".encode())
    h.update("\0".join(settings.INSTALLED_APPS).encode() + b"\0")
    h.update(str(settings.AUTH_USER_MODEL).encode() + b"\0")
    for key in sorted(loader.disk_migrations):
        migration = loader.disk_migrations[key]
        h.update("\0".join(key).encode() + b"\0")
        h.update(Path(sys.modules[type(migration).__module__].__file__ or "").read_bytes())
    return h.hexdigest()[:32]


def _migrate(verbosity: int, stdout: Any) -> None:
    kwargs: dict[str, Any] = {"interactive": False, "verbosity": verbosity}
    if stdout is not None:
        kwargs["stdout"] = stdout
    call_command("migrate", **kwargs)


def _new_sqlite_file() -> Path | None:
    """The default database's file when it is SQLite and new (missing, or without a table)."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("sqlite3"):
        return None
    name = str(db["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    if not path.exists():
        return path
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (tables,) = con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None  # not ours to judge: migrate reports what is wrong with it
    return path if tables == 0 else None


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)


def _copy(template: Path, target: Path) -> None:
    """Copy through SQLite's backup API (a consistent copy even if another process is
    writing the cached file), into a temporary file renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".schema-", suffix=".sqlite3")
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save(database: Path, template: Path) -> None:
    """Keep a compact copy of the freshly migrated database. A failure here costs only
    speed: it is logged, never raised."""
    tmp = template.parent / f".schema-{os.getpid()}-{os.urandom(4).hex()}.sqlite3"
    try:
        template.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        con = sqlite3.connect(database)
        try:
            con.execute("VACUUM INTO ?", (str(tmp),))
        finally:
            con.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, template)  # atomic: a reader sees the old file or the whole new one
    except (OSError, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        log.warning(
            "schema_cache_not_saved", extra={"event": "schema_cache_not_saved", "error": str(exc)}
        )
