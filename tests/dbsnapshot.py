"""Build an expensive data set once per test session, then replay its rows into each test.

Building the 80-case demo through the case services takes seconds (every case opened,
decided, referred and audited, its personal fields encrypted); dozens of tests start from
it. ``Snapshots.apply(name, build)`` builds it for real the first time, inside that test's
transaction, and records exactly which rows the build added, changed or removed in every
table (as SQL literals, so every value comes back byte for byte: ciphertexts, audit hashes,
timestamps). Later tests get the same rows written back with a few multi-row INSERTs, inside
their own transaction, so each test still sees fresh demo data and its changes are rolled
back with it as before.

The replay is only used when the database is, row for row, in the state the recording
started from (a digest of every table's content is compared); otherwise, or when a table
has no primary key to change a row by, the data set is simply built again. After every
replay, the database is compared with the recorded result, so a replay can never silently
differ from a build.

Under pytest-xdist the workers of one run share their recordings (``Snapshots.shared``, a
folder of the run's temporary directory): the first worker that needs a data set builds it
while any other that needs it waits (a file lock), then replays it. Each data set is then built
once per run rather than once per worker. The digests leave out Django's own list of applied
migrations (each worker's database was migrated at its own moment).
"""

from __future__ import annotations

import fcntl
import hashlib
import pickle  # recordings pass between this run's own test processes only
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

Rows = dict[str, dict[str, str]]  # table → primary key literal → row literal "(…, …)"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class _Table:
    name: str
    columns: list[str]
    pk: str | None
    model: Any


def _tables() -> list[_Table]:
    by_table = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.managed and not opts.proxy and not opts.swapped:
            by_table.setdefault(opts.db_table, model)
    out = []
    with connection.cursor() as cur:
        for name in sorted(connection.introspection.table_names(cur)):
            columns = [c.name for c in connection.introspection.get_table_description(cur, name)]
            model = by_table.get(name)
            pk = model._meta.pk.column if model is not None else None
            out.append(_Table(name, columns, pk, model))
    return out


def _literal(column: str) -> str:
    """SQL that renders a column's value as a literal that inserts the identical value."""
    if connection.vendor == "sqlite":
        return f"quote({_q(column)})"
    return f"quote_nullable({_q(column)})"


def _dump(tables: list[_Table]) -> Rows:
    """Every row of every table, keyed by its primary key (or by itself without one)."""
    parts = []
    for i, t in enumerate(tables):
        row = " || ',' || ".join(_literal(c) for c in t.columns)
        key = _literal(t.pk) if t.pk else f"'(' || {row} || ')'"
        parts.append(f"SELECT {i}, {key}, '(' || {row} || ')' FROM {_q(t.name)}")  # noqa: S608 – names from the schema
    rows: Rows = {t.name: {} for t in tables}
    with connection.cursor() as cur:
        for start in range(0, len(parts), 200):  # SQLite allows 500 terms in one compound SELECT
            cur.execute(" UNION ALL ".join(parts[start : start + 200]))
            for i, key, literal in cur.fetchall():
                rows[tables[i].name][key] = literal
    return rows


# Django writes these again after every transactional test's flush, with new ids each time;
# no Palermo row points at them. They are left out of the digests (so a transactional test
# can replay too), and a build that changes them is never recorded.
_REWRITTEN_BY_FLUSH = frozenset({"django_content_type", "auth_permission"})


# Django's list of applied migrations, with the moment each was applied: written when the test
# database is made, touched by no build. Left out of the digests too, so that a recording made
# in one test process (one pytest-xdist worker, its own database) can be replayed in another.
_NOT_DATA = _REWRITTEN_BY_FLUSH | {"django_migrations"}


def _digest(rows: Rows) -> str:
    h = hashlib.sha256()
    for table in sorted(rows.keys() - _NOT_DATA):
        h.update(table.encode() + b"\0")
        for key in sorted(rows[table]):
            h.update(rows[table][key].encode() + b"\0")
    return h.hexdigest()


@dataclass
class _Recording:
    before: str  # digest of the database the build started from
    after: str  # digest of the database the build left
    removed: dict[str, list[str]] = field(default_factory=dict)  # table → primary keys
    added: dict[str, list[str]] = field(default_factory=dict)  # table → row literals
    files: dict[str, bytes] = field(default_factory=dict)  # path under ``files`` → content


