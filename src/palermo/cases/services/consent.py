"""Writes of the NRM case file: consent."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from palermo.cases import access, clock, selectors
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    Consent,
    LegalBasis,
)
from palermo.cases.services._common import (
    NotAllowed,
    _as_date,
    _audit,
    _event,
    _require_edit,
    _require_perm,
    _require_reach,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm


def consent_give(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    scopes: list[str],
    recipient: Organisation,
    purpose: str,
    given_by: str,
    given_on: date,
    notes: str = "",
) -> Consent:
    """Record consent: what may be shared (scopes), with whom (recipient), for what purpose."""
    _require_edit(actor, organisation, case, access.CONSENTS)
    _require_reach(actor, recipient)
    errors = [
        FieldError("", p)
        for p in wf.consent_problems(
            scopes=scopes,
            purpose=purpose,
            given_on=given_on,
            today=clock.today(),
            given_by=given_by,
            is_child=case.is_child,
        )
    ]
    # Attach each message to its field for the form.
    fixed: list[FieldError] = []
    for e in errors:
        m = e.message
        field = (
            "scopes"
            if "information" in m or "shared" in m
            else "purpose"
            if "purpose" in m
            else "given_on"
            if "date" in m
            else "given_by"
        )
        fixed.append(FieldError(field, m))
    if not recipient.is_active:
        fixed.append(FieldError("recipient", "That organisation is not active."))
    if fixed:
        raise InvalidInput(fixed)
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            scopes=list(dict.fromkeys(scopes)),
            recipient=recipient,
            purpose=purpose,
            given_by=given_by,
            given_on=given_on,
            notes=notes.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "consent",
            actor,
            organisation,
            said(
                "consent_given",
                giver=given_by,
                scopes=consent.scopes,
                organisation=recipient.name,
                purpose=purpose,
            ),
        )
        _audit(
            case,
            actor,
            organisation,
            "consent_give",
            action="create",
            consent=consent.pk,
            scopes=consent.scopes,
            recipient=recipient.pk,
            purpose=purpose,
        )
    return consent


def consent_withdraw(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    consent_id: int,
    withdrawn_on: date | None = None,
) -> Consent:
    """Withdrawal takes effect at once for every referral that relied on the consent."""
    _require_edit(actor, organisation, case, access.CONSENTS)
    consent = case.consents.filter(pk=consent_id).first()
    if consent is None:
        raise InvalidInput(FieldError("consent", "No such consent on this case."))
    errors: list[FieldError] = []
    day = _as_date(withdrawn_on, "withdrawn_on", errors) or clock.today()
    if consent.withdrawn_on is not None:
        errors.append(FieldError("consent", "This consent has already been withdrawn."))
    if day < consent.given_on:
        errors.append(FieldError("withdrawn_on", "Consent is withdrawn after it was given."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(withdrawn_on=day, withdrawal_recorded_by=actor)
        consent.refresh_from_db()
        _event(
            case,
            "consent",
            actor,
            organisation,
            said("consent_withdrawn", organisation=consent.recipient.name),
        )
        _audit(case, actor, organisation, "consent_withdraw", consent=consent.pk)
    return consent


def legal_basis_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    member: Organisation,
    basis: str,
    valid_until: date | None = None,
) -> LegalBasis:
    """A legal basis (court order, statutory power) for a law-enforcement team member to see the identity."""
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    _require_reach(actor, member)
    if not organisation.is_identification_body:
        raise NotAllowed("The identification body records a legal basis.")
    errors: list[FieldError] = []
    if len(basis.strip()) < 5:
        errors.append(
            FieldError("basis", "Cite the legal basis (e.g. the court order and its number).")
        )
    if not selectors.is_law_enforcement(member):
        errors.append(
            FieldError(
                "organisation", "A legal basis is recorded for a law-enforcement organisation."
            )
        )
    if valid_until is not None and valid_until < clock.today():
        errors.append(FieldError("valid_until", "This date has passed."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        row = LegalBasis.objects.create(
            case=case,
            organisation=member,
            basis=basis.strip()[:300],
            valid_until=valid_until,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "legal_basis",
            actor,
            organisation,
            said("legal_basis", organisation=member.name),
            text=basis.strip(),
        )
        _audit(case, actor, organisation, "legal_basis_record", action="create", member=member.pk)
    return row
