"""Issue 11, finding 6: API tokens survived a password change.

Whoever changes or resets a password (because it leaked, or the person left a team)
expects every way in with the old credentials to stop. A password set by any path —
the web change form, the e-mailed reset link, the admin, Django's ``changepassword``
or a shell — revokes all of that user's API tokens, each revocation audited, and the
pages say so.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from palermo.core.models import AuditEntry, PersonalAccessToken, User
from palermo.core.tokens import token_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-long-passphrase-2026"


@pytest.fixture
def tokens_of(persona):
    """Two live tokens of a persona (and one already revoked); returns their clear values."""

    def make(username: str) -> list[str]:
        user = persona(username)
        org = user.organisations()[0]
        clear = [
            token_create(actor=user, organisation=org, name=f"client {i}")[1] for i in range(2)
        ]
        old, _ = token_create(actor=user, organisation=org, name="old client")
        PersonalAccessToken.objects.filter(pk=old.pk).update(revoked_at=old.created_at)
        return clear

    return make


def _api_ok(_client, token: str) -> bool:
    # A client of its own: no session cookie may stand in for the token.
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def _revocations(user: User) -> list[AuditEntry]:
    ids = [
        str(pk) for pk in PersonalAccessToken.objects.filter(user=user).values_list("pk", flat=True)
    ]
    return list(
        AuditEntry.objects.filter(
            action="delete",
            object_type="api_token",
            object_ref__in=ids,
            details__reason="password changed",
        )
    )


def test_web_password_change_revokes_every_token_and_says_so(client, persona, tokens_of):
    clear = tokens_of("caseworker")
    assert all(_api_ok(client, t) for t in clear)
    user = persona("caseworker")
    client.force_login(user)
    r = client.post(
        reverse("password_change"),
        {
            "old_password": "Palermo-demo-2026",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert "2 API tokens were revoked" in page, page[-3000:]
    assert not any(_api_ok(client, t) for t in clear)
    assert PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert len(_revocations(user)) == 2  # the already revoked one is not revoked twice
    # A new token, shown once, works.
    new = token_create(actor=user, organisation=user.organisations()[0], name="after the change")[1]
    assert _api_ok(client, new)


def test_a_refused_password_change_revokes_nothing(client, persona, tokens_of):
    clear = tokens_of("caseworker")
    client.force_login(persona("caseworker"))
    r = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong-password-0000",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert r.status_code == 200  # the form again, with the error
    assert all(_api_ok(client, t) for t in clear)


def test_password_reset_by_link_revokes_every_token_and_says_so(
    client, persona, tokens_of, mailoutbox
):
    clear = tokens_of("analyst")
    client.post(reverse("password_reset"), {"email": "analyst@example.org"})
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    r = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert r.status_code == 200
    assert "2 API tokens were revoked" in r.content.decode()
    assert not any(_api_ok(client, t) for t in clear)
    assert persona("analyst").check_password(NEW_PASSWORD)


def test_admin_setting_a_password_revokes_the_users_tokens_and_says_so(client, persona, tokens_of):
    clear = tokens_of("police")
    police = persona("police")
    admin = persona("admin")
    client.force_login(admin)
    r = client.post(
        f"/admin/core/user/{police.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        follow=True,
    )
    assert r.status_code == 200, r.content[:2000]
    assert "2 API tokens of this user were revoked" in r.content.decode()
    assert not any(_api_ok(client, t) for t in clear)
    # The change itself is in the audit trail, under the administrator's name.
    assert AuditEntry.objects.filter(
        action="update",
        object_type="user",
        object_ref=str(police.pk),
        actor_username="admin",
        details__fields=["password"],
    ).exists()


def test_changepassword_command_and_shell_revoke_tokens_too(persona, tokens_of, monkeypatch):
    clear = tokens_of("fiu")
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: NEW_PASSWORD)
    call_command("changepassword", "fiu")
    assert (
        PersonalAccessToken.objects.filter(user__username="fiu", revoked_at__isnull=True).count()
        == 0
    )
    assert len(clear) == 2
    user = persona("prosecutor")
    tokens_of("prosecutor")
    user.set_password(NEW_PASSWORD)
    user.save()
    assert PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert len(_revocations(user)) == 2


def test_signing_in_or_editing_a_user_keeps_their_tokens(client, persona, tokens_of):
    clear = tokens_of("outreach")
    assert (
        client.post(
            reverse("login"), {"username": "outreach", "password": "Palermo-demo-2026"}
        ).status_code
        == 302
    )
    user = persona("outreach")
    user.email = "outreach-new@example.org"
    user.save()
    assert all(_api_ok(client, t) for t in clear)
