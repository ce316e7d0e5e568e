"""An organisation's own administrator manages that organisation's accounts, never the instance.

Red-team finding (HIGH): the admin site gave every holder of the administrator role, in any
organisation, every organisation, user and role. On the running demo an NGO's administrator
(the shelter's case worker, given the administrator role at the shelter) added themselves the
co-ordinator role at the national identification body and read all 80 cases and the national
audit trail. Now only an administrator acting for an identification body administers the whole
instance (`policy.administers_all`); an organisation's administrator sees and edits only that
organisation, its members (people with no role elsewhere) and roles without national powers
(`policy.locally_grantable_roles`).
"""

from __future__ import annotations

import pytest

from palermo.core.models import Membership, Organisation, User
from palermo.core.policy import NATIONAL_POWERS, ROLE_PERMISSIONS, locally_grantable_roles
from palermo.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def ngo_admin(demo_world, persona, client):
    worker = persona("caseworker")
    shelter = worker.organisations()[0]
    assert not shelter.is_identification_body
    Membership.objects.create(user=worker, organisation=shelter, role=Role.ADMINISTRATOR)
    client.force_login(worker)
    session = client.session
    from palermo.core.middleware import SESSION_ORG_KEY

    session[SESSION_ORG_KEY] = shelter.pk
    session.save()
    return worker, shelter


def _national_office():
    return Organisation.objects.get(is_identification_body=True)


def _add_membership(client, user, org, role):
    page = client.get("/admin/core/membership/add/")
    assert page.status_code == 200
    return client.post(
        "/admin/core/membership/add/",
        {"user": user.pk, "organisation": org.pk, "role": role, "_save": "Save"},
    )


def test_an_ngo_administrator_cannot_make_themselves_national_coordinator(client, ngo_admin):
    worker, shelter = ngo_admin
    national = _national_office()
    _add_membership(client, worker, national, Role.COORDINATOR)
    assert not Membership.objects.filter(user=worker, organisation=national).exists()


def test_an_ngo_administrator_grants_no_national_role_even_at_home(client, ngo_admin):
    worker, shelter = ngo_admin
    newcomer = User.objects.create(username="shelter-newcomer")
    for role in (Role.COORDINATOR, Role.ANALYST, Role.ADMINISTRATOR, Role.ONLINE_ANALYST):
        _add_membership(client, newcomer, shelter, role)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_ngo_administrator_cannot_take_over_someone_elses_account(client, ngo_admin, persona):
    coordinator = persona("coordinator")
    before = coordinator.password
    page = client.get(f"/admin/core/user/{coordinator.pk}/change/")
    assert page.status_code != 200 or "coordinator@example.org" not in page.content.decode()
    client.post(
        f"/admin/core/user/{coordinator.pk}/password/",
        {"password1": "Taken-over-2026!x", "password2": "Taken-over-2026!x"},
    )
    coordinator.refresh_from_db()
    assert coordinator.password == before
    listed = client.get("/admin/core/user/").content.decode()
    assert "coordinator@example.org" not in listed


def test_an_ngo_administrator_cannot_turn_their_organisation_into_the_identification_body(
    client, ngo_admin
):
    worker, shelter = ngo_admin
    client.post(
        f"/admin/core/organisation/{shelter.pk}/change/",
        {
            "name": shelter.name,
            "org_type": shelter.org_type,
            "country": shelter.country,
            "is_identification_body": "on",
            "is_active": "on",
            "_save": "Save",
        },
    )
    shelter.refresh_from_db()
    assert not shelter.is_identification_body
    assert (
        client.get(f"/admin/core/organisation/{_national_office().pk}/change/").status_code != 200
    )


def test_an_ngo_administrator_still_manages_their_own_people(client, ngo_admin):
    worker, shelter = ngo_admin
    newcomer = User.objects.create(username="shelter-newcomer")
    response = _add_membership(client, newcomer, shelter, Role.CASE_WORKER)
    assert response.status_code == 302
    assert Membership.objects.filter(
        user=newcomer, organisation=shelter, role=Role.CASE_WORKER
    ).exists()


def test_the_memberships_on_a_users_page_offer_only_local_roles(client, ngo_admin):
    """The user page's memberships inline limits its role choices as the membership screen
    does (one MembershipFields for both)."""
    worker, shelter = ngo_admin
    newcomer = User.objects.create(username="shelter-inline")
    Membership.objects.create(user=newcomer, organisation=shelter, role=Role.CASE_WORKER)
    page = client.get(f"/admin/core/user/{newcomer.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{Role.CASE_WORKER}"' in body
    assert f'value="{Role.COORDINATOR}"' not in body
    assert f'value="{Role.ADMINISTRATOR}"' not in body


def test_the_national_administrator_still_administers_everything(client, login_as, persona):
    login_as("admin")
    newcomer = User.objects.create(username="national-newcomer")
    shelter = persona("caseworker").organisations()[0]
    assert _add_membership(client, newcomer, shelter, Role.COORDINATOR).status_code == 302
    assert Membership.objects.filter(user=newcomer, role=Role.COORDINATOR).exists()


def test_before_any_identification_body_exists_the_first_administrator_sets_up_everything(
    client, ngo_admin
):
    # `palermo createadmin` makes an ordinary organisation: its administrator must be able to
    # create the others and mark the identification body.
    worker, shelter = ngo_admin
    Organisation.objects.filter(is_identification_body=True).update(is_identification_body=False)
    national = Organisation.objects.exclude(pk=shelter.pk).first()
    assert client.get(f"/admin/core/organisation/{national.pk}/change/").status_code == 200
    assert client.get("/admin/core/organisation/add/").status_code == 200


def test_locally_grantable_roles_carry_no_national_power():
    for role in locally_grantable_roles():
        assert not ROLE_PERMISSIONS[role] & NATIONAL_POWERS
    assert Role.COORDINATOR not in locally_grantable_roles()
    assert Role.CASE_WORKER in locally_grantable_roles()
