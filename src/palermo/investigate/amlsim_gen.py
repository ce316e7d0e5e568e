"""Evaluation sets with AMLSim's eight laundering typologies, written from their definitions.

AMLSim (IBM, Apache-2.0) plants eight typologies in simulated bank traffic. This
module is Palermo's own generator of the same shapes, written from AMLSim's
documented definitions (``scripts/transaction_graph_generator.py``,
``add_aml_typology`` and ``src/main/java/amlsim/model/aml/*Typology.java``) so
that the red-flag rules can be measured on sets no one tuned them on: other
seeds, sizes, amount ranges, pattern sizes, periods, and heavy normal traffic.
No AMLSim code is copied; the shapes are:

==============  ==============================================================
fan_in          n-1 accounts each pay the main account once within the period
fan_out         the main account pays n-1 accounts once each within the period
cycle           n accounts in a ring, each paying the next, dates in ring order
scatter_gather  a source pays n-2 intermediaries before mid-period; each pays
                one gatherer after mid-period (amount less a margin)
gather_scatter  (n-1)//2 accounts pay a hub before mid-period; the hub pays
                (n-1)//2 other accounts after mid-period
bipartite       the first n//2 accounts each pay every one of the others
stack           two stacked bipartite layers: n//3 originators pay each of n//3
                intermediaries, each of which pays every one of the rest
random          a random walk of n-1 transfers among the n members
==============  ==============================================================

Normal traffic follows AMLSim's six normal models (single, periodical, fan-in,
fan-out, forward, mutual), each repeating at its own interval; main accounts of
fan-in, fan-out, cycle and random come from the busy "hub" accounts, the other
members from the whole population, and no account joins two typologies
(AMLSim removes members from the candidate pool).

Output is AMLSim's layout (``transactions``, ``accounts``, ``alert_accounts``,
``alert_transactions`` as Parquet) so the ordinary ``amlsim`` import reads it.
Pure Python and DuckDB (for the Parquet files); the same parameters always give
the same files.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

__all__ = [
    "TYPOLOGIES",
    "GeneratorParams",
    "GeneratedSet",
    "PlantedAlert",
    "generate",
    "write_amlsim",
]

TYPOLOGIES = (
    "fan_in",
    "fan_out",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "bipartite",
    "stack",
    "random",
)
# the smallest pattern each definition needs to have its shape
_MIN_SIZE = {
    "fan_in": 3,
    "fan_out": 3,
    "cycle": 3,
    "scatter_gather": 4,
    "gather_scatter": 5,
    "bipartite": 4,
    "stack": 6,
    "random": 3,
}
_NORMAL_MODELS = ("single", "periodical", "fan_in", "fan_out", "forward", "mutual")


@dataclass(frozen=True)
class GeneratorParams:
    seed: int = 1
    accounts: int = 20_000
    days: int = 365
    normal_transactions: int = 200_000
    typologies: Sequence[str] = TYPOLOGIES
    alerts_per_typology: int = 25
    size: tuple[int, int] = (6, 12)  # members per alert (AMLSim min/max_accounts)
    period: tuple[int, int] = (10, 30)  # days (AMLSim min/max_period)
    amount: tuple[float, float] = (200.0, 2_000.0)  # typology amounts
    normal_amount: tuple[float, float] = (10.0, 3_000.0)
    normal_intervals: Sequence[int] = (7, 14, 28, 10, 30)
    payer_share: float = 0.2  # share of accounts that make normal payments
    hub_share: float = 0.02  # busy accounts (many normal models)
    margin_ratio: float = 0.1
    zero_amount_rows: int = 0  # normal transactions of 0.00 (AMLSim writes them on empty balances)
    start: datetime = datetime(2021, 3, 1)


@dataclass(frozen=True, slots=True)
class PlantedAlert:
    alert_id: int
    typology: str
    roles: dict[int, str]  # account -> role in the alert
    edges: tuple[tuple[int, int, int], ...]  # (payer, payee, day)


@dataclass
class GeneratedSet:
    params: GeneratorParams
    transactions: list[tuple[int, int, int, int, float, int]] = field(default_factory=list)
    # (tran_id, orig, bene, day, amount, alert_id) with alert_id -1 for normal traffic
    alerts: list[PlantedAlert] = field(default_factory=list)

    def alert_tx(self, alert_id: int) -> list[tuple[int, int, int, int, float, int]]:
        return [t for t in self.transactions if t[5] == alert_id]


class _Builder:
    def __init__(self, p: GeneratorParams) -> None:
        self.p = p
        self.rng = random.Random(p.seed)
        self.out = GeneratedSet(params=p)
        self.next_tx = 1

    def tx(self, orig: int, bene: int, day: int, amount: float, alert_id: int = -1) -> None:
        self.out.transactions.append((self.next_tx, orig, bene, day, round(amount, 2), alert_id))
        self.next_tx += 1

    def amount(self) -> float:
        lo, hi = self.p.amount
        return self.rng.uniform(lo, hi)

    # ------------------------------------------------------------ normal traffic
    def normal(self, hubs: list[int], payers: list[int]) -> None:
        p, rng = self.p, self.rng
        n_acc = p.accounts
        lo, hi = p.normal_amount
        made = 0

        def any_acct() -> int:
            return rng.randrange(n_acc)

        def periodic(a: int, b: int, interval: int, offset: int, amt: float) -> int:
            k = 0
            for day in range(offset % interval, p.days, interval):
                self.tx(a, b, day, amt * rng.uniform(0.8, 1.2))
                k += 1
            return k

        while made < p.normal_transactions:
            model = rng.choice(_NORMAL_MODELS)
            interval = rng.choice(list(p.normal_intervals))
            offset = rng.randrange(interval)
            amt = rng.uniform(lo, hi)
            payer = rng.choice(hubs) if rng.random() < 0.3 else rng.choice(payers)
            if model == "single":
                self.tx(payer, any_acct(), rng.randrange(p.days), amt)
                made += 1
            elif model == "periodical":
                made += periodic(payer, any_acct(), interval, offset, amt)
            elif model == "fan_out":  # the hub pays its members in turn
                hub = rng.choice(hubs)
                members = [any_acct() for _ in range(rng.randint(3, 10))]
                for i, day in enumerate(range(offset, p.days, interval)):
                    self.tx(hub, members[i % len(members)], day, amt * rng.uniform(0.8, 1.2))
                    made += 1
            elif model == "fan_in":  # members each pay the hub at the interval
                hub = rng.choice(hubs)
                for m in {rng.choice(payers) for _ in range(rng.randint(3, 10))}:
                    made += periodic(m, hub, interval, rng.randrange(interval), amt)
            elif model == "forward":  # a -> b, then b -> c the next day
                b, c = any_acct(), any_acct()
                for day in range(offset, p.days - 1, interval):
                    self.tx(payer, b, day, amt)
                    self.tx(b, c, day + 1, amt * 0.95)
                    made += 2
            else:  # mutual: a -> b, b pays back a few days later
                b = any_acct()
                for day in range(offset, p.days - 3, interval):
                    self.tx(payer, b, day, amt)
                    self.tx(b, payer, day + 3, amt)
                    made += 2
        for _ in range(p.zero_amount_rows):
            self.tx(rng.choice(payers), any_acct(), rng.randrange(p.days), 0.0)

    # ------------------------------------------------------------ typologies
    def typology(self, alert_id: int, typ: str, hubs: list[int], pool: list[int]) -> None:
        p, rng = self.p, self.rng
        n = max(rng.randint(*p.size), _MIN_SIZE[typ])
        period = rng.randint(*p.period)
        start = rng.randrange(0, p.days - period)
        end = start + period - 1
        mid = (start + end) // 2

        def take(k: int) -> list[int]:
            return [pool.pop() for _ in range(k)]

        def main_account() -> int:
            while hubs:
                h = hubs.pop(rng.randrange(len(hubs)))
                if h not in self.used:
                    return h
            return pool.pop()

        def day(a: int = start, b: int = end) -> int:
            return rng.randint(a, max(a, b))

        roles: dict[int, str] = {}
        edges: list[tuple[int, int, int]] = []
        amounts: list[float] = []

        def edge(a: int, b: int, d: int, amt: float | None = None) -> None:
            edges.append((a, b, d))
            amounts.append(self.amount() if amt is None else amt)

        if typ in ("fan_in", "fan_out"):
            main = main_account()
            others = take(n - 1)
            roles[main] = "hub"
            for o in others:
                roles[o] = "source" if typ == "fan_in" else "beneficiary"
                if typ == "fan_in":
                    edge(o, main, day())
                else:
                    edge(main, o, day())
        elif typ == "cycle":
            ring = [main_account(), *take(n - 1)]
            days = sorted(day() for _ in ring)
            amt = self.amount()
            for i, a in enumerate(ring):
                roles[a] = "member"
                edge(a, ring[(i + 1) % n], days[i], amt)
                amt *= 1 - p.margin_ratio
        elif typ == "scatter_gather":
            src, gatherer, mids = pool.pop(), pool.pop(), take(n - 2)
            roles[src], roles[gatherer] = "source", "gatherer"
            for m in mids:
                roles[m] = "intermediary"
                amt = self.amount()
                edge(src, m, day(start, mid - 1), amt)
                edge(m, gatherer, day(mid, end), amt * (1 - p.margin_ratio))
        elif typ == "gather_scatter":
            k = (n - 1) // 2
            origs, hub, benes = take(k), pool.pop(), take(k)
            roles[hub] = "hub"
            amt = self.amount()
            for o in origs:
                roles[o] = "source"
                edge(o, hub, day(start, mid - 1), amt)
            for b in benes:
                roles[b] = "beneficiary"
                edge(hub, b, day(mid, end), amt * (1 - p.margin_ratio))
        elif typ == "bipartite":
            origs = take(n // 2)
            benes = take(n - n // 2)
            for o in origs:
                roles[o] = "originator"
                for b in benes:
                    roles[b] = "beneficiary"
                    edge(o, b, day())
        elif typ == "stack":
            k = n // 3
            origs, mids, benes = take(k), take(k), take(n - 2 * k)
            for o in origs:
                roles[o] = "originator"
            for m in mids:
                roles[m] = "intermediary"
            for b in benes:
                roles[b] = "beneficiary"
            for o in origs:
                for m in mids:
                    edge(o, m, day())
            for m in mids:
                for b in benes:
                    edge(m, b, day())
        else:  # random walk among the members
            members = [main_account(), *take(n - 1)]
            for a in members:
                roles[a] = "member"
            days = sorted(day() for _ in range(n - 1))
            amt = self.amount()
            cur = members[0]
            for d in days:
                nxt = rng.choice([m for m in members if m != cur])
                edge(cur, nxt, d, amt)
                cur = nxt
        self.used.update(roles)
        for (a, b, d), amt in zip(edges, amounts, strict=True):
            self.tx(a, b, d, amt, alert_id)
        self.out.alerts.append(PlantedAlert(alert_id, typ, roles, tuple(edges)))

    def build(self) -> GeneratedSet:
        p, rng = self.p, self.rng
        unknown = set(p.typologies) - set(TYPOLOGIES)
        if unknown:
            raise ValueError(f"unknown typologies {sorted(unknown)}")
        accts = list(range(p.accounts))
        rng.shuffle(accts)
        n_hubs = max(int(p.accounts * p.hub_share), 10)
        n_payers = max(int(p.accounts * p.payer_share), 20)
        hubs, payers = accts[:n_hubs], accts[n_hubs : n_hubs + n_payers]
        self.normal(hubs, payers)
        self.used: set[int] = set()
        pool = accts[n_hubs:]
        rng.shuffle(pool)
        hub_pool = list(hubs)
        alert_id = 0
        for typ in p.typologies:
            for _ in range(p.alerts_per_typology):
                self.typology(alert_id, typ, hub_pool, pool)
                alert_id += 1
        self.out.transactions.sort(key=lambda t: (t[3], t[0]))
        return self.out


def generate(params: GeneratorParams) -> GeneratedSet:
    """Build a set in memory (deterministic in ``params``)."""
    return _Builder(params).build()


def write_amlsim(generated: GeneratedSet, folder: Path) -> Path:
    """Write the set in AMLSim's output layout; returns the transactions file."""
    folder.mkdir(parents=True, exist_ok=True)
    p = generated.params
    typ_of = {a.alert_id: a.typology for a in generated.alerts}

    def stamp(day: int) -> str:
        return (p.start + timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S")

    files: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {
        "transactions": (
            [
                "tran_id",
                "orig_acct",
                "bene_acct",
                "tx_type",
                "base_amt",
                "tran_timestamp",
                "is_sar",
                "alert_id",
            ],
            [
                (t, a, b, "TRANSFER", f"{amt:.2f}", stamp(d), str(al >= 0).lower(), al)
                for t, a, b, d, amt, al in generated.transactions
            ],
        ),
        "alert_transactions": (
            [
                "alert_id",
                "alert_type",
                "is_sar",
                "tran_id",
                "orig_acct",
                "bene_acct",
                "tx_type",
                "base_amt",
                "tran_timestamp",
            ],
            [
                (al, typ_of[al], "true", t, a, b, "TRANSFER", f"{amt:.2f}", stamp(d))
                for t, a, b, d, amt, al in generated.transactions
                if al >= 0
            ],
        ),
        "alert_accounts": (
            ["alert_id", "alert_type", "acct_id", "is_sar"],
            [
                (a.alert_id, a.typology, acct, "true")
                for a in generated.alerts
                for acct in sorted(a.roles)
            ],
        ),
        "accounts": (
            [
                "acct_id",
                "first_name",
                "last_name",
                "street_addr",
                "city",
                "state",
                "zip",
                "country",
            ],
            [
                (
                    i,
                    f"Holder{i}",
                    f"Synthetic{i % 977}",
                    f"{i % 400} Test Street",
                    "Testville",
                    "TS",
                    f"{10000 + i % 89999}",
                    "US",
                )
                for i in range(p.accounts)
            ],
        ),
    }
    for stem, (header, rows) in files.items():
        tmp = folder / f"{stem}.csv"
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        target = folder / f"{stem}.parquet"
        con = duckdb.connect()
        # Both paths bound as parameters (a folder may hold a quote); Python opened the CSV
        # above, so neither holds a NUL, which DuckDB would cut the path at.
        con.execute(
            "COPY (SELECT * FROM read_csv($src, header = true)) TO $dst (FORMAT parquet)",
            {"src": str(tmp), "dst": str(target)},
        )
        con.close()
        tmp.unlink()
    return folder / "transactions.parquet"
