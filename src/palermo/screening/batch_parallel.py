"""Batch screening on every core, and the compact result (issue 13, item 3).

The parent process reads the input and cuts it into chunks of ``CHUNK_ROWS`` rows —
CSV as raw lines (cut between lines while no double quote is met, else where the C
``csv`` reader ends a record, so a quoted cell may span lines), JSON Lines as lines with
their numbers — and hands them to worker processes, each with its own
:class:`~palermo.screening.fastpath.FastScreener`. Results are written in input order,
so the output is byte for byte what the single-process path writes: forked workers
writing to a file descriptor write their chunk's result lines themselves, each in its
turn (no results through pipes); otherwise results come back per chunk and the parent
writes them. At most ``2 × workers`` chunks are in flight: memory stays flat whatever
the file size.

The compact result (``--compact``) keeps, per person, what a bulk user sorts on: the
assessment, the status, the positive dimensions of each indicator set and the rules
met. :func:`compact_result` derives it from the full result, so it says nothing the
full result does not; the full explanation is one run without ``--compact`` away.
On CSV and JSON Lines it is computed by columns (:mod:`palermo.screening.compact`), a
block of lines per worker, the rows that need the reference path screened one by one in
the worker.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import compress
from typing import IO, Any, cast

import orjson

from palermo.screening.batch import (
    MAX_REF_LENGTH,
    RELEASE_EVERY_BYTES,
    BatchInputError,
    BatchSummary,
    InputFormat,
    Progress,
    RowProblem,
    _fewer_gc_passes,
    _ref,
    csv_header,
    detect_format,
    iter_jsonl_records,
    iter_numbered_jsonl_records,
    peek_lines,
    screen_records,
)
from palermo.screening.catalogue import IndicatorCatalogue
from palermo.screening.engine import ScreeningInputError
from palermo.screening.fastpath import FastScreener

CHUNK_ROWS = 2000


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


# --- the compact result ----------------------------------------------------------------


def compact_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """The compact form of a full screening result (the reference definition)."""
    positive: dict[str, list[str]] = {}
    for s in result["sets"]:
        keys = [d["key"] for d in s["dimensions"] if d["positive"]]
        if keys:
            positive[s["set_id"]] = keys
    return {
        "assessment": result["assessment"],
        "status": result["status"],
        "positive_dimensions": positive,
        "rules_met": result["rules_met"],
    }


def compact_json(full: bytes) -> bytes:
    """The compact result as JSON, from the full result's JSON."""
    return orjson.dumps(compact_result(orjson.loads(full)))


# --- one chunk, in a worker (or in this process) ------------------------------------------

_screener: FastScreener | None = None
# The full path's workers write their own result lines: (file descriptor, number of the
# next chunk to write, a condition to wait for it, whether the output is a regular file).
_full_turn: Any = None
_released = 0  # bytes this worker wrote since it last handed pages back to the kernel


def _init_worker(catalogue: IndicatorCatalogue, turn: Any = None) -> None:
    global _screener, _full_turn
    _screener = FastScreener(catalogue)
    _full_turn = turn


_ABORTED = -1  # the turn's value once a worker failed: nobody waits for a turn any more


def _take(lines: Iterator[str], count: int) -> tuple[list[str], BaseException | None]:
    """Up to ``count`` lines, and the failure that stopped the reading early, if one did (a
    byte that is not UTF-8): the lines read before it are still screened, then it is raised."""
    taken: list[str] = []
    try:
        taken.extend(itertools.islice(lines, count))
    except Exception as exc:
        return taken, exc
    return taken, None


