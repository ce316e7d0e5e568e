"""Pages of the self-assessment questionnaires and of the product-classification tables.

A procurement officer sends a questionnaire to a supplier (recorded: there is no supplier
portal), enters or imports the supplier's answers (a file is previewed, then imported whole
or not at all), and turns the red flags into corrective actions; the due-diligence analyst
reads. Paths carry numeric ids only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core.errors import InvalidInput, NotAllowed
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.supply import questionnaire as saq
from palermo.supply import services, vocabulary
from palermo.supply.forms import FileForm
from palermo.supply.forms_saq import (
    ActionsForm,
    AnswersForm,
    CodeMapForm,
    RecruiterLinkForm,
    SendForm,
)
from palermo.supply.models import ClassificationMap, Questionnaire, RecruiterLink, Site, Supplier
from palermo.supply.views import HELD, _errors_to, _refuse, _row_errors, _upload, _who
from palermo.web.display import data_text
from palermo.web.held import nothing_held


def _indicator(code: str) -> str:
    label = vocabulary.ILO_INDICATORS.get(code) or vocabulary.SAQ_MEASURES.get(code) or code
    return _(label)


def _rows(q: Questionnaire, template: saq.Template) -> list[dict[str, Any]]:
    """Each question with its answer in the reader's words and whether it is a red flag."""
    out = []
    for question in template.questions:
        answer = q.answers.get(question.id, "")
        out.append(
            {
                "id": question.id,
                "text": data_text(question.text),
                "indicator": _indicator(question.indicator),
                "answer": data_text(saq.answer_label(question, answer)) if answer else "",
                "comment": q.comments.get(question.id, ""),
                "red_flag": question.is_red_flag(answer),
                "severity": question.severity,
            }
        )
    return out


