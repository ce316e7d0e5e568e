"""Screening in the web UI: start, guided interview by dimension, result, list, referral."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.middleware import refused
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.screening import selectors, services
from palermo.screening.display import result_for_display
from palermo.screening.forms import (
    FORM_LABELS,
    InterviewForm,
    StartForm,
    age_group,
    human,
    referral_form_class,
)
from palermo.screening.labels import with_labels
from palermo.screening.loader import default_catalogue
from palermo.screening.models import ScreeningStatus


@requires(Perm.VIEW_SCREENINGS)
def screening_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:40]
    status = request.GET.get("status", "")
    status = status if status in ScreeningStatus.values else ""
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in selectors.SORTS else "newest"
    qs = selectors.screening_list(request.user, request.organisation, q=q, status=status, sort=sort)
    # A list of screenings is a read of personal data; the filters (part of a reference, codes) are not.
    audit.record_request(
        request,
        action="read",
        object_type="screening_list",
        details={
            "filters": {k: v for k, v in {"q": q, "status": status, "sort": sort}.items() if v}
        },
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "screening/list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "q": q,
            "status": status,
            "sort": sort,
            "statuses": ScreeningStatus.choices,
            "sorts": list(selectors.SORTS),
            "can_screen": has_perm(request.user, Perm.SCREEN, request.organisation),
        },
    )


@requires(Perm.SCREEN)
def start(request: AuthedRequest) -> HttpResponse:
    catalogue = default_catalogue()
    form = StartForm(request.POST or None, catalogue=catalogue)
    if request.method == "POST" and form.is_valid():
        try:
            screening = services.screening_create(
                actor=request.user,
                organisation=request.organisation,
                answers=form.answers(),
                assess=False,
            )
        except InvalidInput as exc:
            for e in exc.errors:
                form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            return redirect("screening:interview", reference=screening.reference)
    return render(request, "screening/start.html", {"form": form})


def _interview_form(screening: Any, data: Any = None) -> InterviewForm:
    answers = screening.answers
    return InterviewForm(
        data,
        initial=InterviewForm.initial_from(answers, screening.version),
        catalogue=default_catalogue(),
        selected_forms=list(answers.get("forms", [])),
        group=age_group(answers.get("age"), bool(answers.get("age_uncertain_may_be_child"))),
    )


@requires(Perm.SCREEN)
def interview(request: AuthedRequest, reference: str) -> HttpResponse:
    screening = selectors.access_screening(
        request.user, request.organisation, reference, request=request
    )
    if screening.status == ScreeningStatus.REFERRED:
        messages.info(request, _("This screening has been referred and can no longer be changed."))
        return redirect("screening:result", reference=reference)
    form = _interview_form(screening, request.POST or None)
    if request.method == "POST" and form.is_valid():
        assess = request.POST.get("action") == "assess"
        try:
            services.screening_save(
                actor=request.user,
                organisation=request.organisation,
                screening=screening,
                answers=form.answers(),
                assess=assess,
                based_on_version=form.cleaned_data.get("version") or 0,
            )
        except InvalidInput as exc:
            form.add_engine_errors(exc.errors)
        else:
            if assess:
                return redirect("screening:result", reference=reference)
            messages.success(request, _("Draft saved."))
            return redirect("screening:interview", reference=reference)
    return render(
        request,
        "screening/interview.html",
        {
            "screening": screening,
            "form": form,
            "sections": form.sections(),
            "sets": form.sets,
            "form_labels": [
                FORM_LABELS.get(f, human(f)) for f in screening.answers.get("forms", [])
            ],
        },
    )


@requires(Perm.VIEW_SCREENINGS)
def result(request: AuthedRequest, reference: str) -> HttpResponse:
    screening = selectors.access_screening(
        request.user, request.organisation, reference, request=request
    )
    if screening.result is None:
        messages.info(
            request, _("This screening is a draft: finish the interview to see a result.")
        )
        return redirect("screening:interview", reference=reference)
    can_refer = (
        has_perm(request.user, Perm.REFER, request.organisation)
        and screening.status != ScreeningStatus.REFERRED
        and _cases_available()
    )
    return render(
        request,
        "screening/result.html",
        {
            "screening": screening,
            "r": with_labels(result_for_display(screening.result, default_catalogue())),
            "can_refer": can_refer,
            "can_edit": has_perm(request.user, Perm.SCREEN, request.organisation)
            and screening.status != ScreeningStatus.REFERRED,
            "cases_pending": not _cases_available(),
        },
    )


@requires(Perm.REFER)
def refer(request: AuthedRequest, reference: str) -> HttpResponse:
    """Refer the screened person to the NRM: opens a case in the case file at once.

    Only now is anything identifying asked for, and only the minimum; the case keeps
    the screening's pseudonymous reference as its source, never the other way round.
    """
    if not _cases_available():
        raise Http404
    from palermo.cases import services as case_services
    from palermo.cases.vocabulary import SCREENING_FORMS

    actor, org = request.user, request.organisation
    screening = selectors.access_screening(actor, org, reference, request=request)
    if screening.result is None:
        messages.info(request, _("Finish the interview before referring the person."))
        return redirect("screening:interview", reference=reference)
    if screening.status == ScreeningStatus.REFERRED:
        messages.info(
            request,
            _("This screening has already been referred: case %(ref)s.")
            % {"ref": screening.case_reference},
        )
        return redirect("screening:result", reference=reference)
    presumed_child = bool(screening.result.get("presumed_child"))
    forms_screened = [
        SCREENING_FORMS[f] for f in screening.answers.get("forms", []) if f in SCREENING_FORMS
    ]
    form = referral_form_class()(
        request.POST or None,
        child_locked=presumed_child,
        initial={"exploitation_forms": forms_screened, "is_child": presumed_child},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = {
            k: d[k]
            for k in ("given_name", "family_name", "primary_language", "phone", "street", "city")
            if d.get(k)
        }
        if d.get("citizenship"):
            person["citizenship"] = [d["citizenship"]]
        summary = d["summary"]
        if d.get("consent"):
            summary = (summary + "\n\n" if summary else "") + _("The person agreed to be referred.")
        try:
            case = case_services.referral_receive(
                actor=actor,
                organisation=org,
                source="screening",
                source_ref=screening.reference,
                person=person,
                exploitation_forms=d["exploitation_forms"],
                is_child_or_presumed_child=presumed_child or bool(d["is_child"]),
                summary=summary,
            )
        except InvalidInput as exc:
            for e in exc.errors:
                name = e.field.removeprefix("person.")
                form.add_error(name if name in form.fields else None, e.message)
        except case_services.NotAllowed:
            return refused(request)
        else:
            services.screening_mark_referred(
                actor=actor, organisation=org, screening=screening, case_reference=case.reference
            )
            messages.success(request, _("Referred: case %(ref)s opened.") % {"ref": case.reference})
            from palermo.cases.selectors import case_visibility

            if has_perm(actor, Perm.VIEW_CASES, org) and case_visibility(actor, org, case).visible:
                return redirect("cases:detail", reference=case.reference)
            # A screener hands the person over; the case file itself is for the case team.
            return redirect("screening:result", reference=reference)
    return render(
        request,
        "screening/refer.html",
        {
            "screening": screening,
            "form": form,
            "presumed_child": presumed_child,
            "status": screening.result.get("status"),
        },
    )


def _cases_available() -> bool:
    try:
        from palermo.cases import services as case_services
    except ImportError:
        return False
    return hasattr(case_services, "referral_receive")
