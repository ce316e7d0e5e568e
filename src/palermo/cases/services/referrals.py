"""Writes of the NRM case file: service referrals."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from palermo.cases import access, clock
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    Consent,
    ServiceProvider,
    ServiceReferral,
)
from palermo.cases.services._common import (
    NotAllowed,
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


def _answered(receiver: str, target: str, outcome: str) -> str:
    """The timeline's sentence for a referral's new status. Any other combination (none
    today: only closing carries an outcome) keeps the plain English wording."""
    if target == wf.REFERRAL_CLOSED and outcome in wf.REFERRAL_OUTCOMES:
        return said("referral_closed", organisation=receiver, outcome=outcome)
    if not outcome and target in ("accepted", "declined", "delivered"):
        return said(f"referral_{target}", organisation=receiver)
    return f"Referral to {receiver} {target}" + (
        f" ({wf.REFERRAL_OUTCOMES[outcome]})" if outcome else ""
    )


def service_referral_send(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    provider: ServiceProvider,
    service_type: str,
    consent: Consent,
    details: str = "",
) -> ServiceReferral:
    """Refer the person to a service. The consent must name the provider and cover the purpose."""
    _require_edit(actor, organisation, case, access.REFERRALS)
    _require_reach(actor, provider.organisation)
    today = clock.today()
    belongs = consent.case_id == case.pk
    problems = wf.service_referral_problems(
        service_type=service_type,
        provider_services=provider.service_types,
        provider_closed_facility=provider.is_closed_facility,
        is_child=case.is_child,
        consent_purpose=consent.purpose if belongs else None,
        consent_recipient_matches=belongs and consent.recipient_id == provider.organisation_id,
        consent_is_active=belongs
        and wf.consent_active(consent.given_on, consent.withdrawn_on, today),
    )
    errors = [
        FieldError(
            "consent"
            if "consent" in p.lower()
            else "provider"
            if "organisation" in p or "child" in p
            else "service_type",
            p,
        )
        for p in problems
    ]
    if not provider.is_active or not provider.organisation.is_active:
        errors.append(FieldError("provider", "This service provider is not active."))
    if case.is_child and not provider.accepts_children and service_type in ("shelter",):
        errors.append(FieldError("provider", "This shelter does not take children."))
    if not case.is_open:
        errors.append(FieldError("", "The case is closed."))
    if errors:
        raise InvalidInput(errors, detail="The referral cannot be sent.")
    with transaction.atomic():
        ref = ServiceReferral.objects.create(
            case=case,
            service_type=service_type,
            provider=provider,
            receiving_organisation=provider.organisation,
            sending_organisation=organisation,
            consent=consent,
            details=details.strip(),
            sent_by=actor,
            sent_at=clock.now(),
        )
        _event(
            case,
            "referral",
            actor,
            organisation,
            said("referral_sent", organisation=provider.organisation.name, service=service_type),
        )
        _audit(
            case,
            actor,
            organisation,
            "service_referral_send",
            action="create",
            referral=ref.pk,
            receiver=provider.organisation_id,
            service_type=service_type,
            consent=consent.pk,
        )
    return ref


def _referral_move(
    referral: ServiceReferral,
    *,
    actor: User,
    organisation: Organisation,
    target: str,
    receiver_only: bool,
    outcome: str = "",
    reason: str = "",
    **fields: Any,
) -> ServiceReferral:
    _require_perm(actor, organisation, Perm.EDIT_CASES)
    is_receiver = referral.receiving_organisation_id == organisation.pk
    if receiver_only and not is_receiver:
        raise NotAllowed("Only the receiving organisation answers a referral.")
    if not is_receiver:
        _require_edit(actor, organisation, referral.case, access.REFERRALS)
    problems = wf.referral_transition_problems(
        referral.status, target, outcome=outcome, reason=reason
    )
    if problems:
        field = (
            "reason"
            if "why" in problems[0].lower() or "describe" in problems[0].lower()
            else ("outcome" if "outcome" in problems[0].lower() else "status")
        )
        raise InvalidInput(
            [FieldError(field, p) for p in problems], detail="The referral cannot change this way."
        )
    previous = referral.status
    with transaction.atomic():
        # Guarded on the status read above: of two answers at once, the second is refused.
        updated = ServiceReferral.objects.filter(pk=referral.pk, status=previous).update(
            status=target, **fields
        )
        if not updated:
            raise InvalidInput(
                FieldError("status", "Someone else answered this referral meanwhile; reload it."),
                detail="Conflict.",
            )
        referral.refresh_from_db()
        _event(
            referral.case,
            "referral",
            actor,
            organisation,
            _answered(referral.receiving_organisation.name, target, outcome),
            text=reason.strip(),
        )
        _audit(
            referral.case,
            actor,
            organisation,
            f"service_referral_{target}",
            referral=referral.pk,
            previous=previous,
            outcome=outcome,
        )
    return referral


def service_referral_accept(
    *, actor: User, organisation: Organisation, referral: ServiceReferral
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_ACCEPTED,
        receiver_only=True,
        responded_at=clock.now(),
    )


def service_referral_decline(
    *, actor: User, organisation: Organisation, referral: ServiceReferral, reason: str
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_DECLINED,
        receiver_only=True,
        reason=reason,
        responded_at=clock.now(),
        decline_reason=reason.strip(),
    )


def service_referral_deliver(
    *, actor: User, organisation: Organisation, referral: ServiceReferral
) -> ServiceReferral:
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_DELIVERED,
        receiver_only=True,
        delivered_at=clock.now(),
    )


def service_referral_close(
    *,
    actor: User,
    organisation: Organisation,
    referral: ServiceReferral,
    outcome: str,
    details: str = "",
) -> ServiceReferral:
    """Close with an outcome: by the receiver, or by the case team (e.g. withdrawn)."""
    return _referral_move(
        referral,
        actor=actor,
        organisation=organisation,
        target=wf.REFERRAL_CLOSED,
        receiver_only=False,
        outcome=outcome,
        reason=details,
        closed_at=clock.now(),
        outcome_details=details.strip(),
    )
