"""The compact result of a CSV batch, computed by columns (issue 13).

``palermo screen --compact`` on CSV does not walk the rows in Python. A chunk of lines is
parsed by polars, the indicator columns as an ``Enum`` of the cell spellings met so far
(one byte per cell); the presence of each indicator becomes one bit of a row, and every
fact the compact result follows from is computed on whole columns (numpy), with Python
working per *distinct* value only:

- **spellings**: each distinct spelling of a cell is passed once through the engine's
  own parsing (``engine._indicator_from_value``, ``_as_age``, ``_as_bool``, ``_as_list``),
  so " Yes" or " labour ; sexual" mean what they mean to the engine;
- **dimensions**: a dimension is positive according to how many of its strong, medium
  and weak indicators are present. Those counts are sums over the presence bits, taken
  by one table lookup per byte of them (``_Counters``); which counts make a dimension
  positive is asked of ``engine._dimension_finding`` once, when the screener is built;
- **lists**: a graded list's conclusion follows from its positive dimensions (and, for a
  list with the children's rule, whether an act is declared): ``engine._set_conclusion``
  is asked once per mask, and masks with the same (outcome, kind, means, purpose, severe
  stage) share one id. A criteria list is met according to how many items each of its
  criteria has: ``engine._evaluate_criteria_set`` is asked once per combination of counts;
- **classes**: rows with the same (age group and forms, self-identification, act / means
  / purpose recorded, anything present, per list its conclusion id and whether a severe
  indicator is present — in the adults' lists, beside an indicator of the severe rule's
  stage — per criteria list whether it is met) get the same assessment,
  status and rules met — the engine reads nothing else to decide them. The first row of
  a new class, its own cells unchanged, is screened by the batch fast path (byte-identical
  to ``engine.screen_mapping``) and projected with ``compact_result``; every row of the
  class takes that part of the result.

A row's positive dimensions are its own: per list, the JSON of its positive dimensions
is looked up by mask (and checked against the engine's result on every class's first
row). The result lines are assembled and written by polars.
``tests/screening/test_screening_compact.py`` holds the whole output to the reference
engine row by row on generated files of every shape.

Anything out of the ordinary never reaches the columns: a chunk with a double quote (a
quoted cell may span lines), a lone carriage return or a NUL ends the vectorised path
and the rest of the file goes through the reference chunks of ``batch_parallel``; a row
with an invalid cell, an indicator outside its lists, a ``ref`` that needs escaping or
is too long, the wrong number of cells, or a nested ``indicators`` cell is screened by
the reference path on its own line, which also words its errors. So results and error
messages are those of the reference batch, line for line.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import orjson
import polars as pl

from palermo.screening import engine
from palermo.screening.catalogue import RESERVED_INPUT_FIELDS, IndicatorCatalogue, IndicatorSet
from palermo.screening.engine import ADULT_AGE, MAX_AGE, FieldError, ScreeningInputError
from palermo.screening.fastpath import FastScreener

# Rows per chunk (at most). The indicator columns take one byte per cell (an Enum), the
# screening fields 16 bytes per cell plus their text.
CHUNK_ROWS = 20000
# Bounded tables (entries): results per class and what a field's spelling means. When
# one is full it starts again from what the current chunk needs. Indicator cells have at
# most VOCABULARY_SIZE spellings (one byte per cell), else the chunk's own.
CLASS_CACHE_SIZE = 65_536
SPELLING_CACHE_SIZE = 65_536
VOCABULARY_SIZE = 250

_PRESENT, _ABSENT, _BAD = 1, 0, -1
_UNKNOWN = -100  # a field spelling not looked up yet
_NO_AGE = -3  # the age cell is empty
_FIELDS = (
    "age",
    "age_uncertain_may_be_child",
    "self_identifies_as_victim",
    "forms",
    "act",
    "means",
    "purpose",
)
_PLAN_BITS = 13  # forms id (12 bits) and child
_U64 = np.uint64


class Unsupported(Exception):
    """The catalogue or header does not suit the column path (the reference path is used)."""


def compact_json(full: bytes) -> bytes:
    """The compact result as JSON, from the full result's JSON (see batch_parallel)."""
    from palermo.screening.batch_parallel import compact_json as project

    return project(full)


