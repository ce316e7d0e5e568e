"""Writing the audit trail.

Call ``record`` inside the same transaction as the change it describes, so a
rolled-back change leaves no entry and a committed one always has one. Reads
and refusals are recorded in their own short transaction.

Never put personal data in ``object_ref`` or ``details``: use pseudonymous
references (case reference, numeric id) and field names, not values.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from palermo.core.chain import GENESIS, entry_hash
from palermo.core.models import AuditAction, AuditChainHead, AuditEntry

# SQLite has no row locks; this keeps concurrent threads of one process in order.
# PostgreSQL serialises processes through SELECT … FOR UPDATE on the head row.
_process_lock = threading.Lock()


def _client_address(request: Any) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


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
    """Append one entry. Returns its ``seq``, or None when auditing is switched off (benchmarks only)."""
    if not getattr(settings, "PALERMO_AUDIT_ENABLED", True):
        return None
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
    username = actor_username if actor_username is not None else (getattr(actor, "username", "") if actor_id else "")
    fields: dict[str, Any] = {
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
        "details": details or {},
    }
    with _process_lock, transaction.atomic(), connection.cursor() as cur:
        # Raw SQL on the hot path: three short statements, no ORM overhead
        # (measured in benchmarks/audit_cost.py). The UPDATE … RETURNING takes
        # the head row's lock, which orders writers across processes.
        cur.execute(_ADVANCE_HEAD)
        row = cur.fetchone()
        if row is None:  # the very first entry of a new installation
            AuditChainHead.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": GENESIS})
            cur.execute(_ADVANCE_HEAD)
            row = cur.fetchone()
        fields["seq"], prev = row
        digest = entry_hash(prev, fields)
        cur.execute(
            _INSERT_ENTRY,
            [fields["seq"], fields["at"], fields["actor_id"], fields["actor_username"], fields["organisation_id"],
             fields["action"], fields["object_type"], fields["object_ref"], fields["purpose"], fields["outcome"],
             fields["client"], json.dumps(fields["details"]), prev, digest],
        )
        cur.execute(_SET_HEAD_HASH, [digest])
    return int(fields["seq"])


_ADVANCE_HEAD = "UPDATE core_auditchainhead SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash"
_INSERT_ENTRY = (
    "INSERT INTO core_auditentry (seq, at, actor_id, actor_username, organisation_id, action, object_type,"
    " object_ref, purpose, outcome, client, details, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_SET_HEAD_HASH = "UPDATE core_auditchainhead SET last_hash = %s WHERE id = 1"


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


def record_refusal(request: Any, *, perm: str | None = None, object_type: str = "", object_ref: str = "") -> None:
    # The path is recorded because it holds only pseudonymous ids (a rule of the URL design).
    record_request(
        request,
        action=AuditAction.REFUSED,
        object_type=object_type,
        object_ref=object_ref,
        outcome="refused",
        details={"path": request.path[:300], "method": request.method, "permission": perm or ""},
    )


def verify_trail() -> list[Any]:
    """Verify the whole stored trail; returns the list of ``ChainProblem``."""
    from palermo.core.chain import verify

    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    fields = ("seq", "prev_hash", "hash", *[f for f in (
        "at", "actor_id", "actor_username", "organisation_id", "action", "object_type",
        "object_ref", "purpose", "outcome", "client", "details")])
    rows = AuditEntry.objects.order_by("seq").values(*fields).iterator(chunk_size=5000)
    return verify(rows, head_seq, head_hash)
