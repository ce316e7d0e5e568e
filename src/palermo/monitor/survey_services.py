"""Writes of the implementation survey: design, distribution, answers, reminders.

Each function checks the actor's permission, validates the whole input first (nothing changes
on a refusal) and audits inside the same transaction. The survey's questions are data checked
by :mod:`palermo.monitor.survey`; they can change only while the survey is a draft, so every
answer refers to the questions the respondent was given. Answers are the organisation's, not a
person's: no personal data is asked for, and free text is kept as the respondent gave it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.exercise.isolation import is_exercise_instance
from palermo.monitor import survey, xlsform
from palermo.monitor.models import (
    Survey,
    SurveyAssignment,
    SurveyAttachment,
    SurveyResponse,
    SurveyStatus,
)
from palermo.monitor.services import NotAllowed, _audit, _require

TEMPLATE_2016 = Path(__file__).parent / "data" / "survey_2016.yaml"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
REMIND_DAYS_BEFORE = 7


def refusal(exc: survey.SurveyError, detail: str = "") -> InvalidInput:
    """The core's problems as the project's one error shape, in the user's language."""
    return InvalidInput(
        [FieldError(p.where, p.render(_)) for p in exc.problems],
        detail=detail or _("The survey was not changed."),
    )


def template_2016() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TEMPLATE_2016.read_text(encoding="utf-8"))
    return data


def _check(data: Any) -> survey.Definition:
    try:
        return survey.parse_definition(data)
    except survey.SurveyError as exc:
        raise refusal(exc) from exc


def survey_create(
    *,
    actor: User | None,
    organisation: Organisation,
    title: str,
    definition: Mapping[str, Any] | None = None,
    from_template: bool = False,
) -> Survey:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput(FieldError("title", _("Give a title of at most 200 characters.")))
    if definition is None:
        definition = (
            template_2016()
            if from_template
            else {
                "title": title,
                "form_id": "palermo_survey",
                "sections": [{"name": "general", "label": _("General"), "questions": []}],
            }
        )
    data = {**definition, "title": title}
    parsed = _check(data) if data.get("sections") and _has_questions(data) else None
    with transaction.atomic():
        created = Survey.objects.create(
            title=title,
            definition=parsed.to_data() if parsed else data,
            owner=organisation,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "monitor.survey", created.pk)
    return created


def _has_questions(data: Mapping[str, Any]) -> bool:
    return any(s.get("questions") for s in data.get("sections", []) if isinstance(s, Mapping))


def _editable(item: Survey) -> None:
    if item.status != SurveyStatus.DRAFT:
        raise InvalidInput(
            FieldError(
                "",
                _(
                    "The survey is no longer a draft: its questions are frozen so that every "
                    "answer refers to the questions asked. Make a new survey to change them."
                ),
            )
        )


def _save_definition(
    actor: User | None, organisation: Organisation, item: Survey, data: Mapping[str, Any]
) -> Survey:
    parsed = _check({**data, "title": item.title})
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=item.pk)
        _editable(locked)
        locked.definition = parsed.to_data()
        locked.version += 1
        locked.save(update_fields=["definition", "version"])
        _audit("update", actor, organisation, "monitor.survey", locked.pk, version=locked.version)
    return locked


def question_add(
    *,
    actor: User | None,
    organisation: Organisation,
    item: Survey,
    section: str,
    question: Mapping[str, Any],
) -> Survey:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    _editable(item)
    data = dict(item.definition)
    sections = [dict(s) for s in data.get("sections", [])]
    target = next((s for s in sections if s.get("name") == section), None)
    if target is None:
        raise InvalidInput(FieldError("section", _("Choose a section of this survey.")))
    target["questions"] = [*target.get("questions", []), dict(question)]
    data["sections"] = sections
    return _save_definition(actor, organisation, item, data)


def question_remove(
    *, actor: User | None, organisation: Organisation, item: Survey, name: str
) -> Survey:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    _editable(item)
    data = dict(item.definition)
    sections = []
    found = False
    for s in data.get("sections", []):
        kept = [q for q in s.get("questions", []) if q.get("name") != name]
        found = found or len(kept) != len(s.get("questions", []))
        sections.append({**s, "questions": kept})
    if not found:
        raise InvalidInput(FieldError("name", _("There is no such question.")))
    data["sections"] = sections
    return _save_definition(actor, organisation, item, data)


