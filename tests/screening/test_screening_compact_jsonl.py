"""The compact result of a JSON Lines batch by columns (issue 13, ``compact.JsonlAsCsv``).

Each JSON object becomes the CSV line that means the same to the engine and goes through
the CSV column path; anything out of the ordinary goes to the reference path from its
original object. Whatever the file, ``screen_lines_parallel(..., compact=True)`` on JSON
Lines must write exactly what the reference batch writes with each result projected by
``compact_result``: the same result lines in the same order, the same error lines, the
same counts — here on generated objects whose values take every JSON type.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.screening.test_screening_compact import CATALOGUE, KEYS, person, rows_per_block
from tests.screening.test_screening_parallel import as_jsonl, people

from palermo.screening import batch_parallel, compact
from palermo.screening.batch import screen_lines
from palermo.screening.batch_parallel import compact_result, screen_lines_parallel
from palermo.screening.compact import JsonlAsCsv
from palermo.screening.engine import ScreeningInputError, screen_mapping

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def reference(text: str) -> tuple[bytes, bytes, tuple[int, int]]:
    """The single-process reference batch, each result projected to its compact form."""
    out, err = io.BytesIO(), io.BytesIO()
    s = screen_lines(io.StringIO(text, newline=""), CATALOGUE, out, err, input_format="jsonl")
    lines = []
    for line in out.getvalue().splitlines():
        row = orjson.loads(line)
        row["result"] = compact_result(row["result"])
        lines.append(orjson.dumps(row) + b"\n")
    return b"".join(lines), err.getvalue(), (s.rows_ok, s.rows_rejected)


def by_columns(text: str, workers: int = 1) -> tuple[bytes, bytes, tuple[int, int]]:
    out, err = io.BytesIO(), io.BytesIO()
    s = screen_lines_parallel(
        io.StringIO(text, newline=""),
        CATALOGUE,
        out,
        err,
        input_format="jsonl",
        compact=True,
        workers=workers,
    )
    return out.getvalue(), err.getvalue(), (s.rows_ok, s.rows_rejected)


@pytest.fixture
def counted(monkeypatch):
    """Counts the blocks screened by columns and the rows sent to the reference path."""
    calls = {"chunks": 0, "rows": 0}
    by_chunk = compact.CompactCsvScreener.screen

    def chunk(self, df, numbers, reference):
        calls["chunks"] += 1

        def one(i):
            calls["rows"] += 1
            return reference(i)

        return by_chunk(self, df, numbers, one)

    monkeypatch.setattr(compact.CompactCsvScreener, "screen", chunk)
    return calls


# --------------------------------------------------------------------- generated files

# Values of every JSON type, for each kind of field (some the engine accepts, some not).
ODD = st.sampled_from(
    [None, True, False, 0, 1, 2, -1, 1.0, 17.0, 1e2, "", " ", "a,b", 'q"q', "l\nb", "\x00"]
    + [[], [""], ["x"], [1], {}, {"source": "observed"}, {"source": "observed", "note": "n"}]
)


def as_json_value(field: str, text: str, draw: st.DrawFn) -> object:
    """A CSV-style cell as one of the JSON values that mean the same (or something odd)."""
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(ODD)
    if field == "age" and text.strip().lstrip("+-").isdigit() and shape < 5:
        return int(text)
    if field in ("age_uncertain_may_be_child", "self_identifies_as_victim") and shape < 5:
        return {"": None, "x": True, "yes": True, "1": 1, "0": 0, "no": False}.get(text, text)
    if field in ("forms", "act", "means", "purpose") and shape < 6:
        items = [i for i in text.replace("|", ";").split(";")] if text else []
        return items if shape < 5 else [" " + i for i in items]
    if field == "ref" and shape < 3:
        return draw(st.integers(-5, 10**6))
    if field == "ref" and shape == 3:
        return draw(st.sampled_from([True, False, 5.5, 1.0, None, [], {}, "a,b", "a\\b"]))
    if field in KEYS and shape < 4:
        return {"x": True, "1": 1, "0": 0, "no": False, "false": False}.get(text, text)
    return text


@st.composite
def objects(draw: st.DrawFn) -> dict[str, object]:
    cells = draw(person())
    obj: dict[str, object] = {}
    nested: dict[str, object] | list[str] | None = None
    layout = draw(st.sampled_from(["flat", "nested", "list", "mixed"]))
    if layout in ("nested", "mixed"):
        nested = {}
    elif layout == "list":
        nested = []
    for name, text in cells.items():
        if text == "" and draw(st.integers(0, 2)):
            continue  # an empty cell: mostly absent
        value = as_json_value(name, text, draw)
        if name in KEYS and nested is not None and (layout != "mixed" or draw(st.booleans())):
            if isinstance(nested, list):
                if value not in ("", None, False, 0, "0", "no", "false"):
                    nested.append(name)
            else:
                nested[name] = value
        else:
            obj[name] = value
    if nested is not None:
        obj["indicators"] = nested
    extra = draw(st.integers(0, 19))
    if extra == 0:
        obj["not_a_field"] = draw(ODD)
    elif extra == 1 and isinstance(nested, dict):
        nested["not_a_key"] = "x"
    elif extra == 2 and isinstance(nested, dict) and nested:
        obj[next(iter(nested))] = draw(st.sampled_from(["x", "observed", "", "no"]))  # twice
    elif extra == 3:
        obj["indicators"] = draw(st.sampled_from([None, "a;b", 5, [{"key": KEYS[0]}]]))
    keys = list(obj)
    order = draw(st.permutations(keys))
    return {k: obj[k] for k in order}


@st.composite
def jsonl_files(draw: st.DrawFn) -> str:
    rows = draw(st.lists(objects(), min_size=1, max_size=40))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for row in rows:
        line = orjson.dumps(row).decode()
        shape = draw(st.integers(0, 29))
        if shape == 0:
            lines.append(end)  # a blank line keeps its number
        elif shape == 1:
            lines.append("  " + end)
        elif shape == 2:
            line = line[:-1]  # invalid JSON
        elif shape == 3:
            line = "[1, 2]"  # not an object
        elif shape == 4 and row:
            key = next(iter(row))  # a key given twice: the last one counts
            line = line[:-1] + "," + orjson.dumps({key: row[key]}).decode()[1:]
        elif shape == 5:
            line = " " + line.replace(":", " : ") + " "
        lines.append(line + end)
    if draw(st.booleans()):
        lines[-1] = lines[-1].rstrip("\r\n")  # no newline at the end
    return "".join(lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=jsonl_files(), chunk=st.integers(1, 50))
def test_compact_by_columns_is_the_reference_compact(text, chunk):
    with rows_per_block(chunk):
        assert by_columns(text) == reference(text)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=jsonl_files(), chunk=st.integers(1, 15))
def test_compact_on_worker_processes_is_the_reference_compact(text, chunk):
    with rows_per_block(chunk):
        assert by_columns(text, workers=2) == reference(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(objects(), min_size=1, max_size=20), chunk=st.integers(1, 20))
def test_compact_is_the_engines_verdict_on_each_random_object(data, chunk):
    # Not the batch against the batch: each result line against the engine on that object.
    text = "".join(orjson.dumps(row).decode() + "\n" for row in data)
    with rows_per_block(chunk):
        out, _err, (ok, rejected) = by_columns(text)
    results = {
        orjson.loads(line)["line"]: orjson.loads(line)["result"] for line in out.splitlines()
    }
    for number, row in enumerate(data, start=1):
        try:
            expected = compact_result(orjson.loads(orjson.dumps(screen_mapping(row, CATALOGUE))))
        except ScreeningInputError:
            expected = None
        if expected is None or batch_parallel._ref(row)[1] is not None:  # (a refused ref)
            assert number not in results, number
        else:
            assert results[number] == expected, number
    assert ok + rejected == len(data)


def test_generated_files_reach_the_column_path(counted):
    # The columns do the work; only the invalid rows go one by one through the reference path.
    text = as_jsonl(people(600, seed=11))
    expected = reference(text)
    assert by_columns(text) == expected
    ok, rejected = expected[2]
    assert ok > 400 and rejected > 30
    assert counted["chunks"] >= 1
    assert counted["rows"] == rejected


def test_benchmark_file_is_screened_as_the_reference(tmp_path, counted):
    sys.path.insert(0, str(BENCHMARKS))
    from screen_1m import write_jsonl

    path = tmp_path / "people.jsonl"
    write_jsonl(path, 3000)
    text = path.read_text(encoding="utf-8")
    expected = reference(text)
    assert by_columns(text) == expected
    assert counted["rows"] == expected[2][1]  # valid rows never leave the columns


@pytest.mark.parametrize(
    "value",
    [
        {"age": 17.0},  # the engine takes a whole float as an age; the reference path
        {"age": True},
        {"age_uncertain_may_be_child": 1.0},
        {"forms": ["labour", ""]},
        {"forms": ["labour;sexual"]},
        {"forms": "labour", "not_a_field": None},
        {"ref": 5.5},
        {"ref": True},
        {"ref": "a,b"},
        {"forms": ["labour"], "indicators": {KEYS[0]: {"source": "observed"}}},
        {"forms": ["labour"], "indicators": {KEYS[0]: 1.0}},
        {"forms": ["labour"], "indicators": {KEYS[0]: "x"}, KEYS[0]: "observed"},
        {"forms": ["labour"], "indicators": [" " + KEYS[0]]},
        {"forms": ["labour"], "indicators": {"age": "x"}},
    ],
)
def test_values_out_of_the_ordinary_go_to_the_reference_path(value):
    assert JsonlAsCsv(CATALOGUE)._row(value) is None
    text = orjson.dumps(value).decode() + "\n"
    assert by_columns(text) == reference(text)


def test_ordinary_values_become_the_cells_that_mean_the_same():
    rows = JsonlAsCsv(CATALOGUE)
    line = rows._row(
        {
            "ref": 7,
            "age": 30,
            "age_uncertain_may_be_child": False,
            "self_identifies_as_victim": 1,
            "forms": ["labour", " sexual"],
            "act": [],
            "indicators": {KEYS[0]: True, KEYS[1]: "observed", KEYS[2]: 0},
            KEYS[3]: None,
        }
    )
    assert line is not None
    cells = dict(zip(rows.header, line.rstrip("\n").split(","), strict=True))
    assert {k: v for k, v in cells.items() if v} == {
        "ref": "7",
        "age": "30",
        "age_uncertain_may_be_child": "false",
        "self_identifies_as_victim": "1",
        "forms": "labour; sexual",
        KEYS[0]: "true",
        KEYS[1]: "observed",
        KEYS[2]: "0",
    }


@pytest.mark.parametrize("fail_after", [1, 5, 30])
@pytest.mark.parametrize("workers", [1, 2])
def test_rows_read_before_a_failure_are_written(monkeypatch, fail_after, workers):
    monkeypatch.setattr(compact, "CHUNK_ROWS", 4)
    lines = [
        orjson.dumps({"ref": f"P-{i}", "age": 20 + i, "forms": ["labour"]}).decode() + "\n"
        for i in range(40)
    ]
    taken = lines[:fail_after]

    def failing():
        yield from taken
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    out, err = io.BytesIO(), io.BytesIO()
    with pytest.raises(UnicodeDecodeError):
        screen_lines_parallel(
            failing(), CATALOGUE, out, err, input_format="jsonl", compact=True, workers=workers
        )
    assert out.getvalue() == reference("".join(taken))[0]


def test_empty_and_blank_files():
    for text in ("", "\n\n", "  \n\r\n"):
        assert by_columns(text) == reference(text)


@pytest.fixture(scope="module")
def three_blocks(tmp_path_factory):
    """A JSON Lines file of three blocks and what the reference batch writes for it (errors
    and compact results): made once for both ways the CLI writes its output."""
    sys.path.insert(0, str(BENCHMARKS))
    from screen_1m import write_jsonl

    path = tmp_path_factory.mktemp("forked") / "people.jsonl"
    write_jsonl(path, compact.CHUNK_ROWS * 2 + 1234)  # three blocks
    return path, reference(path.read_text(encoding="utf-8"))[:2]


@pytest.mark.parametrize("to_stdout", [False, True])
def test_cli_compact_jsonl_on_forked_workers(tmp_path, to_stdout, three_blocks):
    # The CLI process has not run polars yet: its workers are forked and write the
    # result lines to the output themselves, in turn.
    path, expected = three_blocks
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    command = [sys.executable, "-m", "palermo.screening.cli", str(path), "--compact", "-j", "2"]
    command += ["-e", str(err)] + ([] if to_stdout else ["-o", str(out)])
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
    assert done.returncode == 1, done.stderr  # some rows are invalid on purpose
    written = done.stdout if to_stdout else out.read_bytes()
    assert (written, err.read_bytes()) == expected
