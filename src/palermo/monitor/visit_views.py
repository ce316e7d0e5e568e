"""Country-visit pages: the visits, one visit (meetings and notes, its report versions), a
report version (findings, what it was assembled from, proposed recommendations, the State's
comments, publication and correction), and a follow-up visit's comparison with the earlier one.

Paths carry numeric ids only. Every change goes through ``visit_services``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, has_perm, requires
from palermo.monitor import selectors, visit_services
from palermo.monitor.models import (
    CountryVisit,
    RecommendationStatus,
    ReportStatus,
    SourceBody,
    ThematicArea,
    VisitMeeting,
    VisitReport,
)
from palermo.monitor.views import _refuse, _who

DATE = forms.DateInput(attrs={"type": "date"})


class VisitForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    source_body = forms.ChoiceField(
        label=gettext_lazy("Monitoring body"), choices=SourceBody.choices
    )
    starts_on = forms.DateField(label=gettext_lazy("First day"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Last day"), widget=DATE)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose and agenda"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    follows = forms.TypedChoiceField(
        label=gettext_lazy("Follows up the visit"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, visits: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["follows"]).choices = [
            ("", _("— not a follow-up visit —")),
            *visits,
        ]


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE)
    counterpart = forms.CharField(
        label=gettext_lazy("Meeting with (authority or NGO)"), max_length=200
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class FindingsForm(forms.Form):
    findings = forms.CharField(
        label=gettext_lazy("Findings"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class ProposalForm(forms.Form):
    paragraph = forms.CharField(label=gettext_lazy("Paragraph"), max_length=40)
    area = forms.ChoiceField(label=gettext_lazy("Thematic area"), choices=ThematicArea.choices)
    addressee = forms.CharField(label=gettext_lazy("Addressed to"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Recommendation"), widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label=gettext_lazy("Due by"), widget=DATE, required=False)


class CommentForm(forms.Form):
    section = forms.CharField(
        label=gettext_lazy("Part of the report"), max_length=80, required=False
    )
    text = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


def _report(request: HttpRequest, form: forms.Form | None, exc: InvalidInput) -> None:
    for e in exc.errors:
        if form is not None and e.field in form.fields:
            form.add_error(e.field, e.message)
        else:
            messages.error(request, e.message)


def _visit(visit_id: int) -> CountryVisit:
    visit = CountryVisit.objects.select_related("follows").filter(pk=visit_id).first()
    if visit is None:
        raise Http404("not found")
    return visit


@requires(Perm.MONITOR_VIEW)
def visit_list(request: HttpRequest) -> HttpResponse:
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    earlier = [(v.pk, v.title) for v in CountryVisit.objects.order_by("-starts_on")[:200]]
    form = VisitForm(request.POST or None, visits=earlier)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        if form.is_valid():
            cd = dict(form.cleaned_data)
            follows = _visit(cd.pop("follows")) if cd.get("follows") else None
            cd.pop("follows", None)
            try:
                visit = visit_services.visit_create(
                    actor=actor, organisation=org, follows=follows, **cd
                )
                messages.success(request, _("Visit planned."))
                return redirect("monitor:visit", visit.pk)
            except InvalidInput as exc:
                _report(request, form, exc)
    return render(
        request,
        "monitor/visits.html",
        {"visits": CountryVisit.objects.all()[:500], "form": form, "can_manage": can_manage},
        status=422 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_VIEW)
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor, org = _who(request)
    visit = _visit(visit_id)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    meeting_form = MeetingForm(prefix="m")
    status = 200
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        action = request.POST.get("action", "")
        status = 422
        try:
            if action == "meeting":
                meeting_form = MeetingForm(request.POST, prefix="m")
                if meeting_form.is_valid():
                    visit_services.meeting_add(
                        actor=actor, organisation=org, visit=visit, **meeting_form.cleaned_data
                    )
                    messages.success(request, _("Meeting added to the agenda."))
                    return redirect("monitor:visit", visit.pk)
            elif action == "notes":
                meeting = VisitMeeting.objects.filter(
                    visit=visit, pk=request.POST.get("meeting", "0") or 0
                ).first()
                if meeting is None:
                    raise Http404("not found")
                notes = NotesForm(request.POST, prefix=f"n{meeting.pk}")
                if notes.is_valid():
                    visit_services.meeting_notes(
                        actor=actor,
                        organisation=org,
                        meeting=meeting,
                        notes=notes.cleaned_data["notes"],
                    )
                    messages.success(request, _("Notes saved."))
                    return redirect("monitor:visit", visit.pk)
            elif action == "draft":
                report = visit_services.report_draft(actor=actor, organisation=org, visit=visit)
                messages.success(
                    request,
                    _(
                        "A draft report was assembled from the register, the indicators and the survey."
                    ),
                )
                return redirect("monitor:visit_report", report.pk)
            else:
                raise Http404("unknown action")
        except InvalidInput as exc:
            _report(request, meeting_form if action == "meeting" else None, exc)
    meetings = [
        {"m": m, "form": NotesForm(initial={"notes": m.notes}, prefix=f"n{m.pk}")}
        for m in visit.meetings.all()
    ]
    return render(
        request,
        "monitor/visit.html",
        {
            "visit": visit,
            "meetings": meetings,
            "reports": visit.reports.all(),
            "meeting_form": meeting_form,
            "can_manage": can_manage,
        },
        status=status,
    )


def _with_form(
    request: HttpRequest, form: forms.Form, run: Callable[[dict[str, Any]], HttpResponse]
) -> HttpResponse | forms.Form:
    """Run a change with a valid form; otherwise (or when refused) the form with its errors."""
    if not form.is_valid():
        return form
    try:
        return run(form.cleaned_data)
    except InvalidInput as exc:
        _report(request, form, exc)
        return form


def _done(request: HttpRequest, message: str, report_id: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("monitor:visit_report", report_id)


def _findings(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    def run(cd: dict[str, Any]) -> HttpResponse:
        visit_services.report_update(
            actor=actor,
            organisation=org,
            report=report,
            findings=cd["findings"],
            lock_version=cd["lock_version"],
        )
        return _done(request, _("Findings saved."), report.pk)

    return _with_form(request, FindingsForm(request.POST, prefix="f"), run)


def _propose(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    def run(cd: dict[str, Any]) -> HttpResponse:
        visit_services.report_propose(actor=actor, organisation=org, report=report, proposal=cd)
        return _done(request, _("Recommendation added to the report."), report.pk)

    return _with_form(request, ProposalForm(request.POST, prefix="p"), run)


def _comment(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    def run(cd: dict[str, Any]) -> HttpResponse:
        visit_services.comment_add(actor=actor, organisation=org, report=report, **cd)
        return _done(request, _("Comment recorded."), report.pk)

    return _with_form(request, CommentForm(request.POST, prefix="c"), run)


def _without_form(request: HttpRequest, run: Callable[[], HttpResponse]) -> HttpResponse | None:
    try:
        return run()
    except InvalidInput as exc:
        _report(request, None, exc)
        return None


def _send(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    def run() -> HttpResponse:
        visit_services.report_send(actor=actor, organisation=org, report=report)
        return _done(
            request, _("The draft was sent to the State's authorities for comments."), report.pk
        )

    return _without_form(request, run)


def _publish(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    if request.POST.get("confirm") != "yes":
        return render(request, "monitor/visit_publish_confirm.html", {"report": report})

    def run() -> HttpResponse:
        visit_services.report_publish(actor=actor, organisation=org, report=report)
        return _done(
            request,
            _("The report is published; its recommendations are in the register."),
            report.pk,
        )

    return _without_form(request, run)


def _correct(request: HttpRequest, report: VisitReport, actor: Any, org: Any) -> Any:
    def run() -> HttpResponse:
        correction = visit_services.report_correct(actor=actor, organisation=org, report=report)
        return _done(request, _("A correction was opened as a new version."), correction.pk)

    return _without_form(request, run)


_REPORT_ACTIONS: dict[str, Callable[..., Any]] = {
    "findings": _findings,
    "propose": _propose,
    "send": _send,
    "comment": _comment,
    "publish": _publish,
    "correct": _correct,
}


@requires(Perm.MONITOR_VIEW)
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor, org = _who(request)
    report = VisitReport.objects.select_related("visit", "corrects").filter(pk=report_id).first()
    if report is None:
        raise Http404("not found")
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    can_comment = visit_services.can_comment(actor, org)
    findings_form = FindingsForm(
        initial={"findings": report.findings, "lock_version": report.lock_version}, prefix="f"
    )
    proposal_form = ProposalForm(prefix="p")
    comment_form = CommentForm(prefix="c")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        needed = Perm.MONITOR_PROGRESS if action == "comment" else Perm.MONITOR_MANAGE
        if not (can_comment if action == "comment" else can_manage):
            return _refuse(request, needed)
        handler = _REPORT_ACTIONS.get(action)
        if handler is None:
            raise Http404("unknown action")
        try:
            outcome = handler(request, report, actor, org)
        except visit_services.NotAllowed:
            return _refuse(request, needed)
        if isinstance(outcome, HttpResponse):
            return outcome
        status = 422
        # the form, shown again with the refusal beside its fields
        if isinstance(outcome, FindingsForm):
            findings_form = outcome
        elif isinstance(outcome, ProposalForm):
            proposal_form = outcome
        elif isinstance(outcome, CommentForm):
            comment_form = outcome
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="monitor.visit_report",
        object_ref=str(report.pk),
        request=request,
    )
    snap = report.snapshot or {}
    area_labels = dict(ThematicArea.choices)
    status_labels = dict(RecommendationStatus.choices)
    return render(
        request,
        "monitor/visit_report.html",
        {
            "report": report,
            "snapshot": snap,
            "indicators": [
                {
                    **ind,
                    "figures": [
                        {**f, "label": selectors.figure_label(f["label"]), "shown": _shown(f)}
                        for f in ind.get("figures", [])
                    ],
                }
                for ind in snap.get("indicators", [])
            ],
            "register": [
                {
                    **r,
                    "area_label": area_labels.get(r["area"], r["area"]),
                    "status_label": status_labels.get(r["status"], r["status"]),
                }
                for r in snap.get("register", [])
            ],
            "proposed": [
                {**p, "area_label": area_labels.get(p["area"], p["area"])} for p in report.proposed
            ],
            "comments": report.comments.select_related("organisation"),
            "is_draft": report.status == ReportStatus.DRAFT,
            "in_review": report.status == ReportStatus.IN_REVIEW,
            "is_published": report.status == ReportStatus.PUBLISHED,
            "can_manage": can_manage,
            "can_comment": can_comment,
            "findings_form": findings_form,
            "proposal_form": proposal_form,
            "comment_form": comment_form,
        },
        status=status,
    )


def _shown(figure: dict[str, Any]) -> str:
    if figure.get("value") is None:
        return "x"
    if figure.get("denominator") is not None:
        return f"{figure['value']} / {figure['denominator']}"
    return str(figure["value"])


@requires(Perm.MONITOR_VIEW)
def visit_compare(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor, org = _who(request)
    visit = _visit(visit_id)
    if visit.follows is None:
        raise Http404("not a follow-up visit")
    result = visit_services.comparison(actor, org, visit)
    status_labels = dict(RecommendationStatus.choices)
    for row in result.get("recommendations", []):
        row["then_label"] = status_labels.get(row["then"], row["then"])
        row["now_label"] = status_labels.get(row["now"], row["now"]) or _("Not in the register")
    for row in result.get("indicators", []):
        row["label"] = selectors.figure_label(row["label"])
    return render(request, "monitor/visit_compare.html", {"visit": visit, **result})
