"""Writes of the exercise context: load a scenario, run the clock and the injects, record
acknowledgements, observations, the end of a day and the improvement plan.

Every function refuses outside an exercise instance (``isolation.guard``; the models refuse
too) and writes its audit record in the same transaction as the change.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from palermo.core.models import Membership, Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.exercise import clock as clk
from palermo.exercise import engine, evidence
from palermo.exercise import texts as scenario_texts
from palermo.exercise.isolation import exercise_name, guard
from palermo.exercise.models import (
    DayEnd,
    Delivery,
    Exercise,
    ExpectedAction,
    ImprovementItem,
    Inject,
    Observation,
    Participant,
    Receipt,
    TabletopAnswer,
    Team,
)
from palermo.exercise.scenario import Scenario
from palermo.exercise.vocabulary import CHANNELS, CRITERIA, PATHS, RATINGS

DIRECTION_ROLE = {"chief": "chief_controller", "controller": "controller"}


def _check(actor: Any, organisation: Any, perm: str) -> None:
    if actor is not None and not has_perm(actor, perm, organisation):
        raise NotAllowed(_("You do not have permission to do this."), perm=perm)


def _audit(actor: Any, org: Any, action: str, object_type: str, ref: Any, **details: Any) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=org,
        object_type=object_type,
        object_ref=str(ref),
        details=details,
    )


def current() -> Exercise:
    ex = Exercise.objects.first()
    if ex is None:
        raise NotFound(_("No exercise is loaded in this instance."), object_type="exercise")
    return ex


# --- loading ----------------------------------------------------------------------------------


def _org_name(name: str, team: str | None) -> str:
    return f"{name} — {team}" if team else name


@transaction.atomic
def load_scenario(  # noqa: C901 – one branch per kind of participant
    scenario: Scenario,
    *,
    antennas: int = 4,
    controllers: int = 2,
    password: str | None = None,
    language: str = "",
) -> tuple[Exercise, list[tuple[str, str, str]]]:
    """Build the exercise from a checked scenario: organisations (one copy per team), accounts
    for every trainee, role-player, antenna and controller, and the MSEL. Returns the exercise
    and the logins (username, password, what). Refused outside an exercise instance and in a
    database that already holds an exercise or any account.

    ``language`` (one of the package's ``translations.yaml`` languages) is the language of what
    is stored in Palermo's own tables and read there by everyone alike: the organisations'
    names, the teams' names, the roles' titles and the seeded case files (summary, documents),
    and the service directory's areas. The exercise's pages show the other texts in each
    reader's language (``texts.for_reader``)."""
    guard()
    stored = _stored_texts(scenario, language)
    if Exercise.objects.exists():
        raise Conflict(_("This instance already holds an exercise: reset it first."))
    if User.objects.exists():
        raise Conflict(
            _("This database already holds accounts: an exercise needs a database of its own.")
        )
    password = password or "Exercise-" + secrets.token_urlsafe(9)
    ex = Exercise.objects.create(
        name=exercise_name(),
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        title=scenario.title,
        summary=scenario.summary,
        days=scenario.days,
        day_start_minutes=scenario.day_start_minutes,
        package=scenario.files,
        country=scenario.country,
        personas=list(scenario.personas),
        sop_steps=list(scenario.sop_steps),
    )
    teams = {
        t["key"]: Team.objects.create(
            exercise=ex, key=t["key"], name=stored.team(_Keyed(t["key"], t["name"]))
        )
        for t in scenario.teams
    }
    orgs_by_key = {o["key"]: o for o in scenario.organisations}
    logins: list[tuple[str, str, str]] = []
    team_orgs: dict[str, set[int]] = {key: set() for key in teams}

    def org_for(key: str, team: Team | None) -> Organisation:
        spec = orgs_by_key[key]
        org, _created = Organisation.objects.get_or_create(
            name=_org_name(stored.organisation(key, spec["name"]), team.name if team else None),
            defaults={
                "org_type": spec["type"],
                "country": "XK",
                "is_identification_body": bool(spec.get("identification_body")),
            },
        )
        if team is not None and org.pk not in team_orgs[team.key]:
            team_orgs[team.key].add(org.pk)  # the team's scope (palermo.exercise.scope)
            team.organisation_ids = sorted(team_orgs[team.key])
            team.save(update_fields=["organisation_ids"])
        return org

    def account(
        username: str,
        role: dict[str, Any],
        team: Team | None,
        memberships: list[tuple[Organisation, str]],
    ) -> None:
        user = User.objects.create_user(username=username, password=password)
        for org, r in memberships:
            Membership.objects.get_or_create(user=user, organisation=org, role=r)
        Participant.objects.create(
            exercise=ex,
            user=user,
            role_key=role["key"],
            role_title=stored.role(role["key"], role["title"]),
            kind=role["kind"],
            team=team,
        )
        title = stored.role(role["key"], role["title"])
        logins.append((username, password, title + (f" — {team.name}" if team else "")))

    direction_org_key = _direction_org_key(scenario)
    for role in scenario.roles:
        kind = role["kind"]
        if kind == "trainee":
            for team in teams.values():
                org = org_for(role["organisation"], team)
                for n in range(1, int(role.get("per_team", 1)) + 1):
                    account(
                        f"{team.key}-{role['key']}-{n}",
                        role,
                        team,
                        [(org, "trainee"), *((org, r) for r in role["palermo_roles"])],
                    )
        else:
            org = org_for(role.get("organisation") or direction_org_key, None)
            if kind == "role_player":
                account(role["key"], role, None, [(org, "role_player")])
            elif kind == "observer":
                for n in range(1, antennas + 1):
                    account(f"{role['key']}-{n}", role, None, [(org, "antenna")])
            elif role["key"] == "chief":
                account("chief", role, None, [(org, "chief_controller")])
            else:
                for n in range(1, controllers + 1):
                    account(f"{role['key']}-{n}", role, None, [(org, "controller")])
    _seed_service_directory(scenario, teams, org_for, stored)
    seeded = _seed_cases(scenario, teams, org_for, stored)
    for x in scenario.injects:
        row = Inject.objects.create(
            exercise=ex,
            key=x.id,
            kind=x.kind,
            path=x.path,
            sender=x.sender,
            receivers=list(x.receivers),
            channel=x.channel,
            title=x.title,
            content=x.content,
            cue=x.cue,
            at_seconds=x.at_seconds,
            persona=x.persona,
            organisation=x.organisation,
            condition=asdict(x.condition) if x.condition else None,
            questions=list(x.questions),
        )
        for ea in x.expected_actions:
            ExpectedAction.objects.create(
                inject=row,
                key=ea.id,
                text=ea.text,
                criterion=ea.criterion,
                sop_step=ea.sop_step,
                deadline_minutes=ea.deadline_minutes,
                evidence=ea.evidence,
            )
    _audit(
        None,
        None,
        "create",
        "exercise",
        ex.pk,
        scenario=scenario.id,
        version=scenario.version,
        accounts=len(logins),
        injects=len(scenario.injects),
        cases=seeded,
    )
    return ex, logins


def _stored_texts(scenario: Scenario, language: str) -> scenario_texts.Texts:
    """The package's texts in ``language`` for what ``load_scenario`` stores in Palermo's own
    tables; a language the package has no texts in is refused before anything is written."""
    if language and language != scenario.language and language not in scenario.translations:
        raise InvalidInput(
            [
                FieldError(
                    "language",
                    _("The scenario has no texts in %(lang)s: translations.yaml lacks it.")
                    % {"lang": language},
                )
            ]
        )
    return scenario_texts.of_package(
        scenario.translations, "" if language == scenario.language else language
    )


class _Keyed:
    """A team of the package before it is stored (``texts.Texts.team`` reads key and name)."""

    def __init__(self, key: str, name: str) -> None:
        self.key, self.name = key, name


def _direction_org_key(scenario: Scenario) -> str:
    """The organisation the direction, antennas and role-players belong to (never copied)."""
    return next(
        (
            r["organisation"]
            for r in scenario.roles
            if r["kind"] != "trainee" and r.get("organisation")
        ),
        scenario.organisations[-1]["key"],
    )


def _seed_service_directory(
    scenario: Scenario, teams: dict[str, Team], org_for: Any, stored: scenario_texts.Texts
) -> None:
    """The country's services run by a scenario organisation go into Palermo's own service
    directory (cases' service), one per team's copy, so trainees refer in the real screens.
    Registered by the team's identification officer (the directory is theirs to keep)."""
    from palermo.cases import services as cases_services

    coordinator_role = next(
        (
            r
            for r in scenario.roles
            if r["kind"] == "trainee" and "coordinator" in r.get("palermo_roles", [])
        ),
        None,
    )
    country = stored.country(scenario.country)
    services_run = [s for s in country.get("services", []) if s.get("organisation")]
    if coordinator_role is None or not services_run:
        return
    for team in teams.values():
        coord = Participant.objects.filter(team=team, role_key=coordinator_role["key"]).first()
        if coord is None:
            continue
        coord_org = org_for(coordinator_role["organisation"], team)
        for svc in services_run:  # every copy first: they are all in the team's scope
            org_for(svc["organisation"], team)
        for svc in services_run:
            cases_services.service_provider_save(
                actor=coord.user,
                organisation=coord_org,
                provider_organisation=org_for(svc["organisation"], team),
                service_types=list(svc["service_types"]),
                capacity=int(svc.get("capacity", 0)),
                languages=[],
                area_served=str(svc.get("region", ""))[:200],
                accepts_children=bool(svc.get("accepts_children", False)),
            )


def _seed_cases(
    scenario: Scenario, teams: dict[str, Team], org_for: Any, stored: scenario_texts.Texts
) -> int:
    """The package's pre-opened case files, one copy per team: opened by the first account of
    the ``opened_by`` role through the cases context's services (never its models), so the
    case, its team, timeline and audit entries are exactly what the real screens make. Each
    document becomes a note on the case. The scenario checked the values; anything the cases
    context still refuses raises and, in ``load_scenario``'s transaction, loads nothing."""
    from palermo.cases import services as cases_services

    personas = {p["key"]: stored.persona(p) for p in scenario.personas}
    n = 0
    for spec in (stored.case(c) for c in scenario.cases):
        role = scenario.role(spec["opened_by"])
        persona = personas[spec["persona"]]
        person = dict(spec.get("person") or {})
        if not person.get("given_name") and not person.get("family_name"):
            person["given_name"] = persona["name"]
        for team in teams.values():
            opener = (
                Participant.objects.filter(team=team, role_key=role["key"])
                .select_related("user")
                .order_by("user__username")
                .first()
            )
            if opener is None:
                continue
            org = org_for(role["organisation"], team)
            case = cases_services.case_open(
                actor=opener.user,
                organisation=org,
                source=spec["source"],
                person=person,
                exploitation_forms=list(spec["exploitation_forms"]),
                is_child_or_presumed_child=bool(spec.get("child", persona.get("child", False))),
                summary=str(spec.get("summary", "")),
            )
            for doc in spec.get("documents", []):
                cases_services.note_add(
                    actor=opener.user,
                    organisation=org,
                    case=case,
                    text=f"{doc['title']}\n\n{doc['text']}",
                )
            n += 1
    return n


# --- the clock --------------------------------------------------------------------------------


def clock_of(ex: Exercise) -> clk.Clock:
    return clk.Clock(
        started=ex.clock_started,
        running=ex.clock_running,
        anchor_wall=ex.clock_anchor_wall,
        anchor_sim=ex.clock_anchor_sim,
        speed=ex.clock_speed,
    )


def wall_now() -> float:
    return timezone.now().timestamp()


def sim_now(ex: Exercise, wall: float | None = None) -> float:
    return clock_of(ex).now(wall_now() if wall is None else wall)


CLOCK_ACTS = ("start", "pause", "resume", "speed", "jump")


def clock_act(*, actor: Any, organisation: Any, act: str, value: str = "") -> Exercise:
    """Start, pause, resume, change speed or jump (``value``: a speed, or "D2 09:00")."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_DIRECT)
    with transaction.atomic():
        ex = Exercise.objects.select_for_update().get(pk=current().pk)
        c, wall = clock_of(ex), wall_now()
        try:
            if act == "start":
                c = c.start(wall)
            elif act == "pause":
                c = c.pause(wall)
            elif act == "resume":
                c = c.resume(wall)
            elif act == "speed":
                try:
                    speed = float(value)
                except ValueError:
                    raise InvalidInput(
                        [FieldError("value", _("Give the speed as a number, e.g. 10."))]
                    ) from None
                c = c.set_speed(wall, speed)
            elif act == "jump":
                c = c.jump(wall, _parse_sim(value, ex))
            else:
                raise InvalidInput([FieldError("act", _("Unknown clock action."))])
        except clk.ClockError as exc:
            raise InvalidInput([FieldError("value", exc.args[0])]) from exc
        ex.clock_started, ex.clock_running = c.started, c.running
        ex.clock_anchor_wall, ex.clock_anchor_sim, ex.clock_speed = (
            c.anchor_wall,
            c.anchor_sim,
            c.speed,
        )
        ex.save()
        _audit(
            actor,
            organisation,
            "update",
            "exercise_clock",
            ex.pk,
            act=act,
            sim=round(c.now(wall)),
            speed=c.speed,
        )
    return ex


def _parse_sim(value: str, ex: Exercise) -> float:
    import re

    m = re.fullmatch(r"\s*D(\d{1,2})\s+(\d{1,2}):(\d{2})\s*", value or "")
    if not m or int(m.group(3)) > 59 or int(m.group(2)) > 23:
        raise InvalidInput(
            [FieldError("value", _("Give the exercise time as day and time, e.g. D2 09:00."))]
        )
    secs = clk.sim_seconds_of(
        int(m.group(1)), int(m.group(2)), int(m.group(3)), ex.day_start_minutes
    )
    if secs < 0 or int(m.group(1)) > ex.days:
        raise InvalidInput([FieldError("value", _("That time is outside the exercise's days."))])
    return float(secs)


# --- the inject engine -------------------------------------------------------------------------


def _scenario_inject(row: Inject) -> Any:
    from palermo.exercise.scenario import Condition
    from palermo.exercise.scenario import ExpectedAction as EA
    from palermo.exercise.scenario import Inject as SI

    cond = row.condition
    return SI(
        id=row.key,
        kind=row.kind,
        path=row.path,
        sender=row.sender,
        receivers=tuple(row.receivers),
        channel=row.channel,
        title=row.title,
        at_seconds=row.at_seconds,
        condition=Condition(cond["after_inject"], cond["minutes"], cond["unless"])
        if cond
        else None,
        expected_actions=tuple(
            EA(
                id=e.key,
                text=e.text,
                criterion=e.criterion,
                deadline_minutes=e.deadline_minutes,
                evidence=e.evidence,
            )
            for e in row.expected_actions.all()
        ),
    )


def _deliver(
    ex: Exercise, inject: Inject, team: Team, fired_by: str, sim: float
) -> Delivery | None:
    """Deliver ``inject`` to ``team`` once: to the receiving trainees' inboxes and the sending
    role-player's cue cards. None when the team already had it (a concurrent tick)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            d = Delivery.objects.create(
                inject=inject,
                team=team,
                delivered_at=now,
                delivered_sim=sim,
                day=clk.day_and_time(sim, ex.day_start_minutes)[0],
                fired_by=fired_by,
            )
    except IntegrityError:
        return None
    people = Participant.objects.filter(exercise=ex).filter(models_q_receivers(inject, team))
    Receipt.objects.bulk_create([Receipt(delivery=d, participant=p) for p in people])
    _audit(
        None,
        None,
        "create",
        "exercise_delivery",
        d.pk,
        inject=inject.key,
        team=team.key,
        fired_by=fired_by,
        recipients=len(people),
    )
    return d


