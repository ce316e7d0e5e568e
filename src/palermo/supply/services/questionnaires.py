"""Writes of the self-assessment questionnaires (``supply/questionnaire.py``): send one to a
supplier (recorded: there is no supplier portal), enter or import the supplier's answers
(every answer checked, all or nothing), and turn the red flags into corrective actions.

Each function checks the permission, validates whole, changes nothing on an error and
leaves an audit record (the questionnaire's id; answers are about a company, not a person).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.supply import questionnaire as saq
from palermo.supply.models import CorrectiveAction, ImportBatch, Questionnaire, Supplier
from palermo.supply.services import NotAllowed, _audit, _batch, _require, _text
from palermo.supply.tables import Preview

__all__ = [
    "AnswersImport",
    "questionnaire_actions",
    "questionnaire_answer",
    "questionnaire_import",
    "questionnaire_send",
    "questionnaire_template",
]


def questionnaire_template(q: Questionnaire) -> saq.Template:
    """The template version the questionnaire was sent in."""
    return saq.load(q.template, q.version)


def _own(q: Questionnaire, organisation: Organisation) -> None:
    if q.organisation_id != organisation.pk:
        raise NotAllowed("This questionnaire belongs to another organisation.")


def questionnaire_send(
    *,
    actor: User | None,
    organisation: Organisation,
    supplier: Supplier,
    sent_on: date | None = None,
    template: str = saq.DEFAULT[0],
) -> Questionnaire:
    """Record that the latest version of a questionnaire was sent to a supplier."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    if supplier.organisation_id != organisation.pk:
        errs.append(FieldError("supplier", "Not a supplier of your organisation."))
    try:
        shipped = saq.latest(template)
    except saq.TemplateError:
        errs.append(FieldError("template", "No such questionnaire."))
    day = sent_on or timezone.localdate()
    if day > timezone.localdate():
        errs.append(FieldError("sent_on", "This date is in the future."))
    if errs:
        raise InvalidInput(errs)
    if Questionnaire.objects.filter(
        supplier=supplier, template=shipped.id, answered_at__isnull=True
    ).exists():
        raise InvalidInput(
            FieldError(
                "supplier",
                "A questionnaire sent to this supplier still awaits its answers: "
                "enter them before sending another.",
            )
        )
    with transaction.atomic():
        q = Questionnaire.objects.create(
            organisation=organisation,
            supplier=supplier,
            template=shipped.id,
            version=shipped.version,
            sent_on=day,
            sent_by=actor,
            created_at=timezone.now(),
        )
        _audit(
            "create",
            actor,
            organisation,
            "supply.questionnaire",
            q.pk,
            supplier=supplier.pk,
            template=f"{shipped.id}-{shipped.version}",
        )
    return q


def _store(
    q: Questionnaire,
    actor: User | None,
    organisation: Organisation,
    answers: dict[str, str],
    comments: dict[str, str],
    batch: ImportBatch | None,
) -> Questionnaire:
    result = saq.score(questionnaire_template(q), answers)
    q.answers, q.comments = answers, comments
    q.answered_at, q.answered_by, q.batch = timezone.now(), actor, batch
    q.score, q.level, q.red_flags = result.score, result.level, result.red_flags
    q.save()
    _audit(
        "update",
        actor,
        organisation,
        "supply.questionnaire",
        q.pk,
        answered=len(answers),
        red_flags=result.red_flags,
        level=result.level,
        rule=result.rule,
        **({"batch": batch.pk} if batch else {}),
    )
    return q


def _still_open(q: Questionnaire) -> None:
    if q.actions_at is not None:
        raise InvalidInput(
            FieldError(
                "",
                "Its red flags have become corrective actions: the answers are kept as they "
                "were. Send a new questionnaire to record new answers.",
            )
        )


