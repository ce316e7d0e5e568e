"""Writes of the monitoring context: one function per change, validated first, audited in
the same transaction.

``actor=None`` is the operator at the command line (who has database access already):
no role check, audited as "command line".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.cases import selectors as case_selectors
from palermo.core import audit, errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.monitor import indicators, recimport
from palermo.monitor.models import (
    ActionPlan,
    Evidence,
    EvidenceKind,
    FollowUp,
    Measure,
    MeasureStatus,
    NationalResponse,
    Objective,
    PlanIndicator,
    ProgressNote,
    Recommendation,
    RecommendationStatus,
    ThematicArea,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
CLI_ACTOR = "command line"


NotAllowed = errors.NotAllowed  # the actor may not make this change (403, audited)


def _require(actor: User | None, organisation: Organisation | None, perm: str) -> None:
    if actor is None:
        return
    if not has_perm(actor, perm, organisation):
        raise NotAllowed(_("You do not have permission to do this."))


def _audit(
    action: str,
    actor: User | None,
    organisation: Organisation | None,
    object_type: str,
    ref: Any,
    **details: Any,
) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_ref=str(ref),
        details=details,
        actor_username=None if actor is not None else CLI_ACTOR,
    )


def _text(
    value: str, name: str, limit: int, errors: list[FieldError], *, required: bool = True
) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.append(FieldError(name, _("Required.")))
    elif len(value) > limit:
        errors.append(FieldError(name, _("At most %(n)s characters.") % {"n": limit}))
    elif "\x00" in value:
        errors.append(FieldError(name, _("Text may not contain NUL characters.")))
    return value


# --- action plan --------------------------------------------------------------------------------


def plan_create(
    *, actor: User | None, organisation: Organisation, title: str, starts_on: date, ends_on: date
) -> ActionPlan:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    title = _text(title, "title", 200, errors)
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", _("The plan cannot end before it starts.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        plan = ActionPlan.objects.create(
            title=title,
            starts_on=starts_on,
            ends_on=ends_on,
            owner=organisation,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "monitor.plan", plan.pk)
    return plan


def objective_add(
    *,
    actor: User | None,
    organisation: Organisation,
    plan: ActionPlan,
    code: str,
    title: str,
    area: str = "",
) -> Objective:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    code = _text(code, "code", 20, errors)
    title = _text(title, "title", 300, errors)
    if area and area not in ThematicArea.values:
        errors.append(FieldError("area", _("Unknown thematic area.")))
    if code and plan.objectives.filter(code=code).exists():
        errors.append(FieldError("code", _("The plan already has an objective with this number.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        obj = Objective.objects.create(plan=plan, code=code, title=title, area=area)
        _audit("create", actor, organisation, "monitor.objective", obj.pk, plan=plan.pk)
    return obj


def measure_add(
    *,
    actor: User | None,
    organisation: Organisation,
    objective: Objective,
    code: str,
    title: str,
    responsible: Sequence[Organisation],
    deadline: date,
    budget_line: str = "",
    budget_amount: str | Decimal | None = None,
    budget_currency: str = "",
) -> Measure:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    code = _text(code, "code", 20, errors)
    title = _text(title, "title", 300, errors)
    budget_line = _text(budget_line, "budget_line", 120, errors, required=False)
    amount: Decimal | None = None
    if budget_amount not in (None, ""):
        try:
            amount = Decimal(str(budget_amount))
            if amount < 0 or amount >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError("budget_amount", _("Enter an amount of 0 or more.")))
        currency = (budget_currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            errors.append(
                FieldError("budget_currency", _("An ISO 4217 currency code such as EUR."))
            )
        budget_currency = currency
    if not responsible:
        errors.append(FieldError("responsible", _("Name at least one responsible organisation.")))
    if code and objective.measures.filter(code=code).exists():
        errors.append(
            FieldError("code", _("The objective already has a measure with this number."))
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        m = Measure.objects.create(
            objective=objective,
            code=code,
            title=title,
            deadline=deadline,
            budget_line=budget_line,
            budget_amount=amount,
            budget_currency=budget_currency if amount is not None else "",
        )
        m.responsible.set(responsible)
        _audit("create", actor, organisation, "monitor.measure", m.pk, objective=objective.pk)
    return m


def plan_indicator_add(
    *,
    actor: User | None,
    organisation: Organisation,
    measure: Measure,
    title: str,
    baseline: str,
    target: str,
    computed: str = "",
) -> PlanIndicator:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    title = _text(title, "title", 300, errors)
    baseline = _text(baseline, "baseline", 60, errors)
    target = _text(target, "target", 60, errors)
    if computed and indicators.definition(computed) is None:
        errors.append(FieldError("computed", _("No computed indicator has this id.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        pi = PlanIndicator.objects.create(
            measure=measure, title=title, baseline=baseline, target=target, computed=computed
        )
        _audit("create", actor, organisation, "monitor.plan_indicator", pi.pk, measure=measure.pk)
    return pi


def can_report_progress(
    actor: User | None, organisation: Organisation | None, measure: Measure
) -> bool:
    """The co-ordinator on any measure; a respondent organisation on the measures it carries."""
    if actor is None:
        return True
    if has_perm(actor, Perm.MONITOR_MANAGE, organisation):
        return True
    return (
        organisation is not None
        and has_perm(actor, Perm.MONITOR_PROGRESS, organisation)
        and measure.responsible.filter(pk=organisation.pk).exists()
    )


def progress_note_add(
    *,
    actor: User | None,
    organisation: Organisation,
    measure: Measure,
    noted_on: date,
    status: str,
    text: str,
) -> ProgressNote:
    if not can_report_progress(actor, organisation, measure):
        raise NotAllowed(
            _(
                "Only the co-ordinator and the organisations responsible for this measure report on it."
            )
        )
    errors: list[FieldError] = []
    text = _text(text, "text", 5000, errors)
    if status not in MeasureStatus.values:
        errors.append(FieldError("status", _("Unknown status.")))
    if noted_on > timezone.localdate():
        errors.append(FieldError("noted_on", _("A progress note cannot be dated in the future.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        note = ProgressNote.objects.create(
            measure=measure,
            noted_on=noted_on,
            status=status,
            text=text,
            organisation=organisation,
            author=actor,
            recorded_at=timezone.now(),
        )
        before = measure.status
        Measure.objects.filter(pk=measure.pk).update(status=status, version=measure.version + 1)
        measure.status, measure.version = status, measure.version + 1
        _audit(
            "update",
            actor,
            organisation,
            "monitor.measure",
            measure.pk,
            note=note.pk,
            status_before=before,
            status_after=status,
        )
    return note


def evidence_add(
    *,
    actor: User | None,
    organisation: Organisation,
    measure: Measure,
    kind: str,
    title: str,
    data: bytes | None = None,
    file_name: str = "",
    content_type: str = "",
    target: str = "",
    note: ProgressNote | None = None,
) -> Evidence:
    """A file (kept with its SHA-256) or a link: a case the actor may open, an indicator, a year's statistics."""
    if not can_report_progress(actor, organisation, measure):
        raise NotAllowed(
            _(
                "Only the co-ordinator and the organisations responsible for this measure add evidence."
            )
        )
    errors: list[FieldError] = []
    title = _text(title, "title", 200, errors)
    target = (target or "").strip()
    digest, size = "", 0
    if kind == EvidenceKind.FILE:
        if not data:
            errors.append(FieldError("file", _("Choose a file.")))
        elif len(data) > MAX_EVIDENCE_BYTES:
            errors.append(FieldError("file", _("A file of at most 10 MB.")))
        else:
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
        file_name = (file_name or "evidence").replace("/", "_").replace("\\", "_")[-200:]
        target = ""
    elif kind == EvidenceKind.CASE:
        # Only a case the actor may open can be cited: a link must not reveal that a case exists.
        exists = (
            actor is not None
            and bool(target)
            and case_selectors.cases_visible_to(actor, organisation)
            .filter(reference=target.upper())
            .exists()
        )
        if not exists:
            errors.append(FieldError("target", _("No case you may open has this reference.")))
        target = target.upper()
    elif kind == EvidenceKind.INDICATOR:
        if indicators.definition(target) is None:
            errors.append(FieldError("target", _("No computed indicator has this id.")))
    elif kind == EvidenceKind.STATISTICS:
        if not (target.isdigit() and 1990 <= int(target) <= 2100):
            errors.append(FieldError("target", _("Enter the year of the statistics, e.g. 2025.")))
    else:
        errors.append(FieldError("kind", _("Unknown kind of evidence.")))
    if note is not None and note.measure_id != measure.pk:
        errors.append(FieldError("note", _("The note belongs to another measure.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        ev = Evidence.objects.create(
            measure=measure,
            note=note,
            kind=kind,
            title=title,
            file_name=file_name if digest else "",
            content_type=(content_type or "application/octet-stream")[:100] if digest else "",
            content=data if digest else None,
            sha256=digest,
            size=size,
            target=target,
            organisation=organisation,
            added_by=actor,
            added_at=timezone.now(),
        )
        _audit(
            "create",
            actor,
            organisation,
            "monitor.evidence",
            ev.pk,
            measure=measure.pk,
            kind=kind,
            sha256=digest,
        )
    return ev


# --- recommendations register --------------------------------------------------------------------


def _response(key: str) -> NationalResponse | None:
    if not key:
        return None
    found, _created = NationalResponse.objects.get_or_create(
        key=key, defaults={"created_at": timezone.now()}
    )
    return found


def recommendation_create(
    *,
    actor: User | None,
    organisation: Organisation,
    row: recimport.RecommendationRow,
) -> Recommendation:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    with transaction.atomic():
        rec = Recommendation.objects.create(
            source_body=row.source_body,
            report=row.report,
            paragraph=row.paragraph,
            issued_on=row.issued_on,
            area=row.thematic_area,
            addressee=row.addressee,
            text=row.text,
            due_on=row.due_on,
            response=_response(row.response),
            created_at=timezone.now(),
        )
        FollowUp.objects.create(
            recommendation=rec,
            at=rec.created_at,
            status_after=rec.status,
            note="Registered.",
            organisation=organisation,
            actor=actor,
        )
        _audit("create", actor, organisation, "monitor.recommendation", rec.pk)
    return rec


def existing_keys() -> set[tuple[str, str, str]]:
    return {
        (b, r.casefold(), p.casefold())
        for b, r, p in Recommendation.objects.values_list("source_body", "report", "paragraph")
    }


def recommendations_import(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, commit: bool = True
) -> recimport.Preview:
    """Check every row; with ``commit`` and no error, register every row, else none."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    # The shared import limits (core/limits): size, and an XLSX judged by its zip directory before
    # openpyxl opens it — a zip bomb is refused here (InvalidInput on ``file``), whatever the door.
    check_bytes(data, import_limits("default"), name=name)
    preview = recimport.preview(data, name, existing=existing_keys())
    if not commit or not preview.ok:
        if commit:
            _audit(
                "create",
                actor,
                organisation,
                "monitor.recommendation_import",
                "rejected",
                rows=preview.total_rows,
                errors=len(preview.errors),
            )
        return preview
    with transaction.atomic():
        for row in preview.rows:
            recommendation_create(actor=actor, organisation=organisation, row=row)
        _audit(
            "create",
            actor,
            organisation,
            "monitor.recommendation_import",
            "ok",
            rows=len(preview.rows),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return preview


def recommendation_set_status(
    *,
    actor: User | None,
    organisation: Organisation,
    recommendation: Recommendation,
    status: str,
    reason: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Recommendation:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    if status not in RecommendationStatus.values:
        errors.append(FieldError("status", _("Unknown status.")))
    reason = _text(
        reason, "reason", 5000, errors, required=status == RecommendationStatus.NOT_ACCEPTED
    )
    note = _text(note, "note", 5000, errors, required=False)
    if expected_version is not None and expected_version != recommendation.version:
        errors.append(
            FieldError(
                "", _("Someone changed this recommendation meanwhile: reload and try again.")
            )
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        before = recommendation.status
        updated = Recommendation.objects.filter(
            pk=recommendation.pk, version=recommendation.version
        ).update(
            status=status,
            reason=reason if status == RecommendationStatus.NOT_ACCEPTED else "",
            version=recommendation.version + 1,
        )
        if not updated:
            raise InvalidInput(
                FieldError(
                    "", _("Someone changed this recommendation meanwhile: reload and try again.")
                )
            )
        recommendation.refresh_from_db()
        FollowUp.objects.create(
            recommendation=recommendation,
            at=timezone.now(),
            status_before=before,
            status_after=status,
            note=note or reason,
            organisation=organisation,
            actor=actor,
        )
        _audit(
            "update",
            actor,
            organisation,
            "monitor.recommendation",
            recommendation.pk,
            status_before=before,
            status_after=status,
        )
    return recommendation


def recommendation_link_measure(
    *,
    actor: User | None,
    organisation: Organisation,
    recommendation: Recommendation,
    measure: Measure,
) -> None:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    with transaction.atomic():
        recommendation.measures.add(measure)
        FollowUp.objects.create(
            recommendation=recommendation,
            at=timezone.now(),
            status_before=recommendation.status,
            status_after=recommendation.status,
            note=f"Linked to measure {measure.objective.code}.{measure.code}.",
            organisation=organisation,
            actor=actor,
        )
        _audit(
            "update",
            actor,
            organisation,
            "monitor.recommendation",
            recommendation.pk,
            linked_measure=measure.pk,
        )


def recommendations_share_response(
    *,
    actor: User | None,
    organisation: Organisation,
    recommendations: Sequence[Recommendation],
    key: str,
    summary: str = "",
) -> NationalResponse:
    """One national response for several recommendations (typically from different monitors)."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    key = _text(key, "key", 60, errors)
    summary = _text(summary, "summary", 5000, errors, required=False)
    if len(recommendations) < 1:
        errors.append(FieldError("recommendations", _("Choose at least one recommendation.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        response = _response(key)
        assert response is not None
        if summary:
            response.summary = summary
            response.save(update_fields=["summary"])
        Recommendation.objects.filter(pk__in=[r.pk for r in recommendations]).update(
            response=response
        )
        _audit(
            "update",
            actor,
            organisation,
            "monitor.response",
            response.pk,
            recommendations=[r.pk for r in recommendations],
        )
    return response
