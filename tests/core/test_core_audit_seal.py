"""Writing and sealing the audit trail in two steps (issue 13, item 2).

``record`` writes an entry with no chain position and the hash of its own content;
``seal`` chains the committed entries in insertion order. Tampering must be found
whether it hits sealed or unsealed entries, and sealing must keep each writer's order.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core import anchor, audit
from palermo.core.chain import GENESIS, UNSEALED, entry_hash
from palermo.core.models import AuditChainHead, AuditEntry

runner = CliRunner()
on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="row locks and the trigger: PostgreSQL only"
)


@contextmanager
def as_database_superuser():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            yield cur
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def record(n: int, start: int = 1) -> list[int]:
    return [
        audit.record(action="read", object_type="case", object_ref=f"C-{i:04d}", details={"i": i})
        for i in range(start, start + n)
    ]


def verify_cli(*extra):
    return runner.invoke(app, ["audit", "verify", *extra])


# --- writing and sealing -------------------------------------------------------------


def test_record_writes_an_unsealed_entry_that_hashes_its_own_content(db):
    (entry_id,) = record(1)
    e = AuditEntry.objects.values().get(id=entry_id)
    assert e["seq"] is None and e["prev_hash"] == UNSEALED
    assert entry_hash(UNSEALED, e) == e["hash"]
    assert not AuditChainHead.objects.exists()  # writers never touch the head


def test_seal_chains_in_insertion_order_and_moves_the_head(db):
    ids = record(5)
    assert audit.seal() == 5
    entries = list(AuditEntry.objects.order_by("id").values())
    assert [e["id"] for e in entries] == ids
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    prev = GENESIS
    for e in entries:
        assert e["prev_hash"] == prev and entry_hash(prev, e) == e["hash"]
        prev = e["hash"]
    assert audit.audit_head() == (5, prev)
    assert audit.seal() == 0  # nothing left: idempotent
    record(2, start=6)
    assert audit.seal(batch=1) == 2  # several rounds
    assert audit.audit_head()[0] == 7
    assert audit.verify_trail() == []


def test_seal_command(db):
    record(3)
    result = runner.invoke(app, ["audit", "seal"])
    assert result.exit_code == 0, result.output
    assert "Sealed 3 entries. Head: entry 3" in result.output


def test_verify_counts_sealed_and_unsealed(db):
    record(3)
    audit.seal()
    record(2, start=4)
    report, head_seq, _ = audit.verify_trail_report()
    assert (report.entries, report.unsealed, head_seq, report.problems) == (3, 2, 3, [])
    result = verify_cli()
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries verified" in result.output and "2 of them not sealed" in result.output


def test_a_rolled_back_change_leaves_no_entry(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(1)
        raise RuntimeError("the action failed")
    assert AuditEntry.objects.count() == 0
    assert audit.seal() == 0


# PostgreSQL's jsonb holds no NUL character (nor lone surrogates): details never carry them.
_text = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=4),
            st.dictionaries(
                _text,
                st.one_of(st.integers(-(10**12), 10**12), _text, st.booleans()),
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_interleaving_of_writes_and_seals_gives_one_valid_chain(db, rounds):
    # One database for every example (entries are append-only): count from the head.
    before = audit.audit_head()[0]
    written = 0
    for n, details in rounds:
        for _ in range(n):
            audit.record(action="update", object_type="case", object_ref="C-1", details=details)
        written += n
        audit.seal(batch=3)
    assert audit.audit_head()[0] == before + written
    assert audit.verify_trail() == []


# --- tampering with unsealed entries -------------------------------------------------


def test_edited_unsealed_entry_is_reported_and_never_sealed(db, tmp_path):
    record(2)
    audit.seal()
    ids = record(3, start=3)
    with as_database_superuser() as cur:
        cur.execute("UPDATE core_auditentry SET object_ref = 'C-9999' WHERE id = %s", [ids[1]])
    problems = audit.verify_trail()
    assert [(p.entry_id, p.kind) for p in problems] == [(ids[1], "edited")]
    result = verify_cli()
    assert result.exit_code == 1 and f"unsealed entry {ids[1]}: edited" in result.output
    # The sealer chains the good entry before it, then stops: it never launders an edit.
    with pytest.raises(audit.SealRefused):
        audit.seal()
    assert audit.audit_head()[0] == 3
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 2
    result = runner.invoke(app, ["audit", "seal"])
    assert result.exit_code == 1 and "Sealing stopped" in result.output
    # Nor is a checkpoint signed over it.
    private = tmp_path / "a.key"
    anchor.keypair_write(private, tmp_path / "a.pub")
    result = runner.invoke(app, ["audit", "checkpoint", "--key", str(private)])
    assert result.exit_code == 1 and "No checkpoint signed" in result.output


def test_inserted_unsealed_entry_without_its_hash_is_reported(db):
    record(2)
    forged = AuditEntry.objects.values().first()
    with as_database_superuser() as cur:
        cur.execute(
            "INSERT INTO core_auditentry (seq, at, actor_id, actor_username, organisation_id, action,"
            " object_type, object_ref, purpose, outcome, client, details, prev_hash, hash)"
            " VALUES (NULL, %s, NULL, '', NULL, 'read', 'case', 'C-forged', '', 'ok', '', '{}', '', %s)",
            [forged["at"], forged["hash"]],
        )
    problems = audit.verify_trail()
    assert [p.kind for p in problems] == ["edited"]
    assert "C-forged" not in problems[0].message  # ids and kinds only, never content


def test_unsealing_a_sealed_entry_is_reported(db):
    record(4)
    audit.seal()
    with as_database_superuser() as cur:
        cur.execute("UPDATE core_auditentry SET seq = NULL WHERE seq = 2")
    kinds = {p.kind for p in audit.verify_trail()}
    assert kinds == {"deleted", "edited"}  # a gap in the chain, and a "new" entry that is not


def test_truncation_is_caught_by_checkpoints_with_unsealed_entries_around(db, tmp_path):
    private, public = tmp_path / "a.key", tmp_path / "a.pub"
    anchor.keypair_write(private, public)
    log = tmp_path / "cp.jsonl"
    record(5)
    audit.checkpoint_create(private_key=anchor.private_key_read(private), log_path=log)
    assert audit.audit_head()[0] == 5  # the checkpoint sealed first
    record(2, start=6)  # unsealed, after the checkpoint
    with as_database_superuser() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= 4")
        cur.execute(
            "UPDATE core_auditchainhead SET last_seq = 3, last_hash ="
            " (SELECT hash FROM core_auditentry WHERE seq = 3) WHERE id = 1"
        )
    result = verify_cli("--checkpoints", str(log), "--public-key", str(public))
    assert result.exit_code == 1, result.output
    assert "holds entry 5, but the trail ends at entry 3" in result.output


# --- PostgreSQL: the trigger, and order under concurrent writers -----------------------


@on_postgres
def test_trigger_lets_only_the_seal_through(db):
    (entry_id,) = record(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET object_ref = 'x' WHERE id = %s", [entry_id])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        # Sealing and changing content in one go is refused too.
        cur.execute(
            "UPDATE core_auditentry SET seq = 1, object_ref = 'x' WHERE id = %s", [entry_id]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [entry_id])
    assert audit.seal() == 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET seq = 9 WHERE id = %s", [entry_id])  # re-seal


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sealers_keep_each_writers_order():
    writers, per_writer = 6, 40
    errors: list[BaseException] = []
    start = threading.Barrier(writers + 2)

    def write(w: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with transaction.atomic():  # each entry in its own action's transaction
                    audit.record(
                        action="read", object_type="bench", object_ref=f"W{w}", details={"i": i}
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    done = threading.Event()

    def sealer() -> None:
        try:
            start.wait()
            while not done.is_set():
                audit.seal(batch=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    for t in threads + sealers:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in sealers:
        t.join()
    assert not errors, errors
    audit.seal()
    total = writers * per_writer
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", "object_ref", "details"))
    assert [s for s, _, _ in seqs] == list(range(1, total + 1))
    for w in range(writers):
        mine = [d["i"] for _, ref, d in seqs if ref == f"W{w}"]
        assert mine == list(range(per_writer))  # each writer's entries in the order it wrote them
    assert audit.verify_trail() == []
