"""Reads of cross-border hand-overs for lists (this instance's side only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from palermo.cases import selectors as case_selectors
from palermo.core import audit
from palermo.core.policy import Perm, has_perm
from palermo.crossborder import services
from palermo.crossborder.models import (
    Direction,
    Handover,
    HandoverState,
    PoliceExchange,
    TransferConsent,
)

OPEN_OUT = (HandoverState.SENT, HandoverState.RECEIVED, HandoverState.ACCEPTED)


def is_overdue(h: Handover) -> bool:
    """An outgoing hand-over whose loop has not closed by its deadline."""
    return (
        h.direction == Direction.OUT
        and h.state in OPEN_OUT
        and h.due_by is not None
        and h.due_by < timezone.localdate()
    )


def handovers(actor: Any, organisation: Any, *, direction: str) -> list[Handover]:
    """Outgoing: those of cases the actor may see. Incoming: co-ordinators only."""
    qs: QuerySet[Handover] = Handover.objects.filter(
        local_entity=services.entity_id(), direction=direction
    )
    if direction == Direction.IN:
        return list(qs) if has_perm(actor, Perm.CROSSBORDER_RECEIVE, organisation) else []
    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        return []
    refs = set(qs.values_list("case_ref", flat=True))
    visible = set(
        case_selectors.cases_visible_to(actor, organisation)
        .filter(reference__in=refs)
        .values_list("reference", flat=True)
    )
    return [h for h in qs if h.case_ref in visible]


def consents_of(case_ref: str) -> list[TransferConsent]:
    return list(
        TransferConsent.objects.filter(local_entity=services.entity_id(), case_ref=case_ref)
    )


def police_exchanges(
    actor: Any, organisation: Any, case_ref: str, request: Any = None
) -> tuple[Any, list[PoliceExchange]]:
    """The case (the actor must be allowed to see it: NotFound otherwise, as for any case) and
    its police-channel records, newest first. Needs ``crossborder.send``; the read is audited."""
    from palermo.core.errors import NotAllowed

    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        raise NotAllowed(perm=Perm.CROSSBORDER_SEND)
    case = services._case(actor, organisation, case_ref, request)
    rows = list(
        PoliceExchange.objects.filter(local_entity=services.entity_id(), case_ref=case.reference)
    )
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="crossborder_police_exchange",
        object_ref=case.reference,
        details={"records": len(rows)},
        request=request,
    )
    return case, rows
