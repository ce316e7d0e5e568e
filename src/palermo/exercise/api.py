"""Exercise API (``/api/v1/exercises/…``): the same actions as the pages, same services and policy.

An antenna's client queues observations while offline and resends them with the same
``client_id``: the second arrival answers 200 with the stored row instead of 201.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.exercise import selectors, services
from palermo.exercise.isolation import guard

router = Router(tags=["exercise"])
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class StatusOut(Schema):
    name: str
    scenario: str
    version: str
    started: bool
    running: bool
    speed: float
    exercise_time: str
    deliveries: int
    overdue_actions: int
    unseen_deviations: int


class ClockIn(Schema):
    act: str = Field(max_length=10)
    value: str = Field(default="", max_length=20)


class FireIn(Schema):
    teams: list[str] = Field(default_factory=list, max_length=50)


class AdhocIn(Schema):
    title: str = Field(max_length=300)
    content: str = Field(default="", max_length=4000)
    channel: str = Field(max_length=20)
    path: str = Field(default="both", max_length=20)
    receivers: list[str] = Field(max_length=50)
    teams: list[str] = Field(default_factory=list, max_length=50)


class DeliveryOut(Schema):
    receipt: int
    inject: str
    title: str
    content: str
    channel: str
    delivered_at: str
    acknowledged_at: str | None


class ObservationIn(Schema):
    client_id: str = Field(max_length=40)
    criterion: str = Field(max_length=20)
    team: str = Field(default="", max_length=40)
    expected_action: str = Field(default="", max_length=30)
    rating: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=4000)
    deviation: bool = False


class ObservationOut(Schema):
    id: int
    client_id: str
    stored: str  # "created" or "already stored"


class ActionOut(Schema):
    team: str
    action: str
    criterion: str
    done: bool
    overdue: bool
    evidence_met: bool | None
    minutes_after_inject: float | None
    audit_entries: list[int]
    ratings: list[str]


def _org(request: HttpRequest) -> Any:
    return getattr(request, "organisation", None)


def _status() -> dict[str, Any]:
    guard()
    services.tick()
    ex = services.current()
    d = selectors.dashboard(ex)
    c = d["clock"]
    return {
        "name": ex.name,
        "scenario": ex.scenario_id,
        "version": ex.scenario_version,
        "started": c.started,
        "running": c.running,
        "speed": c.speed,
        "exercise_time": d["now_label"],
        "deliveries": len(d["timeline"]),
        "overdue_actions": len(d["overdue"]),
        "unseen_deviations": d["unseen_deviations"],
    }


@router.get("", response=with_errors(StatusOut), summary="The exercise's state")
@api_requires(Perm.EXERCISE_CONTROL)
def status(request: HttpRequest) -> Any:
    return _status()


@router.post("/clock", response=with_errors(StatusOut), summary="Start, pause, resume, speed, jump")
@api_requires(Perm.EXERCISE_DIRECT)
def clock(request: HttpRequest, body: ClockIn) -> Any:
    services.clock_act(
        actor=request.user, organisation=_org(request), act=body.act, value=body.value
    )
    return _status()


@router.post(
    "/injects/{inject_id}/fire", response=with_errors(dict[str, int]), summary="Fire an inject"
)
@api_requires(Perm.EXERCISE_CONTROL)
def fire(request: HttpRequest, inject_id: Id, body: FireIn) -> Any:
    done = services.fire(
        actor=request.user, organisation=_org(request), inject_id=inject_id, team_keys=body.teams
    )
    return {"delivered": len(done)}


@router.post("/injects/adhoc", response=with_errors(dict[str, str]), summary="An ad-hoc inject")
@api_requires(Perm.EXERCISE_CONTROL)
def adhoc(request: HttpRequest, body: AdhocIn) -> Any:
    inject = services.adhoc(actor=request.user, organisation=_org(request), data=body.dict())
    return {"inject": inject.key}


@router.get("/inbox", response=with_errors(list[DeliveryOut]), summary="My inbox of injects")
@api_requires(Perm.EXERCISE_TRAIN)
def inbox(request: HttpRequest) -> Any:
    guard()
    services.tick()
    me = selectors.participant_of(request.user)
    rows = list(selectors.inbox(me)[:200]) if me else []
    from palermo.exercise import texts as scenario_texts
    from palermo.exercise.views import audit_view

    texts = scenario_texts.for_reader(services.current())

    # A client polls this like the page does: audited once per minute per trainee (views.py).
    audit_view(
        request,
        "exercise_inbox",
        str(me.pk if me else "none"),
        {"count": len(rows), "receipts": [r.pk for r in rows[:50]], "api": True},
        poll=True,
    )
    return [
        {
            "receipt": r.pk,
            "inject": r.delivery.inject.key,
            "title": texts.inject(r.delivery.inject, "title"),
            "content": texts.inject(r.delivery.inject, "content"),
            "channel": r.delivery.inject.channel,
            "delivered_at": r.delivery.delivered_at.isoformat(),
            "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None,
        }
        for r in rows
    ]


@router.post(
    "/inbox/{receipt_id}/acknowledge", response=with_errors(dict[str, str]), summary="Acknowledge"
)
@api_requires(Perm.EXERCISE_TRAIN)
def acknowledge(request: HttpRequest, receipt_id: Id) -> Any:
    r = services.acknowledge(actor=request.user, organisation=_org(request), receipt_id=receipt_id)
    assert r.acknowledged_at is not None
    return {"acknowledged_at": r.acknowledged_at.isoformat()}


@router.post(
    "/observations",
    response=with_errors({201: ObservationOut, 200: ObservationOut}),
    summary="Record an observation (idempotent on client_id)",
)
@api_requires(Perm.EXERCISE_OBSERVE)
def observe(request: HttpRequest, body: ObservationIn) -> Any:
    row, created = services.observe(
        actor=request.user, organisation=_org(request), data=body.dict()
    )
    out = {
        "id": row.pk,
        "client_id": str(row.client_id),
        "stored": "created" if created else "already stored",
    }
    return Status(201 if created else 200, out)


@router.get(
    "/evidence", response=with_errors(list[ActionOut]), summary="Expected actions and evidence"
)
@api_requires(Perm.EXERCISE_CONTROL)
def evidence(request: HttpRequest) -> Any:
    guard()
    ex = services.current()
    return [
        {
            "team": r.team.key,
            "action": r.action.key,
            "criterion": r.action.criterion,
            "done": r.done,
            "overdue": r.overdue,
            "evidence_met": r.finding.met if r.finding else None,
            "minutes_after_inject": r.finding.minutes_after if r.finding else None,
            "audit_entries": list(r.finding.entry_ids) if r.finding else [],
            "ratings": r.ratings,
        }
        for r in selectors.action_rows(ex, services.sim_now(ex))
    ]


class EvidenceFigureOut(Schema):
    team: str
    figure: str  # a key of evidence.FIGURES, e.g. "interpreter_requested"
    label: str
    value: bool | int | None  # shown / held (None: nothing to judge yet) / a count
    minutes_after_first_inject: float | None
    audit_entries: list[int]


@router.get(
    "/evidence/teams",
    response=with_errors(list[EvidenceFigureOut]),
    summary="Per-team evidence figures, each with the audit entries it came from",
)
@api_requires(Perm.EXERCISE_CONTROL)
def evidence_teams(
    request: HttpRequest, day: Annotated[int | None, Field(ge=1, le=99)] = None
) -> Any:
    from palermo.core import audit
    from palermo.core.errors import NotFound
    from palermo.exercise import evidence as ev

    guard()
    ex = services.current()
    if day is not None and day > ex.days:
        raise NotFound(_("The exercise has no such day."), object_type="exercise_day")
    out = [
        {
            "team": t["team"].key,
            "figure": f["key"],
            "label": _(ev.FIGURES[f["key"]][0]),
            "value": f["figure"].value,
            "minutes_after_first_inject": f["figure"].minutes_after,
            "audit_entries": list(f["figure"].entry_ids),
        }
        for t in selectors.team_figures(ex, day)
        for f in t["figures"]
    ]
    audit.record(
        action="read",
        actor=request.user,
        organisation=_org(request),
        object_type="exercise_evidence",
        object_ref=f"teams:{day or 'all'}",
        details={"count": sum(len(o["audit_entries"]) for o in out), "api": True},
        request=request,
    )
    return out


@router.post("/end-day", response=with_errors(dict[str, int]), summary="End the exercise day")
@api_requires(Perm.EXERCISE_DIRECT)
def end_day(request: HttpRequest) -> Any:
    row = services.end_day(actor=request.user, organisation=_org(request))
    return {"day": row.day}


# --- the tabletop variant (the facilitator's page over the API: same service, policy, audit) ---


class AnswerOut(Schema):
    question: int  # the question's index (0 is the first), as POST /tabletop/answers takes it
    text: str  # the question, or "The team's decision" when the inject has none
    answer: str | None


class TeamPromptOut(Schema):
    delivery: int
    team: str
    team_name: str
    answers: list[AnswerOut]


class PromptOut(Schema):
    inject: str
    title: str
    content: str
    channel: str
    questions: list[str]
    teams: list[TeamPromptOut]


class TabletopAnswerIn(Schema):
    delivery: Id
    question: Annotated[int, Field(ge=0, le=99)]
    text: str = Field(max_length=4000)


class TabletopAnswerOut(Schema):
    id: int
    delivery: int
    question: int
    saved: str  # "created" or "replaced"


def tabletop_prompts(ex: Any, limit: int, language: str | None = None) -> list[dict[str, Any]]:
    """The delivered injects as discussion prompts (newest first), with the answers so far, in
    ``language`` (default: the request's) where the package has its texts."""
    from palermo.exercise import texts as scenario_texts

    texts = scenario_texts.for_reader(ex, language)
    return [
        {
            "inject": e["inject"].key,
            "title": texts.inject(e["inject"], "title"),
            "content": texts.inject(e["inject"], "content"),
            "channel": e["inject"].channel,
            "questions": e["questions"],
            "teams": [
                {
                    "delivery": t["delivery"].pk,
                    "team": t["delivery"].team.key,
                    "team_name": texts.team(t["delivery"].team),
                    "answers": [
                        {"question": i, "text": q, "answer": a.text if a else None}
                        for i, q, a, _fid in t["answers"]
                    ],
                }
                for t in e["teams"]
            ],
        }
        for e in selectors.tabletop(ex, limit, texts)
    ]


@router.get(
    "/tabletop",
    response=with_errors(list[PromptOut]),
    summary="Delivered injects as discussion prompts, with the teams' answers",
)
@api_requires(Perm.EXERCISE_CONTROL)
def tabletop(request: HttpRequest, limit: Annotated[int, Field(ge=1, le=100)] = 12) -> Any:
    from palermo.core import audit

    guard()
    services.tick()
    ex = services.current()
    prompts = tabletop_prompts(ex, limit)
    audit.record(
        action="read",
        actor=request.user,
        organisation=_org(request),
        object_type="exercise_tabletop",
        object_ref=str(ex.pk),
        details={"injects": [p["inject"] for p in prompts], "api": True},
        request=request,
    )
    return prompts


@router.post(
    "/tabletop/answers",
    response=with_errors({201: TabletopAnswerOut, 200: TabletopAnswerOut}),
    summary="Record a team's answer to a question of a delivered inject (again: replaces it)",
)
@api_requires(Perm.EXERCISE_CONTROL)
def tabletop_answer(request: HttpRequest, body: TabletopAnswerIn) -> Any:
    row, created = services.tabletop_answer_saved(
        actor=request.user,
        organisation=_org(request),
        delivery_id=body.delivery,
        question=body.question,
        text=body.text,
    )
    out = {
        "id": row.pk,
        "delivery": row.delivery_id,
        "question": row.question,
        "saved": "created" if created else "replaced",
    }
    return Status(201 if created else 200, out)


# --- downloads (the pages' files: same permissions, same TRAINING marking by the middleware) ---

PDF = {"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}}
CSV = {"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}}


@router.get(
    "/hotwash/{day}/pdf",
    summary="A day's hot-wash pack (PDF)",
    response=with_errors({200: None}),
    openapi_extra=PDF,
)
@api_requires(Perm.EXERCISE_CONTROL)
def hotwash_pdf(request: HttpRequest, day: Annotated[int, Field(ge=1, le=99)]) -> Any:
    from palermo.exercise.views import pdf_response

    guard()
    return pdf_response(request, day)


@router.get(
    "/aar/pdf",
    summary="The after-action report (PDF)",
    response=with_errors({200: None}),
    openapi_extra=PDF,
)
@api_requires(Perm.EXERCISE_DIRECT)
def aar_pdf(request: HttpRequest) -> Any:
    from palermo.exercise.views import pdf_response

    guard()
    return pdf_response(request, None)


@router.get(
    "/improvement-plan.csv",
    summary="The improvement plan (CSV)",
    response=with_errors({200: None}),
    openapi_extra=CSV,
)
@api_requires(Perm.EXERCISE_DIRECT)
def improvement_plan_csv(request: HttpRequest) -> Any:
    from palermo.exercise.views import improvement_csv_response

    guard()
    return improvement_csv_response(request)


# --- applications and selection (chief controller; personal data, audited) ---------------------


class ApplicationIn(Schema):
    reference: str = Field(max_length=40)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    organisation: str = Field(max_length=200)
    profession: str = Field(max_length=40)
    gender: str = Field(max_length=20)
    languages: str = Field(default="", max_length=200)


class ExerciseImportIn(Schema):
    csv: str = Field(max_length=2_000_000)


class SelectionIn(Schema):
    places: int = Field(ge=1, le=100_000)
    quotas: dict[str, Annotated[int, Field(ge=0, le=100_000)]] = Field(
        default_factory=dict, max_length=20
    )
    women_percent: int | None = Field(default=None, ge=0, le=100)
    country_cap: int | None = Field(default=None, ge=1, le=100_000)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class ExerciseDecisionOut(Schema):
    reference: str
    selected: bool
    reason: str
    rank: int


class ExerciseLineOut(Schema):
    key: str
    applied: int
    selected: int
    target: int | None
    met: bool | None


class SelectionOut(Schema):
    id: int
    seed: int
    places: int
    selected: int
    decisions: list[ExerciseDecisionOut]
    by_profession: list[ExerciseLineOut]
    by_gender: list[ExerciseLineOut]
    by_country: list[ExerciseLineOut]


def _selection_out(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "seed": run.seed,
        "places": run.places,
        "selected": sum(1 for d in run.decisions if d["selected"]),
        "decisions": [
            {
                "reference": d["ref"],
                "selected": d["selected"],
                "reason": d["reason"],
                "rank": d["rank"],
            }
            for d in run.decisions
        ],
        "by_profession": run.balance.get("profession", []),
        "by_gender": run.balance.get("gender", []),
        "by_country": run.balance.get("country", []),
    }


@router.post(
    "/applications", response=with_errors({201: dict[str, int]}), summary="Add an application"
)
@api_requires(Perm.EXERCISE_DIRECT)
def application_add(request: HttpRequest, body: ApplicationIn) -> Any:
    from palermo.exercise import applicants

    row = applicants.application_add(
        actor=request.user, organisation=_org(request), data=body.dict()
    )
    return Status(201, {"id": row.pk})


@router.post(
    "/applications/import",
    response=with_errors({201: dict[str, int]}),
    summary="Import applications from CSV text (every row or none)",
)
@api_requires(Perm.EXERCISE_DIRECT)
def applications_import(request: HttpRequest, body: ExerciseImportIn) -> Any:
    from palermo.exercise import applicants

    n = applicants.applications_import(
        actor=request.user, organisation=_org(request), text=body.csv
    )
    return Status(201, {"imported": n})


@router.post("/selection", response=with_errors({201: SelectionOut}), summary="Select trainees")
@api_requires(Perm.EXERCISE_DIRECT)
def selection_run(request: HttpRequest, body: SelectionIn) -> Any:
    from palermo.exercise import applicants

    data: dict[str, Any] = {
        "places": body.places,
        "women_percent": body.women_percent,
        "country_cap": body.country_cap,
        "seed": body.seed,
        **{f"quota_{p}": q for p, q in body.quotas.items()},
    }
    unknown = [p for p in body.quotas if f"quota_{p}" not in applicants.quota_fields()]
    if unknown:
        from palermo.core.errors import FieldError, InvalidInput

        raise InvalidInput(FieldError("quotas", _("Unknown profession: %s") % ", ".join(unknown)))
    run = applicants.run_selection(actor=request.user, organisation=_org(request), data=data)
    return Status(201, _selection_out(run))


@router.get("/selection", response=with_errors(SelectionOut), summary="The latest selection")
@api_requires(Perm.EXERCISE_DIRECT)
def selection_latest(request: HttpRequest) -> Any:
    from palermo.core import audit
    from palermo.core.errors import NotFound
    from palermo.exercise import applicants

    guard()
    run = applicants.latest_run(services.current())
    if run is None:
        raise NotFound(_("No selection has been made yet."), object_type="exercise_selection")
    audit.record(
        action="read",
        actor=request.user,
        organisation=_org(request),
        object_type="exercise_selection",
        object_ref=str(run.pk),
        request=request,
    )
    return _selection_out(run)
