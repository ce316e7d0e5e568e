"""Authorised reads of investigations: the one door.

``access_investigation`` answers Http404 alike for an investigation that does
not exist and one the actor may not see (and audits the refusal): only the
owning organisation and member organisations, and there only users holding
``Perm.INVESTIGATE``, see an investigation.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from palermo.core import audit
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.investigate.models import Investigation, InvestigationMember
from palermo.investigate.models import InvestigationStatus as InvestigationStatus  # for others

REFERENCE = re.compile(r"INV-\d{4}-\d{4,6}")


def normalise_reference(value: str) -> str:
    return (value or "").strip().upper()


def investigations_visible_to(
    actor: User, organisation: Organisation | None
) -> QuerySet[Investigation]:
    if organisation is None or not has_perm(actor, Perm.INVESTIGATE, organisation):
        return Investigation.objects.none()
    member = InvestigationMember.objects.filter(
        investigation=OuterRef("pk"), organisation=organisation
    )
    return Investigation.objects.filter(Q(organisation=organisation) | Q(Exists(member)))


def investigation_list(
    actor: User, organisation: Organisation | None, q: str = "", status: str = ""
) -> QuerySet[Investigation]:
    qs = investigations_visible_to(actor, organisation).select_related("organisation")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        ref = normalise_reference(q)
        qs = qs.filter(Q(reference__startswith=ref) | Q(title__icontains=q))
    return qs.order_by("-created_at", "-id")


def can_see(actor: User, organisation: Organisation | None, investigation: Investigation) -> bool:
    return investigations_visible_to(actor, organisation).filter(pk=investigation.pk).exists()


def access_investigation(
    actor: User,
    organisation: Organisation | None,
    reference: str,
    *,
    request: Any = None,
    record_read: bool = True,
    what: str = "investigation",
) -> Investigation:
    """The investigation, or Http404 (the refusal is audited). Records the read."""
    ref = normalise_reference(reference)
    inv = None
    if REFERENCE.fullmatch(ref):
        inv = (
            investigations_visible_to(actor, organisation)
            .select_related("organisation")
            .filter(reference=ref)
            .first()
        )
    if inv is None:
        audit.record(
            action="refused",
            actor=actor,
            organisation=organisation,
            object_type="investigation",
            object_ref=ref if REFERENCE.fullmatch(ref) else "",
            outcome="refused",
            request=request,
            details={"reason": "not found or no need to know"},
        )
        raise Http404("not found")
    if record_read:
        audit.record(
            action="read",
            actor=actor,
            organisation=organisation,
            object_type="investigation",
            object_ref=inv.reference,
            request=request,
            details={"what": what},
        )
    return inv


def is_owner(organisation: Organisation | None, investigation: Investigation) -> bool:
    return organisation is not None and investigation.organisation_id == organisation.pk


def linked_cases_for(
    actor: User, organisation: Organisation | None, investigation: Investigation
) -> list[Any]:
    """The investigation's linked NRM cases that this reader may open, in linking order.

    A member organisation that may not open a linked case does not learn from the
    investigation that the case exists: the case file answers it "not found" (issue 11).
    """
    from palermo.cases import selectors as case_selectors

    cases = [link.case for link in investigation.case_links.select_related("case").order_by("id")]
    visible = case_selectors.case_visibilities(actor, organisation, cases)
    return [c for c in cases if visible[c.pk].visible]


def investigations_per_case_query() -> QuerySet[Any]:
    """``(case_id, n)`` rows: how many financial investigations are linked to each NRM case, as
    a queryset another context's selector can join in the database (aggregates only)."""
    from django.db.models import Count

    from palermo.investigate.models import InvestigationCase

    return (
        InvestigationCase.objects.values("case_id")
        .annotate(n=Count("investigation_id", distinct=True))
        .values_list("case_id", "n")
    )


def investigations_per_case(*, year: int | None = None) -> dict[int, int]:
    """How many financial investigations are linked to each NRM case (of the cases whose
    incoming referral falls in ``year``, or every case): aggregates for the protected
    monitoring indicators; no investigation or case detail leaves here."""
    from django.db.models import Count

    from palermo.investigate.models import InvestigationCase

    links = InvestigationCase.objects.all()
    if year is not None:
        links = links.filter(case__incoming_referral_date__year=year)
    return dict(
        links.values("case_id")
        .annotate(n=Count("investigation_id", distinct=True))
        .values_list("case_id", "n")
    )
