"""`GET /api/v1/me` lists the permissions the policy grants, not every permission of the roles.

Red-team finding (LOW): in an exercise instance a trainee identification officer's `/me`
listed `stats.view_statistics`, `monitor.manage`, `crossborder.receive` … — national powers
that `policy.NATIONAL_ONLY` denies to every scoped user (the operations answer 403). A client
building its menus from `/me` offered what would be refused, and the API described the policy
wrongly.
"""

from __future__ import annotations

from palermo.core.policy import NATIONAL_ONLY, has_perm


def test_a_trainee_is_not_told_of_national_powers(client, trainee):
    client.force_login(trainee)
    listed = set(client.get("/api/v1/me").json()["permissions"])
    org = trainee.organisations()[0]
    assert listed == {p for p in trainee.permissions_in(org) if has_perm(trainee, p, org)}
    assert not listed & NATIONAL_ONLY
    assert "cases.view_cases" in listed  # the team-sized powers stay
    assert client.get("/api/v1/stats/tables").status_code == 403


def test_a_production_user_still_sees_every_permission_of_their_roles(client, login_as, persona):
    login_as("coordinator")
    user = persona("coordinator")
    listed = set(client.get("/api/v1/me").json()["permissions"])
    assert listed == set(user.permissions_in(user.organisations()[0]))
    assert "stats.view_statistics" in listed
