"""Remediation: social-audit findings from a file, and the recruitment-fee ledger.

Findings file (CSV or XLSX, header row, any order): ``supplier_company_id``, ``indicator``
(one of the 11 ILO indicators, by its code), ``finding`` (``non_compliance`` or
``observation``), ``description``, ``owner``, ``due_on`` (YYYY-MM-DD) are required;
``os_id`` (the site) and ``workers_affected`` are optional. Each finding becomes a
corrective action.

The fee ledger follows the employer-pays principle (ILO General Principles and Operational
Guidelines for Fair Recruitment; definition of recruitment fees and related costs, 2019):
what workers paid to be recruited is owed back to them.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from palermo.supply import osid, tables, vocabulary
from palermo.supply.tables import Preview, RowError, p

_ = tables._

FINDINGS: Final[tuple[str, ...]] = ("non_compliance", "observation")
REQUIRED: Final[tuple[str, ...]] = (
    "supplier_company_id",
    "indicator",
    "finding",
    "description",
    "owner",
    "due_on",
)
OPTIONAL: Final[tuple[str, ...]] = ("os_id", "workers_affected")


@dataclass(frozen=True)
class FindingRow:
    row: int
    supplier_company_id: str
    os_id: str
    indicator: str
    finding: str
    workers_affected: int
    description: str
    owner: str
    due_on: date


def _check(values: Mapping[str, str], line: int, errors: list[RowError]) -> FindingRow | None:
    before = len(errors)
    company = tables.text(
        values["supplier_company_id"], line, "supplier_company_id", errors, limit=40, required=True
    )
    indicator = values["indicator"].strip().lower()
    if indicator not in vocabulary.ILO_INDICATORS:
        errors.append(
            RowError(
                line,
                "indicator",
                _("Unknown ILO indicator; use one of: %(values)s."),
                p(values=", ".join(vocabulary.ILO_INDICATORS)),
            )
        )
    finding = values["finding"].strip().lower()
    if finding not in FINDINGS:
        errors.append(RowError(line, "finding", _("Use non_compliance or observation.")))
    description = tables.text(
        values["description"], line, "description", errors, limit=4000, required=True
    )
    owner = tables.text(values["owner"], line, "owner", errors, limit=200, required=True)
    due_text = values["due_on"].strip()
    due: date | None = None
    try:
        due = date.fromisoformat(due_text) if len(due_text) == 10 else None
    except ValueError:
        due = None
    if due is None:
        errors.append(RowError(line, "due_on", _("Not a date in the form YYYY-MM-DD.")))
    raw_id = values.get("os_id", "").strip()
    site_id = ""
    if raw_id:
        issue = osid.problem(raw_id)
        if issue:
            errors.append(RowError(line, "os_id", issue))
        else:
            site_id = osid.normalise(raw_id)
    count_text = values.get("workers_affected", "").strip() or "0"
    workers = int(count_text) if count_text.isdigit() else -1
    if workers < 0:
        errors.append(RowError(line, "workers_affected", _("A number of workers (0 or more).")))
    if len(errors) > before or due is None:
        return None
    return FindingRow(line, company, site_id, indicator, finding, workers, description, owner, due)


def preview_findings(
    data: bytes, name: str, *, suppliers: Iterable[str], sites: Iterable[str]
) -> Preview[FindingRow]:
    """Check every finding; suppliers and sites (OS IDs) must be in the registry."""
    out = tables.parse(data, name, required=REQUIRED, optional=OPTIONAL, check=_check)
    known_suppliers, known_sites = set(suppliers), set(sites)
    for r in out.rows:
        if r.supplier_company_id not in known_suppliers:
            out.errors.append(
                RowError(
                    r.row,
                    "supplier_company_id",
                    _("No supplier with this company id in the registry."),
                )
            )
        if r.os_id and r.os_id not in known_sites:
            out.errors.append(
                RowError(r.row, "os_id", _("No site with this OS ID in the registry."))
            )
    bad = {e.row for e in out.errors}
    out.rows = [r for r in out.rows if r.row not in bad]
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out


# --- the recruitment-fee ledger ---------------------------------------------------------------


def check_fee(workers: int, owed: Decimal | None, repaid: Decimal | None) -> list[tuple[str, str]]:
    """(field, message) pairs; empty when the ledger entry is consistent."""
    problems: list[tuple[str, str]] = []
    if workers < 1:
        problems.append(("workers_affected", _("At least one worker.")))
    if owed is None or owed < 0:
        problems.append(("amount_owed", _("An amount of 0 or more.")))
    if repaid is None or repaid < 0:
        problems.append(("amount_repaid", _("An amount of 0 or more.")))
    if owed is not None and repaid is not None and repaid > owed:
        problems.append(
            ("amount_repaid", _("More repaid than owed: record the amount owed first."))
        )
    return problems


@dataclass(frozen=True)
class LedgerTotals:
    workers: int
    owed: Decimal
    repaid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.repaid

    @property
    def share_repaid(self) -> float:
        return float(self.repaid / self.owed) if self.owed else 1.0


def totals(entries: Iterable[tuple[int, Decimal, Decimal]]) -> LedgerTotals:
    workers, owed, repaid = 0, Decimal(0), Decimal(0)
    for w, o, r in entries:
        workers += w
        owed += o
        repaid += r
    return LedgerTotals(workers, owed, repaid)
