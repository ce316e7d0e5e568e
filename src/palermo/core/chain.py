"""Hash chain of the audit trail (pure: no Django).

Each entry's hash is SHA-256 over the previous entry's hash and a canonical
JSON encoding of the entry's own fields. Verification walks the entries in
``seq`` order and reports every place where the chain does not hold:

* ``edited``   – an entry's content no longer matches its own hash;
* ``deleted``  – a gap in ``seq``, or the chain ends before the recorded head;
* ``inserted`` – an entry whose ``prev_hash`` does not match its predecessor
  without a gap (or a ``seq`` out of place).

An entry not sealed yet (issue 13: ``seq`` empty, ``prev_hash`` = ``UNSEALED``)
carries the hash of its own content with ``seq`` null; ``unsealed_check`` checks
those, and the sealer checks each again before it chains it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64
UNSEALED = ""  # the prev_hash of an entry written but not chained yet
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
    """The reference definition of an entry's hash (what ``audit.record`` stores)."""
    body = {name: fields[name] for name in HASHED_FIELDS}
    if isinstance(body["at"], datetime):
        body["at"] = canonical_time(body["at"])
    payload = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def hash_matches(prev_hash: str, body: dict[str, Any], stored: str) -> bool:
    """Whether ``stored`` is the hash of ``body`` (``at`` already canonical text) after ``prev_hash``.

    orjson writes the same bytes as the reference ``json.dumps`` for the values
    an entry holds, ten times faster; where it might not (a float, a big
    integer), the reference encoding decides. A match on the fast path cannot
    be wrong: equal SHA-256 digests mean equal bytes.
    """
    try:
        payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        if hashlib.sha256(prev_hash.encode() + payload).hexdigest() == stored:
            return True
    except (TypeError, orjson.JSONEncodeError, AttributeError):
        pass
    try:
        return entry_hash(prev_hash, body) == stored
    except (TypeError, KeyError, UnicodeEncodeError):
        return False


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # edited | deleted | inserted
    message: str
    entry_id: int | None = None  # set for an entry not sealed yet (it has no seq)

    @property
    def where(self) -> str:
        return f"entry {self.seq}" if self.entry_id is None else f"unsealed entry {self.entry_id}"


# A stored entry as the walk reads it: (body, prev_hash, hash), where body maps each
# of HASHED_FIELDS to its value and ``at`` is already canonical text.
Row = tuple[dict[str, Any], str, str]


@dataclass
class ChainReport:
    problems: list[ChainProblem]
    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    # For each watched seq that the walk met: the hash stored there.
    found: dict[int, str] = field(default_factory=dict)
    more: int = 0  # problems found beyond those listed
    unsealed: int = 0  # entries written but not chained yet (checked on their own)


def walk(
    rows: Iterable[Row],
    head_seq: int,
    head_hash: str,
    watch: frozenset[int] = frozenset(),
    max_problems: int = 1000,
) -> ChainReport:
    """Check a trail given as rows in ascending ``seq`` against the recorded head;
    note the hash stored at each watched seq.

    One pass, constant memory: rows may come straight from a database cursor. The
    fast encoding of ``hash_matches`` is inlined: this loop runs 10⁷ times. Past
    ``max_problems`` problems are only counted (``ChainReport.more``), so a trail
    ruined from end to end still verifies in constant memory.
    """
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev_hash = GENESIS
    last_seq = 0
    last_hash = GENESIS
    count = 0
    found: dict[int, str] = {}
    more = 0

    def add(problem: ChainProblem) -> None:
        nonlocal more
        if len(problems) < max_problems:
            problems.append(problem)
        else:
            more += 1

    dumps, sort, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    for body, row_prev, row_hash in rows:
        count += 1
        try:
            seq = int(body["seq"])
        except (TypeError, ValueError):
            # Only a hand edit in a loosely typed database (SQLite) gets here.
            add(
                ChainProblem(
                    expected_seq, "edited", f"the entry after {expected_seq - 1} has no valid seq"
                )
            )
            continue
        try:
            fast = sha256(row_prev.encode() + dumps(body, option=sort)).hexdigest()
        except (TypeError, orjson.JSONEncodeError, AttributeError):
            fast = ""
        if fast != row_hash and not hash_matches(row_prev, body, row_hash):
            add(ChainProblem(seq, "edited", f"entry {seq}: content does not match its hash"))
        if seq == expected_seq:
            if row_prev != prev_hash:
                add(
                    ChainProblem(
                        seq,
                        "inserted",
                        f"entry {seq} does not follow entry {seq - 1}: inserted or rewritten",
                    )
                )
        elif seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            add(ChainProblem(seq, "deleted", f"entries {missing} missing before entry {seq}"))
        else:
            add(ChainProblem(seq, "inserted", f"entry {seq} is out of sequence"))
        if seq in watch:
            found[seq] = row_hash
        expected_seq = max(expected_seq, seq + 1)
        prev_hash = row_hash
        last_seq, last_hash = seq, row_hash
    if head_seq > last_seq:
        add(
            ChainProblem(
                last_seq + 1,
                "deleted",
                f"entries {last_seq + 1}–{head_seq} missing at the end of the trail",
            )
        )
    elif head_seq == last_seq and head_seq > 0 and head_hash != last_hash:
        add(ChainProblem(last_seq, "edited", f"entry {last_seq} differs from the recorded head"))
    elif head_seq < last_seq:
        add(
            ChainProblem(
                head_seq + 1, "inserted", f"entries after {head_seq} were not written by Palermo"
            )
        )
    return ChainReport(problems, count, last_seq, last_hash, found, more)


def as_row(entry: Mapping[str, Any]) -> Row:
    """An entry given as a mapping, in the walk's row form."""
    body = {name: entry[name] for name in HASHED_FIELDS}
    if isinstance(body["at"], datetime):
        body["at"] = canonical_time(body["at"])
    return body, entry["prev_hash"], entry["hash"]


def verify(
    entries: Iterable[Mapping[str, Any]], head_seq: int, head_hash: str
) -> list[ChainProblem]:
    """Check a trail given in ascending ``seq`` order against the recorded head."""
    return walk((as_row(e) for e in entries), head_seq, head_hash).problems


def unsealed_check(rows: Iterable[Row], report: ChainReport, max_problems: int = 1000) -> None:
    """Check entries not sealed yet, given as rows whose ``seq`` holds the insertion number:
    each must still carry the hash of its own content. Adds to ``report`` in place."""
    for body, row_prev, row_hash in rows:
        report.unsealed += 1
        entry_id = int(body["seq"])
        body["seq"] = None
        if row_prev != UNSEALED or not hash_matches(UNSEALED, body, row_hash):
            problem = ChainProblem(
                0,
                "edited",
                f"unsealed entry {entry_id}: content does not match its hash",
                entry_id=entry_id,
            )
            if len(report.problems) < max_problems:
                report.problems.append(problem)
            else:
                report.more += 1
