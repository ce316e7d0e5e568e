"""Correcting and removing the parts of an action plan, and reminding of overdue recommendations.

A plan or an objective is edited like a measure: validated whole, refused on a stale version
(someone else changed it since the form was opened), audited in its transaction.

Removing a plan, an objective or a measure takes what hangs under it (objectives, measures,
plan indicators, progress notes). It is **refused** while a recommendation is linked to one
of the measures or evidence was added to one: those are the record that a commitment is being
implemented, which a country visit reviews; unlink the recommendation first, or keep the
measure. ``removal_impact`` tells the confirmation page what goes and what blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.exercise.isolation import is_exercise_instance
from palermo.monitor import services
from palermo.monitor.models import (
    ActionPlan,
    Evidence,
    Measure,
    Objective,
    PlanIndicator,
    ProgressNote,
    Recommendation,
    ThematicArea,
)
from palermo.monitor.register_edit import STALE
from palermo.monitor.selectors import OPEN_STATUSES
from palermo.monitor.services import _audit, _require


def plan_edit(
    *,
    actor: User | None,
    organisation: Organisation,
    plan: ActionPlan,
    title: str,
    starts_on: date,
    ends_on: date,
    expected_version: int | None = None,
) -> ActionPlan:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    title = services._text(title, "title", 200, errors)
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", _("The plan cannot end before it starts.")))
    if errors:
        raise InvalidInput(errors)
    version = expected_version if expected_version is not None else plan.version
    with transaction.atomic():
        if not ActionPlan.objects.filter(pk=plan.pk, version=version).update(
            title=title, starts_on=starts_on, ends_on=ends_on, version=version + 1
        ):
            raise InvalidInput(FieldError("", _(STALE)))
        plan.refresh_from_db()
        _audit("update", actor, organisation, "monitor.plan", plan.pk)
    return plan


def objective_edit(
    *,
    actor: User | None,
    organisation: Organisation,
    objective: Objective,
    code: str,
    title: str,
    area: str = "",
    expected_version: int | None = None,
) -> Objective:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    code = services._text(code, "code", 20, errors)
    title = services._text(title, "title", 300, errors)
    if area and area not in ThematicArea.values:
        errors.append(FieldError("area", _("Unknown thematic area.")))
    if (
        code
        and Objective.objects.filter(plan_id=objective.plan_id, code=code)
        .exclude(pk=objective.pk)
        .exists()
    ):
        errors.append(FieldError("code", _("The plan already has an objective with this number.")))
    if errors:
        raise InvalidInput(errors)
    version = expected_version if expected_version is not None else objective.version
    with transaction.atomic():
        if not Objective.objects.filter(pk=objective.pk, version=version).update(
            code=code, title=title, area=area, version=version + 1
        ):
            raise InvalidInput(FieldError("", _(STALE)))
        objective.refresh_from_db()
        _audit(
            "update", actor, organisation, "monitor.objective", objective.pk, plan=objective.plan_id
        )
    return objective


# --- removal -----------------------------------------------------------------------------------


@dataclass
class RemovalImpact:
    """What removing a plan, objective or measure takes with it, and what prevents it."""

    objectives: int = 0
    measures: int = 0
    indicators: int = 0
    notes: int = 0
    recommendations: list[Recommendation] = field(default_factory=list)
    evidence: int = 0

    @property
    def blocked(self) -> bool:
        return bool(self.recommendations or self.evidence)

    def reasons(self) -> list[str]:
        out = []
        if self.recommendations:
            out.append(
                _("%(n)s recommendation(s) are linked to it: %(refs)s.")
                % {
                    "n": len(self.recommendations),
                    "refs": "; ".join(
                        f"{r.get_source_body_display()} {r.report} § {r.paragraph}"
                        for r in self.recommendations
                    ),
                }
            )
        if self.evidence:
            out.append(_("%(n)s piece(s) of evidence were added to it.") % {"n": self.evidence})
        return out


def _measures_of(target: ActionPlan | Objective | Measure) -> list[int]:
    if isinstance(target, Measure):
        return [target.pk]
    qs = Measure.objects.all()
    qs = (
        qs.filter(objective=target)
        if isinstance(target, Objective)
        else qs.filter(objective__plan=target)
    )
    return list(qs.values_list("pk", flat=True))


def removal_impact(target: ActionPlan | Objective | Measure) -> RemovalImpact:
    ids = _measures_of(target)
    return RemovalImpact(
        objectives=target.objectives.count() if isinstance(target, ActionPlan) else 0,
        measures=0 if isinstance(target, Measure) else len(ids),
        indicators=PlanIndicator.objects.filter(measure_id__in=ids).count(),
        notes=ProgressNote.objects.filter(measure_id__in=ids).count(),
        recommendations=list(Recommendation.objects.filter(measures__in=ids).distinct()),
        evidence=Evidence.objects.filter(measure_id__in=ids).count(),
    )


_KIND: dict[type[Model], str] = {
    ActionPlan: "monitor.plan",
    Objective: "monitor.objective",
    Measure: "monitor.measure",
}


def remove(
    *,
    actor: User | None,
    organisation: Organisation,
    target: ActionPlan | Objective | Measure,
    expected_version: int | None = None,
) -> RemovalImpact:
    """Remove a plan, objective or measure with what hangs under it; refused (and the refusal
    audited) while recommendations or evidence are linked. Returns what was removed."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    kind = _KIND[type(target)]
    version = expected_version if expected_version is not None else target.version
    with transaction.atomic():
        # Lock the row so a link or evidence added meanwhile cannot slip in between the
        # check and the delete.
        locked = type(target).objects.select_for_update().filter(pk=target.pk).first()
        if locked is None or locked.version != version:
            raise InvalidInput(FieldError("", _(STALE)))
        impact = removal_impact(target)
        if impact.blocked:
            _audit(
                "refused",
                actor,
                organisation,
                kind,
                target.pk,
                event="remove",
                recommendations=[r.pk for r in impact.recommendations],
                evidence=impact.evidence,
            )
        else:
            _audit(
                "delete",
                actor,
                organisation,
                kind,
                target.pk,
                objectives=impact.objectives,
                measures=impact.measures,
                indicators=impact.indicators,
                notes=impact.notes,
            )
            target.delete()
            return impact
    raise InvalidInput(
        [FieldError("", _("It cannot be removed.") + " " + " ".join(impact.reasons()))]
    )


