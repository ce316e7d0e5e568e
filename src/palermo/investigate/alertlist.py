"""Which red-flag alerts the investigation page lists, in which order (pure; issue 15, item 10).

The page filters by rule, typology, status and account and sorts on the server, so it works
without JavaScript and pages through hundreds of alerts. An account is chosen by its position
in :func:`subjects` (``account=3``), never by its number: no account number reaches a URL or
a log line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

STATUSES = ("open", "confirmed", "dismissed", "all")
SORTS = ("score", "-score", "rule", "subject", "size")


class AlertLike(Protocol):
    @property
    def rule_id(self) -> str: ...
    @property
    def typology(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def decision(self) -> str: ...
    @property
    def tx_ids(self) -> tuple[str, ...]: ...


A = TypeVar("A", bound=AlertLike)


@dataclass(frozen=True)
class AlertFilter:
    rule: str = ""
    typology: str = ""
    status: str = "open"  # one of STATUSES
    account: int | None = None  # index into subjects()
    sort: str = "score"  # one of SORTS; "score" is best first


def subjects(alerts: Sequence[A]) -> list[str]:
    """The distinct subjects of the alerts, sorted: the account filter's choices."""
    return sorted({a.subject for a in alerts})


def _status(a: AlertLike) -> str:
    return a.decision or "open"


def apply(alerts: Sequence[A], f: AlertFilter) -> list[A]:
    """The alerts that pass every filter of ``f``, in its order (ties: rule, then subject)."""
    account = None
    if f.account is not None:
        choices = subjects(alerts)
        account = choices[f.account] if 0 <= f.account < len(choices) else None
    kept = [
        a
        for a in alerts
        if (not f.rule or a.rule_id == f.rule)
        and (not f.typology or a.typology == f.typology)
        and (f.status == "all" or _status(a) == f.status)
        and (f.account is None or a.subject == account)
    ]
    if f.sort == "-score":
        kept.sort(key=lambda a: (a.score, a.rule_id, a.subject))
    elif f.sort == "rule":
        kept.sort(key=lambda a: (a.rule_id, -a.score, a.subject))
    elif f.sort == "subject":
        kept.sort(key=lambda a: (a.subject, a.rule_id, -a.score))
    elif f.sort == "size":
        kept.sort(key=lambda a: (-len(a.tx_ids), -a.score, a.rule_id, a.subject))
    else:
        kept.sort(key=lambda a: (-a.score, a.rule_id, a.subject))
    return kept


def counts(alerts: Sequence[A]) -> dict[str, int]:
    """How many alerts each status has ("all" included)."""
    out = dict.fromkeys(STATUSES, 0)
    for a in alerts:
        out[_status(a)] = out.get(_status(a), 0) + 1
    out["all"] = len(alerts)
    return out