class Snapshots:
    """Named data sets, each recorded once and replayed into later tests."""

    def __init__(self) -> None:
        self._tables: list[_Table] | None = None
        self._recordings: dict[tuple[str, str], _Recording] = {}  # by (name, digest before)
        self.built: dict[str, int] = {}
        self.replayed: dict[str, int] = {}
        # A folder shared by the other test processes of this run (pytest-xdist workers): a
        # recording made in one is written there and replayed by the others (``_shared``).
        self.shared: Path | None = None

    def apply(self, name: str, build: Callable[[], Any], *, files: Path | None = None) -> None:
        """Build the data set ``name`` or replay its recording.

        ``files``: a folder the build also writes to (an investigation's workspace files):
        what the build created or changed there is recorded by its path inside the folder
        and written back, into the folder given at that time, on every replay.
        """
        with connection.cursor() as cur:
            names = sorted(connection.introspection.table_names(cur))
        if self._tables is None or [t.name for t in self._tables] != names:
            self._tables = _tables()  # first use, or a test migrated the schema since
        tables = self._tables
        before_rows = _dump(tables)
        before = _digest(before_rows)
        key = (name, before)
        if key not in self._recordings:
            with self._shared(key) as shared:
                if shared is not None and shared.exists():
                    self._recordings[key] = pickle.loads(shared.read_bytes())  # noqa: S301 – written by this run's own workers
                else:
                    recording = self._build(tables, before_rows, before, name, build, files)
                    if recording is not None:
                        self._recordings[key] = recording
                        if shared is not None:
                            partial = shared.with_suffix(".partial")
                            partial.write_bytes(pickle.dumps(recording))
                            partial.rename(shared)
                    return
        recording = self._recordings[key]
        self._replay(tables, recording)
        for relative, content in recording.files.items():
            assert files is not None
            target = files / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if _digest(_dump(tables)) != recording.after:
            raise AssertionError(f"replaying the {name!r} data set gave another database")
        self.replayed[name] = self.replayed.get(name, 0) + 1

    @contextmanager
    def _shared(self, key: tuple[str, str]) -> Iterator[Path | None]:
        """The shared file of the recording ``key``, locked while the caller reads or builds it
        (another process that wants the same recording waits, then replays it); None when this
        process shares with no other."""
        if self.shared is None:
            yield None
            return
        stem = hashlib.sha256("\0".join(key).encode()).hexdigest()[:32]
        with (self.shared / f"{stem}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield self.shared / f"{stem}.recording"

    def _build(
        self,
        tables: list[_Table],
        before_rows: Rows,
        before: str,
        name: str,
        build: Callable[[], Any],
        files: Path | None,
    ) -> _Recording | None:
        """Build the data set and record what it changed (None: it cannot be replayed)."""
        files_before = _file_states(files)
        build()
        self.built[name] = self.built.get(name, 0) + 1
        after_rows = _dump(tables)
        recording = _Recording(before=before, after=_digest(after_rows))
        if files is not None:
            for relative, state in _file_states(files).items():
                if files_before.get(relative) != state:
                    recording.files[relative] = (files / relative).read_bytes()
        for t in tables:
            old, new = before_rows[t.name], after_rows[t.name]
            if t.name in _REWRITTEN_BY_FLUSH and old != new:
                return None  # the build changed Django's own bookkeeping: always build
            gone = [k for k, v in old.items() if new.get(k) != v]
            if gone and not t.pk:
                return None  # a row changed in a table without a primary key: always build
            if gone:
                recording.removed[t.name] = gone
            added = [v for k, v in new.items() if old.get(k) != v]
            if added:
                recording.added[t.name] = added
        return recording

    def _replay(self, tables: list[_Table], recording: _Recording) -> None:
        by_name = {t.name: t for t in tables}
        touched = []
        # One transaction: foreign keys are checked at its end (deferred), so rows may come in
        # table order even where they point at each other. Without it a transactional test
        # (autocommit) checks each INSERT on its own and fails on a row whose target follows.
        with transaction.atomic(), connection.cursor() as cur:
            for name, keys in recording.removed.items():
                t = by_name[name]
                for start in range(0, len(keys), 500):
                    chunk = ", ".join(keys[start : start + 500])
                    cur.execute(f"DELETE FROM {_q(name)} WHERE {_q(t.pk)} IN ({chunk})")  # noqa: S608 – literals the database itself quoted
            for name, literals in recording.added.items():
                t = by_name[name]
                columns = ", ".join(_q(c) for c in t.columns)
                for start in range(0, len(literals), 200):
                    values = ", ".join(literals[start : start + 200])
                    cur.execute(f"INSERT INTO {_q(name)} ({columns}) VALUES {values}")  # noqa: S608 – literals the database itself quoted
                if t.model is not None:
                    touched.append(t.model)
            # PostgreSQL: rows came with their ids, so move each sequence past them.
            for sql in connection.ops.sequence_reset_sql(no_style(), touched):
                cur.execute(sql)


def _file_states(folder: Path | None) -> dict[str, tuple[int, int]]:
    """Each file under ``folder`` by its relative path: (size, modification time in ns)."""
    if folder is None or not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (st.st_size, st.st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and (st := p.stat())
    }


SNAPSHOTS = Snapshots()  # one per test process (each xdist worker has its own database)
