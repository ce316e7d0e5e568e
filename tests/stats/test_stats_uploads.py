"""Import files held for confirmation are removed after a day, without waiting for the
next upload: on opening the import page, and by `palermo import sweep` (cron)."""

from __future__ import annotations

import os
import time

import pytest
from django.urls import reverse
from typer.testing import CliRunner

from palermo.cli import app
from palermo.stats import uploads


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _held(name: str, age_hours: float):
    path = uploads.upload_dir() / f"{name}.upload"
    path.write_bytes(b"personId,gender\n1,female\n")
    stamp = time.time() - age_hours * 3600
    os.utime(path, (stamp, stamp))
    return path


def test_sweep_removes_only_old_held_uploads():
    old, fresh = _held("a" * 32, 25), _held("b" * 32, 1)
    other = uploads.upload_dir() / "notes.txt"
    other.write_text("not an upload")
    assert uploads.sweep() == 1
    assert not old.exists() and fresh.exists() and other.exists()
    assert uploads.sweep() == 0


def test_opening_the_import_page_sweeps(login_as):
    old, fresh = _held("c" * 32, 30), _held("d" * 32, 2)
    assert login_as("coordinator").get(reverse("stats:import")).status_code == 200
    assert not old.exists() and fresh.exists()


@pytest.mark.django_db
def test_cli_sweep_for_cron():
    old, fresh = _held("e" * 32, 3), _held("f" * 32, 0.5)
    result = CliRunner().invoke(app, ["import", "sweep", "--hours", "2"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 unconfirmed upload(s)." in result.output
    assert not old.exists() and fresh.exists()
