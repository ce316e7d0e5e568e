"""Team isolation: what a trainee in an exercise instance may reach (``palermo.core.scope``).

A trainee acts in the real Palermo with real roles; the identification officer holds the
co-ordinator's national powers (the whole audit trail, every case, break-glass, statistics).
In an exercise instance those powers are narrowed to the trainee's own team: the team's copies
of the scenario's organisations (``Team.organisation_ids``, filled by ``services.load_scenario``).
This module only *decides* the scope; the policy and the selectors apply it.

* a trainee with a team: the team's organisations;
* the exercise direction (chief controller, controllers): no limit (their roles hold no data
  permission; a chief controller also given an audit role sees the whole exercise trail);
* antennas, role-players and anyone else in the instance (an account made by hand): the
  organisations they are members of, nothing of any team (deny by default);
* outside an exercise instance: no opinion (production is never scoped).
"""

from __future__ import annotations

from typing import Any

from palermo.exercise.isolation import exercise_name

UNSCOPED_KINDS = frozenset({"controller"})


_CACHE = "_palermo_scope_team"  # (exercise name, answer), kept on the user for the request


def team_scope(user: Any) -> frozenset[int] | None:
    name = exercise_name()
    if not name:
        return None
    cached = user.__dict__.get(_CACHE)
    if cached is not None and cached[0] == name:
        return cached[1]
    answer = _decide(user)
    user.__dict__[_CACHE] = (name, answer)
    return answer


def _decide(user: Any) -> frozenset[int] | None:
    from palermo.core.models import Membership
    from palermo.exercise.models import Participant

    p = Participant.objects.filter(user_id=user.pk).select_related("team").first()
    if p is not None and p.kind in UNSCOPED_KINDS:
        return None
    if p is not None and p.kind == "trainee" and p.team is not None:
        if p.team.organisation_ids:
            return frozenset(int(i) for i in p.team.organisation_ids)
        # An exercise loaded before teams kept their organisations: their members' ones.
        return frozenset(
            Membership.objects.filter(user__exercise_participant__team=p.team).values_list(
                "organisation_id", flat=True
            )
        )
    return frozenset(
        Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True)
    )
