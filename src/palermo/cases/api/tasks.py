"""Tasks with deadlines on a case (the overdue ones across cases are listed in ``listing``)."""

from typing import Annotated

from ninja import Field, Schema
from pydantic import StrictInt

from palermo.cases import services
from palermo.cases.api._common import WRITE, case_for, org_by_id, router
from palermo.cases.api.fields import Day, Id, Line, PathId, Ref, RequiredLine
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class TaskIn(Schema):
    title: RequiredLine
    due_on: Day
    assigned_organisation_id: Id | None = None
    remind_days_before: Annotated[StrictInt, Field(ge=0, le=60)] = 2


@router.post("/{case_ref}/tasks", response=WRITE, summary="Add a task with a deadline")
@api_requires(Perm.EDIT_CASES)
def task_add(request: AuthedRequest, case_ref: Ref, payload: TaskIn) -> Case:
    case = case_for(request, case_ref)
    org = (
        org_by_id(request, payload.assigned_organisation_id)
        if payload.assigned_organisation_id
        else None
    )
    services.task_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        title=payload.title,
        due_on=payload.due_on,
        assigned_organisation=org,
        remind_days_before=payload.remind_days_before,
    )
    return case


class TaskDoneIn(Schema):
    note: Line = ""


@router.post("/{case_ref}/tasks/{task_id}/done", response=WRITE, summary="Mark a task done")
@api_requires(Perm.EDIT_CASES)
def task_done(request: AuthedRequest, case_ref: Ref, task_id: PathId, payload: TaskDoneIn) -> Case:
    case = case_for(request, case_ref)
    services.task_complete(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        task_id=task_id,
        note=payload.note,
    )
    return case
