"""Writes of the country-visit workflow: plan, meetings and notes, a report drafted from the
register, the indicators and the survey, the State's review comments, publication (which
issues the report's recommendations into the register), corrections as new versions.

A published report never changes: every service refuses, and ``VisitReport.save`` is
guarded too (``_guard_published``), so a correction is always a new version.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.monitor import recimport, selectors, services, survey_selectors, visits
from palermo.monitor.models import (
    CountryVisit,
    Recommendation,
    RecommendationStatus,
    ReportComment,
    ReportStatus,
    SourceBody,
    Survey,
    ThematicArea,
    VisitMeeting,
    VisitReport,
    VisitStatus,
)
from palermo.monitor.services import NotAllowed, _audit, _require

__all__ = ["NotAllowed"]


def _text(value: str, name: str, limit: int, errors: list[FieldError], *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.append(FieldError(name, _("Required.")))
    elif len(value) > limit:
        errors.append(FieldError(name, _("At most %(n)s characters.") % {"n": limit}))
    elif "\x00" in value:
        errors.append(FieldError(name, _("Text may not contain NUL characters.")))
    return value


def _problems(problems: list[visits.Problem]) -> InvalidInput:
    return InvalidInput([FieldError(p.field, p.render(_)) for p in problems])


def visit_create(
    *,
    actor: User | None,
    organisation: Organisation,
    title: str,
    source_body: str,
    starts_on: date,
    ends_on: date,
    purpose: str = "",
    follows: CountryVisit | None = None,
) -> CountryVisit:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    title = _text(title, "title", 200, errors, required=True)
    purpose = _text(purpose, "purpose", 5000, errors, required=False)
    if source_body not in SourceBody.values:
        errors.append(FieldError("source_body", _("Choose the monitoring body.")))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", _("The visit cannot end before it starts.")))
    if follows is not None and follows.starts_on >= starts_on:
        errors.append(
            FieldError("follows", _("A follow-up visit comes after the visit it follows."))
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        visit = CountryVisit.objects.create(
            title=title,
            source_body=source_body,
            starts_on=starts_on,
            ends_on=ends_on,
            purpose=purpose,
            follows=follows,
            owner=organisation,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "monitor.visit", visit.pk)
    return visit


def meeting_add(
    *,
    actor: User | None,
    organisation: Organisation,
    visit: CountryVisit,
    held_on: date,
    counterpart: str,
    agenda: str = "",
    counterpart_organisation: Organisation | None = None,
) -> VisitMeeting:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    counterpart = _text(counterpart, "counterpart", 200, errors, required=True)
    agenda = _text(agenda, "agenda", 5000, errors, required=False)
    if not (visit.starts_on <= held_on <= visit.ends_on):
        errors.append(FieldError("held_on", _("The meeting must fall within the visit's dates.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        meeting = VisitMeeting.objects.create(
            visit=visit,
            held_on=held_on,
            counterpart=counterpart,
            organisation=counterpart_organisation,
            agenda=agenda,
        )
        _audit("create", actor, organisation, "monitor.visit_meeting", meeting.pk)
    return meeting


def meeting_notes(
    *, actor: User | None, organisation: Organisation, meeting: VisitMeeting, notes: str
) -> VisitMeeting:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    notes = _text(notes, "notes", 20_000, errors, required=False)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        VisitMeeting.objects.filter(pk=meeting.pk).update(notes=notes)
        CountryVisit.objects.filter(pk=meeting.visit_id, status=VisitStatus.PLANNED).update(
            status=VisitStatus.HELD
        )
        _audit("update", actor, organisation, "monitor.visit_meeting", meeting.pk)
    meeting.refresh_from_db()
    return meeting


# --- the report -----------------------------------------------------------------------------


def snapshot(
    actor: User | None, organisation: Organisation | None, visit: CountryVisit
) -> dict[str, Any]:
    """What a draft is assembled from, as it stands now: aggregates only, no personal data."""
    indicator_rows = [
        {
            "id": r.definition.id,
            "title": r.definition.title,
            "figures": [
                {"label": f.label, "value": f.value, "denominator": f.denominator}
                for f in r.figures
            ],
        }
        for r in selectors.indicator_results(actor, organisation, year=None)
    ]
    register = [
        {
            "paragraph": rec.paragraph,
            "report": rec.report,
            "area": rec.area,
            "status": rec.status,
            "text": rec.text[:500],
        }
        for rec in Recommendation.objects.filter(source_body=visit.source_body).order_by(
            "report", "paragraph"
        )
    ]
    by_area = selectors.status_summary(actor, organisation, "area")
    latest = Survey.objects.exclude(status="draft").order_by("-opened_at", "-id").first()
    survey_part: dict[str, Any] = {}
    if latest is not None:
        rows = []
        for block in survey_selectors.consolidated(None, None, latest):
            for row in block["rows"]:
                if "counts" in row:
                    rows.append(
                        {
                            "section": block["section"].label,
                            "question": row["question"].label,
                            "counts": [[label, n] for label, n in row["counts"]],
                            "answered": row["answered"],
                        }
                    )
        survey_part = {"id": latest.pk, "title": latest.title, "rows": rows}
    return {
        "taken_at": timezone.now().isoformat(),
        "indicators": indicator_rows,
        "register": register,
        "register_by_area": by_area,
        "survey": survey_part,
        "meetings": [
            {"held_on": m.held_on.isoformat(), "counterpart": m.counterpart, "notes": m.notes}
            for m in visit.meetings.all()
        ],
    }


def _open_report(visit: CountryVisit) -> VisitReport | None:
    return visit.reports.exclude(status=ReportStatus.PUBLISHED).first()


def report_draft(
    *, actor: User | None, organisation: Organisation, visit: CountryVisit
) -> VisitReport:
    """A new draft version, assembled from the register, the indicators and the survey."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    if _open_report(visit) is not None:
        raise InvalidInput(
            FieldError("", _("A draft of this report is already open; finish it first."))
        )
    with transaction.atomic():
        last = visit.reports.order_by("-version").first()
        report = VisitReport.objects.create(
            visit=visit,
            version=(last.version + 1) if last else 1,
            snapshot=snapshot(actor, organisation, visit),
            findings=last.findings if last else "",
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "monitor.visit_report", report.pk)
    return report


