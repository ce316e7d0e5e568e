"""Batch screening on several processes, full and compact (issue 13, item 3).

Whatever the worker count and chunk size, the output is the single-process batch's,
line for line and in input order (that path is itself held to the reference engine in
test_screening_batch.py / test_screening_fastpath.py); the compact result of each person
is ``compact_result`` of the reference engine's full result.
"""

from __future__ import annotations

import csv
import io
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.screening.adult_rows import adult_rows
from typer.testing import CliRunner

from palermo.screening import batch_parallel
from palermo.screening.batch import screen_lines
from palermo.screening.batch_parallel import compact_result, screen_lines_parallel
from palermo.screening.cli import app
from palermo.screening.engine import screen_mapping
from palermo.screening.loader import default_catalogue

CATALOGUE = default_catalogue()


def people(count: int, seed: int) -> list[dict]:
    """Adults and children, valid and (about one in ten) invalid on purpose."""
    rng = random.Random(seed)
    rows = adult_rows(CATALOGUE, count)
    for i, row in enumerate(rows):
        roll = rng.random()
        if roll < 0.15:
            row["age"] = rng.randint(0, 17)  # a child: the children's sets
            row = {k: v for k, v in row.items() if k in ("ref", "age", "forms")}
            rows[i] = row
        elif roll < 0.19:
            row["age"] = 150  # out of range
        elif roll < 0.22:
            row["not_an_indicator_key"] = "x"
        elif roll < 0.24:
            row["ref"] = "r" * 150  # too long
        elif roll < 0.26:
            row["forms"] = ["no_such_form"]
    return rows


def as_jsonl(rows: list[dict]) -> str:
    lines = []
    for i, row in enumerate(rows):
        lines.append(orjson.dumps(row).decode())
        if i % 17 == 5:
            lines.append("")  # blank lines keep their numbers
        if i % 53 == 7:
            lines.append("[1, 2]")  # not an object
    return "\n".join(lines) + "\n"


def as_csv(rows: list[dict]) -> str:
    columns = sorted({k for r in rows for k in r if k != "not_an_indicator_key"})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for i, row in enumerate(rows):
        cells = []
        for c in columns:
            v = row.get(c, "")
            cells.append(";".join(v) if isinstance(v, list) else "" if v is None else str(v))
        if i % 41 == 3:
            cells[columns.index("ref")] = f"line\nbreak {i}"  # a quoted cell over two lines
        writer.writerow(cells)
        if i % 61 == 9:
            buf.write("only,three,cells\r\n")  # wrong width
    return buf.getvalue()


def single(text: str, fmt: str) -> tuple[bytes, bytes, tuple[int, int]]:
    out, err = io.BytesIO(), io.BytesIO()
    s = screen_lines(io.StringIO(text, newline=""), CATALOGUE, out, err, input_format=fmt)
    return out.getvalue(), err.getvalue(), (s.rows_ok, s.rows_rejected)


def parallel(text: str, fmt: str, **kwargs) -> tuple[bytes, bytes, tuple[int, int]]:
    out, err = io.BytesIO(), io.BytesIO()
    s = screen_lines_parallel(
        io.StringIO(text, newline=""), CATALOGUE, out, err, input_format=fmt, **kwargs
    )
    return out.getvalue(), err.getvalue(), (s.rows_ok, s.rows_rejected)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(batch_parallel, "CHUNK_ROWS", 37)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_full_output_is_the_single_process_output(small_chunks, fmt, workers):
    rows = people(400, seed=workers)
    text = as_csv(rows) if fmt == "csv" else as_jsonl(rows)
    expected = single(text, fmt)
    assert expected[2][0] > 300 and expected[2][1] > 20  # both paths exercised
    assert parallel(text, fmt, workers=workers) == expected


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("workers", [1, 2])
def test_compact_output_is_the_compact_form_of_the_reference_engine(small_chunks, fmt, workers):
    rows = people(300, seed=10 + workers)
    text = as_csv(rows) if fmt == "csv" else as_jsonl(rows)
    full_out, full_err, counts = single(text, fmt)
    out, err, compact_counts = parallel(text, fmt, workers=workers, compact=True)
    assert (err, compact_counts) == (full_err, counts)  # same rows rejected, same messages
    full_lines, lines = full_out.splitlines(), out.splitlines()
    assert len(lines) == len(full_lines)
    by_ref = {r["ref"]: r for r in rows}
    for full_line, line in zip(full_lines, lines, strict=True):
        full, small = orjson.loads(full_line), orjson.loads(line)
        assert (small["line"], small["ref"]) == (full["line"], full["ref"])
        assert small["result"] == compact_result(full["result"])
        if fmt == "jsonl":  # the reference engine itself, on the very row
            reference = orjson.loads(orjson.dumps(screen_mapping(by_ref[small["ref"]], CATALOGUE)))
            assert small["result"] == compact_result(reference)
    assert len(out) * 5 < len(full_out)  # compact indeed


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(min_value=0, max_value=120),
    seed=st.integers(min_value=0, max_value=10_000),
    chunk=st.integers(min_value=1, max_value=50),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_any_chunking_gives_the_same_output(monkeypatch, count, seed, chunk, fmt):
    monkeypatch.setattr(batch_parallel, "CHUNK_ROWS", chunk)
    rows = people(count, seed)
    text = (as_csv(rows) if fmt == "csv" else as_jsonl(rows)) if rows else ""
    assert parallel(text, fmt, workers=2) == single(text, fmt)


