"""Writes of the NRM case file: phases."""

from __future__ import annotations

from django.db import transaction

from palermo.cases import access, clock
from palermo.cases import workflow as wf
from palermo.cases.models import (
    AppealStatus,
    Case,
)
from palermo.cases.services._common import (
    _audit,
    _bump,
    _event,
    _plan,
    _refresh_next_deadline,
    _require_edit,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def case_transition(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    target: str,
    closure_reason: str = "",
    closure_details: str = "",
) -> Case:
    """Move the case to another NRM phase, or refuse with the reason."""
    _require_edit(actor, organisation, case, access.OVERVIEW)
    facts = wf.TransitionFacts(
        phase=case.phase,
        identification_status=case.identification_status,
        is_child=case.is_child,
        has_best_interests_determination=case.bids.exists(),
        closure_reason=closure_reason,
        closure_details=closure_details,
        appeal_pending=case.appeals.filter(status=AppealStatus.PENDING).exists(),
    )
    problems = wf.transition_problems(facts, target)
    if problems:
        raise InvalidInput(
            [FieldError("target", p) for p in problems],
            detail="This change of phase is not allowed.",
        )
    previous = case.phase
    with transaction.atomic():
        _bump(case, expected_version)
        case.phase = target
        case.status = wf.status_after_transition(target, closure_reason, case.status)
        if target == wf.CLOSED:
            case.closed_at = clock.now()
            case.closure_reason = closure_reason
            case.closure_details = closure_details.strip()
        elif previous == wf.CLOSED:
            case.closed_at = None
        case.save(
            update_fields=[
                "phase",
                "status",
                "closed_at",
                "closure_reason",
                "closure_details",
                "updated_at",
            ]
        )
        if target != wf.CLOSED:
            _plan(case, f"phase.{target}", clock.today())
        _refresh_next_deadline(case)
        _event(
            case,
            "transition",
            actor,
            organisation,
            said("transition_closed", previous=previous, target=target, reason=closure_reason)
            if target == wf.CLOSED
            else said("transition", previous=previous, target=target),
            text=closure_details.strip(),
        )
        _audit(
            case,
            actor,
            organisation,
            "case_transition",
            previous=previous,
            target=target,
            closure_reason=closure_reason,
        )
    return case
