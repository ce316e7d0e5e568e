"""DuckDB tables of an investigation workspace.

One workspace is one DuckDB database (a file, or ``:memory:``). Transactions are
stored as directed payments (payer -> payee, positive amount), whatever the
layout they came in, so the rules and the network analysis see one shape.

No primary-key indexes on the large tables: DuckDB keeps ART indexes in memory
and they would dominate the footprint at 10^8 transactions. Uniqueness of
``tx.tx_id`` is kept by the importer's anti-join instead.
"""

from __future__ import annotations

import duckdb

__all__ = ["SCHEMA_VERSION", "create_schema", "TX_FIELDS", "ACCOUNT_FIELDS", "PARTY_FIELDS"]

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS source (
    source_id VARCHAR PRIMARY KEY,       -- sha256 of the file's bytes
    file_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,               -- csv | camt053 | amlsim | records
    profile VARCHAR,
    imported_at TIMESTAMP NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_inserted BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS account (
    account_key VARCHAR NOT NULL,        -- IBAN, acct:<bank>:<no>, name:<name>, amlsim:<id>
    iban VARCHAR,
    account_number VARCHAR,
    bic VARCHAR,
    country VARCHAR,
    holder_name VARCHAR,
    holder_name_norm VARCHAR,
    holder_kind VARCHAR,                 -- person | company | unknown
    category VARCHAR,                    -- counterparty category (classify.py)
    phone VARCHAR,
    email VARCHAR,
    address VARCHAR,
    address_norm VARCHAR,
    device_id VARCHAR,
    first_source VARCHAR
);

CREATE TABLE IF NOT EXISTS tx (
    tx_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,
    booked_at TIMESTAMP NOT NULL,
    has_time BOOLEAN NOT NULL,           -- false when the source gives dates only
    amount DECIMAL(18, 2) NOT NULL,
    currency VARCHAR NOT NULL,
    payer_key VARCHAR,
    payee_key VARCHAR,
    statement_key VARCHAR,               -- account whose statement holds the line
    payer_category VARCHAR,
    payee_category VARCHAR,
    mcc VARCHAR,
    channel VARCHAR,
    description VARCHAR,
    bank_ref VARCHAR,
    location VARCHAR
);

CREATE TABLE IF NOT EXISTS tx_label (   -- ground truth of labelled data, for backtests only
    tx_id VARCHAR NOT NULL,
    is_suspicious BOOLEAN NOT NULL,
    label_group VARCHAR,
    typology VARCHAR
);

CREATE TABLE IF NOT EXISTS account_label (
    account_key VARCHAR NOT NULL,
    label_group VARCHAR NOT NULL,
    typology VARCHAR NOT NULL,
    role VARCHAR NOT NULL                -- hub | member | source | intermediary | gatherer | originator | beneficiary
);

CREATE TABLE IF NOT EXISTS party (     -- people and companies from case records
    party_id VARCHAR NOT NULL,
    schema VARCHAR NOT NULL,             -- Person | Company | LegalEntity
    name VARCHAR,
    name_norm VARCHAR,
    birth_date DATE,
    phone VARCHAR,
    email VARCHAR,
    address VARCHAR,
    address_norm VARCHAR,
    device_id VARCHAR,
    iban VARCHAR,
    role VARCHAR,                        -- victim | suspect | witness | other
    record_ref VARCHAR
);

CREATE TABLE IF NOT EXISTS relation (
    relation_id VARCHAR PRIMARY KEY,
    schema VARCHAR NOT NULL,             -- Ownership | Employment | Debt | ...
    from_id VARCHAR NOT NULL,
    to_id VARCHAR NOT NULL,
    properties JSON
);

CREATE TABLE IF NOT EXISTS alert (
    alert_key VARCHAR PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    rule_version INTEGER NOT NULL,
    subject VARCHAR NOT NULL,
    tx_ids VARCHAR[] NOT NULL,
    score DOUBLE,
    summary VARCHAR,
    raised_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_decision (
    alert_key VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    tx_ids VARCHAR[] NOT NULL,
    decision VARCHAR NOT NULL,           -- confirmed | dismissed
    note VARCHAR,
    decided_by VARCHAR,
    decided_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS er_judgement (  -- used when the caller brings no JudgementStore
    pair_key VARCHAR PRIMARY KEY,
    left_id VARCHAR NOT NULL,
    right_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    note VARCHAR
);

CREATE TABLE IF NOT EXISTS rule_run (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    report JSON
);
"""

# Fields a rule may declare in ``requires``: table.column pairs whose presence is
# checked against the data before the rule runs.
TX_FIELDS = (
    "tx_id",
    "booked_at",
    "has_time",
    "amount",
    "currency",
    "payer_key",
    "payee_key",
    "statement_key",
    "payer_category",
    "payee_category",
    "mcc",
    "channel",
    "description",
    "bank_ref",
    "location",
)
ACCOUNT_FIELDS = (
    "account_key",
    "iban",
    "holder_name",
    "holder_name_norm",
    "holder_kind",
    "category",
    "phone",
    "email",
    "address_norm",
    "device_id",
)
PARTY_FIELDS = (
    "party_id",
    "name_norm",
    "birth_date",
    "phone",
    "email",
    "address_norm",
    "device_id",
    "iban",
    "role",
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the workspace tables if absent and record the schema version."""
    con.execute(_DDL)
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