def test_rows_read_before_a_failure_are_written(small_chunks):
    rows = people(200, seed=5)
    good = as_jsonl(rows)

    def lines():
        yield from io.StringIO(good)
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    out, err = io.BytesIO(), io.BytesIO()
    with pytest.raises(UnicodeDecodeError):
        screen_lines_parallel(lines(), CATALOGUE, out, err, input_format="jsonl", workers=2)
    assert out.getvalue() == single(good, "jsonl")[0]


def test_cli_workers_and_compact(tmp_path):
    rows = people(100, seed=7)
    src = tmp_path / "people.jsonl"
    src.write_text(as_jsonl(rows), encoding="utf-8")
    runner = CliRunner()
    outputs = {}
    for args in (["-j", "1"], ["-j", "2"], ["--compact"]):
        out = tmp_path / f"out{len(outputs)}.jsonl"
        result = runner.invoke(app, [str(src), "-o", str(out), "-e", str(tmp_path / "e"), *args])
        assert result.exit_code == 1, result.output  # some rows are invalid on purpose
        outputs[tuple(args)] = out.read_bytes()
    assert outputs[("-j", "1")] == outputs[("-j", "2")]
    compact = [orjson.loads(x)["result"] for x in outputs[("--compact",)].splitlines()]
    assert set(compact[0]) == {"assessment", "status", "positive_dimensions", "rules_met"}


@pytest.mark.parametrize("fail_after", [10, 11, 40])
def test_csv_rows_read_before_a_failure_are_written(small_chunks, fail_after):
    # Line 12 opens a quoted cell that the failure cuts short: never half a record.
    header = "ref,age,forms\n"
    lines = [header] + [f"P-{i},30,labour\n" for i in range(10)]
    lines += ['"Q-1\n', 'still Q-1",30,labour\n'] + [f"R-{i},40,labour\n" for i in range(40)]
    taken = lines[:fail_after]

    def failing():
        yield from taken
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    def run(fn, **kwargs):
        out, err = io.BytesIO(), io.BytesIO()
        with pytest.raises(UnicodeDecodeError):
            fn(failing(), CATALOGUE, out, err, input_format="csv", **kwargs)
        return out.getvalue(), err.getvalue()

    assert run(screen_lines_parallel, workers=2) == run(screen_lines)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_forked_workers_write_full_results_to_the_file_in_turn(
    small_chunks, tmp_path, monkeypatch, fmt
):
    # To a file, the workers write their own result lines, in input order: none comes
    # back to the parent through a pipe, and the file is the single-process output.
    rows = people(300, seed=21)
    text = as_csv(rows) if fmt == "csv" else as_jsonl(rows)
    expected = single(text, fmt)
    through_parent: list[bytes] = []
    write = batch_parallel._write

    def spy(done, *args):
        through_parent.append(done[2])
        return write(done, *args)

    monkeypatch.setattr(batch_parallel, "_write", spy)
    path = tmp_path / "out.jsonl"
    with path.open("wb") as out:
        out.write(b"")  # (buffered: flushed before the workers write)
        err = io.BytesIO()
        s = screen_lines_parallel(
            io.StringIO(text, newline=""), CATALOGUE, out, err, input_format=fmt, workers=2
        )
    assert (path.read_bytes(), err.getvalue(), (s.rows_ok, s.rows_rejected)) == expected
    assert len(through_parent) > 5 and not any(through_parent)