# --- overdue reminders -------------------------------------------------------------------------


def remind_overdue(
    *, actor: User | None, organisation: Organisation | None, today: date | None = None
) -> int:
    """Remind of each overdue recommendation (due date passed, not implemented or refused), at
    most once a day; returns how many were reminded.

    The staff who may report progress for an organisation responsible for a linked measure are
    told; a recommendation with no linked measure goes to those who manage the register. Mail
    leaves after commit, and never from an exercise instance (its addresses are players').
    """
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    today = today or timezone.localdate()
    now = timezone.now()
    per_address: dict[str, list[Recommendation]] = {}
    count = 0
    with transaction.atomic():
        due = (
            Recommendation.objects.select_for_update(of=("self",))
            .filter(due_on__lt=today, status__in=OPEN_STATUSES)
            .order_by("due_on", "id")
        )
        for rec in due:
            if rec.reminded_at and timezone.localdate(rec.reminded_at) >= today:
                continue
            orgs = {
                o for m in rec.measures.prefetch_related("responsible") for o in m.responsible.all()
            }
            recipients = (
                _staff(orgs, Perm.MONITOR_PROGRESS) if orgs else _staff(None, Perm.MONITOR_MANAGE)
            )
            for address in recipients:
                per_address.setdefault(address, []).append(rec)
            Recommendation.objects.filter(pk=rec.pk).update(reminded_at=now)
            _audit(
                "update",
                actor,
                organisation,
                "monitor.recommendation",
                rec.pk,
                event="reminded",
                recipients=len(recipients),
            )
            count += 1
        if per_address and not is_exercise_instance():
            subject = _("Overdue recommendations")
            for address, recs in per_address.items():
                lines = [
                    f"- {r.get_source_body_display()} {r.report} § {r.paragraph} "
                    f"({r.due_on.isoformat() if r.due_on else ''})"
                    for r in recs
                ]
                body = (
                    _(
                        "These recommendations are past their due date. Sign in to Palermo and "
                        "open Monitoring → Recommendations."
                    )
                    + "\n\n"
                    + "\n".join(lines)
                )
                transaction.on_commit(partial(_mail, subject, body, [address]))
    return count


def _mail(subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)


def _staff(orgs: set[Organisation] | None, perm: str) -> list[str]:
    """Addresses of active staff who hold ``perm`` in one of ``orgs`` (any organisation if None)."""
    users = User.objects.filter(is_active=True).prefetch_related("memberships__organisation")
    if orgs is not None:
        users = users.filter(memberships__organisation__in=orgs)
    out: set[str] = set()
    for u in users.distinct():
        if not u.email:
            continue
        candidates = [m.organisation for m in u.memberships.all()]
        if any(has_perm(u, perm, o) for o in candidates if orgs is None or o in orgs):
            out.add(u.email)
    return sorted(out)
