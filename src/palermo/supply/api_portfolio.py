"""Supply-chain API, the risk of suppliers and contracts as a whole (``portfolio.py``):
``GET /suppliers/risk`` (prioritised, paged), ``GET /suppliers/{id}/risk``,
``GET /contracts/{id}/risk``. Every read is audited with the object's id only. Mounted at
``/supply`` beside ``supply.api``.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from palermo.core import audit
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.supply import portfolio, portfolio_selectors
from palermo.supply.models import Contract, Supplier

router = Router(tags=["supply"])
MAX_ID = 2**63 - 1


class WholeReasonOut(Schema):
    code: str
    points: int
    template: str
    params: dict[str, str]
    source_kind: str
    source: str


class WholeRiskOut(Schema):
    level: str
    score: int
    spend: str
    exposure: str = Field(description="value × share of the medium- and high-risk lines")
    shares: dict[str, str] = Field(description="level → share of the spend (0–1)")
    rule: str
    reasons: list[WholeReasonOut]


class SupplierRiskOut(WholeRiskOut):
    supplier_id: int
    name: str
    company_id: str
    position: int = Field(description="1 = the most urgent")


class SupplierRiskRef(Schema):
    supplier_id: int
    name: str
    level: str
    score: int


class ContractRiskOut(WholeRiskOut):
    contract_id: int
    reference: str
    chosen_level: str = Field(description="the level the officer chose for the contract")
    suppliers: list[SupplierRiskRef]


class SupplierRiskPage(Schema):
    count: int
    items: list[SupplierRiskOut]


class RankFilter(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


def _whole(a: portfolio.Assessment) -> dict[str, Any]:
    return a.to_dict()


@router.get(
    "/suppliers/risk",
    response=with_errors(SupplierRiskPage),
    summary="Your suppliers' risk as a whole, most urgent first (level, score, exposure, spend)",
)
@api_requires(Perm.SUPPLY_VIEW)
def supplier_risk_list(request: AuthedRequest, page: Query[RankFilter]) -> Any:
    ranked = portfolio_selectors.supplier_risks(request.organisation)
    chosen = ranked[page.offset : page.offset + page.limit]
    audit.record_request(
        request,
        action="read",
        object_type="supply.supplier_risk",
        details={"suppliers": len(ranked), "offset": page.offset, "returned": len(chosen)},
    )
    return {
        "count": len(ranked),
        "items": [
            {
                **_whole(a),
                "supplier_id": s.pk,
                "name": s.name,
                "company_id": s.company_id,
                "position": page.offset + i + 1,
            }
            for i, (s, a) in enumerate(chosen)
        ],
    }


@router.get(
    "/suppliers/{supplier_id}/risk",
    response=with_errors(SupplierRiskOut),
    summary="One supplier's risk as a whole, with every reason and its source",
)
@api_requires(Perm.SUPPLY_VIEW)
def supplier_risk(request: AuthedRequest, supplier_id: int) -> Any:
    supplier = get_object_or_404(
        Supplier, pk=min(max(supplier_id, 0), MAX_ID), organisation=request.organisation
    )
    ranked = portfolio_selectors.supplier_risks(request.organisation)
    position, a = next((i + 1, a) for i, (s, a) in enumerate(ranked) if s.pk == supplier.pk)
    audit.record_request(
        request, action="read", object_type="supply.supplier_risk", object_ref=str(supplier.pk)
    )
    return {
        **_whole(a),
        "supplier_id": supplier.pk,
        "name": supplier.name,
        "company_id": supplier.company_id,
        "position": position,
    }


@router.get(
    "/contracts/{contract_id}/risk",
    response=with_errors(ContractRiskOut),
    summary="One contract's risk as a whole: its suppliers' and its own lines'",
)
@api_requires(Perm.SUPPLY_VIEW)
def contract_risk(request: AuthedRequest, contract_id: int) -> Any:
    contract = get_object_or_404(
        Contract, pk=min(max(contract_id, 0), MAX_ID), organisation=request.organisation
    )
    a, suppliers = portfolio_selectors.contract_risk(contract)
    audit.record_request(
        request, action="read", object_type="supply.contract_risk", object_ref=str(contract.pk)
    )
    return {
        **_whole(a),
        "contract_id": contract.pk,
        "reference": contract.reference,
        "chosen_level": contract.risk_level,
        "suppliers": [
            {"supplier_id": s.pk, "name": s.name, "level": sa.level, "score": sa.score}
            for s, sa in suppliers
        ],
    }
