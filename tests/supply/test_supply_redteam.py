"""Red-team review of the supply importers: a zip bomb posing as XLSX is refused (4xx)
before openpyxl opens it (regression cover for the service-level check_bytes)."""

from __future__ import annotations

import io
import zipfile

import pytest


def _bomb_xlsx(unpacked: int = 8 * 1024 * 1024) -> bytes:
    """A small zip whose sheet member unpacks to ``unpacked`` bytes (ratio about 1000:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * unpacked)
    return buf.getvalue()


@pytest.mark.django_db
def test_redteam_order_import_of_a_zip_bomb_answers_4xx(supply_demo, login_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = login_as("procurement")
    upload = SimpleUploadedFile("orders.xlsx", _bomb_xlsx(), content_type="application/zip")
    r = c.post("/supply/orders/import/", {"file": upload})
    assert 400 <= r.status_code < 500
    assert "refused before it was opened" in r.content.decode()
