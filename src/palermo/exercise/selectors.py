"""Reads of the exercise context: inbox, cue cards, the direction's live picture, evidence,
the hot-wash pack and the after-action report. Callers check the permission (views, API, CLI)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from palermo.core.selectors import audit_facts_of_actors
from palermo.exercise import clock as clk
from palermo.exercise import engine, evidence
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
from palermo.exercise.vocabulary import CRITERIA, RATINGS


def exercise_or_none() -> Exercise | None:
    return Exercise.objects.first()


def participant_of(user: Any) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.filter(user=user).select_related("team").first()


def inbox(participant: Participant) -> QuerySet[Receipt]:
    return Receipt.objects.filter(participant=participant).select_related(
        "delivery__inject", "delivery__team"
    )


def _fact(r: dict[str, Any]) -> evidence.Fact:
    return evidence.Fact(
        entry_id=r["id"],
        at=r["at"].timestamp(),
        actor_id=r["actor_id"],
        action=r["action"],
        object_type=r["object_type"],
        object_ref=r["object_ref"],
        what=r["what"],
        service_type=r.get("service_type", ""),
        organisation_id=r.get("organisation_id"),
    )


def team_facts(team: Team, since: datetime) -> list[evidence.Fact]:
    ids = list(Participant.objects.filter(team=team).values_list("user_id", flat=True))
    return [_fact(r) for r in audit_facts_of_actors(ids, since)]


def facts_by_team(ex: Exercise, since: datetime) -> dict[int, list[evidence.Fact]]:
    """Every team's facts from ``since`` in one read of the audit trail."""
    team_of = dict(
        Participant.objects.filter(exercise=ex, team__isnull=False).values_list(
            "user_id", "team_id"
        )
    )
    out: dict[int, list[evidence.Fact]] = defaultdict(list)
    for r in audit_facts_of_actors(list(team_of), since):
        out[team_of[r["actor_id"]]].append(_fact(r))
    return out


@dataclass
class ActionRow:
    action: ExpectedAction
    team: Team
    delivery: Delivery
    due_sim: float
    done: bool
    overdue: bool
    finding: evidence.Finding | None
    ratings: list[str] = field(default_factory=list)


def action_rows(ex: Exercise, now_sim: float, day: int | None = None) -> list[ActionRow]:
    """Every expected action of every delivered inject, per team: deadline, evidence, ratings."""
    deliveries = list(
        Delivery.objects.filter(inject__exercise=ex, **({"day": day} if day is not None else {}))
        .select_related("inject", "team")
        .prefetch_related("inject__expected_actions")
    )
    ratings: dict[tuple[int, int | None], list[str]] = defaultdict(list)
    for o in Observation.objects.filter(exercise=ex, expected_action__isnull=False).exclude(
        rating=""
    ):
        assert o.expected_action_id is not None
        ratings[(o.expected_action_id, o.team_id)].append(o.rating)
    facts = facts_by_team(ex, min(d.delivered_at for d in deliveries)) if deliveries else {}
    rows = []
    for d in deliveries:
        for ea in d.inject.expected_actions.all():
            finding = (
                evidence.find(ea.evidence, facts.get(d.team_id, []), d.delivered_at.timestamp())
                if ea.evidence
                else None
            )
            r = ratings.get((ea.pk, d.team_id), [])
            done_ = bool(finding and finding.met) or "performed" in r or "some_challenges" in r
            due = d.delivered_sim + ea.deadline_minutes * 60
            rows.append(
                ActionRow(ea, d.team, d, due, done_, (not done_) and now_sim > due, finding, r)
            )
    return rows


def dashboard(ex: Exercise) -> dict[str, Any]:
    from palermo.exercise.services import clock_of

    wall = timezone.now().timestamp()
    c = clock_of(ex)
    now_sim = c.now(wall)
    deliveries = list(
        Delivery.objects.filter(inject__exercise=ex)
        .select_related("inject", "team")
        .order_by("-delivered_sim", "-id")[:60]
    )
    acks = Counter(
        Receipt.objects.filter(delivery__in=deliveries, acknowledged_at__isnull=False).values_list(
            "delivery_id", flat=True
        )
    )
    totals = Counter(
        Receipt.objects.filter(delivery__in=deliveries).values_list("delivery_id", flat=True)
    )
    rows = action_rows(ex, now_sim)
    delivered_keys = set(
        Delivery.objects.filter(inject__exercise=ex).values_list("inject__key", "team__key")
    )
    teams = list(ex.teams.all())
    pending = [
        i
        for i in ex.injects.exclude(kind="scheduled").exclude(kind="adhoc")
        if any((i.key, t.key) not in delivered_keys for t in teams)
    ]
    upcoming = [
        i
        for i in ex.injects.filter(kind="scheduled", at_seconds__gt=now_sim).order_by("at_seconds")[
            :5
        ]
    ]
    return {
        "clock": c,
        "now_sim": now_sim,
        "now_label": clk.format_time(now_sim, ex.day_start_minutes),
        "timeline": [
            {"d": d, "acked": acks.get(d.pk, 0), "total": totals.get(d.pk, 0)} for d in deliveries
        ],
        "deviations": list(
            Observation.objects.filter(exercise=ex, deviation=True)
            .select_related("team", "antenna__user", "expected_action")
            .order_by("deviation_seen_at", "-received_at")[:20]
        ),
        "unseen_deviations": Observation.objects.filter(
            exercise=ex, deviation=True, deviation_seen_at__isnull=True
        ).count(),
        "overdue": [r for r in rows if r.overdue],
        "done": sum(1 for r in rows if r.done),
        "actions": len(rows),
        "pending_injects": pending,
        "upcoming": upcoming,
        "teams": teams,
        "day_ends": list(ex.day_ends.all()),
    }


