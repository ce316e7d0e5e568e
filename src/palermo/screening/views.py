"""Screening in the web UI: start, guided interview by dimension, result, list, referral."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
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
    Section,
    StartForm,
    age_group,
    human,
    referral_form_class,
)
from palermo.screening.labels import reasons_for_reader, with_labels
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


# --- the stepped interview (issue 15, item 2) ---------------------------------------------------------
#
# One step per indicator dimension, between "the person" and the Palermo elements, then a summary to
# review before assessing. Each step is a plain form: sending it saves the step into the draft
# (save as you go) and moves back, forward or to any step, so no input is lost and nothing needs
# JavaScript. The whole interview form is validated each time, the other steps' answers coming from
# the saved draft, so the engine checks the answers together exactly as the API does.

PERSON_FIELDS = ("age", "age_uncertain_may_be_child", "forms", "self_identifies_as_victim")
PALERMO_FIELDS = ("act", "means", "purpose")


@dataclass
class Step:
    number: int  # 1-based, as in the address
    title: str
    fields: tuple[str, ...]
    section: Section | None = None
    marked: int = 0  # what the saved draft has marked in this step (the running tally)


def _steps(form: InterviewForm, answers: dict[str, Any]) -> list[Step]:
    ticked = {i["key"] if isinstance(i, dict) else i for i in answers.get("indicators", [])}
    steps = [
        Step(
            1,
            _("The person"),
            PERSON_FIELDS,
            marked=int(bool(answers.get("self_identifies_as_victim"))),
        )
    ]
    for section in form.sections():
        keys = [row.key for row in section.rows]
        steps.append(
            Step(
                len(steps) + 1,
                section.title,
                tuple(f"{p}_{k}" for k in keys for p in ("ind", "src", "note")),
                section,
                marked=sum(k in ticked for k in keys),
            )
        )
    steps.append(
        Step(
            len(steps) + 1,
            _("Palermo elements"),
            PALERMO_FIELDS,
            marked=sum(len(answers.get(f) or []) for f in PALERMO_FIELDS),
        )
    )
    return steps


def _merged(screening: Any, post: Any, step: Step) -> QueryDict:
    """The whole interview's data: this step from the request, every other step from the draft."""
    data = QueryDict(mutable=True)
    for name, value in InterviewForm.initial_from(screening.answers, screening.version).items():
        if name in step.fields or name == "version" or value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    for name in step.fields:
        values = post.getlist(name)
        if values:
            data.setlist(name, values)
    data["version"] = post.get("version", "")
    return data


def _target(go: str, step: Step, steps: list[Step]) -> int | str:
    """Where a step's button leads: ``back``, ``next``, ``summary`` or a step number."""
    if go == "back":
        return max(1, step.number - 1)
    if go == "summary" or (go == "next" and step.number == len(steps)):
        return "summary"
    if go.isdigit() and 1 <= int(go) <= len(steps):
        return int(go)
    return min(len(steps), step.number + 1)


def _redirect_to(reference: str, target: int | str) -> HttpResponse:
    if target == "summary":
        return redirect("screening:interview_summary", reference=reference)
    return redirect("screening:interview_step", reference=reference, step=target)


def _if(condition: object, line: dict[str, object]) -> list[dict[str, object]]:
    return [line] if condition else []


def _editable(request: AuthedRequest, reference: str) -> Any:
    screening = selectors.access_screening(
        request.user, request.organisation, reference, request=request
    )
    if screening.status == ScreeningStatus.REFERRED:
        return None
    return screening


