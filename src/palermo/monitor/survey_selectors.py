"""Authorised reads of the implementation survey.

Who sees what: the co-ordinator's office (``MONITOR_MANAGE``) and the rapporteur
(``MONITOR_REPORT``) see every survey, its assignments and the consolidated answers; a
respondent organisation (``MONITOR_VIEW``) sees the surveys sent to it and only its own
answers. Answers are an organisation's, not a person's, so no small-cell protection applies;
reads of answers are audited all the same.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from palermo.core import audit
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.monitor import survey
from palermo.monitor.models import (
    Survey,
    SurveyAssignment,
    SurveyAttachment,
    SurveyResponse,
    SurveyStatus,
)


def sees_all(actor: User | None, organisation: Organisation | None) -> bool:
    return actor is None or (
        has_perm(actor, Perm.MONITOR_MANAGE, organisation)
        or has_perm(actor, Perm.MONITOR_REPORT, organisation)
    )


def surveys(actor: User | None, organisation: Organisation | None) -> QuerySet[Survey]:
    if sees_all(actor, organisation):
        return Survey.objects.select_related("owner")
    if (
        organisation is None
        or actor is None
        or not has_perm(actor, Perm.MONITOR_VIEW, organisation)
    ):
        return Survey.objects.none()
    return (
        Survey.objects.select_related("owner")
        .filter(assignments__organisation=organisation)
        .exclude(status=SurveyStatus.DRAFT)
        .distinct()
    )


def access_survey(actor: User | None, organisation: Organisation | None, survey_id: int) -> Survey:
    item = surveys(actor, organisation).filter(pk=survey_id).first()
    if item is None:
        raise Http404("not found")
    return item


def definition(item: Survey) -> survey.Definition:
    return survey.parse_definition(item.definition)


def assignments(item: Survey) -> list[dict[str, Any]]:
    """Each organisation asked, whether it has answered, and when it was reminded."""
    rows = []
    # One query for every response of the survey, not one per organisation.
    responses = {
        r.assignment_id: r
        for r in SurveyResponse.objects.filter(assignment__survey=item).only(
            "assignment_id", "submitted", "updated_at"
        )
    }
    for a in item.assignments.select_related("organisation").order_by("organisation__name"):
        response = responses.get(a.pk)
        rows.append(
            {
                "assignment": a,
                "submitted": bool(response and response.submitted),
                "started": response is not None,
                "updated_at": response.updated_at if response else None,
            }
        )
    return rows


def my_assignment(
    actor: User | None, organisation: Organisation | None, item: Survey
) -> SurveyAssignment | None:
    if organisation is None:
        return None
    return (
        SurveyAssignment.objects.select_related("survey", "organisation")
        .filter(survey=item, organisation=organisation)
        .first()
    )


def my_response(
    actor: User | None, organisation: Organisation | None, assignment: SurveyAssignment
) -> SurveyResponse | None:
    response = SurveyResponse.objects.filter(assignment=assignment).first()
    if response is not None:
        audit.record(
            action="read",
            actor=actor,
            organisation=organisation,
            object_type="monitor.survey_response",
            object_ref=str(response.pk),
        )
    return response


def waiting_for(
    actor: User | None, organisation: Organisation | None
) -> QuerySet[SurveyAssignment]:
    """Open surveys the organisation has not submitted yet (for its home page)."""
    if (
        organisation is None
        or actor is None
        or not has_perm(actor, Perm.MONITOR_PROGRESS, organisation)
    ):
        return SurveyAssignment.objects.none()
    return (
        SurveyAssignment.objects.select_related("survey")
        .filter(organisation=organisation, survey__status=SurveyStatus.OPEN)
        .filter(Q(response__isnull=True) | Q(response__submitted=False))
        .order_by("due_on")
    )


def consolidated(
    actor: User | None, organisation: Organisation | None, item: Survey, area: str = ""
) -> list[dict[str, Any]]:
    """Submitted answers per section and question, across respondents (one area if given)."""
    if not sees_all(actor, organisation):
        raise Http404("not found")
    parsed = definition(item)
    responses = [
        (r.assignment.organisation.name, r.answers)
        for r in SurveyResponse.objects.select_related("assignment__organisation").filter(
            assignment__survey=item, submitted=True
        )
    ]
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="monitor.survey_consolidated",
        object_ref=str(item.pk),
        details={"respondents": len(responses)},
    )
    sections = survey.consolidate(parsed, responses)
    return [s for s in sections if not area or s["section"].name == area]


def access_attachment(
    actor: User | None, organisation: Organisation | None, attachment_id: int
) -> SurveyAttachment:
    attachment = (
        SurveyAttachment.objects.select_related("response__assignment")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise Http404("not found")
    own = (
        organisation is not None
        and attachment.response.assignment.organisation_id == organisation.pk
    )
    if not (own or sees_all(actor, organisation)):
        raise Http404("not found")
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="monitor.survey_attachment",
        object_ref=str(attachment.pk),
    )
    return attachment