def _screen_chunk_in_turn(
    number: int, chunk: tuple[str, Any], compact: bool
) -> tuple[int, int, bytes, bytes]:
    """Screen chunk ``number`` and write its result lines to the output file here, once
    every chunk before it is written: results never cross a pipe to the parent (3.6 GB
    for a million full results). Chunks are handed out in input order and take about as
    long as each other, so a worker seldom waits; the error lines (few) and the counts
    go back to the parent, which writes them in input order."""
    global _released
    fd, next_chunk, turn, regular = _full_turn
    try:
        ok, rejected, body, errors = screen_chunk(chunk, compact)
    except BaseException:
        with turn:
            next_chunk.value = _ABORTED
            turn.notify_all()
        raise
    with turn:
        while next_chunk.value != number:
            if next_chunk.value == _ABORTED:
                raise RuntimeError("another worker failed")
            turn.wait()
        try:
            _write_all(fd, body)
        except BaseException:
            next_chunk.value = _ABORTED
            turn.notify_all()
            raise
        next_chunk.value = number + 1
        turn.notify_all()
    if regular:
        _released += len(body)
        if _released >= RELEASE_EVERY_BYTES:  # as batch._PageCacheRelease does
            _released = 0
            with contextlib.suppress(OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return ok, rejected, b"", errors


def _records_of(chunk: tuple[str, Any]) -> Iterator[tuple[int, Any]]:
    kind, payload = chunk
    if kind == "jsonl":
        yield from iter_jsonl_records_numbered(payload)
        return
    header, first_line, text = payload
    width = len(header)
    reader = csv.reader(text)
    last_line = 0
    while True:
        start = first_line + last_line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last_line = reader.line_num
            yield start, RowProblem("", f"unreadable CSV row: {exc}")
            continue
        last_line = reader.line_num
        if not row:
            continue  # blank line
        if len(row) != width:
            yield start, RowProblem("", f"row has {len(row)} cells but the header has {width}")
            continue
        yield start, dict(zip(compress(header, row), compress(row, row), strict=True))


def iter_jsonl_records_numbered(lines: list[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    """``iter_jsonl_records`` over lines that carry their own numbers."""
    return iter_numbered_jsonl_records(lines)


def screen_chunk(chunk: tuple[str, Any], compact: bool) -> tuple[int, int, bytes, bytes]:
    """Screen one chunk; returns (rows ok, rows rejected, result lines, error lines).

    The lines are exactly those ``batch.screen_records`` writes for the same rows.
    """
    screener = _screener
    assert screener is not None
    result_json = screener.result_json
    parts = _screen_record_parts
    out: list[bytes] = []
    append = out.append
    err: list[bytes] = []
    for line, record in _records_of(chunk):
        head, result = parts(line, record, result_json, compact)
        if result is not None:
            # The line in three pieces, joined once per chunk: a full result (~3.6 KB)
            # is copied once less than by formatting each line.
            append(head)
            append(result)
            append(b"}\n")
        else:
            err.append(head)
    return len(out) // 3, len(err), b"".join(out), b"".join(err)


def _screen_record(
    line: int, record: Any, result_json: Any, compact: bool
) -> tuple[bytes | None, bytes | None]:
    """One record's result line, or its error line (exactly as ``batch.screen_records``)."""
    head, result = _screen_record_parts(line, record, result_json, compact)
    if result is None:
        return None, head
    return head + result + b"}\n", None


def _screen_record_parts(
    line: int, record: Any, result_json: Any, compact: bool
) -> tuple[bytes, bytes | None]:
    """A result line as (its opening up to ``"result":``, the result), or (the error
    line, None)."""
    dumps = orjson.dumps
    ref: str | None = None
    if isinstance(record, RowProblem):
        problems = [{"field": record.field, "message": record.message}]
    else:
        ref = record.get("ref")
        bad_ref = None
        if ref.__class__ is not str or not 0 < len(ref) <= MAX_REF_LENGTH:
            ref, bad_ref = _ref(record)
        try:
            result = result_json(record)
        except ScreeningInputError as exc:
            problems = exc.to_list()
        else:
            if bad_ref is None:
                if compact:
                    result = compact_json(result)
                return b'{"line":%d,"ref":%b,"result":' % (line, dumps(ref)), result
            problems = []
        if bad_ref is not None:
            problems.insert(0, {"field": bad_ref.field, "message": bad_ref.message})
    return dumps({"line": line, "ref": ref, "errors": problems}) + b"\n", None


def screen_csv_line(header: list[str], number: int, text: str) -> tuple[bytes | None, bytes | None]:
    """One physical CSV line (a whole record) through the reference path."""
    screener = _screener
    assert screener is not None
    ((line, record),) = _records_of(("csv", (header, number, [text])))
    return _screen_record(line, record, screener.result_json, True)


# --- cutting the input into chunks -------------------------------------------------------


class _Tee:
    """Lines for the csv reader, kept until the chunk they belong to is cut."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = iter(lines)
        self.kept: list[str] = []

    def __iter__(self) -> _Tee:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.kept.append(line)
        return line


def _csv_chunks(lines: Iterable[str], catalogue: IndicatorCatalogue) -> Iterator[tuple[str, Any]]:
    """Chunks of raw CSV text, cut between records; each chunk carries the header and the
    physical number of its first line. Text pickles far cheaper than parsed rows of
    mostly empty cells, and the worker parses it at C speed.

    Without a double quote every line is one record (or a blank line), so chunks are
    cut every ``CHUNK_ROWS`` lines without parsing them here. From the first chunk with
    a double quote (a quoted cell may span lines) or a NUL, the parent's csv reader finds
    where each record ends, so a quoted cell over several lines stays whole."""
    tee = _Tee(lines)
    reader = csv.reader(tee)
    header = csv_header(reader, catalogue)
    if header is None:
        return
    rest = tee.lines
    before = reader.line_num  # physical lines read so far
    while True:
        taken, failure = _take(rest, CHUNK_ROWS)
        if not taken:
            if failure is not None:
                raise failure
            return
        text = "".join(taken)
        if '"' in text or "\x00" in text:
            yield from _csv_body_chunks(_lines_then(taken, failure, rest), header, before)
            return
        yield "csv", (header, before + 1, taken)
        before += len(taken)
        if failure is not None:
            raise failure


def _csv_body_chunks(
    lines: Iterable[str], header: list[str], base: int
) -> Iterator[tuple[str, Any]]:
    """The records after the header as chunks; ``base`` physical lines came before."""
    tee = _Tee(lines)
    reader = csv.reader(tee)
    first_line = base + 1
    rows = 0
    failure: BaseException | None = None
    while True:
        try:
            next(reader)
        except StopIteration:
            break
        except csv.Error:
            pass  # the worker's reader meets the same error on the same text
        except Exception as exc:
            failure = exc
            # Only whole records: the single-process reader never yields a record cut short.
            del tee.kept[base + reader.line_num - first_line + 1 :]
            break
        rows += 1
        if rows >= CHUNK_ROWS:
            yield "csv", (header, first_line, tee.kept)
            first_line = base + reader.line_num + 1
            tee.kept = []
            rows = 0
    if tee.kept:
        yield "csv", (header, first_line, tee.kept)
    if failure is not None:
        raise failure


def _jsonl_chunks(lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    chunk: list[tuple[int, str]] = []
    numbered = enumerate(lines, start=1)
    failure: BaseException | None = None
    while True:
        try:
            number, line = next(numbered)
        except StopIteration:
            break
        except Exception as exc:
            failure = exc
            break
        if line.strip():
            chunk.append((number, line))
            if len(chunk) >= CHUNK_ROWS:
                yield "jsonl", chunk
                chunk = []
    if chunk:
        yield "jsonl", chunk
    if failure is not None:
        raise failure


def screen_lines_parallel(
    lines: Iterable[str],
    catalogue: IndicatorCatalogue,
    output: IO[bytes],
    errors: IO[bytes],
    *,
    input_format: InputFormat | str = "auto",
    name: str | None = None,
    progress: Progress | None = None,
    workers: int = 0,
    compact: bool = False,
    columns: bool = True,
) -> BatchSummary:
    """Screen a CSV or JSON Lines stream with ``workers`` processes (0: one per core).

    Writes the same lines, in the same order, as :func:`palermo.screening.batch.screen_lines`
    (with ``compact``, each ``result`` is :func:`compact_result` of the full one). A file of
    one chunk or less is screened in this process: starting workers would cost more.
    """
    workers = workers or default_workers()
    first, lines = peek_lines(lines)
    fmt = detect_format(name, first) if input_format == "auto" else input_format
    if workers == 1 and not compact:
        from palermo.screening.batch import iter_csv_records

        records = iter_csv_records(lines, catalogue) if fmt == "csv" else iter_jsonl_records(lines)
        return screen_records(records, catalogue, output, errors, progress)
    summary = BatchSummary()
    with _fewer_gc_passes():
        if fmt == "csv" and compact and columns:
            _screen_csv_by_columns(lines, catalogue, output, errors, summary, progress, workers)
        elif compact and columns:
            _screen_jsonl_by_columns(lines, catalogue, output, errors, summary, progress, workers)
        else:
            chunks = _csv_chunks(lines, catalogue) if fmt == "csv" else _jsonl_chunks(lines)
            _screen_chunks(chunks, catalogue, output, errors, summary, progress, workers, compact)
    return summary


def _screen_chunks(
    chunks: Iterator[tuple[str, Any]],
    catalogue: IndicatorCatalogue,
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
    workers: int,
    compact: bool,
) -> None:
    """Screen chunks in this process (one chunk, or one worker) or in a pool."""
    first_chunk = next(chunks, None)
    if first_chunk is None:
        return
    try:
        second_chunk = next(chunks, None)
    except Exception:
        _init_worker(catalogue)  # reading failed: what was read is screened first
        _write(screen_chunk(first_chunk, compact), output, errors, summary, progress)
        raise
    if second_chunk is None or workers == 1:
        _init_worker(catalogue)
        rest = _chain(first_chunk, second_chunk, chunks) if second_chunk else [first_chunk]
        for chunk in rest:  # one chunk at a time: memory stays flat
            _write(screen_chunk(chunk, compact), output, errors, summary, progress)
        return
    _run_pool(
        (first_chunk, second_chunk, chunks),
        catalogue,
        output,
        errors,
        summary,
        progress,
        workers,
        compact,
    )


# --- the compact result of a CSV file, by columns -------------------------------------------

_compact: Any = None  # this process's compact.CompactCsvScreener


def _lines_then(
    taken: list[str], failure: BaseException | None, rest: Iterator[str]
) -> Iterator[str]:
    yield from taken
    if failure is not None:
        raise failure
    yield from rest


def _compact_blocks(
    rest: Iterator[str], before: int, chunk_rows: int, screener: Any
) -> Iterator[tuple[Any, ...]]:
    """The lines after the header as ("columns", first line number, lines, UTF-8 text)
    blocks of single-line records, then, from the first block with a double quote (a
    quoted cell may span lines and blocks), a lone carriage return or a NUL, one
    ("reference", lines before, iterator of the remaining lines). A reading failure is
    raised after the lines read before it."""
    while True:
        taken, failure = _take(rest, chunk_rows)
        if not taken:
            if failure is not None:
                raise failure
            return
        data = "".join(taken).encode()
        if b'"' in data or b"\x00" in data or screener.lone_carriage_return(data):
            yield "reference", before, _lines_then(taken, failure, rest)
            return
        yield "columns", before + 1, len(taken), data
        before += len(taken)
        if failure is not None:
            raise failure


def _init_compact_worker(
    catalogue: IndicatorCatalogue, header: list[str], threads: int, turn: Any = None
) -> None:
    """A worker of the compact path: polars on ``threads`` threads (the workers share the
    cores), the screener inherited from the parent (fork) or built here; ``turn``: see
    :func:`_compact_chunk_in_turn`."""
    global _compact, _turn
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    _init_worker(catalogue)
    _turn = turn
    if _compact is None or _compact.header != header:
        from palermo.screening.compact import CompactCsvScreener

        _compact = CompactCsvScreener(catalogue, header)


def _compact_chunk(
    first: int, count: int, data: bytes | list[str]
) -> tuple[int, int, bytes, bytes]:
    if isinstance(data, list):  # JSON Lines
        return _jsonl_columns_chunk(_compact, first, data)
    return _columns_chunk(_compact, first, count, data)


_turn: Any = None  # (file descriptor, number of the next block to write, a lock)


def _compact_chunk_in_turn(
    number: int, first: int, count: int, data: bytes | list[str]
) -> tuple[int, int, bytes, bytes, bool]:
    """Screen block ``number``. If every block before it is written, write its result
    lines to the output file here (they need not cross a pipe to the parent); else hand
    them back, and the parent writes them in their turn: a worker never waits for
    another. The last item says whether the lines are written."""
    fd, next_block, lock = _turn
    ok, rejected, body, errors = _compact_chunk(first, count, data)
    with lock:
        if next_block.value == number:
            _write_all(fd, body)
            next_block.value = number + 1
            return ok, rejected, b"", errors, True
    return ok, rejected, body, errors, False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _screen_csv_by_columns(
    lines: Iterable[str],
    catalogue: IndicatorCatalogue,
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
    workers: int,
) -> None:
    """``--compact`` on CSV: blocks of single-line records go through
    :class:`palermo.screening.compact.CompactCsvScreener` — in this process for a single
    block or one worker, else on ``workers`` processes, each with one block at a time
    (results written in input order). From the first block with a double quote (a quoted
    cell may span lines and blocks), a lone carriage return or a NUL, the rest of the file
    goes through the reference chunks, on ``workers`` processes."""
    global _compact
    from palermo.screening import compact as by_columns

    tee = _Tee(lines)
    reader = csv.reader(tee)
    header = csv_header(reader, catalogue)
    if header is None:
        return
    rest = tee.lines
    before = reader.line_num  # physical lines read so far
    try:
        _compact = by_columns.CompactCsvScreener(catalogue, header)
    except by_columns.Unsupported:
        chunks = _csv_body_chunks(rest, header, before)
        _screen_chunks(chunks, catalogue, output, errors, summary, progress, workers, True)
        return
    blocks = _compact_blocks(rest, before, by_columns.CHUNK_ROWS, _compact)
    first = next(blocks, None)
    if first is None:
        return
    second: tuple[Any, ...] | None = None
    if first[0] == "columns":
        try:
            second = next(blocks, None)
        except Exception:
            _init_worker(catalogue)
            _write(_compact_chunk(*first[1:]), output, errors, summary, progress)
            raise
    handed_over: tuple[Any, ...] | None = None
    if second is None or workers == 1:
        _init_worker(catalogue)
        for block in _chain(first, second, blocks) if second else [first]:
            if block[0] == "reference":
                handed_over = block
                break
            _write(_compact_chunk(*block[1:]), output, errors, summary, progress)
    else:
        handed_over = _compact_pool(
            _chain(first, second, blocks),
            catalogue,
            header,
            output,
            errors,
            summary,
            progress,
            workers,
        )
    if handed_over is not None:
        _kind, lines_before, remaining = handed_over
        chunks = _csv_body_chunks(remaining, header, lines_before)
        _screen_chunks(chunks, catalogue, output, errors, summary, progress, workers, True)


def _jsonl_blocks(lines: Iterator[str], chunk_rows: int) -> Iterator[tuple[Any, ...]]:
    """JSON Lines as ("jsonl", number of the first line, lines, the lines) blocks. A
    reading failure is raised after the lines read before it."""
    before = 0
    while True:
        taken, failure = _take(lines, chunk_rows)
        if taken:
            yield "jsonl", before + 1, len(taken), taken
            before += len(taken)
        if failure is not None:
            raise failure
        if not taken:
            return


_jsonl: Any = None  # this process's compact.JsonlAsCsv


def _jsonl_columns_chunk(
    screener: Any, first: int, lines: list[str]
) -> tuple[int, int, bytes, bytes]:
    """A block of JSON lines (line ``first`` onwards) by columns: each object becomes the
    CSV line that means the same (``compact.JsonlAsCsv``); a row the column path sends
    to the reference path is screened there from its original object."""
    global _jsonl
    if _jsonl is None or _jsonl.header != screener.header:
        from palermo.screening.compact import JsonlAsCsv

        _jsonl = JsonlAsCsv(screener.catalogue)
    numbers = [first + n for n, line in enumerate(lines) if line.strip()]
    kept = [lines[n - first] for n in numbers]
    if not kept:
        return 0, 0, b"", b""
    frame = _frame(screener, _jsonl.csv_text(kept), len(kept))
    if frame is None:  # (never expected) the reference path, line by line
        return screen_chunk(("jsonl", list(zip(numbers, kept, strict=True))), True)
    result_json = cast("FastScreener", _screener).result_json

    def reference(i: int) -> tuple[bytes | None, bytes | None]:
        ((line, record),) = iter_jsonl_records_numbered([(numbers[i], kept[i])])
        return _screen_record(line, record, result_json, True)

    ok, body, errs = screener.screen(frame, numbers, reference)
    return ok, len(errs), body, b"".join(e for _, e in errs)


def _screen_jsonl_by_columns(
    lines: Iterable[str],
    catalogue: IndicatorCatalogue,
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
    workers: int,
) -> None:
    """``--compact`` on JSON Lines: blocks of lines become CSV lines that mean the same
    and go through :class:`palermo.screening.compact.CompactCsvScreener` — in this process
    for a single block or one worker, else on ``workers`` processes (results written in
    input order)."""
    global _compact
    from palermo.screening import compact as by_columns

    header = by_columns.JsonlAsCsv(catalogue).header
    try:
        _compact = by_columns.CompactCsvScreener(catalogue, header)
    except by_columns.Unsupported:
        chunks = _jsonl_chunks(lines)
        _screen_chunks(chunks, catalogue, output, errors, summary, progress, workers, True)
        return
    # Half the lines of a CSV block: a JSON line is longer, and a block is held as its
    # lines and as their CSV lines (measured on 200,000 lines: largest worker 148 MB
    # instead of 181-185 MB, parent 105 instead of 120-130, same speed).
    blocks = _jsonl_blocks(iter(lines), max(1, by_columns.CHUNK_ROWS // 2))
    first = next(blocks, None)
    if first is None:
        return
    try:
        second = next(blocks, None)
    except Exception:
        _init_worker(catalogue)
        _write(_compact_chunk(*first[1:]), output, errors, summary, progress)
        raise
    if second is None or workers == 1:
        _init_worker(catalogue)
        for block in _chain(first, second, blocks) if second else [first]:
            _write(_compact_chunk(*block[1:]), output, errors, summary, progress)
        return
    _compact_pool(
        _chain(first, second, blocks),
        catalogue,
        header,
        output,
        errors,
        summary,
        progress,
        workers,
    )


def _compact_pool(
    blocks: Iterator[tuple[Any, ...]],
    catalogue: IndicatorCatalogue,
    header: list[str],
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
    workers: int,
) -> tuple[Any, ...] | None:
    """Column blocks on ``workers`` processes; returns the reference hand-over, if any,
    once every block before it is written (and the pool is gone)."""
    import multiprocessing

    # Fork only while polars has not started its thread pools here: they would not
    # survive the fork, and the child would wait for them forever. Otherwise a fork
    # server starts clean, imports the screening modules once and forks the workers.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and not _polars_threads_started():
        context: Any = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["palermo.screening.batch_parallel", "palermo.screening.compact"]
        )
    else:
        context = multiprocessing.get_context("spawn")
    threads = max(1, default_workers() // workers)
    # Forked workers write their result lines to the output file themselves, in turn.
    turn = None
    if context.get_start_method() == "fork":
        try:
            fd = output.fileno()
        except (AttributeError, OSError):  # not a file (io.BytesIO): through this process
            pass
        else:
            output.flush()
            turn = (fd, context.RawValue("q", 0), context.Lock())

    def written(number: int, done: Any) -> tuple[int, int, bytes, bytes]:
        if turn is None:
            return cast("tuple[int, int, bytes, bytes]", done)
        ok, rejected, body, errs, in_turn = done
        if not in_turn:
            # Every block before this one has come back, so each is written: its turn.
            fd, next_block, lock = turn
            with lock:
                _write_all(fd, body)
                next_block.value = number + 1
        return ok, rejected, b"", errs

    in_flight: deque[tuple[int, Future[Any]]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_compact_worker,
        initargs=(catalogue, header, threads, turn),
    ) as pool:
        try:
            for number, block in enumerate(blocks):
                if block[0] == "reference":
                    return block
                task = _compact_chunk if turn is None else _compact_chunk_in_turn
                arguments = block[1:] if turn is None else (number, *block[1:])
                in_flight.append((number, pool.submit(task, *arguments)))
                if len(in_flight) >= 2 * workers:
                    number, future = in_flight.popleft()
                    _write(written(number, future.result()), output, errors, summary, progress)
        finally:
            # Also when reading fails half-way: every row read before is written.
            while in_flight:
                number, future = in_flight.popleft()
                _write(written(number, future.result()), output, errors, summary, progress)
    return None


def _polars_threads_started() -> bool:
    """Whether polars runs its compute threads in this process (as far as Linux tells by
    their names: "polars-0", ...; unknown elsewhere, so assumed). Importing polars starts
    only a memory allocator's and a clean-up thread, which survive a fork."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return True
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="utf-8") as comm:
                name = comm.read().strip()
        except OSError:
            continue  # the thread has ended
        if re.fullmatch(r"polars-\d+|tokio-rt-worker|async-executor.*", name):
            return True
    return False


def _split_lines(text: str) -> list[str]:
    """The lines of a block, each with its newline (the last one perhaps without)."""
    parts = text.split("\n")
    last = parts.pop()
    lines = [p + "\n" for p in parts]
    if last:
        lines.append(last)
    return lines


def _columns_chunk(
    screener: Any, first: int, count: int, data: bytes
) -> tuple[int, int, bytes, bytes]:
    """One block of ``count`` single-line records (line ``first`` onwards, UTF-8) by
    columns. A block with blank lines or rows of the wrong width goes line by line."""
    header = screener.header
    ends = screener.line_ends(data)
    if screener.blank_line(data, ends) or screener.commas(data) != count * (len(header) - 1):
        return _columns_chunk_by_lines(screener, first, data)
    frame = _frame(screener, data, count)
    if frame is None:
        return _columns_chunk_by_lines(screener, first, data)
    line = screener.line_reader(data, ends)
    ok, body, errs = screener.screen(
        frame,
        range(first, first + count),
        lambda i: screen_csv_line(header, first + i, line(i)),
    )
    return ok, len(errs), body, b"".join(e for _, e in errs)


def _columns_chunk_by_lines(
    screener: Any, first: int, data: bytes
) -> tuple[int, int, bytes, bytes]:
    """A block with blank lines (they keep their numbers) or rows with the wrong number
    of cells (row problems, which the reference path words): the other rows by columns."""
    header = screener.header
    every = _split_lines(data.decode())
    keep = [n for n, line in enumerate(every) if line not in ("\n", "\r\n")]
    lines = [every[n] for n in keep]
    numbers = [first + n for n in keep]
    rows = []
    wrong_width: list[tuple[int, bytes]] = []
    for n, line in enumerate(lines):
        if line.count(",") == len(header) - 1:
            rows.append(n)
        else:
            result, error = screen_csv_line(header, numbers[n], line)
            assert result is None and error is not None  # a row problem, always
            wrong_width.append((numbers[n], error))
    ok, body, errs = 0, b"", []
    if rows:
        frame = _frame(screener, "".join(lines[n] for n in rows).encode(), len(rows))
        if frame is None:  # polars disagrees with the csv module: the reference path
            return screen_chunk(("csv", (header, first, every)), True)
        read = [numbers[n] for n in rows]
        ok, body, errs = screener.screen(
            frame, read, lambda i: screen_csv_line(header, read[i], lines[rows[i]])
        )
    if wrong_width:
        errs = sorted([*wrong_width, *errs], key=lambda e: e[0])
    return ok, len(errs), body, b"".join(e for _, e in errs)


def _frame(screener: Any, data: bytes, rows: int) -> Any:
    """The block's cells as columns, or None if polars does not read it as the csv
    module would (a row with too many cells, or another row count)."""
    try:
        frame = screener.frame(data)
    except Exception:  # polars has no common public base for its errors
        return None
    return frame if frame.height == rows else None


def _write(
    done: tuple[int, int, bytes, bytes],
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
) -> None:
    ok, rejected, out, err = done
    if out:
        output.write(out)
    if err:
        errors.write(err)
    summary.rows_ok += ok
    summary.rows_rejected += rejected
    if progress is not None:
        progress(summary)


def _run_pool(
    parts: tuple[Any, Any, Iterator[Any]],
    catalogue: IndicatorCatalogue,
    output: IO[bytes],
    errors: IO[bytes],
    summary: BatchSummary,
    progress: Progress | None,
    workers: int,
    compact: bool,
) -> None:
    import multiprocessing

    first, second, rest = parts
    # fork where there is one: the catalogue is inherited, not pickled per worker.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # Forked workers write their result lines to the output themselves, in turn.
    turn = None
    if context.get_start_method() == "fork":
        try:
            fd = output.fileno()
            regular = stat.S_ISREG(os.fstat(fd).st_mode) and hasattr(os, "posix_fadvise")
        except (AttributeError, OSError, ValueError):  # not a file (io.BytesIO)
            pass
        else:
            output.flush()
            turn = (fd, context.RawValue("q", 0), context.Condition(), regular)
    in_flight: deque[Future[tuple[int, int, bytes, bytes]]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(catalogue, turn),
    ) as pool:
        try:
            for number, chunk in enumerate(_chain(first, second, rest)):
                if turn is None:
                    in_flight.append(pool.submit(screen_chunk, chunk, compact))
                else:
                    in_flight.append(pool.submit(_screen_chunk_in_turn, number, chunk, compact))
                if len(in_flight) >= 2 * workers:
                    _write(in_flight.popleft().result(), output, errors, summary, progress)
        finally:
            # Also when reading fails half-way (a byte that is not UTF-8): every row read
            # before is screened and written, as the single-process path does.
            while in_flight:
                _write(in_flight.popleft().result(), output, errors, summary, progress)


def _chain(first: Any, second: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield second
    yield from rest


__all__ = [
    "BatchInputError",
    "compact_json",
    "compact_result",
    "default_workers",
    "screen_chunk",
    "screen_lines_parallel",
]
