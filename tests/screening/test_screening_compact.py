"""The compact result of a CSV batch by columns (issue 13, screening.compact).

Whatever the file, ``screen_lines_parallel(..., compact=True)`` on CSV must write exactly
what the reference batch writes with each result projected by ``compact_result``: the
same result lines in the same order, the same error lines (same messages), the same
counts. The generated files mix valid and invalid rows, odd spellings the engine accepts
(" Yes", " labour ; sexual", "007") and rejects, children, unknown and uncertain ages,
indicators outside the person's lists, refs that need escaping, rows of the wrong
width, blank lines and both line endings.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.screening.test_screening_parallel import as_csv, people

from palermo.screening import batch_parallel, compact
from palermo.screening.batch import MAX_REF_LENGTH, screen_lines
from palermo.screening.batch_parallel import compact_result, screen_lines_parallel
from palermo.screening.catalogue import PALERMO_ACTS, PALERMO_MEANS, PALERMO_PURPOSES
from palermo.screening.loader import default_catalogue

CATALOGUE = default_catalogue()
KEYS = sorted(CATALOGUE.all_keys())
FIELDS = [
    "ref",
    "age",
    "age_uncertain_may_be_child",
    "forms",
    "act",
    "means",
    "purpose",
    "self_identifies_as_victim",
]


def reference(text: str) -> tuple[bytes, bytes, tuple[int, int]]:
    """The single-process reference batch, each result projected to its compact form."""
    out, err = io.BytesIO(), io.BytesIO()
    s = screen_lines(io.StringIO(text, newline=""), CATALOGUE, out, err, input_format="csv")
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
        input_format="csv",
        compact=True,
        workers=workers,
    )
    return out.getvalue(), err.getvalue(), (s.rows_ok, s.rows_rejected)


@pytest.fixture
def counted(monkeypatch):
    """Counts the rows screened one by one by the reference path, and the chunks by columns."""
    calls = {"rows": 0, "chunks": 0, "pools": 0}
    single_row = batch_parallel.screen_csv_line
    by_chunk = compact.CompactCsvScreener.screen
    pool = batch_parallel._compact_pool

    def row(*args):
        calls["rows"] += 1
        return single_row(*args)

    def chunk(self, *args):
        calls["chunks"] += 1
        return by_chunk(self, *args)

    def pooled(*args):
        calls["pools"] += 1
        return pool(*args)

    monkeypatch.setattr(batch_parallel, "screen_csv_line", row)
    monkeypatch.setattr(compact.CompactCsvScreener, "screen", chunk)
    monkeypatch.setattr(batch_parallel, "_compact_pool", pooled)
    return calls


# --------------------------------------------------------------------- generated files

CELL = st.sampled_from(
    ["x", "x", "x", "1", "observed", "self_reported", "document", "yes", "true"]
    + ["0", "no", "false", " Yes", "X", " observed", "maybe", "2"]
)
AGE = st.sampled_from(
    ["", "", "0", "9", "17", "18", "30", "120", "121", "-1", " 17 ", "007", "abc", "17.0"]
)
FLAG = st.sampled_from(["", "", "", "x", "yes", " Yes", "1", "0", "no", "maybe"])
FORMS = st.sampled_from(
    ["labour", "sexual", "domestic_servitude", "labour;sexual", "domestic_servitude;labour"]
    + ["labour ; sexual", "labour|labour", "", "no_such_form", " sexual"]
)


def items(vocabulary: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.lists(st.sampled_from(vocabulary), min_size=1, max_size=2).map(";".join),
        st.just("not_an_item"),
    )


@st.composite
def person(draw: st.DrawFn) -> dict[str, str]:
    row = {
        "ref": draw(
            st.one_of(
                st.from_regex(r"P-[0-9]{1,5}", fullmatch=True),
                st.sampled_from(["", "é-7", "a\\b", "tab\there", "r" * 101, "r" * 100]),
            )
        ),
        "age": draw(AGE),
        "age_uncertain_may_be_child": draw(FLAG),
        "forms": draw(FORMS),
        "act": draw(items(PALERMO_ACTS)),
        "means": draw(items(PALERMO_MEANS)),
        "purpose": draw(items(PALERMO_PURPOSES)),
        "self_identifies_as_victim": draw(FLAG),
    }
    # Mostly keys of the person's own lists (so that dimensions turn positive), some not.
    age = row["age"].strip()
    group = (
        "child"
        if (age.isdigit() and int(age) < 18) or row["age_uncertain_may_be_child"]
        else "adult"
    )
    forms = tuple(
        sorted({f.strip() for f in row["forms"].replace("|", ";").split(";") if f.strip()})
    )
    pool = KEYS
    if forms and set(forms) <= set(CATALOGUE.forms):
        pool = sorted(CATALOGUE.select(group, forms).keys)  # type: ignore[arg-type]
    for key in draw(st.lists(st.sampled_from(pool), max_size=12, unique=True)):
        row[key] = draw(CELL)
    if draw(st.integers(0, 9)) == 0:
        row[draw(st.sampled_from(KEYS))] = draw(CELL)  # perhaps outside the lists
    return row


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    rows = draw(st.lists(person(), min_size=1, max_size=40))
    extra = draw(st.lists(st.sampled_from(KEYS), max_size=5))
    used = {k for r in rows for k in r}
    columns = draw(st.permutations(sorted(used | set(extra) | set(FIELDS))))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(columns) + end]
    for row in rows:
        lines.append(",".join(row.get(c, "") for c in columns) + end)
        shape = draw(st.integers(0, 19))
        if shape == 0:
            lines.append(end)  # a blank line keeps its number
        elif shape == 1:
            lines.append("only,three,cells" + end)  # wrong width
        elif shape == 2:
            lines.append(",".join(["x"] * (len(columns) + 1)) + end)  # too many cells
    if draw(st.booleans()):
        lines[-1] = lines[-1].rstrip("\r\n")  # no newline at the end
    return "".join(lines)


@contextlib.contextmanager
def rows_per_block(rows: int) -> Iterator[None]:
    """(hypothesis runs many examples per test: monkeypatch would undo only at the end)"""
    previous = compact.CHUNK_ROWS
    compact.CHUNK_ROWS = rows
    try:
        yield
    finally:
        compact.CHUNK_ROWS = previous


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_files(), chunk=st.integers(1, 50))
def test_compact_by_columns_is_the_reference_compact(text, chunk):
    with rows_per_block(chunk):
        assert by_columns(text) == reference(text)


def plain_csv(rows: list[dict]) -> str:
    """Rows as CSV without any quoting (no cell here needs it)."""
    columns = sorted({k for r in rows for k in r if k != "not_an_indicator_key"})
    lines = [",".join(columns)]
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c, "")
            cells.append(";".join(v) if isinstance(v, list) else "" if v is None else str(v))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def test_generated_files_reach_the_column_path(counted):
    # The columns do the work; only the invalid rows go one by one through the
    # reference path.
    text = plain_csv(people(600, seed=11))
    expected = reference(text)
    assert by_columns(text) == expected
    ok, rejected = expected[2]
    assert ok > 400 and rejected > 30
    assert counted["chunks"] >= 1
    assert counted["rows"] == rejected  # valid rows never leave the columns


def test_benchmark_file_is_screened_as_the_reference(tmp_path, counted):
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from screen_1m import write_csv

    path = tmp_path / "people.csv"
    write_csv(path, 3000)
    text = path.read_text(encoding="utf-8")
    expected = reference(text)
    assert by_columns(text) == expected
    assert counted["rows"] == expected[2][1]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_quoted_cell_hands_the_rest_of_the_file_to_the_reference_chunks(
    monkeypatch, counted, workers
):
    monkeypatch.setattr(compact, "CHUNK_ROWS", 3)  # the first quote is on line 5
    monkeypatch.setattr(batch_parallel, "CHUNK_ROWS", 7)
    rows = people(200, seed=3)  # as_csv puts a cell over two lines every 41 rows
    text = as_csv(rows)
    assert by_columns(text, workers=workers) == reference(text)
    # The lines before the first quote went by columns (in worker processes with 2).
    assert counted["chunks"] >= 1 if workers == 1 else counted["pools"] == 1


@pytest.mark.parametrize("oddity", ["\x00", "\r"])
def test_a_nul_or_a_lone_carriage_return_goes_to_the_reference_path(oddity):
    text = "ref,age,forms,excessive_working_hours\nA,30,labour,x\nB,3" + oddity + "0,labour,x\n"
    assert by_columns(text) == reference(text)


def test_empty_and_header_only_files():
    for text in ("", "\n\n", "ref,age,forms\n", "ref,age,forms\n\n\n"):
        assert by_columns(text) == reference(text)


def test_unknown_column_rejects_the_file():
    from palermo.screening.batch import BatchInputError

    with pytest.raises(BatchInputError, match="unknown column"):
        by_columns("ref,age,no_such_column\nA,30,x\n")


@pytest.mark.parametrize("fail_after", [1, 5, 30])
@pytest.mark.parametrize("workers", [1, 2])
def test_rows_read_before_a_failure_are_written(monkeypatch, fail_after, workers):
    monkeypatch.setattr(compact, "CHUNK_ROWS", 4)
    lines = ["ref,age,forms,excessive_working_hours,coerced_debt_bondage\n"]
    lines += [f"P-{i},{20 + i},labour,x,{'x' if i % 2 else ''}\n" for i in range(40)]
    taken = lines[: fail_after + 1]

    def failing():
        yield from taken
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    out, err = io.BytesIO(), io.BytesIO()
    with pytest.raises(UnicodeDecodeError):
        screen_lines_parallel(
            failing(), CATALOGUE, out, err, input_format="csv", compact=True, workers=workers
        )
    assert out.getvalue() == reference("".join(taken))[0]


def test_caches_stay_bounded_and_correct(monkeypatch):
    monkeypatch.setattr(compact, "CLASS_CACHE_SIZE", 2)
    monkeypatch.setattr(compact, "SPELLING_CACHE_SIZE", 3)
    monkeypatch.setattr(compact, "VOCABULARY_SIZE", 12)
    monkeypatch.setattr(compact, "CHUNK_ROWS", 9)
    text = plain_csv(people(300, seed=8))
    assert by_columns(text) == reference(text)


# ------------------------------------------------- worker processes, and the engine itself


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_files(), chunk=st.integers(1, 15))
def test_compact_on_worker_processes_is_the_reference_compact(text, chunk):
    # Several blocks in flight on two workers: the result lines keep the input order.
    with rows_per_block(chunk):
        assert by_columns(text, workers=2) == reference(text)


def engine_verdict(cells: dict[str, str]) -> dict | None:
    """The engine's own verdict on a row (its non-empty cells), projected to the compact
    fields; None when the engine rejects the row."""
    from palermo.screening.engine import ScreeningInputError, screen_mapping

    mapping = {k: v for k, v in cells.items() if v != "" and k != "ref"}
    try:
        result = orjson.loads(orjson.dumps(screen_mapping(mapping, CATALOGUE)))
    except ScreeningInputError:
        return None
    return compact_result(result)


def assert_engine_verdicts(text: str, header: list[str], rows: dict[int, dict[str, str]]) -> None:
    """Every result line of the column path is the engine's verdict on its row, and every
    rejected row is one the engine rejects."""
    out, err, (ok, rejected) = by_columns(text)
    seen = set()
    for line in out.splitlines():
        record = orjson.loads(line)
        seen.add(record["line"])
        assert record["result"] == engine_verdict(rows[record["line"]]), record["line"]
    for line in err.splitlines():
        number = orjson.loads(line)["line"]
        if number in rows and len(rows[number].get("ref", "")) <= MAX_REF_LENGTH:
            # (not a row of the wrong width, nor one whose ref the batch refuses)
            assert engine_verdict(rows[number]) is None, number
    assert ok == len(seen)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(person(), min_size=1, max_size=30), chunk=st.integers(1, 30))
def test_compact_is_the_engines_verdict_on_each_random_row(data, chunk):
    # Not the batch against the batch: each row's compact result against
    # engine.screen_mapping on that very row (assessment, status, positive dimensions
    # and rules met); a row the column path rejects is one the engine rejects.
    header = sorted({k for r in data for k in r} | set(FIELDS))
    lines = [",".join(header)]
    rows = {}
    for n, row in enumerate(data, start=2):
        lines.append(",".join(row.get(c, "") for c in header))
        rows[n] = {c: row.get(c, "") for c in header}
    with rows_per_block(chunk):
        assert_engine_verdicts("\n".join(lines) + "\n", header, rows)


# Held-back spellings: what a spreadsheet or another tool may write. Each means to the
# column path exactly what it means to the engine (present, absent or an error).
ODD_CELLS = [
    *["yes", "no", "1", "0", "true", "false", "x", "X", "TRUE", "False", "Yes ", " no"],
    *["YES", "True", "\u00a0x", "x\u00a0", "\uff58", "\u2713", "oui", "é", "1.0", "01"],
    *["Observed", " document ", "SELF_REPORTED", "self reported", "-", "n/a", "null"],
]
ODD_FLAGS = ["", "yes", "no", "1", "0", "true", "TRUE", "False", " Yes ", "x", "ja", "2", "é"]
ODD_AGES = ["", "7", "17", "18", " 18", "+18", "018", "-0", "١٧", "17.0", "1e1", "121", "abc"]
ODD_FORMS = ["labour", "Labour", " sexual ", "labour;sexual", "labour|domestic_servitude"]
ODD_FORMS += ["labour;;sexual", "LABOUR", "travail", ""]
ODD_REFS = ["P-1", "Zoë", "名前-7", "🙂", "a b", "", "a\\b", "tab\there", "r" * 100, "r" * 101]


@pytest.mark.parametrize("seed", range(6))
def test_odd_cells_give_the_engines_results(seed):
    import random

    rng = random.Random(seed)
    keys = [k for k in KEYS if rng.random() < 0.5]
    header = [*FIELDS, *keys]
    rng.shuffle(header)
    rows = {}
    lines = [",".join(header)]
    for n in range(2, 402):
        row = {c: "" for c in header}
        row["ref"] = rng.choice(ODD_REFS)
        row["age"] = rng.choice(ODD_AGES)
        row["forms"] = rng.choice(ODD_FORMS)
        for flag in ("age_uncertain_may_be_child", "self_identifies_as_victim"):
            row[flag] = rng.choice(ODD_FLAGS)
        for element, vocabulary in (
            ("act", PALERMO_ACTS),
            ("means", PALERMO_MEANS),
            ("purpose", PALERMO_PURPOSES),
        ):
            if rng.random() < 0.3:
                row[element] = rng.choice([*vocabulary, f" {vocabulary[0]} ", "Recruitment"])
        for key in rng.sample(keys, min(len(keys), rng.randint(0, 8))):
            row[key] = rng.choice(ODD_CELLS) if rng.random() < 0.5 else "x"
        rows[n] = row
        lines.append(",".join(row[c] for c in header))
    text = "\r\n".join(lines) + "\r\n"
    if seed % 2:
        text = "\ufeff" + text  # a byte-order mark before the header
    assert by_columns(text) == reference(text)
    assert_engine_verdicts(text, header, rows)


def test_a_boolean_spelling_means_the_same_in_every_cell():
    # The same spellings in an indicator cell and in the yes/no fields.
    header = ["ref", "age", "forms", "self_identifies_as_victim", "excessive_working_hours"]
    lines = [",".join(header)]
    for n, spelling in enumerate(["yes", "no", "1", "0", "true", "TRUE", "", "x", "maybe"]):
        lines.append(f"P{n},30,labour,{spelling},{spelling}")
    text = "\n".join(lines) + "\n"
    out, err, counts = by_columns(text)
    assert (out, err, counts) == reference(text)
    results = [orjson.loads(x) for x in out.splitlines()]
    self_identified = {
        r["ref"] for r in results if "self_identification" in r["result"]["rules_met"]
    }
    assert self_identified == {"P0", "P2", "P4", "P5", "P7"}
    assert counts == (8, 1)  # "maybe" is neither yes nor no: the row is rejected


# -------------------------------------------------------- the worker processes' own turns


def test_a_worker_writes_its_block_only_in_its_turn(tmp_path, monkeypatch):
    import threading
    from types import SimpleNamespace

    path = tmp_path / "out.jsonl"
    blocks = {0: (1, 0, b"zero\n", b""), 1: (2, 1, b"one\n", b"e1\n")}
    monkeypatch.setattr(batch_parallel, "_columns_chunk", lambda s, f, c, d: blocks[f])
    with path.open("wb") as out:
        turn = (out.fileno(), SimpleNamespace(value=0), threading.Lock())
        monkeypatch.setattr(batch_parallel, "_turn", turn)
        # Block 1 is done first: not its turn, so its lines go back to the parent.
        assert batch_parallel._compact_chunk_in_turn(1, 1, 0, b"") == (
            2,
            1,
            b"one\n",
            b"e1\n",
            False,
        )
        assert turn[1].value == 0
        # Block 0: its turn, written here; the errors always go back to the parent.
        assert batch_parallel._compact_chunk_in_turn(0, 0, 0, b"") == (1, 0, b"", b"", True)
        assert turn[1].value == 1
    assert path.read_bytes() == b"zero\n"


@pytest.fixture(scope="module")
def three_blocks(tmp_path_factory):
    """A CSV file of three blocks and what the batch by columns writes for it (results and
    errors): made once for both ways the CLI writes its output."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from screen_1m import write_csv

    path = tmp_path_factory.mktemp("forked") / "people.csv"
    write_csv(path, compact.CHUNK_ROWS * 2 + 1234)  # three blocks
    return path, by_columns(path.read_text(encoding="utf-8"))[:2]


