"""Writes of the NRM case file: service directory."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from palermo.cases import vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    CompensationClaim,
    ServiceProvider,
)
from palermo.cases.services._common import _event, _require_perm, _require_reach
from palermo.cases.services.proceedings import compensation_claim_record
from palermo.cases.timeline import said
from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm


def service_provider_save(
    *,
    actor: User,
    organisation: Organisation,
    provider_organisation: Organisation,
    service_types: list[str],
    capacity: int,
    languages: list[str],
    area_served: str,
    is_closed_facility: bool = False,
    accepts_children: bool = False,
    is_active: bool = True,
) -> ServiceProvider:
    """Add or change a directory entry (co-ordinators keep the national directory)."""
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    _require_reach(actor, provider_organisation)
    errors: list[FieldError] = []
    bad = [s for s in service_types if s not in wf.SERVICE_TYPES]
    if not service_types or bad:
        errors.append(
            FieldError(
                "service_types", "Choose from: {choices}.", choices=", ".join(wf.SERVICE_TYPES)
            )
        )
    if capacity < 0:
        errors.append(FieldError("capacity", "Zero (not limited) or more."))
    bad_l = [x for x in languages if not vocabulary.is_language(x)]
    if bad_l:
        errors.append(
            FieldError("languages", "Not ISO 639-1 codes: {codes}.", codes=", ".join(bad_l))
        )
    if is_closed_facility and accepts_children:
        errors.append(FieldError("accepts_children", "A closed facility never takes children."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        sp, created = ServiceProvider.objects.update_or_create(
            organisation=provider_organisation,
            defaults={
                "service_types": list(dict.fromkeys(service_types)),
                "capacity": capacity,
                "languages": list(dict.fromkeys(languages)),
                "area_served": area_served.strip()[:200],
                "is_closed_facility": is_closed_facility,
                "accepts_children": accepts_children,
                "is_active": is_active,
            },
        )
        audit.record(
            action="create" if created else "update",
            actor=actor,
            organisation=organisation,
            object_type="service_provider",
            object_ref=str(sp.pk),
            details={"services": sp.service_types},
        )
    return sp


def compensation_claim_from_investigation(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    amount: Any,
    currency: str,
    source: str,
    investigation_ref: str,
    method: str,
) -> CompensationClaim:
    """A compensation claim whose amount comes from a financial investigation's proceeds estimate.

    Same rules as ``compensation_claim_record``; the timeline also says which investigation the
    amount comes from and by which method.
    """
    with transaction.atomic():
        claim = compensation_claim_record(
            actor=actor,
            organisation=organisation,
            case=case,
            amount=amount,
            currency=currency,
            source=source,
        )
        _event(
            case,
            "compensation",
            actor,
            organisation,
            said("compensation_from_investigation", reference=investigation_ref),
            text=method,
        )
    return claim
