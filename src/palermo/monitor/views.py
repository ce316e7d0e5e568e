"""Monitoring pages: overview, action plan, measure (progress and evidence), recommendations
register (filters, import with preview, status and links), indicators with drill-down, and the
annual report.

Views read through ``selectors`` and call one service per change. Paths carry numeric ids and
indicator ids only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.middleware import refused
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.monitor import forms, indicators, report, selectors, services
from palermo.monitor.models import Measure, RecommendationStatus, SourceBody, ThematicArea
from palermo.web.held import Holder, nothing_held

MAX_IMPORT_BYTES = 2 * 1024 * 1024
HELD = Holder("monitor_import")  # the file between preview and "Import" (web/held.py)


def _who(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, getattr(request, "organisation", None)


def _errors_to(form: Any, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


def _refuse(request: HttpRequest, perm: str) -> HttpResponse:
    audit.record_refusal(request, perm=perm)
    return refused(request)


def _year(request: HttpRequest) -> tuple[int | None, forms.YearForm]:
    form = forms.YearForm(request.GET or None, years=selectors.years())
    year = form.cleaned_data.get("year") if form.is_valid() else None
    return (year or None), form


@requires(Perm.MONITOR_VIEW)
def home(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    labels = dict(SourceBody.choices)
    area_labels = dict(ThematicArea.choices)
    by_monitor = [
        {**r, "label": labels.get(r["key"], r["key"])}
        for r in selectors.status_summary(actor, org, "source_body")
    ]
    by_area = [
        {**r, "label": area_labels.get(r["key"], r["key"])}
        for r in selectors.status_summary(actor, org, "area")
    ]
    return render(
        request,
        "monitor/home.html",
        {
            "plans": selectors.plans(actor, org),
            "by_monitor": by_monitor,
            "by_area": by_area,
            "statuses": RecommendationStatus.choices,
            "can_manage": has_perm(actor, Perm.MONITOR_MANAGE, org),
            "can_report": has_perm(actor, Perm.MONITOR_REPORT, org),
        },
    )


@requires(Perm.MONITOR_MANAGE)
def plan_create(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=actor, organisation=org, **form.cleaned_data)
            messages.success(request, _("Action plan created."))
            return redirect("monitor:plan", plan.pk)
        except InvalidInput as exc:
            _errors_to(form, exc)
    return render(
        request,
        "monitor/plan_create.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_VIEW)
def plan_detail(request: AuthedRequest, plan_id: int) -> HttpResponse:
    actor, org = _who(request)
    plan = selectors.access_plan(actor, org, plan_id)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    objectives = [(o.pk, f"{o.code}. {o.title}") for o in plan.objectives.all()]
    organisations = selectors.active_organisations()
    objective_form = forms.ObjectiveForm(prefix="obj")
    measure_form = forms.MeasureForm(
        prefix="ms", objectives=objectives, organisations=organisations
    )
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        try:
            if "obj-code" in request.POST:
                objective_form = forms.ObjectiveForm(request.POST, prefix="obj")
                if objective_form.is_valid():
                    services.objective_add(
                        actor=actor, organisation=org, plan=plan, **objective_form.cleaned_data
                    )
                    messages.success(request, _("Objective added."))
                    return redirect("monitor:plan", plan.pk)
            else:
                measure_form = forms.MeasureForm(
                    request.POST, prefix="ms", objectives=objectives, organisations=organisations
                )
                if measure_form.is_valid():
                    cd = dict(measure_form.cleaned_data)
                    objective = plan.objectives.get(pk=cd.pop("objective"))
                    cd["responsible"] = selectors.organisations(cd["responsible"])
                    services.measure_add(actor=actor, organisation=org, objective=objective, **cd)
                    messages.success(request, _("Measure added."))
                    return redirect("monitor:plan", plan.pk)
        except InvalidInput as exc:
            _errors_to(objective_form if "obj-code" in request.POST else measure_form, exc)
    return render(
        request,
        "monitor/plan.html",
        {
            "plan": plan,
            "can_manage": can_manage,
            "objective_form": objective_form,
            "measure_form": measure_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_VIEW)
def measure_detail(request: AuthedRequest, measure_id: int) -> HttpResponse:
    actor, org = _who(request)
    measure = selectors.access_measure(actor, org, measure_id)
    can_report = services.can_report_progress(actor, org, measure)
    note_form = forms.ProgressNoteForm(prefix="note")
    evidence_form = forms.EvidenceForm(prefix="ev")
    if request.method == "POST":
        if not can_report:
            return _refuse(request, Perm.MONITOR_PROGRESS)
        try:
            if "note-text" in request.POST:
                note_form = forms.ProgressNoteForm(request.POST, prefix="note")
                if note_form.is_valid():
                    services.progress_note_add(
                        actor=actor, organisation=org, measure=measure, **note_form.cleaned_data
                    )
                    messages.success(request, _("Progress recorded."))
                    return redirect("monitor:measure", measure.pk)
            else:
                evidence_form = forms.EvidenceForm(request.POST, request.FILES, prefix="ev")
                if evidence_form.is_valid():
                    cd = evidence_form.cleaned_data
                    upload = cd.get("file")
                    if upload is not None and upload.size > services.MAX_EVIDENCE_BYTES:
                        evidence_form.add_error("file", _("A file of at most 10 MB."))
                    else:
                        services.evidence_add(
                            actor=actor,
                            organisation=org,
                            measure=measure,
                            kind=cd["kind"],
                            title=cd["title"],
                            data=upload.read() if upload is not None else None,
                            file_name=upload.name if upload is not None else "",
                            content_type=getattr(upload, "content_type", "") or "",
                            target=cd.get("target") or "",
                        )
                        messages.success(request, _("Evidence added."))
                        return redirect("monitor:measure", measure.pk)
        except InvalidInput as exc:
            _errors_to(note_form if "note-text" in request.POST else evidence_form, exc)
        except services.NotAllowed:
            return _refuse(request, Perm.MONITOR_PROGRESS)
    return render(
        request,
        "monitor/measure.html",
        {
            "measure": measure,
            "evidence": selectors.measure_evidence(actor, org, measure),
            "can_report": can_report,
            "can_manage": has_perm(actor, Perm.MONITOR_MANAGE, org),
            "note_form": note_form,
            "evidence_form": evidence_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_VIEW)
def evidence_download(request: AuthedRequest, evidence_id: int) -> HttpResponse:
    actor, org = _who(request)
    ev = selectors.access_evidence_file(actor, org, evidence_id, request=request)
    response = HttpResponse(bytes(ev.content or b""), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="evidence-{ev.pk}"'
    response["X-Content-SHA256"] = ev.sha256
    return response


@requires(Perm.MONITOR_VIEW)
def recommendation_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.RegisterFilterForm(request.GET or None)
    f = (
        selectors.RegisterFilter(**form.cleaned_data)
        if form.is_valid()
        else selectors.RegisterFilter()
    )
    recs = list(selectors.recommendations(actor, org, f)[:500])
    for r in recs:
        r.overdue = selectors.is_overdue(r)  # type: ignore[attr-defined]
    return render(
        request,
        "monitor/recommendations.html",
        {
            "recs": recs,
            "filter_form": form,
            "can_manage": has_perm(actor, Perm.MONITOR_MANAGE, org),
        },
    )


@requires(Perm.MONITOR_VIEW)
def recommendation_detail(request: AuthedRequest, rec_id: int) -> HttpResponse:
    actor, org = _who(request)
    rec = selectors.access_recommendation(actor, org, rec_id)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    measures = [
        (m.pk, f"{m.objective.code}.{m.code} {m.title}")
        for p in selectors.plans(actor, org)
        for o in p.objectives.all()
        for m in o.measures.all()
    ]
    status_form = forms.RecommendationStatusForm(
        initial={"status": rec.status, "version": rec.version}, prefix="st"
    )
    link_form = forms.LinkMeasureForm(measures=measures, prefix="ln")
    status = 200
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        try:
            if "st-status" in request.POST:
                status_form = forms.RecommendationStatusForm(request.POST, prefix="st")
                if status_form.is_valid():
                    cd = status_form.cleaned_data
                    services.recommendation_set_status(
                        actor=actor,
                        organisation=org,
                        recommendation=rec,
                        status=cd["status"],
                        reason=cd["reason"],
                        note=cd["note"],
                        expected_version=cd["version"],
                    )
                    messages.success(request, _("Status recorded."))
                    return redirect("monitor:recommendation", rec.pk)
            else:
                link_form = forms.LinkMeasureForm(request.POST, measures=measures, prefix="ln")
                if link_form.is_valid():
                    measure = Measure.objects.get(pk=link_form.cleaned_data["measure"])
                    services.recommendation_link_measure(
                        actor=actor, organisation=org, recommendation=rec, measure=measure
                    )
                    messages.success(request, _("Linked to the measure."))
                    return redirect("monitor:recommendation", rec.pk)
        except InvalidInput as exc:
            _errors_to(status_form, exc)
        status = 400
    return render(
        request,
        "monitor/recommendation.html",
        {
            "rec": rec,
            "overdue": selectors.is_overdue(rec),
            "can_manage": can_manage,
            "status_form": status_form,
            "link_form": link_form,
        },
        status=status,
    )


def _row_message(e: Any) -> str:
    return _(e.template) % dict(e.params) if e.params else _(e.template)


def _preview_context(preview: Any) -> dict[str, Any]:
    areas, bodies = dict(ThematicArea.choices), dict(SourceBody.choices)
    rows = [
        {
            "row": r.row,
            "body": bodies[r.source_body],
            "report": r.report,
            "paragraph": r.paragraph,
            "area": areas[r.thematic_area],
            "response": r.response,
        }
        for r in preview.rows
    ]
    errors = [
        (row, [{"field": e.field, "message": _row_message(e)} for e in errs])
        for row, errs in sorted(preview.errors_by_row().items())
    ]
    return {"preview": preview, "rows": rows, "errors_by_row": errors}


@requires(Perm.MONITOR_MANAGE)
def recommendation_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.ImportForm()
    if request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", _("A file of at most 2 MB."))
            else:
                data = upload.read()
                try:
                    preview = services.recommendations_import(
                        actor=actor, organisation=org, data=data, name=upload.name, commit=False
                    )
                except (
                    InvalidInput
                ) as exc:  # over the import limits: the reason next to the file field
                    _errors_to(form, exc)
                    return render(request, "monitor/import.html", {"form": form}, status=400)
                if preview.ok:
                    HELD.hold(request, "recommendations", data, upload.name)
                return render(
                    request,
                    "monitor/import_preview.html",
                    _preview_context(preview),
                    status=200 if preview.ok else 400,
                )
        return render(request, "monitor/import.html", {"form": form}, status=400)
    return render(request, "monitor/import.html", {"form": form})


@requires(Perm.MONITOR_MANAGE)
@require_POST
def recommendation_import_confirm(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    held = HELD.take(request, "recommendations")
    if held is None:
        return nothing_held(request, "monitor:import")
    preview = services.recommendations_import(
        actor=actor, organisation=org, data=held.data, name=held.name
    )
    if not preview.ok:  # the register changed since the preview (e.g. the same file imported twice)
        return render(request, "monitor/import_preview.html", _preview_context(preview), status=400)
    messages.success(request, _("%(n)s recommendations imported.") % {"n": len(preview.rows)})
    return redirect("monitor:recommendations")


@requires(Perm.MONITOR_VIEW)
def indicator_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    year, year_form = _year(request)
    return render(
        request,
        "monitor/indicators.html",
        {
            "results": selectors.indicator_tables(
                selectors.indicator_results(actor, org, year=year)
            ),
            "year": year,
            "year_form": year_form,
            "can_drill": has_perm(actor, Perm.VIEW_CASES, org),
        },
    )


@requires(Perm.MONITOR_VIEW)
def indicator_cases(request: AuthedRequest, indicator_id: str) -> HttpResponse:
    actor, org = _who(request)
    if not has_perm(actor, Perm.VIEW_CASES, org):
        return _refuse(request, Perm.VIEW_CASES)
    year, _form = _year(request)
    refs = selectors.indicator_cases(actor, org, indicator_id, year=year, request=request)
    return render(
        request,
        "monitor/indicator_cases.html",
        {"definition": indicators.definition(indicator_id), "refs": refs, "year": year},
    )


@requires(Perm.MONITOR_REPORT)
def annual_report(request: AuthedRequest, fmt: str) -> HttpResponse:
    actor, org = _who(request)
    year, _form = _year(request)
    body = report.annual_report(actor=actor, organisation=org, year=year, fmt=fmt, request=request)
    response = HttpResponse(body, content_type=report.CONTENT_TYPES[fmt])
    if fmt != "html":
        response["Content-Disposition"] = (
            f'attachment; filename="annual-report-{year or "all"}.{fmt}"'
        )
    return response
