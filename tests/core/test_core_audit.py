"""The stored audit trail: append-only, and `palermo audit verify` finds tampering."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core import audit
from palermo.core.models import AuditEntry

runner = CliRunner()


@contextmanager
def bypassing_guards():
    """What an attacker with database access would do: go around Palermo.

    On PostgreSQL the append-only trigger must be side-stepped too (as a
    superuser can); that it otherwise refuses is tested below."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            yield cur
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def trail(db):
    for i in range(1, 8):
        audit.record(action="read", object_type="case", object_ref=f"C-{i:04d}", details={"i": i})
    assert audit.seal() == 7
    return list(AuditEntry.objects.order_by("id"))


def verify_cli():
    return runner.invoke(app, ["audit", "verify"])


def test_intact_trail(trail):
    assert audit.verify_trail() == []
    result = verify_cli()
    assert result.exit_code == 0, result.output
    assert "intact: 7 entries" in result.output


def test_entries_are_append_only_through_the_orm(trail):
    entry = trail[0]
    entry.object_ref = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_update_and_delete(trail):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET object_ref = 'x' WHERE seq = 1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = 1")


def test_hand_edited_entry_is_reported(trail):
    with bypassing_guards() as cur:
        cur.execute("UPDATE core_auditentry SET object_ref = 'C-9999' WHERE seq = 3")
    problems = audit.verify_trail()
    assert [(p.seq, p.kind) for p in problems] == [(3, "edited")]
    result = verify_cli()
    assert result.exit_code == 1
    assert "entry 3: edited" in result.output


def test_deleted_entry_is_reported(trail):
    with bypassing_guards() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = 4")
    problems = audit.verify_trail()
    assert (5, "deleted") in [(p.seq, p.kind) for p in problems]
    result = verify_cli()
    assert result.exit_code == 1
    assert "entries 4 missing before entry 5" in result.output


def test_deleted_newest_entry_is_reported(trail):
    with bypassing_guards() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = 7")
    problems = audit.verify_trail()
    assert [(p.seq, p.kind) for p in problems] == [(7, "deleted")]


def test_inserted_entry_is_reported(trail):
    forged = trail[2]
    with bypassing_guards() as cur:
        # Renumber to open a gap, then insert a forged entry that copies a real hash.
        cur.execute("UPDATE core_auditentry SET seq = seq + 100 WHERE seq >= 5")
        cur.execute(
            "INSERT INTO core_auditentry (seq, at, actor_id, actor_username, organisation_id, action, object_type,"
            " object_ref, purpose, outcome, client, details, prev_hash, hash)"
            " VALUES (5, %s, NULL, '', NULL, 'read', 'case', 'C-forged', '', 'ok', '', %s, %s, %s)",
            [forged.at, '{"i": 5}', forged.hash, forged.hash],
        )
    problems = audit.verify_trail()
    kinds = {(p.seq, p.kind) for p in problems}
    assert (5, "edited") in kinds
    result = verify_cli()
    assert result.exit_code == 1
    assert "entry 5" in result.output


def test_audit_off_records_nothing(db, settings):
    settings.PALERMO_AUDIT_ENABLED = False
    assert audit.record(action="read", object_type="case", object_ref="C-1") is None
    assert AuditEntry.objects.count() == 0


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        audit.record(action="peek")


def test_sequence_has_no_gaps(trail):
    assert [e.seq for e in trail] == list(range(1, 8))
    assert trail[0].prev_hash == "0" * 64
    for a, b in zip(trail, trail[1:], strict=False):
        assert b.prev_hash == a.hash
