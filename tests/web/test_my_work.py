"""The "my work" home page (issue 15, item 1).

Every count on the home page must equal the number of rows the list it links to shows the
same person: a count is a read too, and must never tell someone about a case, a referral
or an alert they could not open.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from palermo.core.demo import DEMO_USERS

PERSONAS = [u for u, _o, _r in DEMO_USERS]
ITEM = re.compile(
    r'<li class="work-item[^"]*" data-work="(?P<key>[a-z_]+)" data-count="(?P<count>\d+)">(?P<body>.*?)</li>',
    re.S,
)


@pytest.fixture
def demo_country(db, monkeypatch, snapshots):
    """Demo organisations, users and the demo cases (referrals, deadlines, a shelter's inbox)."""
    from palermo.core.demo import load_demo

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    snapshots.apply("demo country", load_demo)


def _items(client) -> list[dict[str, str]]:
    resp = client.get("/dashboard/")
    assert resp.status_code == 200
    html = resp.content.decode()
    out = []
    for m in ITEM.finditer(html):
        link = re.search(r'<a href="([^"]+)"', m.group("body"))
        out.append(
            {
                "key": m.group("key"),
                "count": int(m.group("count")),
                "url": unescape(link.group(1)) if link else "",
                "text": re.sub(r"<[^>]+>", " ", m.group("body")),
            }
        )
    return out


def _rows_shown(client, url: str) -> int:
    """Rows the list page shows, over all its pages (or the open alerts an investigation lists)."""
    total, seen = 0, 0
    while url and seen < 60:
        seen += 1
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        alerts = re.search(r"(\d+) open alerts?", html)
        if "#alerts" in url:
            return int(alerts.group(1)) if alerts else 0
        main = html.split("<main", 1)[1]
        table = re.search(r"<tbody>(.*?)</tbody>", main, re.S)
        total += len(re.findall(r"<tr\b", table.group(1))) if table else 0
        nxt = re.search(r'<a href="([^"]+)" rel="next"', main)
        url = (url.split("?")[0] + unescape(nxt.group(1))) if nxt else ""
    return total


@pytest.mark.parametrize("username", PERSONAS)
def test_each_count_on_my_work_equals_the_rows_its_list_shows_that_person(
    client, demo_country, username
):
    from palermo.core.models import User

    client.force_login(User.objects.get(username=username))
    items = _items(client)
    for item in items:
        if item["key"] == "alerts_undecided" and not item["count"]:
            continue  # the empty state links to the investigations, not to a list of alerts
        assert _rows_shown(client, item["url"]) == item["count"], (username, item)


def test_each_role_sees_the_work_of_its_role_and_only_that(client, demo_country):
    from palermo.core.models import User

    expected = {
        "coordinator": {
            "awaiting_decision",
            "deadlines_overdue",
            "deadlines_due_soon",
            "tasks_overdue",
        },
        "caseworker": {
            "referrals_received",
            "deadlines_overdue",
            "deadlines_due_soon",
            "screenings_draft",
        },
        "outreach": {"deadlines_overdue", "deadlines_due_soon", "screenings_draft"},
        "inspector": {"screenings_draft"},
        "police": {
            "screenings_draft",
            "alerts_undecided",
            "deadlines_overdue",
            "deadlines_due_soon",
        },
        "fiu": {"alerts_undecided", "deadlines_overdue", "deadlines_due_soon"},
        "analyst": set(),
        "admin": set(),
    }
    for username, keys in expected.items():
        client.force_login(User.objects.get(username=username))
        got = {i["key"] for i in _items(client)}
        if username == "outreach":
            got.discard("referrals_received")  # only if the demo sent it a referral
        assert got == keys, username


def test_waiting_work_is_put_in_front_of_the_coordinator_and_the_shelter(client, demo_country):
    from palermo.core.models import User

    client.force_login(User.objects.get(username="coordinator"))
    items = {i["key"]: i for i in _items(client)}
    assert items["awaiting_decision"]["count"] > 0
    assert "identification decision" in items["awaiting_decision"]["text"]
    assert items["awaiting_decision"]["url"].startswith("/cases/?")

    client.force_login(User.objects.get(username="caseworker"))
    resp = client.get("/dashboard/")
    html = resp.content.decode()
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/cases/referrals/"' in nav, "the shelter's inbox is in its main navigation"


def test_a_new_referral_shows_up_for_the_coordinator_and_a_decided_one_leaves(client, demo_world):
    """Empty state first; a referral arrives; after the decision it is no longer waiting."""
    from palermo.cases import services
    from palermo.core.models import User

    coordinator = User.objects.get(username="coordinator")
    client.force_login(coordinator)
    items = {i["key"]: i for i in _items(client)}
    assert items["awaiting_decision"]["count"] == 0
    assert "No referral awaits an identification decision." in items["awaiting_decision"]["text"]

    police = User.objects.get(username="police")
    case = services.case_open(
        actor=police,
        organisation=police.organisations()[0],
        source="agency",
        source_ref="POL-1",
        person={"given_name": "Test"},
        exploitation_forms=["ForcedLabour"],
        is_child_or_presumed_child=False,
    )
    items = {i["key"]: i for i in _items(client)}
    assert items["awaiting_decision"]["count"] == 1

    # The police officer who referred it has no decision to make and sees no such count.
    client.force_login(police)
    assert "awaiting_decision" not in {i["key"] for i in _items(client)}
    assert case.reference not in client.get("/dashboard/").content.decode()


def test_nav_hides_the_inbox_from_organisations_that_receive_no_service_referrals(
    client, demo_world
):
    from palermo.core.models import User

    client.force_login(User.objects.get(username="caseworker"))  # no directory entry in this world
    html = client.get("/dashboard/").content.decode()
    assert (
        'href="/cases/referrals/"'
        not in html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    )
    assert "referrals_received" not in html


def test_roles_are_named_in_words_on_the_home_page(client, demo_world):
    from palermo.core.models import User

    client.force_login(User.objects.get(username="outreach"))
    html = client.get("/dashboard/").content.decode()
    assert "case_worker" not in html
    assert "Case worker" in html


def test_investigators_see_the_undecided_alerts_of_the_investigations_they_may_open(
    client, demo_country, monkeypatch
):
    from palermo.core.demo import load_demo
    from palermo.core.models import User

    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    load_demo()  # the demo investigation: the police unit's, shared with the FIU, not the prosecutor
    counts = {}
    for username in ("police", "fiu", "prosecutor"):
        client.force_login(User.objects.get(username=username))
        alerts = [i for i in _items(client) if i["key"] == "alerts_undecided"]
        assert len(alerts) == 1, username
        counts[username] = alerts[0]["count"]
        if alerts[0]["count"]:
            assert _rows_shown(client, alerts[0]["url"]) == alerts[0]["count"]
    assert counts["police"] > 0
    assert counts["fiu"] == counts["police"]
    assert counts["prosecutor"] == 0, (
        "an investigation not shared with the prosecutor is not counted for it"
    )


@pytest.mark.django_db
def test_jobs_page_is_in_the_menu_only_for_those_who_may_start_a_job(persona):
    """A screener can start no background job (no import, export or investigation), so the
    Jobs page would always be empty for them: it is not in their menu."""
    from palermo.core.policy import has_perm
    from palermo.jobs import registry
    from palermo.web.navigation import visible_items

    seen = {}
    for username, _org_index, _roles in DEMO_USERS:
        user = persona(username)
        org = user.organisations()[0]
        may = any(has_perm(user, k.perm, org) for k in registry.kinds())
        seen[username] = may
        labels = [i.label for i in visible_items(user, org)]
        assert ("Jobs" in labels) == may, (username, labels)
    assert not seen["inspector"] and seen["coordinator"] and seen["police"]
