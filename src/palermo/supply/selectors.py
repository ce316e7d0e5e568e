"""Reads of the supply-chain context. Procurement roles get aggregates of inspections only:
counts of referrals below ``MIN_CELL`` are not shown, and no screening reference ever is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from palermo.core.models import Organisation
from palermo.supply import diligence, remediation, risk, riskdata, vocabulary
from palermo.supply.models import (
    BatchEdition,
    ClassificationMap,
    Contract,
    CorrectiveAction,
    Crosswalk,
    ExclusionEntry,
    FeeRepayment,
    FieldProvenance,
    ImportBatch,
    Inspection,
    InspectionReferral,
    MeasureRecord,
    OrderLine,
    RiskEdition,
    Site,
    Supplier,
)

MIN_CELL = 5  # aggregates of referrals shown to procurement: fewer than this is "fewer than 5"


def suppliers(organisation: Organisation) -> QuerySet[Supplier]:
    return Supplier.objects.filter(organisation=organisation).annotate(
        n_sites=Count("sites", distinct=True)
    )


def sites(organisation: Organisation, *, review: bool = False) -> QuerySet[Site]:
    qs = Site.objects.filter(organisation=organisation).select_related(
        "supplier", "possible_duplicate_of"
    )
    if review:
        qs = qs.filter(match_status=Site.MatchStatus.POTENTIAL)
    return qs


def all_sites() -> QuerySet[Site]:
    """Every site of every contracting authority, for the inspectorate to choose from."""
    return Site.objects.all().order_by("country", "name", "id")


def site_export_rows(organisation: Organisation) -> list[dict[str, object]]:
    from palermo.supply.sites import workers_text

    out: list[dict[str, object]] = []
    for s in sites(organisation).prefetch_related("sources"):
        first = min(s.sources.all(), key=lambda x: x.pk, default=None)
        out.append(
            {
                "os_id": s.os_id,
                "contribution_date": (
                    first.contribution_date.isoformat() if first and first.contribution_date else ""
                ),
                "name": s.name,
                "address": s.address,
                "country_code": s.country,
                "lat": "" if s.lat is None else repr(s.lat),
                "lng": "" if s.lng is None else repr(s.lng),
                "sector": s.sector,
                "contributor": first.contributor if first else "",
                "number_of_workers": workers_text(s.workers_min, s.workers_max),
                "parent_company": s.parent_company,
                "facility_type": s.facility_type,
                "processing_type": s.processing_type,
                "product_type": s.product_type,
                "is_closed": "true" if s.is_closed else "false",
                "supplier_company_id": s.supplier.company_id if s.supplier else "",
            }
        )
    return out


def editions() -> QuerySet[RiskEdition]:
    return RiskEdition.objects.select_related("batch").annotate(
        n=Count("entries", distinct=True) + Count("exclusions", distinct=True)
    )


def current_risk_editions() -> list[RiskEdition]:
    """The current edition of each kind of list (``RiskEdition.format``), by format: what a
    new screening reads, all of them together. Importing an edition retires only the
    previous edition of its own format."""
    current: dict[str, RiskEdition] = {}
    for e in (
        RiskEdition.objects.filter(is_current=True)
        .select_related("batch")
        .order_by("format", "-id")
    ):
        current.setdefault(e.format, e)
    return list(current.values())


def batch_editions(batch_ids: Iterable[int]) -> dict[int, list[RiskEdition]]:
    """The editions each order import was screened against, in the order a screening reads
    them (by format)."""
    out: dict[int, list[RiskEdition]] = {}
    for link in (
        BatchEdition.objects.filter(batch_id__in=set(batch_ids))
        .select_related("edition__batch")
        .order_by("edition__format", "edition_id")
    ):
        out.setdefault(link.batch_id, []).append(link.edition)
    return out


def line_editions(line: OrderLine) -> list[RiskEdition]:
    """The editions a kept line was screened against (its import's)."""
    return batch_editions([line.batch_id]).get(line.batch_id, [])


def editions_text(editions: Iterable[RiskEdition]) -> str:
    """``source, edition`` of each, "; " between them ("" for none): how reasons cite them."""
    return "; ".join(map(str, editions))


@dataclass
class RiskLists:
    """What a screening reads: the editions (one per kind of list), the country × good lists
    indexed for the rule, and the suppliers an exclusion list names, each with the entry
    that says so."""

    editions: list[RiskEdition]
    index: risk.RiskIndex
    excluded: dict[str, str]  # company id → "source, edition, row 4"


def risk_lists(
    editions: Sequence[RiskEdition] | None = None, *, on: date | None = None
) -> RiskLists:
    """The current edition of every kind of list, or the ``editions`` given (a kept
    screening's set, to show or re-run it as it was); exclusions as in force ``on`` (today)."""
    chosen = (
        current_risk_editions()
        if editions is None
        else sorted(editions, key=lambda e: (e.format, e.pk))
    )
    goods = [e for e in chosen if e.format != riskdata.EXCLUSIONS]
    index = risk.RiskIndex.combine((str(e), edition_rows(e)) for e in goods)
    return RiskLists(chosen, index, exclusions_in_force(chosen, on=on))


def exclusions_in_force(
    editions: Sequence[RiskEdition] | None = None,
    *,
    on: date | None = None,
    company_ids: Iterable[str] | None = None,
) -> dict[str, str]:
    """Company id → the entry naming it (``source, edition, row 4``) in the exclusion-list
    editions given (the current one by default), for the entries in force ``on`` (today);
    only these ``company_ids`` when given."""
    chosen = current_risk_editions() if editions is None else editions
    day = on or timezone.localdate()
    entries = ExclusionEntry.objects.filter(
        edition__in=[e for e in chosen if e.format == riskdata.EXCLUSIONS], listed_on__lte=day
    )
    if company_ids is not None:
        entries = entries.filter(company_id__in=set(company_ids))
    excluded: dict[str, str] = {}
    for e in entries.select_related("edition").order_by("edition__format", "edition_id", "row"):
        if e.until is None or e.until >= day:
            excluded.setdefault(e.company_id, f"{e.edition}, row {e.row}")
    return excluded


def rescreen(line: OrderLine) -> risk.Result:
    """A kept line screened again on the editions its import used, with the exclusions in
    force the day it was screened: its stored result, unless its supplier's evidence
    changed since (the evidence is read as it is now)."""
    day = timezone.localdate(line.screened_at)
    lists = risk_lists(line_editions(line), on=day)
    company = line.supplier.company_id if line.supplier else ""
    facts = risk.LineFacts(
        line.origin_country,
        line.good,
        line.value,
        line.share,
        frozenset(line.characteristics),
        line.supplier.evidence() if line.supplier else frozenset(),
        lists.excluded.get(company, "") if company else "",
    )
    return risk.screen(facts, lists.index)


def edition_rows(edition: RiskEdition) -> list[riskdata.RiskRow]:
    return [
        riskdata.RiskRow(
            e.row,
            e.country_code,
            e.country,
            e.region,
            e.sector,
            e.good,
            tuple(
                (k, riskdata.Listing(v[0], v[1]))
                for k, v in sorted(e.listings.items(), key=lambda kv: riskdata.KINDS.index(kv[0]))
            ),
        )
        for e in edition.entries.all()
    ]


def edition_diff(old: RiskEdition, new: RiskEdition) -> riskdata.Diff:
    return riskdata.diff(edition_rows(old), edition_rows(new))


def crosswalk(organisation: Organisation) -> QuerySet[Crosswalk]:
    return Crosswalk.objects.filter(organisation=organisation)


def code_map(organisation: Organisation) -> QuerySet[ClassificationMap]:
    """The organisation's CPV/UNSPSC → HS codes."""
    return ClassificationMap.objects.filter(organisation=organisation)


def order_lines(organisation: Organisation, *, level: str = "") -> QuerySet[OrderLine]:
    qs = OrderLine.objects.filter(organisation=organisation).select_related("contract", "supplier")
    if level in vocabulary.LEVELS:
        qs = qs.filter(level=level)
    return qs


def contracts(organisation: Organisation) -> QuerySet[Contract]:
    return Contract.objects.filter(organisation=organisation).select_related("supplier")


def progress(contract: Contract) -> diligence.Progress:
    steps = {
        m.code: diligence.StepState(m.code, m.outcome, bool(m.evidence_sha256))
        for m in contract.measures.all()
    }
    return diligence.progress(contract.risk_level, steps)


@dataclass(frozen=True)
class MeasureRow:
    code: str
    label: str
    stage: str
    required: bool
    record: MeasureRecord | None


def measure_rows(contract: Contract) -> list[MeasureRow]:
    records = {m.code: m for m in contract.measures.select_related("recorded_by")}
    required = diligence.required_measures(contract.risk_level)
    return [
        MeasureRow(
            code,
            label,
            vocabulary.STAGES[vocabulary.MEASURE_STAGE[code]],
            code in required,
            records.get(code),
        )
        for code, label in vocabulary.MEASURES.items()
    ]


def suggested_level(supplier: Supplier | None) -> str:
    """The highest level among the supplier's screened order lines (low when none)."""
    if supplier is None:
        return "low"
    levels = set(OrderLine.objects.filter(supplier=supplier).values_list("level", flat=True))
    for level in reversed(vocabulary.LEVELS):
        if level in levels:
            return level
    return "low"


def actions(organisation: Organisation, *, open_only: bool = False) -> QuerySet[CorrectiveAction]:
    qs = CorrectiveAction.objects.filter(supplier__organisation=organisation).select_related(
        "supplier", "site"
    )
    return qs.filter(closed_on__isnull=True) if open_only else qs


def suppressed(n: int) -> int | None:
    """A count of referrals for procurement eyes: None (shown "fewer than 5") when small."""
    return n if n == 0 or n >= MIN_CELL else None


@dataclass(frozen=True)
class Dashboard:
    spend: list[dict[str, Any]]  # per level: lines, value
    total_value: Decimal
    open_actions: int
    overdue_actions: int
    contracts: int
    contracts_complete: int
    coverage: list[dict[str, Any]]  # per measure: required on, done on
    inspections: int
    inspections_with_indicators: int
    referrals: int | None  # small-cell protected
    editions: list[RiskEdition]  # the current edition of each kind of list
    to_review: int


def dashboard(organisation: Organisation, today: date | None = None) -> Dashboard:
    day = today or timezone.localdate()
    by_level = {
        r["level"]: r
        for r in OrderLine.objects.filter(organisation=organisation)
        .values("level")
        .annotate(lines=Count("id"), value=Sum("value"))
    }
    spend = [
        {
            "level": level,
            "label": vocabulary.LEVEL_LABELS[level],
            "lines": by_level.get(level, {}).get("lines", 0),
            "value": by_level.get(level, {}).get("value") or Decimal(0),
        }
        for level in reversed(vocabulary.LEVELS)
    ]
    acts = actions(organisation, open_only=True)
    all_contracts = list(contracts(organisation).prefetch_related("measures"))
    progresses = [progress(c) for c in all_contracts]
    coverage = []
    for code, label in vocabulary.MEASURES.items():
        required = sum(1 for pr in progresses if code in pr.required)
        done = sum(1 for pr in progresses if code in pr.done)
        coverage.append({"code": code, "label": label, "required": required, "done": done})
    inspections = Inspection.objects.filter(site__organisation=organisation)
    referrals = InspectionReferral.objects.filter(inspection__site__organisation=organisation)
    return Dashboard(
        spend=spend,
        total_value=sum((s["value"] for s in spend), Decimal(0)),
        open_actions=acts.count(),
        overdue_actions=acts.filter(due_on__lt=day).count(),
        contracts=len(all_contracts),
        contracts_complete=sum(1 for pr in progresses if pr.complete),
        coverage=coverage,
        inspections=inspections.count(),
        inspections_with_indicators=sum(1 for i in inspections.only("indicators") if i.indicators),
        referrals=suppressed(referrals.count()),
        editions=current_risk_editions(),
        to_review=sites(organisation, review=True).count(),
    )


def inspections_of(organisation: Organisation) -> QuerySet[Inspection]:
    """The inspectorate's own inspections."""
    return (
        Inspection.objects.filter(organisation=organisation)
        .select_related("site")
        .annotate(n_referrals=Count("referrals"))
    )


def referrals_of(inspection: Inspection) -> QuerySet[InspectionReferral]:
    return inspection.referrals.order_by("created_at")


def batches(organisation: Organisation) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(organisation=organisation)


def fees(organisation: Organisation) -> QuerySet[FeeRepayment]:
    return FeeRepayment.objects.filter(supplier__organisation=organisation).select_related(
        "supplier", "site"
    )


def fee_totals(organisation: Organisation) -> dict[str, remediation.LedgerTotals]:
    """Ledger totals per currency (amounts in different currencies are never added)."""
    by_currency: dict[str, list[tuple[int, Decimal, Decimal]]] = {}
    for f in fees(organisation):
        by_currency.setdefault(f.currency, []).append(
            (f.workers_affected, f.amount_owed, f.amount_repaid)
        )
    return {c: remediation.totals(v) for c, v in sorted(by_currency.items())}


@dataclass(frozen=True)
class FieldRow:
    field: str
    label: str  # vocabulary label (translated by the shell)
    value: str  # as text, "" when not known
    provenance: FieldProvenance | None  # the latest entry for this field, if any


def _latest(entries: Any) -> dict[tuple[int, str], FieldProvenance]:
    latest: dict[tuple[int, str], FieldProvenance] = {}
    for e in entries.order_by("recorded_at", "id"):
        latest[(e.supplier_id or e.site_id or 0, e.field)] = e
    return latest


def supplier_provenance(supplier: Supplier) -> list[FieldRow]:
    """Each field of the supplier with who or what set it last (manual edit or import)."""
    latest = _latest(
        FieldProvenance.objects.filter(supplier=supplier).select_related("recorded_by", "batch")
    )
    values = {
        k: (("true" if v else "false") if isinstance(v, bool) else str(v))
        for k in vocabulary.SUPPLIER_FIELDS
        for v in (getattr(supplier, k),)
    }
    return [
        FieldRow(k, label, values[k], latest.get((supplier.pk, k)))
        for k, label in vocabulary.SUPPLIER_FIELDS.items()
    ]


def site_values(site: Site, company_id: str | None = None) -> dict[str, str]:
    """The site's fields whose provenance is kept, as text ("" when not known);
    ``company_id`` is its supplier's when the caller knows it (saves a query)."""
    from palermo.supply.sites import workers_text

    if company_id is None:
        company_id = site.supplier.company_id if site.supplier_id and site.supplier else ""
    return {
        "os_id": site.os_id,
        "name": site.name,
        "address": site.address,
        "country": site.country,
        "lat": "" if site.lat is None else repr(site.lat),
        "lng": "" if site.lng is None else repr(site.lng),
        "workers": workers_text(site.workers_min, site.workers_max),
        "sector": site.sector,
        "product_type": site.product_type,
        "processing_type": site.processing_type,
        "facility_type": site.facility_type,
        "parent_company": site.parent_company,
        "is_closed": "true" if site.is_closed else "",
        "supplier": company_id if site.supplier_id else "",
    }


def site_provenance(supplier: Supplier) -> list[tuple[Site, list[FieldRow]]]:
    """The supplier's sites, each field with who or what set it last (import file, its row
    and contributor; manual edit; a row matched by the OS ID)."""
    own = list(Site.objects.filter(supplier=supplier).order_by("country", "name", "id"))
    latest = _latest(
        FieldProvenance.objects.filter(site__in=own).select_related("recorded_by", "batch")
    )
    out: list[tuple[Site, list[FieldRow]]] = []
    for site in own:
        values = site_values(site, supplier.company_id)
        out.append(
            (
                site,
                [
                    FieldRow(k, label, values[k], latest.get((site.pk, k)))
                    for k, label in vocabulary.SITE_FIELDS.items()
                    if values[k] or (site.pk, k) in latest
                ],
            )
        )
    return out
