"""Writes of the NRM case file: break-glass."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from palermo.cases import clock, selectors
from palermo.cases import workflow as wf
from palermo.cases.models import (
    BreakGlassAccess,
    Case,
)
from palermo.cases.services._common import BREAK_GLASS_HOURS, _event, _require_perm
from palermo.cases.timeline import said
from palermo.core import audit, scope
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm


def break_glass_open(
    *, actor: User, organisation: Organisation, case_ref: str, reason: str
) -> BreakGlassAccess:
    """Emergency access to the whole file for a few hours: needs a reason, is audited and flagged."""
    from django.http import Http404

    _require_perm(actor, organisation, Perm.BREAK_GLASS)
    ref = wf.normalise_reference(case_ref)
    case = Case.objects.filter(reference=ref).first()
    if case is None or not selectors.case_in_scope(actor, case):
        # In an exercise instance a trainee's break-glass reaches their own team's cases only
        # (core.scope); a miss of a scoped user is an audited refusal, existing case or not.
        scope.note_out_of_scope(
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=ref if wf.is_reference(ref) else "",
        )
        raise Http404("not found")
    if len(reason.strip()) < 15:
        raise InvalidInput(FieldError("reason", "Explain the emergency (at least a sentence)."))
    now = clock.now()
    with transaction.atomic():
        row = BreakGlassAccess.objects.create(
            case=case,
            user=actor,
            organisation=organisation,
            reason=reason.strip(),
            started_at=now,
            expires_at=now + timedelta(hours=BREAK_GLASS_HOURS),
        )
        _event(
            case,
            "break_glass",
            actor,
            organisation,
            said("break_glass"),
            text=reason.strip(),
        )
        audit.record(
            action="break_glass",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=case.reference,
            purpose="break-glass",
            details={"access": row.pk, "hours": BREAK_GLASS_HOURS},
        )
    return row


def break_glass_review(
    *, actor: User, organisation: Organisation, access_id: int
) -> BreakGlassAccess:
    _require_perm(actor, organisation, Perm.OVERSEE_CASES)
    row = BreakGlassAccess.objects.select_related("case").filter(pk=access_id).first()
    if row is None or not scope.reaches(actor, row.organisation_id):
        raise InvalidInput(FieldError("access", "No such break-glass access."))
    if row.user_id == actor.pk:
        raise InvalidInput(
            FieldError("access", "Another co-ordinator reviews your own break-glass access.")
        )
    if row.reviewed_at is not None:
        raise InvalidInput(FieldError("access", "Already reviewed."))
    with transaction.atomic():
        BreakGlassAccess.objects.filter(pk=row.pk).update(
            reviewed_by=actor, reviewed_at=clock.now()
        )
        row.refresh_from_db()
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=row.case.reference,
            details={"what": "break_glass_review", "access": row.pk},
        )
    return row
