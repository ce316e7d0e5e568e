"""`palermo backup` and `palermo restore`: one archive holding the database, the audit
checkpoint log and the field-encryption key references (``core/archive.py``).

PostgreSQL goes through ``pg_dump``/``pg_restore`` (custom format), found on PATH. The
connection reaches them through the environment (PGHOST, PGUSER, PGPASSWORD, …), never
the command line, where other users of the machine could read a password. The dump is
taken in a snapshot exported from a REPEATABLE READ transaction, so the audit head
recorded in the manifest is exactly the one inside the dump.

SQLite goes through its online backup API (``sqlite3.Connection.backup``): a consistent
copy even while Palermo serves requests.

Restore checks the whole archive against its manifest before touching the database,
refuses a database that already holds data unless forced, and verifies the restored audit
trail (chain, recorded head, and the archive's checkpoints when a public key is
configured) before reporting success.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from palermo.core import archive

CHECKPOINTS = "audit-checkpoints.jsonl"
FIELD_KEYS = "field-keys.json"
# Filled by `palermo migrate` itself: a database holding only these is empty.
_SCHEMA_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    entries: int = 0
    head: tuple[int, str] = (0, "")
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- what goes beside the database -------------------------------------------------------


def field_key_references() -> dict[str, Any]:
    """The ids of the field-encryption keys in use — never the keys themselves.

    Reads ``settings.PALERMO_FIELD_KEYS_FILE`` (JSON) when the deployment has one and
    keeps only key identifiers: ``{"keys": [{"id": …}, …]}``, ``[{"id": …}, …]`` or
    ``{"<id>": <key>, …}``. A restore needs the same keys to read encrypted fields; this
    list says which ones to fetch from where keys are kept.
    """
    source = str(getattr(settings, "PALERMO_FIELD_KEYS_FILE", "") or "")
    refs: dict[str, Any] = {"source": source or None, "key_ids": []}
    if not source:
        return refs
    try:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        refs["error"] = "the key file could not be read as JSON; no key ids recorded"
        return refs
    entries: Any = document.get("keys", document) if isinstance(document, dict) else document
    ids: list[str] = []
    if isinstance(entries, list):
        for entry in entries:
            kid = entry.get("id", entry.get("key_id")) if isinstance(entry, dict) else None
            if isinstance(kid, str | int):
                ids.append(str(kid))
    elif isinstance(entries, dict):
        ids = [str(k) for k in entries]
    refs["key_ids"] = sorted({k for k in ids if _KEY_ID.fullmatch(k)})
    return refs


def _checkpoint_log() -> Path | None:
    configured = getattr(settings, "PALERMO_AUDIT_CHECKPOINT_LOG", "")
    return Path(configured) if configured else None


# --- PostgreSQL ---------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not on PATH. Install the PostgreSQL client tools of the server's "
            "version or newer (Debian: apt install postgresql-client)."
        )
    return found


def pg_environment(db: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for ``db`` (a Django settings dict): the password travels here."""
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    options = db.get("OPTIONS") or {}
    for key, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(key):
            env[var] = str(options[key])
    env.setdefault("PGAPPNAME", "palermo-backup")
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 – fixed tool, our arguments
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(
            f"{what} failed: {' / '.join(detail[-3:]) or f'exit status {result.returncode}'}"
        )


def _pg_dump(target: Path) -> tuple[int, str]:
    from palermo.core.audit import audit_head

    pg_dump = _tool("pg_dump")
    env = pg_environment(connection.settings_dict)
    if connection.in_atomic_block:
        raise BackupError("a PostgreSQL backup must run outside any open transaction")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cur.fetchone()
        head = audit_head()
        # pg_dump reads the very snapshot this transaction holds open.
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env,
            "pg_dump",
        )
    return head


def _pg_restore(source: Path) -> None:
    pg_restore = _tool("pg_restore")
    env = pg_environment(connection.settings_dict)
    name = str(connection.settings_dict["NAME"])
    connection.close()
    _run(
        [
            pg_restore,
            "--no-password",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={name}",
            str(source),
        ],
        env,
        "pg_restore",
    )


# --- SQLite -------------------------------------------------------------------------------


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _sqlite_dump(target: Path) -> tuple[int, str]:
    with sqlite3.connect(target) as copy:
        _raw_sqlite().backup(copy)
        row = copy.execute(
            "SELECT last_seq, last_hash FROM core_auditchainhead WHERE id = 1"
        ).fetchone()
    copy.close()
    from palermo.core.chain import GENESIS

    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def _sqlite_restore(source: Path) -> None:
    if connection.in_atomic_block:
        raise BackupError("a restore must run outside any open transaction")
    src = sqlite3.connect(source)
    try:
        src.backup(_raw_sqlite())
    finally:
        src.close()


# --- the two commands ---------------------------------------------------------------------


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="palermo-backup-") as tmp:
        os.chmod(tmp, 0o700)  # the dump holds personal data
        yield Path(tmp)


