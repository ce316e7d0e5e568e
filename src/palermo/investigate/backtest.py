"""Backtesting red-flag rules against labelled data (e.g. AMLSim).

Labels live in ``account_label`` (each member of a labelled alert with its
role) and ``tx_label``; rules never read them (the rule loader refuses a query
that does). Scores are at the account level, and each typology is scored
against the roles its rule names (``TRUTH_ROLES``): for fan-in, fan-out and
gather-scatter the hub; for cycles, scatter-gather, bipartite and stack every
account of the structure (source, intermediaries and gatherer; originators,
intermediaries and beneficiaries). ``flagged_accounts`` reads an alert the same
way: the subject of a hub alert, every account of a structure alert's
transactions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import networkx as nx

from palermo.investigate.redflags import Alert

__all__ = [
    "TRUTH_ROLES",
    "STRUCTURE_TYPOLOGIES",
    "Metrics",
    "backtest",
    "score",
    "flagged_accounts",
    "labelled_accounts",
    "closed_cycle_members",
    "naive_counterparty_baseline",
]


# the labelled roles each typology's rule is meant to name
TRUTH_ROLES: dict[str, frozenset[str]] = {
    "fan_in": frozenset({"hub"}),
    "fan_out": frozenset({"hub"}),
    "gather_scatter": frozenset({"hub"}),
    "cycle": frozenset({"member"}),
    "random": frozenset({"member"}),
    "scatter_gather": frozenset({"source", "intermediary", "gatherer"}),
    "bipartite": frozenset({"originator", "beneficiary"}),
    "stack": frozenset({"originator", "intermediary", "beneficiary"}),
}
# alerts of these typologies name every account of their transactions
STRUCTURE_TYPOLOGIES = frozenset({"cycle", "scatter_gather", "bipartite", "stack"})


@dataclass(frozen=True, slots=True)
class Metrics:
    flagged: int
    truth: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else 0.0


def score(flagged: set[str], truth: set[str]) -> Metrics:
    return Metrics(flagged=len(flagged), truth=len(truth), true_positives=len(flagged & truth))


def flagged_accounts(
    con: duckdb.DuckDBPyConnection, alerts: Iterable[Alert], typology: str
) -> set[str]:
    """Accounts an alert set points at for one typology.

    Hub typologies point at the alert's subject; a structure alert (cycle,
    scatter-gather, bipartite, stack) at every account of its transactions.
    """
    chosen = [a for a in alerts if a.typology == typology]
    if typology not in STRUCTURE_TYPOLOGIES:
        return {a.subject for a in chosen}
    tx_ids = [t for a in chosen for t in a.tx_ids]
    if not tx_ids:
        return set()
    rows = con.execute(
        "SELECT payer_key FROM tx WHERE tx_id IN (SELECT unnest($1::VARCHAR[])) "
        "UNION SELECT payee_key FROM tx WHERE tx_id IN (SELECT unnest($1::VARCHAR[]))",
        [tx_ids],
    ).fetchall()
    return {r[0] for r in rows if r[0] is not None}


def labelled_accounts(
    con: duckdb.DuckDBPyConnection, typology: str, roles: frozenset[str] | None = None
) -> set[str]:
    """Labelled accounts of a typology in the roles its rule names (``TRUTH_ROLES``)."""
    roles = roles if roles is not None else TRUTH_ROLES.get(typology, frozenset({"hub", "member"}))
    rows = con.execute(
        "SELECT DISTINCT account_key FROM account_label WHERE typology = ? "
        "AND role IN (SELECT unnest(?::VARCHAR[]))",
        [typology, sorted(roles)],
    ).fetchall()
    return {r[0] for r in rows}


def closed_cycle_members(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Members of labelled cycles whose labelled payments actually close a loop.

    Simulators sometimes drop a payment of a planned cycle (AMLSim does when a
    balance runs short); such an open chain is not a cycle, and no cycle
    detector can or should find it.
    """
    rows = con.execute(
        """
        SELECT l.label_group, t.payer_key, t.payee_key
        FROM tx_label l JOIN tx t USING (tx_id)
        WHERE l.label_group IN (
            SELECT label_group FROM account_label WHERE typology = 'cycle')
        """
    ).fetchall()
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for g, a, b in rows:
        groups[g].append((a, b))
    members: set[str] = set()
    for edges in groups.values():
        graph = nx.DiGraph(edges)
        if any(set(c) == set(graph.nodes) for c in nx.simple_cycles(graph)):
            members |= {a for a, _ in edges}
    return members


def naive_counterparty_baseline(
    con: duckdb.DuckDBPyConnection, *, min_counterparties: int = 4, window_days: int = 20
) -> Mapping[str, set[str]]:
    """The counting rule transaction monitoring starts from.

    fan_in: accounts paid by at least ``min_counterparties`` distinct payers within
    any ``window_days``; fan_out: accounts paying that many payees; cycle: accounts
    with that many distinct counterparties either way.
    """
    sql = """
        WITH e AS ({edges}),
        w AS (
            SELECT k, count(DISTINCT c) OVER (
                PARTITION BY k ORDER BY booked_at
                RANGE BETWEEN to_days(CAST(? AS INTEGER)) PRECEDING AND CURRENT ROW) AS n
            FROM e
        )
        SELECT DISTINCT k FROM w WHERE n >= ?
    """
    edges = {
        "fan_in": "SELECT payee_key AS k, payer_key AS c, booked_at FROM tx WHERE payee_key IS NOT NULL",
        "fan_out": "SELECT payer_key AS k, payee_key AS c, booked_at FROM tx WHERE payer_key IS NOT NULL",
        "cycle": (
            "SELECT payee_key AS k, payer_key AS c, booked_at FROM tx WHERE payee_key IS NOT NULL "
            "UNION ALL SELECT payer_key, payee_key, booked_at FROM tx WHERE payer_key IS NOT NULL"
        ),
    }
    return {
        typ: {
            r[0]
            for r in con.execute(sql.format(edges=e), [window_days, min_counterparties]).fetchall()
        }
        for typ, e in edges.items()
    }


def backtest(
    con: duckdb.DuckDBPyConnection, alerts: Iterable[Alert]
) -> dict[str, tuple[Metrics, Metrics]]:
    """Per labelled typology: (the rule pack's metrics, the naive baseline's metrics).

    Cycle truth is restricted to labelled cycles that actually close a loop.
    """
    alerts = list(alerts)
    typologies = [
        r[0]
        for r in con.execute("SELECT DISTINCT typology FROM account_label ORDER BY 1").fetchall()
    ]
    baseline = naive_counterparty_baseline(con)
    out: dict[str, tuple[Metrics, Metrics]] = {}
    for typ in typologies:
        truth = closed_cycle_members(con) if typ == "cycle" else labelled_accounts(con, typ)
        out[typ] = (
            score(flagged_accounts(con, alerts, typ), truth),
            score(baseline.get(typ, set()), truth),
        )
    return out
