"""An Authorization header is never written to a log line (core/logs.py: no secrets, no
personal data). django-ninja's ``HttpBearer`` logs the *whole* header at ERROR when its scheme
is not ``Bearer`` and ``DEBUG`` is on — as in the demo and on a staging server — so a client
sending ``Basic user:password`` or a token under another scheme put the password or the token
in the log. Palermo's ``TokenAuth`` reads the header itself."""

from __future__ import annotations

import base64
import logging

import pytest

from palermo.core.models import User
from palermo.core.tokens import token_create

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-battery-2026"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + " " + repr(record.__dict__))


@pytest.fixture
def captured():
    handler = _Capture()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


@pytest.mark.parametrize("debug", [True, False])
def test_no_authorization_header_in_any_log_line(client, settings, captured, debug):
    settings.DEBUG = debug
    User.objects.create_user(username="client-user", password=PASSWORD)
    basic = base64.b64encode(f"client-user:{PASSWORD}".encode()).decode()
    secrets = [basic, "plm_" + "s3cr3t" * 6]
    for header in (f"Basic {basic}", f"Token {secrets[1]}", f"bearer{secrets[1]}"):
        r = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
        assert r.status_code == 401
    assert captured.lines, "nothing was logged at all"
    assert not [line for line in captured.lines for s in secrets if s in line]


def test_a_bearer_token_still_signs_in_whatever_the_scheme_case(client, persona_org):
    user, org = persona_org
    _, clear = token_create(actor=user, organisation=org, name="t")
    for scheme in ("Bearer", "bearer", "BEARER"):
        r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"{scheme} {clear}")
        assert r.status_code == 200, scheme
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {clear}x").status_code == 401


@pytest.fixture
def persona_org(db):
    from palermo.core.models import Membership, Organisation

    org = Organisation.objects.create(name="Test NGO", org_type="ngo", country="XK")
    user = User.objects.create_user(username="token-user", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role="case_worker")
    return user, org
