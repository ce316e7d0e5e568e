"""The compact result of a CSV batch, computed by columns (issue 13).

``palermo screen --compact`` on CSV does not walk the rows in Python. A chunk of lines is
parsed by polars into one text column per CSV column, and every row is reduced, in
vectorised form, to a few plain facts:

- per cell, what the engine's own parsing makes of its spelling: each *distinct* value
  of a column is passed once through ``engine._indicator_from_value``, ``_as_age``,
  ``_as_bool`` or ``_as_list`` (so " Yes" or " labour ; sexual" mean what they mean to
  the engine), and the rows are mapped by that table;
- per dimension of each graded list, an integer bit mask of its indicators present;
  per list, a bit mask of its severe indicators present; per criteria list, a bit mask
  of the indicators it reads; whether a Palermo act, means, purpose is recorded.

The rules are then evaluated once per distinct key, by the engine itself, always on a
real row of the key: a dimension's ``positive`` by ``engine._dimension_finding`` once per
distinct count of strong, medium and weak indicators present in it; a criteria list's
outcome by ``engine._evaluate_criteria_set`` once per distinct count, per criterion, of
its indicators present; and once per distinct combination of (age group and forms,
positive dimensions and "anything present" per list, "a severe indicator present" per
list, criteria lists met, act / means / purpose recorded, self-identification, anything
present at all), one row of that class — its own cells, unchanged — is screened by the
batch fast path (byte-identical to ``engine.screen_mapping``) and projected with
``compact_result``. The
compact result is a function of that key (the engine reads nothing else to decide the
assessment, status, positive dimensions and rules met), so every row of the class gets
that result; ``tests/screening/test_screening_compact.py`` holds it to the reference
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

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import polars as pl

from palermo.screening import engine
from palermo.screening.catalogue import RESERVED_INPUT_FIELDS, IndicatorCatalogue, IndicatorSet
from palermo.screening.engine import MAX_AGE, FieldError, ScreeningInputError
from palermo.screening.fastpath import FastScreener

# Rows per chunk. Polars keeps 16 bytes per cell, empty or not: 10,000 rows of ~90
# columns are ~15 MB of cells; with what is derived from them, one process peaks at
# ~180 MB (measured: 25,000 rows peaked at 257 MB).
CHUNK_ROWS = 10_000
# Bounded caches (entries): results per class, positives per (dimension, mask), and what
# a distinct cell spelling means. Cleared when full (the next chunk refills them).
CLASS_CACHE_SIZE = 65_536
DIMENSION_CACHE_SIZE = 65_536
SPELLING_CACHE_SIZE = 65_536

_U64 = pl.UInt64
_PRESENT, _ABSENT, _BAD = 1, 0, -1


class Unsupported(Exception):
    """The catalogue or header does not suit the column path (the reference path is used)."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _bounded_get(cache: dict[K, V], key: K, compute: Callable[[], V], size: int) -> V:
    found = cache.get(key)
    if found is None:
        if len(cache) >= size:
            cache.clear()
        found = cache[key] = compute()
    return found


def _bits(terms: Sequence[tuple[str, int]]) -> pl.Expr:
    """A UInt64 bit mask: bit n set where the (boolean) column says present."""
    if not terms:
        return pl.lit(0, dtype=_U64)
    return pl.sum_horizontal(
        [pl.col(code).cast(_U64) * pl.lit(1 << n, dtype=_U64) for code, n in terms]
    )


def compact_json(full: bytes) -> bytes:
    """The compact result as JSON, from the full result's JSON (see batch_parallel)."""
    from palermo.screening.batch_parallel import compact_json as project

    return project(full)


