"""Pages to type one recommendation, and to correct a recommendation or a measure.

Each form carries the record's version; a save over someone else's newer change is refused
with a message and changes nothing. Only ``monitor.manage`` may use them.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, requires
from palermo.monitor import register_edit, selectors
from palermo.monitor.models import SourceBody, ThematicArea
from palermo.monitor.views import _who

DATE = forms.DateInput(attrs={"type": "date"})


class TypedRecommendationForm(forms.Form):
    source_body = forms.ChoiceField(
        label=gettext_lazy("Monitoring body"), choices=SourceBody.choices
    )
    report = forms.CharField(label=gettext_lazy("Report"), max_length=200)
    paragraph = forms.CharField(label=gettext_lazy("Paragraph"), max_length=40)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=DATE)
    thematic_area = forms.ChoiceField(
        label=gettext_lazy("Thematic area"), choices=ThematicArea.choices
    )
    addressee = forms.CharField(label=gettext_lazy("Addressed to"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Recommendation"), widget=forms.Textarea(attrs={"rows": 4})
    )
    due_on = forms.DateField(label=gettext_lazy("Due by"), widget=DATE, required=False)
    response = forms.CharField(
        label=gettext_lazy("Shared national response (key)"),
        max_length=60,
        required=False,
        help_text=gettext_lazy(
            "The same key on several recommendations marks one national response to them all."
        ),
    )


class RecommendationEditForm(forms.Form):
    addressee = forms.CharField(label=gettext_lazy("Addressed to"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Recommendation"), widget=forms.Textarea(attrs={"rows": 5})
    )
    due_on = forms.DateField(label=gettext_lazy("Due by"), widget=DATE, required=False)
    note = forms.CharField(
        label=gettext_lazy("Why it changed (kept in the history)"), max_length=5000, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class MeasureEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Measure"), max_length=300)
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DATE)
    responsible = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Responsible organisations"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    budget_line = forms.CharField(label=gettext_lazy("Budget line"), max_length=120, required=False)
    budget_amount = forms.DecimalField(
        label=gettext_lazy("Budget amount"), required=False, min_value=0
    )
    budget_currency = forms.CharField(
        label=gettext_lazy("Currency (EUR)"), max_length=3, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["responsible"]).choices = organisations


def _errors(request: HttpRequest, form: forms.Form, exc: InvalidInput) -> None:
    for e in exc.errors:
        if e.field in form.fields:
            form.add_error(e.field, e.message)
        else:
            form.add_error(None, e.message)


@requires(Perm.MONITOR_MANAGE)
def recommendation_new(request: HttpRequest) -> HttpResponse:
    actor, org = _who(request)
    form = TypedRecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rec = register_edit.recommendation_type(
                actor=actor, organisation=org, values=form.cleaned_data
            )
            messages.success(request, _("Recommendation added to the register."))
            return redirect("monitor:recommendation", rec.pk)
        except InvalidInput as exc:
            _errors(request, form, exc)
    return render(
        request,
        "monitor/edit_form.html",
        {
            "form": form,
            "title": _("Type a recommendation"),
            "button": _("Add to the register"),
            "back": ("monitor:recommendations", None),
        },
        status=422 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_MANAGE)
def recommendation_edit(request: HttpRequest, rec_id: int) -> HttpResponse:
    actor, org = _who(request)
    rec = selectors.access_recommendation(actor, org, rec_id)
    initial = {
        "addressee": rec.addressee,
        "text": rec.text,
        "due_on": rec.due_on,
        "version": rec.version,
    }
    form = RecommendationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            register_edit.recommendation_edit(
                actor=actor,
                organisation=org,
                recommendation=rec,
                addressee=cd["addressee"],
                text=cd["text"],
                due_on=cd.get("due_on"),
                note=cd.get("note", ""),
                expected_version=cd["version"],
            )
            messages.success(request, _("Recommendation corrected; the change is in its history."))
            return redirect("monitor:recommendation", rec.pk)
        except InvalidInput as exc:
            _errors(request, form, exc)
    return render(
        request,
        "monitor/edit_form.html",
        {
            "form": form,
            "title": _("Correct the recommendation"),
            "button": _("Save"),
            "back": ("monitor:recommendation", rec.pk),
        },
        status=422 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_MANAGE)
def measure_edit(request: HttpRequest, measure_id: int) -> HttpResponse:
    actor, org = _who(request)
    measure = selectors.access_measure(actor, org, measure_id)
    initial = {
        "title": measure.title,
        "deadline": measure.deadline,
        "responsible": [o.pk for o in measure.responsible.all()],
        "budget_line": measure.budget_line,
        "budget_amount": measure.budget_amount,
        "budget_currency": measure.budget_currency,
        "version": measure.version,
    }
    form = MeasureEditForm(
        request.POST or None, initial=initial, organisations=selectors.active_organisations()
    )
    if request.method == "POST" and form.is_valid():
        cd = dict(form.cleaned_data)
        try:
            register_edit.measure_edit(
                actor=actor,
                organisation=org,
                measure=measure,
                title=cd["title"],
                deadline=cd["deadline"],
                budget_line=cd.get("budget_line", ""),
                budget_amount=cd.get("budget_amount"),
                budget_currency=cd.get("budget_currency", ""),
                responsible=selectors.organisations(cd["responsible"]),
                expected_version=cd["version"],
            )
            messages.success(request, _("Measure saved."))
            return redirect("monitor:measure", measure.pk)
        except InvalidInput as exc:
            _errors(request, form, exc)
    return render(
        request,
        "monitor/edit_form.html",
        {
            "form": form,
            "title": _("Edit the measure"),
            "button": _("Save"),
            "back": ("monitor:measure", measure.pk),
        },
        status=422 if request.method == "POST" else 200,
    )
