"""Exercise pages: the trainee's inbox, role-players' cue cards, the antenna's phone-sized
observation form, the direction dashboard (htmx polling), the hot-wash pack and the AAR.

Paths carry numeric ids and day numbers only. Each page first runs the inject engine's tick, so
injects arrive while anyone is looking (no background process needed).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import Conflict, InvalidInput, NotFound
from palermo.core.middleware import refused
from palermo.core.policy import Perm, authenticated, has_perm, requires
from palermo.core.spreadsheet import safe_row
from palermo.exercise import selectors, services
from palermo.exercise.isolation import is_exercise_instance
from palermo.exercise.vocabulary import CHANNELS, CRITERIA, PATHS, RATINGS


def _who(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, getattr(request, "organisation", None)


def _not_here(request: HttpRequest) -> HttpResponse | None:
    if not is_exercise_instance() or selectors.exercise_or_none() is None:
        return refused(
            request,
            status=404,
            reason=_("This is not an exercise instance, or no exercise is loaded in it."),
        )
    return None


def _labels() -> dict[str, Any]:
    return {
        "criteria": {k: _(v) for k, v in CRITERIA.items()},
        "ratings": {k: _(v) for k, v in RATINGS.items()},
        "channels": {k: _(v) for k, v in CHANNELS.items()},
        "paths": {k: _(v) for k, v in PATHS.items()},
    }


@authenticated
def home(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    links = [
        (perm, name, label)
        for perm, name, label in (
            (Perm.EXERCISE_CONTROL, "exercise:direction", _("Direction dashboard")),
            (Perm.EXERCISE_TRAIN, "exercise:inbox", _("My inbox of injects")),
            (Perm.EXERCISE_ROLEPLAY, "exercise:cues", _("My cue cards")),
            (Perm.EXERCISE_OBSERVE, "exercise:antenna", _("Record an observation")),
            (Perm.EXERCISE_DIRECT, "exercise:aar", _("After-action report")),
        )
        if has_perm(actor, perm, org)
    ]
    return render(request, "exercise/home.html", {"ex": ex, "links": links, **_labels()})


# --- trainees and role-players ------------------------------------------------------------------


def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    services.tick()
    me = selectors.participant_of(request.user)
    receipts = list(selectors.inbox(me)) if me else []
    ex = services.current()
    return {
        "ex": ex,
        "me": me,
        "receipts": receipts,
        "now_label": services.sim_label(ex, services.sim_now(ex)),
        "unread": sum(1 for r in receipts if r.acknowledged_at is None),
        **_labels(),
    }


@requires(Perm.EXERCISE_TRAIN)
def inbox(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    ctx = _inbox_context(request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "exercise/_inbox_list.html", ctx)
    return render(request, "exercise/inbox.html", ctx)


@requires(Perm.EXERCISE_ROLEPLAY)
def cues(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    ctx = _inbox_context(request)
    ctx["cue_cards"] = True
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "exercise/_inbox_list.html", ctx)
    return render(request, "exercise/inbox.html", ctx)


@authenticated
@require_POST
def acknowledge(request: HttpRequest, receipt_id: int) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    if not (
        has_perm(actor, Perm.EXERCISE_TRAIN, org) or has_perm(actor, Perm.EXERCISE_ROLEPLAY, org)
    ):
        audit.record_refusal(request, perm=Perm.EXERCISE_TRAIN)
        return refused(request)
    try:
        services.acknowledge(actor=actor, organisation=org, receipt_id=receipt_id)
    except NotFound:
        return refused(request, status=404, reason=_("No such message in your inbox."))
    target = "exercise:inbox" if has_perm(actor, Perm.EXERCISE_TRAIN, org) else "exercise:cues"
    return redirect(target)


# --- antennas -------------------------------------------------------------------------------------


def _same_or_new_id(value: str) -> uuid.UUID:
    """A form sent back with errors keeps its id (a corrected resend is the same observation);
    a damaged or missing id is replaced."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.uuid4()


