"""Logs carry ids, never personal data (issue 14, item 3; core/logs.py).

Every demo persona walks their journeys through the test client — their navigation, case
lists searched by a person's name, case files, the API, a refusal, a page that is not there,
a form sent back with errors — while every log record of every logger is captured and
formatted as production (JSON) and the demo (text) would write it. The test fails if a demo
person's name, birth date, document number, phone or e-mail appears in any line.
"""

from __future__ import annotations

import logging
import re

import pytest
from pythonjsonlogger.json import JsonFormatter

from palermo.core.demo import DEMO_USERS
from palermo.core.logs import ContextFilter, TextFormatter

pytestmark = pytest.mark.django_db

PERSONAS = [u for u, _o, _r in DEMO_USERS]


class _Capture(logging.Handler):
    """Every record, formatted both ways, with its traceback if it has one."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        self._json = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._text = TextFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self._json.format(record))
        self.lines.append(self._text.format(record))


@pytest.fixture
def captured():
    handler = _Capture()
    root = logging.getLogger()
    palermo = logging.getLogger("palermo")
    old = root.level, palermo.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    palermo.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old[0])
        palermo.setLevel(old[1])


@pytest.fixture
def demo_country(db, monkeypatch, demo_loader):
    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    demo_loader()  # built once per session, replayed after (tests/dbsnapshot.py)


def _personal_values() -> list[re.Pattern[str]]:
    """A pattern per personal value of the demo people (read from the sealed fields)."""
    from palermo.cases.models import Person

    values: set[str] = set()
    for p in Person.objects.all():
        values |= {p.given_name, p.family_name, p.identity_number, p.phone, p.email}
        if p.given_name and p.family_name:
            values.add(f"{p.given_name} {p.family_name}")
        if p.birthdate:
            values |= {
                p.birthdate.isoformat(),
                p.birthdate.strftime("%d/%m/%Y"),
                p.birthdate.strftime("%d.%m.%Y"),
            }
    # Whole words only, so the name "Ana" is not found inside "Analyst".
    return [re.compile(rf"(?<!\w){re.escape(v)}(?!\w)") for v in values if v and len(v) >= 3]


def _leaks(lines: list[str], patterns: list[re.Pattern[str]]) -> list[str]:
    return [
        f"{p.pattern!r} in {line[:300]!r}" for line in lines for p in patterns if p.search(line)
    ]


def _journeys(client, persona, api_token) -> None:
    from django.urls import reverse

    from palermo.cases.models import Person
    from palermo.core.policy import Perm, has_perm
    from palermo.web.navigation import visible_items

    someone = Person.objects.exclude(family_name="").order_by("id").first()
    assert someone is not None
    for username in PERSONAS:
        user = persona(username)
        org = user.organisations()[0]
        client.force_login(user)
        pages = ["/dashboard/", "/"] + [i.url for i in visible_items(user, org) if i.url]
        for url in pages:
            client.get(url)
        if has_perm(user, Perm.VIEW_CASES, org):
            # a search by a person's name: the query string must never reach a log line
            client.get(reverse("cases:list"), {"q": someone.family_name})
            client.get(reverse("cases:list"), {"q": someone.identity_number or someone.given_name})
            listing = client.get(reverse("cases:list")).content.decode()
            for ref in re.findall(r"/cases/(NRM-[A-Z0-9-]+)/", listing)[:3]:
                client.get(reverse("cases:detail", args=[ref]))
            token = api_token(username)
            auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            cases = client.get("/api/v1/cases", {"q": someone.family_name}, **auth)
            for item in cases.json().get("items", [])[:2] if cases.status_code == 200 else []:
                client.get(f"/api/v1/cases/{item['reference']}", **auth)
            # invalid input quoting a person: answered 422, nothing logged of it
            client.post(
                "/api/v1/cases",
                {"person": {"given_name": someone.given_name, "birthdate": "not a date"}},
                content_type="application/json",
                **auth,
            )
        # a refusal and pages that are not there, each with a name in the query string (Django
        # logs 4xx answers with the request attached: its text would quote the query)
        client.get("/audit/", {"q": someone.family_name})
        client.get("/cases/NRM-0000-0000/", {"q": someone.family_name})
        client.get("/api/v1/cases/NRM-0000-0000", {"q": someone.family_name})
        client.get("/no-such-page/", {"name": someone.given_name})
        client.post(
            reverse("cases:open"),
            {"given_name": someone.given_name, "family_name": someone.family_name},
        )
        client.logout()


def test_no_demo_persons_data_in_any_log_line(
    client, persona, api_token, demo_country, captured, settings
):
    patterns = _personal_values()
    assert len(patterns) > 100, "the demo people were not built"
    _journeys(client, persona, api_token)

    requests = [r for r in captured.records if getattr(r, "event", "") == "request"]
    assert len(requests) > 100, "the journeys were not logged"
    # every request line carries the ids, and ids only
    signed_in = [r for r in requests if r.user_id != "-"]
    assert signed_in and all(r.organisation_id != "-" for r in signed_in)
    assert all(re.fullmatch(r"[0-9a-f]{32}", r.request_id) for r in requests)
    assert any(getattr(r, "event", "") == "refused" or r.msg == "refused" for r in captured.records)
    assert _leaks(captured.lines, patterns) == []


def test_the_check_would_see_a_leak(demo_country, captured):
    """The detector itself: a name, a birth date or a document number logged is found."""
    from palermo.cases.models import Person

    p = Person.objects.exclude(identity_number="").exclude(birthdate=None).first()
    assert p is not None
    logging.getLogger("palermo.test").info("opened %s", p.family_name)
    logging.getLogger("palermo.test").info("born", extra={"on": p.birthdate.isoformat()})
    logging.getLogger("palermo.test").info("doc", extra={"number": p.identity_number})
    assert len(_leaks(captured.lines[-6:], _personal_values())) >= 6
