"""Writes of the NRM case file: the person's identity and travel documents, held or missing.

Documents belong to the case file's *identity* field group (``access.IDENTITY``): a document's
type, issuing country and number say who the person is and where from, so they are shown and
changed only by those who may see the person's identity — the case team (law enforcement on
the team only with consent or a legal basis), the identification body, a referral receiver
whose consent covers identity. That a document is *withheld* is also a fact of the victim
context (HTCDS ``vic_MethodsOfControl`` value ``WithholdsDocuments``), recorded there for
those who need it without the person's identity.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction

from palermo.cases import access, clock, vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import Case, IdentityDocument
from palermo.cases.services._common import _as_date, _audit, _event, _require_edit
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User

# Letters, digits, spaces and the separators documents print: no control characters.
_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z \-/.]*")


def _clean_number(number: str, errors: list[FieldError]) -> str:
    n = str(number or "").strip()
    if n and (len(n) > wf.DOCUMENT_NUMBER_MAX or not _NUMBER.fullmatch(n)):
        errors.append(
            FieldError(
                "number", "At most 60 letters, digits, spaces, dashes, slashes or full stops."
            )
        )
    return n


def document_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    doc_type: str,
    status: str,
    issuing_country: str = "",
    number: str = "",
    expires_on: date | None = None,
) -> IdentityDocument:
    """A document the person holds or is missing. The number is encrypted at rest."""
    _require_edit(actor, organisation, case, access.IDENTITY)
    errors: list[FieldError] = []
    if doc_type not in wf.DOCUMENT_TYPES:
        errors.append(FieldError("doc_type", "Choose the kind of document."))
    if status not in wf.DOCUMENT_STATUSES:
        errors.append(FieldError("status", "Choose where the document is."))
    c = str(issuing_country or "").strip().upper()
    if c and not vocabulary.is_country(c):
        errors.append(FieldError("issuing_country", "Use an ISO 3166-1 alpha-2 code."))
    n = _clean_number(number, errors)
    if n and status == "never_issued":
        errors.append(FieldError("number", "A document never issued has no number."))
    expiry = _as_date(expires_on, "expires_on", errors, allow_future=True)
    if errors:
        raise InvalidInput(errors)
    now = clock.now()
    with transaction.atomic():
        doc = IdentityDocument.objects.create(
            case=case,
            doc_type=doc_type,
            issuing_country=c,
            status=status,
            number=n,
            expires_on=expiry,
            recorded_by=actor,
            recorded_at=now,
            updated_at=now,
        )
        _event(case, "document", actor, organisation, said("document_recorded"))
        # The audit entry names the kind and status, never the number.
        _audit(
            case,
            actor,
            organisation,
            "document_record",
            action="create",
            record=doc.pk,
            doc_type=doc_type,
            status=status,
        )
    return doc


def document_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    document_id: int,
    status: str,
) -> IdentityDocument:
    """Where the document is now (recovered from the exploiter, lost, expired …)."""
    _require_edit(actor, organisation, case, access.IDENTITY)
    doc = IdentityDocument.objects.filter(case=case, pk=document_id).first()
    if doc is None:
        raise InvalidInput(FieldError("document", "No such document on this case."))
    errors: list[FieldError] = []
    if status not in wf.DOCUMENT_STATUSES:
        errors.append(FieldError("status", "Choose where the document is."))
    elif status == doc.status:
        errors.append(FieldError("status", "That is already its status."))
    elif status == "never_issued" and doc.number:
        errors.append(FieldError("status", "A document with a number was issued."))
    if errors:
        raise InvalidInput(errors)
    previous = doc.status
    with transaction.atomic():
        if not IdentityDocument.objects.filter(pk=doc.pk, status=previous).update(
            status=status, updated_at=clock.now()
        ):
            raise InvalidInput(
                FieldError("status", "Someone else changed this document meanwhile; reload it."),
                detail="Conflict.",
            )
        doc.refresh_from_db()
        _event(case, "document", actor, organisation, said("document_updated"))
        _audit(
            case,
            actor,
            organisation,
            "document_update",
            record=doc.pk,
            previous=previous,
            status=status,
        )
    return doc
