"""Purchase-order files read, checked and screened as columns (polars).

Issue 18 asks for a million purchase-order lines screened at 50,000 lines/s or more: the
whole path a user runs — read the file, check every cell, screen, write the results.
Row by row in Python (``orders.preview`` with ``tables.parse``, ``orders.screen_lines``)
that was 19,000–45,000 lines/s. Here:

* **Reading.** A CSV file without a quote character, NUL or lone carriage return (what a
  spreadsheet or an ERP writes when no cell holds a comma or a line break) is one row per
  physical line, cells split on commas: exactly what Python's ``csv`` module reads, line
  numbers included, so polars splits it. Any other file (XLSX, quoted cells, a cell longer
  than the ``csv`` module's limit, not UTF-8) is read by ``tables.read_table`` as before
  and checked the same way from there.
* **Checking.** Each column is checked by vectorised expressions (Python's own whitespace
  for ``strip``, the apostrophe of a neutralised cell, lengths, required cells, amounts by
  the regular expression of ``orders.fast_table``), and the columns with few distinct
  values — country, product code, share, characteristics — once per distinct value,
  through ``orders.check_row`` itself. A row that is not certainly clean (any failed check,
  a row of another width, …) goes through ``orders.check_row``, which names every error:
  the messages have one source, so the errors are the reference's (property test:
  ``tests/supply/test_supply_orderframe.py``).
* **Screening.** The risk rule reads a line's country, good (resolved through the
  crosswalk), characteristics, its supplier's evidence and exclusion, and whether the
  value reaches the large-spend threshold. Each distinct combination goes once through
  ``risk.screen`` — the one rule interpreter — and its level, score and reasons are
  joined back to the lines; the exposure (value × share, rounded half-even to the cent,
  as ``Decimal.quantize`` does) is integer arithmetic on cents, or ``Decimal`` for a
  share with more than six decimals.

``Screened.pairs`` builds the ``(OrderLine, Result)`` pairs the services keep; the results
file (``results_csv``) is written from the columns.

Pure: no Django imports.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import IO, Any, Final

import polars as pl

from palermo.core.spreadsheet import spreadsheet_safe, spreadsheet_unescape
from palermo.supply import orders, tables, vocabulary
from palermo.supply.risk import (
    RULE_VERSION,
    LineFacts,
    Reason,
    Result,
    RiskIndex,
    resolve_good,
    screen,
)
from palermo.supply.tables import Preview, RowError, p

_ = tables._

TEXTS: Final[dict[str, int]] = orders._LIMITS  # text column → its length limit
PROBED: Final[tuple[str, ...]] = ("origin_country", "product_code", "share", "characteristics")
ALL_COLUMNS: Final[tuple[str, ...]] = (*orders.REQUIRED, *orders.OPTIONAL)
CSV_FIELD_LIMIT: Final = 131_072  # csv.field_size_limit()'s default: a longer cell is refused
_AMOUNT: Final = r"^[0-9]{1,13}(?:\.[0-9]{1,2})?$"  # orders._AMOUNT
_ESCAPED: Final[list[str]] = ["=", "+", "-", "@", "\t", "\r", "'"]  # spreadsheet_unescape's
_LARGE_CENTS: Final = 10_000_000  # risk.LARGE_SPEND in cents
_EXACT_SHARE_DIGITS: Final = 6  # a share with more decimals: its exposure through Decimal
_NO: Final = orders._NO


@cache
def whitespace() -> str:
    """The characters ``str.strip()`` removes (``str.isspace``), for polars' ``strip_chars``:
    Unicode's White_Space and, for Python, the separators U+001C–U+001F too."""
    return "".join(c for c in map(chr, range(0x10000)) if c.isspace())  # none above the BMP


