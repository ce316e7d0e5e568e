"""Security regression (issue 11, item 2): the four tamperings of the stored audit trail.

Someone with write access to the database (a superuser, a stolen backup put back)
edits an entry, deletes one in the middle, deletes the newest ones, or deletes the
newest ones and rewrites the head row to match. The chain alone finds the first
three; the last one only a checkpoint signed outside the database can reveal, and
before checkpoints existed it went unnoticed (``test_chain_alone_misses_...``).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core import anchor, audit
from palermo.core.chain import entry_hash
from palermo.core.models import AuditEntry

runner = CliRunner()


@contextmanager
def as_database_superuser():
    """Go around Palermo as a database superuser can: on PostgreSQL, switch the
    append-only trigger off for this session (its refusal is tested in
    tests/core/test_core_audit.py)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            yield cur
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def record(n: int, start: int = 1) -> None:
    for i in range(start, start + n):
        audit.record(action="read", object_type="case", object_ref=f"C-{i:04d}", details={"i": i})


@pytest.fixture
def keys(tmp_path, settings):
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    anchor.keypair_write(private, public)
    settings.PALERMO_AUDIT_SIGNING_KEY = str(private)
    settings.PALERMO_AUDIT_PUBLIC_KEY = ""
    settings.PALERMO_AUDIT_CHECKPOINT_LOG = str(tmp_path / "checkpoints.jsonl")
    return private, public


@pytest.fixture
def anchored(db, keys, tmp_path):
    """Eight entries, a checkpoint at 5 and one at 8; returns the checkpoint log's path."""
    record(5)
    assert runner.invoke(app, ["audit", "checkpoint"]).exit_code == 0
    record(3, start=6)
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return tmp_path / "checkpoints.jsonl"


def verify(log, *extra):
    return runner.invoke(app, ["audit", "verify", "--checkpoints", str(log), *extra])


def rewrite_head(cur, seq: int) -> None:
    cur.execute("SELECT hash FROM core_auditentry WHERE seq = %s", [seq])
    (last_hash,) = cur.fetchone()
    cur.execute(
        "UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
        [seq, last_hash],
    )


# --- untouched -----------------------------------------------------------------------


def test_an_untouched_trail_agrees_with_its_checkpoints(anchored):
    head = AuditEntry.objects.get(seq=8)
    result = verify(anchored)
    assert result.exit_code == 0, result.output
    assert f"Head: entry 8, hash {head.hash}" in result.output
    assert "Audit trail intact: 8 entries verified." in result.output
    assert "Checkpoints: 2 verified" in result.output and "newest: entry 8" in result.output


def test_new_entries_after_the_last_checkpoint_are_fine(anchored):
    record(4, start=9)
    result = verify(anchored)  # not sealed yet: checked one by one
    assert result.exit_code == 0, result.output
    assert "Head: entry 8" in result.output
    assert (
        "intact: 12 entries verified" in result.output and "4 of them not sealed" in result.output
    )
    assert runner.invoke(app, ["audit", "seal"]).exit_code == 0
    result = verify(anchored)
    assert result.exit_code == 0, result.output
    assert "Head: entry 12" in result.output and "not sealed" not in result.output


# --- the four tamperings -------------------------------------------------------------


def test_1_edited_entry_is_detected(anchored):
    with as_database_superuser() as cur:
        cur.execute("UPDATE core_auditentry SET object_ref = 'C-9999' WHERE seq = 3")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "entry 3: edited" in result.output


def test_2_deleted_middle_entry_is_detected(anchored):
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = 4")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "entries 4 missing before entry 5" in result.output


def test_3_deleted_tail_is_detected(anchored):
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 7")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "entries 7–8 missing at the end of the trail" in result.output
    assert (
        "truncated" in result.output
        and "holds entry 8, but the trail ends at entry 6" in result.output
    )


