"""Writes of the NRM case file: children."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction

from palermo.cases import access
from palermo.cases import workflow as wf
from palermo.cases.models import (
    BestInterestsDetermination,
    Case,
    ChildSafeguard,
)
from palermo.cases.services._common import (
    _as_date,
    _audit,
    _complete_rule_task,
    _event,
    _refresh_next_deadline,
    _require_edit,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def _child(case: Case) -> ChildSafeguard:
    if not case.is_child:
        raise InvalidInput(FieldError("", "This is not a child's case."))
    return ChildSafeguard.objects.get_or_create(case=case)[0]


def guardian_appoint(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    guardian_name: str,
    appointed_on: date,
    guardian_organisation: Organisation | None = None,
) -> ChildSafeguard:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    child = _child(case)
    errors: list[FieldError] = []
    if not guardian_name.strip():
        errors.append(FieldError("guardian_name", "Name the guardian."))
    _as_date(appointed_on, "appointed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        child.guardian_name = guardian_name.strip()[:200]
        child.guardian_organisation = guardian_organisation
        child.guardian_appointed_on = appointed_on
        child.save()
        _complete_rule_task(case, "guardian_appointment", actor, "Guardian appointed")
        _refresh_next_deadline(case)
        _event(
            case,
            "guardian",
            actor,
            organisation,
            said("guardian", date=appointed_on),
        )
        _audit(case, actor, organisation, "guardian_appoint")
    return child


def child_protection_notify(
    *, actor: User, organisation: Organisation, case: Case, authority: str, notified_on: date
) -> ChildSafeguard:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    child = _child(case)
    errors: list[FieldError] = []
    if not authority.strip():
        errors.append(FieldError("authority", "Name the child protection authority notified."))
    _as_date(notified_on, "notified_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        child.child_protection_authority = authority.strip()[:200]
        child.child_protection_notified_on = notified_on
        child.save()
        _complete_rule_task(
            case, "child_protection_notification", actor, "Child protection notified"
        )
        _refresh_next_deadline(case)
        _event(
            case,
            "child_protection",
            actor,
            organisation,
            said("child_protection", date=notified_on),
        )
        _audit(case, actor, organisation, "child_protection_notify")
    return child


def bid_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    factors: Mapping[str, str],
    durable_solution: str,
    decided_on: date,
    participants: str = "",
) -> BestInterestsDetermination:
    """A best-interests determination: all seven factors weighed, one of three durable solutions."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    _child(case)
    errors = [FieldError(f, m) for f, m in wf.bid_problems(factors, durable_solution)]
    _as_date(decided_on, "decided_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        bid = BestInterestsDetermination.objects.create(
            case=case,
            factors={k: str(factors[k]).strip() for k in wf.BID_FACTORS},
            durable_solution=durable_solution,
            participants=participants.strip()[:300],
            decided_on=decided_on,
            recorded_by=actor,
        )
        _complete_rule_task(
            case, "best_interests_determination", actor, "Best-interests determination recorded"
        )
        _refresh_next_deadline(case)
        _event(
            case,
            "bid",
            actor,
            organisation,
            said("best_interests", solution=durable_solution),
        )
        _audit(
            case,
            actor,
            organisation,
            "bid_record",
            action="create",
            bid=bid.pk,
            durable_solution=durable_solution,
        )
    return bid
