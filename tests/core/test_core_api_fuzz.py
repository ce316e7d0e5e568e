"""Schemathesis against the published OpenAPI schema: no 5xx, responses match the schema.

Also run by `.ci/run` against PostgreSQL. Runs with a valid token (a co-ordinator, who may call most operations) so the
fuzzer reaches the operations' own validation rather than stopping at 401.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from palermo.wsgi import application

# Fetching the schema touches no database, so it can load at collection time.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, fuzz_token):
    token = fuzz_token
    # Business rules that OpenAPI cannot express (an expiry date in the future)
    # legitimately reject some schema-valid input with 422, so the
    # "positive data accepted" check is off; every other check stays on.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
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
