"""Statement import: CSV profiles, camt.053, AMLSim, records; provenance, all-or-nothing, idempotence."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from palermo.investigate.profiles import ProfileError, packaged_profiles, profile_from_dict
from palermo.investigate.workspace import Workspace


def make_iban(n: int) -> str:  # same numbering as the conftest's ``iban`` fixture
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


AMLSIM = Path(__file__).resolve().parents[2] / "reference" / "amlsim-10k"


def _count(ws: Workspace, table: str = "tx") -> int:
    return ws.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - test-made table names and temp paths


def _de_csv(path: Path, rows: list[str]) -> Path:
    header = (
        "Buchungstag;Betrag;Waehrung;Beguenstigter/Zahlungspflichtiger;IBAN;BIC;Verwendungszweck"
    )
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


STATEMENT = make_iban(1)


def test_signed_csv_with_decimal_comma_imports_with_provenance(ws, tmp_path):
    f = _de_csv(
        tmp_path / "konto.csv",
        [
            f"01.03.2024;-1.234,56;EUR;Hotel Adria;{make_iban(2)};;Zimmer 12",
            f"02.03.2024;2.000,00;EUR;Marko Horvat;{make_iban(3)};;Lohn Februar",
            "03.03.2024;-19,99;;Locanto Classifieds;;;Anzeige",
        ],
    )
    report = ws.ingest(
        f, profile="generic-de-semicolon", account=STATEMENT, account_name="Ana Kovac"
    )
    assert report.ok and report.rows_inserted == 3 and report.rows_duplicate == 0
    assert report.source_id == hashlib.sha256(f.read_bytes()).hexdigest()
    rows = ws.con.execute(
        "SELECT line_no, amount, payer_key, payee_key, payee_category, source_id, currency "
        "FROM tx ORDER BY line_no"
    ).fetchall()
    assert [r[0] for r in rows] == [2, 3, 4]  # line 1 is the header
    assert str(rows[0][1]) == "1234.56" and rows[0][2] == STATEMENT and rows[0][3] == make_iban(2)
    assert rows[0][4] == "hotel"
    assert rows[1][2] == make_iban(3) and rows[1][3] == STATEMENT  # a credit: paid to the statement
    assert rows[2][3] == "name:locanto classifieds" and rows[2][4] == "online_advertising"
    assert rows[2][6] == "EUR"  # the profile's default currency
    assert {r[5] for r in rows} == {report.source_id}
    holder = ws.con.execute(
        "SELECT holder_name FROM account WHERE account_key = ?", [STATEMENT]
    ).fetchone()
    assert holder == ("Ana Kovac",)


def test_a_single_bad_row_rejects_the_whole_file_and_names_every_error(ws, tmp_path):
    f = _de_csv(
        tmp_path / "bad.csv",
        [
            f"01.03.2024;-10,00;EUR;Hotel Adria;{make_iban(2)};;ok",
            "31.02.2024;-10,00;EUR;Hotel Adria;;;impossible date",
            "01.03.2024;zehn;EUR;Hotel Adria;;;not a number",
            "01.03.2024;-10,00;EUR;Someone;DE00370400441234567890;;bad IBAN checksum",
            "01.03.2024;-10,00;EURO;Someone;;;bad currency",
        ],
    )
    report = ws.ingest(f, profile="generic-de-semicolon", account=STATEMENT)
    assert not report.ok and report.rows_inserted == 0
    found = {(e.line, e.field) for e in report.errors}
    assert found == {(3, "booked_at"), (4, "amount"), (5, "payee_account"), (6, "currency")}
    assert all(e.message for e in report.errors)
    assert _count(ws) == 0 and _count(ws, "account") == 0 and _count(ws, "source") == 0
    # the file can be fixed and imported afterwards: a rejected file leaves no trace
    fixed = _de_csv(tmp_path / "bad.csv", [f"01.03.2024;-10,00;EUR;Hotel Adria;{make_iban(2)};;ok"])
    assert ws.ingest(fixed, profile="generic-de-semicolon", account=STATEMENT).rows_inserted == 1


def test_missing_statement_account_and_missing_columns_are_reported(ws, tmp_path):
    f = _de_csv(tmp_path / "k.csv", ["01.03.2024;-10,00;EUR;Hotel Adria;;;x"])
    report = ws.ingest(f, profile="generic-de-semicolon")  # no account=
    assert not report.ok and {e.field for e in report.errors} == {"account"}
    g = tmp_path / "g.csv"
    g.write_text("Buchungstag;Betrag\n01.03.2024;1,00\n")
    report = ws.ingest(g, profile="generic-de-semicolon", account=STATEMENT)
    assert not report.ok and "columns missing" in report.file_errors[0]


def test_malformed_csv_lines_are_row_errors(ws, tmp_path):
    f = _de_csv(
        tmp_path / "k.csv",
        [
            f"01.03.2024;-10,00;EUR;Hotel Adria;{make_iban(2)};;x",
            "01.03.2024;-10,00",
        ],
    )
    report = ws.ingest(f, profile="generic-de-semicolon", account=STATEMENT)
    assert not report.ok and [e.line for e in report.errors] == [3] and _count(ws) == 0


def test_reimport_and_overlapping_statements_create_no_duplicates(ws, tmp_path):
    march = [
        f"0{d}.03.2024;-{d}0,00;EUR;Hotel Adria;{make_iban(2)};;night {d}" for d in range(1, 6)
    ]
    a = _de_csv(tmp_path / "a.csv", march[:4])
    b = _de_csv(tmp_path / "b.csv", march[2:])  # overlaps a on two lines
    first = ws.ingest(a, profile="generic-de-semicolon", account=STATEMENT)
    again = ws.ingest(a, profile="generic-de-semicolon", account=STATEMENT)
    assert first.rows_inserted == 4 and again.already_imported and again.rows_inserted == 0
    second = ws.ingest(b, profile="generic-de-semicolon", account=STATEMENT)
    assert second.ok and second.rows_inserted == 1 and second.rows_duplicate == 2
    assert _count(ws) == 5 and _count(ws, "source") == 2


def test_identical_payments_on_one_day_are_both_kept(ws, tmp_path):
    same = f"01.03.2024;-4,50;EUR;Cafe Central;{make_iban(9)};;coffee"
    f = _de_csv(tmp_path / "k.csv", [same, same])
    assert ws.ingest(f, profile="generic-de-semicolon", account=STATEMENT).rows_inserted == 2


def test_split_columns_with_times(ws, tmp_path):
    f = tmp_path / "uk.csv"
    f.write_text(
        "Account,Date,Time,Paid out,Paid in,Payee,Reference,MCC,Type\n"
        f'{STATEMENT},04/03/2024,23:40,"1,200.00",,Motel Central,room,7011,card\n'
        f"{STATEMENT},05/03/2024,,,50.00,J Novak,refund,,transfer\n"
        f"{STATEMENT},06/03/2024,09:00,10.00,10.00,Both,bad,,transfer\n"
    )
    report = ws.ingest(f, profile="generic-uk-paid-in-out")
    assert not report.ok and [(e.line, e.field) for e in report.errors] == [(4, "direction")]
    f.write_text("\n".join(f.read_text().splitlines()[:3]) + "\n")
    report = ws.ingest(f, profile="generic-uk-paid-in-out")
    assert report.ok
    rows = ws.con.execute(
        "SELECT booked_at, has_time, amount, payee_category, currency FROM tx ORDER BY booked_at"
    ).fetchall()
    assert (
        rows[0][0] == datetime(2024, 3, 4, 23, 40)
        and rows[0][1] is True
        and str(rows[0][2]) == "1200.00"
    )
    assert rows[0][3] == "hotel" and rows[0][4] == "GBP"
    assert rows[1][1] is False


def test_direction_column_profile(ws, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(
        "date,amount,dc,currency,counterparty,counterparty_account,details,reference\n"
        f"2024-03-01,100.00,C,EUR,Adria Cleaning d.o.o.,{make_iban(5)},salary,R1\n"
        f"2024-03-02,40.00,DR,EUR,Western Union,,transfer home,R2\n"
    )
    report = ws.ingest(f, profile="generic-direction-column", account=STATEMENT)
    assert report.ok
    kinds = dict(ws.con.execute("SELECT account_key, holder_kind FROM account").fetchall())
    assert kinds[make_iban(5)] == "company"
    bad = tmp_path / "e.csv"
    bad.write_text(
        "date,amount,dc,currency,counterparty,counterparty_account,details,reference\n"
        "2024-03-01,100.00,X,EUR,Someone,,?,R9\n"
    )
    report = ws.ingest(bad, profile="generic-direction-column", account=STATEMENT)
    assert [(e.line, e.field) for e in report.errors] == [(2, "direction")]


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-31T18:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S1</Id>
   <Acct><Id><IBAN>{own}</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Ana Kovac</Nm></Ownr></Acct>
   <Ntry>
    <Amt Ccy="EUR">150.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><DtTm>2024-03-04T23:15:00</DtTm></BookgDt>
    <AcctSvcrRef>REF-1</AcctSvcrRef>
    <NtryDtls><TxDtls>
      <Refs><AcctSvcrRef>REF-1</AcctSvcrRef></Refs>
      <RltdPties>{cdtr}<CdtrAcct><Id><IBAN>{hotel}</IBAN></Id></CdtrAcct></RltdPties>
      <RmtInf><Ustrd>Room 7</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="EUR">900.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
    <BookgDt><Dt>2024-03-05</Dt></BookgDt>
    <NtryDtls>
     <TxDtls><Refs><TxId>T-1</TxId></Refs><Amt Ccy="EUR">500.00</Amt>
      <RltdPties><Dbtr><Nm>Marko Horvat</Nm><PstlAdr><StrtNm>Main Street</StrtNm><BldgNb>1</BldgNb><TwnNm>Sarajevo</TwnNm><Ctry>BA</Ctry></PstlAdr></Dbtr>
      <DbtrAcct><Id><IBAN>{p1}</IBAN></Id></DbtrAcct></RltdPties></TxDtls>
     <TxDtls><Refs><TxId>T-2</TxId></Refs><Amt Ccy="EUR">400.00</Amt>
      <RltdPties><Dbtr><Nm>Ivana Petrovic</Nm></Dbtr><DbtrAcct><Id><IBAN>{p2}</IBAN></Id></DbtrAcct></RltdPties></TxDtls>
    </NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"""


