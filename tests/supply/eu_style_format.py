"""A made-up country × product list in the manner of the EU forced-labour database
(Regulation (EU) 2024/3015, Art. 8), whose format is not published yet: its own column
names, a risk type instead of the DOL list's year columns, dates instead of years. It exists
only in the tests, to show that a new kind of list plugs into ``riskdata.register`` and is
then imported, shown and screened with the others without a change to the supply code.

Columns: ``area_iso2, area_name, product, product_group, risk_type, listed_since``, optional
``delisted_on`` and ``reference`` (read, not kept)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from palermo.supply import riskdata, tables
from palermo.supply.tables import Preview, RowError, p

REQUIRED: Final = (
    "area_iso2",
    "area_name",
    "product",
    "product_group",
    "risk_type",
    "listed_since",
)
OPTIONAL: Final = ("delisted_on", "reference")
RISK_TYPES: Final = {  # the made-up risk types → the kinds of exploitation Palermo screens on
    "forced_labour": "fl",
    "state_imposed_forced_labour": "fl",
    "forced_child_labour": "fcl",
}


def _check(values: Mapping[str, str], line: int, errors: list[RowError]) -> riskdata.RiskRow | None:
    before = len(errors)
    code = tables.country(values["area_iso2"], line, "area_iso2", errors, required=True)
    area = tables.text(values["area_name"], line, "area_name", errors, limit=100, required=True)
    product = tables.text(values["product"], line, "product", errors, limit=200, required=True)
    group = tables.text(
        values["product_group"], line, "product_group", errors, limit=100, required=True
    )
    kind = RISK_TYPES.get(values["risk_type"].strip())
    if kind is None:
        errors.append(
            RowError(
                line,
                "risk_type",
                "Not a risk type of this list: %(value)s.",
                p(value=values["risk_type"][:40]),
            )
        )
    since = riskdata.date_cell(values["listed_since"], line, "listed_since", errors, required=True)
    until = riskdata.date_cell(
        values.get("delisted_on", ""), line, "delisted_on", errors, required=False
    )
    if since and until and until < since:
        errors.append(RowError(line, "delisted_on", "Delisted before it was listed."))
    if len(errors) > before or kind is None or since is None:
        return None
    listing = riskdata.Listing(since.year, until.year if until else None)
    return riskdata.RiskRow(line, code, area, "", group, product, ((kind, listing),))


@dataclass(frozen=True)
class EuStyleFormat:
    key: str = "eu_test"
    label: str = "EU-style forced-labour risk database (test format)"
    columns: tuple[str, ...] = (*REQUIRED, *OPTIONAL)

    def preview(self, data: bytes, name: str) -> Preview[riskdata.RiskRow]:
        return riskdata.goods_preview(
            data, name, required=REQUIRED, optional=OPTIONAL, check=_check, good_column="product"
        )