def test_a_full_chunk_waits_for_its_turn(tmp_path, monkeypatch):
    import threading
    from types import SimpleNamespace

    path = tmp_path / "out.jsonl"
    chunks = {"a": (1, 0, b"zero\n", b""), "b": (2, 1, b"one\n", b"e1\n")}
    monkeypatch.setattr(batch_parallel, "screen_chunk", lambda chunk, compact: chunks[chunk])
    with path.open("wb") as out:
        turn = (out.fileno(), SimpleNamespace(value=0), threading.Condition(), False)
        monkeypatch.setattr(batch_parallel, "_full_turn", turn)
        done = []
        later = threading.Thread(
            target=lambda: done.append(batch_parallel._screen_chunk_in_turn(1, "b", False))
        )
        later.start()
        later.join(0.3)
        assert later.is_alive() and turn[1].value == 0  # chunk 1 waits for chunk 0
        assert batch_parallel._screen_chunk_in_turn(0, "a", False) == (1, 0, b"", b"")
        later.join(5)
        assert done == [(2, 1, b"", b"e1\n")] and turn[1].value == 2
    assert path.read_bytes() == b"zero\none\n"


def test_a_failed_chunk_releases_the_workers_waiting_for_their_turn(tmp_path, monkeypatch):
    import threading
    from types import SimpleNamespace

    def fail(chunk, compact):
        if chunk == "a":
            raise ValueError("boom")
        return (1, 0, b"one\n", b"")

    monkeypatch.setattr(batch_parallel, "screen_chunk", fail)
    with (tmp_path / "out").open("wb") as out:
        turn = (out.fileno(), SimpleNamespace(value=0), threading.Condition(), False)
        monkeypatch.setattr(batch_parallel, "_full_turn", turn)
        raised = []

        def later():
            try:
                batch_parallel._screen_chunk_in_turn(1, "b", False)
            except RuntimeError as exc:
                raised.append(exc)

        waiting = threading.Thread(target=later)
        waiting.start()
        with pytest.raises(ValueError, match="boom"):
            batch_parallel._screen_chunk_in_turn(0, "a", False)
        waiting.join(5)
        assert not waiting.is_alive() and raised


def unquoted_csv(rows: list[dict], end: str, oddities: list[int]) -> str:
    """Rows as CSV without a double quote (cut by lines, unparsed, in the parent), with
    blank lines, rows of the wrong width and a cell with a NUL where ``oddities`` say."""
    columns = sorted({k for r in rows for k in r if k != "not_an_indicator_key"})
    lines = [",".join(columns) + end]
    for i, row in enumerate(rows):
        cells = []
        for c in columns:
            v = row.get(c, "")
            cells.append(";".join(v) if isinstance(v, list) else "" if v is None else str(v))
        lines.append(",".join(cells) + end)
        odd = oddities[i % len(oddities)]
        if odd == 1:
            lines.append(end)
        elif odd == 2:
            lines.append("only,three,cells" + end)
        elif odd == 3:
            lines.append(",".join(["x"] * (len(columns) + 2)) + end)
        elif odd == 4:
            lines.append(",".join(["P\x00"] + [""] * (len(columns) - 1)) + end)
    return "".join(lines)


@settings(max_examples=20, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=80),
    seed=st.integers(min_value=0, max_value=10_000),
    chunk=st.integers(min_value=1, max_value=30),
    end=st.sampled_from(["\n", "\r\n"]),
    oddities=st.lists(st.integers(0, 12), min_size=1, max_size=7),
)
def test_csv_cut_by_lines_gives_the_same_output(count, seed, chunk, end, oddities):
    rows = [
        {k: v for k, v in r.items() if not str(v).startswith("r" * 101)}
        for r in people(count, seed)
    ]
    text = unquoted_csv(rows, end, oddities)
    previous = batch_parallel.CHUNK_ROWS
    batch_parallel.CHUNK_ROWS = chunk
    try:
        assert parallel(text, "csv", workers=2) == single(text, "csv")
    finally:
        batch_parallel.CHUNK_ROWS = previous
