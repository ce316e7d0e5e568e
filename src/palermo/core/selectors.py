"""Authorised reads of core data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from palermo.core import scope
from palermo.core.models import AuditEntry, Organisation, User
from palermo.core.policy import Perm, has_perm


def organisations_to_choose(user: User | None) -> QuerySet[Organisation]:
    """The active organisations ``user`` may name in a form or find in the directory.

    Every active organisation for an unscoped user (every production user); for a scoped one
    (``core.scope``: a trainee in an exercise instance) only those of their scope, so a form's
    drop-down neither shows nor accepts another team's organisations."""
    qs = Organisation.objects.filter(is_active=True).order_by("name")
    within = scope.organisations_in_scope(user)
    return qs if within is None else qs.filter(pk__in=within)


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_ref: str = ""
    outcome: str = ""
    since: date | None = None
    until: date | None = None
    entry: int | None = None  # one entry by its id (an exercise's evidence links here)

    def as_details(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v
        }


def audit_entries_visible_to(
    user: User, organisation: Organisation | None, f: AuditFilter | None = None
) -> QuerySet[AuditEntry]:
    """The identification body sees the whole national trail; an administrator
    sees the entries made for the organisations they administer. A scoped user
    (``core.scope``: a trainee in an exercise instance) sees only the entries made for the
    organisations of their scope, whatever their role."""
    if has_perm(user, Perm.VIEW_AUDIT_ALL, organisation):
        qs = AuditEntry.objects.all()
    elif has_perm(user, Perm.VIEW_AUDIT, organisation):
        assert organisation is not None
        qs = AuditEntry.objects.filter(organisation_id=organisation.pk)
    else:
        return AuditEntry.objects.none()
    within = scope.organisations_in_scope(user)
    if within is not None:
        qs = qs.filter(organisation_id__in=within)
    f = f or AuditFilter()
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_ref:
        qs = qs.filter(object_ref=f.object_ref)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.entry is not None:
        qs = qs.filter(pk=f.entry)
    tz = timezone.get_current_timezone()
    if f.since:
        qs = qs.filter(at__gte=datetime.combine(f.since, time.min, tzinfo=tz))
    if f.until:
        qs = qs.filter(at__lte=datetime.combine(f.until, time.max, tzinfo=tz))
    return qs.order_by("-id")


def audit_facts_of_actors(actor_ids: list[int], since: datetime) -> list[dict[str, Any]]:
    """Audit entries written by ``actor_ids`` from ``since`` (oldest first), as plain rows with
    their pseudonymous references only. For the exercise context's automatic evidence, whose
    caller has already checked its own permission (palermo.exercise.selectors)."""
    rows = (
        AuditEntry.objects.filter(actor_id__in=actor_ids, at__gte=since)
        .order_by("id")
        .values(*_FACT_FIELDS)
    )
    return [_fact_row(r) for r in rows]


_FACT_FIELDS = (
    "id",
    "at",
    "actor_id",
    "organisation_id",
    "action",
    "object_type",
    "object_ref",
    "details__what",
    "details__service_type",
)


def _fact_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "at": r["at"],
        "actor_id": r["actor_id"],
        "organisation_id": r["organisation_id"],
        "action": r["action"],
        "object_type": r["object_type"],
        "object_ref": r["object_ref"],
        "what": r["details__what"] or "",
        "service_type": r["details__service_type"] or "",
    }


def audit_facts_of_ids(entry_ids: list[int]) -> list[dict[str, Any]]:
    """The audit entries ``entry_ids`` (oldest first) as the same plain rows as
    :func:`audit_facts_of_actors`: what an exercise's evidence figure was computed from. The
    caller has checked its own permission and reached the ids through its own figures."""
    rows = AuditEntry.objects.filter(pk__in=entry_ids).order_by("id").values(*_FACT_FIELDS)
    return [_fact_row(r) for r in rows]


def audit_entry_ids_visible_to(
    user: User, organisation: Organisation | None, entry_ids: list[int]
) -> set[int]:
    """Which of ``entry_ids`` the audit viewer would show this user (see
    :func:`audit_entries_visible_to`), so a page links only to entries its reader may open."""
    return set(
        audit_entries_visible_to(user, organisation)
        .filter(pk__in=entry_ids)
        .values_list("pk", flat=True)
    )


def audit_entry_by_id(entry_id: int) -> AuditEntry | None:
    """One audit entry, for a context that reached its id through its own records and has
    checked its own permission (the exercise direction's evidence entries:
    ``palermo.exercise.selectors.evidence_entry``)."""
    return AuditEntry.objects.filter(pk=entry_id).first()