@pytest.mark.parametrize(
    ("version", "cdtr"),
    [
        ("02", "<Cdtr><Nm>Hotel Adria</Nm></Cdtr>"),
        ("08", "<Cdtr><Pty><Nm>Hotel Adria</Nm></Pty></Cdtr>"),
    ],
)
def test_camt053_entries_and_batches(ws, tmp_path, version, cdtr):
    f = tmp_path / "stmt.xml"
    f.write_text(
        CAMT.format(
            version=version,
            cdtr=cdtr,
            own=STATEMENT,
            hotel=make_iban(2),
            p1=make_iban(3),
            p2=make_iban(4),
        )
    )
    report = ws.ingest(f)
    assert report.ok and report.kind == "camt053" and report.rows_inserted == 3
    rows = ws.con.execute(
        "SELECT payer_key, payee_key, amount, has_time, payee_category, bank_ref, line_no FROM tx ORDER BY amount"
    ).fetchall()
    assert [str(r[2]) for r in rows] == ["150.00", "400.00", "500.00"]
    debit = rows[0]
    assert debit[0] == STATEMENT and debit[1] == make_iban(2) and debit[3] is True
    assert debit[4] == "hotel" and debit[5] == "REF-1"
    assert {r[0] for r in rows[1:]} == {make_iban(3), make_iban(4)} and {
        r[1] for r in rows[1:]
    } == {STATEMENT}
    assert all(r[6] > 1 for r in rows)  # XML line of each transaction
    addr = ws.con.execute(
        "SELECT address, address_norm FROM account WHERE account_key = ?", [make_iban(3)]
    ).fetchone()
    assert addr == ("Main Street, 1, Sarajevo, BA", "main st 1 sarajevo ba")
    assert ws.ingest(f).already_imported


