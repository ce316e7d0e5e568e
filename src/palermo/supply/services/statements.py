"""Reports of the supply-chain context added for issue 18: the draft modern-slavery
statement section of an organisation, and the information pack answering a competent
authority's request under a forced-labour ban.

Both are built from the registry when asked for, and each build is audited (who, which
organisation or request). Neither holds any worker's personal data: inspections appear as
counts only (referrals protected below 5), and the pack never reads the inspectorate's
records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from palermo.core.errors import FieldError, InvalidInput, NotAllowed
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.supply import diligence, statement, vocabulary
from palermo.supply.models import (
    Contract,
    CorrectiveAction,
    FeeRepayment,
    InformationRequest,
    Inspection,
    InspectionReferral,
    OrderLine,
    Site,
    Supplier,
)
from palermo.supply.services import _audit, _require, _text

MAX_PACK_LINES = 500


def _edition_text() -> str:
    """The current edition of each kind of risk list, "; " between them."""
    from palermo.supply import selectors

    return selectors.editions_text(selectors.current_risk_editions())


def statement_facts(organisation: Organisation, today: date | None = None) -> statement.Facts:
    day = today or timezone.localdate()
    by_level = {
        r["level"]: r
        for r in OrderLine.objects.filter(organisation=organisation)
        .values("level")
        .annotate(lines=Count("id"), value=Sum("value"))
    }
    levels = [
        statement.LevelFacts(
            level,
            by_level.get(level, {}).get("lines", 0),
            by_level.get(level, {}).get("value") or Decimal(0),
        )
        for level in reversed(vocabulary.LEVELS)
    ]
    contracts = list(
        Contract.objects.filter(organisation=organisation).prefetch_related("measures", "clauses")
    )
    progresses = []
    for c in contracts:
        steps = {
            m.code: diligence.StepState(m.code, m.outcome, bool(m.evidence_sha256))
            for m in c.measures.all()
        }
        progresses.append(diligence.progress(c.risk_level, steps))
    measures = [
        statement.MeasureFacts(
            code,
            sum(1 for p in progresses if code in p.required),
            sum(1 for p in progresses if code in p.done),
        )
        for code in vocabulary.MEASURES
    ]
    actions = CorrectiveAction.objects.filter(supplier__organisation=organisation)
    open_actions = actions.filter(closed_on__isnull=True)
    fees: dict[str, list[int | Decimal]] = {}
    for f in FeeRepayment.objects.filter(supplier__organisation=organisation):
        t = fees.setdefault(f.currency, [0, Decimal(0), Decimal(0)])
        t[0] += f.workers_affected
        t[1] += f.amount_owed
        t[2] += f.amount_repaid
    inspections = Inspection.objects.filter(site__organisation=organisation)
    return statement.Facts(
        organisation=organisation.name,
        as_of=day,
        edition=_edition_text(),
        suppliers=Supplier.objects.filter(organisation=organisation).count(),
        suppliers_high=Supplier.objects.filter(organisation=organisation, orders__level="high")
        .distinct()
        .count(),
        levels=levels,
        contracts=len(contracts),
        contracts_complete=sum(1 for p in progresses if p.complete),
        contracts_with_clauses=sum(1 for c in contracts if c.clauses.all()),
        measures=measures,
        actions_open=open_actions.count(),
        actions_overdue=open_actions.filter(due_on__lt=day).count(),
        actions_closed=actions.filter(closed_on__isnull=False).count(),
        fees=[
            statement.FeeFacts(cur, int(w), Decimal(o), Decimal(r))
            for cur, (w, o, r) in sorted(fees.items())
        ],
        inspections=inspections.count(),
        inspections_with_indicators=sum(1 for i in inspections.only("indicators") if i.indicators),
        referrals=InspectionReferral.objects.filter(
            inspection__site__organisation=organisation
        ).count(),
    )


def statement_draft(
    *, actor: User | None, organisation: Organisation, fmt: str = "html"
) -> tuple[statement.Facts, tuple[statement.Section, ...]]:
    """The draft statement section; audited as an export (the format in the entry)."""
    _require(actor, organisation, Perm.SUPPLY_VIEW)
    facts = statement_facts(organisation)
    _audit("export", actor, organisation, "supply.statement", organisation.pk, format=fmt)
    return facts, statement.sections(facts)


# --- forced-labour-ban information requests --------------------------------------------------


def info_request_create(
    *,
    actor: User | None,
    organisation: Organisation,
    authority: str,
    received_on: date | None,
    supplier: Supplier | None,
    question: str,
    authority_reference: str = "",
    due_on: date | None = None,
    site: Site | None = None,
    product: str = "",
) -> InformationRequest:
    """Record what a competent authority asked, about one supplier (a site, a product)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    authority = _text(authority, "authority", 200, errs, required=True)
    authority_reference = _text(
        authority_reference, "authority_reference", 100, errs, required=False
    )
    product = _text(product, "product", 200, errs, required=False)
    question = _text(question, "question", 4000, errs, required=True)
    if received_on is None:
        errs.append(FieldError("received_on", "Required."))
    elif received_on > timezone.localdate():
        errs.append(FieldError("received_on", "A date in the future."))
    if due_on is not None and received_on is not None and due_on < received_on:
        errs.append(FieldError("due_on", "Before the date the request was received."))
    if supplier is None:
        errs.append(FieldError("supplier", "Required."))
    elif supplier.organisation_id != organisation.pk:
        errs.append(FieldError("supplier", "Not a supplier of your organisation."))
    if site is not None and (supplier is None or site.supplier_id != supplier.pk):
        errs.append(FieldError("site", "Not a site of this supplier."))
    if errs:
        raise InvalidInput(errs)
    assert supplier is not None and received_on is not None
    with transaction.atomic():
        req = InformationRequest.objects.create(
            organisation=organisation,
            authority=authority,
            authority_reference=authority_reference,
            received_on=received_on,
            due_on=due_on,
            supplier=supplier,
            site=site,
            product=product,
            question=question,
            created_by=actor,
            created_at=timezone.now(),
        )
        _audit(
            "create",
            actor,
            organisation,
            "supply.information_request",
            req.pk,
            supplier=supplier.pk,
            site=site.pk if site else None,
        )
    return req


