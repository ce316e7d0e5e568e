"""NUL bytes, lone surrogates and invalid UTF-8: refused in one place before any view (issue 11).

Regression tests for the two 500s the red team found (``/api/v1/organisations?q=%00``,
``/api/v1/audit?object_type=%00``), a sweep over every API GET operation with ``%00`` in each
string query parameter, JSON and form bodies, paths, the web page, and the request-size gate.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _h(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def raw_client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/organisations?q=%00", "q"),
        ("/api/v1/audit?object_type=%00", "object_type"),
    ],
)
def test_nul_in_the_query_that_gave_500_is_refused_in_the_error_shape(
    raw_client, api_token, url, field
):
    resp = raw_client.get(url, **_h(api_token("coordinator")))
    assert resp.status_code == 422
    body = resp.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"] == [{"field": field, "message": body["errors"][0]["message"]}]
    assert "NUL" in body["errors"][0]["message"]


@pytest.mark.parametrize("query", ["q=%ff%fe", "q=%ed%a0%80", "q%00=x", "q=a%00b&page=1"])
def test_invalid_utf8_surrogates_and_nul_names_are_refused(raw_client, api_token, query):
    resp = raw_client.get(f"/api/v1/organisations?{query}", **_h(api_token("coordinator")))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "q"


def test_clean_queries_still_work(raw_client, api_token):
    resp = raw_client.get("/api/v1/organisations?q=%C3%89tat", **_h(api_token("coordinator")))
    assert resp.status_code == 200


def _string_query_parameters(operation: dict) -> list[str]:
    names = []
    for p in operation.get("parameters", []):
        if p.get("in") != "query":
            continue
        schema = p.get("schema", {})
        types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
        if "string" in types or not types - {None}:
            names.append(p["name"])
    return names


def _concrete(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def test_sweep_every_api_get_with_nul_in_each_string_query_parameter(raw_client, api_token):
    """No 5xx anywhere: every GET operation, each string query parameter set to ``x%00y``."""
    from django.test.utils import override_settings

    token = api_token("coordinator")
    schema = raw_client.get("/api/v1/openapi.json").json()
    tried = 0
    with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False):
        for path, item in schema["paths"].items():
            operation = item.get("get")
            if not operation:
                continue
            url = "/api/v1" + _concrete(path.removeprefix("/api/v1"), {})
            for name in _string_query_parameters(operation):
                resp = raw_client.get(f"{url}?{name}=x%00y", **_h(token))
                tried += 1
                assert resp.status_code < 500, (path, name, resp.status_code)
                assert resp.status_code == 422, (path, name, resp.status_code)
                assert resp.json()["errors"][0]["field"] == name
    assert tried >= 10  # the sweep reaches real parameters (q, status, object_type, page …)


def test_json_body_with_nul_or_a_lone_surrogate_changes_nothing(raw_client, api_token):
    from palermo.core.models import PersonalAccessToken as ApiToken

    token = api_token("coordinator")
    before = ApiToken.objects.count()
    for raw in ('{"name": "a\\u0000b"}', '{"name": "a\\ud800b"}', '{"a\\u0000": 1, "name": "x"}'):
        resp = raw_client.post("/api/v1/tokens", raw, content_type="application/json", **_h(token))
        assert resp.status_code == 422, raw
        assert resp.json()["errors"][0]["field"] in ("name", "body")
    assert ApiToken.objects.count() == before


def test_nested_json_fields_are_named_by_their_path(raw_client, api_token):
    body = {"person": {"given_name": "A\x00B"}, "exploitation_forms": ["ForcedLabour"]}
    resp = raw_client.post(
        "/api/v1/cases",
        json.dumps(body),
        content_type="application/json",
        **_h(api_token("outreach")),
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "person.given_name"


def test_body_that_is_not_utf8_is_refused(raw_client, api_token):
    resp = raw_client.post(
        "/api/v1/tokens",
        b'{"name": "\xff"}',
        content_type="application/json",
        **_h(api_token("coordinator")),
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "body"


def test_web_form_with_nul_gets_a_clear_page_and_no_login_attempt_is_stored(raw_client):
    before = AuditEntry.objects.count()
    resp = raw_client.post("/accounts/login/", {"username": "co\x00ordinator", "password": "x"})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "username" in page and "NUL" in page
    assert AuditEntry.objects.count() == before


def test_web_query_and_path_with_nul_get_the_page(login_as):
    client = login_as("coordinator")
    client.raise_request_exception = False
    assert client.get("/cases/?q=%00").status_code == 400
    resp = client.get("/cases/NRM%00/")
    assert resp.status_code == 400 and "path" in resp.content.decode()


def test_a_body_larger_than_any_upload_limit_is_refused_before_it_is_read(
    raw_client, api_token, settings
):
    settings.PALERMO_REQUEST_MAX_BYTES = 1000
    resp = raw_client.post(
        "/api/v1/tokens",
        json.dumps({"name": "x" * 2000}),
        content_type="application/json",
        **_h(api_token("coordinator")),
    )
    assert resp.status_code == 413 and set(resp.json()) == {"detail", "errors"}


@pytest.mark.parametrize("value", ["plain", "Été", "日本", "emoji 🙂", ""])
def test_ordinary_text_passes(value):
    from palermo.core.middleware import _bytes_problem, _text_problem

    assert _text_problem(value) is None
    assert _bytes_problem(value.encode()) is None


def test_only_statement_addresses_accept_statement_sized_bodies(raw_client, api_token, settings):
    settings.PALERMO_REQUEST_MAX_BYTES = 1000
    settings.PALERMO_REQUEST_MAX_BYTES_BY_PREFIX = {"/api/v1/investigations/": 100_000}
    token = api_token("police")
    body = json.dumps({"title": "x" * 5000})
    assert (
        raw_client.post(
            "/api/v1/tokens", body, content_type="application/json", **_h(token)
        ).status_code
        == 413
    )
    resp = raw_client.post(
        "/api/v1/investigations/", body, content_type="application/json", **_h(token)
    )
    assert resp.status_code != 413