def questionnaire_answer(
    *,
    actor: User | None,
    organisation: Organisation,
    questionnaire: Questionnaire,
    answers: Mapping[str, str],
    comments: Mapping[str, str] | None = None,
) -> Questionnaire:
    """The supplier's answers as an officer entered them: each is checked against the version
    sent; one wrong answer and nothing is saved (the error names the question)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(questionnaire, organisation)
    _still_open(questionnaire)
    template = questionnaire_template(questionnaire)
    clean, problems = saq.check_answers(template, {k: str(v) for k, v in answers.items()})
    errs = [
        FieldError(qid, "Answer one of: {values}.", values=dict(params)["values"])
        if params
        else FieldError(qid, message)
        for qid, message, params in problems
    ]
    notes: dict[str, str] = {}
    for qid, text in (comments or {}).items():
        if template.question(qid) is None:
            errs.append(FieldError(qid, "No such question in this questionnaire."))
            continue
        note = _text(str(text), qid, saq.MAX_TEXT, errs, required=False)
        if note:
            notes[qid] = note
    if not clean and not errs:
        errs.append(FieldError("", "Answer at least one question."))
    if errs:
        raise InvalidInput(errs)
    with transaction.atomic():
        return _store(questionnaire, actor, organisation, clean, notes, None)


@dataclass
class AnswersImport:
    preview: Preview[saq.AnswerRow]
    questionnaire: Questionnaire
    scored: saq.Scored | None  # the result the answers give (also on a dry run)


def questionnaire_import(
    *,
    actor: User | None,
    organisation: Organisation,
    questionnaire: Questionnaire,
    data: bytes,
    name: str,
    commit: bool = True,
) -> AnswersImport:
    """The supplier's answers from a file (``question, answer[, comment]``): every row is
    checked; with any error, nothing is saved. ``commit=False`` previews only."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(questionnaire, organisation)
    _still_open(questionnaire)
    check_bytes(data, import_limits("default"), name=name)
    template = questionnaire_template(questionnaire)
    preview = saq.preview_answers(data, name, template)
    if not preview.ok:
        return AnswersImport(preview, questionnaire, None)
    answers = {r.question: r.answer for r in preview.rows if r.answer}
    comments = {r.question: r.comment for r in preview.rows if r.comment}
    scored = saq.score(template, answers)
    if not commit:
        return AnswersImport(preview, questionnaire, scored)
    if not answers:
        raise InvalidInput(FieldError("file", "The file answers no question."))
    with transaction.atomic():
        batch = _batch(ImportBatch.Kind.ANSWERS, actor, organisation, data, name, len(preview.rows))
        _store(questionnaire, actor, organisation, answers, comments, batch)
    return AnswersImport(preview, questionnaire, scored)


def questionnaire_actions(
    *,
    actor: User | None,
    organisation: Organisation,
    questionnaire: Questionnaire,
    owner: str,
    due_on: date | None,
) -> list[CorrectiveAction]:
    """One corrective action per red flag, tied to the question's indicator or measure
    (non-compliance or observation as the question says); done once per questionnaire."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(questionnaire, organisation)
    errs: list[FieldError] = []
    owner = _text(owner, "owner", 200, errs, required=True)
    if due_on is None:
        errs.append(FieldError("due_on", "A deadline is required."))
    if questionnaire.answered_at is None:
        errs.append(FieldError("", "Enter the supplier's answers first."))
    elif questionnaire.actions_at is not None:
        errs.append(FieldError("", "The red flags of this questionnaire are already actions."))
    template = questionnaire_template(questionnaire)
    result = saq.score(template, questionnaire.answers)
    if not errs and not result.findings:
        errs.append(FieldError("", "No answer is a red flag: there is nothing to correct."))
    if errs or due_on is None:
        raise InvalidInput(errs)
    now = timezone.now()
    actions = []
    for f in result.findings:
        q = template.question(f.question)
        assert q is not None
        shown = saq.answer_label(q, f.answer)
        actions.append(
            CorrectiveAction(
                supplier=questionnaire.supplier,
                site=None,
                indicator=f.indicator,
                finding=f.severity,
                workers_affected=0,
                description=(
                    f"Self-assessment questionnaire of {questionnaire.sent_on.isoformat()}, "
                    f"question {q.id}: {q.text} Answer: {shown}."
                )[:4000],
                owner=owner,
                due_on=due_on,
                created_by=actor,
                created_at=now,
            )
        )
    with transaction.atomic():
        updated = Questionnaire.objects.filter(pk=questionnaire.pk, actions_at__isnull=True).update(
            actions_at=now
        )
        if not updated:  # someone else did it meanwhile
            raise InvalidInput(
                FieldError("", "The red flags of this questionnaire are already actions.")
            )
        created = CorrectiveAction.objects.bulk_create(actions)
        questionnaire.actions_at = now
        _audit(
            "create",
            actor,
            organisation,
            "supply.questionnaire_actions",
            questionnaire.pk,
            actions=len(created),
            indicators=sorted({a.indicator for a in created}),
        )
    return created