def test_camt053_rejects_bad_xml_and_bad_indicators(ws, tmp_path):
    f = tmp_path / "bad.xml"
    f.write_text("<Document><BkToCstmrStmt><Stmt>")
    assert not ws.ingest(f).ok
    g = tmp_path / "bad2.xml"
    g.write_text(
        CAMT.format(
            version="02",
            cdtr="",
            own=STATEMENT,
            hotel=make_iban(2),
            p1=make_iban(3),
            p2=make_iban(4),
        ).replace("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>XXXX</CdtDbtInd>")
    )
    report = ws.ingest(g)
    assert not report.ok and report.errors[0].field == "CdtDbtInd" and _count(ws) == 0


def test_camt053_parser_resolves_no_entities(ws, tmp_path):
    f = tmp_path / "xxe.xml"
    f.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + CAMT.split("?>", 1)[1].format(
            version="02",
            cdtr="<Cdtr><Nm>&x;</Nm></Cdtr>",
            own=STATEMENT,
            hotel=make_iban(2),
            p1=make_iban(3),
            p2=make_iban(4),
        )
    )
    ws.ingest(f)
    names = [r[0] for r in ws.con.execute("SELECT holder_name FROM account").fetchall()]
    assert not any(n and "root:" in n for n in names)


def test_amlsim_layout_with_labels(ws, tmp_path):
    con = duckdb.connect()
    for name in ("transactions", "accounts", "alert_transactions"):
        src = AMLSIM / f"{name}.parquet"
        where = "WHERE tran_id <= 3000 OR is_sar" if name == "transactions" else ""
        con.execute(
            f"COPY (SELECT * FROM read_parquet($src) {where}) TO $dst (FORMAT PARQUET)",  # noqa: S608 - one of two fixed filters; the paths are bound
            {"src": str(src), "dst": str(tmp_path / f"{name}.parquet")},
        )
    report = ws.ingest(tmp_path / "transactions.parquet")
    assert report.ok and report.kind == "amlsim"
    n = con.execute(
        "SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "transactions.parquet")]
    ).fetchone()[0]
    assert report.rows_inserted == n
    assert ws.con.execute("SELECT count(*) FROM tx_label").fetchone()[0] == 671
    assert (
        ws.con.execute("SELECT count(DISTINCT label_group) FROM account_label").fetchone()[0] == 100
    )
    person = ws.con.execute(
        "SELECT holder_name, holder_kind, address_norm FROM account WHERE account_key = 'amlsim:0'"
    ).fetchone()
    assert person is not None and person[1] == "person" and person[0] and person[2]