def backup_create(path: Path) -> dict[str, Any]:
    """Write one archive at ``path`` (which must not exist); returns its manifest."""
    from palermo import __version__

    vendor = connection.vendor
    if vendor not in archive.DATABASE_MEMBERS:
        raise BackupError(f"backups of {vendor} databases are not supported")
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites a file")
    with _workdir() as work:
        files: dict[str, Path] = {}
        db_member = archive.DATABASE_MEMBERS[vendor]
        files[db_member] = work / db_member
        head = (
            _pg_dump(files[db_member]) if vendor == "postgresql" else _sqlite_dump(files[db_member])
        )
        log = _checkpoint_log()
        if log is not None and log.exists():
            files[CHECKPOINTS] = work / CHECKPOINTS
            shutil.copyfile(log, files[CHECKPOINTS])
        files[FIELD_KEYS] = work / FIELD_KEYS
        files[FIELD_KEYS].write_text(json.dumps(field_key_references(), indent=2, sort_keys=True))
        manifest = archive.manifest_build(
            vendor=vendor,
            created_at=timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            palermo_version=__version__,
            audit_head=head,
            members={name: archive.file_digest(p) for name, p in files.items()},
        )
        signer = _signing_key()
        signature = (
            archive.manifest_sign(signer, archive.manifest_bytes(manifest)) if signer else None
        )
        try:
            archive.archive_write(path, manifest, files, signature)
        except OSError as exc:
            raise BackupError(f"cannot write {path}: {exc.strerror}") from exc
    return manifest


def database_holds_data() -> list[str]:
    """The tables that hold rows, beyond what `palermo migrate` itself writes."""
    tables = [t for t in connection.introspection.table_names() if t not in _SCHEMA_TABLES]
    full = []
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608 – names from the catalogue
            if cur.fetchone():
                full.append(table)
    return full


def restore(path: Path, *, force: bool = False) -> RestoreReport:
    """Check, restore and verify; raises ``BackupError`` before any change if it cannot."""
    from palermo.core import anchor
    from palermo.core.audit import verify_trail_report

    vendor = connection.vendor
    with _workdir() as work:
        try:
            manifest, files = archive.archive_read(path, work)
        except archive.ArchiveError as exc:
            raise BackupError(f"archive refused, nothing restored: {exc}") from exc
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"this is a {manifest['database']['vendor']} backup; the configured database is {vendor}"
            )
        keys = _public_keys()  # an unusable key stops the restore before it starts
        notes: list[str] = []
        if archive.SIGNATURE in files and keys:
            problem = archive.manifest_signature_problem(
                files[archive.MANIFEST].read_bytes(), files[archive.SIGNATURE].read_bytes(), keys
            )
            if problem:
                raise BackupError(f"archive refused, nothing restored: {problem}")
            notes.append("the manifest's signature is valid")
        elif archive.SIGNATURE in files:
            notes.append("the manifest's signature was not checked: no public key configured")
        elif keys:
            notes.append("the archive is not signed (no signing key where it was made)")
        occupied = database_holds_data()
        if occupied and not force:
            raise BackupError(
                f"the database already holds data ({', '.join(occupied[:5])}"
                f"{' …' if len(occupied) > 5 else ''}); restore into an empty database, "
                "or pass --force to replace everything in it"
            )
        source = files[manifest["database"]["member"]]
        if vendor == "postgresql":
            _pg_restore(source)
        else:
            _sqlite_restore(source)

        report = RestoreReport(manifest=manifest, notes=notes)
        log: anchor.CheckpointLog | None = None
        if CHECKPOINTS in files:
            if keys:
                with files[CHECKPOINTS].open(encoding="utf-8", errors="replace") as lines:
                    log = anchor.checkpoint_log_read(lines, keys)
            else:
                report.notes.append(
                    "the archive's checkpoints were not checked: no public key configured "
                    "(PALERMO_AUDIT_PUBLIC_KEY)"
                )
            live = _checkpoint_log()
            if live is not None and not live.exists():
                shutil.copyfile(files[CHECKPOINTS], live)
                report.notes.append(f"checkpoint log restored to {live}")
            elif live is not None:
                report.notes.append(f"{live} exists and was left as is (it is append-only)")

    chain, head_seq, head_hash = verify_trail_report(log.wanted() if log else frozenset())
    report.entries, report.head = chain.entries + chain.unsealed, (head_seq, head_hash)
    report.problems += [f"{p.where}: {p.kind}: {p.message}" for p in chain.problems]
    if chain.more:
        report.problems.append(f"… and {chain.more} more problem(s) in the chain, not listed")
    if log is not None:
        anchored = list(log.problems) + anchor.checkpoints_compare(log, chain.found, chain.last_seq)
        report.problems += [f"checkpoint {a.kind}: {a.message}" for a in anchored]
    want = manifest["audit_head"]
    if (head_seq, head_hash) != (want["seq"], want["hash"]):
        report.problems.append(
            f"restored audit head is entry {head_seq}, the backup recorded entry {want['seq']}"
        )
    return report


def _signing_key() -> Any:
    from palermo.core import anchor

    configured = getattr(settings, "PALERMO_AUDIT_SIGNING_KEY", "")
    if not configured:
        return None
    try:
        return anchor.private_key_read(Path(configured))
    except anchor.KeyFileError as exc:
        raise BackupError(f"unusable audit signing key: {exc}") from exc


def _public_keys() -> list[Any]:
    from palermo.core import anchor

    try:
        if getattr(settings, "PALERMO_AUDIT_PUBLIC_KEY", ""):
            return [anchor.public_key_read(Path(settings.PALERMO_AUDIT_PUBLIC_KEY))]
        if getattr(settings, "PALERMO_AUDIT_SIGNING_KEY", ""):
            return [anchor.private_key_read(Path(settings.PALERMO_AUDIT_SIGNING_KEY)).public_key()]
    except anchor.KeyFileError as exc:
        raise BackupError(f"unusable audit key: {exc}") from exc
    return []
