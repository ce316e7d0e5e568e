"""The monitoring context's recommendation import goes through the shared import limits
(issue 11, item 3: every importer, future ones included): a zip bomb is refused before the
workbook is opened, on the web, the API and the command line, and nothing is registered."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.test_input_limits_uploads import bomb, never_opened, xlsx_bomb  # noqa: F401

pytestmark = pytest.mark.django_db


def _count() -> int:
    from palermo.monitor.models import Recommendation

    return Recommendation.objects.count()


def test_api_refuses_a_zip_bomb_before_opening_it(client, api_token, bomb, never_opened):  # noqa: F811
    before = _count()
    resp = client.post(
        "/api/v1/monitor/recommendations/import",
        {"file": SimpleUploadedFile("recs.xlsx", bomb)},
        HTTP_AUTHORIZATION=f"Bearer {api_token('coordinator')}",
    )
    assert resp.status_code == 422, resp.content
    error = resp.json()["errors"][0]
    assert error["field"] == "file" and "unpack" in error["message"], error
    assert _count() == before


def test_web_shows_the_refusal_next_to_the_file_field(login_as, bomb, never_opened):  # noqa: F811
    before = _count()
    resp = login_as("coordinator").post(
        "/monitor/recommendations/import/", {"file": SimpleUploadedFile("recs.xlsx", bomb)}
    )
    assert resp.status_code == 400
    assert any("unpack" in e for e in resp.context["form"].errors["file"])
    assert _count() == before


def test_cli_refuses_it_on_stderr(persona, bomb, never_opened, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    from palermo.cli import app

    persona("coordinator")
    path = tmp_path / "recs.xlsx"
    path.write_bytes(bomb)
    result = CliRunner().invoke(
        app, ["monitor", "import-recommendations", str(path), "--as", "coordinator"]
    )
    assert result.exit_code == 1 and "unpack" in result.stderr
    assert _count() == 0