def test_records_import_is_idempotent_and_validated(ws, pay):
    recs = [pay(1, 2, 10, 0), pay(1, 3, 20, 1)]
    assert ws.ingest_records(recs, source_name="case-file").rows_inserted == 2
    assert ws.ingest_records(recs, source_name="case-file").already_imported
    bad = [
        pay(1, 2, 10, 0),
        {**pay(1, 2), "amount": "ten"},
        {**pay(1, 2), "payee_account": None, "payee_name": None},
    ]
    report = ws.ingest_records(bad, source_name="x")
    assert {(e.line, e.field) for e in report.errors} == {(2, "amount"), (3, "payee")}
    assert _count(ws) == 2


def test_packaged_profiles_validate_and_bad_profiles_are_refused():
    ids = {p.id for p in packaged_profiles()}
    assert {
        "palermo-canonical",
        "generic-de-semicolon",
        "generic-uk-paid-in-out",
        "generic-direction-column",
    } <= ids
    base = {"id": "x", "label": "X", "date_format": "%Y-%m-%d", "columns": {"amount": "a"}}
    with pytest.raises(ProfileError, match="debit"):
        profile_from_dict({**base, "amount_mode": "split"})
    with pytest.raises(ProfileError):
        profile_from_dict(
            {**base, "amount_mode": "signed", "columns": {"amount": "a", "colour": "c"}}
        )
    with pytest.raises(ProfileError, match="differ"):
        profile_from_dict({**base, "amount_mode": "signed", "decimal": ",", "thousands": ","})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payments=st.lists(
        st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 500), st.integers(0, 40)),
        min_size=1,
        max_size=25,
    ),
    split=st.integers(0, 25),
)
def test_any_two_overlapping_imports_hold_each_payment_once(payments, split):
    """Import a prefix, then the whole list: the workspace holds exactly the whole list."""
    payments = [p for p in payments if p[0] != p[1]] or [(1, 2, 5, 0)]
    base = datetime(2024, 1, 1)
    recs = [
        {
            "booked_at": base + timedelta(days=d),
            "amount": a,
            "currency": "EUR",
            "payer_account": make_iban(x),
            "payee_account": make_iban(y),
            "description": "p",
        }
        for x, y, a, d in payments
    ]
    with Workspace(":memory:", memory_limit=None) as w:
        w.ingest_records(recs[: split % (len(recs) + 1)], source_name="part") if split % (
            len(recs) + 1
        ) else None
        w.ingest_records(recs, source_name="all")
        assert _count(w) == len(recs)


# --- hostile input stays data (issue 14: no value or identifier enters SQL text unquoted) ----------

HOSTILE = "O'Brien'); DROP TABLE tx; --"


