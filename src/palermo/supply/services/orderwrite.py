"""The database write of a screened order file: ``COPY`` on PostgreSQL, ``executemany`` of
one plain ``INSERT`` on SQLite (issue 18: a million lines at ≥ 50,000 lines/s, write included).

Why not ``bulk_create``: it builds a model instance per line, prepares every field of
every instance through ``get_db_prep_save``, and on PostgreSQL (Django 5.2's ``UNNEST``
form, client-side binding) escapes each JSON text inside an array literal with a regular
expression; on the benchmark's files that was nine tenths of the import. Here each row is
a tuple of the values ``bulk_create`` would bind, in the order of ``COLUMNS``: the values
that are the same for the whole file (organisation, batch, the time) are prepared
once by the field itself, the JSON texts are built once per distinct value (the two JSON
columns repeat across a file: a line's reasons are shared with every line of the same
facts) and only the exposure is spliced in per line. A differential test
(``tests/supply/test_supply_orderwrite.py``) imports the same files through both paths, on
SQLite and on PostgreSQL, and compares every stored column.

The statements are made only from ``_SQL`` and the model's own table and column names
(quoted by the database driver); every value is a bound parameter or a ``COPY`` row, never
part of the statement. The caller holds the transaction: all or nothing.

Not pure: Django's connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import polars as pl
from django.db import connection
from django.db.models import Field

from palermo.supply import orderframe, orders, vocabulary
from palermo.supply.models import ImportBatch, OrderLine, Supplier
from palermo.supply.risk import Reason, Result, resolve_good

# The stored columns, by model field name, in the order of each row's values.
COLUMNS: Final[tuple[str, ...]] = (
    "organisation",
    "batch",
    "ref",
    "supplier_name",
    "supplier",
    "contract",
    "origin_country",
    "good",
    "product_code",
    "value",
    "share",
    "characteristics",
    "level",
    "score",
    "exposure",
    "result",
    "screened_at",
)

# The only statement texts: {table} and {columns} are the model's quoted names, {params} a
# placeholder per column.
_SQL: Final[dict[str, str]] = {
    "insert": "INSERT INTO {table} ({columns}) VALUES ({params})",
    "copy": "COPY {table} ({columns}) FROM STDIN",
}


def _names() -> tuple[str, list[str]]:
    meta = OrderLine._meta
    return meta.db_table, [_field(name).column for name in COLUMNS]


def _field(name: str) -> Field[Any, Any]:
    field = OrderLine._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def insert_statement() -> str:
    """The SQLite (and any other database's) statement: one row of bound parameters."""
    table, columns = _names()
    quote = connection.ops.quote_name
    return _SQL["insert"].format(
        table=quote(table),
        columns=", ".join(map(quote, columns)),
        params=", ".join(["%s"] * len(columns)),
    )


def copy_statement() -> Any:
    """PostgreSQL's ``COPY … FROM STDIN`` with the names quoted by psycopg."""
    from psycopg import sql

    table, columns = _names()
    return sql.SQL(_SQL["copy"]).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
    )


def _reasons_json(reasons: tuple[Reason, ...]) -> list[dict[str, object]]:
    return [
        {
            "code": r.code,
            "points": r.points,
            "template": r.template,
            "params": dict(r.params),
            "source": r.source,
        }
        for r in reasons
    ]