@pytest.mark.parametrize("to_stdout", [False, True])
def test_cli_compact_on_forked_workers(tmp_path, to_stdout, three_blocks):
    # The CLI process has not run polars yet: its workers are forked and write the
    # result lines to the output themselves (a file, or standard output), in turn.
    import subprocess

    path, expected = three_blocks
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    command = [sys.executable, "-m", "palermo.screening.cli", str(path), "--compact", "-j", "2"]
    command += ["-e", str(err)] + ([] if to_stdout else ["-o", str(out)])
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
    assert done.returncode == 1, done.stderr  # some rows are invalid on purpose
    written = done.stdout if to_stdout else out.read_bytes()
    assert (written, err.read_bytes()) == expected


@pytest.mark.parametrize(
    "header",
    [
        ["ref"],
        ["age"],
        ["excessive_working_hours"],
        ["forms", "excessive_working_hours", "coerced_debt_bondage"],
        ["ref", "forms", "indicators"],  # a nested cell: the reference path words it
        ["age", "forms", "act", "means", "purpose"],
        ["self_identifies_as_victim", "ref"],
        ["age_uncertain_may_be_child", "forms", "ds_no_rest", "ds_no_wages", "low_or_no_salary"],
    ],
)
def test_any_subset_of_the_columns(header):
    import random

    rng = random.Random(len(header))
    vocabulary = {
        "ref": ODD_REFS,
        "age": ODD_AGES,
        "forms": ODD_FORMS,
        "indicators": ["", "excessive_working_hours", "x"],
        "act": ["", *PALERMO_ACTS],
        "means": ["", *PALERMO_MEANS],
        "purpose": ["", *PALERMO_PURPOSES],
        "self_identifies_as_victim": ODD_FLAGS,
        "age_uncertain_may_be_child": ODD_FLAGS,
    }
    rows = {}
    lines = [",".join(header)]
    for n in range(2, 202):
        row = {c: rng.choice(vocabulary.get(c, ["", "", "x", *ODD_CELLS])) for c in header}
        rows[n] = row
        lines.append(",".join(row.values()))
    text = "\n".join(lines) + "\n"
    assert by_columns(text) == reference(text)
    if "indicators" not in header:  # (the engine reads a nested cell its own way)
        assert_engine_verdicts(text, header, rows)