@requires(Perm.SCREEN)
def interview(request: AuthedRequest, reference: str, step: int = 1) -> HttpResponse:
    """One step of the interview; sending it saves the draft and goes where its button says."""
    screening = _editable(request, reference)
    if screening is None:
        messages.info(request, _("This screening has been referred and can no longer be changed."))
        return redirect("screening:result", reference=reference)
    steps = _steps(_interview_form(screening), screening.answers)
    if not 1 <= step <= len(steps):
        raise Http404("no such step")
    current = steps[step - 1]
    if request.method == "POST":
        form = _interview_form(screening, _merged(screening, request.POST, current))
        if form.is_valid():
            try:
                services.screening_save(
                    actor=request.user,
                    organisation=request.organisation,
                    screening=screening,
                    answers=form.answers(),
                    assess=False,
                    based_on_version=form.cleaned_data.get("version") or 0,
                )
            except InvalidInput as exc:
                form.add_engine_errors(exc.errors)
            else:
                target = _target(request.POST.get("go", "next"), current, steps)
                if current.fields == PERSON_FIELDS:
                    # Age and forms choose the lists: the steps after this one may have changed.
                    steps = _steps(_interview_form(screening), screening.answers)
                    if isinstance(target, int):
                        target = min(target, len(steps))
                return _redirect_to(reference, target)
    else:
        form = _interview_form(screening)
    section = None
    if current.section is not None:
        section = next(
            (s for s in form.sections() if s.title == current.section.title), current.section
        )
    shown = set(current.fields)
    return render(
        request,
        "screening/interview.html",
        {
            "screening": screening,
            "form": form,
            "steps": steps,
            "step": current,
            "section": section,
            "fields": [form[name] for name in current.fields if name in form.fields],
            "is_person": current.fields == PERSON_FIELDS,
            "is_palermo": current.fields == PALERMO_FIELDS,
            "other_errors": [
                (form[name].label, e)
                for name, errors in form.errors.items()
                if name != "__all__" and name not in shown
                for e in errors
            ],
            "percent": round(100 * (step - 1) / len(steps)),
            "tally": sum(s.marked for s in steps),
            "sets": form.sets,
            "form_labels": [
                FORM_LABELS.get(f, human(f)) for f in screening.answers.get("forms", [])
            ],
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@requires(Perm.SCREEN)
def interview_summary(request: AuthedRequest, reference: str) -> HttpResponse:
    """Everything marked, step by step, to review before assessing; assessing is sent once."""
    screening = _editable(request, reference)
    if screening is None:
        messages.info(request, _("This screening has been referred and can no longer be changed."))
        return redirect("screening:result", reference=reference)
    form = _interview_form(screening)
    steps = _steps(form, screening.answers)
    problems: list[str] = []
    if request.method == "POST":
        from palermo.web import once

        try:
            with once.claim(request, "screening_assess") as claim:
                services.screening_save(
                    actor=request.user,
                    organisation=request.organisation,
                    screening=screening,
                    answers=screening.answers,
                    assess=True,
                    based_on_version=_int(request.POST.get("version")),
                )
                claim.done(reverse("screening:result", args=[reference]))
        except once.Duplicate as dup:
            return once.duplicate_response(
                request, dup, fallback=reverse("screening:result", args=[reference])
            )
        except once.TokenProblem as problem:
            problems.append(problem.message)
        except InvalidInput as exc:
            problems += [_(e.message) for e in exc.errors]
        else:
            return redirect("screening:result", reference=reference)
        screening.refresh_from_db()
    answers = screening.answers
    ticked = {(i["key"] if isinstance(i, dict) else i): i for i in answers.get("indicators", [])}
    review = []
    for step in steps:
        lines: list[dict[str, object]]
        if step.section is not None:
            lines = [
                {
                    "label": row.label,
                    "source": human(ticked[row.key].get("source", ""))
                    if isinstance(ticked[row.key], dict)
                    else "",
                    "note": bool(isinstance(ticked[row.key], dict) and ticked[row.key].get("note")),
                }
                for row in step.section.rows
                if row.key in ticked
            ]
        elif step.fields == PERSON_FIELDS:
            lines = [
                {
                    "label": _("Age (years)"),
                    "source": answers.get("age")
                    if answers.get("age") is not None
                    else _("unknown"),
                },
                *_if(
                    answers.get("age_uncertain_may_be_child"),
                    {"label": _("Age uncertain and the person may be a child")},
                ),
                {
                    "label": _("Suspected form(s) of exploitation"),
                    "source": ", ".join(
                        str(FORM_LABELS.get(f, human(f))) for f in answers.get("forms", [])
                    ),
                },
                *_if(
                    answers.get("self_identifies_as_victim"),
                    {
                        "label": _(
                            "The person says they are a victim of trafficking or exploitation"
                        )
                    },
                ),
            ]
        else:
            lines = [
                {
                    "label": str(form.fields[name].label),
                    "source": ", ".join(human(v) for v in answers.get(name) or []),
                }
                for name in PALERMO_FIELDS
                if answers.get(name)
            ]
        review.append({"step": step, "lines": lines})
    return render(
        request,
        "screening/interview_summary.html",
        {
            "screening": screening,
            "steps": steps,
            "review": review,
            "tally": sum(s.marked for s in steps),
            "indicators": len(ticked),
            "problems": problems,
        },
        status=422 if problems else 200,
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


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
    shown = with_labels(result_for_display(screening.result, default_catalogue()))
    # The engine's reasons in the reader's language when the saved answers still give
    # exactly the stored reasons; otherwise the stored English, marked as such.
    lines, step_words, translated = reasons_for_reader(
        screening.answers, screening.result, default_catalogue()
    )
    shown["explanation"] = lines
    for step in shown.get("next_steps", ()):
        if step.get("code") in step_words:
            step["label"] = step_words[step["code"]]
    return render(
        request,
        "screening/result.html",
        {
            "screening": screening,
            "r": shown,
            "reasons_translated": translated,
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
    from palermo.web import once

    if (dup := once.previous(request, "screening_refer")) is not None:
        return once.duplicate_response(
            request, dup, fallback=reverse("screening:result", args=[reference])
        )
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
        from palermo.cases.selectors import case_visibility

        try:
            # One case per referral, however often the form is sent (issue 15, item 6).
            with once.claim(request, "screening_refer") as claim:
                case = case_services.referral_receive(
                    actor=actor,
                    organisation=org,
                    source="screening",
                    source_ref=screening.reference,
                    origin=screening.origin,
                    person=person,
                    exploitation_forms=d["exploitation_forms"],
                    is_child_or_presumed_child=presumed_child or bool(d["is_child"]),
                    summary=summary,
                )
                services.screening_mark_referred(
                    actor=actor,
                    organisation=org,
                    screening=screening,
                    case_reference=case.reference,
                )
                shown = (
                    has_perm(actor, Perm.VIEW_CASES, org)
                    and case_visibility(actor, org, case).visible
                )
                claim.done(
                    reverse("cases:detail", args=[case.reference])
                    if shown
                    else reverse("screening:result", args=[reference])
                )
        except once.Duplicate as repeat:
            return once.duplicate_response(
                request, repeat, fallback=reverse("screening:result", args=[reference])
            )
        except once.TokenProblem as problem:
            form.add_error(None, problem.message)
        except InvalidInput as exc:
            for e in exc.errors:
                name = e.field.removeprefix("person.")
                form.add_error(name if name in form.fields else None, e.message)
        except case_services.NotAllowed as exc:
            return refused(request, reason=_(str(exc)))
        else:
            messages.success(request, _("Referred: case %(ref)s opened.") % {"ref": case.reference})
            if shown:
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