class RowMaker:
    """Turns (line, result) pairs into the rows ``COLUMNS`` names, as ``bulk_create`` would
    bind them (the JSON columns as ``json.dumps`` writes them, which Django does too)."""

    def __init__(
        self,
        *,
        organisation_id: int,
        batch: ImportBatch,
        suppliers: dict[str, Supplier],
        contracts: dict[str, int],
        crosswalk: dict[str, str],
        now: datetime,
    ) -> None:
        self.organisation_id = organisation_id
        self.batch_id = batch.pk
        self.screened_at = _field("screened_at").get_db_prep_save(now, connection)
        self.supplier_ids = {cid: s.pk for cid, s in suppliers.items()}
        self.contracts = contracts
        self.crosswalk = crosswalk
        self.goods: dict[tuple[str, str], str] = {}
        self.characteristics: dict[frozenset[str], str] = {}
        # (level, score, rule, id(reasons)) → (the reasons, the JSON before and after the
        # exposure); the same texts by the reasons' value
        self.results: dict[tuple[str, int, str, int], tuple[tuple[Reason, ...], str, str]] = {}
        self.texts: dict[tuple[str, int, str, tuple[Reason, ...]], tuple[str, str]] = {}

    def _result_parts(self, res: Result) -> tuple[str, str]:
        key = (res.level, res.score, res.rule, id(res.reasons))
        held = self.results.get(key)
        if held is None or held[0] is not res.reasons:
            # Equal reasons reached through different facts are separate tuples: their
            # JSON is made once per distinct value.
            same = (res.level, res.score, res.rule, res.reasons)
            parts = self.texts.get(same)
            if parts is None:
                head = json.dumps({"level": res.level, "score": res.score})[:-1]
                tail = json.dumps({"rule": res.rule, "reasons": _reasons_json(res.reasons)})[1:]
                parts = self.texts[same] = (head + ', "exposure": "', '", ' + tail)
            held = self.results[key] = (res.reasons, *parts)
        return held[1], held[2]

    def rows(
        self, chunk: Sequence[tuple[orders.OrderLine, Result]], levels: dict[str, int]
    ) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        append = out.append
        goods, chars, crosswalk = self.goods, self.characteristics, self.crosswalk
        supplier_ids, contracts = self.supplier_ids, self.contracts
        org, batch, at = self.organisation_id, self.batch_id, self.screened_at
        for line, res in chunk:
            key = (line.good, line.product_code)
            good = goods.get(key)
            if good is None:
                good = goods[key] = resolve_good(line.good, line.product_code, crosswalk)[:200]
            characteristics = chars.get(line.characteristics)
            if characteristics is None:
                characteristics = chars[line.characteristics] = json.dumps(
                    sorted(line.characteristics)
                )
            head, tail = self._result_parts(res)
            levels[res.level] += 1
            append(
                (
                    org,
                    batch,
                    f"{line.order_ref}/{line.line}" if line.line else line.order_ref,
                    line.supplier_name,
                    supplier_ids.get(line.supplier_company_id),
                    contracts.get(line.contract_ref),
                    line.origin_country,
                    good,
                    line.product_code,
                    line.value,
                    line.share,
                    characteristics,
                    res.level,
                    res.score,
                    res.exposure,
                    f"{head}{res.exposure}{tail}",
                    at,
                )
            )
        return out


def write(chunks: Iterable[list[tuple[Any, ...]]]) -> int:
    """Write every chunk's rows in the caller's transaction; the number of chunks written."""
    written = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(copy_statement()) as copy:
                for rows in chunks:
                    for row in rows:
                        copy.write_row(row)
                    written += 1
        return written
    statement = insert_statement()
    with connection.cursor() as cursor:
        for rows in chunks:
            cursor.executemany(statement, rows)
            written += 1
    return written


def chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- PostgreSQL: the COPY text made from the screened columns ------------------------------


def _copy_escaped(expr: pl.Expr) -> pl.Expr:
    """A text as COPY's text format reads it back: backslash, tab, newline, carriage return
    escaped (a null is written as ``\\N`` by the caller)."""
    return (
        expr.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
    )


