"""Supply-chain API added for issue 18 (``/api/v1/supply/…``, beside ``supply.api``): the
model-clause library and a contract's clauses, the move along the lifecycle through the
per-stage gates, the evidence pack as PDF, the draft modern-slavery statement, and the
information requests of competent authorities with their pack.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.supply import clauses, documents, services
from palermo.supply.models import Contract, InformationRequest, Site, Supplier

router = Router(tags=["supply"])
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class ClauseOut(Schema):
    id: str
    version: int
    title: str
    text: str
    measures: list[str]
    stage: str


class AttachedClauseOut(ClauseOut):
    attached_at: dt.datetime


class ClauseIn(Schema):
    clause_id: str = Field(min_length=1, max_length=60)


class StageIn(Schema):
    stage: str = Field(min_length=1, max_length=20)


class StageOut(Schema):
    id: int
    stage: str


class StatementSectionOut(Schema):
    heading: str
    paragraphs: list[str]


class SupplyStatementOut(Schema):
    title: str
    draft: bool
    sections: list[StatementSectionOut]


class InfoRequestIn(Schema):
    authority: str = Field(min_length=1, max_length=200)
    authority_reference: str = Field("", max_length=100)
    received_on: dt.date
    due_on: dt.date | None = None
    supplier_id: Id
    site_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    product: str = Field("", max_length=200)
    question: str = Field(min_length=1, max_length=4000)


class InfoRequestOut(Schema):
    id: int
    authority: str
    received_on: dt.date
    supplier_id: int
    site_id: int | None
    product: str


def _contract(request: AuthedRequest, contract_id: int) -> Contract:
    return get_object_or_404(Contract, pk=contract_id, organisation=request.organisation)


@router.get("/clauses", response=with_errors(list[ClauseOut]), summary="The model-clause library")
@api_requires(Perm.SUPPLY_VIEW)
def clause_list(request: AuthedRequest) -> Any:
    return [
        {
            "id": c.id,
            "version": c.version,
            "title": c.title,
            "text": c.text,
            "measures": list(c.measures),
            "stage": c.stage,
        }
        for c in clauses.library().clauses
    ]


def _attached(row: Any) -> dict[str, Any]:
    return {
        "id": row.clause_id,
        "version": row.version,
        "title": row.title,
        "text": row.text,
        "measures": list(row.measures),
        "stage": row.stage,
        "attached_at": row.attached_at,
    }


@router.get(
    "/contracts/{contract_id}/clauses",
    response=with_errors(list[AttachedClauseOut]),
    summary="The model clauses attached to a contract",
)
@api_requires(Perm.SUPPLY_VIEW)
def contract_clauses(request: AuthedRequest, contract_id: Id) -> Any:
    return [_attached(r) for r in _contract(request, contract_id).clauses.all()]


@router.post(
    "/contracts/{contract_id}/clauses",
    response=with_errors({201: AttachedClauseOut}),
    summary="Attach a clause of the library to a contract (its current version)",
)
@api_requires(Perm.SUPPLY_MANAGE)
def clause_attach(request: AuthedRequest, contract_id: Id, payload: ClauseIn) -> Any:
    row = services.clause_attach(
        actor=request.user,
        organisation=request.organisation,
        contract=_contract(request, contract_id),
        clause_id=payload.clause_id,
    )
    return Status(201, _attached(row))


@router.delete(
    "/contracts/{contract_id}/clauses/{clause_id}",
    response=with_errors({204: None}),
    summary="Remove a clause from a contract",
)
@api_requires(Perm.SUPPLY_MANAGE)
def clause_detach(
    request: AuthedRequest, contract_id: Id, clause_id: Annotated[str, Field(max_length=60)]
) -> Any:
    services.clause_detach(
        actor=request.user,
        organisation=request.organisation,
        contract=_contract(request, contract_id),
        clause_id=clause_id,
    )
    return Status(204, None)


@router.post(
    "/contracts/{contract_id}/stage",
    response=with_errors(StageOut),
    summary="Move a contract forward along the lifecycle (refused while an earlier measure is missing or not met)",
)
@api_requires(Perm.SUPPLY_MANAGE)
def contract_advance(request: AuthedRequest, contract_id: Id, payload: StageIn) -> Any:
    contract = services.contract_advance(
        actor=request.user,
        organisation=request.organisation,
        contract=_contract(request, contract_id),
        stage=payload.stage,
    )
    return {"id": contract.pk, "stage": contract.stage}


@router.get(
    "/contracts/{contract_id}/evidence-pack.pdf",
    response=with_errors({200: None}),
    summary="The tender's evidence pack as PDF (measures, evidence SHA-256, clauses, sites)",
)
@api_requires(Perm.SUPPLY_VIEW)
def evidence_pack_pdf(request: AuthedRequest, contract_id: Id) -> Any:
    contract = _contract(request, contract_id)
    pack = services.evidence_pack(
        actor=request.user, organisation=request.organisation, contract=contract, fmt="pdf"
    )
    response = HttpResponse(documents.evidence_pack_pdf(pack), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evidence-pack-{contract.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/statement",
    response=with_errors(SupplyStatementOut),
    summary="The draft modern-slavery statement section of your organisation",
)
@api_requires(Perm.SUPPLY_VIEW)
def statement(request: AuthedRequest) -> Any:
    facts, parts = services.statement_draft(
        actor=request.user, organisation=request.organisation, fmt="json"
    )
    return {
        "title": documents.statement_title(facts.organisation),
        "draft": True,
        "sections": [
            {"heading": s.heading.said(), "paragraphs": [p.said() for p in s.paragraphs]}
            for s in parts
        ],
    }


@router.post(
    "/information-requests",
    response=with_errors({201: InfoRequestOut}),
    summary="Record a competent authority's request under a forced-labour ban",
)
@api_requires(Perm.SUPPLY_MANAGE)
def info_request_create(request: AuthedRequest, payload: InfoRequestIn) -> Any:
    org = request.organisation
    supplier = Supplier.objects.filter(pk=payload.supplier_id, organisation=org).first()
    site = (
        Site.objects.filter(pk=payload.site_id, organisation=org).first()
        if payload.site_id
        else None
    )
    req = services.info_request_create(
        actor=request.user,
        organisation=org,
        authority=payload.authority,
        authority_reference=payload.authority_reference,
        received_on=payload.received_on,
        due_on=payload.due_on,
        supplier=supplier,
        site=site,
        product=payload.product,
        question=payload.question,
    )
    return Status(
        201,
        {
            "id": req.pk,
            "authority": req.authority,
            "received_on": req.received_on,
            "supplier_id": req.supplier_id,
            "site_id": req.site_id,
            "product": req.product,
        },
    )


@router.get(
    "/information-requests/{request_id}/pack.pdf",
    response=with_errors({200: None}),
    summary="The information pack answering a request (PDF; no worker's personal data)",
)
@api_requires(Perm.SUPPLY_VIEW)
def info_pack_pdf(request: AuthedRequest, request_id: Id) -> Any:
    req = get_object_or_404(InformationRequest, pk=request_id, organisation=request.organisation)
    pack = services.information_pack(
        actor=request.user, organisation=request.organisation, request=req, fmt="pdf"
    )
    response = HttpResponse(documents.information_pack_pdf(pack), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="information-pack-{req.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