# --- hot wash and after-action report -----------------------------------------------------------


@dataclass
class Report:
    exercise: Exercise
    day: int | None
    deliveries: int
    rows: list[ActionRow]
    observations: list[Observation]
    by_criterion: dict[str, dict[str, Any]]
    rating_counts: dict[str, int]
    figures: list[dict[str, Any]]
    improvements: list[ImprovementItem]
    strengths: list[Observation]
    areas: list[Observation]
    answers: list[dict[str, Any]] = field(default_factory=list)


def report(ex: Exercise, day: int | None = None) -> Report:
    """The hot-wash pack of ``day``, or (``day`` None) the after-action report of the whole exercise."""
    from palermo.exercise.services import sim_now

    now_sim = sim_now(ex)
    rows = action_rows(ex, now_sim, day)
    obs_qs = Observation.objects.filter(exercise=ex).select_related(
        "team", "antenna__user", "expected_action", "inject"
    )
    if day is not None:
        obs_qs = obs_qs.filter(day=day)
    observations = list(obs_qs.order_by("sim_seconds", "id"))
    by_criterion: dict[str, dict[str, Any]] = {}
    for key in CRITERIA:
        crit_rows = [r for r in rows if r.action.criterion == key]
        crit_obs = [o for o in observations if o.criterion == key]
        by_criterion[key] = {
            "actions": len(crit_rows),
            "done": sum(1 for r in crit_rows if r.done),
            "overdue": sum(1 for r in crit_rows if r.overdue),
            "deviations": [o for o in crit_obs if o.deviation],
            "notes": [o for o in crit_obs if o.note and not o.deviation],
        }
    rating_counts = {k: 0 for k in RATINGS}
    for o in observations:
        if o.rating:
            rating_counts[o.rating] += 1
    deliveries = Delivery.objects.filter(inject__exercise=ex)
    if day is not None:
        deliveries = deliveries.filter(day=day)
    return Report(
        exercise=ex,
        day=day,
        deliveries=deliveries.count(),
        rows=rows,
        observations=observations,
        by_criterion=by_criterion,
        rating_counts=rating_counts,
        figures=team_figures(ex, day),
        improvements=list(ex.improvements.all()),
        strengths=[o for o in observations if o.rating == "performed" and o.note],
        areas=[
            o
            for o in observations
            if o.deviation or o.rating in ("major_challenges", "not_performed")
        ],
        answers=tabletop_answers(ex, day),
    )


def _team_starts(ex: Exercise, day: int | None) -> dict[int, datetime]:
    """Each team's first delivery (of ``day``): the start of its figures' window."""
    from django.db.models import Min

    qs = Delivery.objects.filter(inject__exercise=ex)
    if day is not None:
        qs = qs.filter(day=day)
    return {
        r["team_id"]: r["first"]
        for r in qs.values("team_id").annotate(first=Min("delivered_at")).order_by()
    }


def team_figures(ex: Exercise, day: int | None = None) -> list[dict[str, Any]]:
    """Per team that received an inject (of ``day``): every figure of ``evidence.FIGURES``,
    each keeping the ids of the audit entries it came from. One read of the trail."""
    starts = _team_starts(ex, day)
    if not starts:
        return []
    facts = facts_by_team(ex, min(starts.values()))
    out = []
    for team in ex.teams.filter(pk__in=list(starts)).order_by("key"):
        since = starts[team.pk].timestamp()
        out.append(
            {
                "team": team,
                "figures": [
                    {
                        "key": key,
                        "label": label,
                        "figure": evidence.figure(key, facts.get(team.pk, []), since),
                    }
                    for key, (label, _kind) in evidence.FIGURES.items()
                ],
            }
        )
    return out


def team_figure(
    ex: Exercise, team: Team, key: str, day: int | None = None
) -> evidence.Figure | None:
    """One team figure, computed as the report computes it (None: no inject reached the team)."""
    start = _team_starts(ex, day).get(team.pk)
    if start is None:
        return None
    return evidence.figure(key, team_facts(team, start), start.timestamp())


def delivery_of(ex: Exercise, delivery_id: int) -> Delivery | None:
    return (
        Delivery.objects.filter(inject__exercise=ex, pk=delivery_id)
        .select_related("inject", "team")
        .first()
    )