def _page(
    request: HttpRequest,
    q: Questionnaire,
    *,
    form: Any = None,
    actions_form: Any = None,
    file_errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor, org = _who(request)
    template = services.questionnaire_template(q)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    result = saq.score(template, q.answers) if q.answered_at else None
    return render(
        request,
        "supply/questionnaire.html",
        {
            "q": q,
            "title": data_text(template.title),
            "rows": _rows(q, template),
            "result": result,
            "level_label": _(vocabulary.LEVEL_LABELS[result.level]) if result else "",
            "can_manage": can_manage,
            "editable": can_manage and q.actions_at is None,
            "form": form if form is not None else AnswersForm(initial=q.answers, template=template),
            "actions_form": actions_form if actions_form is not None else ActionsForm(),
            "file_form": FileForm(),
            "file_errors": file_errors,
        },
        status=status,
    )


def _questionnaire(org: Any, questionnaire_id: int) -> Questionnaire:
    return get_object_or_404(
        Questionnaire.objects.select_related("supplier"), pk=questionnaire_id, organisation=org
    )


@requires(Perm.SUPPLY_VIEW)
def questionnaire_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    items = Questionnaire.objects.filter(organisation=org).select_related("supplier")
    return render(
        request,
        "supply/questionnaires.html",
        {"items": items, "levels": {k: _(v) for k, v in vocabulary.LEVEL_LABELS.items()}},
    )


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def questionnaire_send(request: AuthedRequest, supplier_id: int) -> HttpResponse:
    actor, org = _who(request)
    supplier = get_object_or_404(Supplier, pk=supplier_id, organisation=org)
    form = SendForm(request.POST)
    sent_on = form.cleaned_data.get("sent_on") if form.is_valid() else None
    if form.errors:
        messages.error(request, _("Not a date."))
        return redirect("supply:supplier", supplier_id=supplier.pk)
    try:
        q = services.questionnaire_send(
            actor=actor, organisation=org, supplier=supplier, sent_on=sent_on
        )
    except InvalidInput as exc:
        for e in exc.errors:
            messages.error(request, e.message)
        return redirect(reverse("supply:supplier", args=[supplier.pk]) + "#questionnaires")
    messages.success(
        request, _("Questionnaire recorded as sent. Enter the answers when they come.")
    )
    return redirect("supply:questionnaire", questionnaire_id=q.pk)


@requires(Perm.SUPPLY_VIEW)
def questionnaire_detail(request: AuthedRequest, questionnaire_id: int) -> HttpResponse:
    """The questions, the supplier's answers and red flags; the officer enters answers here."""
    actor, org = _who(request)
    q = _questionnaire(org, questionnaire_id)
    if request.method != "POST":
        return _page(request, q)
    if not has_perm(actor, Perm.SUPPLY_MANAGE, org):
        return _refuse(request, Perm.SUPPLY_MANAGE)
    form = AnswersForm(request.POST, template=services.questionnaire_template(q))
    if form.is_valid():
        try:
            services.questionnaire_answer(
                actor=actor, organisation=org, questionnaire=q, answers=form.answers()
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Answers saved."))
            return redirect("supply:questionnaire", questionnaire_id=q.pk)
    return _page(request, q, form=form, status=400)


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def questionnaire_import(request: AuthedRequest, questionnaire_id: int) -> HttpResponse:
    """Preview an answers file: every row checked; nothing saved until confirmed."""
    actor, org = _who(request)
    q = _questionnaire(org, questionnaire_id)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid() or not (got := _upload(form)):
        return _page(
            request,
            q,
            file_errors=[
                {"row": "", "field": "file", "message": _("Choose a file of at most 5 MB.")}
            ],
            status=400,
        )
    data, name = got
    try:
        result = services.questionnaire_import(
            actor=actor, organisation=org, questionnaire=q, data=data, name=name, commit=False
        )
    except InvalidInput as exc:
        errors = [{"row": "", "field": e.field, "message": e.message} for e in exc.errors]
        return _page(request, q, file_errors=errors, status=400)
    if not result.preview.ok:
        return _page(request, q, file_errors=_row_errors(result.preview.errors), status=400)
    HELD.hold(request, f"answers-{q.pk}", data, name)
    template = services.questionnaire_template(q)
    preview = []
    for r in result.preview.rows:
        question = template.question(r.question)
        assert question is not None
        preview.append(
            {
                "row": r.row,
                "text": data_text(question.text),
                "answer": data_text(saq.answer_label(question, r.answer)) if r.answer else "",
                "red_flag": question.is_red_flag(r.answer),
            }
        )
    scored = result.scored
    return render(
        request,
        "supply/questionnaire_preview.html",
        {
            "q": q,
            "rows": preview,
            "scored": scored,
            "level_label": _(vocabulary.LEVEL_LABELS[scored.level]) if scored else "",
        },
    )


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def questionnaire_import_confirm(request: AuthedRequest, questionnaire_id: int) -> HttpResponse:
    actor, org = _who(request)
    q = _questionnaire(org, questionnaire_id)
    held = HELD.take(request, f"answers-{q.pk}")
    if held is None:
        return nothing_held(request, "supply:questionnaires")
    try:
        result = services.questionnaire_import(
            actor=actor, organisation=org, questionnaire=q, data=held.data, name=held.name
        )
    except InvalidInput as exc:
        errors = [{"row": "", "field": e.field, "message": e.message} for e in exc.errors]
        return _page(request, q, file_errors=errors, status=400)
    if not result.preview.ok:
        return _page(request, q, file_errors=_row_errors(result.preview.errors), status=400)
    messages.success(request, _("Answers imported."))
    return redirect("supply:questionnaire", questionnaire_id=q.pk)


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def questionnaire_actions(request: AuthedRequest, questionnaire_id: int) -> HttpResponse:
    """Every red flag becomes a corrective action tied to its indicator or measure."""
    actor, org = _who(request)
    q = _questionnaire(org, questionnaire_id)
    form = ActionsForm(request.POST)
    if form.is_valid():
        try:
            created = services.questionnaire_actions(
                actor=actor, organisation=org, questionnaire=q, **form.cleaned_data
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(
                request,
                _("%(n)s corrective actions added from the red flags.") % {"n": len(created)},
            )
            return redirect("supply:actions")
    return _page(request, q, actions_form=form, status=400)


# --- the classification map and the shipped crosswalk ------------------------------------------


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def code_map_set(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = CodeMapForm(request.POST)
    if form.is_valid():
        try:
            services.code_map_set(actor=actor, organisation=org, **form.cleaned_data)
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Classification mapping saved."))
            return redirect(reverse("supply:risk") + "#codes")
    from palermo.supply.views import risk_list

    return risk_list(request, code_form=form)  # the risk page again, with this form's errors


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def code_map_delete(request: AuthedRequest, item_id: int) -> HttpResponse:
    actor, org = _who(request)
    item = get_object_or_404(ClassificationMap, pk=item_id, organisation=org)
    try:
        services.code_map_delete(actor=actor, organisation=org, item=item)
    except (InvalidInput, NotAllowed) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Classification mapping removed."))
    return redirect(reverse("supply:risk") + "#codes")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def crosswalk_defaults(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    n = services.crosswalk_load_defaults(actor=actor, organisation=org)
    messages.success(
        request,
        _(
            "%(n)s crosswalk entries added from the shipped goods → HS table; your own entries were kept."
        )
        % {"n": n},
    )
    return redirect("supply:risk")


# --- labour recruiters and the sites they supply workers to -----------------------------------


def _recruiters_page(
    request: HttpRequest, *, form: Any = None, file_errors: Any = None, status: int = 200
) -> HttpResponse:
    actor, org = _who(request)
    links = RecruiterLink.objects.filter(organisation=org).select_related(
        "recruiter", "site", "batch", "recorded_by"
    )
    return render(
        request,
        "supply/recruiters.html",
        {
            "links": links,
            "form": form if form is not None else RecruiterLinkForm(organisation=org),
            "file_form": FileForm(),
            "file_errors": file_errors,
            "can_manage": has_perm(actor, Perm.SUPPLY_MANAGE, org),
        },
        status=status,
    )


@requires(Perm.SUPPLY_VIEW)
def recruiter_links(request: AuthedRequest) -> HttpResponse:
    """Which labour recruiters supply workers to which sites, and what says so."""
    actor, org = _who(request)
    if request.method != "POST":
        return _recruiters_page(request)
    if not has_perm(actor, Perm.SUPPLY_MANAGE, org):
        return _refuse(request, Perm.SUPPLY_MANAGE)
    form = RecruiterLinkForm(request.POST, organisation=org)
    if form.is_valid():
        try:
            services.recruiter_link_set(actor=actor, organisation=org, **form.cleaned_data)
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Recruiter linked to the site."))
            return redirect("supply:recruiters")
    return _recruiters_page(request, form=form, status=400)


def _links_refused(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    errors = [{"row": "", "field": e.field, "message": e.message} for e in exc.errors]
    return _recruiters_page(request, file_errors=errors, status=400)


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def recruiter_links_import(request: AuthedRequest) -> HttpResponse:
    """A file of links: checked whole and previewed; nothing is saved until the user
    confirms, and then every row is imported, or none."""
    actor, org = _who(request)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid() or not (got := _upload(form)):
        errors = [{"row": "", "field": "file", "message": _("Choose a file of at most 5 MB.")}]
        return _recruiters_page(request, file_errors=errors, status=400)
    data, name = got
    try:
        preview = services.recruiter_links_import(
            actor=actor, organisation=org, data=data, name=name, commit=False
        )
    except InvalidInput as exc:
        return _links_refused(request, exc)
    if not preview.ok:
        return _recruiters_page(request, file_errors=_row_errors(preview.errors), status=400)
    HELD.hold(request, "recruiter-links", data, name)
    named = {r.recruiter_company_id for r in preview.rows}
    recruiters = {
        s.company_id: s.name
        for s in Supplier.objects.filter(organisation=org, company_id__in=named)
    }
    os_ids = {r.os_id for r in preview.rows}
    sites = {s.os_id: s.name for s in Site.objects.filter(organisation=org, os_id__in=os_ids)}
    rows = [
        {
            "row": r.row,
            "recruiter": recruiters.get(r.recruiter_company_id, r.recruiter_company_id),
            "site": sites.get(r.os_id, ""),
            "os_id": r.os_id,
            "workers": r.workers,
            "evidence": r.evidence,
        }
        for r in preview.rows
    ]
    return render(request, "supply/recruiter_links_preview.html", {"rows": rows})


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def recruiter_links_import_confirm(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    held = HELD.take(request, "recruiter-links")
    if held is None:
        return nothing_held(request, "supply:recruiters")
    try:
        preview = services.recruiter_links_import(
            actor=actor, organisation=org, data=held.data, name=held.name
        )
    except InvalidInput as exc:
        return _links_refused(request, exc)
    if not preview.ok:  # the suppliers or sites changed since the preview
        return _recruiters_page(request, file_errors=_row_errors(preview.errors), status=400)
    messages.success(request, _("%(n)s links imported.") % {"n": len(preview.rows)})
    return redirect("supply:recruiters")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def recruiter_link_delete(request: AuthedRequest, link_id: int) -> HttpResponse:
    actor, org = _who(request)
    link = get_object_or_404(RecruiterLink, pk=link_id, organisation=org)
    services.recruiter_link_delete(actor=actor, organisation=org, link=link)
    messages.success(request, _("Link removed."))
    return redirect("supply:recruiters")
