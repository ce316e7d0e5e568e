"""`palermo backup` / `palermo restore`: the restore drill on SQLite and on PostgreSQL.

Backup → wipe → restore → every table identical and the audit trail verified. The
PostgreSQL drill runs when the suite runs on PostgreSQL (DATABASE_URL=postgres://…).
"""

from __future__ import annotations

import json
import subprocess
import tarfile

import pytest
from django.core.management import call_command
from django.db import connection
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core import anchor, archive, audit, backup
from palermo.core.models import Organisation, User
from palermo.core.services import administrator_create

runner = CliRunner()
on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def audit_keys(tmp_path, settings):
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    anchor.keypair_write(private, public)
    settings.PALERMO_AUDIT_SIGNING_KEY = str(private)
    settings.PALERMO_AUDIT_PUBLIC_KEY = str(public)
    settings.PALERMO_AUDIT_CHECKPOINT_LOG = str(tmp_path / "checkpoints.jsonl")
    settings.PALERMO_FIELD_KEYS_FILE = ""
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture
def world(transactional_db, audit_keys):
    """Organisations, users, audit entries and a checkpoint, committed (a backup tool
    running in another process sees only committed data)."""
    for i in range(3):
        administrator_create(
            username=f"admin{i}",
            email=f"a{i}@example.org",
            organisation_name=f"Ministry {i}",
            org_type="central_government",
            country="RS",
            password="A-long-enough-passphrase-42",
        )
    for i in range(20):
        audit.record(action="read", object_type="case", object_ref=f"C-{i:04d}", details={"i": i})
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    audit.record(action="export", object_type="statistics", object_ref="release-1")
    yield audit_keys
    wiped_away = _schema_exists(WIPED)
    if "core_auditentry" not in connection.introspection.table_names():
        # A test left the schema wiped (a refused restore): the flush needs it back.
        if wiped_away:  # PostgreSQL: the wiped schema, put back (its rows are flushed next)
            with connection.cursor() as cur:
                cur.execute(f"DROP SCHEMA public CASCADE; ALTER SCHEMA {WIPED} RENAME TO public")
        else:
            call_command("migrate", verbosity=0)
    elif wiped_away:
        with connection.cursor() as cur:
            cur.execute(f"DROP SCHEMA {WIPED} CASCADE")


# PostgreSQL: where wipe() moves the schema it takes away, so that a test whose restore is
# refused gets it back in a moment (a migrate takes 15-20 s) instead of rebuilding it.
WIPED = "palermo_test_wiped"


