"""Survey pages: list and create, the designer, distribution, the respondent's stepped answer
form (one section per step, saved at each step, a review before submitting — no JavaScript
needed), the consolidated view, and XLSForm export/import.

Paths carry numeric ids only. Every change goes through ``survey_services``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, has_perm, requires
from palermo.monitor import selectors, survey, survey_selectors, survey_services
from palermo.monitor.models import SurveyStatus
from palermo.monitor.services import NotAllowed
from palermo.monitor.views import _refuse, _who

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_LABELS = {
    "text": gettext_lazy("Text"),
    "integer": gettext_lazy("Whole number"),
    "decimal": gettext_lazy("Number"),
    "date": gettext_lazy("Date"),
    "select_one": gettext_lazy("One choice"),
    "select_multiple": gettext_lazy("Several choices"),
    "file": gettext_lazy("File"),
}


def _errors_to(form: forms.Form, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


def _report(request: HttpRequest, form: forms.Form, exc: InvalidInput) -> None:
    """Field errors beside their fields; what concerns the whole survey, and the outcome
    ("nothing was imported"), at the top of the page — the form may not be on it."""
    messages.error(request, exc.detail)
    for e in exc.errors:
        if e.field in form.fields:
            form.add_error(e.field, e.message)
        else:
            messages.error(request, f"{e.field}: {e.message}" if e.field else e.message)


# --- conditions in words ------------------------------------------------------------------------


def describe(definition: survey.Definition, node: survey.Node) -> str:
    """A skip-logic condition as a sentence, with question and choice labels."""
    kind = node[0]

    def label(name: str) -> str:
        q = definition.question(name)
        return f"“{q.label}”" if q else name

    def value(name: str, raw: Any) -> str:
        q = definition.question(name)
        if q is not None:
            for c in q.choices:
                if c.name == raw:
                    return f"“{c.label}”"
        return f"“{raw}”"

    if kind == "and":
        return _("%(a)s and %(b)s") % {
            "a": describe(definition, node[1]),
            "b": describe(definition, node[2]),
        }
    if kind == "or":
        return _("%(a)s or %(b)s") % {
            "a": describe(definition, node[1]),
            "b": describe(definition, node[2]),
        }
    if kind == "not":
        return _("not (%(a)s)") % {"a": describe(definition, node[1])}
    if kind == "selected":
        return _("the answer to %(q)s includes %(v)s") % {
            "q": label(node[1]),
            "v": value(node[1], node[2]),
        }
    if kind == "cmp" and node[2][0] in ("ref", "count") and node[3][0] == "lit":
        name = node[2][1]
        subject = (
            label(name)
            if node[2][0] == "ref"
            else _("the number of answers to %(q)s") % {"q": label(name)}
        )
        shown = value(name, node[3][1])
        phrases = {
            "=": _("%(q)s is %(v)s"),
            "!=": _("%(q)s is not %(v)s"),
            "<": _("%(q)s is less than %(v)s"),
            "<=": _("%(q)s is at most %(v)s"),
            ">": _("%(q)s is more than %(v)s"),
            ">=": _("%(q)s is at least %(v)s"),
        }
        return phrases[node[1]] % {"q": subject, "v": shown}
    return _("a condition on %(q)s") % {
        "q": ", ".join(label(n) for n in sorted(survey.references(node)))
    }


# --- forms --------------------------------------------------------------------------------------


class SurveyCreateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    from_template = forms.BooleanField(
        label=gettext_lazy("Start from the eight thematic areas of the OSCE 2016 survey"),
        required=False,
        initial=True,
    )


class QuestionForm(forms.Form):
    section = forms.ChoiceField(label=gettext_lazy("Section"))
    name = forms.CharField(
        label=gettext_lazy("Short name"),
        max_length=64,
        help_text=gettext_lazy("Letters, digits and _ only; used in conditions as ${name}."),
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Type of answer"), choices=list(TYPE_LABELS.items())
    )
    label = forms.CharField(label=gettext_lazy("Question"), max_length=1000)
    hint = forms.CharField(label=gettext_lazy("Guidance"), max_length=1000, required=False)
    required = forms.BooleanField(label=gettext_lazy("An answer is required"), required=False)
    relevant = forms.CharField(
        label=gettext_lazy("Ask only if (XLSForm condition)"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy("For example: ${le_works} = 'yes'. Leave empty to always ask."),
    )
    choices = forms.CharField(
        label=gettext_lazy("Choices, one per line as name|label"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, sections: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["section"]).choices = sections

    def question(self) -> dict[str, Any]:
        cd = self.cleaned_data
        data: dict[str, Any] = {
            "name": cd["name"].strip(),
            "type": cd["type"],
            "label": cd["label"],
            "hint": cd.get("hint", ""),
            "required": bool(cd.get("required")),
            "relevant": cd.get("relevant", ""),
        }
        if cd["type"] in survey.SELECT_TYPES:
            data["choices"] = [
                {"name": n.strip(), "label": (lbl or n).strip()}
                for n, _sep, lbl in (
                    line.partition("|")
                    for line in cd.get("choices", "").splitlines()
                    if line.strip()
                )
            ]
        return data


class OpenForm(forms.Form):
    organisations = forms.MultipleChoiceField(
        label=gettext_lazy("Organisations asked to answer"), widget=forms.CheckboxSelectMultiple
    )
    due_on = forms.DateField(
        label=gettext_lazy("Answers due by"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisations"]).choices = organisations


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSForm workbook (.xlsx)"))


def answer_form(
    definition: survey.Definition,
    section: survey.Section,
    data: Any = None,
    files: Any = None,
    initial: dict[str, Any] | None = None,
) -> forms.Form:
    """A plain Django form for one section; every field optional here — what is required is
    decided by the survey's rules on submission, given the other answers."""
    form = forms.Form(data, files, initial=initial or {}, prefix="a")
    for q in section.questions:
        help_parts = [q.hint] if q.hint else []
        if q.condition is not None:
            help_parts.append(
                _("Answer only if %(cond)s.") % {"cond": describe(definition, q.condition)}
            )
        common: dict[str, Any] = {
            "label": q.label,
            "required": False,
            "help_text": escape(" ".join(help_parts)),  # the include marks help text safe
        }
        field: forms.Field
        if q.type == "text":
            field = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=survey.MAX_TEXT_ANSWER,
                **common,
            )
        elif q.type == "integer":
            field = forms.IntegerField(**common)
        elif q.type == "decimal":
            field = forms.DecimalField(**common)
        elif q.type == "date":
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif q.type == "select_one":
            field = forms.ChoiceField(
                choices=[(c.name, c.label) for c in q.choices], widget=forms.RadioSelect, **common
            )
        elif q.type == "select_multiple":
            field = forms.MultipleChoiceField(
                choices=[(c.name, c.label) for c in q.choices],
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        else:
            field = forms.FileField(**common)
        form.fields[q.name] = field
    return form


def _answers_from(form: forms.Form, section: survey.Section) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in section.questions:
        if q.type == "file":
            continue  # stored as an attachment, answered with its name
        value = form.cleaned_data.get(q.name)
        if q.type == "date" and value:
            value = value.isoformat()
        elif q.type == "decimal" and value is not None:
            value = str(value)
        out[q.name] = value if value not in (None, "") else ""
    return out


# --- pages --------------------------------------------------------------------------------------


@requires(Perm.MONITOR_VIEW)
def survey_list(request: HttpRequest) -> HttpResponse:
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        if form.is_valid():
            try:
                item = survey_services.survey_create(
                    actor=actor,
                    organisation=org,
                    title=form.cleaned_data["title"],
                    from_template=form.cleaned_data["from_template"],
                )
                messages.success(request, _("Survey created as a draft."))
                return redirect("monitor:survey", item.pk)
            except InvalidInput as exc:
                _errors_to(form, exc)
    return render(
        request,
        "monitor/surveys.html",
        {
            "surveys": survey_selectors.surveys(actor, org),
            "waiting": survey_selectors.waiting_for(actor, org),
            "can_manage": can_manage,
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


@requires(Perm.MONITOR_VIEW)
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    definition = survey_selectors.definition(item)
    can_manage = has_perm(actor, Perm.MONITOR_MANAGE, org)
    sections = [(s.name, s.label) for s in definition.sections]
    question_form = QuestionForm(prefix="q", sections=sections)
    organisations = selectors.active_organisations()
    open_form = OpenForm(prefix="open", organisations=organisations)
    import_form = ImportForm(prefix="x")
    status = 200
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.MONITOR_MANAGE)
        action = request.POST.get("action", "")
        status = 422
        try:
            if action == "add":
                question_form = QuestionForm(request.POST, prefix="q", sections=sections)
                if question_form.is_valid():
                    survey_services.question_add(
                        actor=actor,
                        organisation=org,
                        item=item,
                        section=question_form.cleaned_data["section"],
                        question=question_form.question(),
                    )
                    messages.success(request, _("Question added."))
                    return redirect("monitor:survey", item.pk)
            elif action == "import":
                import_form = ImportForm(request.POST, request.FILES, prefix="x")
                if import_form.is_valid():
                    upload = import_form.cleaned_data["file"]
                    survey_services.definition_import(
                        actor=actor,
                        organisation=org,
                        item=item,
                        data=upload.read(),
                        name=upload.name,
                    )
                    messages.success(request, _("The questions were replaced by the workbook's."))
                    return redirect("monitor:survey", item.pk)
            elif action == "open":
                open_form = OpenForm(request.POST, prefix="open", organisations=organisations)
                if open_form.is_valid():
                    survey_services.survey_open(
                        actor=actor,
                        organisation=org,
                        item=item,
                        organisations=selectors.organisations(
                            [int(v) for v in open_form.cleaned_data["organisations"]]
                        ),
                        due_on=open_form.cleaned_data["due_on"],
                    )
                    messages.success(request, _("The survey was sent."))
                    return redirect("monitor:survey", item.pk)
            else:
                raise Http404("unknown action")
        except InvalidInput as exc:
            target = {"add": question_form, "import": import_form, "open": open_form}[action]
            _report(request, target, exc)
    assignment = survey_selectors.my_assignment(actor, org, item)
    return render(
        request,
        "monitor/survey.html",
        {
            "survey": item,
            "definition": definition,
            "questions": [
                {
                    "q": q,
                    "type": TYPE_LABELS.get(q.type, q.type),
                    "condition": describe(definition, q.condition)
                    if q.condition is not None
                    else "",
                }
                for q in definition.questions()
            ],
            "sees_all": survey_selectors.sees_all(actor, org),
            "assignments": survey_selectors.assignments(item)
            if survey_selectors.sees_all(actor, org)
            else [],
            "assignment": assignment,
            "can_answer": assignment is not None
            and survey_services.can_answer(actor, org, assignment)
            and item.status == SurveyStatus.OPEN,
            "can_manage": can_manage,
            "is_draft": item.status == SurveyStatus.DRAFT,
            "is_open": item.status == SurveyStatus.OPEN,
            "question_form": question_form,
            "open_form": open_form,
            "import_form": import_form,
        },
        status=status,
    )


@require_POST
@requires(Perm.MONITOR_MANAGE)
def survey_question_remove(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "monitor/survey_confirm.html",
            {
                "survey": item,
                "name": request.POST.get("name", ""),
                "label": getattr(
                    survey_selectors.definition(item).question(request.POST.get("name", "")),
                    "label",
                    "",
                ),
            },
        )
    try:
        survey_services.question_remove(
            actor=actor, organisation=org, item=item, name=request.POST.get("name", "")
        )
        messages.success(request, _("Question removed."))
    except InvalidInput as exc:
        messages.error(request, " ".join(e.message for e in exc.errors))
    return redirect("monitor:survey", item.pk)


@require_POST
@requires(Perm.MONITOR_MANAGE)
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    if request.POST.get("confirm") != "yes":
        return render(request, "monitor/survey_confirm.html", {"survey": item, "closing": True})
    try:
        survey_services.survey_close(actor=actor, organisation=org, item=item)
        messages.success(request, _("The survey is closed; no more answers are accepted."))
    except InvalidInput as exc:
        messages.error(request, " ".join(e.message for e in exc.errors))
    return redirect("monitor:survey", item.pk)


@requires(Perm.MONITOR_VIEW)
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    from palermo.monitor import xlsform

    data = xlsform.export(survey_selectors.definition(item), version=str(item.version))
    audit.record(
        action="export",
        actor=actor,
        organisation=org,
        object_type="monitor.survey",
        object_ref=str(item.pk),
        request=request,
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="survey-{item.pk}.xlsx"'
    return response


@requires(Perm.MONITOR_VIEW)
def survey_answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    """One section per step; each step saves a draft; the last step reviews and submits."""
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    assignment = survey_selectors.my_assignment(actor, org, item)
    if assignment is None or not survey_services.can_answer(actor, org, assignment):
        return _refuse(request, Perm.MONITOR_PROGRESS)
    definition = survey_selectors.definition(item)
    sections = definition.sections
    try:
        step = min(
            max(int(request.GET.get("step", request.POST.get("step", "0"))), 0), len(sections)
        )
    except ValueError:
        step = 0
    response = survey_selectors.my_response(actor, org, assignment)
    answers = dict(response.answers) if response else {}
    version = response.version if response else 1
    review = step == len(sections)
    form = None if review else answer_form(definition, sections[step], initial=answers)
    problems: list[survey.Problem] = []
    status = 200
    if request.method == "POST":
        if item.status != SurveyStatus.OPEN:
            messages.error(request, _("The survey is not open for answers."))
            return redirect("monitor:survey", item.pk)
        try:
            posted_version = int(request.POST.get("version", ""))
        except ValueError:
            posted_version = None
        try:
            if review:
                survey_services.answers_save(
                    actor=actor,
                    organisation=org,
                    assignment=assignment,
                    answers={},
                    submit=True,
                    version=posted_version,
                )
                messages.success(
                    request, _("Your organisation's answers were submitted. Thank you.")
                )
                return redirect("monitor:survey", item.pk)
            form = answer_form(
                definition, sections[step], request.POST, request.FILES, initial=answers
            )
            if form.is_valid():
                for q in sections[step].questions:
                    upload = form.cleaned_data.get(q.name) if q.type == "file" else None
                    if upload:
                        survey_services.attachment_add(
                            actor=actor,
                            organisation=org,
                            assignment=assignment,
                            question=q.name,
                            data=upload.read(),
                            file_name=upload.name,
                            content_type=getattr(upload, "content_type", "") or "",
                        )
                        posted_version = None  # the attachment bumped the version just now
                survey_services.answers_save(
                    actor=actor,
                    organisation=org,
                    assignment=assignment,
                    answers=_answers_from(form, sections[step]),
                    version=posted_version,
                )
                nav = request.POST.get("nav", "next")
                target = step - 1 if nav == "back" else step if nav == "stay" else step + 1
                messages.success(request, _("Saved."))
                return redirect(f"{request.path}?step={max(target, 0)}")
            status = 422
        except InvalidInput as exc:
            status = 422
            if form is not None:
                _errors_to(form, exc)
            else:
                messages.error(request, " ".join(e.message for e in exc.errors))
        except NotAllowed:
            return _refuse(request, Perm.MONITOR_PROGRESS)
    summary = []
    if review:
        _clean, problems = survey.check_answers(definition, answers, complete=True)
        applies = survey.applies(definition, answers)
        for i, s in enumerate(sections):
            summary.append(
                {
                    "step": i,
                    "section": s,
                    "rows": [
                        {
                            "q": q,
                            "answer": _shown(q, answers.get(q.name)),
                            "applies": applies.get(q.name, True),
                            "problem": next(
                                (p.render(_) for p in problems if p.where == q.name), ""
                            ),
                        }
                        for q in s.questions
                    ],
                }
            )
    return render(
        request,
        "monitor/survey_answer.html",
        {
            "survey": item,
            "assignment": assignment,
            "sections": sections,
            "step": step,
            "section": None if review else sections[step],
            "review": review,
            "form": form,
            "version": version,
            "summary": summary,
            "problems": [p.render(_) for p in problems],
            "submitted": bool(response and response.submitted),
            "answered": sum(1 for v in answers.values() if v not in (None, "", [])),
            "total": len(definition.questions()),
        },
        status=status,
    )


def _shown(q: survey.Question, value: Any) -> str:
    if value in (None, "", []):
        return ""
    labels = {c.name: c.label for c in q.choices}
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    return str(labels.get(value, value))


@requires(Perm.MONITOR_VIEW)
def survey_consolidated(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = survey_selectors.access_survey(actor, org, survey_id)
    if not survey_selectors.sees_all(actor, org):
        return _refuse(request, Perm.MONITOR_REPORT)
    definition = survey_selectors.definition(item)
    area = request.GET.get("area", "")
    if area and area not in {s.name for s in definition.sections}:
        area = ""
    return render(
        request,
        "monitor/survey_consolidated.html",
        {
            "survey": item,
            "sections": definition.sections,
            "area": area,
            "consolidated": survey_selectors.consolidated(actor, org, item, area),
        },
    )


@requires(Perm.MONITOR_VIEW)
def survey_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    actor, org = _who(request)
    attachment = survey_selectors.access_attachment(actor, org, attachment_id)
    response = HttpResponse(bytes(attachment.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="attachment-{attachment.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
