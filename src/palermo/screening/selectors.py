"""Authorised reads of screenings.

A screening is visible to members of the organisation that made it who may see
screenings. Anything else is "not found", exactly like a reference that does not
exist: knowing that a screening exists can itself endanger a person.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from palermo.core import audit, scope
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.screening.models import Screening
from palermo.screening.models import ScreeningOrigin as ScreeningOrigin  # for other contexts
from palermo.screening.models import ScreeningStatus as ScreeningStatus  # for other contexts

SORTS = {
    "newest": "-created_at",
    "oldest": "created_at",
    "status": "status",
    "assessment": "assessment",
    "reference": "reference",
}


def screenings_visible_to(actor: User, organisation: Organisation | None) -> QuerySet[Screening]:
    if organisation is None or not has_perm(actor, Perm.VIEW_SCREENINGS, organisation):
        return Screening.objects.none()
    return Screening.objects.filter(organisation=organisation)


def screening_list(
    actor: User,
    organisation: Organisation | None,
    *,
    q: str = "",
    status: str = "",
    sort: str = "newest",
) -> QuerySet[Screening]:
    qs = screenings_visible_to(actor, organisation).select_related("created_by")
    if q:
        qs = qs.filter(reference__icontains=q.strip())
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(SORTS.get(sort, "-created_at"), "-id")


def access_screening(
    actor: User,
    organisation: Organisation | None,
    reference: str,
    *,
    request: object = None,
    purpose: str = "",
) -> Screening:
    """The screening, or Http404; records the read in the audit trail."""
    screening = screenings_visible_to(actor, organisation).filter(reference=reference).first()
    if screening is None:
        # a scoped user's miss (an exercise trainee: core.scope) is an audited refusal
        scope.note_out_of_scope(
            actor=actor,
            organisation=organisation,
            object_type="screening",
            object_ref=reference[:40],
            request=request,
        )
        raise Http404("not found")
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="screening",
        object_ref=screening.reference,
        purpose=purpose,
        request=request,
    )
    return screening
