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
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import Conflict, FieldError, InvalidInput, NotFound
from palermo.core.middleware import refused
from palermo.core.policy import Perm, authenticated, has_perm, requires
from palermo.core.spreadsheet import safe_row
from palermo.exercise import evidence, selectors, services
from palermo.exercise import texts as scenario_texts
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
    """Palermo's words for the codes, and the scenario's texts in the reader's language
    (``texts``: every page shows a team, inject, action or role through it)."""
    return {
        "criteria": {k: _(v) for k, v in CRITERIA.items()},
        "ratings": {k: _(v) for k, v in RATINGS.items()},
        "channels": {k: _(v) for k, v in CHANNELS.items()},
        "paths": {k: _(v) for k, v in PATHS.items()},
        "texts": scenario_texts.for_reader(selectors.exercise_or_none()),
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
            (Perm.EXERCISE_CONTROL, "exercise:tabletop", _("Tabletop")),
            (Perm.EXERCISE_TRAIN, "exercise:inbox", _("My inbox of injects")),
            (Perm.EXERCISE_ROLEPLAY, "exercise:cues", _("My cue cards")),
            (Perm.EXERCISE_OBSERVE, "exercise:antenna", _("Record an observation")),
            (Perm.EXERCISE_DIRECT, "exercise:aar", _("After-action report")),
            (Perm.EXERCISE_DIRECT, "exercise:applicants", _("Applications and selection")),
        )
        if has_perm(actor, perm, org)
    ]
    texts = scenario_texts.for_reader(ex)
    return render(
        request,
        "exercise/home.html",
        {
            "ex": ex,
            "links": links,
            "title": texts.scenario("title", ex.title),
            "summary": texts.scenario("summary", ex.summary),
            "country": texts.country(ex.country or {}),
            "sop_titles": [texts.sop(step) for step in ex.sop_steps or []],
            **_labels(),
        },
    )


# --- auditing reads that poll -------------------------------------------------------------------

# The inbox and cue cards poll every 10 s and the dashboard every 5 s: one audit entry per
# refresh would put some 40,000 entries a day into the trail for 200 trainees and drown the
# entries that matter. A full page view is always audited; an htmx refresh is audited at most
# once per viewer, page and minute (``cache.add`` is atomic: of two refreshes in the same minute
# only the first records). The entries name ids and counts, never the content.
POLL_AUDIT_SECONDS = 60


def audit_view(
    request: HttpRequest,
    object_type: str,
    object_ref: str,
    details: dict[str, Any],
    *,
    poll: bool | None = None,
) -> bool:
    """Record the read of a polled page (``poll``: by default, an htmx request); True when an
    entry was written."""
    actor, org = _who(request)
    if request.htmx if poll is None else poll:  # type: ignore[attr-defined]
        key = f"exercise-read:{object_type}:{getattr(actor, 'pk', '')}"
        if not cache.add(key, 1, POLL_AUDIT_SECONDS):
            return False
        details = {**details, "refresh": True}
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type=object_type,
        object_ref=object_ref,
        details=details,
        request=request,
    )
    return True


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
        "texts": scenario_texts.for_reader(ex),
        **_labels(),
    }


@requires(Perm.EXERCISE_TRAIN)
def inbox(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    ctx = _inbox_context(request)
    _audit_inbox(request, "exercise_inbox", ctx)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "exercise/_inbox_list.html", ctx)
    return render(request, "exercise/inbox.html", ctx)


def _audit_inbox(request: HttpRequest, object_type: str, ctx: dict[str, Any]) -> None:
    me, receipts = ctx["me"], ctx["receipts"]
    audit_view(
        request,
        object_type,
        str(me.pk if me else "none"),
        {"count": len(receipts), "receipts": [r.pk for r in receipts[:50]]},
    )


