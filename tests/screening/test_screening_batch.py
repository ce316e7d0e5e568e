"""Batch screening (CSV and JSON Lines) and the `screen` CLI command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from palermo.screening import batch
from palermo.screening.batch import (
    BatchInputError,
    detect_format,
    iter_csv_records,
    screen_lines,
    screen_records,
)
from palermo.screening.cli import app
from palermo.screening.engine import screen_mapping
from palermo.screening.loader import BUILTIN_DIR, default_catalogue

CATALOGUE = default_catalogue()

CSV_TEXT = (
    "ref,age,forms,excessive_working_hours,low_or_no_salary,coerced_violence_on_victim,no_social_protection,act\n"
    "A1,35,labour,x,1,observed,,\n"  # line 2: valid
    "A2,-3,labour,x,,,,\n"  # line 3: impossible age
    "\n"  # line 4: blank, skipped
    'A3,12,labour,x,,,yes,"recruitment;\ntransfer"\n'  # lines 5-6: adult-only indicator for a child
    "A4,16,labour;domestic_servitude,yes,TRUE,,,\n"  # line 7: valid
    "A5,40,labour,x,maybe,,,\n"  # line 8: bad cell value
    "A6,40,labour\n"  # line 9: wrong number of cells
    "A7,,,,,,,\n"  # line 10: valid, nothing recorded
)

JSONL_TEXT = (
    '{"ref": "J1", "age": 30, "forms": ["sexual"], "indicators": ["deceived_about_job", "deceived_about_conditions"]}\n'
    "\n"
    "{not json}\n"  # line 3
    '["an", "array"]\n'  # line 4
    '{"ref": "J5", "age": 30, "forms": "labour", "excessive_working_hours": true, "wage_manipulation": "document"}\n'
    '{"ref": {"nested": 1}, "age": 30}\n'  # line 6: bad ref
    '{"ref": "J7", "age": 17, "forms": "labour", "indicators": [{"key": "low_or_no_salary", "note": "n"}], "typo_field": 1}\n'
)


def run(text: str, **kwargs) -> tuple[list[dict], list[dict], object]:
    out, err = io.BytesIO(), io.BytesIO()
    summary = screen_lines(io.StringIO(text, newline=""), CATALOGUE, out, err, **kwargs)
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]
    errors = [orjson.loads(x) for x in err.getvalue().splitlines()]
    return lines, errors, summary


def test_csv_reports_invalid_rows_with_line_numbers_and_screens_the_rest() -> None:
    results, errors, summary = run(CSV_TEXT, name="people.csv")
    assert [(r["line"], r["ref"]) for r in results] == [(2, "A1"), (7, "A4"), (10, "A7")]
    assert [(e["line"], e["ref"]) for e in errors] == [(3, "A2"), (5, "A3"), (8, "A5"), (9, None)]
    by_line = {e["line"]: e["errors"] for e in errors}
    assert by_line[3] == [
        {"field": "age", "message": "impossible age -3: must be between 0 and 120"}
    ]
    assert by_line[5][0]["field"] == "indicators.no_social_protection"
    assert "maybe" in by_line[8][0]["message"]
    assert "cells" in by_line[9][0]["message"]
    assert (summary.rows_ok, summary.rows_rejected) == (3, 4)
    assert summary.line() == "rows ok: 3, rows rejected: 4"


def test_batch_result_is_the_engine_result() -> None:
    results, _, _ = run(CSV_TEXT, name="people.csv")
    first = screen_mapping(
        {
            "age": "35",
            "forms": "labour",
            "excessive_working_hours": "x",
            "low_or_no_salary": "1",
            "coerced_violence_on_victim": "observed",
        },
        CATALOGUE,
    )
    assert results[0]["result"] == first.to_dict()
    assert results[0]["result"]["explanation"]


def test_jsonl_reports_invalid_rows_with_line_numbers() -> None:
    results, errors, summary = run(JSONL_TEXT, name="people.jsonl")
    assert [(r["line"], r["ref"]) for r in results] == [(1, "J1"), (5, "J5")]
    assert [e["line"] for e in errors] == [3, 4, 6, 7]
    by_line = {e["line"]: e for e in errors}
    assert "invalid JSON" in by_line[3]["errors"][0]["message"]
    assert "JSON object" in by_line[4]["errors"][0]["message"]
    assert by_line[6]["errors"][0]["field"] == "ref"
    assert by_line[7]["ref"] == "J7"
    assert by_line[7]["errors"][0]["field"] == "typo_field"
    assert (summary.rows_ok, summary.rows_rejected) == (2, 4)


def test_notes_do_not_reach_the_output() -> None:
    text = '{"age": 30, "forms": "labour", "indicators": [{"key": "low_or_no_salary", "note": "SECRET-NAME"}]}\n'
    out, err = io.BytesIO(), io.BytesIO()
    screen_lines(io.StringIO(text), CATALOGUE, out, err)
    assert b"SECRET-NAME" not in out.getvalue() + err.getvalue()


def test_unknown_csv_column_rejects_the_file_before_any_row() -> None:
    with pytest.raises(BatchInputError) as caught:
        run("age,forms,excesive_working_hours\n30,labour,x\n", name="x.csv")
    assert caught.value.line == 1
    assert "excesive_working_hours" in caught.value.reason


def test_duplicated_csv_column_rejects_the_file() -> None:
    with pytest.raises(BatchInputError, match="duplicated column"):
        run("age,age\n1,2\n", name="x.csv")


def test_empty_inputs() -> None:
    assert run("", name="x.csv")[2].rows_total == 0
    assert run("age,forms\n", name="x.csv")[2].rows_total == 0
    assert run("\n\n", name="x.jsonl")[2].rows_total == 0


def test_blank_lines_before_the_csv_header_are_skipped() -> None:
    results, errors, _ = run("\n\nage,forms,low_or_no_salary\n30,labour,x\n", name="x.csv")
    assert [r["line"] for r in results] == [4] and errors == []


def test_format_detection() -> None:
    assert detect_format("a.CSV", "{") == "csv"
    assert detect_format("a.ndjson", "age") == "jsonl"
    assert detect_format(None, '  {"age": 3}') == "jsonl"
    assert detect_format("data.txt", "age,forms") == "csv"
    results, _, _ = run('\n{"age": 40}\n')  # no name: sniffed, blank first line kept
    assert results[0]["line"] == 2


def test_processing_is_streaming() -> None:
    """Results are written chunk by chunk while records are still being read: at most
    one chunk of results is ever held, and the last partial chunk is written at the end."""
    out, err = io.BytesIO(), io.BytesIO()
    chunk = batch.WRITE_CHUNK_ROWS
    total = 3 * chunk + 5

    def records() -> Iterator[tuple[int, dict]]:
        for n in range(1, total + 1):
            assert out.getvalue().count(b"\n") == (n - 1) // chunk * chunk
            yield n, {"age": 20 + n % 80}

    summary = screen_records(records(), CATALOGUE, out, err)
    assert summary.rows_ok == total
    assert out.getvalue().count(b"\n") == total


def test_rows_screened_before_a_read_failure_are_written() -> None:
    """A file that turns unreadable half-way (e.g. not UTF-8) still gets every row
    screened before that point written out."""
    out, err = io.BytesIO(), io.BytesIO()

    def records() -> Iterator[tuple[int, dict]]:
        yield 1, {"age": 30}
        yield 2, {"age": 31}
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(UnicodeDecodeError):
        screen_records(records(), CATALOGUE, out, err)
    assert [orjson.loads(x)["line"] for x in out.getvalue().splitlines()] == [1, 2]


def test_csv_records_are_lazy() -> None:
    def lines() -> Iterator[str]:
        yield "age,forms\n"
        yield "30,labour\n"
        raise AssertionError("read past the first row")

    first = next(iter_csv_records(lines(), CATALOGUE))
    assert first == (2, {"age": "30", "forms": "labour"})


# ---------------------------------------------------------------- CLI


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_exit_1_and_summary_when_rows_are_rejected(tmp_path: Path, runner: CliRunner) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV_TEXT)
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    result = runner.invoke(app, [str(source), "--output", str(out), "--errors", str(errs)])
    assert result.exit_code == 1
    assert "rows ok: 3, rows rejected: 4" in result.output
    assert len(out.read_bytes().splitlines()) == 3
    assert [orjson.loads(x)["line"] for x in errs.read_bytes().splitlines()] == [3, 5, 8, 9]


def test_cli_exit_0_when_every_row_is_valid(tmp_path: Path, runner: CliRunner) -> None:
    source = tmp_path / "people.data"
    source.write_text('{"ref": "ok", "age": 30, "forms": "labour", "low_or_no_salary": "x"}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, [str(source), "-o", str(out), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(out.read_bytes())["result"]["status"] == "potential_victim"


def test_cli_exit_2_on_a_bad_header(tmp_path: Path, runner: CliRunner) -> None:
    source = tmp_path / "people.csv"
    source.write_text("age,nonsense\n1,2\n")
    result = runner.invoke(app, [str(source), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown column" in result.output


def test_cli_exit_2_on_a_missing_file(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, [str(tmp_path / "missing.csv")])
    assert result.exit_code == 2


def test_cli_exit_2_on_a_broken_indicator_set(tmp_path: Path, runner: CliRunner) -> None:
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "bad.yaml").write_text("id: [\n")
    source = tmp_path / "p.csv"
    source.write_text("age\n30\n")
    result = runner.invoke(app, [str(source), "--indicator-sets", str(sets)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "invalid YAML" in result.output


def test_cli_indicator_sets_option_adapts_a_list(tmp_path: Path, runner: CliRunner) -> None:
    sets = tmp_path / "sets"
    sets.mkdir()
    text = (BUILTIN_DIR / "adults-labour.yaml").read_text()
    (sets / "adults-labour.yaml").write_text(
        text.replace("version: 1.1.0", "version: 9.9.9-national", 1)
    )
    source = tmp_path / "p.jsonl"
    source.write_text('{"age": 30, "forms": "labour", "low_or_no_salary": "x"}\n')
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, [str(source), "-o", str(out), "--indicator-sets", str(sets)])
    assert result.exit_code == 0, result.output
    assert orjson.loads(out.read_bytes())["result"]["sets"][0]["version"] == "9.9.9-national"


def test_cli_reads_standard_input(runner: CliRunner) -> None:
    result = runner.invoke(app, ["-"], input="age,forms,low_or_no_salary\n30,labour,x\n")
    assert result.exit_code == 0
    assert '"status":"potential_victim"' in result.output


def test_progress_is_reported_per_written_chunk() -> None:
    out, err = io.BytesIO(), io.BytesIO()
    chunk = batch.WRITE_CHUNK_ROWS
    seen: list[tuple[int, int]] = []
    records = [(n, {"age": 30} if n % 10 else {"age": -1}) for n in range(1, 4 * chunk)]
    summary = screen_records(
        records, CATALOGUE, out, err, lambda s: seen.append((s.rows_ok, s.rows_rejected))
    )
    assert [ok for ok, _ in seen] == [chunk, 2 * chunk, 3 * chunk]
    assert all(rejected > 0 for _, rejected in seen)  # rejected rows are counted as they go
    assert summary.rows_ok > seen[-1][0]


def test_progress_line_redraws_one_terminal_line(capsys) -> None:
    from palermo.screening.cli import ProgressLine

    line = ProgressLine(interval=0)
    line(batch.BatchSummary(rows_ok=1234, rows_rejected=5))
    assert capsys.readouterr().err == "\rscreened 1,239 rows (5 rejected) …"
    quiet = ProgressLine(interval=3600)
    quiet(batch.BatchSummary(rows_ok=1))
    assert capsys.readouterr().err == ""


def test_results_written_to_a_file_are_released_from_the_page_cache(tmp_path, monkeypatch) -> None:
    """Gigabytes of results are handed back to the kernel as they are written (advice
    only: the file holds exactly what a run without the advice writes)."""
    import os

    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise on this platform")
    calls: list[tuple[int, int, int, int]] = []
    real = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda *a: (calls.append(a), real(*a))[1])
    monkeypatch.setattr(batch, "RELEASE_EVERY_BYTES", 100_000)
    records = [
        (n, {"age": 20 + n % 60, "forms": "labour"}) for n in range(1, 6 * batch.WRITE_CHUNK_ROWS)
    ]
    path = tmp_path / "results.jsonl"
    with path.open("wb") as out:
        summary = screen_records(records, CATALOGUE, out, io.BytesIO())
    assert summary.rows_ok == len(records)
    assert calls and all(c[3] == os.POSIX_FADV_DONTNEED for c in calls)
    expected = io.BytesIO()
    screen_records(records, CATALOGUE, expected, io.BytesIO())
    assert path.read_bytes() == expected.getvalue()


def test_no_page_cache_advice_for_streams_that_are_not_files(monkeypatch) -> None:
    import os

    calls: list[object] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *a: calls.append(a), raising=False)
    monkeypatch.setattr(batch, "RELEASE_EVERY_BYTES", 1)
    records = [(n, {"age": 30}) for n in range(1, 3 * batch.WRITE_CHUNK_ROWS)]
    screen_records(records, CATALOGUE, io.BytesIO(), io.BytesIO())
    assert calls == []
