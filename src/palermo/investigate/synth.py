"""Deterministic synthetic bank transactions, for scale benchmarks and demos.

Writes a CSV in the ``palermo-canonical`` profile (valid German IBANs, holder
names, merchants with MCCs, times of day) with background activity and a few
planted patterns — funnels, fan-outs, cycles, advert and hotel spending, wage
kickbacks — so that every network and category rule has work to do.
Generation runs inside DuckDB (``COPY ... TO``): ten million rows take well
under a minute. Every value (sizes, seed, the file path) is a bound parameter; no SQL
text is built from values. Pseudo-randomness is ``hash()`` of the row number and a seed,
so the same size and seed always give the same file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

__all__ = ["write_synthetic_csv"]

_FIRST = [
    "Ana",
    "Marko",
    "Ivana",
    "Elena",
    "Nikola",
    "Maria",
    "Olena",
    "Dmytro",
    "Fatima",
    "Ahmed",
    "Irina",
    "Sergei",
    "Laura",
    "Tomasz",
    "Agnieszka",
    "Gheorghe",
    "Ioana",
    "Petar",
    "Mihail",
    "Svetlana",
    "Daniel",
    "Sofia",
    "Luca",
    "Giulia",
    "Jovan",
    "Milica",
    "Arben",
    "Blerta",
    "Emre",
    "Ayse",
    "Jonas",
    "Lea",
    "Oksana",
    "Viktor",
    "Natalia",
    "Stefan",
    "Ewa",
    "Adrian",
    "Vesna",
    "Goran",
]
_LAST = [
    "Petrovic",
    "Horvat",
    "Kovacenko",
    "Popescu",
    "Ionescu",
    "Nowak",
    "Kowalski",
    "Schmidt",
    "Muller",
    "Rossi",
    "Bianchi",
    "Dimitrov",
    "Georgiev",
    "Yilmaz",
    "Kaya",
    "Hoxha",
    "Krasniqi",
    "Shevchenko",
    "Bondarenko",
    "Ivanova",
    "Novak",
    "Kovac",
    "Jovanovic",
    "Nikolic",
    "Markovic",
    "Papadopoulos",
    "Wagner",
    "Becker",
    "Fischer",
    "Weber",
]
# (category name stem, MCC) for merchant accounts
_MERCHANTS = [
    ("Hotel Adria", "7011"),
    ("Motel Central", "7011"),
    ("City Hostel", "7011"),
    ("Locanto Classifieds", "7311"),
    ("Vivastreet Ads", "7311"),
    ("Flixbus Tickets", "4131"),
    ("Wizz Air", "4511"),
    ("Western Union", "4829"),
    ("Binance", "6051"),
    ("Balkan Staffing Recruitment", "7361"),
    ("Supermarket Mega", "5411"),
    ("Fuel Station", "5541"),
    ("Pharmacy Plus", "5912"),
    ("Mobile Telecom", "4814"),
    ("Restaurant Dunav", "5812"),
]


def write_synthetic_csv(path: Path, *, rows: int, seed: int = 7) -> dict[str, int]:
    """Write ``rows`` synthetic transactions to ``path``; returns the planted counts."""
    target = _path_param(path)
    accounts = max(rows // 20, 200)
    planted = max(rows // 100_000, 2)  # pattern instances of each kind
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        """
        CREATE TEMP TABLE acct AS
        SELECT i,
               'DE' || lpad(CAST(98 - (CAST(bban || '131400' AS HUGEINT) % 97) AS VARCHAR), 2, '0')
                    || bban AS iban,
               $first[1 + CAST(hash(i, $seed, 1) % len($first) AS INTEGER)] || ' '
                    || $last[1 + CAST(hash(i, $seed, 2) % len($last) AS INTEGER)] AS name
        FROM (
            SELECT i, '37040044' || lpad(CAST(1000000000 + i AS VARCHAR), 10, '0') AS bban
            FROM range($accounts) r(i)
        )
        """,
        {"first": _FIRST, "last": _LAST, "seed": seed, "accounts": accounts},
    )
    con.execute(
        """
        CREATE TEMP TABLE merchant AS
        SELECT m AS idx, stem || ' ' || CAST(1 + (m // len($stems)) AS VARCHAR) AS name,
               mcc, iban
        FROM (
            SELECT r.m, $stems[1 + (r.m % len($stems))] AS stem, $mccs[1 + (r.m % len($stems))] AS mcc,
                   a.iban
            FROM range(len($stems) * 4) r(m)
            JOIN acct a ON a.i = $accounts - 1 - r.m
        )
        """,
        {
            "stems": [m[0] for m in _MERCHANTS],
            "mccs": [m[1] for m in _MERCHANTS],
            "accounts": accounts,
        },
    )
    n_merchants = len(_MERCHANTS) * 4
    people = accounts - n_merchants
    reserved = people - planted * 40 - 1  # ids >= reserved are kept for planted patterns
    background = rows - planted * 40
    sizes = {"seed": seed, "reserved": reserved}
    # Background: each payer has a few standing payees (hash of payer and slot)
    # and spends at merchants; 5% are wage payments from "employers" (low ids).
    con.execute(
        """
        CREATE TEMP TABLE bg AS
        SELECT i,
               CAST(hash(i, $seed, 3) % $reserved AS BIGINT) AS payer,
               CAST(hash(i, $seed, 4) % 100 AS INTEGER) AS kind,
               CAST(hash(i, $seed, 5) % 5 AS INTEGER) AS slot,
               CAST(hash(i, $seed, 6) % $merchants AS INTEGER) AS merch,
               TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i, $seed, 7) % (730 * 86400) AS BIGINT)) AS at,
               round(5 + (hash(i, $seed, 8) % 200000) / 100.0, 2) AS amount
        FROM range($background) r(i)
        """,
        {**sizes, "merchants": n_merchants, "background": background},
    )
    con.execute(
        """
        CREATE TEMP TABLE out_rows AS
        SELECT 'bg-' || CAST(b.i AS VARCHAR) AS tx_ref,
               strftime(b.at, '%Y-%m-%d %H:%M:%S') AS booked_at,
               b.amount,
               'EUR' AS currency,
               p.iban AS payer_iban, p.name AS payer_name,
               CASE WHEN b.kind < 25 THEN m.iban ELSE q.iban END AS payee_iban,
               CASE WHEN b.kind < 25 THEN m.name ELSE q.name END AS payee_name,
               CASE WHEN b.kind >= 95 THEN 'salary ' || strftime(b.at, '%B') ELSE 'payment' END AS description,
               CASE WHEN b.kind < 25 THEN m.mcc END AS mcc,
               CASE WHEN b.kind < 25 THEN 'card' ELSE 'transfer' END AS channel
        FROM bg b
        JOIN acct p ON p.i = b.payer
        JOIN acct q ON q.i = CAST(hash(b.payer, b.slot, $seed) % $reserved AS BIGINT)
        JOIN merchant m ON m.idx = b.merch
        WHERE q.i <> p.i
        """,
        sizes,
    )
    con.execute("DROP TABLE bg")
    _plant_patterns(con, planted=planted, base=reserved)
    # In booking order, as a bank statement is. The order is written out explicitly: DuckDB's
    # parallel joins do not keep insertion order once a table spans several row groups
    # (above ~120,000 rows), and the same size and seed must give the same file byte for byte.
    con.execute(
        "COPY (SELECT * FROM out_rows ORDER BY booked_at, tx_ref) TO $path (HEADER, DELIMITER ',')",
        {"path": target},
    )
    written = con.execute("SELECT count(*) FROM out_rows").fetchone()[0]  # type: ignore[index]
    con.close()
    return {"rows": int(written), "accounts": accounts, "planted_per_pattern": planted}


def _path_param(path: Path) -> str:
    """The path as a bound parameter's value. DuckDB would cut a path at a NUL character and
    write elsewhere (``out\0.csv`` becomes ``out``); Python's own file functions refuse it, so
    do we."""
    text = str(path)
    if "\0" in text:
        raise ValueError("A file path may not contain a NUL character.")
    return text


def _plant_patterns(con: duckdb.DuckDBPyConnection, *, planted: int, base: int) -> None:
    """Funnels, fan-outs, cycles, advert/hotel spenders and wage kickbacks.

    Planted accounts come from a reserved id range (the top of the person range,
    below the merchants) so they never collide with each other.
    """
    con.execute(
        """
        INSERT INTO out_rows
        WITH g AS (SELECT p, $base + p * 40 AS b FROM range($planted) r(p)),
        ev AS (
            -- funnel: 6 single-use payers -> hub b
            SELECT 'fi-' || p || '-' || k AS ref, b + 1 + k AS payer, b AS payee, 400 + k AS amt,
                   TIMESTAMP '2023-03-01' + to_days(CAST(p % 600 AS INTEGER) + k) AS at,
                   'transfer' AS d, NULL AS mcc, NULL AS cat
            FROM g, range(6) r(k)
            UNION ALL -- cycle of 5 quiet accounts b+10 .. b+14
            SELECT 'cy-' || p || '-' || k, b + 10 + k, b + 10 + (k + 1) % 5, 900 - k,
                   TIMESTAMP '2023-04-01' + to_days(CAST(p % 600 AS INTEGER) + 2 * k), 'loan', NULL, NULL
            FROM g, range(5) r(k)
            UNION ALL -- wage kickback: employer b+20 pays 4 workers b+21..24, who hand back to b+25
            SELECT 'wg-' || p || '-' || k, b + 20, b + 21 + k, 1500,
                   TIMESTAMP '2023-05-01' + to_days(CAST(p % 600 AS INTEGER)), 'salary May', NULL, NULL
            FROM g, range(4) r(k)
            UNION ALL
            SELECT 'kb-' || p || '-' || k, b + 21 + k, b + 25, 1200,
                   TIMESTAMP '2023-05-02' + to_days(CAST(p % 600 AS INTEGER)), 'cash back', NULL, NULL
            FROM g, range(4) r(k)
        )
        SELECT ev.ref, strftime(ev.at, '%Y-%m-%d %H:%M:%S'), ev.amt, 'EUR', pa.iban, pa.name,
               pb.iban, pb.name, ev.d, ev.mcc, 'transfer'
        FROM ev JOIN acct pa ON pa.i = ev.payer JOIN acct pb ON pb.i = ev.payee
        """,
        {"base": base, "planted": planted},
    )
    # advert and hotel spending: account b+30 pays ads 5 times and hotels 6 times in a month, at night
    con.execute(
        """
        INSERT INTO out_rows
        WITH g AS (SELECT p, $base + p * 40 AS b FROM range($planted) r(p)),
        ev AS (
            SELECT 'ad-' || p || '-' || k AS ref, b + 30 AS payer, 3 AS stem, 19.99 AS amt,
                   TIMESTAMP '2023-06-01 23:30:00' + to_days(CAST(p % 600 AS INTEGER) + 3 * k) AS at
            FROM g, range(5) r(k)
            UNION ALL
            SELECT 'ht-' || p || '-' || k, b + 30, 0, 89.00,
                   TIMESTAMP '2023-06-02 01:15:00' + to_days(CAST(p % 600 AS INTEGER) + 4 * k)
            FROM g, range(6) r(k)
        )
        SELECT ev.ref, strftime(ev.at, '%Y-%m-%d %H:%M:%S'), ev.amt, 'EUR', pa.iban, pa.name,
               m.iban, m.name, 'card payment', m.mcc, 'card'
        FROM ev JOIN acct pa ON pa.i = ev.payer JOIN merchant m ON m.idx = ev.stem
        """,
        {"base": base, "planted": planted},
    )
