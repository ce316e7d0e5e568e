"""Writes of the NRM case file: case team."""

from __future__ import annotations

from django.db import transaction

from palermo.cases import access, clock
from palermo.cases.models import (
    Case,
    CaseTeamMember,
    TeamRole,
)
from palermo.cases.services._common import _audit, _event, _require_edit, _require_reach
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def _team_add(case: Case, member: Organisation, role: str, actor: User) -> bool:
    if CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).exists():
        return False
    CaseTeamMember.objects.create(
        case=case, organisation=member, role=role, added_at=clock.now(), added_by=actor
    )
    return True


def _lead_becomes(case: Case, member: Organisation | None, actor: User) -> None:
    """Keep the lead organisation and the team's lead role one and the same (issue 15, item 8).

    ``member`` (on the team) becomes the lead; a former lead stays on the team to assist.
    ``None``: the case has no lead any more (the lead left the team)."""
    CaseTeamMember.objects.filter(case=case, role=TeamRole.LEAD, removed_at__isnull=True).exclude(
        organisation=member
    ).update(role=TeamRole.ASSISTANCE)
    if member is not None:
        CaseTeamMember.objects.filter(
            case=case, organisation=member, removed_at__isnull=True
        ).update(role=TeamRole.LEAD)
    Case.objects.filter(pk=case.pk).update(lead_organisation=member)
    case.lead_organisation = member


def _lead_on_team(case: Case, actor: User) -> None:
    """After a decision: the lead organisation is on the team as the lead (it may have been
    named when the case was opened and never joined, or left)."""
    lead = case.lead_organisation
    if lead is None or not lead.is_active:
        return
    if not _team_add(case, lead, TeamRole.LEAD, actor):
        CaseTeamMember.objects.filter(
            case=case, organisation=lead, removed_at__isnull=True
        ).exclude(role=TeamRole.LEAD).exclude(role=TeamRole.REFERRER).update(role=TeamRole.LEAD)


def team_add(
    *, actor: User, organisation: Organisation, case: Case, member: Organisation, role: str
) -> CaseTeamMember:
    _require_edit(actor, organisation, case, access.OVERVIEW)
    _require_reach(actor, member)
    errors: list[FieldError] = []
    if role not in TeamRole.values:
        errors.append(
            FieldError("role", "Choose one of: {choices}.", choices=", ".join(TeamRole.values))
        )
    if not member.is_active:
        errors.append(FieldError("organisation", "That organisation is not active."))
    if CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).exists():
        errors.append(FieldError("organisation", "That organisation is already on the case team."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _team_add(case, member, role, actor)
        if role == TeamRole.LEAD:
            _lead_becomes(case, member, actor)
        _event(
            case,
            "team",
            actor,
            organisation,
            said("team_joined", organisation=member.name, role=role),
        )
        _audit(case, actor, organisation, "team_add", member=member.pk, role=role)
    return CaseTeamMember.objects.get(case=case, organisation=member, removed_at__isnull=True)


def team_remove(
    *, actor: User, organisation: Organisation, case: Case, member: Organisation
) -> None:
    _require_edit(actor, organisation, case, access.OVERVIEW)
    row = CaseTeamMember.objects.filter(
        case=case, organisation=member, removed_at__isnull=True
    ).first()
    if row is None:
        raise InvalidInput(FieldError("organisation", "That organisation is not on the case team."))
    if CaseTeamMember.objects.filter(case=case, removed_at__isnull=True).count() == 1:
        raise InvalidInput(
            FieldError("organisation", "A case keeps at least one organisation on its team.")
        )
    with transaction.atomic():
        CaseTeamMember.objects.filter(pk=row.pk).update(removed_at=clock.now())
        if case.lead_organisation_id == member.pk:
            _lead_becomes(case, None, actor)
        _event(case, "team", actor, organisation, said("team_left", organisation=member.name))
        _audit(case, actor, organisation, "team_remove", member=member.pk)