def _schema_exists(name: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    out = {}
    with connection.cursor() as cur:
        for table in sorted(connection.introspection.table_names()):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out[table] = sorted(cur.fetchall(), key=repr)
    return out


def wipe() -> None:
    """The disaster: the database is gone (PostgreSQL: a new empty schema, the old one out of
    Palermo's sight under another name until the test ends; SQLite: all rows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                f"DROP SCHEMA IF EXISTS {WIPED} CASCADE;"
                f" ALTER SCHEMA public RENAME TO {WIPED}; CREATE SCHEMA public"
            )
    else:
        call_command("flush", interactive=False, verbosity=0)
    assert not backup.database_holds_data()


def drill(tmp_path, checkpoints):
    audit.seal()
    before = snapshot()
    head = audit.audit_head()
    path = tmp_path / "palermo.backup"
    result = runner.invoke(app, ["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Audit head in the backup: entry {head[0]}, hash {head[1]}" in result.output

    wipe()
    checkpoints.unlink()  # the machine is gone, with the log that was on it
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Head: entry {head[0]}, hash {head[1]}" in result.output
    assert f"Audit trail intact: {head[0]} entries verified after restore." in result.output
    assert f"checkpoint log restored to {checkpoints}" in result.output
    assert "the manifest's signature is valid" in result.output

    assert snapshot() == before
    assert audit.verify_trail() == []
    assert User.objects.filter(username__startswith="admin").count() == 3
    verify = runner.invoke(app, ["audit", "verify", "--checkpoints", str(checkpoints)])
    assert verify.exit_code == 0, verify.output
    # Palermo works on: new entries chain on from the restored head.
    audit.record(action="read", object_type="case", object_ref="C-after")
    assert audit.verify_trail() == []
    return path


def test_restore_drill_sqlite(world, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite drill")
    path = drill(tmp_path, world)
    with tarfile.open(path) as tar:
        assert sorted(tar.getnames()) == sorted(
            [
                "manifest.json",
                "manifest.sig",
                "database.sqlite3",
                "audit-checkpoints.jsonl",
                "field-keys.json",
            ]
        )


@on_postgres
def test_restore_drill_postgresql(world, tmp_path, monkeypatch):
    calls = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        calls.append((args, kwargs.get("env") or {}))
        return real_run(args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    # Trust authentication ignores it, but it must travel in the environment only.
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "not-in-argv-0xC0FFEE")
    path = drill(tmp_path, world)
    with tarfile.open(path) as tar:
        assert "database.pgdump" in tar.getnames()
    assert [a[0].rsplit("/", 1)[-1] for a, _ in calls] == ["pg_dump", "pg_restore"]
    for args, env in calls:
        assert not any("not-in-argv" in a for a in args)
        assert env["PGPASSWORD"] == "not-in-argv-0xC0FFEE"
    # The restored database still refuses to rewrite the trail.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = 1")


def test_restore_refuses_a_database_with_data_unless_forced(world, tmp_path):
    path = tmp_path / "b.tar"
    assert runner.invoke(app, ["backup", str(path)]).exit_code == 0
    Organisation.objects.create(name="Created after the backup", org_type="ngo", country="RS")
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 2
    assert "already holds data" in result.output and "--force" in result.output
    assert Organisation.objects.filter(name="Created after the backup").exists()

    result = runner.invoke(app, ["restore", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert not Organisation.objects.filter(name="Created after the backup").exists()
    assert "left as is (it is append-only)" in result.output


def test_restore_refuses_a_damaged_archive_and_changes_nothing(world, tmp_path):
    path = tmp_path / "b.tar"
    assert runner.invoke(app, ["backup", str(path)]).exit_code == 0
    with tarfile.open(path) as tar:
        db = next(m for m in tar.getmembers() if m.name.startswith("database."))
    raw = bytearray(path.read_bytes())
    raw[db.offset_data + db.size // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    wipe()
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 2
    assert (
        "archive refused, nothing restored" in result.output and "SHA-256 mismatch" in result.output
    )
    assert not backup.database_holds_data()


def test_restore_reports_a_trail_that_was_tampered_before_the_backup(world, tmp_path):
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 20")
        cur.execute(
            "UPDATE core_auditchainhead SET last_seq = 19, last_hash ="
            " (SELECT hash FROM core_auditentry WHERE seq = 19) WHERE id = 1"
        )
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")
    path = tmp_path / "b.tar"
    assert runner.invoke(app, ["backup", str(path)]).exit_code == 0
    wipe()
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 1
    assert "Audit verification after restore FAILED" in result.output
    assert "checkpoint truncated" in result.output


def test_restore_refuses_another_vendors_backup(world, tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    src = tmp_path / archive.DATABASE_MEMBERS[other]
    src.write_bytes(b"dump")
    manifest = archive.manifest_build(
        vendor=other,
        created_at="2026-12-02T06:00:00.000000Z",
        palermo_version="0.1.0",
        audit_head=(0, "0" * 64),
        members={src.name: archive.file_digest(src)},
    )
    path = tmp_path / "other.tar"
    archive.archive_write(path, manifest, {src.name: src})
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 2 and f"this is a {other} backup" in result.output


def test_backup_never_overwrites_and_needs_its_tools(world, tmp_path, monkeypatch):
    path = tmp_path / "b.tar"
    path.write_text("precious")
    result = runner.invoke(app, ["backup", str(path)])
    assert result.exit_code == 2 and "never overwrites" in result.output
    assert path.read_text() == "precious"
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not on PATH"):
        backup._tool("pg_dump")


def test_key_references_hold_ids_never_key_material(world, tmp_path, settings):
    secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3QtbGVhaw=="
    keys = tmp_path / "field-keys.json"
    keys.write_text(
        json.dumps(
            {
                "keys": [
                    {"id": "k-2026-01", "key": secret, "active": True},
                    {"id": "k-2025-07", "key": secret[::-1]},
                ]
            }
        )
    )
    settings.PALERMO_FIELD_KEYS_FILE = str(keys)
    path = tmp_path / "b.tar"
    assert runner.invoke(app, ["backup", str(path)]).exit_code == 0
    raw = path.read_bytes()
    assert secret.encode() not in raw and secret[::-1].encode() not in raw
    with tarfile.open(path) as tar:
        refs = json.loads(tar.extractfile("field-keys.json").read())
    assert refs == {"source": str(keys), "key_ids": ["k-2025-07", "k-2026-01"]}


@pytest.mark.parametrize(
    "document, ids",
    [
        ({"k1": "material", "k2": "material"}, ["k1", "k2"]),
        ([{"key_id": "a"}, {"id": 7}, "junk"], ["7", "a"]),
        ({"keys": [{"id": "has space"}]}, []),
    ],
)
def test_key_reference_forms(tmp_path, settings, document, ids):
    keys = tmp_path / "k.json"
    keys.write_text(json.dumps(document))
    settings.PALERMO_FIELD_KEYS_FILE = str(keys)
    assert backup.field_key_references()["key_ids"] == ids


def test_no_key_file_means_an_empty_list(settings, tmp_path):
    settings.PALERMO_FIELD_KEYS_FILE = ""
    assert backup.field_key_references() == {"source": None, "key_ids": []}
    settings.PALERMO_FIELD_KEYS_FILE = str(tmp_path / "absent.json")
    refs = backup.field_key_references()
    assert refs["key_ids"] == [] and "could not be read" in refs["error"]


def test_pg_environment_carries_the_connection():
    env = backup.pg_environment(
        {
            "NAME": "palermo",
            "USER": "app",
            "PASSWORD": "pw",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "/etc/ssl/ca.pem"},
        }
    )
    assert (env["PGDATABASE"], env["PGUSER"], env["PGPASSWORD"], env["PGHOST"], env["PGPORT"]) == (
        "palermo",
        "app",
        "pw",
        "db.internal",
        "5433",
    )
    assert env["PGSSLMODE"] == "verify-full" and env["PGSSLROOTCERT"] == "/etc/ssl/ca.pem"


def _forge(path, tmp_path, sign_with=None):
    """Replace the database member and rewrite the manifest to match, as a forger would."""
    work = tmp_path / "forge"
    work.mkdir()
    manifest, files = archive.archive_read(path, work)
    db_name = manifest["database"]["member"]
    files[db_name].write_bytes(files[db_name].read_bytes() + b"\0forged")
    members = {
        n: archive.file_digest(p)
        for n, p in files.items()
        if n not in ("manifest.json", "manifest.sig")
    }
    forged = archive.manifest_build(
        vendor=manifest["database"]["vendor"],
        created_at=manifest["created_at"],
        palermo_version=manifest["palermo_version"],
        audit_head=(manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]),
        members=members,
    )
    raw = archive.manifest_bytes(forged)
    signature = (
        archive.manifest_sign(sign_with, raw) if sign_with else files["manifest.sig"].read_bytes()
    )
    out = tmp_path / "forged.tar"
    archive.archive_write(out, forged, {n: files[n] for n in members}, signature)
    return out


def test_a_forged_archive_with_a_consistent_manifest_is_refused_by_its_signature(world, tmp_path):
    path = tmp_path / "b.tar"
    result = runner.invoke(app, ["backup", str(path)])
    assert result.exit_code == 0, result.output
    with tarfile.open(path) as tar:
        assert "manifest.sig" in tar.getnames()
    wipe()
    result = runner.invoke(app, ["restore", str(_forge(path, tmp_path))])
    assert result.exit_code == 2
    assert "manifest signature does not match" in result.output
    assert not backup.database_holds_data()


def test_an_archive_signed_by_another_key_is_refused(world, tmp_path):
    path = tmp_path / "b.tar"
    assert runner.invoke(app, ["backup", str(path)]).exit_code == 0
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    wipe()
    result = runner.invoke(
        app, ["restore", str(_forge(path, tmp_path, Ed25519PrivateKey.generate()))]
    )
    assert result.exit_code == 2 and "not by the configured public key" in result.output
