"""The HTTP API: token auth, error format, pagination, policy and audit."""

from __future__ import annotations

import pytest

from palermo.core.models import AuditEntry, PersonalAccessToken


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_openapi_schema_is_published(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Palermo API"
    assert "/api/v1/me" in schema["paths"]


def test_openapi_schema_has_no_key_twice_in_one_object(client, db):
    """The docs page parses the schema strictly: one object naming a key twice (an operation's
    ``response=`` status as a number and its ``openapi_extra`` status as a string, both 429)
    made /api/v1/docs show "Parser error: duplicated mapping key" instead of the API."""
    import json

    twice: list[list[str]] = []

    def keys_once(pairs: list[tuple[str, object]]) -> dict[str, object]:
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            twice.append(names)
        return dict(pairs)

    response = client.get("/api/v1/openapi.json")
    json.loads(response.content, object_pairs_hook=keys_once)
    assert not twice, twice


def test_docs_page_loads_without_third_party_scripts(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "cdn." not in response.content.decode()


def test_unauthenticated_gets_401_in_standard_shape(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_bad_token_401(client, db):
    assert client.get("/api/v1/me", **auth("plm_nope")).status_code == 401
    assert client.get("/api/v1/me", **auth("x" * 5000)).status_code == 401


def test_me_with_token(client, api_token):
    token = api_token("coordinator")
    body = client.get("/api/v1/me", **auth(token)).json()
    assert body["username"] == "coordinator"
    assert "core.view_audit_all" in body["permissions"]


def test_revoked_and_expired_tokens_stop_working(client, api_token):
    from datetime import timedelta

    from django.utils import timezone

    token = api_token("analyst")
    record = PersonalAccessToken.objects.get(user__username="analyst")
    record.revoked_at = timezone.now()
    record.save()
    assert client.get("/api/v1/me", **auth(token)).status_code == 401
    token2 = api_token("analyst")
    PersonalAccessToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get("/api/v1/me", **auth(token2)).status_code == 401


def test_token_is_stored_hashed(api_token):
    token = api_token("analyst")
    record = PersonalAccessToken.objects.get()
    assert token not in (record.digest, record.prefix)
    assert record.prefix == token[:12]


def test_token_lifecycle_through_api(client, api_token):
    token = api_token("police")
    created = client.post(
        "/api/v1/tokens", {"name": "second"}, content_type="application/json", **auth(token)
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("plm_")
    listing = client.get("/api/v1/tokens", **auth(token)).json()
    assert listing["count"] == 2 and all("token" not in t for t in listing["items"])
    assert client.delete(f"/api/v1/tokens/{body['id']}", **auth(token)).status_code == 204
    assert client.get("/api/v1/me", **auth(body["token"])).status_code == 401
    assert AuditEntry.objects.filter(object_type="api_token", action="delete").exists()


def test_validation_error_shape_names_the_field(client, api_token):
    token = api_token("police")
    response = client.post(
        "/api/v1/tokens", {"name": ""}, content_type="application/json", **auth(token)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert body["errors"][0]["field"] == "name"
    response = client.post(
        "/api/v1/tokens", "{not json", content_type="application/json", **auth(token)
    )
    assert response.status_code in (400, 422)
    assert PersonalAccessToken.objects.count() == 1


def test_service_errors_use_the_same_shape(client, api_token):
    token = api_token("police")
    response = client.post(
        "/api/v1/tokens",
        {"name": "x", "expires_at": "2001-01-01T00:00:00Z"},
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "expires_at", "message": "The expiry date must be in the future."}
    ]


def test_cannot_revoke_others_token_via_api(client, api_token):
    mine = api_token("police")
    api_token("analyst")
    other = PersonalAccessToken.objects.get(user__username="analyst")
    assert client.delete(f"/api/v1/tokens/{other.pk}", **auth(mine)).status_code == 404


def test_pagination(client, api_token):
    token = api_token("coordinator")
    body = client.get("/api/v1/organisations?page_size=3&page=2", **auth(token)).json()
    assert (
        body["page"] == 2 and body["page_size"] == 3 and body["count"] == 7 and body["pages"] == 3
    )
    assert len(body["items"]) == 3
    assert client.get("/api/v1/organisations?page_size=500", **auth(token)).status_code == 422
    assert client.get("/api/v1/organisations?page=0", **auth(token)).status_code == 422


def test_permission_refusal_is_403_and_audited(client, api_token):
    token = api_token("caseworker")
    response = client.get("/api/v1/audit", **auth(token))
    assert response.status_code == 403
    assert response.json()["detail"]
    refusal = AuditEntry.objects.filter(action="refused").latest("id")
    assert (
        refusal.actor_username == "caseworker"
        and refusal.details["permission"] == "core.view_audit"
    )


def test_audit_api_scoped_and_audited(client, api_token):
    token = api_token("admin")
    body = client.get("/api/v1/audit?action=create", **auth(token)).json()
    assert body["count"] >= 1
    assert all(item["organisation_id"] is not None for item in body["items"])
    assert AuditEntry.objects.filter(
        action="read", object_type="audit_trail", actor_username="admin"
    ).exists()


@pytest.mark.parametrize("query", ["since=notadate", "until=2026-13-01", "action=" + "x" * 30])
def test_audit_api_rejects_bad_filters(client, api_token, query):
    token = api_token("coordinator")
    response = client.get(f"/api/v1/audit?{query}", **auth(token))
    assert response.status_code == 422
    assert response.json()["errors"]


def test_session_auth_requires_csrf_for_writes(demo_world):
    from django.test import Client

    from palermo.core.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="police"))
    client.get("/dashboard/")
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert PersonalAccessToken.objects.count() == 0


def test_no_two_response_schemas_share_a_name():
    """OpenAPI components are keyed by the schema's class name: two contexts each defining a
    ``FigureOut`` made one operation's response be checked against the other's (the exercise
    evidence figures against the monitoring indicators). Every name must be one class."""
    import ninja

    from palermo.api import api  # noqa: F401  (every context's router is mounted)

    def walk(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]

    by_name: dict[str, set[str]] = {}
    for cls in walk(ninja.Schema):
        # A paginator's nested Input/Output are named by django-ninja's convention; its query
        # parameters are documented per operation, not through a shared component.
        nested = "." in cls.__qualname__ and cls.__name__ in {"Input", "Output"}
        if cls.__module__.startswith("palermo.") and not nested:
            by_name.setdefault(cls.__name__, set()).add(cls.__module__)
    shared = {name: sorted(mods) for name, mods in by_name.items() if len(mods) > 1}
    assert not shared, shared