def models_q_receivers(inject: Inject, team: Team) -> Any:
    from django.db.models import Q

    return (
        Q(kind="trainee", team=team, role_key__in=inject.receivers)
        | Q(kind="role_player", role_key=inject.sender)
        | Q(kind="role_player", role_key__in=inject.receivers)
    )


def tick(ex: Exercise | None = None) -> list[Delivery]:
    """Deliver every scheduled inject whose time has come and every contingency whose condition
    holds. Safe to call from several requests at once (each team gets an inject once)."""
    guard()
    ex = ex or current()
    if not ex.clock_started:
        return []
    now_sim = sim_now(ex)
    teams = {t.key: t for t in ex.teams.all()}
    rows = {i.key: i for i in ex.injects.prefetch_related("expected_actions")}
    delivered = {
        (d.inject.key, d.team.key): d
        for d in Delivery.objects.filter(inject__exercise=ex).select_related("inject", "team")
    }
    out: list[Delivery] = []
    sc_injects = [
        _scenario_inject(r) for r in rows.values() if r.kind in ("scheduled", "conditional")
    ]
    for i, t in engine.due_scheduled(sc_injects, now_sim, set(delivered), teams):
        d = _deliver(ex, rows[i.id], teams[t], "clock", float(i.at_seconds or now_sim))
        if d:
            out.append(d)
            delivered[(i.id, t)] = d
    from palermo.exercise.selectors import facts_by_team

    # Every team's facts in one read of the trail (not two queries per team on every tick: a
    # contingency whose `unless` is met stays a candidate, so this runs on each page view).
    # Read from the earliest trigger's delivery; evidence.find keeps each team's own window.
    facts: dict[int, list[evidence.Fact]] | None = None

    def met(rule: str, team_key: str, trigger: str) -> bool:
        nonlocal facts
        if facts is None:
            triggers = {i.condition.after_inject for i in sc_injects if i.condition}
            facts = facts_by_team(
                ex, min(d.delivered_at for (k, _t), d in delivered.items() if k in triggers)
            )
        since = delivered[(trigger, team_key)].delivered_at.timestamp()
        return evidence.find(rule, facts.get(teams[team_key].pk, []), since).met

    at_sim = {k: d.delivered_sim for k, d in delivered.items()}
    for i, t in engine.due_contingencies(sc_injects, now_sim, at_sim, teams, met):
        d = _deliver(ex, rows[i.id], teams[t], "condition", now_sim)
        if d:
            out.append(d)
    return out


