"""Writes of the NRM case file: identification."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from palermo.cases import access, clock, entitlements
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Appeal,
    AppealStatus,
    Case,
    IdentificationDecision,
)
from palermo.cases.services._common import (
    NotAllowed,
    StaleVersion,
    _as_date,
    _audit,
    _bump,
    _complete_rule_task,
    _event,
    _facts,
    _plan,
    _refresh_next_deadline,
    _require_edit,
    _require_perm,
    _rules,
    rule_settings,
)
from palermo.cases.services.team import _lead_on_team
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm


def _decide(
    case: Case, *, actor: User, organisation: Organisation, outcome: str, reasons: str, basis: str
) -> IdentificationDecision:
    previous = case.identification_status
    decision = IdentificationDecision.objects.create(
        case=case,
        outcome=outcome,
        previous_status=previous,
        reasons=reasons.strip(),
        basis=basis,
        decided_by=actor,
        organisation=organisation,
        decided_at=clock.now(),
    )
    Case.objects.filter(pk=case.pk).update(
        identification_status=outcome, decision_organisation=organisation
    )
    case.identification_status = outcome
    case.decision_organisation = organisation
    _complete_rule_task(case, "identification_decision", actor, f"Decided: {outcome}")
    if outcome in (wf.PRESUMED, wf.IDENTIFIED):
        _plan(case, f"identification.{outcome}", clock.today())
        _lead_on_team(case, actor)
    _refresh_next_deadline(case)
    _event(
        case,
        "decision",
        actor,
        organisation,
        said(f"decision_{basis}" if basis else "decision", outcome=outcome),
        text=reasons.strip(),
    )
    _audit(
        case,
        actor,
        organisation,
        "identification_decide",
        outcome=outcome,
        previous=previous,
        basis=basis,
    )
    return decision


def identification_decision_plan(case: Case, outcome: str) -> list[entitlements.PlannedDeadline]:
    """What deciding ``outcome`` today would start: the entitlements and deadlines the rules
    attach to it (the review page restates them before the decision is saved). Writes nothing."""
    if outcome not in (wf.PRESUMED, wf.IDENTIFIED):
        return []
    return entitlements.plan(
        f"identification.{outcome}", clock.today(), _facts(case), _rules(), rule_settings()
    )


def identification_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    outcome: str,
    reasons: str,
    basis: str = "",
) -> IdentificationDecision:
    """The competent body decides: presumed, identified or not identified, with reasons.

    ``basis`` is "appeal" or "new_facts" when a "not identified" decision is changed.
    A presumed or identified decision starts the reflection period and other rules.
    """
    _require_perm(actor, organisation, Perm.DECIDE_IDENTIFICATION)
    if not organisation.is_identification_body:
        raise NotAllowed("Only the competent identification body takes identification decisions.")
    errors = [
        FieldError("reasons" if "reasons" in p else "outcome", p)
        for p in wf.decision_problems(
            case.identification_status,
            outcome,
            reasons,
            on_appeal_or_new_facts=basis in ("appeal", "new_facts"),
        )
    ]
    if basis not in ("", "appeal", "new_facts"):
        errors.append(FieldError("basis", "Use appeal or new_facts, or leave empty."))
    if errors:
        raise InvalidInput(errors, detail="The decision cannot be recorded.")
    with transaction.atomic():
        _bump(case, expected_version)
        return _decide(
            case,
            actor=actor,
            organisation=organisation,
            outcome=outcome,
            reasons=reasons,
            basis=basis,
        )


def appeal_lodge(
    *, actor: User, organisation: Organisation, case: Case, grounds: str, lodged_on: date
) -> Appeal:
    _require_edit(actor, organisation, case, access.TIMELINE)
    decision = case.decisions.order_by("-decided_at", "-id").first()
    errors: list[FieldError] = []
    if decision is None:
        errors.append(FieldError("", "There is no identification decision to appeal against."))
    elif case.appeals.filter(status=AppealStatus.PENDING).exists():
        errors.append(FieldError("", "An appeal is already pending."))
    if len(grounds.strip()) < 10:
        errors.append(FieldError("grounds", "State the grounds of the appeal."))
    _as_date(lodged_on, "lodged_on", errors)
    if decision is not None and lodged_on < decision.decided_at.date():
        errors.append(FieldError("lodged_on", "An appeal is lodged after the decision."))
    if errors:
        raise InvalidInput(errors)
    assert decision is not None
    with transaction.atomic():
        appeal = Appeal.objects.create(
            case=case,
            decision=decision,
            lodged_on=lodged_on,
            grounds=grounds.strip(),
            recorded_by=actor,
        )
        _event(
            case,
            "appeal",
            actor,
            organisation,
            said("appeal_lodged", outcome=decision.outcome),
            text=grounds.strip(),
        )
        _audit(case, actor, organisation, "appeal_lodge", decision=decision.pk)
    return appeal


def appeal_decide(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    appeal_id: int,
    upheld: bool,
    reasons: str,
    new_outcome: str = "",
) -> Appeal:
    """Record the outcome of an appeal; an upheld appeal records the new decision too."""
    _require_perm(actor, organisation, Perm.DECIDE_IDENTIFICATION)
    if not organisation.is_identification_body:
        raise NotAllowed("Only the competent identification body records appeal outcomes.")
    appeal = case.appeals.filter(pk=appeal_id).first()
    errors: list[FieldError] = []
    if appeal is None:
        raise InvalidInput(FieldError("appeal", "No such appeal on this case."))
    if appeal.status != AppealStatus.PENDING:
        errors.append(FieldError("appeal", "This appeal has already been decided."))
    if len(reasons.strip()) < 10:
        errors.append(FieldError("reasons", "Give the reasons for the outcome."))
    if upheld:
        errors += [
            FieldError("new_outcome", p)
            for p in wf.decision_problems(
                case.identification_status, new_outcome, reasons, on_appeal_or_new_facts=True
            )
            if "reasons" not in p
        ]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        updated = Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.PENDING).update(
            status=AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED,
            outcome_on=clock.today(),
            outcome_reasons=reasons.strip(),
        )
        if not updated:
            raise StaleVersion()
        appeal.refresh_from_db()
        _event(
            case,
            "appeal",
            actor,
            organisation,
            said("appeal_upheld" if upheld else "appeal_dismissed"),
            text=reasons.strip(),
        )
        _audit(case, actor, organisation, "appeal_decide", appeal=appeal.pk, upheld=upheld)
        if upheld:
            _decide(
                case,
                actor=actor,
                organisation=organisation,
                outcome=new_outcome,
                reasons=reasons,
                basis="appeal",
            )
    return appeal
