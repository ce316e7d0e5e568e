"""Reads for the risk of a supplier and of a contract as a whole (``portfolio.py``): the
facts gathered from the registry in a fixed number of queries whatever the number of
suppliers, then assessed by the pure rule. Nothing is written here; the callers (page, API,
command line) audit the read."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from palermo.core.models import Organisation
from palermo.supply import portfolio, riskdata, selectors
from palermo.supply.models import (
    Contract,
    CorrectiveAction,
    OrderLine,
    Questionnaire,
    Site,
    Supplier,
)


def _listed_countries() -> tuple[dict[str, list[str]], tuple[tuple[str, str], ...]]:
    """The countries with a good currently listed for forced (child) labour in the current
    edition of any country × good list, each with the labels of the editions listing one
    there, and the countries' names as the lists give them."""
    sources: dict[str, list[str]] = {}
    names: set[tuple[str, str]] = set()
    for edition in selectors.current_risk_editions():
        if edition.format == riskdata.EXCLUSIONS:
            continue
        for r in selectors.edition_rows(edition):
            if {"fl", "fcl"} & set(r.current_kinds()):
                labels = sources.setdefault(r.country_code, [])
                if str(edition) not in labels:
                    labels.append(str(edition))
                names.add((r.country_code, r.country))
    return sources, tuple(sorted(names))


def _list_label(countries: set[str], sources: dict[str, list[str]]) -> str:
    """The editions that list a good of one of these countries, "; " between them."""
    labels = [label for c in sorted(countries & sources.keys()) for label in sources[c]]
    return "; ".join(dict.fromkeys(labels))


def supplier_facts(
    suppliers: list[Supplier], today: date | None = None
) -> dict[int, portfolio.SupplierFacts]:
    """The facts of each supplier, by its id."""
    day = today or timezone.localdate()
    ids = [s.pk for s in suppliers]
    lines: dict[int, list[portfolio.Line]] = defaultdict(list)
    for sid, ref, level, value, exposure in OrderLine.objects.filter(
        supplier_id__in=ids
    ).values_list("supplier_id", "ref", "level", "value", "exposure"):
        lines[sid].append(portfolio.Line(ref, level, value, exposure))
    countries: dict[int, set[str]] = defaultdict(set)
    for sid, country in Site.objects.filter(supplier_id__in=ids, is_closed=False).values_list(
        "supplier_id", "country"
    ):
        countries[sid].add(country)
    latest: dict[int, portfolio.Questionnaire] = {}
    for q in (
        Questionnaire.objects.filter(supplier_id__in=ids, answered_at__isnull=False)
        .order_by("supplier_id", "-answered_at", "-id")
        .only("id", "supplier_id", "level", "red_flags")
    ):
        latest.setdefault(
            q.supplier_id, portfolio.Questionnaire(str(q.pk), q.level or "low", q.red_flags)
        )
    open_actions: dict[int, list[str]] = defaultdict(list)
    overdue: dict[int, list[str]] = defaultdict(list)
    for aid, sid, due_on in CorrectiveAction.objects.filter(
        supplier_id__in=ids, closed_on__isnull=True
    ).values_list("id", "supplier_id", "due_on"):
        open_actions[sid].append(str(aid))
        if due_on < day:
            overdue[sid].append(str(aid))
    listed, names = _listed_countries()
    excluded = selectors.exclusions_in_force(on=day, company_ids=(s.company_id for s in suppliers))
    return {
        s.pk: portfolio.SupplierFacts(
            key=str(s.pk),
            lines=tuple(lines[s.pk]),
            evidence=s.evidence(),
            questionnaire=latest.get(s.pk),
            open_actions=tuple(open_actions[s.pk]),
            overdue_actions=tuple(overdue[s.pk]),
            site_countries=frozenset(countries[s.pk]),
            listed_countries=frozenset(listed),
            list_label=_list_label(countries[s.pk], listed),
            country_names=names,
            exclusion=excluded.get(s.company_id, ""),
            recruiter=s.is_recruiter,
        )
        for s in suppliers
    }


def supplier_risk(supplier: Supplier, today: date | None = None) -> portfolio.Assessment:
    return portfolio.assess_supplier(supplier_facts([supplier], today)[supplier.pk])


def supplier_risks(
    organisation: Organisation, today: date | None = None
) -> list[tuple[Supplier, portfolio.Assessment]]:
    """Every supplier of the organisation with its assessment, most urgent first."""
    suppliers = list(Supplier.objects.filter(organisation=organisation).order_by("name", "id"))
    facts = supplier_facts(suppliers, today)
    by_key = {str(s.pk): s for s in suppliers}
    ranked = portfolio.prioritise(
        (s.name, portfolio.assess_supplier(facts[s.pk])) for s in suppliers
    )
    return [(by_key[a.key], a) for _name, a in ranked]


def contract_suppliers(contract: Contract) -> QuerySet[Supplier]:
    """The contract's supplier and the suppliers of its own screened lines."""
    ids = set(contract.orders.exclude(supplier=None).values_list("supplier_id", flat=True))
    if contract.supplier_id:
        ids.add(contract.supplier_id)
    return Supplier.objects.filter(pk__in=ids, organisation_id=contract.organisation_id)


def contract_risk(
    contract: Contract, today: date | None = None
) -> tuple[portfolio.Assessment, list[tuple[Supplier, portfolio.Assessment]]]:
    """The contract as a whole, and each of its suppliers' assessments."""
    suppliers = list(contract_suppliers(contract).order_by("name", "id"))
    facts = supplier_facts(suppliers, today)
    assessed = [(s, portfolio.assess_supplier(facts[s.pk])) for s in suppliers]
    lines = [
        portfolio.Line(ref, level, value, exposure)
        for ref, level, value, exposure in contract.orders.values_list(
            "ref", "level", "value", "exposure"
        )
    ]
    whole = portfolio.assess_contract(str(contract.pk), ((s.name, a) for s, a in assessed), lines)
    return whole, assessed
