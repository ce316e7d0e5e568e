"""The inject engine's decisions: which injects are due, which contingencies fire, what is overdue.

Pure: no Django imports. Times are exercise seconds (``clock.Clock.now``) unless named wall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from palermo.exercise.scenario import Inject


def due_scheduled(
    injects: Iterable[Inject], sim_now: float, delivered: set[tuple[str, str]], teams: Iterable[str]
) -> list[tuple[Inject, str]]:
    """(inject, team) pairs of scheduled injects whose time has come and that the team has not
    received, in time order. ``delivered`` holds (inject id, team key) pairs."""
    teams = list(teams)
    out = [
        (i, t)
        for i in injects
        if i.kind == "scheduled" and i.at_seconds is not None and i.at_seconds <= sim_now
        for t in teams
        if (i.id, t) not in delivered
    ]
    return sorted(out, key=lambda p: (p[0].at_seconds or 0, p[0].id, p[1]))


def due_contingencies(
    injects: Iterable[Inject],
    sim_now: float,
    delivered_at_sim: Mapping[tuple[str, str], float],
    teams: Iterable[str],
    met: Callable[[str, str, str], bool],
) -> list[tuple[Inject, str]]:
    """(inject, team) pairs of contingency injects whose condition holds for the team:
    its trigger inject reached the team at least ``minutes`` ago and the ``unless`` evidence
    rule is not met since then (``met(rule, team, trigger inject id)``). Fires once per team."""
    out = []
    for i in injects:
        if i.kind != "conditional" or i.condition is None:
            continue
        c = i.condition
        for t in teams:
            if (i.id, t) in delivered_at_sim:
                continue
            trigger_at = delivered_at_sim.get((c.after_inject, t))
            if trigger_at is None or sim_now - trigger_at < c.minutes * 60:
                continue
            if not met(c.unless, t, c.after_inject):
                out.append((i, t))
    return out


@dataclass(frozen=True)
class ActionStatus:
    action_id: str
    team: str
    due_at_sim: float
    overdue: bool
    done: bool


def action_status(
    inject: Inject,
    team: str,
    delivered_at_sim: float,
    sim_now: float,
    done: Callable[[str], bool],
) -> list[ActionStatus]:
    """Each expected action of ``inject`` for ``team``: its deadline, and whether it is overdue
    (deadline passed, not done). ``done(action_id)``: evidence met or an antenna rated it performed."""
    out = []
    for ea in inject.expected_actions:
        due = delivered_at_sim + ea.deadline_minutes * 60
        is_done = done(ea.id)
        out.append(ActionStatus(ea.id, team, due, (not is_done) and sim_now > due, is_done))
    return out
