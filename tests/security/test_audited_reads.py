"""Issue 11, finding 6: lists that show personal data were not audited reads.

The referral inbox (names the cases sent to an organisation, and whether each person is a
child), the screening lists, and the admin's lists of users and their details, are reads
of personal data: each is recorded as ``read`` with who, for which organisation and which
list (``object_type``), with the filters but never a personal value — like the case list,
the investigation list and the audit trail already were.
"""

from __future__ import annotations

import pytest

from palermo.core.models import AuditEntry
from palermo.core.tokens import token_create
from tests.cases.cases_helpers import decide, open_case, refer_to_shelter

pytestmark = pytest.mark.django_db


def _reads(object_type: str, username: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="read", object_type=object_type, actor_username=username, outcome="ok"
        ).order_by("id")
    )


def _bearer(persona, username: str) -> dict[str, str]:
    user = persona(username)
    return {
        "HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, organisation=user.organisations()[0], name='t')[1]}"
    }


@pytest.fixture
def referral(demo_world):
    case = open_case(
        person={"given_name": "Quilla", "family_name": "Inboxperson", "citizenship": ["RO"]}
    )
    decide(case)
    return refer_to_shelter(case)


def test_referral_inbox_page_is_an_audited_read(client, persona, referral):
    client.force_login(persona("caseworker"))
    r = client.get("/cases/referrals/", {"status": "sent"})
    assert r.status_code == 200 and referral.case.reference in r.content.decode()
    (entry,) = _reads("referral_list", "caseworker")
    assert entry.organisation_id == persona("caseworker").organisations()[0].pk
    assert entry.details == {"status": "sent"}
    assert "Inboxperson" not in str(entry.details)


def test_referral_inbox_api_is_an_audited_read(client, persona, referral):
    r = client.get("/api/v1/cases/referrals/incoming", **_bearer(persona, "caseworker"))
    assert r.status_code == 200 and r.json()["items"][0]["id"] == referral.pk
    (entry,) = _reads("referral_list", "caseworker")
    assert entry.details == {}


def test_screening_list_page_and_api_are_audited_reads(client, persona, demo_world):
    client.force_login(persona("inspector"))
    assert client.get("/screening/", {"status": "referred", "q": "SCR-7K"}).status_code == 200
    (page,) = _reads("screening_list", "inspector")
    assert page.details == {"filters": {"status": "referred", "q": "SCR-7K", "sort": "newest"}}
    r = client.get("/api/v1/screenings", {"sort": "oldest"}, **_bearer(persona, "inspector"))
    assert r.status_code == 200
    entries = _reads("screening_list", "inspector")
    assert len(entries) == 2 and entries[1].details == {"filters": {"sort": "oldest"}}


def test_a_refused_list_is_recorded_as_a_refusal_not_a_read(client, persona, demo_world):
    client.force_login(persona("analyst"))  # may see neither cases nor screenings
    assert client.get("/cases/referrals/").status_code == 403
    assert client.get("/screening/").status_code == 403
    assert not _reads("referral_list", "analyst") and not _reads("screening_list", "analyst")
    assert AuditEntry.objects.filter(action="refused", actor_username="analyst").count() >= 2


def test_admin_lists_and_pages_of_users_are_audited_reads(client, persona, demo_world):
    client.force_login(persona("admin"))
    assert client.get("/admin/core/user/", {"q": "police"}).status_code == 200
    (listing,) = _reads("user_list", "admin")
    assert listing.details == {"via": "admin", "search": True}
    police = persona("police")
    assert client.get(f"/admin/core/user/{police.pk}/change/").status_code == 200
    (one,) = _reads("user", "admin")
    assert one.object_ref == str(police.pk) and one.details == {"via": "admin"}
    assert client.get("/admin/core/membership/").status_code == 200
    assert _reads("membership_list", "admin")
