"""Every URL pattern and API operation is covered by the one permission policy."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from palermo.core.policy import (
    ALL_PERMISSIONS,
    ROLE_PERMISSIONS,
    Perm,
    has_perm,
    permissions_for_roles,
    policy_of,
    requires,
)
from palermo.core.roles import Role


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p.callback


def test_every_url_pattern_has_a_policy():
    uncovered = []
    for route, namespace, callback in walk(get_resolver()):
        if namespace == "admin":
            continue  # one policy for the whole admin site, tested below
        if namespace.startswith("api"):
            continue  # operations are checked one by one below
        if policy_of(callback) is None:
            uncovered.append(route)
    assert uncovered == [], f"views without a permission policy: {uncovered}"


def test_admin_site_is_gated_by_the_policy():
    from palermo.core.admin import ADMIN_POLICY, site

    assert ADMIN_POLICY.perm == Perm.ADMINISTER
    assert type(site).has_permission is not type(site).__mro__[1].has_permission


def test_every_api_operation_has_a_policy():
    from palermo.api import iter_operations

    ops = list(iter_operations())
    assert len(ops) >= 5
    uncovered = [f"{m} {p}" for p, m, fn in ops if policy_of(fn) is None]
    assert uncovered == []


def test_operations_of_nested_routers_are_walked_too():
    """A sub-router mounted with ``add_router`` is checked like a context's own router:
    its unmarked operation is found, before and after django-ninja builds the URLs."""
    from ninja import NinjaAPI, Router

    from palermo.api import iter_operations

    parent, child, grandchild = Router(), Router(), Router()

    @parent.get("/a")
    @requires(Perm.VIEW_AUDIT)
    def marked(request):
        return {}

    @child.get("/b")
    def unmarked(request):
        return {}

    @grandchild.post("/c")
    def deep(request):
        return {}

    child.add_router("/deeper", grandchild)
    parent.add_router("/nested", child)
    probe = NinjaAPI(urls_namespace="probe-nested")
    probe.add_router("/ctx", parent)
    before = sorted((p, m) for p, m, fn in iter_operations(probe._routers) if not policy_of(fn))
    assert before == [("/ctx/nested/b", "GET"), ("/ctx/nested/deeper/c", "POST")]
    probe.urls  # noqa: B018 - building the URLs lists nested routers at the top as well
    after = [(p, m) for p, m, fn in iter_operations(probe._routers) if not policy_of(fn)]
    assert sorted(after) == before and len(after) == 2  # each once, not twice


def test_every_permission_is_granted_to_someone_and_names_are_known():
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted <= ALL_PERMISSIONS
    assert ALL_PERMISSIONS - granted == set()
    assert set(ROLE_PERMISSIONS) == set(Role.values)


def test_unknown_permission_is_an_error_not_a_grant():
    with pytest.raises(ValueError):
        has_perm(None, "core.everything", None)
    with pytest.raises(ValueError):
        requires("cases.anything")


def test_deny_by_default_for_anonymous_and_roleless(db):
    from django.contrib.auth.models import AnonymousUser

    from palermo.core.models import Organisation, User

    org = Organisation.objects.create(name="X", org_type="ngo", country="RS")
    user = User.objects.create_user("nobody", password="A-long-password-1")
    for perm in ALL_PERMISSIONS:
        assert not has_perm(AnonymousUser(), perm, org)
        assert not has_perm(user, perm, org)
        assert not has_perm(user, perm, None)


def test_roles_count_only_in_the_organisation_acted_for(persona):
    from palermo.core.models import Membership, Organisation

    user = persona("analyst")
    ngo = Organisation.objects.get(name__startswith="Safe Harbour")
    Membership.objects.create(user=user, organisation=ngo, role=Role.CASE_WORKER)
    home = user.organisations()[0]
    assert has_perm(user, Perm.VIEW_STATISTICS, home)
    assert not has_perm(user, Perm.VIEW_CASES, home)
    fresh = type(user).objects.get(pk=user.pk)
    assert has_perm(fresh, Perm.VIEW_CASES, ngo)
    assert not has_perm(fresh, Perm.VIEW_STATISTICS, ngo)


def test_inactive_organisation_grants_nothing(persona):
    user = persona("coordinator")
    org = user.organisations()[0]
    org.is_active = False
    org.save()
    fresh = type(user).objects.get(pk=user.pk)
    assert not has_perm(fresh, Perm.VIEW_AUDIT, org)


@pytest.mark.parametrize("role", Role.values)
def test_role_table_is_what_it_says(role):
    assert permissions_for_roles({role}) == ROLE_PERMISSIONS[role]


def test_screeners_never_see_the_audit_trail_or_statistics():
    for perm in (Perm.VIEW_AUDIT, Perm.VIEW_AUDIT_ALL, Perm.VIEW_STATISTICS, Perm.ADMINISTER):
        assert perm not in ROLE_PERMISSIONS[Role.SCREENER]
