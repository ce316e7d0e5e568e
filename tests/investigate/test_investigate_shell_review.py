"""Review of the investigation shell: refusals after the need-to-know check are audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from palermo.core.models import AuditEntry, Organisation
from palermo.investigate.models import Investigation, InvestigationMember

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    return tmp_path


def test_a_member_may_not_add_members_and_the_refusal_is_audited(login_as, client):
    login_as("police")
    assert client.post(reverse("investigate:create"), {"title": "Review"}).status_code == 302
    inv = Investigation.objects.get(title="Review")
    fiu = Organisation.objects.get(name__startswith="Financial Intelligence")
    assert (
        client.post(
            reverse("investigate:member_add", args=[inv.reference]), {"organisation": fiu.pk}
        ).status_code
        == 302
    )
    prosecution = Organisation.objects.get(org_type="prosecution")

    login_as("fiu")
    response = client.post(
        reverse("investigate:member_add", args=[inv.reference]), {"organisation": prosecution.pk}
    )
    assert response.status_code == 403
    assert not InvestigationMember.objects.filter(
        investigation=inv, organisation=prosecution
    ).exists()
    assert AuditEntry.objects.filter(
        action="refused",
        actor_username="fiu",
        object_type="investigation",
        object_ref=inv.reference,
    ).exists()


def test_api_search_with_a_nul_character_is_a_422_not_a_500(api_token):
    from django.test import Client

    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/v1/investigations",
        {"q": "INV\x00"},
        HTTP_AUTHORIZATION=f"Bearer {api_token('police')}",
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["errors"][0]["message"]


def test_posts_without_a_csrf_token_are_refused(persona):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(persona("police"))
    assert client.post(reverse("investigate:create"), {"title": "No token"}).status_code == 403
    assert not Investigation.objects.filter(title="No token").exists()
