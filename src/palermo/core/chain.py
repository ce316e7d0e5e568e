"""Hash chain of the audit trail (pure: no Django).

Each entry's hash is SHA-256 over the previous entry's hash and a canonical
JSON encoding of the entry's own fields. Verification walks the entries in
``seq`` order and reports every place where the chain does not hold:

* ``edited``   – an entry's content no longer matches its own hash;
* ``deleted``  – a gap in ``seq``, or the chain ends before the recorded head;
* ``inserted`` – an entry whose ``prev_hash`` does not match its predecessor
  without a gap (or a ``seq`` out of place).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
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


def canonical_time(at: datetime) -> str:
    """One text form for a timestamp, whatever the database hands back."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    body = {name: fields[name] for name in HASHED_FIELDS}
    if isinstance(body["at"], datetime):
        body["at"] = canonical_time(body["at"])
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # edited | deleted | inserted
    message: str


def verify(
    entries: Iterable[Mapping[str, Any]], head_seq: int, head_hash: str
) -> list[ChainProblem]:
    """Check a trail given in ascending ``seq`` order against the recorded head."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev_hash = GENESIS
    last_seq = 0
    last_hash = GENESIS
    for entry in entries:
        seq = int(entry["seq"])
        own = entry_hash(entry["prev_hash"], entry)
        if own != entry["hash"]:
            problems.append(
                ChainProblem(seq, "edited", f"entry {seq}: content does not match its hash")
            )
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            problems.append(
                ChainProblem(seq, "deleted", f"entries {missing} missing before entry {seq}")
            )
        elif seq < expected_seq:
            problems.append(ChainProblem(seq, "inserted", f"entry {seq} is out of sequence"))
        elif entry["prev_hash"] != prev_hash:
            problems.append(
                ChainProblem(
                    seq,
                    "inserted",
                    f"entry {seq} does not follow entry {seq - 1}: inserted or rewritten",
                )
            )
        expected_seq = max(expected_seq, seq + 1)
        prev_hash = entry["hash"]
        last_seq, last_hash = seq, entry["hash"]
    if head_seq > last_seq:
        problems.append(
            ChainProblem(
                last_seq + 1,
                "deleted",
                f"entries {last_seq + 1}–{head_seq} missing at the end of the trail",
            )
        )
    elif head_seq == last_seq and head_seq > 0 and head_hash != last_hash:
        problems.append(
            ChainProblem(last_seq, "edited", f"entry {last_seq} differs from the recorded head")
        )
    elif head_seq < last_seq:
        problems.append(
            ChainProblem(head_seq + 1, "inserted", f"entries after {head_seq} were not written by Palermo")
        )
    return problems
