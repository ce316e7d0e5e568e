"""Statement import: CSV through mapping profiles, ISO 20022 camt.053, AMLSim.

Every reader fills one staging table of canonical fields; one pipeline then
validates, normalises and stores, so the three formats obey the same promises:

* **provenance** — each transaction keeps the sha256 of its source file and the
  line (CSV record, XML element line, or Parquet record number) it came from;
* **all or nothing** — any row error rejects the whole file; the report lists
  every error with its line, field, value and reason;
* **idempotent** — a file already imported (same sha256) is not read again, and
  a transaction already present (same ``tx_id``, e.g. from an overlapping
  statement) is skipped, never duplicated.

Heavy lifting (CSV parsing, date and amount parsing, deduplication) is done by
DuckDB so that 10^7 rows import in minutes; Python only normalises *distinct*
account identifiers and names, which are orders of magnitude fewer than rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from lxml import etree

from palermo.core.limits import MB, ImportLimits, LimitExceeded, RowGuard
from palermo.investigate.classify import CategoryTable, load_category_table
from palermo.investigate.normalise import (
    NormalisationError,
    normalise_account,
    normalise_address,
    normalise_name,
    normalise_org_name,
)
from palermo.investigate.profiles import CsvProfile

__all__ = [
    "RowError",
    "ImportReport",
    "file_sha256",
    "stage_csv",
    "stage_camt053",
    "stage_amlsim",
    "stage_records",
    "commit_stage",
    "MAX_REPORTED_ERRORS",
    "STATEMENT_LIMITS",
    "check_stage_limits",
]

# Statements are large by nature (an investigation may hold 10^7 payments); the shell
# passes the instance's configured limits (settings PALERMO_IMPORT_LIMITS["statement"]).
STATEMENT_LIMITS = ImportLimits(max_bytes=1024 * MB, max_rows=20_000_000, max_cell_chars=4_000)

MAX_REPORTED_ERRORS = 1000
_PASS_THROUGH_KEY = re.compile(r"^(amlsim|ext):[A-Za-z0-9_.:-]+$")

_STAGE_COLUMNS: dict[str, str] = {
    "line_no": "BIGINT",
    "booked_raw": "VARCHAR",
    "booked_at": "TIMESTAMP",
    "has_time": "BOOLEAN",
    "amount_raw": "VARCHAR",
    "amount": "DECIMAL(18, 2)",
    "direction": "VARCHAR",  # debit | credit | graph
    "currency": "VARCHAR",
    "statement_raw": "VARCHAR",
    "payer_raw": "VARCHAR",
    "payer_bic": "VARCHAR",
    "payer_name": "VARCHAR",
    "payer_address": "VARCHAR",
    "payee_raw": "VARCHAR",
    "payee_bic": "VARCHAR",
    "payee_name": "VARCHAR",
    "payee_address": "VARCHAR",
    "mcc": "VARCHAR",
    "channel": "VARCHAR",
    "description": "VARCHAR",
    "bank_ref": "VARCHAR",
    "location": "VARCHAR",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: where it is, which field, what was there, and why."""

    line: int
    field: str
    value: str | None
    message: str


@dataclass(frozen=True)
class ImportReport:
    source_id: str
    file_name: str
    kind: str
    profile: str | None
    rows_read: int
    rows_inserted: int
    rows_duplicate: int
    errors: tuple[RowError, ...] = ()
    error_count: int = 0
    already_imported: bool = False
    file_errors: tuple[str, ...] = field(default=())
    # rows kept but worth a look (amounts of 0.00): line, field, value, message
    warnings: tuple[RowError, ...] = ()
    warning_count: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was accepted (or had been accepted before)."""
        return self.error_count == 0 and not self.file_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "file_name": self.file_name,
            "kind": self.kind,
            "profile": self.profile,
            "ok": self.ok,
            "rows_read": self.rows_read,
            "rows_inserted": self.rows_inserted,
            "rows_duplicate": self.rows_duplicate,
            "already_imported": self.already_imported,
            "error_count": self.error_count,
            "errors": [_row_error_dict(e) for e in self.errors],
            "file_errors": list(self.file_errors),
            "warning_count": self.warning_count,
            "warnings": [_row_error_dict(e) for e in self.warnings],
        }


ZERO_AMOUNT_WARNING = "amount of zero: kept, but it moves no money"


def _row_error_dict(e: RowError) -> dict[str, Any]:
    return {"line": e.line, "field": e.field, "value": e.value, "message": e.message}


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (statements can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------- SQL text
#
# Statements bind their values as parameters. Only a view cannot: DuckDB refuses prepared
# parameters in a view's definition, and the CSV stage is a view because a copy of 10^7 rows
# costs gigabytes. So whatever comes from outside the code (a profile's formats and separators,
# a CSV header, the account an investigator typed, a file path) enters SQL text through
# ``_ident`` or ``_lit`` only, which render it with DuckDB's own expression quoting; the rest of
# the SQL text is fixed pieces named below.


def _ident(name: str) -> str:
    """An identifier (a CSV header), quoted by DuckDB: ``a"b`` becomes ``"a""b"``."""
    return str(duckdb.ColumnExpression(name))


def _lit(value: str | int | None) -> str:
    """A constant, quoted by DuckDB: ``it's`` becomes ``'it''s'``, None becomes ``NULL``."""
    return str(duckdb.ConstantExpression(value))