def fire(*, actor: Any, organisation: Any, inject_id: int, team_keys: list[str]) -> list[Delivery]:
    """A controller fires a manual or contingency inject (or any not yet delivered) to teams."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_CONTROL)
    ex = current()
    inject = Inject.objects.filter(exercise=ex, pk=inject_id).first()
    if inject is None:
        raise NotFound(_("No such inject."), object_type="exercise_inject")
    teams = list(ex.teams.filter(key__in=team_keys)) if team_keys else list(ex.teams.all())
    if not teams:
        raise InvalidInput([FieldError("teams", _("Choose at least one team."))])
    out = [d for t in teams if (d := _deliver(ex, inject, t, "controller", sim_now(ex)))]
    _audit(
        actor,
        organisation,
        "update",
        "exercise_inject",
        inject.key,
        fired_to=[t.key for t in teams],
        delivered=len(out),
    )
    return out


def adhoc(*, actor: Any, organisation: Any, data: dict[str, Any]) -> Inject:
    """An inject written on the spot by a controller, delivered at once to the chosen teams."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_CONTROL)
    ex = current()
    errors: list[FieldError] = []
    title = str(data.get("title", "")).strip()
    content = str(data.get("content", "")).strip()
    channel = str(data.get("channel", ""))
    path = str(data.get("path", "")) or "both"
    receivers = [r for r in data.get("receivers", []) if r]
    trainee_roles = set(
        Participant.objects.filter(exercise=ex, kind="trainee").values_list("role_key", flat=True)
    )
    if not title:
        errors.append(FieldError("title", _("Give the inject a title.")))
    if len(title) > 300:
        errors.append(FieldError("title", _("At most 300 characters.")))
    if channel not in CHANNELS:
        errors.append(FieldError("channel", _("Choose a channel.")))
    if path not in PATHS:
        errors.append(FieldError("path", _("Choose a path.")))
    if not receivers or any(r not in trainee_roles for r in receivers):
        errors.append(FieldError("receivers", _("Choose the receiving trainee roles.")))
    team_keys = [t for t in data.get("teams", []) if t]
    if team_keys and set(team_keys) - set(ex.teams.values_list("key", flat=True)):
        errors.append(FieldError("teams", _("Unknown team.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        n = Inject.objects.filter(exercise=ex, kind="adhoc").count() + 1
        inject = Inject.objects.create(
            exercise=ex,
            key=f"ADHOC-{n:02d}",
            kind="adhoc",
            path=path,
            sender="controller",
            receivers=receivers,
            channel=channel,
            title=title,
            content=content,
            created_by=actor,
        )
        _audit(actor, organisation, "create", "exercise_inject", inject.key, adhoc=True)
    fire(actor=actor, organisation=organisation, inject_id=inject.pk, team_keys=team_keys)
    return inject


def acknowledge(*, actor: Any, organisation: Any, receipt_id: int) -> Receipt:
    guard()
    if not (
        has_perm(actor, Perm.EXERCISE_TRAIN, organisation)
        or has_perm(actor, Perm.EXERCISE_ROLEPLAY, organisation)
    ):
        raise NotAllowed(_("You do not have permission to do this."), perm=Perm.EXERCISE_TRAIN)
    r = (
        Receipt.objects.filter(pk=receipt_id, participant__user=actor)
        .select_related("delivery__inject")
        .first()
    )
    if r is None:
        raise NotFound(_("No such message in your inbox."), object_type="exercise_receipt")
    if r.acknowledged_at is None:
        with transaction.atomic():
            r.acknowledged_at = timezone.now()
            r.save(update_fields=["acknowledged_at"])
            _audit(
                actor,
                organisation,
                "update",
                "exercise_receipt",
                r.pk,
                acknowledged=True,
                inject=r.delivery.inject.key,
            )
    return r


# --- observations ------------------------------------------------------------------------------


def observe(  # noqa: C901 – one check per field, all reported together
    *, actor: Any, organisation: Any, data: dict[str, Any]
) -> tuple[Observation, bool]:
    """Record an antenna's observation. ``data["client_id"]`` (drawn with the form) makes a
    resend idempotent: the same observation sent twice is stored once. Returns (row, created)."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_OBSERVE)
    ex = current()
    antenna = Participant.objects.filter(exercise=ex, user=actor).first()
    if antenna is None:
        raise NotAllowed(
            _("Only a participant of this exercise may observe."), perm=Perm.EXERCISE_OBSERVE
        )
    errors: list[FieldError] = []
    try:
        client_id = uuid.UUID(str(data.get("client_id", "")))
    except ValueError:
        client_id = None
        errors.append(FieldError("client_id", _("The form is damaged: open the page again.")))
    if client_id is not None:
        existing = Observation.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.antenna_id != antenna.pk:
                raise Conflict(_("This observation was sent by someone else."))
            return existing, False
    criterion = str(data.get("criterion", ""))
    rating = str(data.get("rating", "") or "")
    note = str(data.get("note", "")).strip()
    deviation = str(data.get("deviation", "")).lower() in {"1", "true", "on", "yes"}
    if criterion not in CRITERIA:
        errors.append(FieldError("criterion", _("Choose the criterion you observed.")))
    if rating and rating not in RATINGS:
        errors.append(FieldError("rating", _("Choose one of the four ratings.")))
    team = ex.teams.filter(key=str(data.get("team", ""))).first() if data.get("team") else None
    if data.get("team") and team is None:
        errors.append(FieldError("team", _("Unknown team.")))
    action = None
    if data.get("expected_action"):
        action = (
            ExpectedAction.objects.filter(inject__exercise=ex, key=str(data["expected_action"]))
            .select_related("inject")
            .first()
        )
        if action is None:
            errors.append(FieldError("expected_action", _("Unknown expected action.")))
    if rating and action is None:
        errors.append(
            FieldError("rating", _("A rating is given to an expected action: choose one."))
        )
    if not note and not rating:
        errors.append(FieldError("note", _("Write what you saw, or rate an expected action.")))
    if len(note) > 4000:
        errors.append(FieldError("note", _("At most 4,000 characters.")))
    if errors:
        raise InvalidInput(errors)
    assert client_id is not None
    now_sim = sim_now(ex)
    try:
        with transaction.atomic():
            row = Observation.objects.create(
                exercise=ex,
                client_id=client_id,
                antenna=antenna,
                team=team,
                inject=action.inject if action else None,
                expected_action=action,
                criterion=criterion,
                path=action.inject.path if action else str(data.get("path", "") or ""),
                rating=rating,
                deviation=deviation,
                note=note,
                received_at=timezone.now(),
                sim_seconds=now_sim,
                day=clk.day_and_time(now_sim, ex.day_start_minutes)[0],
            )
            _audit(
                actor,
                organisation,
                "create",
                "exercise_observation",
                row.pk,
                criterion=criterion,
                rating=rating,
                deviation=deviation,
            )
    except IntegrityError:  # the same observation arrived twice at once
        return Observation.objects.get(client_id=client_id), False
    return row, True


def deviation_seen(*, actor: Any, organisation: Any, observation_id: int) -> None:
    guard()
    _check(actor, organisation, Perm.EXERCISE_CONTROL)
    with transaction.atomic():
        n = Observation.objects.filter(
            pk=observation_id, deviation=True, deviation_seen_at__isnull=True
        ).update(deviation_seen_at=timezone.now())
        if n:
            _audit(
                actor,
                organisation,
                "update",
                "exercise_observation",
                observation_id,
                deviation_seen=True,
            )


# --- the tabletop variant -----------------------------------------------------------------------


def tabletop_answer(
    *, actor: Any, organisation: Any, delivery_id: int, question: int, text: str
) -> TabletopAnswer:
    """See :func:`tabletop_answer_saved` (this returns the row only)."""
    return tabletop_answer_saved(
        actor=actor,
        organisation=organisation,
        delivery_id=delivery_id,
        question=question,
        text=text,
    )[0]


def tabletop_answer_saved(
    *, actor: Any, organisation: Any, delivery_id: int, question: int, text: str
) -> tuple[TabletopAnswer, bool]:
    """The facilitator records a team's answer to one discussion question of a delivered
    inject (an inject without questions has one: the team's decision). A second answer to the
    same question replaces the text; both writes are audited (ids only, never the text).
    Returns the row and whether it was created (False: replaced). Web page, API and CLI."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_CONTROL)
    ex = current()
    d = (
        Delivery.objects.filter(pk=delivery_id, inject__exercise=ex)
        .select_related("inject")
        .first()
    )
    if d is None:
        raise NotFound(_("No such inject."), object_type="exercise_delivery")
    errors: list[FieldError] = []
    if not 0 <= question < max(1, len(d.inject.questions or [])):
        errors.append(FieldError("question", _("Unknown question.")))
    text = str(text or "").strip()
    if not text:
        errors.append(FieldError("text", _("Write the team's answer.")))
    elif len(text) > 4000:
        errors.append(FieldError("text", _("At most 4,000 characters.")))
    if errors:
        raise InvalidInput(errors)
    now_sim = sim_now(ex)
    with transaction.atomic():
        row, created = TabletopAnswer.objects.update_or_create(
            delivery=d,
            question=question,
            defaults={
                "text": text,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
                "sim_seconds": now_sim,
            },
        )
        _audit(
            actor,
            organisation,
            "create" if created else "update",
            "exercise_tabletop_answer",
            row.pk,
            delivery=d.pk,
            question=question,
        )
    return row, created


# --- days and the improvement plan --------------------------------------------------------------


def end_day(*, actor: Any, organisation: Any) -> DayEnd:
    """End the current exercise day: the clock pauses; the day's hot-wash pack is ready."""
    guard()
    _check(actor, organisation, Perm.EXERCISE_DIRECT)
    ex = current()
    wall = wall_now()
    c = clock_of(ex)
    now_sim = c.now(wall)
    day = clk.day_and_time(now_sim, ex.day_start_minutes)[0]
    with transaction.atomic():
        if DayEnd.objects.filter(exercise=ex, day=day).exists():
            raise Conflict(_("Day %(day)s has already ended.") % {"day": day})
        if c.running:
            c = c.pause(wall)
            ex.clock_running, ex.clock_anchor_sim, ex.clock_anchor_wall = (
                c.running,
                c.anchor_sim,
                c.anchor_wall,
            )
            ex.save()
        row = DayEnd.objects.create(
            exercise=ex, day=day, ended_at=timezone.now(), sim_seconds=now_sim
        )
        _audit(actor, organisation, "update", "exercise", ex.pk, day_ended=day)
    return row


def improvement_add(*, actor: Any, organisation: Any, data: dict[str, Any]) -> ImprovementItem:
    guard()
    _check(actor, organisation, Perm.EXERCISE_DIRECT)
    ex = current()
    errors: list[FieldError] = []
    fields = {
        k: str(data.get(k, "")).strip()
        for k in ("issue", "corrective_action", "owner", "criterion")
    }
    for k, msg in (
        ("issue", _("Describe the issue.")),
        ("corrective_action", _("Describe the corrective action.")),
        ("owner", _("Name the organisation that owns the action.")),
    ):
        if not fields[k]:
            errors.append(FieldError(k, msg))
    if fields["criterion"] not in CRITERIA:
        errors.append(FieldError("criterion", _("Choose the criterion.")))
    due = data.get("due_date")
    if not isinstance(due, date):
        try:
            due = date.fromisoformat(str(due or ""))
        except ValueError:
            errors.append(
                FieldError("due_date", _("Give the due date as a date, e.g. 2027-03-31."))
            )
    if errors:
        raise InvalidInput(errors)
    assert isinstance(due, date)
    with transaction.atomic():
        item = ImprovementItem.objects.create(exercise=ex, due_date=due, **fields)
        _audit(
            actor, organisation, "create", "exercise_improvement", item.pk, criterion=item.criterion
        )
    return item


def sim_label(ex: Exercise, seconds: float) -> str:
    return clk.format_time(seconds, ex.day_start_minutes)


def wall_label(when: datetime) -> str:
    return when.strftime("%H:%M:%S")
