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

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from palermo.supply import tables, vocabulary
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


@dataclass(frozen=True)
class OrderLine:
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
    if system not in CODE_SYSTEMS or not digits.isdigit() or len(digits) > 10:
        errors.append(
            RowError(
                line,
                "product_code",
                _("Not a product code: write hs:, cpv: or unspsc: and the digits (e.g. hs:6109)."),
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


def preview(data: bytes, name: str, *, max_rows: int = tables.MAX_ROWS) -> Preview[OrderLine]:
    out = tables.parse(
        data, name, required=REQUIRED, optional=OPTIONAL, check=check_row, max_rows=max_rows
    )
    seen: dict[str, int] = {}
    for r in out.rows:
        if r.ref in seen:
            out.errors.append(
                RowError(
                    r.row,
                    "order_ref",
                    _("The same order and line as row %(row)s."),
                    p(row=seen[r.ref]),
                )
            )
        else:
            seen[r.ref] = r.row
    bad = {e.row for e in out.errors}
    out.rows = [r for r in out.rows if r.row not in bad]
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out