def _editable(report: VisitReport, *, allow_review: bool = False) -> None:
    allowed = {ReportStatus.DRAFT, ReportStatus.IN_REVIEW} if allow_review else {ReportStatus.DRAFT}
    if report.status not in allowed:
        raise InvalidInput(
            FieldError(
                "",
                _("A published report never changes; make a correction (a new version) instead.")
                if report.status == ReportStatus.PUBLISHED
                else _("The report is with the State for comments; it can no longer be edited."),
            )
        )


def _locked(report: VisitReport, lock_version: int | None) -> VisitReport:
    fresh = VisitReport.objects.select_for_update().get(pk=report.pk)
    if lock_version is not None and fresh.lock_version != lock_version:
        raise InvalidInput(
            FieldError(
                "",
                _(
                    "Someone changed this report after you opened it. Reload the page; your change was not saved."
                ),
            )
        )
    return fresh


def report_update(
    *,
    actor: User | None,
    organisation: Organisation,
    report: VisitReport,
    findings: str,
    lock_version: int | None = None,
) -> VisitReport:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    findings = _text(findings, "findings", 100_000, errors, required=False)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        fresh = _locked(report, lock_version)
        _editable(fresh)
        fresh.findings = findings
        fresh.lock_version += 1
        fresh.save(update_fields=["findings", "lock_version"])
        _audit("update", actor, organisation, "monitor.visit_report", fresh.pk)
    return fresh


def report_propose(
    *, actor: User | None, organisation: Organisation, report: VisitReport, proposal: dict[str, Any]
) -> VisitReport:
    """Add a recommendation the report will issue into the register when it is published."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    with transaction.atomic():
        fresh = _locked(report, None)
        _editable(fresh)
        clean, problems = visits.check_proposal(
            proposal,
            areas=ThematicArea.values,
            taken=[p["paragraph"] for p in fresh.proposed],
        )
        if problems:
            raise _problems(problems)
        fresh.proposed = [*fresh.proposed, clean]
        fresh.lock_version += 1
        fresh.save(update_fields=["proposed", "lock_version"])
        _audit(
            "update",
            actor,
            organisation,
            "monitor.visit_report",
            fresh.pk,
            proposed=clean["paragraph"],
        )
    return fresh


def report_send(
    *, actor: User | None, organisation: Organisation, report: VisitReport
) -> VisitReport:
    """Send the draft to the visited State's authorities for comments."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    with transaction.atomic():
        fresh = _locked(report, None)
        _editable(fresh)
        fresh.status = ReportStatus.IN_REVIEW
        fresh.lock_version += 1
        fresh.save(update_fields=["status", "lock_version"])
        _audit(
            "update", actor, organisation, "monitor.visit_report", fresh.pk, event="sent_for_review"
        )
    return fresh


def can_comment(actor: User | None, organisation: Organisation | None) -> bool:
    return actor is not None and (
        has_perm(actor, Perm.MONITOR_PROGRESS, organisation)
        or has_perm(actor, Perm.MONITOR_MANAGE, organisation)
    )


