"""Entity resolution across statements and case records.

Candidates are *blocked* on shared identifiers (IBAN, phone, e-mail, address,
device) and *scored* on names (rapidfuzz, order-insensitive). The system only
proposes; the investigator confirms or rejects each pair, and the judgement is
kept in a :class:`JudgementStore` so that it is never asked again and is
re-applied on every later run (clusters, FtM export, the shared-identifier
rule). The Django shell persists judgements; :class:`InMemoryJudgementStore`
serves tests and the CLI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from rapidfuzz import fuzz

__all__ = [
    "ERRecord",
    "MatchProposal",
    "Judgement",
    "JudgementStore",
    "InMemoryJudgementStore",
    "pair_key",
    "propose_matches",
    "record_judgement",
    "resolve_clusters",
    "IDENTIFIER_WEIGHTS",
]

# How much a shared identifier says about "same holder". An address is shared by
# households and hostels, so it weighs least; an IBAN belongs to one holder.
IDENTIFIER_WEIGHTS: Mapping[str, float] = {
    "iban": 0.6,
    "email": 0.4,
    "phone": 0.35,
    "device": 0.25,
    "address": 0.1,
}


@dataclass(frozen=True, slots=True)
class ERRecord:
    """One record to resolve: an account holder or a person/company in a case file."""

    record_id: str  # account:<key> | party:<id>
    name_norm: str | None
    identifiers: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatchProposal:
    pair_key: str
    left: str
    right: str
    name_score: float
    shared: tuple[tuple[str, str], ...]  # (kind, value) pairs both records carry
    score: float


@dataclass(frozen=True, slots=True)
class Judgement:
    pair_key: str
    left: str
    right: str
    decision: str  # same | different
    decided_by: str
    decided_at: datetime
    note: str | None = None


class JudgementStore(Protocol):
    """Where investigators' match decisions live (the shell backs it with a model)."""

    def get(self, pair_key: str) -> Judgement | None: ...

    def put(self, judgement: Judgement) -> None: ...

    def all(self) -> Iterable[Judgement]: ...


class InMemoryJudgementStore:
    """A JudgementStore in a dict: for tests, the CLI and one-off runs."""

    def __init__(self, judgements: Iterable[Judgement] = ()) -> None:
        self._items: dict[str, Judgement] = {j.pair_key: j for j in judgements}

    def get(self, pair_key: str) -> Judgement | None:
        return self._items.get(pair_key)

    def put(self, judgement: Judgement) -> None:
        self._items[judgement.pair_key] = judgement

    def all(self) -> Iterator[Judgement]:
        return iter(list(self._items.values()))


def pair_key(a: str, b: str) -> str:
    """Order-free key of a pair of records."""
    if a == b:
        raise ValueError("a record cannot be paired with itself")
    left, right = sorted((a, b))
    return f"{left}|{right}"


def _name_score(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, b)) / 100.0


def propose_matches(
    records: Iterable[ERRecord],
    store: JudgementStore,
    *,
    min_name_score: float = 0.85,
    min_name_score_strong_id: float = 0.6,
    max_block_size: int = 50,
) -> list[MatchProposal]:
    """Candidate pairs worth an investigator's look, best first.

    A pair is proposed when its names are alike (``min_name_score``), or alike
    enough (``min_name_score_strong_id``) and it shares an IBAN, e-mail or phone.
    Pairs already judged are never proposed again. Blocks larger than
    ``max_block_size`` (a hostel's address, a shared office phone) are not paired
    here: the shared-identifier rule reports them as clusters instead.
    """
    by_id = {r.record_id: r for r in records}
    blocks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rec in by_id.values():
        for kind, values in rec.identifiers.items():
            for value in values:
                blocks[(kind, value)].append(rec.record_id)
    shared: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (kind, value), members in blocks.items():
        if len(members) < 2 or len(members) > max_block_size:
            continue
        members = sorted(set(members))
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared[pair_key(a, b)].add((kind, value))
    proposals = []
    for key, ids in shared.items():
        if store.get(key) is not None:
            continue
        left, right = key.split("|", 1)
        name = _name_score(by_id[left].name_norm, by_id[right].name_norm)
        kinds = {k for k, _ in ids}
        strong = bool(kinds & {"iban", "email", "phone"})
        if name < min_name_score and not (strong and name >= min_name_score_strong_id):
            continue
        weight = min(1.0, sum(IDENTIFIER_WEIGHTS.get(k, 0.1) for k in kinds))
        proposals.append(
            MatchProposal(
                pair_key=key,
                left=left,
                right=right,
                name_score=round(name, 3),
                shared=tuple(sorted(ids)),
                score=round(0.5 * name + 0.5 * weight, 3),
            )
        )
    proposals.sort(key=lambda p: (-p.score, p.pair_key))
    return proposals


def record_judgement(
    store: JudgementStore,
    left: str,
    right: str,
    decision: str,
    *,
    decided_by: str,
    note: str | None = None,
    decided_at: datetime | None = None,
) -> Judgement:
    """Store an investigator's decision on a pair (a later decision replaces it)."""
    if decision not in {"same", "different"}:
        raise ValueError("decision must be 'same' or 'different'")
    key = pair_key(left, right)
    a, b = key.split("|", 1)
    judgement = Judgement(
        pair_key=key,
        left=a,
        right=b,
        decision=decision,
        decided_by=decided_by,
        decided_at=decided_at or datetime.now(UTC),
        note=note,
    )
    store.put(judgement)
    return judgement


def resolve_clusters(record_ids: Iterable[str], store: JudgementStore) -> dict[str, str]:
    """Map each record to its cluster (the smallest record id among those judged 'same').

    Union-find over 'same' judgements; 'different' judgements never merge.
    """
    parent: dict[str, str] = {r: r for r in record_ids}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for j in store.all():
        if j.decision != "same":
            continue
        ra, rb = find(j.left), find(j.right)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            parent[hi] = lo
    return {r: find(r) for r in list(parent)}
