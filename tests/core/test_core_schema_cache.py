"""A new SQLite database starts as a copy of a migrated empty one (palermo.core.schema_cache).

Real ``palermo migrate`` processes, each on its own file, with a cache folder of the test's
own (not the run's shared one), so the first migrate here is a real replay of the migrations.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def _env(tmp_path: Path, cache: Path | str, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALERMO_")}
    env.update(
        PALERMO_VAR_DIR=str(tmp_path),
        PALERMO_DEMO="1",  # the demo's key handling: a field-key file of its own in var/
        SECRET_KEY="schema-cache-" + "x" * 60,
        DATABASE_URL=f"sqlite:///{db}",
        PALERMO_SCHEMA_CACHE_DIR=str(cache),
    )
    return env


def _migrate(tmp_path: Path, cache: Path | str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palermo.cli", "migrate"],
        env=_env(tmp_path, cache, db),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _content(db: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Every schema statement and every row, in a comparable form (the moment each migration
    was applied left out)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        schema = sorted(r[0] or "" for r in con.execute("SELECT sql FROM sqlite_master"))
        rows = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cols = [
                r[1]
                for r in con.execute(f'PRAGMA table_info("{table}")')
                if not (table == "django_migrations" and r[1] == "applied")
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            rows[table] = sorted(map(repr, con.execute(f'SELECT {select} FROM "{table}"')))  # noqa: S608 – names from the schema
        return schema, rows
    finally:
        con.close()


def test_a_new_database_is_a_copy_of_the_first_migrated_one(tmp_path):
    cache = tmp_path / "cache"
    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"

    r = _migrate(tmp_path, cache, first)
    assert r.returncode == 0, r.stderr
    assert "Applying cases.0001" in r.stdout  # a real replay of the migrations
    (template,) = cache.glob("schema-*.sqlite3")
    assert oct(template.stat().st_mode & 0o777) == "0o600"

    r = _migrate(tmp_path, cache, second)
    assert r.returncode == 0, r.stderr
    assert "No migrations to apply" in r.stdout
    assert "schema_cache_used" in r.stderr
    assert _content(second) == _content(first)
    _, rows = _content(second)
    assert rows["django_content_type"] and rows["auth_permission"]  # post-migrate rows too

    # A database that has tables is never replaced: it is migrated as before.
    con = sqlite3.connect(second)
    con.execute(
        "INSERT INTO core_organisation (name, org_type, country, is_identification_body,"
        " is_active, created_at) VALUES ('Kept', 'ngo', 'XK', 0, 1, '2026-12-04 00:00:00')"
    )
    con.commit()
    con.close()
    r = _migrate(tmp_path, cache, second)
    assert r.returncode == 0, r.stderr
    assert "schema_cache_used" not in r.stderr
    con = sqlite3.connect(second)
    assert con.execute("SELECT name FROM core_organisation").fetchall() == [("Kept",)]
    con.close()


def test_an_unreadable_copy_costs_speed_never_a_database(tmp_path, monkeypatch, caplog):
    """The copy fails (a file that is no database): the half-made target is removed, the
    migrations are replayed for real, and a good copy is kept again."""
    from palermo.core import schema_cache

    cache = tmp_path / "cache"
    cache.mkdir()
    template = cache / f"schema-{schema_cache.fingerprint()}.sqlite3"
    template.write_bytes(b"not a database")
    target = tmp_path / "new.sqlite3"
    replayed: list[bool] = []
    saved: list[tuple[Path, Path]] = []
    monkeypatch.setenv("PALERMO_SCHEMA_CACHE_DIR", str(cache))
    monkeypatch.setattr(schema_cache, "_new_sqlite_file", lambda: target)
    monkeypatch.setattr(schema_cache, "_migrate", lambda v, o: replayed.append(target.exists()))
    monkeypatch.setattr(schema_cache, "_save", lambda db, t: saved.append((db, t)))

    schema_cache.migrate()

    assert "schema_cache_unusable" in caplog.text
    assert replayed == [False]  # one real migrate, on a new file (the failed copy removed)
    assert saved == [(target, template)]  # and a good copy made from it


def test_an_empty_setting_switches_the_cache_off(monkeypatch):
    from palermo.core import schema_cache

    monkeypatch.setenv("PALERMO_SCHEMA_CACHE_DIR", "")
    assert schema_cache.cache_dir() is None
    monkeypatch.delenv("PALERMO_SCHEMA_CACHE_DIR")
    assert str(schema_cache.cache_dir()).endswith("cache/schema")  # the instance's var dir


def test_the_fingerprint_follows_every_migration_file(monkeypatch):
    from palermo.core import schema_cache

    before = schema_cache.fingerprint()
    assert schema_cache.fingerprint() == before  # stable
    real = Path.read_bytes

    def edited(self: Path) -> bytes:
        data = real(self)
        return (
            data + b"\n# edited"
            if self.name == "0001_initial.py" and "supply" in str(self)
            else data
        )

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert schema_cache.fingerprint() != before