@dataclass(frozen=True)
class ContractEvidence:
    contract: Contract
    measures: list[Any]  # MeasureRecord
    clauses: list[Any]  # ContractClause


@dataclass(frozen=True)
class InformationPack:
    request: InformationRequest
    supplier: Supplier
    sites: list[Site]
    lines: list[OrderLine]  # the first MAX_PACK_LINES, highest score first
    lines_total: int
    contracts: list[ContractEvidence]
    actions: list[CorrectiveAction]
    fees: list[statement.FeeFacts]
    edition: str


def information_pack(
    *, actor: User | None, organisation: Organisation, request: InformationRequest, fmt: str
) -> InformationPack:
    """What the registry holds about the request's supplier (its site, its product): sites,
    screened lines with their reasons and sources, measures with their evidence hashes,
    clauses, corrective actions and fee totals. Audited as an export."""
    _require(actor, organisation, Perm.SUPPLY_VIEW)
    if request.organisation_id != organisation.pk:
        raise NotAllowed("This request belongs to another organisation.")
    supplier = request.supplier
    sites = list(
        Site.objects.filter(pk=request.site_id)
        if request.site_id
        else Site.objects.filter(supplier=supplier).order_by("name", "id")
    )
    lines = OrderLine.objects.filter(supplier=supplier).select_related("contract")
    if request.product:
        lines = lines.filter(
            Q(good__icontains=request.product) | Q(product_code__icontains=request.product)
        )
    contracts = [
        ContractEvidence(
            c,
            list(c.measures.select_related("recorded_by")),
            list(c.clauses.all()),
        )
        for c in Contract.objects.filter(organisation=organisation, supplier=supplier)
    ]
    actions = CorrectiveAction.objects.filter(supplier=supplier).select_related("site")
    if request.site_id:
        actions = actions.filter(Q(site_id=request.site_id) | Q(site__isnull=True))
    fees: dict[str, list[int | Decimal]] = {}
    for f in FeeRepayment.objects.filter(supplier=supplier):
        t = fees.setdefault(f.currency, [0, Decimal(0), Decimal(0)])
        t[0] += f.workers_affected
        t[1] += f.amount_owed
        t[2] += f.amount_repaid
    _audit(
        "export",
        actor,
        organisation,
        "supply.information_pack",
        request.pk,
        supplier=supplier.pk,
        format=fmt,
    )
    return InformationPack(
        request=request,
        supplier=supplier,
        sites=sites,
        lines=list(lines.order_by("-score", "ref")[:MAX_PACK_LINES]),
        lines_total=lines.count(),
        contracts=contracts,
        actions=list(actions.order_by("due_on", "id")),
        fees=[
            statement.FeeFacts(cur, int(w), Decimal(o), Decimal(r))
            for cur, (w, o, r) in sorted(fees.items())
        ],
        edition=_edition_text(),
    )