_STAGE_CREATE = (
    "CREATE TEMP TABLE stage ("
    + ", ".join(f"{name} {sql_type}" for name, sql_type in _STAGE_COLUMNS.items())
    + ")"
)
# Column-wise bulk insert: one list parameter per column, unnested together.
_STAGE_INSERT = "INSERT INTO stage SELECT " + ", ".join(
    f"unnest(${i}::{sql_type}[])" for i, sql_type in enumerate(_STAGE_COLUMNS.values(), 1)
)
_DROP = {"VIEW": "DROP VIEW", "TABLE": "DROP TABLE"}
# The table function reading an AMLSim file, by its suffix; the path is bound as a parameter.
_AMLSIM_READER = {".parquet": "read_parquet", ".csv": "read_csv"}


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging relation, a table (camt, records, AMLSim) or a view (CSV)."""
    for name in ("stage_keyed", "stage"):
        kind = con.execute(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? AND temporary "
            "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? AND temporary",
            [name, name],
        ).fetchone()
        if kind:
            con.execute(f"{_DROP[kind[0]]} {_ident(name)}")


def _drop_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {_ident(name)}")


def _create_stage(con: duckdb.DuckDBPyConnection) -> None:
    _drop_stage(con)
    con.execute(_STAGE_CREATE)


# --------------------------------------------------------------------------- CSV


def _amount_sql(col: str, profile: CsvProfile) -> str:
    """SQL turning a raw amount string into a signed DECIMAL, NULL if unparsable."""
    expr = f"replace(trim(coalesce({col}, '')), ' ', '')"
    if profile.thousands and profile.thousands != " ":
        expr = f"replace({expr}, {_lit(profile.thousands)}, '')"
    if profile.decimal == ",":
        expr = f"replace({expr}, ',', '.')"
    # some banks write the sign last ("100.00-")
    expr = f"(CASE WHEN {expr} LIKE '%-' THEN '-' || rtrim({expr}, '-') ELSE {expr} END)"
    return f"TRY_CAST(NULLIF({expr}, '') AS DECIMAL(18, 2))"


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    profile: CsvProfile,
    *,
    account: str | None = None,
    account_name: str | None = None,
) -> tuple[int, list[RowError], list[str]]:
    """Read a CSV export through a mapping profile into the staging table.

    ``account``/``account_name`` name the statement's own account when the file
    does not carry it on every row. Returns (rows read, parse errors, file errors).
    """
    _drop_stage(con)
    _drop_tables(con, "stage_raw", "csv_rejects", "csv_reject_scans")
    try:
        con.execute(
            "CREATE TEMP TABLE stage_raw AS SELECT * FROM read_csv(?, delim=?, quote=?, "
            "header=?, skip=?, encoding=?, all_varchar=true, auto_detect=true, "
            "store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_reject_scans')",
            [
                str(path),
                profile.delimiter,
                profile.quote or '"',
                profile.header,
                profile.skip_rows,
                profile.encoding,
            ],
        )
    except duckdb.Error as exc:
        return 0, [], [f"CSV could not be read: {exc}"]
    rejects = con.execute(
        # DuckDB reports a short line once per missing column: one error per line
        "SELECT line, string_agg(DISTINCT column_name, ', '), any_value(csv_line), "
        "min(error_message) FROM csv_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    rows_read = con.execute("SELECT count(*) FROM stage_raw").fetchone()[0]  # type: ignore[index]
    if rejects:
        errors = [
            RowError(line=int(r[0]), field=str(r[1] or "*"), value=r[2], message=str(r[3]))
            for r in rejects
        ]
        return rows_read + len(rejects), errors, []
    present = {r[0] for r in con.execute("DESCRIBE stage_raw").fetchall()}
    missing = sorted(c for c in profile.columns.values() if c not in present)
    if missing:
        return rows_read, [], [f"columns missing from the file: {', '.join(missing)}"]

    cols = profile.columns

    def col(name: str) -> str:
        return f"NULLIF(trim({_ident(cols[name])}), '')" if name in cols else "NULL"

    header_lines = int(profile.skip_rows) + (1 if profile.header else 0)
    has_time_fmt = "%H" in profile.date_format
    if "time" in cols and profile.time_format:
        booked = (
            f"coalesce(TRY_STRPTIME({col('booked_at')} || ' ' || {col('time')}, "
            f"{_lit(profile.date_format + ' ' + (profile.time_format or ''))}), "
            f"TRY_STRPTIME({col('booked_at')}, {_lit(profile.date_format)}))"
        )
        has_time = f"{col('time')} IS NOT NULL"
    else:
        booked = f"TRY_STRPTIME({col('booked_at')}, {_lit(profile.date_format)})"
        has_time = "true" if has_time_fmt else "false"

    mode = profile.amount_mode
    if mode == "signed":
        signed = _amount_sql(_ident(cols["amount"]), profile)
        amount_raw = col("amount")
        direction = f"CASE WHEN {signed} < 0 THEN 'debit' WHEN {signed} >= 0 THEN 'credit' END"
        amount = f"abs({signed})"
    elif mode == "split":
        deb = _amount_sql(_ident(cols["debit"]), profile)
        cre = _amount_sql(_ident(cols["credit"]), profile)
        amount_raw = f"coalesce({col('debit')}, {col('credit')})"
        direction = (
            f"CASE WHEN {col('debit')} IS NOT NULL AND {col('credit')} IS NULL THEN 'debit' "
            f"WHEN {col('credit')} IS NOT NULL AND {col('debit')} IS NULL THEN 'credit' END"
        )
        amount = f"abs(coalesce({deb}, {cre}))"
    elif mode == "direction":
        signed = _amount_sql(_ident(cols["amount"]), profile)
        amount_raw = col("amount")
        debit_vals = [v.upper() for v in profile.direction_values.get("debit", ())]
        credit_vals = [v.upper() for v in profile.direction_values.get("credit", ())]
        direction = (
            f"CASE WHEN upper({col('direction')}) IN ({', '.join(map(_lit, debit_vals)) or 'NULL'}) "
            f"THEN 'debit' WHEN upper({col('direction')}) IN "
            f"({', '.join(map(_lit, credit_vals)) or 'NULL'}) THEN 'credit' END"
        )
        amount = f"abs({signed})"
    else:  # graph
        signed = _amount_sql(_ident(cols["amount"]), profile)
        amount_raw = col("amount")
        direction = "'graph'"
        amount = signed  # a negative amount is an error in this layout

    statement = col("account") if "account" in cols else _lit(account)
    holder = col("account_name") if "account_name" in cols else _lit(account_name)
    if mode == "graph":
        statement = "NULL"
        holder = "NULL"
        payer = ("pa_acct", "CAST(NULL AS VARCHAR)", "pa_name")
        payee = ("pb_acct", "CAST(NULL AS VARCHAR)", "pb_name")
    else:
        payer = (
            "CASE WHEN dir = 'debit' THEN st ELSE cp_acct END",
            "CASE WHEN dir = 'debit' THEN NULL ELSE cp_bic END",
            "CASE WHEN dir = 'debit' THEN holder ELSE cp_name END",
        )
        payee = (
            "CASE WHEN dir = 'credit' THEN st ELSE cp_acct END",
            "CASE WHEN dir = 'credit' THEN NULL ELSE cp_bic END",
            "CASE WHEN dir = 'credit' THEN holder ELSE cp_name END",
        )
    currency = f"upper(coalesce({col('currency')}, {_lit(profile.default_currency)}))"
    # A view, not a copy: at 10^7 rows every materialised copy costs gigabytes.
    con.execute(
        f"""
        CREATE TEMP VIEW stage AS
        SELECT line_no, booked_raw, booked_at, has_time, amount_raw,
               CAST(amount AS DECIMAL(18, 2)) AS amount, dir AS direction, currency,
               st AS statement_raw, {payer[0]} AS payer_raw, {payer[1]} AS payer_bic,
               {payer[2]} AS payer_name, CAST(NULL AS VARCHAR) AS payer_address,
               {payee[0]} AS payee_raw, {payee[1]} AS payee_bic, {payee[2]} AS payee_name,
               CAST(NULL AS VARCHAR) AS payee_address,
               mcc, channel, description, bank_ref, location
        FROM (
            -- only derived columns leave this level: raw CSV headers may reuse
            -- canonical names ("amount", "booked_at") and must not shadow them
            SELECT rowid + 1 + {_lit(header_lines)} AS line_no,
                   {col("counterparty_account")} AS cp_acct, {col("counterparty_name")} AS cp_name,
                   {col("counterparty_bic")} AS cp_bic,
                   {col("payer_account")} AS pa_acct, {col("payer_name")} AS pa_name,
                   {col("payee_account")} AS pb_acct, {col("payee_name")} AS pb_name,
                   {col("booked_at")} AS booked_raw, {booked} AS booked_at,
                   {has_time} AS has_time, {amount_raw} AS amount_raw, {amount} AS amount,
                   {direction} AS dir, {currency} AS currency, {statement} AS st,
                   {holder} AS holder, {col("mcc")} AS mcc, {col("channel")} AS channel,
                   {col("description")} AS description, {col("bank_ref")} AS bank_ref,
                   {col("location")} AS location
            FROM stage_raw
        )
        """  # noqa: S608 - a view takes no parameters: outside text only through _ident and _lit
    )
    return rows_read, [], []


# ----------------------------------------------------------------------- camt.053

_CAMT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)


def _local(el: etree._Element) -> str:
    return str(etree.QName(el).localname)


def _child(el: etree._Element | None, *path: str) -> etree._Element | None:
    """Namespace-agnostic descent: camt.053 exists in several schema versions."""
    cur = el
    for name in path:
        if cur is None:
            return None
        cur = next((c for c in cur if isinstance(c.tag, str) and _local(c) == name), None)
    return cur


def _text(el: etree._Element | None, *path: str) -> str | None:
    node = _child(el, *path)
    if node is None or node.text is None:
        return None
    text = node.text.strip()
    return text or None


def _party_name(tx: etree._Element | None, role: str) -> str | None:
    # v02: RltdPties/Dbtr/Nm ; v08+: RltdPties/Dbtr/Pty/Nm
    return _text(tx, "RltdPties", role, "Nm") or _text(tx, "RltdPties", role, "Pty", "Nm")


def _party_address(tx: etree._Element | None, role: str) -> str | None:
    party = _child(tx, "RltdPties", role)
    if party is None:
        return None
    adr = _child(party, "PstlAdr")
    if adr is None:
        adr = _child(party, "Pty", "PstlAdr")
    if adr is None:
        return None
    parts = [
        c.text.strip()
        for c in adr
        if isinstance(c.tag, str)
        and c.text
        and c.text.strip()
        and _local(c) in {"StrtNm", "BldgNb", "PstCd", "TwnNm", "Ctry", "AdrLine"}
    ]
    return ", ".join(parts) or None


def _party_account(tx: etree._Element | None, role: str) -> str | None:
    acct = _child(tx, "RltdPties", f"{role}Acct", "Id")
    return _text(acct, "IBAN") or _text(acct, "Othr", "Id")


def _party_bic(tx: etree._Element | None, role: str) -> str | None:
    agent = _child(tx, "RltdAgts", f"{role}Agt", "FinInstnId")
    return _text(agent, "BICFI") or _text(agent, "BIC")


def stage_camt053(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[int, list[RowError], list[str]]:
    """Read an ISO 20022 camt.053 (bank-to-customer statement) into the staging table.

    An entry with several transaction details (a batch) becomes one row per
    detail. The XML parser resolves no entities and fetches nothing from the
    network: statements are untrusted input.
    """
    _create_stage(con)
    try:
        tree = etree.parse(str(path), _CAMT_PARSER)
    except etree.XMLSyntaxError as exc:
        return 0, [], [f"not well-formed XML: {exc}"]
    root = tree.getroot()
    stmt_container = _child(root, "BkToCstmrStmt")
    if stmt_container is None:
        return 0, [], ["not a camt.053 document (no BkToCstmrStmt)"]
    rows: dict[str, list[Any]] = {k: [] for k in _STAGE_COLUMNS}
    errors: list[RowError] = []
    for stmt in stmt_container:
        if not isinstance(stmt.tag, str) or _local(stmt) != "Stmt":
            continue
        acct_id = _child(stmt, "Acct", "Id")
        st_account = _text(acct_id, "IBAN") or _text(acct_id, "Othr", "Id")
        st_holder = _text(stmt, "Acct", "Ownr", "Nm")
        st_currency = _text(stmt, "Acct", "Ccy")
        for entry in stmt:
            if not isinstance(entry.tag, str) or _local(entry) != "Ntry":
                continue
            # lxml elements without children are falsy: compare with None, never use `or`
            ntry_dtls = _child(entry, "NtryDtls")
            details: list[etree._Element | None] = [
                d
                for d in (ntry_dtls if ntry_dtls is not None else [])
                if isinstance(d.tag, str) and _local(d) == "TxDtls"
            ] or [None]
            indicator = _text(entry, "CdtDbtInd")
            direction = {"DBIT": "debit", "CRDT": "credit"}.get(indicator or "")
            booked_raw = _text(entry, "BookgDt", "DtTm") or _text(entry, "BookgDt", "Dt")
            booked_at, has_time = _parse_iso(booked_raw)
            for det in details:
                line = int(det.sourceline if det is not None else entry.sourceline or 0)
                amt_el = _child(det, "Amt") if det is not None else None
                if amt_el is None:
                    amt_el = _child(entry, "Amt")
                amount_raw = amt_el.text.strip() if amt_el is not None and amt_el.text else None
                currency = (amt_el.get("Ccy") if amt_el is not None else None) or st_currency
                try:
                    amount = abs(float(amount_raw)) if amount_raw else None
                except ValueError:
                    amount = None
                if direction == "debit":
                    cp_role, st_side = "Cdtr", "payer"
                else:
                    cp_role, st_side = "Dbtr", "payee"
                cp = (
                    _party_account(det, cp_role),
                    _party_bic(det, cp_role),
                    _party_name(det, cp_role),
                    _party_address(det, cp_role),
                )
                st = (st_account, None, st_holder, None)
                payer, payee = (st, cp) if st_side == "payer" else (cp, st)
                ref = (
                    _text(det, "Refs", "AcctSvcrRef")
                    or _text(det, "Refs", "TxId")
                    or _text(det, "Refs", "EndToEndId")
                    if det is not None
                    else None
                )
                if ref in {None, "NOTPROVIDED"}:
                    ref = _text(entry, "AcctSvcrRef") if det is None or len(details) == 1 else None
                remit = (
                    " ".join(t.strip() for t in det.xpath(".//*[local-name()='Ustrd']/text()"))
                    if det is not None
                    else ""
                )
                description = remit or _text(det, "AddtlTxInf") or _text(entry, "AddtlNtryInf")
                if direction is None:
                    errors.append(RowError(line, "CdtDbtInd", indicator, "must be CRDT or DBIT"))
                values = {
                    "line_no": line,
                    "booked_raw": booked_raw,
                    "booked_at": booked_at,
                    "has_time": has_time,
                    "amount_raw": amount_raw,
                    "amount": None if amount is None else f"{amount:.2f}",
                    "direction": direction,
                    "currency": (currency or "").upper() or None,
                    "statement_raw": st_account,
                    "payer_raw": payer[0],
                    "payer_bic": payer[1],
                    "payer_name": payer[2],
                    "payer_address": payer[3],
                    "payee_raw": payee[0],
                    "payee_bic": payee[1],
                    "payee_name": payee[2],
                    "payee_address": payee[3],
                    "mcc": None,
                    "channel": _text(entry, "BkTxCd", "Prtry", "Cd"),
                    "description": description,
                    "bank_ref": ref,
                    "location": None,
                }
                for k, v in values.items():
                    rows[k].append(v)
    _insert_columns(con, rows)
    return len(rows["line_no"]), errors, []


def _parse_iso(raw: str | None) -> tuple[datetime | None, bool]:
    if not raw:
        return None, False
    try:
        if "T" in raw:
            parsed = datetime.fromisoformat(raw)
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed, True
        d = date.fromisoformat(raw[:10])
        return datetime(d.year, d.month, d.day), False
    except ValueError:
        return None, False


def _insert_columns(con: duckdb.DuckDBPyConnection, rows: dict[str, list[Any]]) -> None:
    if not rows["line_no"]:
        return
    con.execute(_STAGE_INSERT, [rows[n] for n in _STAGE_COLUMNS])


# -------------------------------------------------------------------------- AMLSim


def _amlsim_file(folder: Path, stem: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        candidate = folder / f"{stem}{ext}"
        if candidate.exists():
            return candidate
    return None


def _reader(path: Path, param: str) -> str:
    """``read_parquet($param)`` or ``read_csv($param)``: the caller binds the path to ``param``."""
    return f"{_AMLSIM_READER.get(path.suffix, 'read_csv')}(${param})"


def stage_amlsim(
    con: duckdb.DuckDBPyConnection, transactions: Path
) -> tuple[int, list[RowError], list[str]]:
    """Read an AMLSim output (transactions + accounts, Parquet or CSV) into staging.

    Account ids become ``amlsim:<id>`` keys; holder names and addresses come
    from ``accounts.*`` beside the transactions file; labels, when present, go
    to ``tx_label``/``account_label`` for backtests and are never read by rules.
    """
    _create_stage(con)
    folder = transactions.parent
    accounts = _amlsim_file(folder, "accounts")
    # a CSV's first record is on line 2, below its header; Parquet records count from 1
    params: dict[str, Any] = {
        "tx": str(transactions),
        "offset": 0 if transactions.suffix == ".parquet" else 1,
    }
    if accounts:
        params["accounts"] = str(accounts)
        holders = _reader(accounts, "accounts")
        payer_join, payee_join = (
            f"LEFT JOIN (SELECT acct_id, trim(first_name || ' ' || last_name) AS nm, "  # noqa: S608 - fixed pieces; the path is bound as $accounts
            f"concat_ws(', ', street_addr, city, state, zip, country) AS adr FROM {holders}) "
            f"{alias} ON {alias}.acct_id = t.{column}"
            for alias, column in (("pa", "orig_acct"), ("pb", "bene_acct"))
        )
        pa_name, pa_adr, pb_name, pb_adr = "pa.nm", "pa.adr", "pb.nm", "pb.adr"
    else:
        payer_join = payee_join = ""
        pa_name = pa_adr = pb_name = pb_adr = "NULL"
    con.execute(
        f"""
        INSERT INTO stage
        SELECT t.line_no, CAST(t.tran_timestamp AS VARCHAR), CAST(t.tran_timestamp AS TIMESTAMP),
               false, CAST(t.base_amt AS VARCHAR), TRY_CAST(t.base_amt AS DECIMAL(18, 2)),
               'graph', 'USD', NULL,
               'amlsim:' || CAST(t.orig_acct AS VARCHAR), NULL, {pa_name}, {pa_adr},
               'amlsim:' || CAST(t.bene_acct AS VARCHAR), NULL, {pb_name}, {pb_adr},
               NULL, t.tx_type, NULL, 'amlsim:' || CAST(t.tran_id AS VARCHAR), NULL
        FROM (SELECT row_number() OVER () + $offset AS line_no, * FROM {_reader(transactions, "tx")}) t
        {payer_join} {payee_join}
        """,  # noqa: S608 - fixed pieces only; the paths and the offset are bound parameters
        params,
    )
    n = con.execute("SELECT count(*) FROM stage").fetchone()[0]  # type: ignore[index]
    return int(n), [], []


def stage_amlsim_labels(con: duckdb.DuckDBPyConnection, transactions: Path) -> None:
    """Copy AMLSim ground truth into the label tables (backtests only)."""
    folder = transactions.parent
    tx_file = {"tx": str(transactions)}
    cols = {
        r[0]
        for r in con.execute(
            f"DESCRIBE SELECT * FROM {_reader(transactions, 'tx')}",  # noqa: S608 - path bound
            tx_file,
        ).fetchall()
    }
    if "is_sar" in cols:
        con.execute(
            f"""
            INSERT INTO tx_label
            SELECT t.tx_id, l.is_sar, CAST(l.alert_id AS VARCHAR), NULL
            FROM {_reader(transactions, "tx")} l
            JOIN tx t ON t.bank_ref = 'amlsim:' || CAST(l.tran_id AS VARCHAR)
            WHERE l.is_sar
            """,  # noqa: S608 - fixed pieces only; the path is a bound parameter
            tx_file,
        )
    alert_tx = _amlsim_file(folder, "alert_transactions")
    if alert_tx is None:
        return
    # Every member of an alert gets its role from the alert's own transactions:
    # paid only (sources, originators), pays only (beneficiaries, the gatherer),
    # or both (hubs of fan-in/out and gather-scatter, intermediaries). Members
    # listed in alert_accounts but in no alert transaction (AMLSim does not tag
    # every typology's payments) are plain members.
    members = _amlsim_file(folder, "alert_accounts")
    params = {"alert_tx": str(alert_tx)}
    listed = ""
    if members:
        params["members"] = str(members)
        listed = (
            "UNION SELECT CAST(alert_id AS VARCHAR), alert_type, CAST(acct_id AS VARCHAR) "  # noqa: S608 - fixed pieces; the path is bound as $members
            f"FROM {_reader(members, 'members')}"
        )
    con.execute(
        f"""
        INSERT INTO account_label
        WITH t AS (
            SELECT CAST(alert_id AS VARCHAR) AS g, alert_type AS typ,
                   CAST(orig_acct AS VARCHAR) AS a, CAST(bene_acct AS VARCHAR) AS b
            FROM {_reader(alert_tx, "alert_tx")}
        ),
        m AS (SELECT g, typ, a AS k FROM t UNION SELECT g, typ, b FROM t {listed}),
        r AS (
            SELECT m.g, m.typ, m.k,
                   EXISTS (SELECT 1 FROM t WHERE t.g = m.g AND t.a = m.k) AS pays,
                   EXISTS (SELECT 1 FROM t WHERE t.g = m.g AND t.b = m.k) AS paid
            FROM m
        )
        SELECT 'amlsim:' || k, g, typ, CASE
            WHEN NOT pays AND NOT paid THEN 'member'
            WHEN typ IN ('cycle', 'random') THEN 'member'
            WHEN typ = 'fan_in' THEN CASE WHEN paid THEN 'hub' ELSE 'source' END
            WHEN typ = 'fan_out' THEN CASE WHEN pays AND NOT paid THEN 'hub' ELSE 'beneficiary' END
            WHEN typ = 'gather_scatter' THEN CASE WHEN pays AND paid THEN 'hub'
                                                  WHEN pays THEN 'source' ELSE 'beneficiary' END
            WHEN typ = 'scatter_gather' THEN CASE WHEN pays AND paid THEN 'intermediary'
                                                  WHEN pays THEN 'source' ELSE 'gatherer' END
            ELSE CASE WHEN pays AND paid THEN 'intermediary'
                      WHEN pays THEN 'originator' ELSE 'beneficiary' END
        END
        FROM r
        """,  # noqa: S608 - fixed pieces only; the paths are bound parameters
        params,
    )


# ------------------------------------------------------------------------- records

_RECORD_FIELDS = (
    "booked_at",
    "amount",
    "currency",
    "payer_account",
    "payer_bic",
    "payer_name",
    "payer_address",
    "payee_account",
    "payee_bic",
    "payee_name",
    "payee_address",
    "mcc",
    "channel",
    "description",
    "bank_ref",
    "location",
)


def records_digest(records: list[Mapping[str, Any]]) -> str:
    """Content hash of in-memory records: their provenance when no file exists."""
    canonical = json.dumps(
        [{k: r.get(k) for k in _RECORD_FIELDS} for r in records], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stage_records(
    con: duckdb.DuckDBPyConnection, records: Iterable[Mapping[str, Any]]
) -> tuple[int, list[RowError], list[str]]:
    """Stage payer -> payee records given as mappings (line = 1-based position)."""
    _create_stage(con)
    rows: dict[str, list[Any]] = {k: [] for k in _STAGE_COLUMNS}
    errors: list[RowError] = []
    n = 0
    for i, rec in enumerate(records, start=1):
        n = i
        unknown = set(rec) - set(_RECORD_FIELDS)
        if unknown:
            errors.append(RowError(i, ",".join(sorted(unknown)), None, "unknown field"))
        raw_when = rec.get("booked_at")
        booked: datetime | None
        has_time = False
        if isinstance(raw_when, datetime):
            booked, has_time = raw_when, True
        elif isinstance(raw_when, date):
            booked = datetime(raw_when.year, raw_when.month, raw_when.day)
        else:
            booked, has_time = _parse_iso(str(raw_when) if raw_when is not None else None)
        raw_amount = rec.get("amount")
        try:
            amount = None if raw_amount is None else f"{float(raw_amount):.2f}"
        except (TypeError, ValueError):
            amount = None
        values = {
            "line_no": i,
            "booked_raw": None if raw_when is None else str(raw_when),
            "booked_at": booked,
            "has_time": has_time,
            "amount_raw": None if raw_amount is None else str(raw_amount),
            "amount": amount,
            "direction": "graph",
            "currency": (rec.get("currency") or "").upper() or None,
            "statement_raw": None,
            "payer_raw": rec.get("payer_account"),
            "payer_bic": rec.get("payer_bic"),
            "payer_name": rec.get("payer_name"),
            "payer_address": rec.get("payer_address"),
            "payee_raw": rec.get("payee_account"),
            "payee_bic": rec.get("payee_bic"),
            "payee_name": rec.get("payee_name"),
            "payee_address": rec.get("payee_address"),
            "mcc": rec.get("mcc"),
            "channel": rec.get("channel"),
            "description": rec.get("description"),
            "bank_ref": rec.get("bank_ref"),
            "location": rec.get("location"),
        }
        for k, v in values.items():
            rows[k].append(None if v == "" else v)
    _insert_columns(con, rows)
    return n, errors, []


# ------------------------------------------------------------------ limits (shared)


def check_stage_limits(con: duckdb.DuckDBPyConnection, rows: int, limits: ImportLimits) -> None:
    """Refuse a staged file over the row limit, or holding a text value longer than the cell
    limit (one pass over the stage; nothing has been written yet). Raises ``LimitExceeded``."""
    RowGuard(limits).count(rows)
    staged = con.execute(
        "SELECT count(*) FROM (SELECT view_name FROM duckdb_views() WHERE view_name = 'stage' AND temporary "
        "UNION ALL SELECT table_name FROM duckdb_tables() WHERE table_name = 'stage' AND temporary)"
    ).fetchone()
    if not staged or not staged[0]:
        return  # the file was refused while staging (malformed lines): nothing to measure
    text_columns = [c for c, t in _STAGE_COLUMNS.items() if t == "VARCHAR"]
    n = int(limits.max_cell_chars)
    where = " OR ".join(f"length({c}) > $n" for c in text_columns)
    which = " ".join(f"WHEN length({c}) > $n THEN {_lit(c)}" for c in text_columns)
    longest = " ".join(f"WHEN length({c}) > $n THEN length({c})" for c in text_columns)
    found = con.execute(
        f"SELECT line_no, CASE {which} END, CASE {longest} END FROM stage WHERE {where} "  # noqa: S608 - the stage's own column names; the limit is a bound parameter
        "ORDER BY line_no LIMIT 1",
        {"n": n},
    ).fetchone()
    if found:
        raise LimitExceeded(
            "cell_too_long",
            row=int(found[0]),
            column=str(found[1]),
            length=f"{int(found[2]):,}",
            limit=f"{n:,}",
        )


# ------------------------------------------------------------------ commit (shared)


def _validation_errors(con: duckdb.DuckDBPyConnection) -> list[RowError]:
    # one pass over the (possibly 10^7-row) stage picks the faulty rows; the
    # detailed reasons are then worked out on those few
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE stage_bad AS SELECT * FROM stage
        WHERE booked_at IS NULL OR amount IS NULL OR currency IS NULL
           OR NOT regexp_full_match(currency, '[A-Z]{3}')
           OR (direction = 'graph' AND (amount < 0 OR (payer_raw IS NULL AND payer_name IS NULL)
                                        OR (payee_raw IS NULL AND payee_name IS NULL)))
           OR direction IS NULL
           OR (direction IN ('debit', 'credit') AND statement_raw IS NULL)
        """
    )
    rows = con.execute(
        """
        SELECT line_no, field, value, message FROM (
            SELECT line_no, 'booked_at' AS field, booked_raw AS value,
                   CASE WHEN booked_raw IS NULL THEN 'missing date'
                        ELSE 'date does not match the profile''s format' END AS message
            FROM stage_bad WHERE booked_at IS NULL
            UNION ALL
            SELECT line_no, 'amount', amount_raw,
                   CASE WHEN amount_raw IS NULL THEN 'missing amount' ELSE 'not a number' END
            FROM stage_bad WHERE amount IS NULL
            UNION ALL
            SELECT line_no, 'amount', amount_raw, 'negative amount in a payer -> payee layout'
            FROM stage_bad WHERE direction = 'graph' AND amount < 0
            UNION ALL
            SELECT line_no, 'direction', amount_raw, 'cannot tell debit from credit'
            FROM stage_bad WHERE direction IS NULL AND amount IS NOT NULL
            UNION ALL
            SELECT line_no, 'currency', currency, 'missing currency'
            FROM stage_bad WHERE currency IS NULL
            UNION ALL
            SELECT line_no, 'currency', currency, 'not an ISO 4217 code'
            FROM stage_bad WHERE currency IS NOT NULL AND NOT regexp_full_match(currency, '[A-Z]{3}')
            UNION ALL
            SELECT line_no, 'account', NULL, 'statement account unknown (map a column or pass it)'
            FROM stage_bad WHERE direction IN ('debit', 'credit') AND statement_raw IS NULL
            UNION ALL
            SELECT line_no, 'payer', NULL, 'payer has neither account nor name'
            FROM stage_bad WHERE direction = 'graph' AND payer_raw IS NULL AND payer_name IS NULL
            UNION ALL
            SELECT line_no, 'payee', NULL, 'payee has neither account nor name'
            FROM stage_bad WHERE direction = 'graph' AND payee_raw IS NULL AND payee_name IS NULL
        ) ORDER BY line_no, field
        """
    ).fetchall()
    con.execute("DROP TABLE stage_bad")
    return [RowError(int(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]


def _normalise_accounts(con: duckdb.DuckDBPyConnection) -> list[RowError]:
    """Map each distinct raw account (with its BIC) to a canonical key."""
    distinct = con.execute(
        """
        SELECT DISTINCT raw, bic FROM (
            SELECT payer_raw AS raw, payer_bic AS bic FROM stage
            UNION ALL SELECT payee_raw, payee_bic FROM stage
            UNION ALL SELECT statement_raw, NULL FROM stage
        ) WHERE raw IS NOT NULL
        """
    ).fetchall()
    cols: dict[str, list[Any]] = {
        "raw": [],
        "bic": [],
        "key": [],
        "iban": [],
        "num": [],
        "ctry": [],
    }
    bad: dict[str, str] = {}
    for raw, bic in distinct:
        if _PASS_THROUGH_KEY.match(raw):
            ref_key, iban, num, ctry = raw, None, None, None
        else:
            try:
                ref = normalise_account(raw, bank=bic)
            except NormalisationError as exc:
                bad[raw] = str(exc)
                continue
            assert ref is not None
            ref_key, iban, num, ctry = ref.key, ref.iban, ref.account_number, ref.country
        for k, v in zip(cols, (raw, bic, ref_key, iban, num, ctry), strict=True):
            cols[k].append(v)
    con.execute("DROP TABLE IF EXISTS acct_map")
    con.execute(
        "CREATE TEMP TABLE acct_map (raw VARCHAR, bic VARCHAR, key VARCHAR, iban VARCHAR, "
        "num VARCHAR, ctry VARCHAR)"
    )
    if cols["raw"]:
        con.execute(
            "INSERT INTO acct_map SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), "
            "unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[]), "
            "unnest($6::VARCHAR[])",
            [cols[k] for k in cols],
        )
    if not bad:
        return []
    rows = con.execute(
        """
        SELECT line_no, field, raw FROM (
            SELECT line_no, 'payer_account' AS field, payer_raw AS raw FROM stage
            UNION ALL SELECT line_no, 'payee_account', payee_raw FROM stage
            UNION ALL SELECT line_no, 'account', statement_raw FROM stage
        ) WHERE raw IN (SELECT unnest($1::VARCHAR[])) ORDER BY line_no
        """,
        [list(bad)],
    ).fetchall()
    # a statement account appears as payer or payee too: report it once per line
    seen: set[tuple[int, str]] = set()
    out = []
    for line, fld, raw in rows:
        if (line, raw) in seen:
            continue
        seen.add((line, raw))
        out.append(RowError(int(line), str(fld), raw, bad[raw]))
    return out


def _normalise_names(con: duckdb.DuckDBPyConnection, categories: CategoryTable) -> None:
    """Normalise each distinct (name, mcc) once and classify it."""
    distinct = con.execute(
        """
        SELECT DISTINCT name, mcc FROM (
            SELECT payer_name AS name, CASE WHEN direction = 'credit' THEN mcc END AS mcc FROM stage
            UNION ALL
            SELECT payee_name, CASE WHEN direction <> 'credit' THEN mcc END FROM stage
        ) WHERE name IS NOT NULL OR mcc IS NOT NULL
        """
    ).fetchall()
    cols: dict[str, list[Any]] = {"name": [], "mcc": [], "norm": [], "cat": [], "kind": []}
    for name, mcc in distinct:
        norm = normalise_name(name)
        category = categories.classify(name, mcc=mcc)
        # a legal-form suffix (d.o.o., GmbH) or a merchant category marks a company
        dotless = normalise_name(name.replace(".", "")) if name else None
        org = normalise_org_name(name)
        kind = "company" if (category or (org is not None and org != dotless)) else "unknown"
        for k, v in zip(cols, (name, mcc, norm, category, kind), strict=True):
            cols[k].append(v)
    con.execute("DROP TABLE IF EXISTS name_map")
    con.execute(
        "CREATE TEMP TABLE name_map (name VARCHAR, mcc VARCHAR, norm VARCHAR, cat VARCHAR, kind VARCHAR)"
    )
    if cols["norm"]:
        con.execute(
            "INSERT INTO name_map SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), "
            "unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[])",
            [cols[k] for k in cols],
        )


def commit_stage(
    con: duckdb.DuckDBPyConnection,
    *,
    source_id: str,
    file_name: str,
    kind: str,
    profile: str | None,
    rows_read: int,
    early_errors: list[RowError],
    file_errors: list[str],
    categories: CategoryTable | None = None,
    holder_kind: str | None = None,
) -> ImportReport:
    """Validate the staged rows, normalise them and store them atomically.

    Nothing is written unless every row is valid. ``holder_kind`` forces the
    kind of every account holder (AMLSim holders are people).
    """
    categories = categories or load_category_table()

    def rejected(errors: list[RowError], ferrs: list[str]) -> ImportReport:
        _drop_stage(con)
        _drop_tables(con, "stage_raw")
        return ImportReport(
            source_id=source_id,
            file_name=file_name,
            kind=kind,
            profile=profile,
            rows_read=rows_read,
            rows_inserted=0,
            rows_duplicate=0,
            errors=tuple(errors[:MAX_REPORTED_ERRORS]),
            error_count=len(errors),
            file_errors=tuple(ferrs),
        )

    if file_errors or early_errors:
        return rejected(early_errors, file_errors)
    if rows_read == 0:
        return rejected([], ["the file holds no transactions"])
    errors = _validation_errors(con) + _normalise_accounts(con)
    if errors:
        errors.sort(key=lambda e: (e.line, e.field))
        return rejected(errors, [])
    _normalise_names(con, categories)
    # A payment of 0.00 moves no money but is a real booking (card checks,
    # reversed fees, simulators paying out an empty balance): it is kept, so
    # the statement stays whole, and each one is reported as a warning.
    zero_rows = con.execute(
        "SELECT line_no, amount_raw FROM stage WHERE amount = 0 ORDER BY line_no"
    ).fetchall()
    warnings = [RowError(int(r[0]), "amount", r[1], ZERO_AMOUNT_WARNING) for r in zero_rows]

    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW stage_keyed AS
        WITH k AS (
            SELECT s.*,
                   coalesce(pa.key, 'name:' || npa.norm) AS payer_key,
                   coalesce(pb.key, 'name:' || npb.norm) AS payee_key,
                   st.key AS statement_key,
                   npa.norm AS payer_norm, npb.norm AS payee_norm,
                   npa.cat AS payer_category, npb.cat AS payee_category,
                   {_lit(holder_kind) if holder_kind else "npa.kind"} AS payer_kind,
                   {_lit(holder_kind) if holder_kind else "npb.kind"} AS payee_kind,
                   pa.iban AS payer_iban, pa.num AS payer_num, pa.ctry AS payer_ctry,
                   pb.iban AS payee_iban, pb.num AS payee_num, pb.ctry AS payee_ctry
            FROM stage s
            LEFT JOIN acct_map pa ON pa.raw = s.payer_raw AND pa.bic IS NOT DISTINCT FROM s.payer_bic
            LEFT JOIN acct_map pb ON pb.raw = s.payee_raw AND pb.bic IS NOT DISTINCT FROM s.payee_bic
            LEFT JOIN acct_map st ON st.raw = s.statement_raw AND st.bic IS NULL
            LEFT JOIN name_map npa ON npa.name IS NOT DISTINCT FROM s.payer_name
                 AND npa.mcc IS NOT DISTINCT FROM (CASE WHEN s.direction = 'credit' THEN s.mcc END)
            LEFT JOIN name_map npb ON npb.name IS NOT DISTINCT FROM s.payee_name
                 AND npb.mcc IS NOT DISTINCT FROM (CASE WHEN s.direction <> 'credit' THEN s.mcc END)
        ),
        n AS (
            SELECT *,
                   concat_ws('|', payer_key, payee_key, strftime(booked_at, '%Y-%m-%dT%H:%M:%S'),
                             CAST(amount AS VARCHAR), currency, coalesce(description, '')) AS nat_key
            FROM k
        )
        SELECT *,
               substr(sha256(CASE
                   WHEN bank_ref IS NOT NULL
                   THEN concat_ws('|', 'ref', coalesce(statement_key, payer_key), bank_ref)
                   ELSE nat_key || '|' || CAST(row_number() OVER (PARTITION BY nat_key ORDER BY line_no) AS VARCHAR)
               END), 1, 32) AS tx_id
        FROM n
        """  # noqa: S608 - a view takes no parameters: the holder kind only through _lit
    )
    con.execute("BEGIN TRANSACTION")
    try:
        before = con.execute("SELECT count(*) FROM tx").fetchone()[0]  # type: ignore[index]
        con.execute(
            """
            INSERT INTO tx
            SELECT tx_id, ?, line_no, booked_at, has_time, amount, currency, payer_key, payee_key,
                   statement_key, payer_category, payee_category, mcc, channel, description,
                   bank_ref, location
            FROM stage_keyed s
            WHERE NOT EXISTS (SELECT 1 FROM tx WHERE tx.tx_id = s.tx_id)
            QUALIFY row_number() OVER (PARTITION BY tx_id ORDER BY line_no) = 1
            """,
            [source_id],
        )
        inserted = con.execute("SELECT count(*) FROM tx").fetchone()[0] - before  # type: ignore[index]
        con.execute(
            """
            INSERT INTO account
            SELECT key, any_value(iban), any_value(num), any_value(bic), any_value(ctry),
                   any_value(name), any_value(norm), any_value(kind), any_value(cat),
                   NULL, NULL, any_value(addr), any_value(addr_norm), NULL, ?
            FROM (
                SELECT payer_key AS key, payer_iban AS iban, payer_num AS num, payer_bic AS bic,
                       payer_ctry AS ctry, payer_name AS name, payer_norm AS norm,
                       payer_kind AS kind, payer_category AS cat, payer_address AS addr,
                       NULL AS addr_norm
                FROM stage_keyed
                UNION ALL
                SELECT payee_key, payee_iban, payee_num, payee_bic, payee_ctry, payee_name,
                       payee_norm, payee_kind, payee_category, payee_address, NULL
                FROM stage_keyed
            )
            WHERE key IS NOT NULL AND key NOT IN (SELECT account_key FROM account)
            GROUP BY key
            """,
            [source_id],
        )
        con.execute(
            "INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source_id,
                file_name,
                kind,
                profile,
                datetime.now(UTC).replace(tzinfo=None),
                rows_read,
                inserted,
                rows_read - inserted,
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        _drop_stage(con)
        _drop_tables(con, "stage_raw", "acct_map", "name_map")
    _fill_address_norm(con)
    return ImportReport(
        source_id=source_id,
        file_name=file_name,
        kind=kind,
        profile=profile,
        rows_read=rows_read,
        rows_inserted=int(inserted),
        rows_duplicate=rows_read - int(inserted),
        warnings=tuple(warnings[:MAX_REPORTED_ERRORS]),
        warning_count=len(warnings),
    )


def _fill_address_norm(con: duckdb.DuckDBPyConnection) -> None:
    todo = con.execute(
        "SELECT DISTINCT address FROM account WHERE address IS NOT NULL AND address_norm IS NULL"
    ).fetchall()
    if not todo:
        return
    raw = [r[0] for r in todo]
    norm = [normalise_address(a) for a in raw]
    con.execute(
        "UPDATE account SET address_norm = m.n FROM (SELECT unnest($1::VARCHAR[]) AS a, "
        "unnest($2::VARCHAR[]) AS n) m WHERE account.address = m.a AND account.address_norm IS NULL",
        [raw, norm],
    )