class FrameRows:
    """The COPY rows of ``orderframe.Screened`` lines, made column by column: the same values
    ``RowMaker`` gives ``write_row`` (the same texts, the same JSON), without a Python
    object per line (issue 18: a million lines). Differential test:
    ``tests/supply/test_supply_orderwrite.py``."""

    def __init__(self, maker: RowMaker, screened: orderframe.Screened) -> None:
        self.maker = maker
        self.screened = screened
        checked = screened.checked
        f = screened.frame
        chars = {key: json.dumps(sorted(value)) for key, value in checked.characteristics.items()}
        reasons = screened.reasons
        parts = f.select("level", "score", "reasons").unique().rows()
        heads, tails = [], []
        for level, score, at in parts:
            result = Result(level, score, reasons[at], Decimal(0))
            head, tail = maker._result_parts(result)
            heads.append(head)
            tails.append(tail)
        texts = pl.DataFrame(
            {
                "level": [x[0] for x in parts],
                "score": [x[1] for x in parts],
                "reasons": [x[2] for x in parts],
                "head": heads,
                "tail": tails,
            },
            schema={
                "level": pl.String,
                "score": pl.Int64,
                "reasons": pl.Int64,
                "head": pl.String,
                "tail": pl.String,
            },
        )
        suppliers = maker.supplier_ids
        exposure = _cents(pl.col("exposure"))
        self.frame = f.join(
            texts, on=["level", "score", "reasons"], how="left", maintain_order="left"
        ).select(
            pl.lit(str(maker.organisation_id)).alias("organisation"),
            pl.lit(str(maker.batch_id)).alias("batch"),
            _copy_escaped(
                pl.when(pl.col("line").str.len_bytes() > 0)
                .then(pl.concat_str(pl.col("order_ref"), pl.lit("/"), pl.col("line")))
                .otherwise(pl.col("order_ref"))
            ).alias("ref"),
            _copy_escaped(pl.col("supplier_name")).alias("supplier_name"),
            pl.col("supplier_company_id")
            .replace_strict(
                list(suppliers),
                [str(v) for v in suppliers.values()],
                default=None,
                return_dtype=pl.String,
            )
            .alias("supplier"),  # fmt: skip
            pl.col("contract_ref")
            .replace_strict(
                list(maker.contracts),
                [str(v) for v in maker.contracts.values()],
                default=None,
                return_dtype=pl.String,
            )
            .alias("contract"),  # fmt: skip
            _copy_escaped(pl.col("origin_country")).alias("origin_country"),
            _copy_escaped(pl.col("good_resolved").str.slice(0, 200)).alias("good"),
            _copy_escaped(pl.col("product_code")).alias("product_code"),
            _cents(pl.col("cents")).alias("value"),
            pl.col("share"),
            _copy_escaped(
                pl.col("characteristics").replace_strict(chars, return_dtype=pl.String)
            ).alias("characteristics"),
            pl.col("level"),
            pl.col("score").cast(pl.String),
            exposure.alias("exposure"),
            _copy_escaped(pl.concat_str(pl.col("head"), exposure, pl.col("tail"))).alias("result"),
            pl.lit(maker.screened_at.isoformat()).alias("screened_at"),
        )
        assert tuple(self.frame.columns) == COLUMNS

    def levels(self) -> dict[str, int]:
        counts = dict(self.screened.frame["level"].value_counts().iter_rows())
        return {level: int(counts.get(level, 0)) for level in vocabulary.LEVELS}

    def chunk_text(self, start: int, size: int) -> bytes:
        """Lines ``start`` to ``start + size`` as COPY text: tab between values, ``\\N`` for
        a null, a line each."""
        part = self.frame.slice(start, size)
        return part.write_csv(
            separator="\t",
            include_header=False,
            quote_style="never",
            null_value="\\N",
            line_terminator="\n",
        ).encode()


def _cents(expr: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        (expr // 100).cast(pl.String), pl.lit("."), (expr % 100).cast(pl.String).str.zfill(2)
    )


def write_frame(rows: FrameRows, chunk: int) -> int:
    """PostgreSQL: every line in one ``COPY``, sent ``chunk`` lines at a time; the number of
    chunks sent."""
    assert connection.vendor == "postgresql"
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(copy_statement()) as copy:
            for start in range(0, rows.frame.height, chunk):
                copy.write(rows.chunk_text(start, chunk))
                written += 1
    return written