def _strip(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars(whitespace())


def _unescape(expr: pl.Expr) -> pl.Expr:
    """``spreadsheet_unescape`` on a column."""
    return (
        pl.when(expr.str.starts_with("'") & expr.str.slice(1, 1).is_in(_ESCAPED))
        .then(expr.str.slice(1))
        .otherwise(expr)
    )


# --- reading ------------------------------------------------------------------------------


def _simple_text(data: bytes, name: str) -> str | None:
    """The file's text when the ``csv`` module would read it as one row per line, cells
    split on commas (no quote character, no NUL, every carriage return ending a line)."""
    if name.lower().endswith(".xlsx") or b'"' in data or b"\0" in data:
        return None
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return text


def _split(text: str) -> pl.DataFrame | None:
    """(row: the line number, cells: the stripped cells) of each line with a cell that is
    not blank; None when a line is longer than the ``csv`` module takes in a cell (its
    error is then the reference reader's)."""
    lines = (
        pl.DataFrame({"text": [text]})
        .select(pl.col("text").str.split("\n"))
        .explode("text")
        .with_row_index("row", offset=1)
        .with_columns(pl.col("text").str.strip_suffix("\r"))
    )
    if lines.height and lines["text"].str.len_chars().max() > CSV_FIELD_LIMIT:  # type: ignore[operator]
        return None
    # A row is skipped when every cell is blank: when the line is only commas and whitespace.
    kept = lines.filter(pl.col("text").str.strip_chars(whitespace() + ",").str.len_bytes() > 0)
    return kept.select(
        pl.col("row").cast(pl.Int64),
        pl.col("text").str.split(",").list.eval(_strip(pl.element())).alias("cells"),
    )


# --- the preview ------------------------------------------------------------------------


@dataclass
class FramePreview:
    """A checked file as columns: ``frame`` holds the rows without an error (see
    ``_frame``), ``errors`` every error as ``orders.preview`` names them."""

    frame: pl.DataFrame
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    shares: dict[str, Decimal] = field(default_factory=dict)
    characteristics: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.frame.height > 0

    def lines(self) -> list[orders.OrderLine]:
        """The rows as ``orders.OrderLine`` (what ``orders.preview`` gives as ``rows``)."""
        f = self.frame
        if not f.height:
            return []
        cols = [f[c].to_list() for c in _LINE_COLUMNS]
        cols[9] = list(map(Decimal, cols[9]))
        cols[10] = list(map(self.shares.__getitem__, cols[10]))
        cols[11] = list(map(self.characteristics.__getitem__, cols[11]))
        return list(map(tuple.__new__, repeat(orders.OrderLine), zip(*cols, strict=True)))

    def preview(self) -> Preview[orders.OrderLine]:
        return Preview(rows=self.lines(), errors=list(self.errors), total_rows=self.total_rows)

    def drop_rows(self, bad: set[int]) -> None:
        if bad:
            self.frame = self.frame.filter(~pl.col("row").is_in(sorted(bad)))


# The frame's columns, in OrderLine's order (``value`` the text its Decimal is made from,
# ``share`` and ``characteristics`` keys of FramePreview's dicts), then the value in cents.
_LINE_COLUMNS: Final[tuple[str, ...]] = orders.OrderLine._fields
_SCHEMA: Final[dict[str, Any]] = {
    **{c: pl.String for c in _LINE_COLUMNS},
    "row": pl.Int64,
    "cents": pl.Int64,
}


def _share_key(share: Decimal) -> str:
    return str(share)


def _chars_key(chars: frozenset[str]) -> str:
    return ";".join(sorted(chars))


def frame_from_lines(lines: Sequence[orders.OrderLine], out: FramePreview) -> pl.DataFrame:
    """Checked ``OrderLine`` records (a row ``check_row`` accepted, an OCDS line) as frame
    rows, their shares and characteristics registered in ``out``."""
    for line in lines:
        out.shares.setdefault(_share_key(line.share), line.share)
        out.characteristics.setdefault(_chars_key(line.characteristics), line.characteristics)
    data: dict[str, list[Any]] = {c: [getattr(r, c) for r in lines] for c in _LINE_COLUMNS}
    data["value"] = [str(r.value) for r in lines]
    data["share"] = [_share_key(r.share) for r in lines]
    data["characteristics"] = [_chars_key(r.characteristics) for r in lines]
    data["cents"] = [int(r.value.scaleb(2)) for r in lines]
    return pl.DataFrame(data, schema=_SCHEMA).select(*_LINE_COLUMNS, "cents")


def from_lines(lines: Sequence[orders.OrderLine], preview: Preview[Any]) -> FramePreview:
    """A preview made elsewhere (an OCDS file) as columns."""
    out = FramePreview(pl.DataFrame(schema=_SCHEMA), list(preview.errors), preview.total_rows)
    out.frame = frame_from_lines(lines, out)
    return out


def preview(data: bytes, name: str, *, max_rows: int = tables.MAX_ROWS) -> FramePreview:
    """``orders.preview`` as columns: the same rows (``lines()``), the same errors."""
    out = FramePreview(pl.DataFrame(schema=_SCHEMA))
    _read_and_check(out, data, name, max_rows)
    _check_repeats(out)
    return out


def _read_and_check(out: FramePreview, data: bytes, name: str, max_rows: int) -> None:
    text = _simple_text(data, name)
    split = _split(text) if text is not None else None
    if text is not None and split is not None:
        escaped = "'" in text
        table = split
    else:  # read by the reference reader, which strips and unescapes every cell
        escaped = False
        try:
            rows = tables.read_table(data, name)
        except Exception:  # the reference names the error (not UTF-8, not a spreadsheet, …)
            ref = orders.preview(data, name, max_rows=max_rows)
            out.errors, out.total_rows = ref.errors, ref.total_rows
            out.frame = frame_from_lines(ref.rows, out)
            return
        table = pl.DataFrame(
            {"row": [n for n, _c in rows], "cells": [c for _n, c in rows]},
            schema={"row": pl.Int64, "cells": pl.List(pl.String)},
        )
    if not table.height:
        out.errors.append(RowError(1, "", _("The file is empty.")))
        return
    header_line = int(table["row"][0])
    header = table["cells"][0].to_list()
    if escaped:
        header = [str(spreadsheet_unescape(c)) for c in header]
    body = table.slice(1)
    if not _header_ok(out, header_line, header, body.height, max_rows):
        return
    index = {n: i for i, n in enumerate(_names(header)) if n}
    width = len(header)
    columns = [pl.col("row")]
    for col in ALL_COLUMNS:
        at = index.get(col)
        cell = pl.col("cells").list.get(at) if at is not None else pl.lit("", pl.String)
        columns.append((_unescape(cell) if escaped and at is not None else cell).alias(col))
    same_width = body.filter(pl.col("cells").list.len() == width).select(columns)
    checked = _check_columns(same_width, out, restrip=escaped)
    unsure = body.join(checked.select("row"), on="row", how="anti", maintain_order="left")
    rest = _check_rows(unsure, width, index, out, escaped=escaped)
    out.total_rows = body.height
    out.frame = checked
    if rest:
        out.frame = pl.concat([checked, frame_from_lines(rest, out)]).sort("row")
    if out.total_rows == 0:
        out.errors.append(RowError(header_line, "", _("The file has a header but no rows.")))


def _names(header: list[str]) -> list[str]:
    return [h.strip().lower() for h in header]


def _header_ok(
    out: FramePreview, header_line: int, header: list[str], rows: int, max_rows: int
) -> bool:
    out.errors.extend(
        tables._header_errors(header_line, _names(header), orders.REQUIRED, orders.OPTIONAL)
    )
    if out.errors:
        return False
    if rows > max_rows:
        out.errors.append(
            RowError(header_line, "", _("At most %(n)s rows per file."), p(n=max_rows))
        )
        return False
    return True


def _check_columns(cells: pl.DataFrame, out: FramePreview, *, restrip: bool) -> pl.DataFrame:
    """The rows certainly clean, as frame rows. The cells come stripped; ``restrip`` when an
    unescaped cell may have whitespace again at its ends (``tables.text`` strips again)."""
    ok = pl.lit(True)
    exprs: list[pl.Expr] = [pl.col("row")]
    for name, limit in TEXTS.items():
        value = _strip(pl.col(name)) if restrip else pl.col(name)
        exprs.append(value.alias(name))
        ok = ok & (value.str.len_chars() <= limit)
        if name in orders.REQUIRED:
            ok = ok & (value.str.len_bytes() > 0)
    for name in PROBED:
        mapped, fine = _probe_column(cells[name], name, out)
        exprs.append(mapped.alias(name))
        ok = ok & fine
    amount = _strip(pl.col("value")) if restrip else pl.col("value")
    ok = ok & amount.str.contains(_AMOUNT)
    exprs.append(amount.alias("value"))
    framed = cells.select(*exprs, ok.alias("ok"))
    clean = framed.filter(pl.col("ok"))
    whole = clean["value"].str.split_exact(".", 1).struct.rename_fields(["units", "frac"])
    cents = whole.struct.field("units").cast(pl.Int64) * 100 + whole.struct.field("frac").fill_null(
        ""
    ).str.pad_end(2, "0").cast(pl.Int64)
    return clean.with_columns(cents.alias("cents")).select(*_LINE_COLUMNS, "cents")


def _probe_column(column: pl.Series, name: str, out: FramePreview) -> tuple[pl.Expr, pl.Expr]:
    """The column mapped through ``check_row``'s verdict on each distinct cell (a key for
    shares and characteristics), and whether the row's cell was accepted."""
    keys: dict[str, str] = {}
    rejected: list[str] = []
    for cell in column.unique().to_list():
        made = orders._probe(name, cell)
        if made is _NO:
            rejected.append(cell)
            continue
        if name == "share":
            assert isinstance(made, Decimal)
            key = _share_key(made)
            out.shares.setdefault(key, made)
        elif name == "characteristics":
            assert isinstance(made, frozenset)
            key = _chars_key(made)
            out.characteristics.setdefault(key, made)
        else:
            key = str(made)
        keys[cell] = key
    mapped = pl.col(name).replace_strict(keys, default=None, return_dtype=pl.String)
    return mapped, ~pl.col(name).is_in(rejected) if rejected else pl.lit(True)


def _check_rows(
    rows: pl.DataFrame, width: int, index: dict[str, int], out: FramePreview, *, escaped: bool
) -> list[orders.OrderLine]:
    """The rows not certainly clean, through ``tables.parse``'s row loop: every error named."""
    accepted: list[orders.OrderLine] = []
    for line, raw in rows.iter_rows():
        cells = [str(spreadsheet_unescape(c)) for c in raw] if escaped else raw
        values = {c: (cells[i] if i < len(cells) else "") for c, i in index.items()}
        for c in ALL_COLUMNS:
            values.setdefault(c, "")
        if len(cells) > width and any(x.strip() for x in cells[width:]):
            out.errors.append(RowError(line, "", _("This row has more cells than the header.")))
            continue
        record = orders.check_row(values, line, out.errors)
        if record is not None:
            accepted.append(record)
    return accepted


def _refs(frame: pl.DataFrame) -> pl.Expr:
    return (
        pl.when(pl.col("line").str.len_bytes() > 0)
        .then(pl.concat_str(pl.col("order_ref"), pl.lit("/"), pl.col("line")))
        .otherwise(pl.col("order_ref"))
    )


def _check_repeats(out: FramePreview) -> None:
    """``orders._check_repeats``: a repeated order and line named with the first row."""
    refs = out.frame.select(pl.col("row"), _refs(out.frame).alias("ref"))
    if refs["ref"].n_unique() < refs.height:
        repeated = refs.with_columns(pl.col("row").first().over("ref").alias("first")).filter(
            pl.col("row") != pl.col("first")
        )
        for row, _ref, first in repeated.iter_rows():
            out.errors.append(
                RowError(
                    row, "order_ref", _("The same order and line as row %(row)s."), p(row=first)
                )
            )
    if out.errors:
        out.drop_rows({e.row for e in out.errors})
        out.errors.sort(key=lambda e: (e.row, e.field))


# --- screening ----------------------------------------------------------------------------


@dataclass
class Screened:
    """The screened lines as columns: the preview's frame with ``good_resolved``, ``level``,
    ``score``, ``reasons`` (an index into ``reasons``) and ``exposure`` (cents)."""

    checked: FramePreview
    frame: pl.DataFrame
    reasons: list[tuple[Reason, ...]]

    def pairs(self) -> list[tuple[orders.OrderLine, Result]]:
        """(line, result) in the file's order, as ``orders.screen_lines`` gives them."""
        lines = self.checked.lines()
        if not lines:
            return []
        f = self.frame
        exposures = map(Decimal, _cents_text(f["exposure"]).to_list())
        fields = zip(
            f["level"].to_list(),
            f["score"].to_list(),
            map(self.reasons.__getitem__, f["reasons"].to_list()),
            exposures,
            repeat(RULE_VERSION),
            strict=False,
        )
        results = list(map(tuple.__new__, repeat(Result), fields))
        return list(zip(lines, results, strict=True))


def _cents_text(cents: pl.Series) -> pl.Series:
    """Cents as ``str(Decimal.quantize(Decimal("0.01")))`` writes them (not negative)."""
    frame = pl.DataFrame({"c": cents})
    return frame.select(
        pl.concat_str(
            (pl.col("c") // 100).cast(pl.String),
            pl.lit("."),
            (pl.col("c") % 100).cast(pl.String).str.zfill(2),
        )
    ).to_series()


def screen_frame(
    checked: FramePreview,
    *,
    index: RiskIndex,
    crosswalk: Mapping[str, str],
    evidence: Mapping[str, frozenset[str]],
    excluded: Mapping[str, str],
) -> Screened:
    """Screen every row of ``checked.frame``: each distinct set of the facts the rule reads
    through ``risk.screen`` once, joined back to its lines."""
    f = checked.frame
    goods = f.select("good", "product_code").unique()
    goods = goods.with_columns(
        pl.Series(
            "good_resolved",
            [resolve_good(g, c, crosswalk) for g, c in goods.iter_rows()],
            dtype=pl.String,
        )
    )
    none: frozenset[str] = frozenset()
    companies = f["supplier_company_id"].unique().to_list()
    proofs = {c: evidence.get(c, none) for c in companies}
    proof_of: dict[str, frozenset[str]] = {_chars_key(v): v for v in proofs.values()}
    who = pl.DataFrame(
        {
            "supplier_company_id": companies,
            "evidence": [_chars_key(proofs[c]) for c in companies],
            "barred": [excluded.get(c, "") if c else "" for c in companies],
        },
        schema={"supplier_company_id": pl.String, "evidence": pl.String, "barred": pl.String},
    )
    f = (
        f.join(goods, on=["good", "product_code"], how="left", maintain_order="left")
        .join(who, on="supplier_company_id", how="left", maintain_order="left")
        .with_columns((pl.col("cents") >= _LARGE_CENTS).alias("large"))
    )
    key = ["origin_country", "good_resolved", "characteristics", "evidence", "barred", "large"]
    distinct = f.unique(subset=key, keep="first", maintain_order=True)
    reasons: list[tuple[Reason, ...]] = []
    reason_id: dict[tuple[Reason, ...], int] = {}
    levels, scores, ids = [], [], []
    for row in distinct.select(
        "origin_country", "good_resolved", "value", "share", "characteristics", "evidence",
        "barred",
    ).iter_rows():  # fmt: skip
        country, good, value, share, chars, proof, barred = row
        made = screen(
            LineFacts(
                country,
                good,
                Decimal(value),
                checked.shares[share],
                checked.characteristics[chars],
                proof_of[proof],
                barred,
            ),
            index,
        )
        levels.append(made.level)
        scores.append(made.score)
        ids.append(reason_id.setdefault(made.reasons, len(reason_id)))
        if len(reasons) < len(reason_id):
            reasons.append(made.reasons)
    verdicts = distinct.select(key).with_columns(
        pl.Series("level", levels, dtype=pl.String),
        pl.Series("score", scores, dtype=pl.Int64),
        pl.Series("reasons", ids, dtype=pl.Int64),
    )
    f = f.join(verdicts, on=key, how="left", maintain_order="left", nulls_equal=True)
    f = f.with_columns(_exposures(f, checked.shares).alias("exposure"))
    return Screened(checked, f, reasons)


def _exposures(f: pl.DataFrame, shares: Mapping[str, Decimal]) -> pl.Series:
    """Value × share in cents, rounded half-even (``Decimal.quantize``'s rounding): integer
    arithmetic for a share of at most six decimals, ``Decimal`` for the others."""
    numerators: dict[str, int] = {}
    scales: dict[str, int] = {}
    inexact: list[str] = []
    for key, share in shares.items():
        clamped = min(max(share, Decimal(0)), Decimal(1))
        sign, digits, exponent = clamped.as_tuple()
        assert isinstance(exponent, int)
        if -exponent > _EXACT_SHARE_DIGITS:
            inexact.append(key)
            continue
        numerators[key] = int(clamped.scaleb(max(-exponent, 0)))
        scales[key] = 10 ** max(-exponent, 0)
    i128 = pl.Int128
    num = pl.col("cents").cast(i128) * pl.col("share").replace_strict(
        numerators, default=0, return_dtype=i128
    )
    den = pl.col("share").replace_strict(scales, default=1, return_dtype=i128)
    q, r = num // den, num % den
    up = (r * 2 > den) | ((r * 2 == den) & (q % 2 == 1))
    cents = f.select((q + up.cast(i128)).cast(pl.Int64)).to_series()
    if inexact:
        rows = f.with_row_index("i").filter(pl.col("share").is_in(inexact))
        exact = [
            int(
                (Decimal(v) * min(max(shares[s], Decimal(0)), Decimal(1))).quantize(_CENT).scaleb(2)
            )
            for v, s in rows.select("value", "share").iter_rows()
        ]
        cents = cents.scatter(rows["i"], exact)
    return cents


_CENT: Final = Decimal("0.01")


# --- the results file ---------------------------------------------------------------------

RESULT_COLUMNS: Final[tuple[str, ...]] = (
    "row",
    "ref",
    "supplier_name",
    "supplier_company_id",
    "contract_ref",
    "origin_country",
    "good",
    "product_code",
    "value",
    "share",
    "exposure",
    "level",
    "score",
    "reasons",
    "rule",
    "risk_list",
)


def reasons_text(reasons: tuple[Reason, ...]) -> str:
    """A line's reasons in one cell: ``(+3) … [source]; (+1) …`` (the points in brackets:
    a cell starting with ``+`` would be taken for a formula and neutralised)."""
    return "; ".join(
        f"({r.points:+d}) {r.message}" + (f" [{r.source}]" if r.source else "") for r in reasons
    )


_RISKY: Final = r"^[=+\-@\t\r']"  # a cell spreadsheet_safe may change starts so


def _neutralised(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``spreadsheet_safe`` on text columns: only a cell starting with a formula character
    or an apostrophe can change, so only those go through the function."""
    changed = []
    for name in columns:
        column = frame[name]
        at = column.str.contains(_RISKY).arg_true()
        if len(at):
            safe = [str(spreadsheet_safe(v)) for v in column.gather(at).to_list()]
            changed.append(column.scatter(at, safe))
    return frame.with_columns(changed) if changed else frame


def results_csv(screened: Screened, risk_list: str) -> bytes:
    """``write_results`` into bytes."""
    buffer = io.BytesIO()
    write_results(screened, risk_list, buffer)
    return buffer.getvalue()


def write_results(screened: Screened, risk_list: str, target: str | Path | IO[bytes]) -> None:
    """The screened lines, most severe first (``risk.prioritise``'s order), one CSV row each
    (``RESULT_COLUMNS``), every text cell neutralised against spreadsheet formulas."""
    f = screened.frame
    rank = {level: i for i, level in enumerate(vocabulary.LEVELS)}
    texts = [reasons_text(r) for r in screened.reasons]
    # risk.prioritise's order — level, score, exposure, all descending, then the reference —
    # as two integer keys (a sort on four columns, a text among them, took ten times longer):
    # level and score (|score| < 1024) above the exposure's 50 bits (cents below 10^15 <
    # 2^50), then the reference's rank (polars orders text by code point, as Python does).
    assert f.height == 0 or f["score"].min() > -1024 and f["score"].max() < 1024  # type: ignore[operator]
    f = f.with_columns(_refs(f).alias("ref"))
    severity = (
        pl.col("level").replace_strict(rank, return_dtype=pl.Int64) * 2048 + pl.col("score") + 1024
    ) * (1 << 50) + pl.col("exposure")
    order = f.select(
        pl.arg_sort_by([severity, pl.col("ref").rank("ordinal")], descending=[True, False])
    ).to_series()
    out = f.select(
        "row",
        "ref",
        "supplier_name",
        "supplier_company_id",
        "contract_ref",
        "origin_country",
        pl.col("good_resolved").alias("good"),
        "product_code",
        _cents_expr(pl.col("cents")).alias("value"),
        "share",
        _cents_expr(pl.col("exposure")).alias("exposure"),
        "level",
        "score",
        pl.col("reasons").replace_strict(
            list(range(len(texts))), texts, default="", return_dtype=pl.String
        ),
        pl.lit(RULE_VERSION).alias("rule"),
        pl.lit(str(spreadsheet_safe(risk_list)), pl.String).alias("risk_list"),
    )[order]
    # The cells a person or a file gave; the others are codes, numbers, the rule's version,
    # and reasons, which start with their points in brackets.
    out = _neutralised(out, _GIVEN_TEXTS)
    out.write_csv(target, quote_style="necessary")


_GIVEN_TEXTS: Final[tuple[str, ...]] = (
    "ref",
    "supplier_name",
    "supplier_company_id",
    "contract_ref",
    "good",
    "product_code",
)


def _cents_expr(cents: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        (cents // 100).cast(pl.String), pl.lit("."), (cents % 100).cast(pl.String).str.zfill(2)
    )