def delivery_by_keys(ex: Exercise, inject_key: str, team_key: str) -> Delivery | None:
    """The delivery of inject ``inject_key`` (e.g. SOC-02) to team ``team_key`` (e.g. a)."""
    return (
        Delivery.objects.filter(inject__exercise=ex, inject__key=inject_key, team__key=team_key)
        .select_related("inject", "team")
        .first()
    )


def action_finding(delivery: Delivery, action: ExpectedAction) -> evidence.Finding | None:
    """The evidence of one expected action for the team ``delivery`` reached, as the report
    computes it (None: the action names no evidence rule)."""
    if not action.evidence:
        return None
    return evidence.find(
        action.evidence,
        team_facts(delivery.team, delivery.delivered_at),
        delivery.delivered_at.timestamp(),
    )


def entries(entry_ids: tuple[int, ...] | list[int]) -> list[evidence.Fact]:
    """The audit entries a figure came from, as facts (oldest first)."""
    from palermo.core.selectors import audit_facts_of_ids

    return [_fact(r) for r in audit_facts_of_ids(list(entry_ids))]


def evidence_entry(ex: Exercise, entry_id: int) -> Any:
    """The audit entry ``entry_id`` when it can stand behind one of ``ex``'s evidence figures:
    written by one of the exercise's trainees (evidence is only ever read from the team
    members' entries, ``evidence.py``). Anything else — the direction's, antennas' and
    role-players' entries, system entries, an id that does not exist — is None."""
    from palermo.core.selectors import audit_entry_by_id

    entry = audit_entry_by_id(entry_id)
    if entry is None or entry.actor_id is None:
        return None
    trainee = Participant.objects.filter(
        exercise=ex, user_id=entry.actor_id, kind="trainee", team__isnull=False
    ).exists()
    return entry if trainee else None


def package_roles(ex: Exercise) -> dict[str, dict[str, Any]]:
    """The package's roles (organisations.yaml, as stored with the exercise) by key."""
    import yaml

    text = (ex.package or {}).get("organisations.yaml", "")
    data = yaml.safe_load(text) if text else None
    roles = data.get("roles", []) if isinstance(data, dict) else []
    return {r["key"]: r for r in roles if isinstance(r, dict) and "key" in r}


def question_text(inject: Inject, index: int, texts: Any = None) -> str:
    """The inject's question ``index`` (in the reader's language when ``texts``, a
    ``texts.Texts``, has it); an inject without questions asks for the decision."""
    from django.utils.translation import gettext as _

    qs = texts.questions(inject) if texts is not None else (inject.questions or [])
    return qs[index] if index < len(qs) else _("The team's decision")


def tabletop_answers(ex: Exercise, day: int | None = None) -> list[dict[str, Any]]:
    """Recorded tabletop answers (inject, team, question, text), in the order of play."""
    qs = TabletopAnswer.objects.filter(delivery__inject__exercise=ex).select_related(
        "delivery__inject", "delivery__team"
    )
    if day is not None:
        qs = qs.filter(delivery__day=day)
    return [
        {
            "inject": a.delivery.inject,
            "team": a.delivery.team,
            "question": question_text(a.delivery.inject, a.question),
            "text": a.text,
        }
        for a in qs
    ]


def tabletop(ex: Exercise, limit: int = 12, texts: Any = None) -> list[dict[str, Any]]:
    """The facilitator's page: the latest delivered injects, each with its questions and, per
    team it reached, the answers recorded so far. Three queries whatever the size."""
    deliveries = list(
        Delivery.objects.filter(inject__exercise=ex)
        .select_related("inject", "team")
        .order_by("-delivered_sim", "-id")
    )
    answers = {
        (a.delivery_id, a.question): a
        for a in TabletopAnswer.objects.filter(delivery__in=[d.pk for d in deliveries])
    }
    out: dict[int, dict[str, Any]] = {}
    for d in deliveries:
        if d.inject_id not in out:
            if len(out) >= limit:
                continue
            n = max(1, len(d.inject.questions or []))
            out[d.inject_id] = {
                "inject": d.inject,
                "questions": [question_text(d.inject, i, texts) for i in range(n)],
                "teams": [],
            }
        entry = out[d.inject_id]
        entry["teams"].append(
            {
                "delivery": d,
                # (index, question, answer, the form's id: "delivery-question")
                "answers": [
                    (i, q, answers.get((d.pk, i)), f"{d.pk}-{i}")
                    for i, q in enumerate(entry["questions"])
                ],
            }
        )
    for entry in out.values():
        entry["teams"].sort(key=lambda t: t["delivery"].team.key)
    return list(out.values())


def days_ended(ex: Exercise) -> list[DayEnd]:
    return list(ex.day_ends.all())


def expected_actions(ex: Exercise) -> QuerySet[ExpectedAction]:
    return ExpectedAction.objects.filter(inject__exercise=ex).select_related("inject")


def injects(ex: Exercise) -> QuerySet[Inject]:
    return ex.injects.all()


def overdue_count(ex: Exercise) -> int:
    from palermo.exercise.services import sim_now

    return sum(1 for r in action_rows(ex, sim_now(ex)) if r.overdue)


__all__ = ["engine"]
