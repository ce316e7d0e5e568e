"""Purchase-order lines from a CSV or XLSX file, checked row by row.

Columns (header row, any order, case-insensitive): ``order_ref``, ``supplier_name``,
``origin_country`` (ISO 3166-1 alpha-2), ``value`` (not negative, at most two decimals)
are required; ``line``, ``supplier_company_id``, ``contract_ref``, ``good`` (in the risk
list's words), ``product_code`` (``hs:6109``, ``cpv:18``, ``unspsc:53``: looked up in the
crosswalk when ``good`` is empty), ``share`` (the component's share of the product, 0–1),
``characteristics`` (any of the six risk characteristics, separated by ``;``) are optional.

Pure: no Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import add, attrgetter
from typing import Final, NamedTuple

from palermo.supply import hscodes, tables, vocabulary
from palermo.supply.risk import (
    LARGE_SPEND,
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

REQUIRED: Final[tuple[str, ...]] = ("order_ref", "supplier_name", "origin_country", "value")
OPTIONAL: Final[tuple[str, ...]] = (
    "line",
    "supplier_company_id",
    "contract_ref",
    "good",
    "product_code",
    "share",
    "characteristics",
)
CODE_SYSTEMS: Final[tuple[str, ...]] = ("hs", "cpv", "unspsc")


class OrderLine(NamedTuple):
    """One checked line. A named tuple, not a dataclass: a million-line file builds a
    million of them, and a tuple is built several times faster (issue 18)."""

    row: int
    order_ref: str
    line: str
    supplier_name: str
    supplier_company_id: str
    contract_ref: str
    origin_country: str
    good: str
    product_code: str
    value: Decimal
    share: Decimal
    characteristics: frozenset[str]

    @property
    def ref(self) -> str:
        return f"{self.order_ref}/{self.line}" if self.line else self.order_ref


def product_code(value: str, line: int, errors: list[RowError]) -> str:
    text = value.strip().lower().replace(" ", "").replace(".", "")
    if not text:
        return ""
    system, _sep, digits = text.partition(":")
    if system == "cpv" and len(digits) == 10 and digits[8] == "-" and digits[9].isdigit():
        # A whole CPV code with its check digit (18100000-0): the line keeps the 8 digits.
        digits = digits[:8]
        text = f"cpv:{digits}"
    if system not in CODE_SYSTEMS or not digits.isdigit() or len(digits) > 10:
        errors.append(
            RowError(
                line,
                "product_code",
                _("Not a product code: write hs:, cpv: or unspsc: and the digits (e.g. hs:6109)."),
            )
        )
        return ""
    if system == "hs":
        issue = hscodes.problem(digits)
        if issue is not None:
            errors.append(
                RowError(
                    line,
                    "product_code",
                    issue,
                    p(chapter=digits[:2], heading=digits[:4], subheading=digits[:6]),
                )
            )
            return ""
    return text


def check_row(values: Mapping[str, str], line: int, errors: list[RowError]) -> OrderLine | None:
    before = len(errors)
    order_ref = tables.text(values["order_ref"], line, "order_ref", errors, limit=60, required=True)
    line_no = tables.text(values.get("line", ""), line, "line", errors, limit=20, required=False)
    supplier = tables.text(
        values["supplier_name"], line, "supplier_name", errors, limit=200, required=True
    )
    company = tables.text(
        values.get("supplier_company_id", ""),
        line,
        "supplier_company_id",
        errors,
        limit=40,
        required=False,
    )
    contract = tables.text(
        values.get("contract_ref", ""), line, "contract_ref", errors, limit=60, required=False
    )
    country = tables.country(
        values["origin_country"], line, "origin_country", errors, required=True
    )
    good = tables.text(values.get("good", ""), line, "good", errors, limit=200, required=False)
    code = product_code(values.get("product_code", ""), line, errors)
    value = tables.amount(values["value"], line, "value", errors, required=True)
    share_text = values.get("share", "").strip()
    share = Decimal(1)
    if share_text:
        try:
            share = Decimal(share_text)
            if not share.is_finite() or not Decimal(0) < share <= Decimal(1):
                raise ValueError(share_text)
        except (ArithmeticError, ValueError):
            errors.append(RowError(line, "share", _("A share is a number above 0 and at most 1.")))
    chars = tables.codes(
        values.get("characteristics", ""),
        line,
        "characteristics",
        errors,
        vocabulary.CHARACTERISTICS,
    )
    if len(errors) > before or value is None:
        return None
    return OrderLine(
        line,
        order_ref,
        line_no,
        supplier,
        company,
        contract,
        country,
        good,
        code,
        value,
        share,
        frozenset(chars),
    )


_CENT: Final = Decimal("0.01")
_NO: Final = object()  # a cell value that check_row rejects
_AMOUNT: Final = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
_LIMITS: Final[dict[str, int]] = {
    "order_ref": 60,
    "line": 20,
    "supplier_name": 200,
    "supplier_company_id": 40,
    "contract_ref": 60,
    "good": 200,
}


def _probe(field: str, cell: str) -> object:
    """What ``check_row`` makes of this one cell in an otherwise clean row (or _NO)."""
    values = dict.fromkeys((*REQUIRED, *OPTIONAL), "")
    values.update(order_ref="x", supplier_name="x", origin_country="XA", value="0")
    values[field] = cell
    record = check_row(values, 0, [])
    return _NO if record is None else getattr(record, _FIELD[field])


_FIELD: Final[dict[str, str]] = {
    "origin_country": "origin_country",
    "product_code": "product_code",
    "share": "share",
    "characteristics": "characteristics",
}


def fast_table(
    index: Mapping[str, int], width: int, table: Sequence[tuple[int, list[str]]]
) -> list[OrderLine | None]:
    """Check a whole file column by column: for each row, the record ``check_row`` gives,
    or None where the row is not certainly clean (a comma in an amount, an unknown country,
    a row of another width, …); those rows go through ``check_row`` for their messages.

    Why: ``check_row`` builds a dict and an error list per row and checks each cell in
    Python. Here each column is checked by C-level passes (lengths, a regular expression
    for amounts) and the columns with few distinct values — country, product code, share,
    characteristics — are checked once per distinct value, through ``check_row`` itself."""
    lines = [line for line, _raw in table]
    body = [raw for _line, raw in table]
    n = len(body)
    bad: set[int] = {k for k, raw in enumerate(body) if len(raw) != width}
    blank = [""] * width
    grid = [raw if len(raw) == width else blank for raw in body] if bad else body
    columns = list(zip(*grid, strict=True)) if n else [() for _ in range(width)]
    empty = ("",) * n

    def column(name: str) -> list[str]:
        at = index.get(name)
        return list(map(str.strip, columns[at])) if at is not None else list(empty)

    texts: dict[str, list[str]] = {}
    for name, limit in _LIMITS.items():
        col = texts[name] = column(name)
        required = name in REQUIRED
        if (required and not all(col)) or max(map(len, col), default=0) > limit:
            bad.update(k for k, c in enumerate(col) if (required and not c) or len(c) > limit)
    checked: dict[str, list[object]] = {}
    for name in _FIELD:
        at = index.get(name)
        raw_col = columns[at] if at is not None else empty
        seen = {cell: _probe(name, cell) for cell in set(raw_col)}
        col2 = checked[name] = list(map(seen.__getitem__, raw_col))
        if any(v is _NO for v in seen.values()):
            bad.update(k for k, v in enumerate(col2) if v is _NO)
    amounts = column("value")
    if not all(map(_AMOUNT.fullmatch, amounts)):
        bad.update(k for k, a in enumerate(amounts) if not _AMOUNT.fullmatch(a))
        amounts = ["0" if k in bad else a for k, a in enumerate(amounts)]
    values = list(map(Decimal, amounts))
    # tuple.__new__ over zipped columns builds each OrderLine without a call into Python
    # code (its generated __new__), the fields in declaration order.
    records: list[OrderLine | None] = list(
        map(
            tuple.__new__,
            repeat(OrderLine),
            zip(
                lines,
                texts["order_ref"],
                texts["line"],
                texts["supplier_name"],
                texts["supplier_company_id"],
                texts["contract_ref"],
                checked["origin_country"],
                texts["good"],
                checked["product_code"],
                values,
                checked["share"],
                checked["characteristics"],
                strict=True,
            ),
        )
    )
    for k in bad:
        records[k] = None
    return records


def preview(data: bytes, name: str, *, max_rows: int = tables.MAX_ROWS) -> Preview[OrderLine]:
    with tables.collector_paused():
        out = tables.parse(
            data,
            name,
            required=REQUIRED,
            optional=OPTIONAL,
            check=check_row,
            max_rows=max_rows,
            fast=fast_table,
        )
        return _check_repeats(out)


def preview_reference(
    data: bytes, name: str, *, max_rows: int = tables.MAX_ROWS
) -> Preview[OrderLine]:
    """The same preview, every row through ``check_row`` (the reference the fast path is
    tested against)."""
    out = tables.parse(
        data, name, required=REQUIRED, optional=OPTIONAL, check=check_row, max_rows=max_rows
    )
    return _check_repeats(out)


def _check_repeats(out: Preview[OrderLine]) -> Preview[OrderLine]:
    refs = [
        f"{order}/{line}" if line else order
        for order, line in zip(
            map(attrgetter("order_ref"), out.rows), map(attrgetter("line"), out.rows), strict=True
        )
    ]
    if len(set(refs)) < len(refs):  # only then find which rows repeat which
        seen: dict[str, int] = {}
        for r, ref in zip(out.rows, refs, strict=True):
            if ref in seen:
                out.errors.append(
                    RowError(
                        r.row,
                        "order_ref",
                        _("The same order and line as row %(row)s."),
                        p(row=seen[ref]),
                    )
                )
            else:
                seen[ref] = r.row
    if out.errors:
        bad = {e.row for e in out.errors}
        out.rows = [r for r in out.rows if r.row not in bad]
        out.errors.sort(key=lambda e: (e.row, e.field))
    return out


def screen_lines(
    lines: Sequence[OrderLine],
    *,
    index: RiskIndex,
    crosswalk: Mapping[str, str],
    evidence: Mapping[str, frozenset[str]],
    excluded: Mapping[str, str],
) -> list[tuple[OrderLine, Result]]:
    """Screen lines with the editions' index: (line, result) in the file's order, each
    result the one ``risk.screen`` gives for the line's facts (differential test:
    tests/supply/test_supply_fastpath.py).

    Why not ``screen`` per line: a line's level, score and reasons depend on a few facts
    that repeat across a large file. They are looked up, column by column, in the index's
    cache under the key ``screen`` uses; only a miss goes through ``screen``. The exposure
    is worked out per line as ``screen`` does."""
    if not lines:
        return []
    with tables.collector_paused():
        return _screen_lines(lines, index, crosswalk, evidence, excluded)


def _screen_lines(
    lines: Sequence[OrderLine],
    index: RiskIndex,
    crosswalk: Mapping[str, str],
    evidence: Mapping[str, frozenset[str]],
    excluded: Mapping[str, str],
) -> list[tuple[OrderLine, Result]]:
    (_row, _ref, _line, _name, companies, _contract, countries, given, codes, values, shares,
     characteristics) = zip(*lines, strict=True)  # fmt: skip
    none: frozenset[str] = frozenset()
    goods_of = {
        pair: resolve_good(*pair, crosswalk) for pair in set(zip(given, codes, strict=False))
    }
    goods = list(map(goods_of.__getitem__, zip(given, codes, strict=False)))
    proofs = list(map(evidence.get, companies, repeat(none)))
    # the exclusion-list entry naming the supplier, "" when none (``LineFacts.excluded``)
    barred = (
        [excluded.get(c, "") if c else "" for c in companies] if excluded else [""] * len(lines)
    )
    large = list(map(LARGE_SPEND.__le__, values))
    keys = list(zip(countries, goods, characteristics, proofs, barred, large, strict=False))
    found = list(map(index.cache.get, keys))
    if None in found:  # worked out once per distinct key (also past the cache's size)
        local: dict[tuple[object, ...], tuple[str, int, tuple[Reason, ...]]] = {}
        for k in [k for k, hit in enumerate(found) if hit is None]:
            hit = local.get(keys[k])
            if hit is None:
                facts = LineFacts(
                    countries[k],
                    goods[k],
                    values[k],
                    shares[k],
                    characteristics[k],
                    proofs[k],
                    barred[k],
                )
                made = screen(facts, index)
                hit = local[keys[k]] = (made.level, made.score, made.reasons)
            found[k] = hit
    clamped = map(min, map(max, shares, repeat(Decimal(0))), repeat(Decimal(1)))
    exposures = map(Decimal.quantize, map(Decimal.__mul__, values, clamped), repeat(_CENT))
    # (level, score, reasons) + (exposure, rule), made a Result without a per-line call
    # into Python code: the same fields, in the same order, as ``screen`` gives.
    fields = map(add, found, zip(exposures, repeat(RULE_VERSION), strict=False))
    results = list(map(tuple.__new__, repeat(Result), fields))
    return list(zip(lines, results, strict=True))
