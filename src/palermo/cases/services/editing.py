"""Writes of the NRM case file: editing the case, the person, the victim context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from palermo.cases import access, clock
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    ChildSafeguard,
    Person,
    TeamRole,
    VictimContext,
)
from palermo.cases.services._common import (
    _audit,
    _bump,
    _event,
    _plan,
    _refresh_next_deadline,
    _require_edit,
    _set_exploitation,
    clean_context,
    clean_person,
)
from palermo.cases.services.team import _team_add
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def person_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    changes: Mapping[str, Any],
) -> Case:
    """Change identity and/or contact fields. Each group needs its own right to see it."""
    groups = set()
    if set(changes) & set(Person.IDENTITY_FIELDS):
        groups.add(access.IDENTITY)
    if set(changes) & set(Person.CONTACT_FIELDS):
        groups.add(access.CONTACT)
    _require_edit(actor, organisation, case, *sorted(groups))
    errors: list[FieldError] = []
    data = clean_person(changes, errors, prefix="")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        Person.objects.filter(case=case).update(**data)
        if "citizenship" in data:
            nat = data["citizenship"][0] if data["citizenship"] else ""
            Case.objects.filter(pk=case.pk).update(nationality=nat)
            case.nationality = nat
        _event(
            case,
            "person_updated",
            actor,
            organisation,
            said("person_updated", groups=sorted(groups)),
        )
        _audit(case, actor, organisation, "person_update", fields=sorted(data))
    return case


def context_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    changes: Mapping[str, Any],
) -> Case:
    _require_edit(actor, organisation, case, access.VICTIM_CONTEXT)
    errors: list[FieldError] = []
    data = clean_context(changes, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _bump(case, expected_version)
        VictimContext.objects.filter(case=case).update(**data)
        if "exploitation_types" in data:
            _set_exploitation(case, data["exploitation_types"])
        _event(case, "context_updated", actor, organisation, said("context_updated"))
        _audit(case, actor, organisation, "context_update", fields=sorted(data))
    return case


def case_update(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    expected_version: int,
    is_child: bool | None = None,
    cooperates_with_authorities: bool | None = None,
    clear_cooperation: bool = False,
    status: str | None = None,
    lead_organisation: Organisation | None = None,
    summary: str | None = None,
) -> Case:
    """Case-level facts: child, co-operation, status (Active/FollowUp), lead organisation, summary."""
    _require_edit(
        actor,
        organisation,
        case,
        access.OVERVIEW,
        *([access.VICTIM_CONTEXT] if summary is not None else []),
    )
    errors: list[FieldError] = []
    if status is not None:
        if not case.is_open:
            errors.append(
                FieldError(
                    "status", "Reopen the case (change its phase) before changing its status."
                )
            )
        elif status not in wf.OPEN_STATUSES:
            errors.append(
                FieldError(
                    "status", "An open case is Active or FollowUp; close it by changing its phase."
                )
            )
    if lead_organisation is not None and not lead_organisation.is_active:
        errors.append(FieldError("lead_organisation", "That organisation is not active."))
    if summary is not None and len(summary) > 10_000:
        errors.append(FieldError("summary", "At most 10,000 characters."))
    if errors:
        raise InvalidInput(errors)
    changed: list[str] = []
    with transaction.atomic():
        _bump(case, expected_version)
        if is_child is not None and is_child != case.is_child:
            case.is_child = is_child
            changed.append("is_child")
            if is_child:
                ChildSafeguard.objects.get_or_create(case=case)
                _plan(case, "case.opened", clock.today())
        if clear_cooperation:
            case.cooperates_with_authorities = None
            changed.append("cooperates_with_authorities")
        elif cooperates_with_authorities is not None:
            case.cooperates_with_authorities = cooperates_with_authorities
            changed.append("cooperates_with_authorities")
        if status is not None and status != case.status:
            case.status = status
            changed.append("status")
        if lead_organisation is not None and lead_organisation.pk != case.lead_organisation_id:
            case.lead_organisation = lead_organisation
            changed.append("lead_organisation")
            _team_add(case, lead_organisation, TeamRole.LEAD, actor)
        if summary is not None:
            case.summary = summary.strip()
            changed.append("summary")
        case.save(update_fields=[*changed, "updated_at"] if changed else ["updated_at"])
        _refresh_next_deadline(case)
        _event(
            case,
            "case_updated",
            actor,
            organisation,
            said("case_updated", fields=changed) if changed else said("case_updated_nothing"),
        )
        _audit(case, actor, organisation, "case_update", fields=changed)
    return case