def definition_import(
    *, actor: User | None, organisation: Organisation, item: Survey, data: bytes, name: str
) -> Survey:
    """Replace a draft's questions with an XLSForm workbook's (checked whole, all or nothing)."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    _editable(item)
    check_bytes(data, import_limits("default"), name=name or "survey.xlsx")
    try:
        parsed = xlsform.import_definition(data)
    except survey.SurveyError as exc:
        raise refusal(exc, _("The workbook was refused; nothing was imported.")) from exc
    return _save_definition(actor, organisation, item, parsed.to_data())


def survey_open(
    *,
    actor: User | None,
    organisation: Organisation,
    item: Survey,
    organisations: Iterable[Organisation],
    due_on: date,
) -> Survey:
    """Send the survey to organisations, each to answer as itself by ``due_on``."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    targets = list(organisations)
    if not targets:
        errors.append(FieldError("organisations", _("Choose at least one organisation.")))
    if due_on < timezone.localdate():
        errors.append(FieldError("due_on", _("The answer date cannot be in the past.")))
    definition = _check(item.definition)
    if not definition.questions():
        errors.append(FieldError("", _("Add at least one question before sending the survey.")))
    if item.status == SurveyStatus.CLOSED:
        errors.append(FieldError("", _("The survey is closed.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=item.pk)
        for target in targets:
            SurveyAssignment.objects.get_or_create(
                survey=locked, organisation=target, defaults={"due_on": due_on}
            )
        if locked.status == SurveyStatus.DRAFT:
            locked.status = SurveyStatus.OPEN
            locked.opened_at = timezone.now()
            locked.save(update_fields=["status", "opened_at"])
        _audit(
            "update",
            actor,
            organisation,
            "monitor.survey",
            locked.pk,
            event="sent",
            organisations=sorted(t.pk for t in targets),
            due_on=due_on.isoformat(),
        )
    return locked


def survey_close(*, actor: User | None, organisation: Organisation, item: Survey) -> Survey:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    if item.status != SurveyStatus.OPEN:
        raise InvalidInput(FieldError("", _("Only an open survey can be closed.")))
    with transaction.atomic():
        Survey.objects.filter(pk=item.pk).update(
            status=SurveyStatus.CLOSED, closed_at=timezone.now()
        )
        _audit("update", actor, organisation, "monitor.survey", item.pk, event="closed")
    item.refresh_from_db()
    return item


def can_answer(
    actor: User | None, organisation: Organisation | None, assignment: SurveyAssignment
) -> bool:
    return (
        actor is not None
        and organisation is not None
        and assignment.organisation_id == organisation.pk
        and has_perm(actor, Perm.MONITOR_PROGRESS, organisation)
    )


def _respondent(
    actor: User | None, organisation: Organisation | None, assignment: SurveyAssignment
) -> None:
    if actor is not None and not can_answer(actor, organisation, assignment):
        raise NotAllowed(_("Only the organisation asked may answer, as itself."))
    if assignment.survey.status != SurveyStatus.OPEN:
        raise InvalidInput(FieldError("", _("The survey is not open for answers.")))


def answers_save(
    *,
    actor: User | None,
    organisation: Organisation | None,
    assignment: SurveyAssignment,
    answers: Mapping[str, Any],
    submit: bool = False,
    version: int | None = None,
) -> SurveyResponse:
    """Save the organisation's answers (a draft may be partial; a submission must be complete).

    ``answers`` replaces the previous answers of the questions it names; the rest are kept.
    ``version`` (from the form the respondent saw) refuses a save over someone else's newer one.
    """
    _respondent(actor, organisation, assignment)
    definition = _check(assignment.survey.definition)
    with transaction.atomic():
        response, _created = SurveyResponse.objects.select_for_update().get_or_create(
            assignment=assignment, defaults={"updated_at": timezone.now()}
        )
        if version is not None and version != response.version:
            raise InvalidInput(
                FieldError(
                    "",
                    _(
                        "Someone in your organisation saved these answers after you opened "
                        "them. Reload the page to see their answers; yours were not saved."
                    ),
                )
            )
        merged = {**response.answers, **answers}
        merged = {k: v for k, v in merged.items() if v not in (None, "", [])}
        clean, problems = survey.check_answers(definition, merged, complete=submit)
        if problems:
            raise refusal(
                survey.SurveyError(problems),
                _("The answers were not saved; correct what is marked."),
            )
        response.answers = clean
        response.updated_at = timezone.now()
        response.author = actor
        response.version += 1
        if submit:
            response.submitted = True
            response.submitted_at = response.updated_at
        response.save()
        _audit(
            "update",
            actor,
            organisation,
            "monitor.survey_response",
            response.pk,
            survey=assignment.survey_id,
            questions=len(clean),
            event="submitted" if submit else "saved",
        )
    return response


def attachment_add(
    *,
    actor: User | None,
    organisation: Organisation | None,
    assignment: SurveyAssignment,
    question: str,
    data: bytes,
    file_name: str,
    content_type: str = "",
) -> SurveyAttachment:
    _respondent(actor, organisation, assignment)
    definition = _check(assignment.survey.definition)
    target = definition.question(question)
    errors: list[FieldError] = []
    if target is None or target.type != "file":
        errors.append(FieldError(question or "file", _("This question does not take a file.")))
    if not data:
        errors.append(FieldError(question or "file", _("The file is empty.")))
    elif len(data) > MAX_ATTACHMENT_BYTES:
        errors.append(FieldError(question or "file", _("A file of at most 10 MB.")))
    name = Path(file_name or "file").name[:200]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        response, _created = SurveyResponse.objects.select_for_update().get_or_create(
            assignment=assignment, defaults={"updated_at": timezone.now()}
        )
        attachment = SurveyAttachment.objects.create(
            response=response,
            question=question,
            file_name=name,
            content_type=(content_type or "application/octet-stream")[:100],
            content=data,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            added_at=timezone.now(),
        )
        response.answers = {**response.answers, question: name}
        response.updated_at = timezone.now()
        response.version += 1
        response.save(update_fields=["answers", "updated_at", "version"])
        _audit(
            "create",
            actor,
            organisation,
            "monitor.survey_attachment",
            attachment.pk,
            sha256=attachment.sha256,
        )
    return attachment


def remind(
    *, actor: User | None, organisation: Organisation | None, today: date | None = None
) -> int:
    """Remind each organisation that has not submitted an open survey due within a week (or
    overdue), at most once a day; returns how many were reminded. Mail leaves after commit."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    today = today or timezone.localdate()
    now = timezone.now()
    due = (
        SurveyAssignment.objects.select_related("survey", "organisation")
        .filter(
            survey__status=SurveyStatus.OPEN, due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE)
        )
        .exclude(response__submitted=True)
    )
    count = 0
    with transaction.atomic():
        for assignment in due.select_for_update(of=("self",)):
            if assignment.reminded_at and assignment.reminded_at.date() >= today:
                continue
            assignment.reminded_at = now
            assignment.reminders += 1
            assignment.save(update_fields=["reminded_at", "reminders"])
            recipients = _recipients(assignment.organisation)
            # An exercise instance holds players' addresses: no mail leaves it.
            if recipients and not is_exercise_instance():
                subject = _("Survey answers due: %(title)s") % {"title": assignment.survey.title}
                body = _(
                    "Your organisation is asked to answer “%(title)s” by %(due)s. "
                    "Sign in to Palermo and open Monitoring → Surveys."
                ) % {"title": assignment.survey.title, "due": assignment.due_on.isoformat()}
                transaction.on_commit(partial(_mail, subject, body, recipients))
            _audit(
                "update",
                actor,
                organisation,
                "monitor.survey_assignment",
                assignment.pk,
                recipients=len(recipients),
                event="reminded",
            )
            count += 1
    return count


def _mail(subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)


def _recipients(organisation: Organisation) -> list[str]:
    """The addresses of the organisation's staff who may answer for it."""
    users = User.objects.filter(is_active=True, memberships__organisation=organisation).distinct()
    return sorted(
        u.email for u in users if u.email and has_perm(u, Perm.MONITOR_PROGRESS, organisation)
    )
