"""Network analysis over the account graph.

Volume work (degrees, pair statistics, candidate pruning) runs as SQL in
DuckDB; networkx only sees the small subgraphs where a graph algorithm is
needed (cycle enumeration, path search), never the full 10^7-edge graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import networkx as nx

__all__ = [
    "CycleSearchLimits",
    "materialise_cycles",
    "materialise_layers",
    "Hub",
    "AccountRole",
    "MoneyPath",
    "NetworkReport",
    "analyse_network",
    "money_paths",
    "ROLE_DEFAULTS",
]


@dataclass(frozen=True, slots=True)
class CycleSearchLimits:
    """Bounds of the round-tripping search (the cycle rule's parameters)."""

    max_length: int = 20
    max_span_days: int = 30
    max_standing_links: int = 1
    busy_new_payees: int = 2
    max_busy_members: int = 1
    max_cycles: int = 100_000
    walk_quiet_payments: int = 5

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CycleSearchLimits:
        d = cls()
        return cls(
            max_length=int(params.get("max_cycle_length", d.max_length)),
            max_span_days=int(params.get("max_span_days", d.max_span_days)),
            max_standing_links=int(params.get("max_standing_links", d.max_standing_links)),
            busy_new_payees=int(params.get("busy_new_payees", d.busy_new_payees)),
            max_busy_members=int(params.get("max_busy_members", d.max_busy_members)),
            max_cycles=int(params.get("max_cycles", d.max_cycles)),
            walk_quiet_payments=int(params.get("walk_quiet_payments", d.walk_quiet_payments)),
        )


@dataclass
class _Link:
    txs: list[str]
    at: float | None  # epoch seconds of a new (one-off) link; None for a standing one


def _window_cycles(
    succ: dict[str, dict[str, _Link]], busy: set[str], limits: CycleSearchLimits
) -> list[list[str]]:
    """Bounded depth-first enumeration of the window's qualifying cycles.

    Hand-written rather than networkx.simple_cycles because the search must
    prune on link kinds (standing vs new) and busy members as it goes; an
    unpruned enumeration explodes on the dense core of busy payers.
    Each cycle is found once, from its smallest account.
    """
    out: list[list[str]] = []
    max_span = limits.max_span_days * 86400
    for start in sorted(succ):
        # stack items: node, path, standing links used, busy members used, min/max time
        start_busy = 1 if start in busy else 0
        if start_busy > limits.max_busy_members:
            continue
        stack: list[tuple[str, list[str], int, int, float, float]] = [
            (start, [start], 0, start_busy, float("inf"), float("-inf"))
        ]
        while stack:
            node, path, standing, nbusy, lo, hi = stack.pop()
            for nxt, link in succ.get(node, {}).items():
                st = standing + (1 if link.at is None else 0)
                if st > limits.max_standing_links:
                    continue
                nlo, nhi = (lo, hi) if link.at is None else (min(lo, link.at), max(hi, link.at))
                if nhi - nlo > max_span:
                    continue
                if nxt == start:
                    if len(path) >= 3 and nhi >= nlo:  # at least one new link
                        out.append(list(path))
                        if len(out) >= limits.max_cycles:
                            return out
                    continue
                if nxt < start or nxt in path or len(path) >= limits.max_length:
                    continue
                nb = nbusy + (1 if nxt in busy else 0)
                if nb > limits.max_busy_members:
                    continue
                stack.append((nxt, [*path, nxt], st, nb, nlo, nhi))
    return out


def _peel(succ: dict[str, dict[str, _Link]]) -> None:
    """Drop, repeatedly, accounts that lack an incoming or an outgoing link."""
    indeg: dict[str, int] = {}
    for targets in succ.values():
        for b in targets:
            indeg[b] = indeg.get(b, 0) + 1
    preds: dict[str, list[str]] = {}
    for a, targets in succ.items():
        for b in targets:
            preds.setdefault(b, []).append(a)
    queue = [n for n in set(succ) | set(indeg) if not succ.get(n) or not indeg.get(n)]
    removed: set[str] = set()
    while queue:
        node = queue.pop()
        if node in removed:
            continue
        removed.add(node)
        for b in succ.pop(node, {}):
            indeg[b] -= 1
            if indeg[b] == 0 and b not in removed:
                queue.append(b)
        for a in preds.get(node, []):
            pred_targets = succ.get(a)
            if pred_targets is not None and node in pred_targets:
                del pred_targets[node]
                if not pred_targets and a not in removed:
                    queue.append(a)


def materialise_cycles(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]) -> int:
    """Find round-tripping cycles and write them to the temp table ``net_cycle``.

    A cycle is a closed chain of at least three accounts, each paying the next,
    where the links are *new* relationships (a pair's only payment), at most
    ``max_standing_links`` are existing relationships, all new links fall within
    ``max_span_days``, and at most ``max_busy_members`` accounts are busy (paying
    more than ``busy_new_payees`` new counterparties in the window): laundering
    rings use fresh links through accounts that do little else at the time.

    The period is cut into overlapping windows (width 1.5 x span, step span/2),
    so that every qualifying cycle lies wholly inside one window and each window
    is a small graph; DuckDB selects each window's links, Python walks them.
    Returns the number of cycles written.
    """
    limits = CycleSearchLimits.from_params(params)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE cyc_pair AS
        SELECT payer_key AS a, payee_key AS b, count(*) AS n, list(tx_id ORDER BY tx_id) AS txs,
               epoch(min(booked_at)) AS first_at
        FROM tx
        WHERE payer_key IS NOT NULL AND payee_key IS NOT NULL AND payer_key <> payee_key
        GROUP BY 1, 2
        """
    )
    # busyness counts every new payee, also those the peel below removes
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cyc_new AS SELECT a, b, first_at FROM cyc_pair WHERE n = 1"
    )
    # Global peel in SQL first: an account on a cycle pays and is paid. Merchants
    # (paid, never paying) and their one-off customers drop out in a few passes,
    # which shrinks what each window has to fetch into Python.
    for _ in range(20):
        before = con.execute("SELECT count(*) FROM cyc_pair").fetchone()[0]  # type: ignore[index]
        con.execute(
            """
            DELETE FROM cyc_pair WHERE a NOT IN (SELECT b FROM cyc_pair)
                                    OR b NOT IN (SELECT a FROM cyc_pair)
            """
        )
        if con.execute("SELECT count(*) FROM cyc_pair").fetchone()[0] == before:  # type: ignore[index]
            break
    bounds = con.execute("SELECT min(first_at), max(first_at) FROM cyc_pair WHERE n = 1").fetchone()
    rows: dict[str, list[Any]] = {"cid": [], "acct": [], "tx": [], "len": [], "span": []}
    spans: dict[str, list[Any]] = {"cid": [], "acct": [], "lo": [], "hi": []}
    hop_rows: dict[str, list[Any]] = {"cid": [], "a": [], "b": []}
    found = 0
    if bounds and bounds[0] is not None:
        span = limits.max_span_days * 86400
        step = max(span // 2, 1)
        t0, t_end = float(bounds[0]), float(bounds[1])
        seen: set[frozenset[tuple[str, str]]] = set()
        k = 0
        while t0 + k * step <= t_end and found < limits.max_cycles:
            lo, hi = t0 + k * step, t0 + k * step + span + step
            k += 1
            new_links = con.execute(
                "SELECT a, b, txs, first_at FROM cyc_pair WHERE n = 1 AND first_at >= ? AND first_at < ?",
                [lo, hi],
            ).fetchall()
            if len(new_links) < 2:
                continue
            succ: dict[str, dict[str, _Link]] = {}
            new_out: dict[str, int] = {}
            for a, b, txs, at in new_links:
                succ.setdefault(a, {})[b] = _Link(list(txs), float(at))
                new_out[a] = new_out.get(a, 0) + 1
            if limits.max_standing_links > 0:
                # a standing link a -> b in a qualifying cycle sits between new
                # links: a receives one and b pays one in this window
                heads = sorted({b for _, b, _, _ in new_links})
                tails = sorted(new_out)
                for a, b in con.execute(
                    """
                    SELECT a, b FROM cyc_pair
                    WHERE n > 1 AND a IN (SELECT unnest($1::VARCHAR[]))
                      AND b IN (SELECT unnest($2::VARCHAR[]))
                    """,
                    [heads, tails],
                ).fetchall():
                    succ.setdefault(a, {}).setdefault(b, _Link([], None))
            _peel(succ)
            busy = {
                r[0]
                for r in con.execute(
                    """
                    SELECT a FROM cyc_new
                    WHERE first_at >= ? AND first_at < ? AND a IN (SELECT unnest(?::VARCHAR[]))
                    GROUP BY a HAVING count(*) > ?
                    """,
                    [lo, hi, sorted(succ), limits.busy_new_payees],
                ).fetchall()
            }
            for cycle in _window_cycles(succ, busy, limits):
                hops = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
                ident = frozenset(hops)
                if ident in seen:
                    continue
                seen.add(ident)
                times = [succ[a][b].at for a, b in hops if succ[a][b].at is not None]
                days = int((max(times) - min(times)) // 86400) if times else 0  # type: ignore[type-var, operator]
                found += 1
                cid = f"cycle-{found}"
                for a, b in hops:
                    spans["cid"].append(cid)
                    spans["acct"].append(a)
                    spans["lo"].append(min(times) if times else 0.0)  # type: ignore[type-var]
                    spans["hi"].append(max(times) if times else 0.0)  # type: ignore[type-var]
                    hop_rows["cid"].append(cid)
                    hop_rows["a"].append(a)
                    hop_rows["b"].append(b)
                    link = succ[a][b]
                    if link.at is None and not link.txs:  # standing link: fetch its payments now
                        link.txs = [
                            r[0]
                            for r in con.execute(
                                "SELECT unnest(txs) FROM cyc_pair WHERE a = ? AND b = ?", [a, b]
                            ).fetchall()
                        ]
                    for tx_id in link.txs:
                        rows["cid"].append(cid)
                        rows["acct"].append(a)
                        rows["tx"].append(tx_id)
                        rows["len"].append(len(cycle))
                        rows["span"].append(days)
                if found >= limits.max_cycles:
                    break
    walks = _walk_loops(con, spans, hop_rows, limits) if limits.walk_quiet_payments > 0 else set()
    if walks:
        keep = [i for i, cid in enumerate(rows["cid"]) if cid not in walks]
        rows = {k: [v[i] for i in keep] for k, v in rows.items()}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE net_cycle (cycle_id VARCHAR, account_key VARCHAR, "
        "tx_id VARCHAR, length INTEGER, span_days INTEGER)"
    )
    if rows["cid"]:
        con.execute(
            "INSERT INTO net_cycle SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), "
            "unnest($3::VARCHAR[]), unnest($4::INTEGER[]), unnest($5::INTEGER[])",
            [rows["cid"], rows["acct"], rows["tx"], rows["len"], rows["span"]],
        )
    con.execute("DROP TABLE cyc_pair")
    con.execute("DROP TABLE cyc_new")
    return found


def _walk_loops(
    con: duckdb.DuckDBPyConnection,
    spans: dict[str, list[Any]],
    hops: dict[str, list[Any]],
    limits: CycleSearchLimits,
) -> set[str]:
    """Cycles that are loops inside a longer chain of transfers (a random walk).

    AMLSim's *random* typology walks money from account to account among a few
    quiet accounts; when the walk comes back to an account it closes a loop
    that looks like a cycle, but the walk also enters or leaves the loop. A
    cycle is such a loop when one of its accounts has, around the cycle's time
    (within the cycle's own duration before or after it, at most
    ``max_span_days``), another new link with a quiet account (at most
    ``walk_quiet_payments`` payments in all) that itself has at least two new
    links at that time (it relays the money: a step of the walk, not a one-off
    payment of a busy account). A laundering ring's accounts
    do nothing else new with quiet accounts at the time.
    """
    if not spans["cid"]:
        return set()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cyc_span AS SELECT *, least(greatest(hi - lo, 86400), $5) AS margin "
        "FROM (SELECT unnest($1::VARCHAR[]) AS cid, unnest($2::VARCHAR[]) AS acct, "
        "unnest($3::DOUBLE[]) AS lo, unnest($4::DOUBLE[]) AS hi)",
        [spans["cid"], spans["acct"], spans["lo"], spans["hi"], limits.max_span_days * 86400],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cyc_hop AS SELECT unnest($1::VARCHAR[]) AS cid, "
        "unnest($2::VARCHAR[]) AS a, unnest($3::VARCHAR[]) AS b",
        [hops["cid"], hops["a"], hops["b"]],
    )
    rows = con.execute(
        """
        WITH near AS (
            SELECT s.cid, n.a, n.b, n.b AS other FROM cyc_span s JOIN cyc_new n ON n.a = s.acct
            WHERE n.first_at BETWEEN s.lo - s.margin AND s.hi + s.margin
            UNION ALL
            SELECT s.cid, n.a, n.b, n.a AS other FROM cyc_span s JOIN cyc_new n ON n.b = s.acct
            WHERE n.first_at BETWEEN s.lo - s.margin AND s.hi + s.margin
        ),
        extra AS (
            SELECT DISTINCT near.cid, other, s.lo, s.hi, s.margin FROM near
            JOIN (SELECT cid, min(lo) AS lo, max(hi) AS hi, max(margin) AS margin FROM cyc_span GROUP BY cid) s
              ON s.cid = near.cid
            WHERE NOT EXISTS (SELECT 1 FROM cyc_hop h WHERE h.cid = near.cid AND h.a = near.a AND h.b = near.b)
        ),
        relay AS (  -- the other account passes money along too: a step of a walk
            SELECT DISTINCT e.cid, e.other FROM extra e JOIN cyc_new n ON (n.a = e.other OR n.b = e.other)
            WHERE n.first_at BETWEEN e.lo - e.margin AND e.hi + e.margin
            GROUP BY e.cid, e.other HAVING count(*) >= 2
        ),
        activity AS (
            SELECT k, count(*) AS n FROM (
                SELECT payer_key AS k FROM tx WHERE payer_key IN (SELECT other FROM extra)
                UNION ALL SELECT payee_key FROM tx WHERE payee_key IN (SELECT other FROM extra)
            ) GROUP BY k
        )
        SELECT DISTINCT e.cid FROM relay e JOIN activity a ON a.k = e.other WHERE a.n <= $quiet
        """,
        {"quiet": limits.walk_quiet_payments},
    ).fetchall()
    con.execute("DROP TABLE cyc_span")
    con.execute("DROP TABLE cyc_hop")
    return {r[0] for r in rows}


# ----------------------------------------------------------------- hubs and roles

ROLE_DEFAULTS: dict[str, Any] = {
    "hub_min_counterparties": 4,
    "collector_min_payers": 4,
    "collector_max_outflow_share": 0.5,
    "pass_through_min_ratio": 0.8,
    "pass_through_max_days": 3,
    "pass_through_min_inflow": 0,
    "facilitator_categories": ["hotel", "travel", "online_advertising", "recruitment_agency"],
    "facilitator_min_share": 0.3,
    "asset_categories": ["real_estate", "vehicle_dealer"],
    "beneficial_owner_min_share_from_flagged": 0.5,
}


@dataclass(frozen=True, slots=True)
class Hub:
    account_key: str
    direction: str  # fan_in | fan_out
    counterparties: int
    payments: int
    total: Decimal


@dataclass(frozen=True, slots=True)
class AccountRole:
    account_key: str
    role: str  # collector | pass_through | facilitator | beneficial_owner
    evidence: str


@dataclass(frozen=True, slots=True)
class MoneyPath:
    accounts: tuple[str, ...]
    amounts: tuple[Decimal, ...]  # flow on each hop (sum of payments on that link)
    ends_in: str  # asset | balance | account


@dataclass(frozen=True)
class NetworkReport:
    hubs: tuple[Hub, ...]
    roles: tuple[AccountRole, ...]
    cycles: tuple[tuple[str, ...], ...]
    paths: tuple[MoneyPath, ...]
    edges: tuple[tuple[str, str, Decimal, int], ...] = field(default=())


def analyse_network(
    con: duckdb.DuckDBPyConnection,
    *,
    focus: Sequence[str] | None = None,
    flagged_tx: Sequence[str] = (),
    victim_accounts: Sequence[str] = (),
    settings: Mapping[str, Any] | None = None,
    max_edges: int = 500,
) -> NetworkReport:
    """Hubs, roles, cycles and victim-to-asset paths.

    ``focus`` restricts roles and the returned edge list to these accounts and
    their counterparties (an investigation's subjects); ``flagged_tx`` are the
    transactions of standing (open and confirmed) alerts, used to find beneficial owners.
    """
    cfg = {**ROLE_DEFAULTS, **(settings or {})}
    hubs = _hubs(con, int(cfg["hub_min_counterparties"]), focus)
    roles = _roles(con, cfg, focus, flagged_tx)
    cycles: tuple[tuple[str, ...], ...] = ()
    has_cycles = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'net_cycle' AND temporary"
    ).fetchone()[0]  # type: ignore[index]
    if has_cycles:
        rows = con.execute(
            "SELECT cycle_id, list(DISTINCT account_key ORDER BY account_key) FROM net_cycle "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        cycles = tuple(tuple(r[1]) for r in rows)
    paths = money_paths(con, victim_accounts, asset_categories=cfg["asset_categories"])
    edges = _edges(con, focus, max_edges)
    return NetworkReport(hubs=hubs, roles=roles, cycles=cycles, paths=paths, edges=edges)


def _focus_clause(focus: Sequence[str] | None, column: str) -> tuple[str, list[Any]]:
    if not focus:
        return "", []
    return f" AND {column} IN (SELECT unnest(?::VARCHAR[]))", [list(focus)]


def _hubs(
    con: duckdb.DuckDBPyConnection, minimum: int, focus: Sequence[str] | None
) -> tuple[Hub, ...]:
    clause_in, p_in = _focus_clause(focus, "payee_key")
    clause_out, p_out = _focus_clause(focus, "payer_key")
    rows = con.execute(
        f"""
        SELECT payee_key, 'fan_in', count(DISTINCT payer_key), count(*), sum(amount)
        FROM tx WHERE payee_key IS NOT NULL {clause_in}
        GROUP BY 1 HAVING count(DISTINCT payer_key) >= ?
        UNION ALL
        SELECT payer_key, 'fan_out', count(DISTINCT payee_key), count(*), sum(amount)
        FROM tx WHERE payer_key IS NOT NULL {clause_out}
        GROUP BY 1 HAVING count(DISTINCT payee_key) >= ?
        ORDER BY 3 DESC, 1 LIMIT 200
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        [*p_in, minimum, *p_out, minimum],
    ).fetchall()
    return tuple(Hub(r[0], r[1], int(r[2]), int(r[3]), Decimal(r[4])) for r in rows)