def test_chain_alone_misses_a_deleted_tail_with_a_rewritten_head(anchored):
    # The gap issue 11 found: this is why checkpoints exist.
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 7")
        rewrite_head(cur, 6)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0
    assert "Head: entry 6" in result.output


def test_4_deleted_tail_with_rewritten_head_is_detected(anchored):
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 7")
        rewrite_head(cur, 6)
    result = verify(anchored)
    assert result.exit_code == 1
    assert "Audit trail intact: 6 entries" in result.output  # the chain is consistent …
    assert "Checkpoints FAILED" in result.output  # … but shorter than what was signed
    assert "truncated: line 2: checkpoint of" in result.output
    assert "holds entry 8, but the trail ends at entry 6" in result.output


def test_4b_deleted_tail_rewritten_and_refilled_is_detected(anchored):
    # Going further: replace entries 6–8 by forged ones with a consistent chain and head.
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 6")
        rewrite_head(cur, 5)
    record(3, start=106)  # Palermo's own writer, so every hash is "right"
    audit.seal()
    assert audit.verify_trail() == []
    result = verify(anchored)
    assert result.exit_code == 1
    assert "rewritten: line 2: entry 8 no longer has the hash signed at" in result.output


# --- the checkpoint log itself ---------------------------------------------------------


def _lines(log):
    return log.read_text().splitlines()


def test_an_altered_checkpoint_line_is_refused(anchored):
    # Someone who truncated the trail to 6 entries edits the newest checkpoint to match.
    lines = _lines(anchored)
    body = json.loads(lines[1])
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 7")
        rewrite_head(cur, 6)
    body["seq"], body["hash"] = 6, AuditEntry.objects.get(seq=6).hash
    anchored.write_text(lines[0] + "\n" + json.dumps(body) + "\n")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "bad_signature: line 2: signature does not match" in result.output


def test_a_checkpoint_forged_with_another_key_is_refused(anchored, tmp_path):
    forger = tmp_path / "forger.key"
    anchor.keypair_write(forger, tmp_path / "forger.pub")
    cp = anchor.checkpoint_sign(
        anchor.private_key_read(forger),
        seq=3,
        head_hash="f" * 64,
        at=AuditEntry.objects.get(seq=3).at,
    )
    with anchored.open("a") as f:
        f.write(anchor.checkpoint_line(cp) + "\n")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "unknown_key: line 3: signed by key" in result.output


def test_a_garbled_line_is_reported_not_skipped(anchored):
    with anchored.open("a") as f:
        f.write('{"format": "palermo-audit-checkpoint/1", "seq": 8}\n')
    result = verify(anchored)
    assert result.exit_code == 1
    assert "malformed: line 3: not a checkpoint" in result.output


def test_the_public_key_alone_verifies(anchored, keys, settings):
    settings.PALERMO_AUDIT_SIGNING_KEY = ""  # the verifier never holds the private key
    _, public = keys
    assert verify(anchored, "--public-key", str(public)).exit_code == 0
    settings.PALERMO_AUDIT_PUBLIC_KEY = str(public)
    assert verify(anchored).exit_code == 0


def test_verify_cannot_run_without_a_key_or_a_log(anchored, settings, tmp_path):
    settings.PALERMO_AUDIT_SIGNING_KEY = ""
    result = verify(anchored)
    assert result.exit_code == 2 and "needs a public key" in result.output
    result = verify(tmp_path / "absent.jsonl", "--public-key", str(tmp_path / "audit.pub"))
    assert result.exit_code == 2 and "Cannot read the checkpoint log" in result.output


# --- the checkpoint command ------------------------------------------------------------


def test_checkpoint_prints_exactly_the_signed_line_and_appends_it(db, keys, tmp_path):
    record(2)
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    cp = anchor.checkpoint_parse(line)
    assert (cp.seq, cp.hash) == (2, AuditEntry.objects.get(seq=2).hash)
    assert anchor.signature_valid(cp, anchor.public_key_read(keys[1]))
    assert _lines(tmp_path / "checkpoints.jsonl") == [line]
    assert "appended to" in result.stderr


