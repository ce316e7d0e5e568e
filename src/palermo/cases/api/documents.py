"""The person's identity and travel documents, held or missing (the identity field group)."""

from ninja import Schema

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, router
from palermo.cases.api.fields import (
    CountryCode,
    Day,
    DocumentStatus,
    DocumentType,
    IdentityNumber,
    PathId,
    Ref,
)
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class DocumentIn(Schema):
    doc_type: DocumentType
    status: DocumentStatus
    issuing_country: CountryCode = ""
    number: IdentityNumber = ""
    expires_on: Day | None = None


@router.post(
    "/{case_ref}/documents",
    response=WRITE,
    summary="Record an identity or travel document the person holds or is missing",
)
@api_requires(Perm.EDIT_CASES)
def document(request: AuthedRequest, case_ref: Ref, payload: DocumentIn) -> Case:
    case = case_for(request, case_ref)
    services.document_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        doc_type=payload.doc_type,
        status=payload.status,
        issuing_country=payload.issuing_country,
        number=payload.number,
        expires_on=payload.expires_on,
    )
    return case


class DocumentStatusIn(Schema):
    status: DocumentStatus


@router.post(
    "/{case_ref}/documents/{document_id}/status",
    response=WRITE,
    summary="Where an identity document is now",
)
@api_requires(Perm.EDIT_CASES)
def document_status(
    request: AuthedRequest, case_ref: Ref, document_id: PathId, payload: DocumentStatusIn
) -> Case:
    case = case_for(request, case_ref)
    services.document_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        document_id=document_id,
        status=payload.status,
    )
    return case