class _Counters:
    """Counts of indicators present, packed side by side into 64-bit words.

    A *unit* is a few counts kept next to each other (a dimension's strong, medium and
    weak counts), each count wide enough for all its columns. A word is the sum, over
    the bytes of a row's presence bits, of a 256-entry table per byte: one lookup and
    one addition per byte, whatever the number of counts."""

    def __init__(self, n_columns: int) -> None:
        self.n_bytes = (n_columns + 7) // 8
        self.units: dict[str, tuple[int, int, tuple[int, ...]]] = {}  # word, offset, widths
        self._fields: list[list[tuple[int, Sequence[int]]]] = [[]]  # per word: (offset, cols)
        self._used = 0

    def add(self, name: str, counts: Sequence[Sequence[int]]) -> None:
        """A unit of counts; each count is over the given column numbers."""
        widths = tuple(len(columns).bit_length() for columns in counts)
        if sum(widths) > 64:
            raise Unsupported(f"{name} counts too many indicators")
        if self._used + sum(widths) > 64:
            self._fields.append([])
            self._used = 0
        self.units[name] = (len(self._fields) - 1, self._used, widths)
        for width, columns in zip(widths, counts, strict=True):
            self._fields[-1].append((self._used, columns))
            self._used += width

    def build(self) -> None:
        values = np.arange(256)
        self.tables = []
        for fields in self._fields:
            table = np.zeros((self.n_bytes, 256), dtype=_U64)
            for offset, columns in fields:
                for c in columns:
                    table[c // 8, (values >> (c % 8)) & 1 == 1] += _U64(1 << offset)
            self.tables.append(table)

    def words(self, row_bytes: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
        out = []
        for table in self.tables:
            total = np.zeros(n, dtype=_U64)
            for b, column in enumerate(row_bytes):
                if table[b].any():
                    total += table[b][column]
            out.append(total)
        return out

    def unit(self, words: list[np.ndarray], name: str) -> np.ndarray:
        """The unit's counts as one small integer (its fields side by side)."""
        w, offset, widths = self.units[name]
        return (words[w] >> _U64(offset)) & _U64((1 << sum(widths)) - 1)


class _Graded:
    """A graded list as the columns address it."""

    def __init__(self, owner: CompactCsvScreener, number: int, s: IndicatorSet) -> None:
        self.number = number  # its place in catalogue.sets
        self.s = s
        self.n_dims = len(s.dimensions)
        # Per dimension, a table: its counts unit -> positive (by the engine).
        self.positive: list[np.ndarray] = []
        for d, dim in enumerate(s.dimensions):
            keys = [i for i in s.indicators if i.dimension == dim.key]
            by_grade = [[i.key for i in keys if i.grade == g] for g in ("strong", "medium", "weak")]
            if sum(len(g) for g in by_grade) != len(keys):
                raise Unsupported(f"dimension {dim.key} of {s.id} has ungraded indicators")
            positive = _dimension_positive(s, d, tuple(tuple(g) for g in by_grade))
            columns = [owner.columns(g) for g in by_grade]
            owner.counters.add(f"{number}.{d}", columns)
            widths = [len(c).bit_length() for c in columns]
            table = np.zeros(1 << sum(widths), dtype=bool)
            for counts in itertools.product(*(range(len(c) + 1) for c in columns)):
                code, shift = 0, 0
                for n, width in zip(counts, widths, strict=True):
                    code |= n << shift
                    shift += width
                table[code] = counts in positive
            self.positive.append(table)
        owner.counters.add(
            f"{number}.severe", [owner.columns([i.key for i in s.indicators if i.severe])]
        )
        rule = s.indicator_rule
        assert rule is not None
        self.uses_act = rule.child_act_rule is not None
        # Where an indicator present in the severe rule's stage suffices (the adults' lists),
        # its dimensions: "severe" is then a severe indicator and one of theirs present.
        self.severe_stage_dims = (
            [d for d, dim in enumerate(s.dimensions) if dim.stage == rule.severe_requires_stage]
            if rule.severe_stage_present_suffices
            else None
        )
        # The conclusion by mask (and declared act): the facts evaluate() reads from it.
        self.conclusion, self.conclusion_bits = _conclusions(s, self.uses_act)
        # The JSON of its positive dimensions, by mask, as compact_result lays it out.
        self.fragment: list[str | None] = [None] + [
            orjson.dumps({s.id: [dim.key for d, dim in enumerate(s.dimensions) if mask >> d & 1]})[
                1:-1
            ].decode()
            for mask in range(1, 1 << self.n_dims)
        ]


# The engine's verdicts below depend on an indicator list only (IndicatorSet: frozen, keyed by
# identity), not on a file's header: each table is computed once per list, not once per file
# (up to 65,536 engine calls for a criteria list). Read-only: the screeners share them.


@functools.lru_cache(maxsize=256)
def _dimension_positive(
    s: IndicatorSet, d: int, by_grade: tuple[tuple[str, ...], ...]
) -> frozenset[tuple[int, ...]]:
    """The counts of (strong, medium, weak) items present for which the engine finds
    dimension ``d`` positive (the first ``n`` keys of each grade, in the list's order)."""
    positive = set()
    for counts in itertools.product(*(range(len(g) + 1) for g in by_grade)):
        present = sorted(
            (k for g, n in zip(by_grade, counts, strict=True) for k in g[:n]),
            key=lambda k: s.locations[k][1],
        )
        finding, _sentence = engine._dimension_finding(s, d, tuple((k, None) for k in present))
        if finding.positive:
            positive.add(counts)
    return frozenset(positive)


@functools.lru_cache(maxsize=64)
def _conclusions(s: IndicatorSet, uses_act: bool) -> tuple[np.ndarray, int]:
    """The conclusion's facts by mask of positive dimensions (and declared act), numbered,
    and the bits that number takes."""
    n_dims = len(s.dimensions)
    conclusion = np.zeros(2 << n_dims, dtype=_U64)
    ids: dict[tuple[Any, ...], int] = {}
    for act in (False, True) if uses_act else (False,):
        for mask in range(1 << n_dims):
            facts = {
                (
                    c.outcome,
                    c.kind,
                    c.means_positive,
                    c.purpose_positive,
                    c.severe_stage_positive,
                )
                for c in (engine._set_conclusion(s, mask, p, act) for p in (False, True))
            }
            if len(facts) != 1:
                raise Unsupported(f"{s.id}: a conclusion depends on more than its mask")
            conclusion[mask | act << n_dims] = ids.setdefault(facts.pop(), len(ids))
    conclusion.flags.writeable = False
    return conclusion, max(1, (len(ids) - 1).bit_length())


class _Criteria:
    """A criteria list: per criterion, its own keys and those that also meet it."""

    def __init__(self, owner: CompactCsvScreener, number: int, s: IndicatorSet) -> None:
        self.number = number
        self.also: list[tuple[int, ...]] = []  # per criterion, word masks of its "also" keys
        sizes = []
        keys = []
        for n, c in enumerate(s.criteria):
            own = [i.key for i in s.indicators if i.criterion == c.key]
            also = list(c.also_met_by)
            if set(own) & set(also):
                raise Unsupported(f"{s.id}: a key both belongs to and also meets {c.key}")
            owner.counters.add(f"{number}.{n}", [owner.columns(own)])
            self.also.append(owner.masks(also))
            keys.append((own, also))
            sizes.append(len(own) + len(also) + 1)
        self.radix = [1]
        for size in sizes:
            self.radix.append(self.radix[-1] * size)
        total = self.radix.pop()
        if total > 1 << 16:
            raise Unsupported(f"{s.id} has too many criteria")
        # Met or not, by the number of items of each criterion: the engine decides.
        grades: dict[str, tuple[str, Any]] = {}
        for g in owner.catalogue.sets:
            if g.kind != "criteria":
                for i in g.indicators:
                    grades.setdefault(i.key, (i.label, i.grade))
        also_grades = tuple((k, grades.get(k, (k, None))) for _, also in keys for k in also)
        self.met = _criteria_met(s, total, tuple(sizes), tuple(self.radix), also_grades)


@functools.lru_cache(maxsize=64)
def _criteria_met(
    s: IndicatorSet,
    total: int,
    sizes: tuple[int, ...],
    radix: tuple[int, ...],
    also_grades: tuple[tuple[str, tuple[str, Any]], ...],
) -> np.ndarray:
    """Per count of each criterion's items (``radix`` places), whether the engine finds the
    criteria list met (the grades of its "also" keys given)."""
    keys = [
        ([i.key for i in s.indicators if i.criterion == c.key], list(c.also_met_by))
        for c in s.criteria
    ]
    graded_by_key = dict(also_grades)
    met = np.zeros(total, dtype=bool)
    for counts in itertools.product(*(range(size) for size in sizes)):
        observed: dict[str, engine.ObservedIndicator] = {}
        graded: dict[str, tuple[str, Any]] = {}
        for (own, also), n in zip(keys, counts, strict=True):
            for k in [*own, *also][:n]:
                observed[k] = engine.ObservedIndicator(k)
                if k in also:
                    graded[k] = graded_by_key[k]
        finding = engine._evaluate_criteria_set(s, observed, graded, [])
        if tuple(len(f.indicators) for f in finding.criteria) != counts:
            # (a key that also meets two criteria: these counts cannot be set apart)
            raise Unsupported(f"{s.id}: criteria that share keys")
        if finding.outcome_positive:
            met[sum(n * r for n, r in zip(counts, radix, strict=True))] = True
    met.flags.writeable = False
    return met


class CompactCsvScreener:
    """Screens chunks of CSV lines (one file, one header) to compact result lines."""

    def __init__(self, catalogue: IndicatorCatalogue, header: Sequence[str]) -> None:
        self.catalogue = catalogue
        # The reference screening of a class's first row: the batch fast path,
        # byte-identical to engine.screen_mapping (tests/screening/test_screening_fastpath.py).
        self.fast = FastScreener(catalogue)
        self.header = list(header)
        self.width = len(header)
        self.names = [f"c{n}" for n in range(self.width)]
        self.position = {h: n for n, h in enumerate(header)}
        self.indicators = [h for h in header if h not in RESERVED_INPUT_FIELDS]
        self.indicator_names = [self.names[self.position[h]] for h in self.indicators]
        self.column = {h: n for n, h in enumerate(self.indicators)}  # its presence bit
        self.n_words = max(1, (len(self.indicators) + 63) // 64)
        self.counters = _Counters(len(self.indicators))
        self.graded: list[_Graded] = []
        self.criteria: list[_Criteria] = []
        for number, s in enumerate(catalogue.sets):
            if s.kind == "criteria":
                self.criteria.append(_Criteria(self, number, s))
            else:
                self.graded.append(_Graded(self, number, s))
        self.counters.build()
        # The class key: (fact, bits), packed into 64-bit words.
        parts = [("plan", _PLAN_BITS)]
        parts += [(f, 1) for f in ("self_identifies", "act", "means", "purpose", "any")]
        for g in self.graded:
            parts += [(f"conclusion{g.number}", g.conclusion_bits), (f"severe{g.number}", 1)]
        parts += [(f"met{c.number}", 1) for c in self.criteria]
        parts += [(f"mask{g.number}", g.n_dims) for g in self.graded]  # (for the output only)
        self.key_layout: list[list[tuple[str, int]]] = [[]]
        used = 0
        for name, bits in parts:
            if used + bits > 64:
                self.key_layout.append([])
                used = 0
            self.key_layout[-1].append((name, bits))
            used += bits
        # The indicator cells' spellings (an Enum: present ones first, then absent, then
        # those the engine rejects); the engine's exact spellings to begin with.
        self.spelling: dict[str, int] = {}
        self._base = [v for v in (*engine._PRESENT_AS_IS, *engine.FALSY) if v]
        self._vocabulary(self._base)
        self.text_schema = dict.fromkeys(self.names, pl.String)
        self.fields: dict[str, dict[str, int]] = {f: {} for f in _FIELDS}
        self.forms_ids: dict[tuple[str, ...], int] = {}
        self.forms_of: list[tuple[str, ...]] = []
        self.plans: list[tuple[tuple[int, ...], int, tuple[int, ...]]] = []
        self.classes: dict[tuple[int, ...], tuple[str, str] | None] = {}
        self.texts: dict[tuple[int, ...], str | None] = {}  # by class and masks

    def columns(self, keys: Sequence[str]) -> list[int]:
        """The presence bits of those of ``keys`` that are columns."""
        return [self.column[k] for k in keys if k in self.column]

    def masks(self, keys: Sequence[str]) -> tuple[int, ...]:
        """Per 64-bit word, the presence bits of those of ``keys`` that are columns."""
        words = [0] * self.n_words
        for c in self.columns(keys):
            words[c // 64] |= 1 << (c % 64)
        return tuple(words)

    # -- what a spelling means, through the engine's own parsing

    @staticmethod
    def _cell_code(value: str) -> int:
        errors: list[FieldError] = []
        found = engine._indicator_from_value("x", value, errors)
        if errors:
            return _BAD
        return _ABSENT if found is None else _PRESENT

    def _vocabulary(self, spellings: Sequence[str]) -> None:
        for v in spellings:
            if v not in self.spelling:
                self.spelling[v] = self._cell_code(v)
        by_meaning = {m: [v for v, c in self.spelling.items() if c == m] for m in (1, 0, -1)}
        self.n_present = len(by_meaning[_PRESENT])
        self.n_known = self.n_present + len(by_meaning[_ABSENT])
        self.n_spellings = self.n_known + len(by_meaning[_BAD])
        self.categories = [*by_meaning[_PRESENT], *by_meaning[_ABSENT], *by_meaning[_BAD]]
        self.schema: dict[str, Any] | None = None  # (built by frame(): no polars before)

    def _schema(self) -> dict[str, Any]:
        if self.schema is None:
            self.enum = pl.Enum(self.categories)
            self.schema = {n: pl.String for n in self.names} | dict.fromkeys(
                self.indicator_names, self.enum
            )
        return self.schema

    def _field_code(self, field: str, value: str) -> int:
        """age: the age (-1 if invalid, -3 if empty); booleans: 0/1 (-1); forms: the
        forms' id (-1); act/means/purpose: 1 recorded, 0 empty (-1 when an item is not
        in the list)."""
        errors: list[FieldError] = []
        if field == "age":
            age = engine._as_age(value, errors)
            if errors or age is None or not 0 <= age <= MAX_AGE:
                return -1 if errors or age is not None else _NO_AGE
            return age
        if field in ("age_uncertain_may_be_child", "self_identifies_as_victim"):
            flag = engine._as_bool(field, value, errors)
            return -1 if errors else int(flag)
        items = engine._as_list(field, value, errors)
        allowed = {
            "forms": self.catalogue.forms,
            "act": engine.PALERMO_ACTS,
            "means": engine.PALERMO_MEANS,
            "purpose": engine.PALERMO_PURPOSES,
        }[field]
        if errors or any(i not in allowed for i in items):
            return -1
        if field != "forms":
            return int(bool(items))
        forms = engine._sorted_unique(items)
        if forms not in self.forms_ids:
            if len(self.forms_of) >= 1 << (_PLAN_BITS - 1):
                return -1  # (never in practice) the rows go to the reference path
            self.forms_ids[forms] = len(self.forms_of)
            self.forms_of.append(forms)
        return self.forms_ids[forms]

    def _plan_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """By plan (forms id × 2 + child): per word the indicator columns not allowed,
        the lists used (bit n: catalogue.sets[n]), per word the columns of its graded
        lists."""
        while len(self.plans) < 2 * len(self.forms_of):
            plan = len(self.plans)
            forms = self.forms_of[plan >> 1]
            group: Any = "child" if plan & 1 else "adult"
            selection = self.catalogue.select(group, forms) if forms else None
            sets = selection.sets if selection else ()
            allowed = selection.keys if selection else frozenset()
            self.plans.append(
                (
                    self.masks([h for h in self.indicators if h not in allowed]),
                    sum(1 << n for n, s in enumerate(self.catalogue.sets) if s in sets),
                    self.masks([i.key for s in sets if s.kind != "criteria" for i in s.indicators]),
                )
            )
        return (
            np.array([p[0] for p in self.plans], dtype=_U64).reshape(-1, self.n_words),
            np.array([p[1] for p in self.plans], dtype=_U64),
            np.array([p[2] for p in self.plans], dtype=_U64).reshape(-1, self.n_words),
        )

    # -- a block's lines

    @staticmethod
    def commas(data: bytes) -> int:
        """How many commas ``data`` holds."""
        return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == ord(",")))

    @staticmethod
    def lone_carriage_return(data: bytes) -> bool:
        """Whether ``data`` has a carriage return not followed by a line feed."""
        if b"\r" not in data:
            return False
        array = np.frombuffer(data, dtype=np.uint8)
        at = np.flatnonzero(array == ord("\r")) + 1
        return bool(at[-1] == len(array) or (array[at[at < len(array)]] != ord("\n")).any())

    @staticmethod
    def line_ends(data: bytes) -> np.ndarray:
        """Where the line feeds of ``data`` are."""
        return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))

    @staticmethod
    def blank_line(data: bytes, ends: np.ndarray) -> bool:
        """Whether ``data`` has an empty line ("\n" or "\r\n"); ``ends``: its line feeds."""
        if not len(ends):
            return False
        array = np.frombuffer(data, dtype=np.uint8)
        gaps = np.diff(ends, prepend=-1)
        after_return = array[np.maximum(ends - 1, 0)] == ord("\r")
        return bool((gaps == 1).any() or ((gaps == 2) & after_return).any())

    @staticmethod
    def line_reader(data: bytes, ends: np.ndarray) -> Callable[[int], str]:
        """Line n of ``data`` (``ends``: its line feeds; the last line may have none)."""

        def line(n: int) -> str:
            start = int(ends[n - 1]) + 1 if n else 0
            return data[start : int(ends[n]) + 1 if n < len(ends) else len(data)].decode()

        return line

    # -- a chunk

    def frame(self, data: bytes) -> pl.DataFrame:
        """The chunk's cells: the indicator columns as codes of the spellings."""
        try:
            return pl.read_csv(
                data,
                has_header=False,
                new_columns=self.names,
                schema=self._schema(),
                quote_char=None,
            )
        except pl.exceptions.PolarsError:
            pass  # a spelling not met before (or no indicator column fits): read as text
        df = pl.read_csv(
            data, has_header=False, new_columns=self.names, schema=self.text_schema, quote_char=None
        )
        if self.indicator_names:
            seen = df.select(
                [pl.col(n).drop_nulls().unique().implode() for n in self.indicator_names]
            ).row(0)
            new = list(
                dict.fromkeys(v for values in seen for v in values if v not in self.spelling)
            )
            if len(self.spelling) + len(new) > VOCABULARY_SIZE:
                self.spelling = {}
                new = [*self._base, *dict.fromkeys(v for values in seen for v in values)]
            self._vocabulary(new)
        self._schema()
        return df.with_columns([pl.col(n).cast(self.enum) for n in self.indicator_names])

    def _cells(self, df: pl.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """The screening fields' codes (see _field_code), whether a ref or a nested
        ``indicators`` cell needs the reference path, and the spelling codes of the
        indicator cells (one column each; no spelling: ``n_spellings``)."""
        col = self.position
        present = [f for f in _FIELDS if f in col]

        def code(f: str) -> pl.Expr:
            table = self.fields[f]
            return (
                pl.col(self.names[col[f]])
                .fill_null("")
                .replace_strict(
                    list(table), list(table.values()), default=_UNKNOWN, return_dtype=pl.Int32
                )
                .alias(f)
            )

        special = [pl.lit(False)]
        if "indicators" in col:
            special.append(pl.col(self.names[col["indicators"]]).is_not_null())
        if "ref" in col:
            ref = pl.col(self.names[col["ref"]])
            special.append(
                ref.is_not_null()
                & ((ref.str.len_chars() > _max_ref()) | ref.str.contains(r"[\\\x00-\x1f]"))
            )
        dtype = pl.UInt8 if self.n_spellings < 255 else pl.UInt16
        cells = df.select(
            *[code(f) for f in present],
            pl.any_horizontal(special).alias(" special"),
            *(
                [pl.col(self.indicator_names).to_physical().cast(dtype).fill_null(self.n_spellings)]
                if self.indicator_names
                else []
            ),
        )
        fields = {}
        for f in present:
            column = cells.get_column(f)
            if column.min() == _UNKNOWN:
                text = df.get_column(self.names[col[f]]).fill_null("")
                if len(self.fields[f]) >= SPELLING_CACHE_SIZE:
                    self.fields[f] = {}
                    values = text.unique().to_list()
                else:
                    values = text.filter(column == _UNKNOWN).unique().to_list()
                for v in values:
                    self.fields[f][v] = self._field_code(f, v)
                column = df.select(code(f)).to_series()
            fields[f] = column.to_numpy()
        spellings = (
            cells.select(self.indicator_names).to_numpy()
            if self.indicator_names
            else np.zeros((df.height, 0), dtype=np.uint8)
        )
        return fields, cells.get_column(" special").to_numpy(), spellings

    def _facts(self, df: pl.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per row: whether it needs the reference path, and its class key (with the
        masks of positive dimensions) as 64-bit words."""
        fields, special, spellings = self._cells(df)
        n = df.height

        def field(name: str, empty: int) -> np.ndarray:
            found = fields.get(name)
            return np.full(n, empty, dtype=np.int32) if found is None else found

        age = field("age", _NO_AGE)
        uncertain = field("age_uncertain_may_be_child", 0)
        self_identifies = field("self_identifies_as_victim", 0)
        forms = field("forms", self._field_code("forms", ""))
        act, means, purpose = (field(f, 0) for f in ("act", "means", "purpose"))
        bad = special | (age == -1) | (forms < 0)
        for f in (uncertain, self_identifies, act, means, purpose):
            bad |= f < 0
        if self.n_spellings > self.n_known:  # a spelling the engine rejects
            bad |= ((spellings >= self.n_known) & (spellings < self.n_spellings)).any(axis=1)
        row_bytes, words = self._presence(spellings, n)
        child = (uncertain == 1) | ((age >= 0) & (age < ADULT_AGE))
        plan = np.where(bad, 0, forms * 2 + child)
        forbidden, uses_by_plan, graded_by_plan = self._plan_tables()
        any_present = np.zeros(n, dtype=bool)
        for w, word in enumerate(words):
            bad |= (word & forbidden[plan, w]) != 0  # an indicator outside the lists
            any_present |= word != 0
        facts: dict[str, np.ndarray] = {
            "plan": plan,
            "self_identifies": self_identifies == 1,
            "act": act == 1,
            "means": means == 1,
            "purpose": purpose == 1,
            "any": any_present,
        }
        self._list_facts(
            facts,
            self.counters.words(row_bytes, n),
            words,
            uses_by_plan[plan],
            graded_by_plan[plan],
        )
        keys = []
        for parts in self.key_layout:
            key = np.zeros(n, dtype=_U64)
            shift = 0
            for name, bits in parts:
                key |= facts[name].astype(_U64) << _U64(shift)
                shift += bits
            keys.append(key)
        return bad, keys

    def _presence(self, spellings: np.ndarray, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The presence bits of each row, a byte and a 64-bit word at a time."""
        row_bytes = []
        for b in range(self.counters.n_bytes):
            byte = np.zeros(n, dtype=np.uint8)
            for bit in range(min(8, len(self.indicators) - 8 * b)):
                byte |= (spellings[:, 8 * b + bit] < self.n_present).view(np.uint8) << np.uint8(bit)
            row_bytes.append(byte)
        words = []
        for w in range(self.n_words):
            word = np.zeros(n, dtype=_U64)
            for j, byte in enumerate(row_bytes[8 * w : 8 * w + 8]):
                word |= byte.astype(_U64) << _U64(8 * j)
            words.append(word)
        return row_bytes, words

    def _list_facts(
        self,
        facts: dict[str, np.ndarray],
        counts: list[np.ndarray],
        words: list[np.ndarray],
        uses: np.ndarray,
        graded: np.ndarray,
    ) -> None:
        """Per graded list its mask of positive dimensions, conclusion id and whether a
        severe indicator is present; per criteria list whether it is met (a list the
        row's age group and forms do not use counts as empty)."""
        for g in self.graded:
            used = (uses >> _U64(g.number)) & _U64(1)
            mask = np.zeros(len(uses), dtype=_U64)
            units = []
            for d, table in enumerate(g.positive):
                units.append(self.counters.unit(counts, f"{g.number}.{d}"))
                mask |= table[units[-1]].astype(_U64) << _U64(d)
            mask *= used
            index = mask | facts["act"].astype(_U64) << _U64(g.n_dims) if g.uses_act else mask
            facts[f"mask{g.number}"] = mask
            facts[f"conclusion{g.number}"] = g.conclusion[index]
            severe = self.counters.unit(counts, f"{g.number}.severe") != 0
            if g.severe_stage_dims is not None:  # (a positive stage has one present too)
                present = np.zeros(len(uses), dtype=bool)
                for d in g.severe_stage_dims:
                    present |= units[d] != 0
                severe &= present
            facts[f"severe{g.number}"] = severe & (used != 0)
        for c in self.criteria:
            code = np.zeros(len(uses), dtype=np.int64)
            for k, (also, radix) in enumerate(zip(c.also, c.radix, strict=True)):
                items = self.counters.unit(counts, f"{c.number}.{k}").astype(np.int64)
                for w, word in enumerate(words):
                    if also[w]:
                        items += np.bitwise_count(word & _U64(also[w]) & graded[:, w])
                code += items * radix
            facts[f"met{c.number}"] = c.met[code] & ((uses >> _U64(c.number)) & _U64(1) != 0)

    def screen(
        self,
        df: pl.DataFrame,
        numbers: Sequence[int],
        reference: Callable[[int], tuple[bytes | None, bytes | None]],
    ) -> tuple[int, bytes, list[tuple[int, bytes]]]:
        """Screen the rows of ``df`` (line numbers ``numbers``); ``reference(n)`` screens
        row n through the reference path and returns its result line or its error line.
        Returns (rows ok, result lines, [(line number, error line)])."""
        bad, keys = self._facts(df)
        compact, unusual = self._results(df, bad, keys)
        # Every other row through the reference path, on its own line.
        errors: list[tuple[int, bytes]] = []
        positions: list[int] = []
        texts: list[str] = []
        for n in unusual.tolist():
            result, error = reference(n)
            if result is not None:
                positions.append(n)
                texts.append(result[:-1].decode())  # without its newline
            else:
                assert error is not None
                errors.append((numbers[n], error))
        col = self.position
        if "ref" in col:
            ref = pl.col(self.names[col["ref"]])
            ref_json = (
                pl.when(ref.is_null())
                .then(pl.lit("null"))
                .otherwise(pl.concat_str([pl.lit('"'), ref, pl.lit('"')]))
            )
        else:
            ref_json = pl.lit("null")
        lines = (
            pl.int_range(numbers.start, numbers.stop, dtype=pl.Int64)
            if isinstance(numbers, range) and numbers.step == 1
            else pl.lit(pl.Series(numbers, dtype=pl.Int64))
        )
        line = pl.concat_str(
            [
                pl.lit('{"line":'),
                lines.cast(pl.String),
                pl.lit(',"ref":'),
                ref_json,
                pl.lit(',"result":'),
                pl.lit(compact),
                pl.lit("}"),
            ]
        )
        if positions:
            others = pl.Series([None] * df.height, dtype=pl.String).scatter(positions, texts)
            line = pl.coalesce(line, pl.lit(others))
        out = df.lazy().select(line.alias("out")).drop_nulls().collect()
        buffer = io.BytesIO()
        out.write_csv(buffer, include_header=False, quote_style="never")
        return df.height - len(errors), buffer.getvalue(), errors

    def _results(
        self, df: pl.DataFrame, bad: np.ndarray, keys: list[np.ndarray]
    ) -> tuple[pl.Series, np.ndarray]:
        """Each row's compact result (null: the reference path) and the rows that need
        the reference path. Python works once per distinct key."""
        valid = np.flatnonzero(~bad)
        if len(keys) == 1:
            distinct, first, inverse = np.unique(
                keys[0][valid], return_index=True, return_inverse=True
            )
            distinct = distinct.reshape(-1, 1)
        else:
            distinct, first, inverse = np.unique(
                np.stack([k[valid] for k in keys], axis=1),
                axis=0,
                return_index=True,
                return_inverse=True,
            )
        if len(self.texts) + len(distinct) > CLASS_CACHE_SIZE:
            self.texts = {}
        if len(self.classes) + len(distinct) > CLASS_CACHE_SIZE:
            self.classes = {}
        texts: list[str | None] = []
        for key, i in zip(map(tuple, distinct.tolist()), first.tolist(), strict=True):
            if key not in self.texts:
                self.texts[key] = self._text(key, df, int(valid[i]))
            texts.append(self.texts[key])
        found = pl.Series(texts, dtype=pl.String)
        compact = pl.Series([None] * len(bad), dtype=pl.String)
        if len(valid):
            compact = compact.scatter(valid, found.gather(inverse.reshape(-1)))
        missing = np.flatnonzero(found.is_null().to_numpy())
        unusual = np.flatnonzero(bad)
        if len(missing):
            lost = valid[np.isin(inverse.reshape(-1), missing)]
            unusual = np.sort(np.concatenate([unusual, lost]))
        return compact, unusual

    def _text(self, key: tuple[int, ...], df: pl.DataFrame, row: int) -> str | None:
        """The compact result for a key (class and masks), from the class's result."""
        facts = self._unpack(key)
        masks = [facts.pop(f"mask{g.number}") for g in self.graded]
        class_key = tuple(facts.values())
        if class_key not in self.classes:
            self.classes[class_key] = self._class_result(df.row(row), masks)
        found = self.classes[class_key]
        if found is None:
            return None
        fragments = [g.fragment[m] for g, m in zip(self.graded, masks, strict=True)]
        return found[0] + ",".join(f for f in fragments if f) + found[1]

    def _unpack(self, key: Sequence[int]) -> dict[str, int]:
        facts = {}
        for word, parts in zip(key, self.key_layout, strict=True):
            for name, bits in parts:
                facts[name] = word & ((1 << bits) - 1)
                word >>= bits
        return facts

    def _class_result(self, cells: tuple[Any, ...], masks: Sequence[int]) -> tuple[str, str] | None:
        """The compact result of one row by the reference engine, cut around its positive
        dimensions (None: the row is invalid after all, so its class goes to the reference
        path row by row)."""
        mapping = {h: v for h, v in zip(self.header, cells, strict=False) if v is not None}
        try:
            result = orjson.loads(compact_json(self.fast.result_json(mapping)))
        except ScreeningInputError:
            return None
        mine = ",".join(f for g, m in zip(self.graded, masks, strict=True) if (f := g.fragment[m]))
        if orjson.dumps(result["positive_dimensions"]).decode() != "{" + mine + "}":
            raise AssertionError("the columns' positive dimensions differ from the engine's")
        head = orjson.dumps({"assessment": result["assessment"], "status": result["status"]})
        tail = orjson.dumps({"rules_met": result["rules_met"]})
        return head.decode()[:-1] + ',"positive_dimensions":{', "}," + tail.decode()[1:]


# --- JSON Lines as CSV lines ------------------------------------------------------------

# A text that cannot be an unquoted CSV cell (or that the column path sends elsewhere).
_CSV_UNSAFE = re.compile(r'[,"\r\n\x00]')
# Items of a list field that the CSV path would split differently from the engine.
_LIST_UNSAFE = re.compile(r'[,"\r\n\x00;|]')
JSONL_FIELDS = ("ref", *_FIELDS)
_REF, _AGE, _FLAGS, _LISTS = 0, 1, (2, 3), 8  # positions in the header (lists: 4..7)


class JsonlAsCsv:
    """JSON Lines objects as the CSV lines that mean the same to the engine, so that the
    column path screens them (:class:`CompactCsvScreener` on :attr:`header`).

    One ``orjson.loads`` and one walk over an object's own fields per line (no per-row
    rule): each value of an ordinary type becomes the cell the CSV path reads exactly as
    the engine reads the value — a text as itself, ``true``/``false``, a whole number
    as its digits, a list of names joined by ``;``, a nested ``indicators`` object or
    list of keys spread over the indicator columns. Anything else — invalid JSON, not an
    object, an unknown field or key, a float, a nested object, a name with a separator,
    a text that is not a plain CSV cell, the same indicator twice — becomes
    :attr:`unusual`, a line the column path sends to the reference path, which then
    screens the original object and words its errors."""

    def __init__(self, catalogue: IndicatorCatalogue) -> None:
        self.header = [*JSONL_FIELDS, *catalogue.all_keys()]
        self.width = len(self.header)
        self.position = {h: n for n, h in enumerate(self.header)}
        self.empty = [""] * self.width
        # An invalid age: the column path hands the row to the reference path.
        self.unusual = "," + "?" + "," * (self.width - 2) + "\n"
        self._lists: dict[tuple[Any, ...], str | None] = {}

    def csv_text(self, lines: Sequence[str]) -> bytes:
        """One CSV line per JSON line (all non-blank), as UTF-8."""
        loads = orjson.loads
        row = self._row
        unusual = self.unusual
        out = []
        for line in lines:
            try:
                value = loads(line)
            except orjson.JSONDecodeError:
                out.append(unusual)
                continue
            text = row(value) if value.__class__ is dict else None
            out.append(unusual if text is None else text)
        return "".join(out).encode()

    def _row(self, obj: dict[str, Any]) -> str | None:  # noqa: C901, PLR0911, PLR0912
        position = self.position
        cells = self.empty[:]
        unsafe = _CSV_UNSAFE.search
        for name, value in obj.items():
            n = position.get(name)
            if n is None:
                if name != "indicators":
                    return None  # an unknown field: the engine words it
                if value is None:
                    continue
                if value.__class__ is dict:
                    for key, v in value.items():
                        k = position.get(key)
                        if k is None or k < _LISTS or cells[k]:
                            return None
                        cell = _CELLS.get(v) if v.__class__ is str else _indicator_cell(v)
                        if cell is None:
                            cell = v if v.__class__ is str and not unsafe(v) else None
                            if cell is None:
                                return None
                        cells[k] = cell
                elif value.__class__ is list:
                    for key in value:
                        k = position.get(key) if key.__class__ is str else None
                        if k is None or k < _LISTS or cells[k] not in ("", "x"):
                            return None
                        cells[k] = "x"
                else:
                    return None
                continue
            cls = value.__class__
            if n >= _LISTS:  # a flat indicator key
                if cells[n]:
                    return None
                cell = _indicator_cell(value)
                if cell is None or (cell and unsafe(cell)):
                    return None
                cells[n] = cell
            elif value is None:
                continue
            elif cls is str:
                if unsafe(value):
                    return None
                cells[n] = value
            elif cls is int:  # (not a bool: its class is bool)
                if n > _FLAGS[1]:
                    return None  # a number in a list field: the engine words it
                cells[n] = str(value)
            elif cls is bool:
                if n not in _FLAGS:
                    return None
                cells[n] = "true" if value else "false"
            elif cls is list and n > _FLAGS[1]:
                text = self._list(value)
                if text is None:
                    return None
                cells[n] = text
            else:
                return None
        return ",".join(cells) + "\n"

    def _list(self, items: list[Any]) -> str | None:
        """A list of names as the CSV cell the engine splits back into the same names."""
        try:
            key = tuple(items)
            found = self._lists.get(key, "")
        except TypeError:  # an unhashable item: not a name
            return None
        if found != "":
            return found
        text: str | None = None
        if all(
            item.__class__ is str and item.strip() and not _LIST_UNSAFE.search(item)
            for item in items
        ):
            text = ";".join(items)
        if len(self._lists) >= SPELLING_CACHE_SIZE:
            self._lists = {}
        self._lists[key] = text
        return text


# The usual spellings of an indicator's value, as their own cells.
_CELLS = {v: v for v in (*engine.FALSY, *engine._PRESENT_AS_IS)}


def _indicator_cell(value: object) -> str | None:
    """An indicator's value as its cell ("" absent; None: not an ordinary value)."""
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[return-value]
    if value is True:
        return "true"
    if value is None or value is False:
        return ""
    if cls is int:
        return str(value)
    return None


def _max_ref() -> int:
    from palermo.screening.batch import MAX_REF_LENGTH

    return MAX_REF_LENGTH


__all__ = ["CHUNK_ROWS", "CompactCsvScreener", "JsonlAsCsv", "Unsupported"]