def comment_add(
    *,
    actor: User | None,
    organisation: Organisation,
    report: VisitReport,
    text: str,
    section: str = "",
) -> ReportComment:
    if actor is not None and not can_comment(actor, organisation):
        raise NotAllowed(_("Only the State's authorities may comment on a report."))
    errors: list[FieldError] = []
    text = _text(text, "text", 20_000, errors, required=True)
    section = _text(section, "section", 80, errors, required=False)
    if report.status != ReportStatus.IN_REVIEW:
        errors.append(
            FieldError(
                "", _("Comments are taken only while the report is with the State for comments.")
            )
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        comment = ReportComment.objects.create(
            report=report,
            section=section,
            text=text,
            organisation=organisation,
            author=actor,
            at=timezone.now(),
        )
        _audit("create", actor, organisation, "monitor.report_comment", comment.pk)
    return comment


def published_content(report: VisitReport) -> dict[str, Any]:
    """The content whose fingerprint is kept: what the published report says."""
    return {
        "visit": report.visit.title,
        "source_body": report.visit.source_body,
        "version": report.version,
        "findings": report.findings,
        "snapshot": report.snapshot,
        "proposed": report.proposed,
        "corrects": report.corrects_id,
    }


def report_name(report: VisitReport) -> str:
    return report.visit.title[:200]


def report_publish(
    *, actor: User | None, organisation: Organisation, report: VisitReport
) -> VisitReport:
    """Publish: the content is fingerprinted and frozen, and each proposed recommendation is
    issued into the register (one already there from an earlier version is linked, not
    duplicated)."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    with transaction.atomic():
        fresh = _locked(report, None)
        _editable(fresh, allow_review=True)
        today = timezone.localdate()
        for p in fresh.proposed:
            existing = Recommendation.objects.filter(
                source_body=fresh.visit.source_body,
                report__iexact=report_name(fresh),
                paragraph__iexact=p["paragraph"],
            ).first()
            if existing is None:
                row = recimport.RecommendationRow(
                    0,
                    fresh.visit.source_body,
                    report_name(fresh),
                    p["paragraph"],
                    today,
                    p["area"],
                    p["addressee"],
                    p["text"],
                    date.fromisoformat(p["due_on"]) if p["due_on"] else None,
                    "",
                )
                existing = services.recommendation_create(
                    actor=actor, organisation=organisation, row=row
                )
            fresh.issued.add(existing)
        fresh.status = ReportStatus.PUBLISHED
        fresh.published_at = timezone.now()
        fresh.sha256 = visits.fingerprint(published_content(fresh))
        fresh.lock_version += 1
        fresh.save(update_fields=["status", "published_at", "sha256", "lock_version"])
        CountryVisit.objects.filter(pk=fresh.visit_id).update(status=VisitStatus.REPORTED)
        _audit(
            "update",
            actor,
            organisation,
            "monitor.visit_report",
            fresh.pk,
            event="published",
            sha256=fresh.sha256,
            issued=len(fresh.proposed),
        )
    return fresh


def report_correct(
    *, actor: User | None, organisation: Organisation, report: VisitReport
) -> VisitReport:
    """A correction of a published report: a new draft version naming the one it corrects."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    if report.status != ReportStatus.PUBLISHED:
        raise InvalidInput(
            FieldError("", _("Only a published report is corrected; edit the draft instead."))
        )
    if _open_report(report.visit) is not None:
        raise InvalidInput(
            FieldError("", _("A draft of this report is already open; finish it first."))
        )
    with transaction.atomic():
        last = report.visit.reports.order_by("-version").first()
        assert last is not None
        correction = VisitReport.objects.create(
            visit=report.visit,
            version=last.version + 1,
            findings=report.findings,
            snapshot=report.snapshot,
            proposed=report.proposed,
            corrects=report,
            created_at=timezone.now(),
        )
        _audit(
            "create", actor, organisation, "monitor.visit_report", correction.pk, corrects=report.pk
        )
    return correction


def comparison(
    actor: User | None, organisation: Organisation | None, visit: CountryVisit
) -> dict[str, Any]:
    """For a follow-up visit: the earlier visit's published report set beside today."""
    earlier = visit.follows
    if earlier is None:
        return {}
    report = earlier.reports.filter(status=ReportStatus.PUBLISHED).order_by("-version").first()
    if report is None:
        return {"earlier": earlier, "report": None}
    now = snapshot(actor, organisation, visit)
    statuses = {r.paragraph: r.status for r in report.issued.all()}
    issued = [{**p, "status": RecommendationStatus.NOT_STARTED.value} for p in report.proposed]
    return {
        "earlier": earlier,
        "report": report,
        "indicators": visits.compare_indicators(report.snapshot, now),
        "recommendations": visits.compare_recommendations(issued, statuses),
    }