@requires(Perm.EXERCISE_ROLEPLAY)
def cues(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    ctx = _inbox_context(request)
    ctx["cue_cards"] = True
    me, ex, texts = ctx["me"], ctx["ex"], ctx["texts"]
    if me is not None:  # the role-player's brief and the personas they play, for the reader
        role = selectors.package_roles(ex).get(me.role_key, {})
        ctx["brief"] = texts.role(me.role_key, str(role.get("brief", "")), "brief")
        ctx["personas"] = [
            texts.persona(p) for p in ex.personas or [] if p.get("played_by") == me.role_key
        ]
    _audit_inbox(request, "exercise_cue_cards", ctx)
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
    ctx["title"] = ctx["texts"].scenario("title", ex.title)
    audit_view(
        request,
        "exercise_dashboard",
        str(ex.pk),
        {
            "deliveries": len(ctx["timeline"]),
            "deviations": [o.pk for o in ctx["deviations"]],
        },
    )
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


# --- the tabletop variant ------------------------------------------------------------------------


@requires(Perm.EXERCISE_CONTROL)
def tabletop(request: HttpRequest) -> HttpResponse:
    """The facilitator's page (phone-sized): the injects delivered by the same clock and engine,
    shown to the room with their questions, and a form per team and question for the decision."""
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    services.tick()
    ex = services.current()
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    failed = ""
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        try:
            delivery_id, question = int(data.get("delivery", "")), int(data.get("question", ""))
        except ValueError:
            return refused(
                request, status=400, reason=_("The form is damaged: open the page again.")
            )
        try:
            services.tabletop_answer(
                actor=actor,
                organisation=org,
                delivery_id=delivery_id,
                question=question,
                text=data.get("text", ""),
            )
            messages.success(request, _("Saved."))
            return redirect("exercise:tabletop")
        except NotFound as exc:
            return refused(request, status=404, reason=str(exc))
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            failed = f"{delivery_id}-{question}"
            status = 400
    texts = scenario_texts.for_reader(ex)
    injects = selectors.tabletop(ex, texts=texts)
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="exercise_tabletop",
        object_ref=str(ex.pk),
        details={"injects": [e["inject"].key for e in injects]},
        request=request,
    )
    return render(
        request,
        "exercise/tabletop.html",
        {
            "injects": injects,
            "texts": texts,
            "now_label": services.sim_label(ex, services.sim_now(ex)),
            "errors": errors,
            "data": data,
            "failed": failed,
        },
        status=status,
    )


# --- the entries each evidence figure came from ----------------------------------------------------

_ACTION_WORDS = {
    "create": gettext_lazy("Created"),
    "update": gettext_lazy("Changed"),
    "export": gettext_lazy("Exported"),
    "read": gettext_lazy("Opened"),
    "delete": gettext_lazy("Deleted"),
}


def entry_words(fact: evidence.Fact) -> str:
    """An audit entry's action in words in the reader's language, never its codes."""
    from palermo.web.display import object_words

    known = evidence.describe(fact)
    if known is not None:
        return _(known)
    return _("%(action)s: %(object)s") % {
        "action": _ACTION_WORDS.get(fact.action, _("Recorded")),
        "object": object_words(fact.object_type),
    }


def _entry_rows(request: HttpRequest, entry_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """The entries with time, the acting organisation, the action in words, and whether the
    reader may open each one in the audit viewer (only then is it linked)."""
    from datetime import UTC, datetime

    from palermo.core.models import Organisation
    from palermo.core.selectors import audit_entry_ids_visible_to

    actor, org = _who(request)
    facts = selectors.entries(entry_ids)
    org_ids = {f.organisation_id for f in facts if f.organisation_id is not None}
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    visible = audit_entry_ids_visible_to(actor, org, [f.entry_id for f in facts])
    # the direction opens them through the exercise's own entry page (Perm.EXERCISE_EVIDENCE)
    direction = has_perm(actor, Perm.EXERCISE_EVIDENCE, org)
    return [
        {
            "id": f.entry_id,
            "at": datetime.fromtimestamp(f.at, tz=UTC),
            "organisation": names.get(f.organisation_id or 0, "") or _("no organisation"),
            "words": entry_words(f),
            "visible": f.entry_id in visible,
            "direction": direction,
        }
        for f in facts
    ]


def _audit_evidence(request: HttpRequest, ref: str, entry_ids: tuple[int, ...]) -> None:
    actor, org = _who(request)
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="exercise_evidence",
        object_ref=ref,
        details={"entries": list(entry_ids[:200]), "count": len(entry_ids)},
        request=request,
    )


