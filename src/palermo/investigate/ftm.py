"""Export an investigation as FollowTheMoney (FtM) entities for Aleph / OpenAleph.

Each entity is ``{"id", "schema", "properties": {name: [values]}}``, one JSON
object per line, which ``alephclient write-entities`` and ``ftm`` read. The
followthemoney package itself is not a dependency (PyICU compiled against the
system ICU, SQLAlchemy and rdflib are heavy for writing JSON); property names
are checked against ``data/ftm_schema.yaml``, copied from the published schema.

Ids are deterministic (SHA-1 over a namespace and the entity's natural key,
as FtM's ``make_entity_id`` does), so re-exporting gives the same ids and Aleph
updates entities instead of duplicating them. Account holders and case-record
parties that the investigator judged to be the same share one entity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from hashlib import sha1
from importlib import resources
from typing import IO, Any

import duckdb
import yaml

from palermo.investigate.resolve import JudgementStore, resolve_clusters

__all__ = ["make_id", "iter_entities", "write_entities", "ftm_schemata", "FtMEntity"]

FtMEntity = dict[str, Any]
_NAMESPACE = "palermo"
_WAGE = re.compile(r"\b(salary|salaries|wage|wages|payroll|lohn|gehalt|plata|zarada|placa)\b")
_RELATION_ENDS = {
    "Ownership": ("owner", "asset"),
    "Employment": ("employer", "employee"),
    "Debt": ("debtor", "creditor"),
    "Associate": ("person", "associate"),
    "Family": ("person", "relative"),
    "Directorship": ("director", "organization"),
}


def make_id(*parts: str) -> str:
    """Deterministic entity id: SHA-1 of the namespace and the parts."""
    digest = sha1(_NAMESPACE.encode("utf-8"), usedforsecurity=False)
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


@cache
def ftm_schemata() -> Mapping[str, Mapping[str, list[str]]]:
    """Allowed and required properties per FtM schema (from data/ftm_schema.yaml)."""
    text = (
        resources.files("palermo.investigate")
        .joinpath("data", "ftm_schema.yaml")
        .read_text("utf-8")
    )
    loaded: Mapping[str, Mapping[str, list[str]]] = yaml.safe_load(text)["schemata"]
    return loaded


def _entity(schema: str, entity_id: str, **props: Any) -> FtMEntity:
    properties: dict[str, list[str]] = {}
    for name, value in props.items():
        if value is None or value in ("", []):
            continue
        values = value if isinstance(value, list) else [value]
        properties[name] = [str(v) for v in values if v is not None and str(v) != ""]
    return {"id": entity_id, "schema": schema, "properties": properties}


def iter_entities(
    con: duckdb.DuckDBPyConnection, judgements: JudgementStore
) -> Iterator[FtMEntity]:
    """Every entity of the workspace, streamed (payments are fetched in batches)."""
    records = [f"account:{r[0]}" for r in con.execute("SELECT account_key FROM account").fetchall()]
    records += [f"party:{r[0]}" for r in con.execute("SELECT party_id FROM party").fetchall()]
    cluster = resolve_clusters(records, judgements)

    def holder_id(record: str) -> str:
        return make_id("LegalEntity", cluster.get(record, record))

    emitted_holders: set[str] = set()
    # parties first: a case record names a person better than a bank does
    for pid, schema, name, birth, phone, email, address, _iban, role, ref in con.execute(
        "SELECT party_id, schema, name, birth_date, phone, email, address, iban, role, record_ref "
        "FROM party ORDER BY party_id"
    ).fetchall():
        hid = holder_id(f"party:{pid}")
        addr_id = make_id("Address", address) if address else None
        if addr_id:
            yield _entity("Address", addr_id, name=address, full=address)
        if hid in emitted_holders:
            continue
        emitted_holders.add(hid)
        props: dict[str, Any] = {
            "name": name or pid,
            "phone": phone,
            "email": email,
            "address": address,
            "addressEntity": addr_id,
            "notes": f"case record {ref}" if ref else None,
            "topics": "role.victim"
            if role == "victim"
            else ("crime" if role == "suspect" else None),
        }
        if schema == "Person" and birth:
            props["birthDate"] = birth.isoformat()
        yield _entity(schema, hid, **props)
    for key, iban, number, bic, country, name, kind, phone, email, address in con.execute(
        "SELECT account_key, iban, account_number, bic, country, holder_name, holder_kind, phone, "
        "email, address FROM account ORDER BY account_key"
    ).fetchall():
        acct_id = make_id("BankAccount", key)
        yield _entity(
            "BankAccount",
            acct_id,
            name=iban or number or key,
            iban=iban,
            accountNumber=number,
            bic=bic,
            country=country.lower() if country else None,
        )
        hid = holder_id(f"account:{key}")
        if hid not in emitted_holders:
            emitted_holders.add(hid)
            schema = {"person": "Person", "company": "Company"}.get(kind or "", "LegalEntity")
            addr_id = make_id("Address", address) if address else None
            if addr_id:
                yield _entity("Address", addr_id, name=address, full=address)
            yield _entity(
                schema,
                hid,
                name=name or iban or key,
                phone=phone,
                email=email,
                address=address,
                addressEntity=addr_id,
            )
        yield _entity(
            "Ownership",
            make_id("Ownership", hid, acct_id),
            owner=hid,
            asset=acct_id,
            role="account holder",
        )
    employment: set[tuple[str, str]] = set()
    cursor = con.execute(
        """
        SELECT t.tx_id, t.payer_key, t.payee_key, t.amount, t.currency, t.booked_at, t.description,
               t.bank_ref, s.file_name, t.source_id, t.line_no, pb.holder_kind
        FROM tx t JOIN source s USING (source_id)
        LEFT JOIN account pb ON pb.account_key = t.payee_key
        WHERE t.payer_key IS NOT NULL AND t.payee_key IS NOT NULL
        ORDER BY t.booked_at, t.tx_id
        """
    )
    while batch := cursor.fetchmany(10_000):
        for tx_id, payer, payee, amount, cur, at, desc, ref, fname, sid, line, payee_kind in batch:
            payer_h, payee_h = holder_id(f"account:{payer}"), holder_id(f"account:{payee}")
            yield _entity(
                "Payment",
                make_id("Payment", tx_id),
                payer=payer_h,
                beneficiary=payee_h,
                payerAccount=make_id("BankAccount", payer),
                beneficiaryAccount=make_id("BankAccount", payee),
                amount=f"{amount}",
                currency=cur,
                date=at.date().isoformat() if at else None,
                purpose=desc,
                transactionNumber=ref,
                recordId=tx_id,
                summary=f"{fname} (sha256 {sid}) line {line}",
            )
            if desc and payee_kind != "company" and _WAGE.search(desc.lower()):
                employment.add((payer_h, payee_h))
    for employer, employee in sorted(employment):
        yield _entity(
            "Employment",
            make_id("Employment", employer, employee),
            employer=employer,
            employee=employee,
            summary="wage payments in the statements",
        )
    for rid, schema, from_id, to_id, props_json in con.execute(
        "SELECT relation_id, schema, from_id, to_id, properties FROM relation ORDER BY relation_id"
    ).fetchall():
        src_end, dst_end = _RELATION_ENDS[schema]
        extra = json.loads(props_json) if props_json else {}
        allowed = set(ftm_schemata()[schema]["properties"])
        ends = {src_end: _ref(from_id, holder_id), dst_end: _ref(to_id, holder_id)}
        yield _entity(
            schema,
            make_id(schema, rid),
            **ends,
            **{k: v for k, v in extra.items() if k in allowed and k not in ends},
        )


def _ref(value: str, holder_id: Any) -> str:
    """A relation end given as ``party:<id>``, ``account:<key>`` or ``bankaccount:<key>``."""
    if value.startswith("bankaccount:"):
        return make_id("BankAccount", value.removeprefix("bankaccount:"))
    if value.startswith(("party:", "account:")):
        return str(holder_id(value))
    raise ValueError(f"relation end {value!r} must start with party:, account: or bankaccount:")


def write_entities(con: duckdb.DuckDBPyConnection, judgements: JudgementStore, out: IO[str]) -> int:
    """Write the entities as JSON lines to ``out``; returns how many were written."""
    n = 0
    for entity in iter_entities(con, judgements):
        out.write(json.dumps(entity, ensure_ascii=False, sort_keys=True))
        out.write("\n")
        n += 1
    return n
