"""Labour recruiter ↔ site links from a file (issue 18, item 1).

File (CSV or XLSX, header row, any order): ``recruiter_company_id`` (a supplier of the
registry marked as a labour recruiter or agency), ``os_id`` (a registered site) and
``evidence`` (what says so: "supplier's disclosure of 2026-02-01") are required; ``workers``
(how many workers it placed there) is optional. Every row is checked; one error and nothing
is imported. Each link keeps the file (name, SHA-256) and its row as its provenance.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from palermo.supply import osid, tables
from palermo.supply.tables import Preview, RowError

_ = tables._

REQUIRED: Final = ("recruiter_company_id", "os_id", "evidence")
OPTIONAL: Final = ("workers",)


@dataclass(frozen=True)
class LinkRow:
    row: int
    recruiter_company_id: str
    os_id: str
    evidence: str
    workers: int | None


def _check(values: Mapping[str, str], line: int, errors: list[RowError]) -> LinkRow | None:
    before = len(errors)
    company = tables.text(
        values["recruiter_company_id"],
        line,
        "recruiter_company_id",
        errors,
        limit=40,
        required=True,
    )
    raw = values["os_id"].strip()
    site = ""
    issue = osid.problem(raw) if raw else _("Required.")
    if issue:
        errors.append(RowError(line, "os_id", issue))
    else:
        site = osid.normalise(raw)
    evidence = tables.text(values["evidence"], line, "evidence", errors, limit=300, required=True)
    text = values.get("workers", "").strip()
    workers: int | None = None
    if text:
        if text.isdigit() and int(text) <= 10_000_000:
            workers = int(text)
        else:
            errors.append(RowError(line, "workers", _("A number of workers (0 or more).")))
    if len(errors) > before:
        return None
    return LinkRow(line, company, site, evidence, workers)


def preview_links(
    data: bytes, name: str, *, recruiters: set[str], suppliers: set[str], sites: set[str]
) -> Preview[LinkRow]:
    """Check every row; the recruiter must be a supplier marked as a labour recruiter (``recruiters``;
    ``suppliers`` are all company ids, for a clearer message) and the site registered."""
    out = tables.parse(data, name, required=REQUIRED, optional=OPTIONAL, check=_check)
    seen: dict[tuple[str, str], int] = {}
    for r in out.rows:
        if r.recruiter_company_id not in recruiters:
            message = (
                _("This supplier is not marked as a labour recruiter or agency.")
                if r.recruiter_company_id in suppliers
                else _("No supplier with this company id in the registry.")
            )
            out.errors.append(RowError(r.row, "recruiter_company_id", message))
        if r.os_id not in sites:
            out.errors.append(
                RowError(r.row, "os_id", _("No site with this OS ID in the registry."))
            )
        key = (r.recruiter_company_id, r.os_id)
        if key in seen:
            out.errors.append(
                RowError(
                    r.row,
                    "os_id",
                    _("This recruiter and site are already linked in row %(row)s."),
                    tables.p(row=seen[key]),
                )
            )
        seen.setdefault(key, r.row)
    if out.errors:
        out.rows = []
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out