class CompactCsvScreener:
    """Screens chunks of CSV lines (one file, one header) to compact result lines."""

    def __init__(self, catalogue: IndicatorCatalogue, header: Sequence[str]) -> None:
        self.catalogue = catalogue
        # The reference screening of a class's row: the batch fast path, byte-identical to
        # engine.screen_mapping (tests/screening/test_screening_fastpath.py).
        self.fast = FastScreener(catalogue)
        self.header = list(header)
        self.width = len(header)
        self.names = [f"c{n}" for n in range(self.width)]
        position = {h: n for n, h in enumerate(header)}
        self.position = position
        # Indicator columns, their code column and their bit in the "present" words.
        self.indicators = [h for h in header if h not in RESERVED_INPUT_FIELDS]
        self.code = {h: f"k{position[h]}" for h in self.indicators}
        self.graded = [s for s in catalogue.sets if s.kind != "criteria"]
        self.criteria = [s for s in catalogue.sets if s.kind == "criteria"]
        self.words = [
            [(self.code[h], n % 64) for n, h in enumerate(self.indicators) if n // 64 == w]
            for w in range((len(self.indicators) + 63) // 64)
        ]
        self.word_bit = {h: (n // 64, n % 64) for n, h in enumerate(self.indicators)}
        # Per graded list and dimension, its keys of each grade (a dimension's finding
        # follows from how many of each grade are present); per list, its severe keys;
        # per criteria list and criterion, its own keys and those that also meet it.
        self.dimensions: list[tuple[int, IndicatorSet, int, tuple[tuple[str, ...], ...]]] = []
        self.severe: list[tuple[str, ...]] = []
        for n_set, s in enumerate(self.graded):
            for d, dim in enumerate(s.dimensions):
                keys = [i for i in s.indicators if i.dimension == dim.key]
                if len(keys) > 63:
                    raise Unsupported(f"dimension {dim.key} of {s.id} is too large")
                by_grade = tuple(
                    tuple(i.key for i in keys if i.grade == g) for g in ("strong", "medium", "weak")
                )
                if sum(len(g) for g in by_grade) != len(keys):
                    raise Unsupported(f"dimension {dim.key} of {s.id} has ungraded indicators")
                self.dimensions.append((n_set, s, d, by_grade))
            self.severe.append(tuple(i.key for i in s.indicators if i.severe))
        self.criteria_parts: list[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = []
        for s in self.criteria:
            parts = tuple(
                (tuple(i.key for i in s.indicators if i.criterion == c.key), tuple(c.also_met_by))
                for c in s.criteria
            )
            if len(parts) > 4 or any(len(own) > 63 or len(also) > 63 for own, also in parts):
                raise Unsupported(f"{s.id} has too many criteria or indicators")
            self.criteria_parts.append(parts)
        self.forms_ids: dict[tuple[str, ...], int] = {}
        self.forms_of: list[tuple[str, ...]] = []
        self.forbidden: dict[int, tuple[int, ...]] = {}  # plan id -> words of keys not allowed
        self.cells: dict[str, int] = {}  # an indicator cell's spelling -> present/absent/bad
        self.fields: dict[tuple[str, str], int] = {}  # (field, spelling) -> code
        self.positive: dict[tuple[int, int], bool] = {}  # (dimension number, counts)
        self.criteria_met: dict[tuple[int, int, int], bool] = {}  # (list, plan, counts)
        self.classes: dict[tuple[Any, ...], str | None] = {}

    # -- what a spelling means, through the engine's own parsing

    def _cell_code(self, value: str) -> int:
        errors: list[FieldError] = []
        found = engine._indicator_from_value("x", value, errors)
        if errors:
            return _BAD
        return _ABSENT if found is None else _PRESENT

    def _field_code(self, field: str, value: str) -> int:
        """age: the age (-1 if invalid); booleans: 0/1 (-1); forms: the forms' id (-1);
        act/means/purpose: 1 recorded, 0 empty (-1 when an item is not in the list)."""
        errors: list[FieldError] = []
        if field == "age":
            age = engine._as_age(value, errors)
            if errors or age is None or not 0 <= age <= MAX_AGE:
                return -1 if errors or age is not None else -3  # -3: empty, no age
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
        if forms not in self.forms_ids and len(self.forms_of) >= 1 << 12:
            return -1  # (never in practice) a row key must fit in 48 bits: the reference path
        if forms not in self.forms_ids:
            self.forms_ids[forms] = len(self.forms_of)
            self.forms_of.append(forms)
        return self.forms_ids[forms]

    def _forbidden(self, plan: int) -> tuple[int, ...]:
        """Words of the indicator columns a row of this plan may not have present."""
        found = self.forbidden.get(plan)
        if found is None:
            forms = self.forms_of[plan >> 1]
            group: Any = "child" if plan & 1 else "adult"
            allowed = self.catalogue.select(group, forms).keys if forms else frozenset()
            words = [0] * len(self.words)
            for h in self.indicators:
                if h not in allowed:
                    w, bit = self.word_bit[h]
                    words[w] |= 1 << bit
            found = self.forbidden[plan] = tuple(words)
        return found

    # -- a chunk

    def frame(self, data: bytes) -> pl.DataFrame:
        return pl.read_csv(
            data,
            has_header=False,
            new_columns=self.names,
            schema=dict.fromkeys(self.names, pl.String),
            quote_char=None,
        )

    def screen(  # noqa: C901, PLR0912, PLR0915
        self,
        df: pl.DataFrame,
        numbers: Sequence[int],
        reference: Callable[[int], tuple[bytes | None, bytes | None]],
    ) -> tuple[int, bytes, list[tuple[int, bytes]]]:
        """Screen the rows of ``df`` (line numbers ``numbers``); ``reference(n)`` screens
        row n through the reference path and returns its result line or its error line.
        Returns (rows ok, result lines, [(line number, error line)])."""
        col = self.position
        n_rows = df.height
        # Spellings: every distinct value through the engine's parsing, once.
        names = [self.names[col[h]] for h in self.indicators]
        spellings = (
            df.select([pl.col(n).drop_nulls().unique().implode() for n in names]).row(0)
            if names
            else ()
        )
        for values in spellings:
            for v in values:
                if v not in self.cells:
                    if len(self.cells) >= SPELLING_CACHE_SIZE:
                        self.cells.clear()
                    self.cells[v] = self._cell_code(v)
        fields = [
            f
            for f in (
                "age",
                "age_uncertain_may_be_child",
                "self_identifies_as_victim",
                "forms",
                "act",
                "means",
                "purpose",
            )
            if f in col
        ]
        for f in fields:
            for v in df.get_column(self.names[col[f]]).drop_nulls().unique().to_list():
                if (f, v) not in self.fields:
                    if len(self.fields) >= SPELLING_CACHE_SIZE:
                        self.fields.clear()
                    self.fields[(f, v)] = self._field_code(f, v)
        # Per indicator column, "present" as a boolean column: where every spelling in
        # the column means present (the usual "x" or a source), that is "not empty".
        codes = []
        bad = []
        for h, name, values in zip(self.indicators, names, spellings, strict=True):
            meaning = {v: self.cells.get(v, _BAD) for v in values}
            if all(m == _PRESENT for m in meaning.values()):
                present = pl.col(name).is_not_null()
            else:
                present = pl.col(name).is_in([v for v, m in meaning.items() if m == _PRESENT])
            codes.append(present.alias(self.code[h]))
            wrong = [v for v, m in meaning.items() if m == _BAD]
            if wrong:
                bad.append(pl.col(name).is_in(wrong))

        def field(name: str, empty: int) -> pl.Expr:
            if name not in col:
                return pl.lit(empty, dtype=pl.Int32)
            table = {v: c for (f, v), c in self.fields.items() if f == name}
            table[""] = empty
            return (
                pl.col(self.names[col[name]])
                .fill_null("")
                .replace_strict(table, default=-1, return_dtype=pl.Int32)
            )

        if "indicators" in col:
            bad.append(pl.col(self.names[col["indicators"]]).is_not_null())
        if "ref" in col:
            ref = pl.col(self.names[col["ref"]])
            bad.append(
                ref.is_not_null()
                & ((ref.str.len_chars() > engine_max_ref()) | ref.str.contains(r"[\\\x00-\x1f]"))
            )
            ref_json = (
                pl.when(ref.is_null())
                .then(pl.lit("null"))
                .otherwise(pl.concat_str([pl.lit('"'), ref, pl.lit('"')]))
            )
        else:
            ref_json = pl.lit("null")
        n_graded, n_criteria = len(self.graded), len(self.criteria)

        def count(keys: Sequence[str]) -> pl.Expr:
            terms = [pl.col(self.code[k]).cast(pl.Int64) for k in keys if k in self.code]
            return pl.sum_horizontal(terms) if terms else pl.lit(0, dtype=pl.Int64)

        facts = df.with_columns(codes).select(
            [
                field("age", -3).alias("age"),  # -3: no age
                field("age_uncertain_may_be_child", 0).alias("uncertain"),
                field("self_identifies_as_victim", 0).alias("self_identifies"),
                field("forms", self._empty_forms()).alias("forms"),
                field("act", 0).alias("act"),
                field("means", 0).alias("means"),
                field("purpose", 0).alias("purpose"),
                pl.any_horizontal(bad).alias("bad") if bad else pl.lit(False).alias("bad"),
                ref_json.alias("ref_json"),
                *[_bits(terms).alias(f"w{w}") for w, terms in enumerate(self.words)],
                *self.codes_kept(),
                *[
                    (count(g[0]) * 4096 + count(g[1]) * 64 + count(g[2])).alias(f"d{number}")
                    for number, (_n, _s, _d, g) in enumerate(self.dimensions)
                ],
                *[count(keys).alias(f"v{n}") for n, keys in enumerate(self.severe)],
            ]
        )
        child = (pl.col("uncertain") == 1) | ((pl.col("age") >= 0) & (pl.col("age") < 18))
        facts = facts.with_columns(
            (
                pl.col("bad")
                | (pl.col("age") == -1)
                | (pl.col("uncertain") < 0)
                | (pl.col("self_identifies") < 0)
                | (pl.col("forms") < 0)
                | (pl.col("act") < 0)
                | (pl.col("means") < 0)
                | (pl.col("purpose") < 0)
            ).alias("bad"),
            (pl.col("forms") * 2 + child.cast(pl.Int32)).alias("plan"),
        )
        plans = facts.filter(~pl.col("bad")).get_column("plan").unique().to_list()
        for p in plans:
            self._forbidden(p)

        def by_plan(table: dict[int, Any], dtype: Any) -> pl.Expr:
            return pl.col("plan").replace_strict(
                {p: table[p] for p in plans}, default=0, return_dtype=dtype
            )

        # An indicator outside the lists for this person's age group and forms.
        if plans and self.words:
            outside = pl.any_horizontal(
                [
                    (pl.col(f"w{w}") & by_plan({p: self.forbidden[p][w] for p in plans}, _U64)) != 0
                    for w in range(len(self.words))
                ]
            )
            facts = facts.with_columns((pl.col("bad") | outside).alias("bad"))
        # Which lists each row's plan uses; what the lists do not use counts for nothing.
        uses = [
            by_plan({p: int(s in self._plan_sets(p)) for p in plans}, pl.Int64).alias(f"u{n}")
            for n, s in enumerate(self.catalogue.sets)
        ]
        facts = facts.with_columns(uses)
        set_number = {id(s): n for n, s in enumerate(self.catalogue.sets)}
        facts = facts.with_columns(
            [
                (pl.col(f"d{number}") * pl.col(f"u{set_number[id(s)]}")).alias(f"d{number}")
                for number, (_n, s, _d, _g) in enumerate(self.dimensions)
            ]
            + [
                (pl.col(f"v{n}") * pl.col(f"u{set_number[id(s)]}") > 0).alias(f"v{n}")
                for n, s in enumerate(self.graded)
            ]
            + [
                (self._criteria_code(n, plans, by_plan) * pl.col(f"u{set_number[id(s)]}")).alias(
                    f"r{n}"
                )
                for n, s in enumerate(self.criteria)
            ]
        ).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"))
        valid = facts.filter(~pl.col("bad"))
        # Each dimension's positive, once per distinct count of grades, by the engine on
        # a row that has those counts.
        positive_cols = []
        for number, (_n, s, d, _g) in enumerate(self.dimensions):
            table: dict[int, int] = {}
            for code, i in (
                valid.unique(subset=[f"d{number}"], keep="first")
                .select([f"d{number}", "i"])
                .iter_rows()
            ):
                table[code] = _bounded_get(
                    self.positive,
                    (number, code),
                    lambda s=s, d=d, i=i: self._dimension_positive(df.row(i), s, d),  # type: ignore[misc]
                    DIMENSION_CACHE_SIZE,
                )
            positive_cols.append(
                pl.col(f"d{number}").replace_strict(table, default=0, return_dtype=pl.Int64)
                * (1 << d)
            )
        criteria_cols = []
        for n, s in enumerate(self.criteria):
            table = {}
            for plan, code, i in (
                valid.unique(subset=["plan", f"r{n}"], keep="first")
                .select(["plan", f"r{n}", "i"])
                .iter_rows()
            ):
                table[plan << 48 | code] = _bounded_get(
                    self.criteria_met,
                    (n, plan, code),
                    lambda s=s, plan=plan, i=i: self._criteria_all_met(df.row(i), s, plan),  # type: ignore[misc]
                    DIMENSION_CACHE_SIZE,
                )
            criteria_cols.append(
                (pl.col("plan").cast(pl.Int64) * (1 << 48) + pl.col(f"r{n}"))
                .replace_strict(table, default=0, return_dtype=pl.Int8)
                .alias(f"c{n}")
            )
        per_set: list[pl.Expr] = []
        for n_set in range(n_graded):
            mine = [number for number, (n, _s, _d, _g) in enumerate(self.dimensions) if n == n_set]
            per_set.append(
                pl.sum_horizontal([positive_cols[number] for number in mine]).alias(f"p{n_set}")
            )
            per_set.append(
                pl.any_horizontal([pl.col(f"d{number}") != 0 for number in mine]).alias(f"a{n_set}")
            )
        any_present = pl.any_horizontal(
            [pl.col(f"w{w}") != 0 for w in range(len(self.words))] or [pl.lit(False)]
        )
        key_columns = [
            "plan",
            "self_identifies",
            "act",
            "means",
            "purpose",
            "any",
            *[f"p{n}" for n in range(n_graded)],
            *[f"a{n}" for n in range(n_graded)],
            *[f"v{n}" for n in range(n_graded)],
            *[f"c{n}" for n in range(n_criteria)],
        ]
        keyed = facts.with_columns([*per_set, *criteria_cols, any_present.alias("any")]).select(
            ["i", "bad", "ref_json", *key_columns]
        )
        # One result per class: a row of the class screened by the engine itself.
        firsts = (
            keyed.filter(~pl.col("bad"))
            .unique(subset=key_columns, keep="first", maintain_order=True)
            .select(["i", *key_columns])
        )
        results: list[str | None] = []
        for row in firsts.iter_rows():
            key = row[1:]
            results.append(
                _bounded_get(
                    self.classes,
                    key,
                    lambda i=row[0]: self._screen_row(df.row(i)),  # type: ignore[misc]
                    CLASS_CACHE_SIZE,
                )
            )
        classes = firsts.select(key_columns).with_columns(
            pl.Series("compact", results, dtype=pl.String)
        )
        joined = keyed.join(classes, on=key_columns, how="left", maintain_order="left")
        lines = pl.Series("line", numbers, dtype=pl.Int64)
        out = joined.select(
            pl.when(~pl.col("bad") & pl.col("compact").is_not_null())
            .then(
                pl.concat_str(
                    [
                        pl.lit('{"line":'),
                        lines.cast(pl.String),
                        pl.lit(',"ref":'),
                        pl.col("ref_json"),
                        pl.lit(',"result":'),
                        pl.col("compact"),
                        pl.lit("}"),
                    ]
                )
            )
            .alias("out")
        ).get_column("out")
        # Every other row through the reference path, on its own line.
        unusual = (
            joined.select(pl.col("bad") | pl.col("compact").is_null())
            .to_series()
            .arg_true()
            .to_list()
        )
        ok = n_rows - len(unusual)
        errors: list[tuple[int, bytes]] = []
        positions: list[int] = []
        lines_out: list[str] = []
        for n in unusual:
            result, error = reference(n)
            if result is not None:
                positions.append(n)
                lines_out.append(result[:-1].decode())  # without its newline
            else:
                assert error is not None
                errors.append((numbers[n], error))
        if positions:
            ok += len(positions)
            out = out.scatter(positions, lines_out)
        text = out.drop_nulls()
        body = (str(text.str.join("\n").item()) + "\n").encode() if len(text) else b""
        return ok, body, errors

    def codes_kept(self) -> list[pl.Expr]:
        """The indicator codes, kept for the criteria counts."""
        return [pl.col(c) for c in self.code.values()]

    def _plan_sets(self, plan: int) -> tuple[IndicatorSet, ...]:
        forms = self.forms_of[plan >> 1]
        group: Any = "child" if plan & 1 else "adult"
        return self.catalogue.select(group, forms).sets if forms else ()

    def _criteria_code(self, n: int, plans: list[int], by_plan: Any) -> pl.Expr:
        """Per criterion, how many of its own indicators are present (6 bits) and how many
        of those that also meet it, among the graded lists of the row's plan (6 bits)."""
        code = pl.lit(0, dtype=pl.Int64)
        for c, (own, also) in enumerate(self.criteria_parts[n]):
            own_count = [pl.col(self.code[k]).cast(pl.Int64) for k in own if k in self.code]
            also_count = [
                pl.col(self.code[k]).cast(pl.Int64)
                * by_plan({p: int(k in self._graded_keys(p)) for p in plans}, pl.Int64)
                for k in also
                if k in self.code
            ]
            if own_count:
                code = code + pl.sum_horizontal(own_count) * (1 << (12 * c + 6))
            if also_count:
                code = code + pl.sum_horizontal(also_count) * (1 << (12 * c))
        return code

    def _graded_keys(self, plan: int) -> frozenset[str]:
        return frozenset(
            i.key for s in self._plan_sets(plan) if s.kind != "criteria" for i in s.indicators
        )

    def _present(self, cells: tuple[Any, ...]) -> dict[str, None]:
        """The indicators present in a row (from its cells), in header order."""
        position = self.position
        return {
            h: None
            for h in self.indicators
            if self.cells.get(cells[position[h]] or "", _ABSENT) == _PRESENT
        }

    def _dimension_positive(self, cells: tuple[Any, ...], s: IndicatorSet, d: int) -> bool:
        present = self._present(cells)
        keys = sorted(
            (k for k in present if s.locations.get(k, (-1,))[0] == d),
            key=lambda k: s.locations[k][1],
        )
        return engine._dimension_finding(s, d, tuple((k, None) for k in keys))[0].positive

    def _criteria_all_met(self, cells: tuple[Any, ...], s: IndicatorSet, plan: int) -> bool:
        """As engine.evaluate reads a criteria list: with the graded lists' labels and
        grades of the indicators present."""
        observed = {k: engine.ObservedIndicator(k) for k in self._present(cells)}
        graded: dict[str, tuple[str, Any]] = {}
        for g in self._plan_sets(plan):
            if g.kind == "indicators":
                for key in observed:
                    ind = g.indicator(key)
                    if ind is not None and key not in graded:
                        graded[key] = (ind.label, ind.grade)
        return engine._evaluate_criteria_set(s, observed, graded, []).outcome_positive

    def _empty_forms(self) -> int:
        return self._field_code("forms", "")

    def _screen_row(self, cells: tuple[Any, ...]) -> str | None:
        """The compact result of one row by the reference engine (None: the row is
        invalid after all, so its class goes to the reference path row by row)."""
        mapping = {h: v for h, v in zip(self.header, cells, strict=False) if v is not None}
        try:
            return compact_json(self.fast.result_json(mapping)).decode()
        except ScreeningInputError:
            return None


def engine_max_ref() -> int:
    from palermo.screening.batch import MAX_REF_LENGTH

    return MAX_REF_LENGTH


__all__ = ["CHUNK_ROWS", "CompactCsvScreener", "Unsupported"]