def test_hostile_headers_separators_direction_values_and_holder_stay_data(ws, tmp_path):
    # A Swiss export: the apostrophe is its thousands separator, and a profile may say so.
    # Its headers, its direction codes and the holder the investigator typed carry quotes
    # and semicolons; all of it must arrive as data, and nothing else may run.
    amount_col = 'Betrag "CHF"; DROP TABLE tx; --'
    debit_code = "D'; DROP TABLE account; --"
    profile = profile_from_dict(
        {
            "id": "hostile-ch",
            "label": "Swiss export with hostile headers",
            "delimiter": ",",
            "date_format": "%d.%m.%Y",
            "decimal": ".",
            "thousands": "'",
            "amount_mode": "direction",
            "direction_values": {"debit": [debit_code], "credit": ["C"]},
            "default_currency": "CHF",
            "columns": {
                "booked_at": "Datum'",
                "amount": amount_col,
                "direction": "S/H",
                "counterparty_name": "Gegenpartei",
                "description": "Text",
            },
        }
    )
    f = tmp_path / "ch.csv"
    f.write_text(
        '"Datum\'","Betrag ""CHF""; DROP TABLE tx; --","S/H",Gegenpartei,Text\n'
        f'01.03.2024,1\'234.50,"{debit_code}","{HOSTILE}",Miete\n'
        '02.03.2024,99.95,C,Ana Kovac,"Lohn\'; --"\n',
        encoding="utf-8",
    )
    report = ws.ingest(f, profile=profile, account=STATEMENT, account_name=HOSTILE)
    assert report.ok, (report.errors, report.file_errors)
    rows = ws.con.execute(
        "SELECT amount, payer_key, payee_key, description FROM tx ORDER BY line_no"
    ).fetchall()
    assert [str(r[0]) for r in rows] == ["1234.50", "99.95"]
    assert rows[0][1] == STATEMENT  # the hostile debit code was matched as a value: a debit
    assert rows[1][2] == STATEMENT and rows[1][3] == "Lohn'; --"
    holders = dict(ws.con.execute("SELECT account_key, holder_name FROM account").fetchall())
    assert holders[STATEMENT] == HOSTILE
    assert HOSTILE in holders.values() and _count(ws, "account") == 3


def test_amlsim_files_in_a_folder_with_quotes_and_semicolons_import(ws, tmp_path):
    folder = tmp_path / "o'hare; DROP TABLE tx; --"
    folder.mkdir()
    con = duckdb.connect()
    for name in ("transactions", "accounts", "alert_transactions", "alert_accounts"):
        src = AMLSIM / f"{name}.parquet"
        where = "WHERE tran_id <= 500 OR is_sar" if name == "transactions" else ""
        con.execute(
            f"COPY (SELECT * FROM read_parquet($src) {where}) TO $dst (FORMAT PARQUET)",  # noqa: S608 - one of two fixed filters; the paths are bound
            {"src": str(src), "dst": str(folder / f"{name}.parquet")},
        )
    report = ws.ingest(folder / "transactions.parquet")
    assert report.ok and report.kind == "amlsim" and report.rows_inserted > 500
    assert ws.con.execute("SELECT count(*) FROM tx_label").fetchone()[0] == 671
    assert ws.con.execute("SELECT count(*) FROM account_label").fetchone()[0] > 0
    first = ws.con.execute("SELECT min(line_no) FROM tx").fetchone()[0]
    assert first == 1  # Parquet records count from 1


def test_cell_limit_names_the_column_and_binds_the_limit(ws, tmp_path):
    from palermo.core.limits import ImportLimits, LimitExceeded

    f = tmp_path / "long.csv"
    f.write_text(
        "date,amount,dc,currency,counterparty,counterparty_account,details,reference\n"
        f"2024-03-01,100.00,C,EUR,Adria,,{'x' * 50},R1\n"
    )
    with pytest.raises(LimitExceeded) as refused:
        ws.ingest(
            f,
            profile="generic-direction-column",
            account=STATEMENT,
            limits=ImportLimits(max_bytes=10**6, max_rows=10, max_cell_chars=40),
        )
    assert refused.value.params["column"] == "description"
    assert _count(ws) == 0


def test_memory_limit_and_parquet_export_bind_their_values(tmp_path, pay):
    with Workspace(":memory:", memory_limit="1GB") as w:
        assert w.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        w.ingest_records([pay(1, 2, 10, 0)], source_name="x")
        out = w.export_parquet(tmp_path / "it's; DROP TABLE tx; --")
        assert {p.name for p in out} >= {"tx.parquet", "account.parquet"}
        assert w.con.execute("SELECT count(*) FROM read_parquet(?)", [str(out[2])]).fetchone() == (
            1,
        )
    # a hostile setting is read as a (bad) size, not run: interpolated, it ran DROP TABLE
    with pytest.raises(duckdb.Error, match="Unknown unit for memory"):
        Workspace(":memory:", memory_limit="1GB'; DROP TABLE tx; --")