@requires(Perm.EXERCISE_OBSERVE)
def antenna(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        try:
            row, created = services.observe(actor=actor, organisation=org, data=data)
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            status = 400
        except Conflict as exc:
            errors = {"client_id": str(exc)}
            status = 409
        else:
            messages.success(
                request,
                _("Observation recorded.")
                if created
                else _("This observation had already arrived; it is stored once."),
            )
            if row.deviation and created:
                messages.warning(request, _("The direction has been alerted to the deviation."))
            return redirect("exercise:antenna")
    me = selectors.participant_of(actor)
    return render(
        request,
        "exercise/antenna.html",
        {
            "ex": ex,
            "teams": list(ex.teams.all()),
            "actions": list(selectors.expected_actions(ex)),
            "errors": errors,
            "data": data,
            # A resend of this form (a flaky connection) carries the same id: stored once.
            "client_id": uuid.uuid4()
            if status == 409
            else _same_or_new_id(str(data.get("client_id", ""))),
            "mine": list(
                ex.observations.filter(antenna=me).select_related("team", "expected_action")[:10]
            )
            if me
            else [],
            **_labels(),
        },
        status=status,
    )


# --- the direction --------------------------------------------------------------------------------


@requires(Perm.EXERCISE_CONTROL)
def direction(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    services.tick()
    ex = services.current()
    ctx = {
        "ex": ex,
        **selectors.dashboard(ex),
        "can_direct": has_perm(actor, Perm.EXERCISE_DIRECT, org),
        "trainee_roles": sorted(
            set(ex.participants.filter(kind="trainee").values_list("role_key", "role_title"))
        ),
        **_labels(),
    }
    if request.htmx and request.GET.get("live"):  # type: ignore[attr-defined]
        return render(request, "exercise/_direction_live.html", ctx)
    return render(request, "exercise/direction.html", ctx)


def _fail(request: HttpRequest, exc: InvalidInput | Conflict | NotFound) -> None:
    if isinstance(exc, InvalidInput):
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.error(request, str(exc))


@requires(Perm.EXERCISE_DIRECT)
@require_POST
def clock(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    try:
        services.clock_act(
            actor=actor,
            organisation=org,
            act=request.POST.get("act", ""),
            value=request.POST.get("value", ""),
        )
    except InvalidInput as exc:
        _fail(request, exc)
    return redirect("exercise:direction")


@requires(Perm.EXERCISE_CONTROL)
@require_POST
def fire(request: HttpRequest, inject_id: int) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    try:
        done = services.fire(
            actor=actor,
            organisation=org,
            inject_id=inject_id,
            team_keys=request.POST.getlist("teams"),
        )
        messages.success(request, _("Inject delivered to %(n)s team(s).") % {"n": len(done)})
    except (InvalidInput, NotFound) as exc:
        _fail(request, exc)
    return redirect("exercise:direction")


@requires(Perm.EXERCISE_CONTROL)
@require_POST
def adhoc(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    data = {
        **request.POST.dict(),
        "receivers": request.POST.getlist("receivers"),
        "teams": request.POST.getlist("teams"),
    }
    try:
        services.adhoc(actor=actor, organisation=org, data=data)
        messages.success(request, _("Ad-hoc inject delivered."))
    except InvalidInput as exc:
        _fail(request, exc)
    return redirect("exercise:direction")


@requires(Perm.EXERCISE_CONTROL)
@require_POST
def deviation_seen(request: HttpRequest, observation_id: int) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    services.deviation_seen(actor=actor, organisation=org, observation_id=observation_id)
    return redirect("exercise:direction")


@requires(Perm.EXERCISE_DIRECT)
@require_POST
def end_day(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    try:
        row = services.end_day(actor=actor, organisation=org)
        messages.success(
            request, _("Day %(day)s ended; its hot-wash pack is ready.") % {"day": row.day}
        )
        return redirect("exercise:hotwash", day=row.day)
    except Conflict as exc:
        _fail(request, exc)
    return redirect("exercise:direction")


# --- hot wash and after-action report -------------------------------------------------------------


@requires(Perm.EXERCISE_CONTROL)
def hotwash(request: HttpRequest, day: int) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    if not 1 <= day <= ex.days:
        return refused(request, status=404, reason=_("The exercise has no such day."))
    rep = selectors.report(ex, day)
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="exercise_hotwash",
        object_ref=str(day),
        request=request,
    )
    return render(request, "exercise/report.html", {"rep": rep, "hotwash": True, **_labels()})


@requires(Perm.EXERCISE_DIRECT)
def aar(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        try:
            services.improvement_add(actor=actor, organisation=org, data=data)
            messages.success(request, _("Improvement-plan item added."))
            return redirect("exercise:aar")
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            status = 400
    rep = selectors.report(ex)
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="exercise_aar",
        object_ref=str(ex.pk),
        request=request,
    )
    return render(
        request,
        "exercise/report.html",
        {"rep": rep, "hotwash": False, "errors": errors, "data": data, **_labels()},
        status=status,
    )


def _pdf(request: HttpRequest, rep: Any, name: str) -> HttpResponse:
    from palermo.exercise import report_pdf

    actor, org = _who(request)
    audit.record(
        action="export",
        actor=actor,
        organisation=org,
        object_type="exercise_report_pdf",
        object_ref=name,
        request=request,
    )
    resp = HttpResponse(report_pdf.render(rep), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp


@requires(Perm.EXERCISE_CONTROL)
def hotwash_pdf(request: HttpRequest, day: int) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    ex = services.current()
    if not 1 <= day <= ex.days:
        return refused(request, status=404, reason=_("The exercise has no such day."))
    return _pdf(request, selectors.report(ex, day), f"hot-wash-day-{day}")


@requires(Perm.EXERCISE_DIRECT)
def aar_pdf(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    return _pdf(request, selectors.report(services.current()), "after-action-report")


@requires(Perm.EXERCISE_DIRECT)
def improvement_csv(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [_("Criterion"), _("Issue"), _("Corrective action"), _("Owner organisation"), _("Due date")]
    )
    labels = _labels()["criteria"]
    for item in ex.improvements.all():
        w.writerow(
            safe_row(
                [
                    labels.get(item.criterion, item.criterion),
                    item.issue,
                    item.corrective_action,
                    item.owner,
                    item.due_date.isoformat(),
                ]
            )
        )
    audit.record(
        action="export",
        actor=actor,
        organisation=org,
        object_type="exercise_improvement_plan",
        object_ref=str(ex.pk),
        request=request,
    )
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="improvement-plan.csv"'
    return resp
