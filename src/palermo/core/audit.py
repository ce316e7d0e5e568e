"""Writing the audit trail.

Call ``record`` inside the same transaction as the change it describes, so a
rolled-back change leaves no entry and a committed one always has one. Reads
and refusals are recorded in their own short transaction.

Writing and chaining are two steps (issue 13). ``record`` is one INSERT: the
entry gets the next insertion number (its ``id``), no chain position (``seq``
is empty) and a hash of its own content (``prev_hash`` empty), so writers never
wait for one another. ``seal`` — run every half second by the worker
(`palermo worker`, the demo's worker thread), by `palermo audit seal`, and
inline before a checkpoint — takes the committed unsealed entries in insertion
order, checks each one's own hash, and chains them: ``seq``, ``prev_hash`` and
``hash`` exactly as before. Only the sealer touches the chain-head row.

Never put personal data in ``object_ref`` or ``details``: use pseudonymous
references (case reference, numeric id) and field names, not values.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from palermo.core.chain import GENESIS, UNSEALED, entry_hash
from palermo.core.client import client_address
from palermo.core.models import AuditAction, AuditChainHead, AuditEntry

log = logging.getLogger("palermo.audit")
# Checked on every entry: a frozenset, not ``AuditAction.values`` (a list rebuilt per access).
_ACTIONS = frozenset(AuditAction.values)

# One sealer at a time per process; across processes the head row's lock (PostgreSQL)
# or SQLite's single writer orders them.
_seal_lock = threading.Lock()
SEAL_BATCH = 5000


def _client_address(request: Any) -> str:
    if request is None:
        return ""
    # The same address the rate limits and the lock-out use (PALERMO_TRUSTED_PROXIES).
    return client_address(request)[:64]


def record(
    *,
    action: str,
    actor: Any = None,
    organisation: Any = None,
    object_type: str = "",
    object_ref: str = "",
    purpose: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    request: Any = None,
    actor_username: str | None = None,
) -> int | None:
    """Append one entry, not yet sealed. Returns its insertion number (``id``), or None
    when auditing is switched off (benchmarks only)."""
    if not getattr(settings, "PALERMO_AUDIT_ENABLED", True):
        return None
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id = (
        getattr(actor, "pk", None)
        if actor is not None and getattr(actor, "is_authenticated", False)
        else None
    )
    username = (
        actor_username
        if actor_username is not None
        else (getattr(actor, "username", "") if actor_id else "")
    )
    # The details as the database will hand them back to the sealer (tuples become lists,
    # keys text): encoded once, decoded again only when there is something to decode.
    details_text = json.dumps(details or {})
    normalised = json.loads(details_text) if details_text != "{}" else {}
    fields: dict[str, Any] = {
        "seq": None,
        "at": timezone.now(),
        "actor_id": actor_id,
        "actor_username": username[:150],
        "organisation_id": getattr(organisation, "pk", None),
        "action": action,
        "object_type": object_type[:60],
        "object_ref": str(object_ref)[:80],
        "purpose": purpose[:200],
        "outcome": outcome[:20],
        "client": _client_address(request),
        "details": normalised,
    }
    # One statement, no lock, no savepoint: inside the caller's transaction when there is
    # one (the entry commits or rolls back with the change), else committed at once.
    with connection.cursor() as cur:
        cur.execute(
            _INSERT_ENTRY,
            [
                fields["at"],
                fields["actor_id"],
                fields["actor_username"],
                fields["organisation_id"],
                fields["action"],
                fields["object_type"],
                fields["object_ref"],
                fields["purpose"],
                fields["outcome"],
                fields["client"],
                details_text,
                UNSEALED,
                entry_hash(UNSEALED, fields),
            ],
        )
        row = cur.fetchone()
    return int(row[0])


_INSERT_ENTRY = (
    "INSERT INTO core_auditentry (seq, at, actor_id, actor_username, organisation_id, action, object_type,"
    " object_ref, purpose, outcome, client, details, prev_hash, hash)"
    " VALUES (NULL, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)


def record_request(
    request: Any,
    *,
    action: str,
    object_type: str = "",
    object_ref: str = "",
    purpose: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> int | None:
    return record(
        action=action,
        actor=getattr(request, "user", None),
        organisation=getattr(request, "organisation", None),
        object_type=object_type,
        object_ref=object_ref,
        purpose=purpose,
        outcome=outcome,
        details=details,
        request=request,
    )


def record_refusal(
    request: Any, *, perm: str | None = None, object_type: str = "", object_ref: str = ""
) -> None:
    # The path is recorded because it holds only pseudonymous ids (a rule of the URL design).
    log.info(
        "refused",
        extra={"event": "refused", "permission": perm or "", "object_type": object_type},
    )
    record_request(
        request,
        action=AuditAction.REFUSED,
        object_type=object_type,
        object_ref=object_ref,
        outcome="refused",
        details={"path": request.path[:300], "method": request.method, "permission": perm or ""},
    )


# --- sealing: chaining the committed entries, in insertion order ------------------


class SealRefused(Exception):
    """An unsealed entry no longer matches its own hash: it was changed after it was written."""


_LOCK_HEAD = (
    "UPDATE core_auditchainhead SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash"
)
_SET_HEAD = "UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1"
_SEAL_PG = (
    "UPDATE core_auditentry AS e SET seq = v.seq, prev_hash = v.prev, hash = v.hash"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS v(id, seq, prev, hash)"
    " WHERE e.id = v.id"
)
_SEAL_ROW = "UPDATE core_auditentry SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"
_BODY = (
    "at",
    "actor_id",
    "actor_username",
    "organisation_id",
    "action",
    "object_type",
    "object_ref",
    "purpose",
    "outcome",
    "client",
    "details",
)


def _seal_batch(limit: int) -> tuple[int, str]:
    """Seal up to ``limit`` entries in one transaction; returns (number sealed, refusal or "")."""
    with transaction.atomic(), connection.cursor() as cur:
        # Locks the head row (PostgreSQL) or takes SQLite's write lock: one sealer at a time.
        cur.execute(_LOCK_HEAD)
        row = cur.fetchone()
        if row is None:  # the very first seal of a new installation
            AuditChainHead.objects.get_or_create(
                pk=1, defaults={"last_seq": 0, "last_hash": GENESIS}
            )
            cur.execute(_LOCK_HEAD)
            row = cur.fetchone()
        seq, prev = int(row[0]), str(row[1])
        # Read after the lock: every entry committed by now, in insertion order. An entry
        # whose transaction commits later is sealed by a later round, after these.
        pending = (
            AuditEntry.objects.filter(seq__isnull=True)
            .order_by("id")
            .values_list("id", *_BODY, "prev_hash", "hash")[:limit]
        )
        ids: list[int] = []
        seqs: list[int] = []
        prevs: list[str] = []
        hashes: list[str] = []
        refusal = ""
        for entry_id, *values, own_prev, own_hash in pending:
            body = dict(zip(_BODY, values, strict=True))
            body["seq"] = None
            if own_prev != UNSEALED or entry_hash(UNSEALED, body) != own_hash:
                refusal = (
                    f"unsealed entry {entry_id} does not match its own hash: changed after it "
                    "was written. Nothing after it is sealed; run `palermo audit verify`."
                )
                break
            seq += 1
            body["seq"] = seq
            digest = entry_hash(prev, body)
            ids.append(entry_id)
            seqs.append(seq)
            prevs.append(prev)
            hashes.append(digest)
            prev = digest
        if ids:
            if connection.vendor == "postgresql":
                cur.execute(_SEAL_PG, [ids, seqs, prevs, hashes])
            else:
                cur.executemany(_SEAL_ROW, list(zip(seqs, prevs, hashes, ids, strict=True)))
            cur.execute(_SET_HEAD, [seq, prev])
    return len(ids), refusal


def seal(*, batch: int = SEAL_BATCH) -> int:
    """Chain every entry committed so far, oldest first; returns how many were sealed.

    Safe to call from anywhere at any time (several processes at once wait for one
    another). Raises ``SealRefused`` when an unsealed entry was changed after it was
    written; the entries before it are sealed, none after it.
    """
    total = 0
    with _seal_lock:
        while True:
            done, refusal = _seal_batch(batch)
            total += done
            if refusal:
                raise SealRefused(refusal)
            if done < batch:
                return total


def sealer_thread(*, interval: float = 0.5) -> threading.Thread:
    """Seal every ``interval`` seconds in a daemon thread (the worker and the demo run one)."""
    from django.db import close_old_connections

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            try:
                seal()
            except SealRefused as exc:
                log.error("audit sealer stopped: %s", exc)
                return
            except Exception:
                log.exception("audit sealer: round failed")
                close_old_connections()

    thread = threading.Thread(target=loop, name="palermo-audit-sealer", daemon=True)
    thread.start()
    return thread


# --- verification ----------------------------------------------------------------

_FETCH = 10_000
_ROW_SQL = {
    # The database formats the timestamp and hands ``details`` over as text: no
    # per-row datetime or JSON objects from the driver (benchmarks/audit_verify.py).
    "postgresql": (
        "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        " actor_id, actor_username, organisation_id, action, object_type, object_ref, purpose,"
        " outcome, client, details::text, prev_hash, hash FROM core_auditentry"
    ),
    # ``at || ''`` has no declared type, so the driver returns the stored text as is.
    "sqlite": (
        "SELECT seq, at || '', actor_id, actor_username, organisation_id, action, object_type,"
        " object_ref, purpose, outcome, client, details, prev_hash, hash FROM core_auditentry"
    ),
}


def _sqlite_time(text: Any) -> str:
    """SQLite holds ``2026-12-02 06:00:00[.123456][+00:00]`` (UTC); give the canonical form."""
    if not isinstance(text, str):
        return str(text)
    if text.endswith("+00:00"):
        text = text[:-6]
    if len(text) == 26 and text[10] == " " and text[19] == ".":
        return f"{text[:10]}T{text[11:]}Z"
    if len(text) == 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}.000000Z"
    from datetime import UTC, datetime

    from palermo.core.chain import canonical_time

    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return str(text)  # not a time at all (hand-edited): the entry's hash will say so
    return canonical_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _prefetched(fetchmany: Any) -> Any:
    """Yield ``fetchmany(_FETCH)`` batches, fetching the next one in a thread meanwhile.

    The driver waits for the database without holding the GIL, so the database
    reads and formats batch n+1 while this process hashes batch n: the walk takes
    the longer of the two instead of their sum. Only that thread touches the cursor.
    """
    import queue
    import threading

    batches: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def offer(item: Any) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            while not stop.is_set():
                batch = fetchmany(_FETCH)
                offer(batch)
                if not batch:
                    return
        except BaseException as exc:
            offer(exc)

    worker = threading.Thread(target=produce, name="audit-verify-fetch", daemon=True)
    worker.start()
    try:
        while True:
            batch = batches.get()
            if isinstance(batch, BaseException):
                raise batch
            if not batch:
                return
            yield batch
    finally:
        stop.set()
        worker.join()


_SEALED = " WHERE seq IS NOT NULL ORDER BY seq"
# The first column is then the insertion number, not a chain position.
_UNSEALED_SQL = " WHERE seq IS NULL ORDER BY id"


def _trail_rows(cursor: Any, vendor: str, where: str = _SEALED) -> Any:
    """Stream the stored entries as ``chain.Row``s, ``_FETCH`` rows per round trip."""
    import orjson

    sql = _ROW_SQL[vendor]
    if where is _UNSEALED_SQL:
        sql = sql.replace("SELECT seq,", "SELECT id,", 1)
    cursor.execute(sql + where)
    loads = orjson.loads
    sqlite = vendor == "sqlite"
    for batch in _prefetched(cursor.cursor.fetchmany):
        for (
            seq,
            at,
            actor,
            username,
            org,
            action,
            otype,
            oref,
            purpose,
            outcome,
            client,
            details,
            prev,
            digest,
        ) in batch:
            if isinstance(details, str | bytes):
                # text that is not JSON: kept as is, so the entry's hash fails
                with contextlib.suppress(orjson.JSONDecodeError):
                    details = loads(details)
            body = {
                "seq": seq,
                "at": _sqlite_time(at) if sqlite else at,
                "actor_id": actor,
                "actor_username": username,
                "organisation_id": org,
                "action": action,
                "object_type": otype,
                "object_ref": oref,
                "purpose": purpose,
                "outcome": outcome,
                "client": client,
                "details": details,
            }
            yield body, prev, digest


def verify_trail_report(watch: frozenset[int] = frozenset()) -> tuple[Any, int, str]:
    """Walk the whole stored trail once; returns (``chain.ChainReport``, head seq, head hash).

    The head row and the entries are read in one snapshot, so entries written
    while verification runs are neither missed nor reported.
    """
    from palermo.core.chain import unsealed_check, walk

    vendor = connection.vendor
    if vendor not in _ROW_SQL:
        raise NotImplementedError(f"audit verification does not support {vendor}")
    # An enclosing transaction (a caller's, a test's) has begun already: its
    # isolation level can no longer change, and it reads one snapshot anyway.
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if vendor == "postgresql" and fresh:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
        head_seq, head_hash = head if head else (0, GENESIS)
        # A server-side cursor on PostgreSQL: memory stays flat for 10⁷ entries.
        with connection.chunked_cursor() as cur:
            report = walk(_trail_rows(cur, vendor), head_seq, head_hash, watch)
        # Entries not sealed yet: each must still match the hash it was written with.
        with connection.chunked_cursor() as cur:
            unsealed_check(_trail_rows(cur, vendor, _UNSEALED_SQL), report)
    return report, head_seq, head_hash


def verify_trail() -> list[Any]:
    """Verify the whole stored trail; returns the list of ``ChainProblem``."""
    return list(verify_trail_report()[0].problems)


def audit_head() -> tuple[int, str]:
    """The recorded head: (last seq, last hash); (0, GENESIS) before the first entry."""
    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return (int(head[0]), str(head[1])) if head else (0, GENESIS)


# --- anchoring: checkpoints outside the database (core/anchor.py) ----------------


class HeadInconsistent(Exception):
    """The head row does not match the newest entry: not something to sign."""


def checkpoint_create(*, private_key: Any, log_path: Any = None) -> Any:
    """Seal, sign the current head and append the checkpoint line to ``log_path`` (if given).

    Refuses to sign a head that its own entry contradicts (a quick check; the
    full walk is ``audit verify``). The line is written with one ``write`` to a
    file opened for appending, then flushed to disk, so concurrent runs never
    interleave and an append-only (``chattr +a``) file is enough.
    """
    import os

    from palermo.core.anchor import checkpoint_line, checkpoint_sign
    from palermo.core.chain import entry_hash

    seal()  # the checkpoint covers everything written until now (SealRefused stops it)
    with transaction.atomic():
        head_seq, head_hash = audit_head()
        if head_seq:
            last = AuditEntry.objects.filter(seq=head_seq).values().first()
            if (
                last is None
                or last["hash"] != head_hash
                or entry_hash(last["prev_hash"], last) != head_hash
            ):
                raise HeadInconsistent(
                    f"the head row (entry {head_seq}) does not match the stored entry; "
                    "run `palermo audit verify` before signing anything"
                )
    cp = checkpoint_sign(private_key, seq=head_seq, head_hash=head_hash, at=timezone.now())
    if log_path is not None:
        data = (checkpoint_line(cp) + "\n").encode("ascii")
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return cp
