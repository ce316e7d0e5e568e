"""The committed migrations describe the models exactly.

A model changed without its migration works in a test database built from the
models' current state only by accident; on a deployed PostgreSQL it fails at
the first query. ``makemigrations --check`` exits non-zero when one is missing.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a migration would be written
        pytest.fail(f"models changed without a migration (exit {exc.code}):\n{out.getvalue()}")
