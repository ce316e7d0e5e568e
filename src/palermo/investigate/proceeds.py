"""Proceeds of exploitation: what offenders gained, and what victims are owed.

Two totals, each with its method stated in words a court can read:

* **Confiscation** (the offenders' benefit): flagged inflows are traced through
  the accounts they reach, in time order, with the *proportional* (pro-rata)
  rule — every payment out of an account carries the tainted share of that
  account's balance at that moment. The benefit is what reaches the offenders'
  accounts; the estimate also says how much still sits in accounts and how
  much bought assets.
* **Victims' compensation** (withheld or deducted wages): money handed back by
  victims shortly after each wage to the employer, an offender or a collector
  (an account receiving such payments from two or more victims), and, when a
  reference wage is given, the shortfall of wages actually received against it.

Opening balances are not in statements: an account's money before its first
statement line is unknown, so the tainted share of its later payments can be
over-stated, and a balance is never let fall below its tainted part. The
direct flagged inflows to offenders are exact; money moving between two
offenders' accounts is not counted twice. Amounts are Decimals in the
statements' currency; a trace across currencies is refused rather than summed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb

__all__ = [
    "TracedHolding",
    "VictimClaim",
    "ProceedsEstimate",
    "estimate_proceeds",
    "CONFISCATION_METHOD",
    "COMPENSATION_METHOD",
]

CONFISCATION_METHOD = (
    "Proportional (pro-rata) tracing of the flagged inflows, in booking order, through every "
    "account they reach (up to {depth} hops): each payment out of an account carries the share of "
    "its balance that is tainted at that moment. Benefit = tainted money received by the "
    "offenders' accounts from others (transfers between offenders' accounts are not counted "
    "twice). Balances are rebuilt from the statements alone; money held before an account's first "
    "statement line is unknown, which can over-state the tainted share of its later payments, so "
    "the traced part is an estimate while the direct flagged inflows are exact."
)
COMPENSATION_METHOD = (
    "Deductions: for each victim, payments made within {days} days after a wage (description "
    "matching /{pattern}/) to the employer, to an offender, or to an account receiving such "
    "payments from two or more victims, counted up to the amount of that wage."
)
SHORTFALL_METHOD = (
    " Shortfall: for each calendar month from a victim's first to last wage, the reference wage "
    "of {reference} minus the wages received that month, where positive."
)
_CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class TracedHolding:
    account_key: str
    tainted_received: Decimal
    tainted_balance: Decimal
    tainted_spent_on_assets: Decimal
    is_offender: bool


@dataclass(frozen=True, slots=True)
class VictimClaim:
    account_key: str
    wages_received: Decimal
    handed_back: Decimal
    shortfall: Decimal
    tx_ids: tuple[str, ...]


@dataclass(frozen=True)
class ProceedsEstimate:
    currency: str
    flagged_inflow_total: Decimal
    confiscation_total: Decimal
    confiscation_method: str
    still_held: Decimal
    spent_on_assets: Decimal
    holdings: tuple[TracedHolding, ...]
    compensation_total: Decimal
    compensation_method: str
    claims: tuple[VictimClaim, ...]
    notes: tuple[str, ...] = ()


def estimate_proceeds(
    con: duckdb.DuckDBPyConnection,
    *,
    flagged_tx: Sequence[str],
    offender_accounts: Sequence[str],
    victim_accounts: Sequence[str] = (),
    asset_categories: Sequence[str] = ("real_estate", "vehicle_dealer"),
    wage_pattern: str = r"\b(salary|salaries|wage|wages|payroll|lohn|gehalt|plata|zarada|placa)\b",
    kickback_days: int = 5,
    reference_monthly_wage: Decimal | None = None,
    max_depth: int = 6,
    max_accounts: int = 20_000,
) -> ProceedsEstimate:
    """Confiscation and compensation totals for an investigation."""
    notes: list[str] = []
    currencies = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT currency FROM tx WHERE tx_id IN (SELECT unnest(?::VARCHAR[])) "
            "OR payee_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(flagged_tx), list(victim_accounts)],
        ).fetchall()
    }
    if len(currencies) > 1:
        raise ValueError(
            f"proceeds span several currencies {sorted(currencies)}: trace each separately"
        )
    currency = next(iter(currencies), "EUR")
    offenders = set(offender_accounts)

    holdings, flagged_total, benefit, truncated = _trace(
        con, flagged_tx, offenders, set(asset_categories), max_depth, max_accounts
    )
    if truncated:
        notes.append(f"tracing stopped at {max_accounts} accounts; totals are lower bounds")
    sellers = {
        r[0]
        for r in con.execute(
            "SELECT account_key FROM account WHERE list_contains(?::VARCHAR[], category)",
            [list(asset_categories)],
        ).fetchall()
    }
    # money paid to a car dealer or notary has become an asset, not a balance
    still_held = sum(
        (h.tainted_balance for h in holdings if h.account_key not in sellers), Decimal(0)
    )
    on_assets = sum((h.tainted_spent_on_assets for h in holdings), Decimal(0))

    claims = _claims(
        con, victim_accounts, offenders, wage_pattern, kickback_days, reference_monthly_wage
    )
    compensation = sum((c.handed_back + c.shortfall for c in claims), Decimal(0))
    method = COMPENSATION_METHOD.format(days=kickback_days, pattern=wage_pattern)
    if reference_monthly_wage is not None:
        method += SHORTFALL_METHOD.format(reference=f"{reference_monthly_wage} {currency}")
    return ProceedsEstimate(
        currency=currency,
        flagged_inflow_total=_q(flagged_total),
        confiscation_total=_q(benefit),
        confiscation_method=CONFISCATION_METHOD.format(depth=max_depth),
        still_held=_q(still_held),
        spent_on_assets=_q(on_assets),
        holdings=tuple(sorted(holdings, key=lambda h: (-h.tainted_received, h.account_key))),
        compensation_total=_q(compensation),
        compensation_method=method,
        claims=tuple(claims),
        notes=tuple(notes),
    )


def _trace(
    con: duckdb.DuckDBPyConnection,
    flagged_tx: Sequence[str],
    offenders: set[str],
    asset_categories: set[str],
    max_depth: int,
    max_accounts: int,
) -> tuple[list[TracedHolding], Decimal, Decimal, bool]:
    if not flagged_tx:
        return [], Decimal(0), Decimal(0), False
    seeds = con.execute(
        "SELECT DISTINCT payee_key, min(booked_at) OVER () FROM tx "
        "WHERE tx_id IN (SELECT unnest(?::VARCHAR[])) AND payee_key IS NOT NULL",
        [list(flagged_tx)],
    ).fetchall()
    if not seeds:
        return [], Decimal(0), Decimal(0), False
    start = seeds[0][1]
    reached = {r[0] for r in seeds}
    frontier = set(reached)
    truncated = False
    for _ in range(max_depth):
        if not frontier or len(reached) >= max_accounts:
            truncated = bool(frontier) and len(reached) >= max_accounts
            break
        rows = con.execute(
            "SELECT DISTINCT payee_key FROM tx WHERE payer_key IN (SELECT unnest(?::VARCHAR[])) "
            "AND payee_key IS NOT NULL AND booked_at >= ?",
            [sorted(frontier), start],
        ).fetchall()
        frontier = {r[0] for r in rows} - reached
        reached |= frontier
    keys = sorted(reached)
    flagged = set(flagged_tx)
    # every payment into or out of a reached account, so that balances include
    # the clean money already there when the flagged inflows arrive
    txs = con.execute(
        """
        SELECT tx_id, payer_key, payee_key, amount, payee_category FROM tx
        WHERE payer_key IN (SELECT unnest($1::VARCHAR[])) OR payee_key IN (SELECT unnest($1::VARCHAR[]))
        ORDER BY booked_at, tx_id
        """,
        [keys],
    ).fetchall()
    balance: dict[str, Decimal] = defaultdict(Decimal)
    taint: dict[str, Decimal] = defaultdict(Decimal)
    received: dict[str, Decimal] = defaultdict(Decimal)
    on_assets: dict[str, Decimal] = defaultdict(Decimal)
    flagged_total = Decimal(0)
    benefit = Decimal(0)  # tainted money reaching offenders from others
    for tx_id, payer, payee, amount, payee_cat in txs:
        amount = Decimal(amount)
        carried = Decimal(0)
        if payer is not None and payer in reached:
            bal = balance[payer]
            if taint[payer] > 0 and bal > 0:
                carried = min(taint[payer], amount * taint[payer] / bal)
            taint[payer] -= carried
            # unknown opening balance: never let the balance fall below the taint
            balance[payer] = max(bal - amount, taint[payer])
            if payee_cat in asset_categories:
                on_assets[payer] += carried
        if tx_id in flagged:
            flagged_total += amount
            carried = amount  # a flagged inflow is tainted whole
        if payee is not None and payee in reached:
            balance[payee] += amount
            taint[payee] += carried
            received[payee] += carried
            if payee in offenders and payer not in offenders:
                benefit += carried
    holdings = [
        TracedHolding(
            account_key=k,
            tainted_received=_q(received[k]),
            tainted_balance=_q(taint[k]),
            tainted_spent_on_assets=_q(on_assets[k]),
            is_offender=k in offenders,
        )
        for k in keys
        if received[k] > 0 or on_assets[k] > 0
    ]
    return holdings, flagged_total, benefit, truncated


def _claims(
    con: duckdb.DuckDBPyConnection,
    victims: Sequence[str],
    offenders: set[str],
    wage_pattern: str,
    days: int,
    reference: Decimal | None,
) -> list[VictimClaim]:
    if not victims:
        return []
    regex = re.compile(wage_pattern)
    wages = [
        r
        for r in con.execute(
            "SELECT tx_id, payee_key, payer_key, booked_at, amount, description FROM tx "
            "WHERE payee_key IN (SELECT unnest(?::VARCHAR[])) ORDER BY booked_at, tx_id",
            [list(victims)],
        ).fetchall()
        if regex.search((r[5] or "").lower())
    ]
    outs = con.execute(
        "SELECT tx_id, payer_key, payee_key, booked_at, amount FROM tx "
        "WHERE payer_key IN (SELECT unnest(?::VARCHAR[])) AND payee_key IS NOT NULL "
        "ORDER BY booked_at, tx_id",
        [list(victims)],
    ).fetchall()
    # collectors: accounts receiving post-wage payments from two or more victims
    window = timedelta(days=days)
    candidates: list[tuple[str, str, str, object, Decimal, str, str]] = []
    for w_id, victim, employer, w_at, _w_amt, _ in wages:
        for o_id, payer, payee, o_at, o_amt in outs:
            if payer == victim and w_at <= o_at <= w_at + window:
                candidates.append((victim, w_id, o_id, o_at, Decimal(o_amt), payee, employer))
    senders: dict[str, set[str]] = defaultdict(set)
    for victim, *_rest, payee, _employer in candidates:
        senders[payee].add(victim)
    collectors = {k for k, v in senders.items() if len(v) >= 2}
    claims = []
    for victim in victims:
        v_wages = [w for w in wages if w[1] == victim]
        handed = Decimal(0)
        tx_ids: list[str] = []
        counted: set[str] = set()
        for w_id, _v, employer, _w_at, w_amt, _ in v_wages:
            left = Decimal(w_amt)
            for cv, cw, o_id, _o_at, o_amt, payee, _emp in candidates:
                if cv != victim or cw != w_id or o_id in counted or left <= 0:
                    continue
                if payee == employer or payee in offenders or payee in collectors:
                    take = min(o_amt, left)
                    handed += take
                    left -= take
                    counted.add(o_id)
                    tx_ids += [w_id, o_id]
        shortfall = Decimal(0)
        if reference is not None and v_wages:
            by_month: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
            for w in v_wages:
                by_month[(w[3].year, w[3].month)] += Decimal(w[4])
            (y, m), last = min(by_month), max(by_month)
            while (y, m) <= last:
                shortfall += max(Decimal(0), reference - by_month.get((y, m), Decimal(0)))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        claims.append(
            VictimClaim(
                account_key=victim,
                wages_received=_q(sum((Decimal(w[4]) for w in v_wages), Decimal(0))),
                handed_back=_q(handed),
                shortfall=_q(shortfall),
                tx_ids=tuple(dict.fromkeys(tx_ids)),
            )
        )
    return claims