def _roles(
    con: duckdb.DuckDBPyConnection,
    cfg: Mapping[str, Any],
    focus: Sequence[str] | None,
    flagged_tx: Sequence[str],
) -> tuple[AccountRole, ...]:
    clause, params = _focus_clause(focus, "k")
    rows = con.execute(
        f"""
        WITH inflow AS (
            SELECT payee_key AS k, count(DISTINCT payer_key) AS payers, sum(amount) AS amt_in,
                   sum(CASE WHEN tx_id IN (SELECT unnest(?::VARCHAR[])) THEN amount ELSE 0 END) AS flagged_in
            FROM tx WHERE payee_key IS NOT NULL GROUP BY 1
        ),
        outflow AS (
            SELECT payer_key AS k, count(DISTINCT payee_key) AS payees, sum(amount) AS amt_out,
                   sum(CASE WHEN list_contains(?::VARCHAR[], payee_category) THEN amount ELSE 0 END) AS facil,
                   sum(CASE WHEN list_contains(?::VARCHAR[], payee_category) THEN amount ELSE 0 END) AS assets
            FROM tx WHERE payer_key IS NOT NULL GROUP BY 1
        ),
        hold AS (  -- median days between a receipt and the next payment out (as-of join)
            SELECT i.payee_key AS k, median(date_diff('day', i.booked_at, o.booked_at)) AS days
            FROM tx i ASOF JOIN tx o ON o.payer_key = i.payee_key AND o.booked_at >= i.booked_at
            GROUP BY 1
        ),
        acc AS (
            SELECT coalesce(i.k, o.k) AS k, coalesce(payers, 0) AS payers,
                   coalesce(amt_in, 0) AS amt_in, coalesce(flagged_in, 0) AS flagged_in,
                   coalesce(payees, 0) AS payees, coalesce(amt_out, 0) AS amt_out,
                   coalesce(facil, 0) AS facil, coalesce(assets, 0) AS assets, h.days
            FROM inflow i FULL JOIN outflow o ON i.k = o.k LEFT JOIN hold h ON h.k = coalesce(i.k, o.k)
        )
        SELECT k, payers, amt_in, flagged_in, payees, amt_out, facil, assets, days
        FROM acc WHERE true {clause}
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        [
            list(flagged_tx),
            list(cfg["facilitator_categories"]),
            list(cfg["asset_categories"]),
            *params,
        ],
    ).fetchall()
    roles: list[AccountRole] = []
    for k, payers, amt_in, flagged_in, _payees, amt_out, facil, assets, days in rows:
        amt_in, amt_out = float(amt_in), float(amt_out)
        if payers >= cfg["collector_min_payers"] and amt_out <= cfg[
            "collector_max_outflow_share"
        ] * max(amt_in, 1e-9):
            roles.append(
                AccountRole(
                    k, "collector", f"{payers} payers, {amt_out / max(amt_in, 1e-9):.0%} paid on"
                )
            )
        if (
            amt_in > float(cfg["pass_through_min_inflow"])
            and amt_out >= cfg["pass_through_min_ratio"] * amt_in
            and amt_out <= amt_in * 1.2
            and days is not None
            and days <= cfg["pass_through_max_days"]
        ):
            roles.append(
                AccountRole(
                    k,
                    "pass_through",
                    f"{amt_out / amt_in:.0%} paid on within a median {days:g} days",
                )
            )
        if amt_out > 0 and float(facil) >= cfg["facilitator_min_share"] * amt_out:
            roles.append(
                AccountRole(
                    k,
                    "facilitator",
                    f"{float(facil) / amt_out:.0%} of outflows to lodging, travel, adverts or recruiters",
                )
            )
        if (
            amt_in > 0
            and float(flagged_in) >= cfg["beneficial_owner_min_share_from_flagged"] * amt_in
            and (float(assets) > 0 or amt_out < 0.5 * amt_in)
        ):
            roles.append(
                AccountRole(
                    k,
                    "beneficial_owner",
                    f"{float(flagged_in) / amt_in:.0%} of inflows flagged; keeps or invests them",
                )
            )
    roles.sort(key=lambda r: (r.role, r.account_key))
    return tuple(roles)


def money_paths(
    con: duckdb.DuckDBPyConnection,
    victim_accounts: Sequence[str],
    *,
    asset_categories: Sequence[str] = ("real_estate", "vehicle_dealer"),
    max_depth: int = 6,
    max_paths: int = 50,
) -> tuple[MoneyPath, ...]:
    """Paths of money from victims' accounts to assets or resting balances.

    Explores outgoing links breadth-first up to ``max_depth`` hops, over the
    subgraph reachable from the victims (fetched hop by hop from DuckDB). A path
    ends at an asset purchase (payee category in ``asset_categories``) or at an
    account that keeps more than half of what it receives.
    """
    if not victim_accounts:
        return ()
    graph = nx.DiGraph()
    frontier = set(victim_accounts)
    seen: set[str] = set()
    for _ in range(max_depth):
        if not frontier:
            break
        rows = con.execute(
            """
            SELECT payer_key, payee_key, sum(amount), any_value(payee_category)
            FROM tx WHERE payer_key IN (SELECT unnest(?::VARCHAR[])) AND payee_key IS NOT NULL
            GROUP BY 1, 2
            """,
            [sorted(frontier)],
        ).fetchall()
        seen |= frontier
        frontier = set()
        for a, b, amt, cat in rows:
            graph.add_edge(a, b, amount=Decimal(amt), category=cat)
            if b not in seen:
                frontier.add(b)
    if graph.number_of_nodes() == 0:
        return ()
    keys = list(graph.nodes)
    bal = {
        r[0]: (Decimal(r[1] or 0), Decimal(r[2] or 0))
        for r in con.execute(
            """
            SELECT k, (SELECT sum(amount) FROM tx WHERE payee_key = k),
                      (SELECT sum(amount) FROM tx WHERE payer_key = k)
            FROM (SELECT unnest(?::VARCHAR[]) AS k)
            """,
            [keys],
        ).fetchall()
    }
    assets = set(asset_categories)
    paths: list[MoneyPath] = []
    for victim in victim_accounts:
        if victim not in graph:
            continue
        for target in graph.nodes:
            if target == victim:
                continue
            cat = None
            preds = list(graph.predecessors(target))
            if preds:
                cat = graph.edges[preds[0], target].get("category")
            received, paid = bal.get(target, (Decimal(0), Decimal(0)))
            if cat in assets:
                ends = "asset"
            elif received > 0 and paid < received / 2:
                ends = "balance"
            else:
                continue
            for path in nx.all_simple_paths(graph, victim, target, cutoff=max_depth):
                amounts = tuple(
                    graph.edges[a, b]["amount"] for a, b in zip(path, path[1:], strict=False)
                )
                paths.append(MoneyPath(tuple(path), amounts, ends))
                if len(paths) >= max_paths:
                    return tuple(paths)
    return tuple(paths)


def _edges(
    con: duckdb.DuckDBPyConnection, focus: Sequence[str] | None, max_edges: int
) -> tuple[tuple[str, str, Decimal, int], ...]:
    if focus:
        rows = con.execute(
            """
            SELECT payer_key, payee_key, sum(amount), count(*) FROM tx
            WHERE payer_key IS NOT NULL AND payee_key IS NOT NULL
              AND (payer_key IN (SELECT unnest(?::VARCHAR[])) OR payee_key IN (SELECT unnest(?::VARCHAR[])))
            GROUP BY 1, 2 ORDER BY 3 DESC LIMIT ?
            """,
            [list(focus), list(focus), max_edges],
        ).fetchall()
    else:
        rows = con.execute(
            """
            SELECT payer_key, payee_key, sum(amount), count(*) FROM tx
            WHERE payer_key IS NOT NULL AND payee_key IS NOT NULL
            GROUP BY 1, 2 ORDER BY 3 DESC LIMIT ?
            """,
            [max_edges],
        ).fetchall()
    return tuple((r[0], r[1], Decimal(r[2]), int(r[3])) for r in rows)


# ----------------------------------------------------------------- layered sets


def materialise_layers(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]) -> int:
    """Find bipartite and stacked sets of new links; write them to ``net_layer``.

    A *bipartite set* (AMLSim's bipartite typology) is a group of at least
    ``min_side`` payers that each pay the same group of at least ``min_side``
    payees over new links (a pair's few payments, all within ``max_span_days``),
    with every link of the set within ``max_span_days``. A *stack* (AMLSim's
    stack typology) is two such sets chained: the payees of the first are the
    payers of the second (originators -> intermediaries -> beneficiaries).

    SQL keeps only links whose payer has at least ``min_side`` new payees and
    whose payee has at least ``min_side`` new payers (a biclique needs both);
    Python groups the payees by their exact set of new payers. Returns the
    number of sets written (both kinds).
    """
    span = int(params.get("max_span_days", 30))
    max_n = int(params.get("max_link_payments", 2))
    side = int(params.get("min_side", 2))
    rows = con.execute(
        """
        WITH pair AS (
            SELECT payer_key AS a, payee_key AS b, count(*) AS n, epoch(min(booked_at)) AS t0,
                   epoch(max(booked_at)) AS t1, list(tx_id ORDER BY tx_id) AS txs
            FROM tx WHERE payer_key IS NOT NULL AND payee_key IS NOT NULL AND payer_key <> payee_key
            GROUP BY 1, 2
        ),
        link AS (SELECT * FROM pair WHERE n <= $max_n AND t1 - t0 <= $span * 86400),
        pay AS (SELECT a FROM link GROUP BY a HAVING count(*) >= $side),
        paid AS (SELECT b FROM link GROUP BY b HAVING count(*) >= $side)
        SELECT a, b, t0, txs FROM link
        WHERE a IN (SELECT a FROM pay) AND b IN (SELECT b FROM paid)
        """,
        {"max_n": max_n, "span": span, "side": side},
    ).fetchall()
    payers_of: dict[str, set[str]] = {}
    link: dict[tuple[str, str], tuple[float, list[str]]] = {}
    for a, b, t0, txs in rows:
        payers_of.setdefault(b, set()).add(a)
        link[(a, b)] = (float(t0), list(txs))
    groups: dict[frozenset[str], list[str]] = {}
    for b, payers in payers_of.items():
        if len(payers) >= side:
            groups.setdefault(frozenset(payers), []).append(b)
    sets: list[tuple[frozenset[str], frozenset[str]]] = []
    for group, group_payees in groups.items():
        if len(group_payees) < side:
            continue
        times = [link[(a, b)][0] for a in group for b in group_payees]
        if max(times) - min(times) <= span * 86400:
            sets.append((group, frozenset(group_payees)))
    # chain sets whose payees are (mostly) another set's payers into stacks
    by_payer: dict[str, list[int]] = {}
    for i, (set_payers, _) in enumerate(sets):
        for a in set_payers:
            by_payer.setdefault(a, []).append(i)
    out: dict[str, list[Any]] = {"gid": [], "kind": [], "acct": [], "role": [], "tx": []}
    in_stack: set[int] = set()
    found = 0

    def emit(kind: str, layers: list[tuple[frozenset[str], frozenset[str]]]) -> None:
        nonlocal found
        found += 1
        gid = f"{kind}-{found}"
        roles: dict[str, str] = {}
        for depth, (payers, payees) in enumerate(layers):
            for a in payers:
                roles.setdefault(a, "originator" if depth == 0 else "intermediary")
            for b in payees:
                roles[b] = "beneficiary" if depth == len(layers) - 1 else "intermediary"
            for a in payers:
                for b in payees:
                    for tx_id in link[(a, b)][1]:
                        out["gid"].append(gid)
                        out["kind"].append(kind)
                        out["acct"].append(a)
                        out["role"].append(roles[a])
                        out["tx"].append(tx_id)

    for i, (first, second) in enumerate(sets):
        nxt = {j for b in second for j in by_payer.get(b, []) if j != i}
        for j in sorted(nxt):
            mids = second & sets[j][0]
            if len(mids) >= side:
                emit("stack", [(first, mids), (mids, sets[j][1])])
                in_stack |= {i, j}
    for i, layer in enumerate(sets):
        if i not in in_stack:
            emit("bipartite", [layer])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE net_layer (set_id VARCHAR, kind VARCHAR, account_key VARCHAR, "
        "role VARCHAR, tx_id VARCHAR)"
    )
    if out["gid"]:
        con.execute(
            "INSERT INTO net_layer SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), "
            "unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[])",
            [out["gid"], out["kind"], out["acct"], out["role"], out["tx"]],
        )
    return found
