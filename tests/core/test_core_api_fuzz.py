"""Schemathesis against the published OpenAPI schema: no 5xx, responses match the schema.

Also run by `.ci/run` against PostgreSQL. Runs with a valid token (a co-ordinator, who may call most operations) so the
fuzzer reaches the operations' own validation rather than stopping at 401; then once for every role that has API
access (screener, case worker, co-ordinator, investigator, analyst, administrator), each with its own token, over
examples drawn from all operations at once: refusals (403/404) must be in the schema too, and no role may find a 5xx.
The number of examples is bounded so the run stays within minutes; with ``CI`` set, hypothesis is derandomised
(tests/conftest.py), so CI replays the same examples.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from palermo.wsgi import application

# Fetching the schema touches no database, so it can load at collection time.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, fuzz_token):
    # Business rules that OpenAPI cannot express (an expiry date in the future)
    # legitimately reject some schema-valid input with 422, so the
    # "positive data accepted" check is off; every other check stays on.
    _call_and_validate(case, fuzz_token)


# Demo personas holding exactly one role each (police holds screener + investigator).
ROLE_PERSONAS = {
    "screener": "inspector",
    "case worker": "caseworker",
    "co-ordinator": "coordinator",
    "investigator": "fiu",
    "analyst": "analyst",
    "administrator": "admin",
}
EXAMPLES_PER_ROLE = 120


@pytest.mark.parametrize("role", list(ROLE_PERSONAS))
def test_api_conforms_to_its_schema_for_every_role(role, api_token):
    token = api_token(ROLE_PERSONAS[role])

    @given(case=schema.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_ROLE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(case):
        _call_and_validate(case, token)

    run()


def _call_and_validate(case, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    raw = getattr(case.operation.definition, "raw", None) or {}
    documented = {str(code) for code in (raw.get("responses") or {})}
    if response.status_code == 413 and "413" not in documented:
        # A body over the request-size limit is refused before any operation reads it, whatever
        # the operation (core.middleware.InputSafetyMiddleware, docs/api.md); that one answer
        # is checked here rather than repeated in every operation's schema: it is given only
        # to a body over a limit, in the API's one error shape.
        from django.conf import settings as django_settings

        body = response.request.body or b""
        size = len(body.encode() if isinstance(body, str) else body)
        assert size > min(
            django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            django_settings.PALERMO_REQUEST_MAX_BYTES,
        ), size
        assert response.json()["errors"][0]["field"] == "body"
        return
    case.validate_response(
        response,
        headers=headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


@pytest.fixture
def fuzz_token(api_token):
    return api_token("coordinator")


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose
    close_old_connections would close the test's transaction-bound connection
    (PostgreSQL); Django's own test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
