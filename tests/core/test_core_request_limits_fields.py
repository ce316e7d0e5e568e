"""A form field over DATA_UPLOAD_MAX_MEMORY_SIZE, or too many fields, is answered in the API's
one error shape (413 / 422 JSON) or the bad-input page, never Django's bare 400 page."""

from __future__ import annotations

from django.test import override_settings


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_oversized_form_field_is_a_413_in_the_api_shape(client, db) -> None:
    response = client.post("/api/v1/supply/screen", {"note": "x" * 4096})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["field"] == "body"


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=3)
def test_too_many_fields_is_a_422_naming_the_body(client, db) -> None:
    response = client.post("/api/v1/supply/screen", {f"f{i}": "1" for i in range(10)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_page_gets_the_bad_input_page_not_a_bare_400(client, db) -> None:
    response = client.post("/accounts/login/", {"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert b"larger than the limit" in response.content