def _day_param(request: HttpRequest, ex: Any) -> int | None:
    raw = request.GET.get("day", "")
    if not raw:
        return None
    try:
        day = int(raw)
    except ValueError:
        raise NotFound(_("The exercise has no such day."), object_type="exercise_day") from None
    if not 1 <= day <= ex.days:
        raise NotFound(_("The exercise has no such day."), object_type="exercise_day")
    return day


@requires(Perm.EXERCISE_CONTROL)
def evidence_figure(request: HttpRequest, team_id: int, figure: str) -> HttpResponse:
    """The audit entries one team figure of the hot wash or the AAR was computed from."""
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    team = ex.teams.filter(pk=team_id).first()
    if team is None or figure not in evidence.FIGURES:
        return refused(request, status=404, reason=_("No such figure."))
    try:
        day = _day_param(request, ex)
    except NotFound as exc:
        return refused(request, status=404, reason=str(exc))
    fig = selectors.team_figure(ex, team, figure, day)
    ids = fig.entry_ids if fig else ()
    _audit_evidence(request, f"team:{team.pk}:{figure}", ids)
    return render(
        request,
        "exercise/evidence.html",
        {
            "ex": ex,
            "team": team,
            "day": day,
            "title": _(evidence.FIGURES[figure][0]),
            "figure": fig,
            "rows": _entry_rows(request, ids),
            "can_direct": has_perm(actor, Perm.EXERCISE_DIRECT, org),
            "texts": scenario_texts.for_reader(ex),
        },
    )


@requires(Perm.EXERCISE_CONTROL)
def evidence_action(request: HttpRequest, delivery_id: int, action_id: int) -> HttpResponse:
    """The audit entries that show (or not) one expected action done by the team an inject
    reached: the evidence column of the hot wash and the AAR."""
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    d = selectors.delivery_of(ex, delivery_id)
    action = d.inject.expected_actions.filter(pk=action_id).first() if d else None
    if d is None or action is None:
        return refused(request, status=404, reason=_("No such expected action."))
    finding = selectors.action_finding(d, action)
    ids = finding.entry_ids if finding else ()
    _audit_evidence(request, f"delivery:{d.pk}:action:{action.pk}", ids)
    return render(
        request,
        "exercise/evidence.html",
        {
            "ex": ex,
            "team": d.team,
            "day": None,
            "title": f"{action.key} {scenario_texts.for_reader(ex).action(action)}",
            "action": action,
            "delivery": d,
            "rule": _(evidence.RULES[action.evidence][0]) if action.evidence else "",
            "finding": finding,
            "rows": _entry_rows(request, ids),
            "can_direct": has_perm(actor, Perm.EXERCISE_DIRECT, org),
            "texts": scenario_texts.for_reader(ex),
        },
    )