def test_a_catalogue_the_columns_cannot_follow_goes_to_the_reference_path():
    # Two criteria also met by the same key: their counts cannot be told apart by the
    # tables, so the screener refuses and the whole file takes the reference path.
    from dataclasses import replace

    from palermo.screening.catalogue import IndicatorCatalogue

    sets = list(CATALOGUE.sets)
    n, ds = next((n, s) for n, s in enumerate(sets) if s.kind == "criteria")
    first, second, *others = ds.criteria
    shared = replace(second, also_met_by=(*second.also_met_by, first.also_met_by[0]))
    sets[n] = replace(ds, criteria=(first, shared, *others))
    catalogue = IndicatorCatalogue(sets)
    header = ["ref", "age", "forms", first.also_met_by[0], "ds_no_wages"]
    with pytest.raises(compact.Unsupported):
        compact.CompactCsvScreener(catalogue, header)
    text = (
        ",".join(header)
        + "\n"
        + "".join(
            f"P{n},{20 + n},domestic_servitude,{'x' if n % 2 else ''},{'x' if n % 3 else ''}\n"
            for n in range(30)
        )
    )
    out, err = io.BytesIO(), io.BytesIO()
    screen_lines_parallel(
        io.StringIO(text), catalogue, out, err, input_format="csv", compact=True, workers=1
    )
    full, full_err = io.BytesIO(), io.BytesIO()
    screen_lines(io.StringIO(text), catalogue, full, full_err, input_format="csv")
    expected = [orjson.loads(x) for x in full.getvalue().splitlines()]
    for row in expected:
        row["result"] = compact_result(row["result"])
    assert [orjson.loads(x) for x in out.getvalue().splitlines()] == expected
    assert len(expected) == 30
