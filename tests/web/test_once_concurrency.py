"""Two sends of the same form at the same moment (a double click reaching two workers): one
record. On PostgreSQL the second claim waits for the first transaction and then finds the
token used; SQLite serialises writers, so the race only exists on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.web.once_helpers import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the race needs concurrent writers (PostgreSQL)"
)
def test_two_simultaneous_sends_of_one_referral_open_one_case(demo_world):
    from django.db import connections

    from palermo.cases.models import Case
    from palermo.core.models import User

    user = User.objects.get(username="outreach")
    first = Client()
    first.force_login(user)
    data = {
        "form_token": token_for(first, "/cases/new/"),
        "source": "hotline",
        "source_ref": "HOT-RACE",
        "exploitation_forms": ["ForcedLabour"],
    }
    second = Client()
    second.force_login(user)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post("/cases/new/", data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 302]
    assert Case.objects.filter(source_ref="HOT-RACE").count() == 1
