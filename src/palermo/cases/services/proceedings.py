"""Writes of the NRM case file: proceedings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from palermo.cases import access, clock, selectors
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    CompensationClaim,
    NonPunishment,
)
from palermo.cases.services._common import (
    NotAllowed,
    _as_date,
    _audit,
    _event,
    _require_edit,
    _require_perm,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput, Problem
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm


def non_punishment_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    offence: str,
    compulsion: str,
    decision: str = "pending",
    decided_by_body: str = "",
    decided_on: date | None = None,
) -> NonPunishment:
    """An offence the person was compelled to commit, and the decision on it (CoE Art. 26)."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    errors: list[FieldError] = []
    if not offence.strip():
        errors.append(FieldError("offence", "Name the offence."))
    if len(compulsion.strip()) < 10:
        errors.append(
            FieldError("compulsion", "Describe how the offence stemmed from the trafficking.")
        )
    if decision not in wf.NON_PUNISHMENT_DECISIONS:
        errors.append(FieldError("decision", "Choose a decision."))
    day = _as_date(decided_on, "decided_on", errors)
    if decision != "pending" and day is None:
        errors.append(FieldError("decided_on", "Give the date of the decision."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        np = NonPunishment.objects.create(
            case=case,
            offence=offence.strip()[:300],
            compulsion=compulsion.strip(),
            decision=decision,
            decided_by_body=decided_by_body.strip()[:200],
            decided_on=day,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "non_punishment",
            actor,
            organisation,
            said("non_punishment", decision=decision),
        )
        _audit(
            case,
            actor,
            organisation,
            "non_punishment_record",
            action="create",
            record=np.pk,
            decision=decision,
        )
    return np


def non_punishment_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    record_id: int,
    decision: str,
    decided_by_body: str,
    decided_on: date,
) -> NonPunishment:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    np = case.non_punishment.filter(pk=record_id).first()
    if np is None:
        raise InvalidInput(FieldError("record", "No such record on this case."))
    errors: list[FieldError] = []
    if decision not in wf.NON_PUNISHMENT_DECISIONS or decision == "pending":
        errors.append(FieldError("decision", "Choose the decision taken."))
    if np.decision != "pending":
        errors.append(FieldError("decision", "The decision is already recorded."))
    _as_date(decided_on, "decided_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        NonPunishment.objects.filter(pk=np.pk).update(
            decision=decision, decided_by_body=decided_by_body.strip()[:200], decided_on=decided_on
        )
        np.refresh_from_db()
        _event(
            case,
            "non_punishment",
            actor,
            organisation,
            said("non_punishment", decision=decision),
        )
        _audit(case, actor, organisation, "non_punishment_decide", record=np.pk, decision=decision)
    return np


def _amount(value: Any, field: str, errors: list[FieldError]) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(FieldError(field, "A positive amount, e.g. 2500.00."))
        return None
    if not d.is_finite() or d <= 0 or d >= Decimal("1e12") or d.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append(FieldError(field, "A positive amount with at most two decimals."))
        return None
    return d


def _require_proceedings(
    actor: User, organisation: Organisation | None, case: Case
) -> access.Visibility:
    """Who records compensation claims: whoever edits the case, or an investigating organisation
    (police, prosecution, FIU) on the case team, which seeks compensation in the proceedings."""
    if has_perm(actor, Perm.EDIT_CASES, organisation):
        return _require_edit(actor, organisation, case, access.SAFEGUARDS)
    _require_perm(actor, organisation, Perm.RECORD_PROCEEDINGS)
    vis = selectors.case_visibility(actor, organisation, case)
    if "case team" not in vis.basis or access.SAFEGUARDS not in vis:
        raise NotAllowed("Only the case team and the identification body change this case.")
    return vis


def compensation_claim_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    amount: Any,
    currency: str,
    source: str,
    filed_on: date | None = None,
) -> CompensationClaim:
    _require_proceedings(actor, organisation, case)
    errors: list[FieldError] = []
    amt = _amount(amount, "amount", errors)
    cur = currency.strip().upper()
    import pycountry

    if pycountry.currencies.get(alpha_3=cur) is None:
        errors.append(FieldError("currency", "Use an ISO 4217 currency code, e.g. EUR."))
    if source not in wf.COMPENSATION_SOURCES:
        errors.append(FieldError("source", "Offender, state fund or confiscated assets."))
    filed = _as_date(filed_on, "filed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        claim = CompensationClaim.objects.create(
            case=case,
            amount=amt,
            currency=cur,
            source=source,
            status="filed" if filed else "planned",
            filed_on=filed,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "compensation",
            actor,
            organisation,
            said("compensation_claim", source=source, status=claim.status),
        )
        _audit(
            case,
            actor,
            organisation,
            "compensation_claim_record",
            action="create",
            claim=claim.pk,
            source=source,
        )
    return claim


def compensation_claim_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    claim_id: int,
    status: str,
    on: date | None = None,
    amount_awarded: Any = None,
) -> CompensationClaim:
    _require_proceedings(actor, organisation, case)
    claim = case.compensation_claims.filter(pk=claim_id).first()
    if claim is None:
        raise InvalidInput(FieldError("claim", "No such claim on this case."))
    errors: list[FieldError] = []
    if status not in wf.COMPENSATION_TRANSITIONS.get(claim.status, frozenset()):
        errors.append(
            FieldError(
                "status",
                "A claim that is '{current}' cannot become '{wanted}'.",
                # The status codes are their own English words (msgids with the timeline's
                # words): said in the reader's language, never as codes.
                current=Problem(claim.status),
                wanted=Problem(status),
            )
        )
    day = _as_date(on, "on", errors) or clock.today()
    awarded = None
    if status == "awarded":
        awarded = _amount(amount_awarded, "amount_awarded", errors)
    if errors:
        raise InvalidInput(errors)
    fields: dict[str, Any] = {"status": status}
    if status == "filed":
        fields["filed_on"] = day
    if status in ("awarded", "rejected"):
        fields["decided_on"] = day
    if awarded is not None:
        fields["amount_awarded"] = awarded
    with transaction.atomic():
        if not CompensationClaim.objects.filter(pk=claim.pk, status=claim.status).update(**fields):
            raise InvalidInput(
                FieldError("status", "Someone else changed this claim meanwhile; reload it."),
                detail="Conflict.",
            )
        claim.refresh_from_db()
        _event(
            case, "compensation", actor, organisation, said("compensation_status", status=status)
        )
        _audit(
            case, actor, organisation, "compensation_claim_update", claim=claim.pk, status=status
        )
    return claim
