"""Writes of the NRM case file: tasks and deadlines."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import transaction

from palermo.cases import access, clock, selectors
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    Task,
)
from palermo.cases.services._common import _audit, _event, _refresh_next_deadline, _require_edit
from palermo.cases.timeline import said
from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User


def task_add(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    title: str,
    due_on: date,
    assigned_organisation: Organisation | None = None,
    remind_days_before: int = 2,
) -> Task:
    _require_edit(actor, organisation, case, access.TASKS)
    errors: list[FieldError] = []
    if not title.strip():
        errors.append(FieldError("title", "Say what must be done."))
    elif len(title) > 300:
        errors.append(FieldError("title", "At most 300 characters."))
    if due_on < clock.today():
        errors.append(FieldError("due_on", "A new deadline cannot be in the past."))
    if not 0 <= remind_days_before <= 60:
        errors.append(FieldError("remind_days_before", "Between 0 and 60 days."))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        task = Task.objects.create(
            case=case,
            title=title.strip(),
            kind="task",
            starts_on=clock.today(),
            due_on=due_on,
            assigned_organisation=assigned_organisation or case.lead_organisation or organisation,
            remind_days_before=remind_days_before,
            created_at=clock.now(),
        )
        _refresh_next_deadline(case)
        _event(case, "task", actor, organisation, said("task_added", date=due_on))
        _audit(case, actor, organisation, "task_add", action="create", task=task.pk)
    return task


def task_complete(
    *, actor: User, organisation: Organisation, case: Case, task_id: int, note: str = ""
) -> Task:
    _require_edit(actor, organisation, case, access.TASKS)
    task = case.tasks.filter(pk=task_id).first()
    if task is None:
        raise InvalidInput(FieldError("task", "No such task on this case."))
    if task.done_at is not None:
        raise InvalidInput(FieldError("task", "This task is already done."))
    with transaction.atomic():
        Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=clock.now(), done_by=actor, done_note=note.strip()[:300]
        )
        task.refresh_from_db()
        _refresh_next_deadline(case)
        _event(
            case,
            "task",
            actor,
            organisation,
            said("task_done", title=task.title[:200]),
            text=note.strip(),
        )
        _audit(case, actor, organisation, "task_complete", task=task.pk, rule=task.rule_key)
    return task


def reminders_send(*, today: date | None = None) -> int:
    """E-mail the members of each task's organisation when its reminder day has come.

    The message names the case reference and the due date only (no personal
    data by e-mail). Each task is reminded once. Returns how many were sent.
    """
    from django.core.mail import send_mail

    from palermo.core.models import Membership

    day = today or clock.today()
    sent = 0
    for task in selectors.deadlines_due_for_reminder(day).iterator():
        if wf.reminder_on(task.due_on, task.remind_days_before) > day:
            continue
        org_id = (
            task.assigned_organisation_id
            or task.case.lead_organisation_id
            or task.case.referring_organisation_id
        )
        emails = sorted(
            set(
                Membership.objects.filter(
                    organisation_id=org_id,
                    role__in=("case_worker", "coordinator"),
                    user__is_active=True,
                )
                .exclude(user__email="")
                .values_list("user__email", flat=True)
            )
        )
        with transaction.atomic():
            Task.objects.filter(pk=task.pk).update(reminded_at=clock.now())
            audit.record(
                action="update",
                object_type="case",
                object_ref=task.case.reference,
                details={"what": "reminder_sent", "task": task.pk, "recipients": len(emails)},
            )
            if emails:
                # Mailed once the reminder and its audit entry are committed, never before.
                transaction.on_commit(
                    partial(
                        send_mail,
                        subject=f"[Palermo] Deadline {task.due_on.isoformat()} – case {task.case.reference}",
                        message=(
                            f"A deadline of case {task.case.reference} is due on {task.due_on.isoformat()}.\n"
                            "Open the case in Palermo to see what is due."
                        ),
                        from_email=None,
                        recipient_list=emails,
                    )
                )
                sent += 1
    return sent