def test_checkpoint_without_a_log_only_prints(db, keys, settings, tmp_path):
    settings.PALERMO_AUDIT_CHECKPOINT_LOG = ""
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 0
    assert anchor.checkpoint_parse(result.stdout).seq == 0
    assert not (tmp_path / "checkpoints.jsonl").exists()


def test_checkpoint_refuses_a_missing_or_open_key(db, keys, settings):
    private, _ = keys
    private.chmod(0o640)
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 2 and "open to other users" in result.output
    settings.PALERMO_AUDIT_SIGNING_KEY = ""
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 2 and "No signing key" in result.output


def test_checkpoint_refuses_to_sign_a_head_its_entry_contradicts(db, keys, tmp_path):
    record(3)
    audit.seal()
    with as_database_superuser() as cur:
        cur.execute("UPDATE core_auditchainhead SET last_hash = %s WHERE id = 1", ["e" * 64])
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 1 and "does not match the stored entry" in result.output
    assert not (tmp_path / "checkpoints.jsonl").exists()


def test_keygen_command(tmp_path):
    private, public = tmp_path / "k.key", tmp_path / "k.pub"
    result = runner.invoke(
        app, ["audit", "keygen", "--private-key", str(private), "--public-key", str(public)]
    )
    assert result.exit_code == 0, result.output
    assert anchor.key_id(anchor.public_key_read(public)) in result.output
    again = runner.invoke(
        app, ["audit", "keygen", "--private-key", str(private), "--public-key", str(public)]
    )
    assert again.exit_code == 2 and "never overwritten" in again.output


def test_verify_reads_entries_written_by_the_writer_exactly(db):
    # The fast verification path agrees with the writer's reference hash, entry by entry,
    # for awkward values (unicode, nested details, floats, empty strings).
    audit.record(
        action="update",
        object_type="case",
        object_ref="C-ü-1",
        details={
            "fields": ["naïve", "名前"],
            "ratio": 0.1,
            "big": 10**17,
            "nested": {"b": 1, "a": []},
        },
    )
    audit.record(action="read", details={})
    for e in AuditEntry.objects.order_by("id").values():
        assert entry_hash(e["prev_hash"], e) == e["hash"]
    assert audit.verify_trail() == []


def test_a_database_error_while_verifying_reaches_the_caller(db, monkeypatch):
    from palermo.core import audit as audit_module

    record(3)
    monkeypatch.setitem(audit_module._ROW_SQL, connection.vendor, "SELECT * FROM no_such_table")
    with pytest.raises(Exception, match="no_such_table"):
        audit.verify_trail()


def test_the_fetch_thread_hands_over_every_batch_then_its_failure():
    from palermo.core.audit import _prefetched

    batches = [[(1,)], [(2,)], [(3,)]]

    def fetchmany(n):
        if batches:
            return batches.pop(0)
        raise OSError("connection lost")

    got = []
    with pytest.raises(OSError, match="connection lost"):
        for batch in _prefetched(fetchmany):
            got.append(batch)
    assert got == [[(1,)], [(2,)], [(3,)]]


def test_a_consumer_that_stops_early_does_not_leave_the_thread_behind():
    import threading

    from palermo.core.audit import _prefetched

    stream = _prefetched(lambda n: [(1,)])  # endless
    assert next(stream) == [(1,)]
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "audit-verify-fetch"]


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_garbage_typed_into_sqlite_columns_is_reported_not_a_crash(anchored):
    # SQLite keeps any text in any column: verification must report it, not stop.
    with as_database_superuser() as cur:
        cur.execute("UPDATE core_auditentry SET at = 'yesterday' WHERE seq = 2")
        cur.execute("UPDATE core_auditentry SET seq = 'three' WHERE seq = 3")
    result = verify(anchored)
    assert result.exit_code == 1
    assert "entry 2: edited" in result.output
    assert "has no valid seq" in result.output
