"""Reads of the statistics context.

Personal data (the HTCDS export, matching an import to existing cases) is read
only through the case context's door, ``cases.selectors.cases_visible_to`` and
``case_visibility``: an export holds the cases, and the field groups of each
case, that the actor may open. Aggregates (Rapporteur tables, the CTDC
release) count every case of the instance: they are anonymised before anyone
sees them, which is what ``Perm.VIEW_STATISTICS`` and ``Perm.EXPORT_DATA``
are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet

from palermo.cases import selectors as case_selectors
from palermo.core.models import Organisation, User
from palermo.stats import case_mapping
from palermo.stats.models import ImportedRecord
from palermo.stats.online_share import RecruitmentFact
from palermo.stats.small_cells import VictimStat

if TYPE_CHECKING:  # a type only: cases are read through ``cases.selectors``
    from palermo.cases.models import Case

BATCH = 500


def _with_related(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related(
        "person", "context", "referring_organisation", "decision_organisation"
    ).prefetch_related(
        Prefetch(
            "imported_records",
            queryset=ImportedRecord.objects.order_by("id"),
            to_attr="stats_imports",
        )
    )


@dataclass(frozen=True)
class ExportedCase:
    case: Case
    record: dict[str, str]


def htcds_records_for(actor: User, organisation: Organisation | None) -> Iterator[ExportedCase]:
    """The HTCDS record of every case the actor may open, each limited to the groups they see."""
    qs = _with_related(case_selectors.cases_visible_to(actor, organisation)).order_by(
        "opened_at", "id"
    )
    for chunk in _chunks(qs.iterator(chunk_size=BATCH), BATCH):
        # Need-to-know per case, gathered for the whole chunk in a fixed number of queries.
        visibility = case_selectors.case_visibilities(actor, organisation, chunk)
        for case in chunk:
            groups = visibility[case.pk].groups
            if not groups:
                continue
            imports: list[Any] = getattr(case, "stats_imports", [])
            referring = imports[0].referring_organisation if imports else ""
            yield ExportedCase(
                case,
                case_mapping.case_to_htcds(case, groups=groups, referring_organisation=referring),
            )


def _chunks(items: Iterator[Case], size: int) -> Iterator[list[Case]]:
    chunk: list[Case] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def imported_record(key: str) -> ImportedRecord | None:
    return ImportedRecord.objects.select_related("case").filter(key=key).first()


def all_cases_with_context() -> QuerySet[Case]:
    """Every case, for aggregates only (never shown one by one)."""
    return case_selectors.cases_for_aggregates()


def victim_stats(*, year: int | None = None, form: str = "") -> list[VictimStat]:
    """Every case as a ``VictimStat`` (no identifying value), optionally of one year or form of exploitation."""
    qs = case_selectors.cases_for_victim_statistics(year=year, form=form)
    return [
        case_mapping.case_to_victim_stat(c, c.stats_referrals, c.stats_decisions)  # type: ignore[attr-defined]
        for c in qs.iterator(chunk_size=BATCH)
    ]


def ctdc_rows() -> list[dict[str, object]]:
    """Every case as a CTDC source row (exact age; released only through ``ctdc.release_ctdc``)."""
    return [
        case_mapping.case_to_ctdc(c) for c in all_cases_with_context().iterator(chunk_size=BATCH)
    ]


def recruitment_facts() -> list[RecruitmentFact]:
    """Every case as a ``RecruitmentFact`` (aggregates only), read through the case selectors."""
    return [
        RecruitmentFact(year, country, forms, methods)
        for year, country, forms, methods in case_selectors.recruitment_facts()
    ]


def origin_facts() -> list[tuple[int, str]]:
    """Every case as ``(year of registration, origin)`` (aggregates only), through the case
    selectors."""
    return case_selectors.origin_facts()


def registration_years() -> list[int]:
    return case_selectors.registration_years()


def case_count() -> int:
    return case_selectors.case_count()