@requires(Perm.EXERCISE_EVIDENCE)
def evidence_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One audit entry behind an evidence figure, for the exercise direction (who hold no audit
    role): only a trainee's entry of this exercise (``selectors.evidence_entry``); any other id
    is "not found" and an audited refusal. The read is audited."""
    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    entry = selectors.evidence_entry(ex, entry_id)
    if entry is None:
        audit.record_refusal(
            request,
            perm=Perm.EXERCISE_EVIDENCE,
            object_type="audit_entry",
            object_ref=str(entry_id),
        )
        return refused(request, status=404, reason=_("No such evidence entry in this exercise."))
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="audit_entry",
        object_ref=str(entry.pk),
        purpose="exercise evidence",
        request=request,
    )
    return render(
        request,
        "exercise/evidence_entry.html",
        {
            "ex": ex,
            "entry": entry,
            "entries": [entry],
            "can_direct": has_perm(actor, Perm.EXERCISE_DIRECT, org),
        },
    )


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


def pdf_response(request: HttpRequest, day: int | None) -> HttpResponse:
    """The hot-wash pack of ``day`` (None: the after-action report) as PDF, audited; shared by
    the page and the API (the TRAINING marking is the middleware's, on both)."""
    from palermo.exercise import report_pdf

    actor, org = _who(request)
    ex = services.current()
    if day is not None and not 1 <= day <= ex.days:
        raise NotFound(_("The exercise has no such day."), object_type="exercise_day")
    name = f"hot-wash-day-{day}" if day is not None else "after-action-report"
    rep = selectors.report(ex, day)
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
    try:
        return pdf_response(request, day)
    except NotFound as exc:
        return refused(request, status=404, reason=str(exc))


@requires(Perm.EXERCISE_DIRECT)
def aar_pdf(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    return pdf_response(request, None)


def improvement_csv_response(request: HttpRequest) -> HttpResponse:
    """The improvement plan as CSV, every cell neutralised against formulas, audited."""
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


@requires(Perm.EXERCISE_DIRECT)
def improvement_csv(request: HttpRequest) -> HttpResponse:
    if (r := _not_here(request)) is not None:
        return r
    return improvement_csv_response(request)


# --- applicant selection (chief controller; applicant data is personal: every read audited) -----


def _selection_labels() -> dict[str, Any]:
    from palermo.exercise.selection import REASONS
    from palermo.exercise.vocabulary import GENDERS, PROFESSIONS

    return {
        "professions": {k: _(v) for k, v in PROFESSIONS.items()},
        "genders": {k: _(v) for k, v in GENDERS.items()},
        "reasons": {k: _(v) for k, v in REASONS.items()},
    }


@requires(Perm.EXERCISE_DIRECT)
def applicants(request: HttpRequest) -> HttpResponse:
    from palermo.exercise import applicants as apps_svc
    from palermo.exercise.selection import COLUMNS, country_name, language_name

    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    errors: dict[str, str] = {}
    row_errors: list[Any] = []
    data: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        act = request.POST.get("act")
        try:
            if act == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    raise InvalidInput(FieldError("file", _("Choose a CSV file to import.")))
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise InvalidInput(
                        FieldError("file", _("The file is not UTF-8 text; save it as CSV UTF-8."))
                    ) from exc
                n = apps_svc.applications_import(actor=actor, organisation=org, text=text)
                messages.success(request, _("%(n)d applications imported.") % {"n": n})
                return redirect("exercise:applicants")
            data = {k: request.POST.get(k, "") for k in COLUMNS}
            apps_svc.application_add(actor=actor, organisation=org, data=data)
            messages.success(request, _("Application added."))
            return redirect("exercise:applicants")
        except apps_svc.ImportRejected as exc:
            row_errors = exc.rows
            status = 400
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            status = 400
    rows = list(ex.applications.all())
    audit.record(
        action="read",
        actor=actor,
        organisation=org,
        object_type="exercise_application",
        object_ref="list",
        details={"count": len(rows)},
        request=request,
    )
    return render(
        request,
        "exercise/applicants.html",
        {
            "rows": [
                {
                    "a": a,
                    "country": country_name(a.country),
                    "languages": ", ".join(language_name(x) for x in a.languages),
                }
                for a in rows
            ],
            "errors": errors,
            "row_errors": row_errors,
            "data": data,
            "columns": ",".join(COLUMNS),
            **_selection_labels(),
        },
        status=status,
    )


def _run_context(ex: Any, run: Any) -> dict[str, Any]:
    from palermo.exercise import applicants as apps_svc
    from palermo.exercise.selection import country_name

    labels = _selection_labels()
    balance = {
        "profession": [
            {**x, "label": labels["professions"].get(x["key"], x["key"])}
            for x in run.balance.get("profession", [])
        ],
        "gender": [
            {**x, "label": labels["genders"].get(x["key"], x["key"])}
            for x in run.balance.get("gender", [])
        ],
        "country": [{**x, "label": country_name(x["key"])} for x in run.balance.get("country", [])],
    }
    decisions = [
        {**d, "country": country_name(d["app"].country)} for d in apps_svc.decision_rows(ex, run)
    ]
    selected = sum(1 for d in run.decisions if d["selected"])
    return {
        "run": run,
        "balance": balance,
        "decisions": decisions,
        "selected_count": selected,
        "women_percent": None if run.women_target is None else round(run.women_target * 100),
        "stale": ex.applications.count() != len(run.decisions),
    }


@requires(Perm.EXERCISE_DIRECT)
def selection(request: HttpRequest) -> HttpResponse:
    from palermo.exercise import applicants as apps_svc

    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    errors: dict[str, str] = {}
    status = 200
    data: dict[str, Any] = {}
    if request.method == "POST":
        data = request.POST.dict()
        try:
            apps_svc.run_selection(actor=actor, organisation=org, data=data)
            messages.success(request, _("Selection made."))
            return redirect("exercise:selection")
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            status = 400
    run = apps_svc.latest_run(ex)
    ctx: dict[str, Any] = {"run": None}
    if run is not None:
        ctx = _run_context(ex, run)
        audit.record(
            action="read",
            actor=actor,
            organisation=org,
            object_type="exercise_selection",
            object_ref=str(run.pk),
            request=request,
        )
        if not data:
            data = {
                "places": run.places,
                "women_percent": ctx["women_percent"] if ctx["women_percent"] is not None else "",
                "country_cap": run.country_cap or "",
                "seed": run.seed,
                **{f"quota_{p}": q for p, q in run.quotas.items()},
            }
    labels = _selection_labels()
    quota_fields = [
        (p, label, data.get(f"quota_{p}", ""), errors.get(f"quota_{p}"))
        for p, label in labels["professions"].items()
    ]
    return render(
        request,
        "exercise/selection.html",
        {
            **ctx,
            "errors": errors,
            "data": data,
            "quota_fields": quota_fields,
            "applications": ex.applications.count(),
            **labels,
        },
        status=status,
    )


@requires(Perm.EXERCISE_DIRECT)
def selection_csv(request: HttpRequest) -> HttpResponse:
    from palermo.core.spreadsheet import safe_row
    from palermo.exercise import applicants as apps_svc
    from palermo.exercise.selection import country_name, language_name

    if (r := _not_here(request)) is not None:
        return r
    actor, org = _who(request)
    ex = services.current()
    run = apps_svc.latest_run(ex)
    if run is None:
        return refused(request, status=404, reason=_("No selection has been made yet."))
    labels = _selection_labels()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        safe_row(
            [
                _("Lottery rank"),
                _("Selected"),
                _("Reason"),
                _("Reference"),
                _("Name"),
                _("Country"),
                _("Organisation"),
                _("Profession"),
                _("Gender"),
                _("Languages"),
            ]
        )
    )
    for d in apps_svc.decision_rows(ex, run):
        a = d["app"]
        w.writerow(
            safe_row(
                [
                    d["rank"],
                    _("yes") if d["selected"] else _("no"),
                    labels["reasons"].get(d["reason"], d["reason"]),
                    a.ref,
                    a.name,
                    country_name(a.country),
                    a.organisation,
                    labels["professions"].get(a.profession, a.profession),
                    labels["genders"].get(a.gender, a.gender),
                    ", ".join(language_name(x) for x in a.languages),
                ]
            )
        )
    audit.record(
        action="export",
        actor=actor,
        organisation=org,
        object_type="exercise_selection",
        object_ref=str(run.pk),
        request=request,
    )
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="selection.csv"'
    return resp
