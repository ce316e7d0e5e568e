"""Logs carry no personal data in the newer contexts either (supply, prevent, monitor,
crossborder, jobs …): the companion of ``test_logs_no_personal_data``.

That test walks the core demo personas' navigation, case searches and the case API. This one
loads the demo with supply, online risk and monitoring switched on, signs in as *every* demo
user (the procurement office's officer and analyst too), opens every page of their navigation
and then every same-site link those pages show (one level down: a supplier, an order line, a
contract and its evidence pack, an inspection, a lead, a worker report, a survey …). Before the
walk, an anonymous worker report and a job-offer check quote a demo person's name, phone and
e-mail, so the triage pages have personal text to show. Every log line of every logger is
captured as production (JSON) and the demo (text) would write it; none may hold a demo person's
name, birth date, document number, phone or e-mail.

One test per demo user (pytest-xdist spreads them over its workers), each on the same demo,
replayed (tests/dbsnapshot.py) rather than built again.
"""

from __future__ import annotations

import re

import pytest

from palermo.cases.demo import CHILDREN_HOME_USER
from palermo.core.demo import DEMO_MORE_USERS, DEMO_USERS
from tests.security.test_logs_no_personal_data import _leaks, _personal_values, captured

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

__all__ = ["captured"]  # the fixture, imported for its name

SKIP = ("/accounts/logout/", "/static/", "/api/v1/docs", "/language/")
LINKS_PER_PERSONA = 80

# Every demo user with a membership once this demo is loaded: the core personas, the later
# contexts' own (the procurement office's) and the children's home of the demo cases (a test
# checks the list against the database).
USERS = sorted(
    [u for u, _org, _roles in DEMO_USERS]
    + [u for u, _org, _role in DEMO_MORE_USERS]
    + [CHILDREN_HOME_USER]
)
# The walk reaches the newer contexts' object pages, not only their lists: who reaches which.
REACHES = {
    "procurement": ("/supply/suppliers/", "/supply/contracts/"),
    "diligence": ("/supply/suppliers/", "/supply/contracts/"),
    "coordinator": ("/prevent/reports/", "/monitor/"),
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test sends a public report: the rate-limit counters (in the cache) start empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def whole_demo(db, monkeypatch, demo_loader):
    for switch in ("CASES", "SUPPLY", "PREVENT", "MONITOR"):
        monkeypatch.setenv(f"PALERMO_DEMO_{switch}", "1")
    demo_loader()


def _links(html: str) -> list[str]:
    return [
        h
        for h in re.findall(r'href="(/[^"#]*)"', html)
        if not h.startswith(SKIP) and not h.startswith("//")
    ]


def _public_reports(client, someone) -> None:
    """Anonymous input that quotes a person: the worker report and the job-offer check."""

    full = f"{someone.given_name} {someone.family_name}"
    sent = client.post(
        "/report/",
        {
            "who": "worker",
            "description": f"{full} keeps our passports; call {someone.phone}.",
            "consent_to_contact": "on",
            "contact": someone.email or someone.phone or full,
        },
    )
    assert sent.status_code == 302, "the worker report was not taken"
    client.post("/check/", {"agency": f"{full} recruiting, {someone.phone}"})


def test_the_walk_covers_every_demo_user_and_context(whole_demo):
    from palermo.core.models import User

    users = User.objects.filter(memberships__isnull=False).distinct()
    assert {u.username for u in users} == set(USERS)
    reached = {prefix for prefixes in REACHES.values() for prefix in prefixes}
    assert reached == {"/supply/suppliers/", "/supply/contracts/", "/prevent/reports/", "/monitor/"}


@pytest.mark.parametrize("username", USERS)
def test_no_demo_persons_data_in_the_newer_contexts_logs(client, whole_demo, captured, username):
    from palermo.cases.models import Person
    from palermo.core.models import User
    from palermo.web.navigation import visible_items

    patterns = _personal_values()
    assert len(patterns) > 100, "the demo people were not built"
    someone = Person.objects.exclude(family_name="").exclude(phone="").order_by("id").first()
    assert someone is not None
    _public_reports(client, someone)

    user = User.objects.get(username=username)
    visited: set[str] = set()
    org = user.organisations()[0]
    client.force_login(user)
    pages = ["/dashboard/"] + [i.url for i in visible_items(user, org) if i.url]
    deeper: list[str] = []
    for url in pages:
        r = client.get(url)
        visited.add(url)
        if r.status_code == 200 and "html" in r.get("Content-Type", ""):
            deeper += [h for h in _links(r.content.decode()) if h not in pages]
    for url in list(dict.fromkeys(deeper))[:LINKS_PER_PERSONA]:
        client.get(url)
        visited.add(url)
    client.logout()

    # the walk reached the newer contexts' object pages, not only their lists
    for prefix in REACHES.get(username, ()):
        assert any(u.startswith(prefix) for u in visited), prefix
    assert _leaks(captured.lines, patterns) == []
