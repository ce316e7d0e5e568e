"""Hostile input reaches DuckDB as data (issue 14: no value enters SQL text with hand-made
quoting). The synthetic statement, the AMLSim-style set and the rule runner's field check
once pasted a path or a name into SQL between quotes; they now bind paths and values as
parameters and quote names with DuckDB's own expressions. Quotes, semicolons and comment
marks in a path or a name are data; a NUL, at which DuckDB would cut a path, is refused.
(The statement import's hostile headers and values: test_investigate_ingest.py.)"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from palermo.investigate.amlsim_gen import GeneratedSet, GeneratorParams, generate, write_amlsim
from palermo.investigate.redflags import available_fields
from palermo.investigate.synth import write_synthetic_csv

HOSTILE_DIR = "o'hare\"; DROP TABLE out_rows; --"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --- synthetic statement (synth.write_synthetic_csv) -------------------------------------------


def test_synthetic_statement_in_a_folder_with_quotes_and_semicolons(tmp_path):
    plain = tmp_path / "plain" / "statement.csv"
    hostile = tmp_path / HOSTILE_DIR / "statement'; --.csv"
    for target in (plain, hostile):
        target.parent.mkdir()
    got = write_synthetic_csv(plain, rows=3_000, seed=11)
    assert write_synthetic_csv(hostile, rows=3_000, seed=11) == got
    # Written where asked, whole, and the same rows as in a plain folder: the path was a value.
    rows = _rows(hostile)
    assert rows[0][:3] == ["tx_ref", "booked_at", "amount"]
    assert len(rows) - 1 == got["rows"]
    assert rows == _rows(plain)
    assert sorted(p.name for p in hostile.parent.iterdir()) == ["statement'; --.csv"]


@pytest.mark.slow
def test_synthetic_statement_is_the_same_file_byte_for_byte_above_one_row_group(tmp_path):
    # 400,000 rows span several DuckDB row groups, where its parallel joins stop keeping
    # insertion order: the same size and seed must still give the same bytes, in booking order.
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_synthetic_csv(first, rows=400_000, seed=5)
    write_synthetic_csv(second, rows=400_000, seed=5)
    assert first.read_bytes() == second.read_bytes()
    booked = [row[1] for row in _rows(first)[1:]]
    assert booked == sorted(booked)


def test_synthetic_statement_refuses_a_nul_in_the_path(tmp_path):
    # DuckDB would write to the path cut at the NUL ("cut"): refused before anything runs.
    with pytest.raises(ValueError, match="NUL"):
        write_synthetic_csv(tmp_path / "cut\0.csv", rows=1_000)
    assert list(tmp_path.iterdir()) == []


# --- AMLSim-style set (amlsim_gen.write_amlsim) -------------------------------------------------


def _small_set() -> GeneratedSet:
    return generate(
        GeneratorParams(
            seed=3,
            accounts=400,
            days=60,
            normal_transactions=800,
            alerts_per_typology=1,
            size=(4, 5),
            zero_amount_rows=0,
        )
    )


def test_amlsim_set_in_a_folder_with_quotes_and_semicolons(tmp_path):
    gen = _small_set()
    folder = tmp_path / HOSTILE_DIR
    path = write_amlsim(gen, folder)
    assert path == folder / "transactions.parquet"
    written = sorted(p.name for p in folder.iterdir())
    assert written == [
        "accounts.parquet",
        "alert_accounts.parquet",
        "alert_transactions.parquet",
        "transactions.parquet",
    ]  # every CSV converted and removed, nothing written beside the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == [HOSTILE_DIR]
    con = duckdb.connect()
    count = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()
    assert count is not None and count[0] == len(gen.transactions)


def test_amlsim_set_refuses_a_nul_in_the_folder(tmp_path):
    with pytest.raises(ValueError, match="null"):
        write_amlsim(_small_set(), tmp_path / "cut\0set")
    assert list(tmp_path.iterdir()) == []


# --- the rule runner's field check (redflags.available_fields) ---------------------------------


@pytest.mark.parametrize(
    "field",
    [
        'tx.amount"; DROP TABLE tx; --',
        "tx.amount'; DROP TABLE tx; --",
        "tx; DROP TABLE tx; --.amount",
        "tx_label.tx_id",  # a table a rule may not read
        "tx.amount\0",
        "tx.",
        "amount",
    ],
)
def test_field_check_treats_hostile_names_as_absent(ws, pay, field):
    ws.ingest_records([pay(1, 2, 10.0, 0), pay(2, 3, 5.0, 1)], source_name="s")
    before = ws.con.execute("SELECT count(*) FROM tx").fetchone()
    assert available_fields(ws.con, {field, "tx.amount", "tx.location"}) == {"tx.amount"}
    assert ws.con.execute("SELECT count(*) FROM tx").fetchone() == before == (2,)
