"""Pages to correct a plan or an objective, to remove a plan, objective or measure after a
confirmation that says what goes with it (or why it cannot go), and the co-ordinator's button
that reminds of overdue recommendations. Only ``monitor.manage`` may use them.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, requires
from palermo.monitor import forms, selectors
from palermo.monitor import plan_edit as edits
from palermo.monitor.models import ActionPlan, Measure, Objective
from palermo.monitor.register_views import _errors
from palermo.monitor.views import _who


class PlanEditForm(forms.PlanForm):
    version = djforms.IntegerField(widget=djforms.HiddenInput)


class ObjectiveEditForm(forms.ObjectiveForm):
    version = djforms.IntegerField(widget=djforms.HiddenInput)


def _edit_page(request: HttpRequest, form: djforms.Form, title: str, back: Any) -> HttpResponse:
    return render(
        request,
        "monitor/edit_form.html",
        {"form": form, "title": title, "button": _("Save"), "back": back},
        status=422 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_MANAGE)
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor, org = _who(request)
    plan = selectors.access_plan(actor, org, plan_id)
    initial = {
        "title": plan.title,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "version": plan.version,
    }
    form = PlanEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            edits.plan_edit(
                actor=actor,
                organisation=org,
                plan=plan,
                title=cd["title"],
                starts_on=cd["starts_on"],
                ends_on=cd["ends_on"],
                expected_version=cd["version"],
            )
            messages.success(request, _("Saved."))
            return redirect("monitor:plan", plan.pk)
        except InvalidInput as exc:
            _errors(request, form, exc)
    return _edit_page(request, form, plan.title, ("monitor:plan", plan.pk))


@requires(Perm.MONITOR_MANAGE)
def objective_edit(request: HttpRequest, objective_id: int) -> HttpResponse:
    actor, org = _who(request)
    obj = selectors.access_objective(actor, org, objective_id)
    initial = {"code": obj.code, "title": obj.title, "area": obj.area, "version": obj.version}
    form = ObjectiveEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            edits.objective_edit(
                actor=actor,
                organisation=org,
                objective=obj,
                code=cd["code"],
                title=cd["title"],
                area=cd.get("area", ""),
                expected_version=cd["version"],
            )
            messages.success(request, _("Saved."))
            return redirect("monitor:plan", obj.plan_id)
        except InvalidInput as exc:
            _errors(request, form, exc)
    return _edit_page(request, form, f"{obj.code}. {obj.title}", ("monitor:plan", obj.plan_id))


def _remove(
    request: HttpRequest, target: ActionPlan | Objective | Measure, back: Any, done: Any
) -> HttpResponse:
    actor, org = _who(request)
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            edits.remove(actor=actor, organisation=org, target=target, expected_version=version)
            messages.success(request, _("Removed."))
            return redirect(*done)
        except InvalidInput as exc:
            error = " ".join(e.message for e in exc.errors)
    impact = edits.removal_impact(target)
    return render(
        request,
        "monitor/remove_confirm.html",
        {
            "target": target,
            "impact": impact,
            "reasons": impact.reasons(),
            "error": error,
            "back": back,
        },
        status=422 if error else 200,
    )


@requires(Perm.MONITOR_MANAGE)
def plan_remove(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor, org = _who(request)
    plan = selectors.access_plan(actor, org, plan_id)
    return _remove(request, plan, ("monitor:plan", plan.pk), ("monitor:home",))


@requires(Perm.MONITOR_MANAGE)
def objective_remove(request: HttpRequest, objective_id: int) -> HttpResponse:
    actor, org = _who(request)
    obj = selectors.access_objective(actor, org, objective_id)
    return _remove(request, obj, ("monitor:plan", obj.plan_id), ("monitor:plan", obj.plan_id))


@requires(Perm.MONITOR_MANAGE)
def measure_remove(request: HttpRequest, measure_id: int) -> HttpResponse:
    actor, org = _who(request)
    m = selectors.access_measure(actor, org, measure_id)
    plan_id = m.objective.plan_id
    return _remove(request, m, ("monitor:measure", m.pk), ("monitor:plan", plan_id))


@require_POST
@requires(Perm.MONITOR_MANAGE)
def remind_overdue(request: HttpRequest) -> HttpResponse:
    actor, org = _who(request)
    n = edits.remind_overdue(actor=actor, organisation=org)
    messages.success(request, _("%(n)s overdue recommendation(s) reminded.") % {"n": n})
    return redirect("monitor:recommendations")
