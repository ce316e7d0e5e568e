"""The `palermo` command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.runonce import schema_cache_env
from tests.waits import WAIT_SECONDS
from typer.testing import CliRunner

from palermo.cli import app
from palermo.core.models import Membership, User

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "demo",
        "serve",
        "migrate",
        "createadmin",
        "audit",
        "version",
        "backup",
        "restore",
    ):
        assert command in result.output


def test_version():
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.output.startswith("palermo ")


def test_createadmin_creates_user_org_and_role(db):
    result = runner.invoke(
        app,
        [
            "createadmin",
            "--username",
            "root-admin",
            "--email",
            "a@example.org",
            "--organisation",
            "Ministry X",
            "--country",
            "rs",
            "--password",
            "A-long-enough-passphrase-42",
        ],
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="root-admin")
    membership = Membership.objects.get(user=user)
    assert membership.role == "administrator" and membership.organisation.country == "RS"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--password", "short"], "password: This password is too short"),
        (["--country", "Serbia"], "country: Use an ISO 3166-1 alpha-2 code"),
        (["--org-type", "army"], "org_type: Unknown organisation type"),
    ],
)
def test_createadmin_rejects_bad_input_and_creates_nothing(db, args, message):
    base = {
        "--username": "x-admin",
        "--email": "",
        "--organisation": "Ministry Y",
        "--country": "RS",
        "--password": "A-long-enough-passphrase-42",
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["createadmin"] + [item for pair in base.items() for item in pair]
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    assert message in result.output
    assert not User.objects.filter(username="x-admin").exists()


def test_createadmin_refuses_taken_username(persona):
    result = runner.invoke(
        app,
        [
            "createadmin",
            "--username",
            "analyst",
            "--email",
            "",
            "--organisation",
            "Z",
            "--country",
            "RS",
            "--password",
            "A-long-enough-passphrase-42",
        ],
    )
    assert result.exit_code == 1 and "taken" in result.output


def test_demo_data_is_deterministic_and_idempotent(db):
    from palermo.core.demo import load_demo

    load_demo()
    first = sorted(User.objects.values_list("username", "first_name", "last_name"))
    memberships = Membership.objects.count()
    load_demo()
    assert sorted(User.objects.values_list("username", "first_name", "last_name")) == first
    # Loading again adds no membership (the count itself grows with the demo's personas).
    assert Membership.objects.count() == memberships > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(
    url: str, proc: subprocess.Popen[bytes] | None = None, seconds: float = WAIT_SECONDS
) -> bytes:
    """The page at ``url`` once the server answers.

    No tight wall-clock deadline (a loaded CI machine took 77 s to start gunicorn): wait while
    the server process is alive, and fail at once, with its output, if it died.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 – local test server
                return r.read()
        except OSError:
            if proc is not None and proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise AssertionError(f"the server exited with {proc.returncode}:\n{out}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALERMO_")}
    env.update({"PALERMO_VAR_DIR": str(tmp_path), "PALERMO_HTTPS": "0"})
    env.pop("DATABASE_URL", None)  # a throw-away SQLite database in tmp_path
    env.update(schema_cache_env())  # this run's migrated empty database (tests/conftest.py)
    return env


def test_serve_refuses_to_start_without_the_field_keys_file(tmp_path):
    env = _env(tmp_path)
    env["SECRET_KEY"] = "test-" + "x" * 60
    proc = subprocess.run(
        [sys.executable, "-m", "palermo.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert proc.returncode == 2
    assert (
        "PALERMO_FIELD_KEYS_FILE is not set" in proc.stderr
        and "palermo keys generate" in proc.stderr
    )


def test_serve_refuses_to_start_without_secret_key(tmp_path):
    env = _env(tmp_path)
    env.pop("SECRET_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "palermo.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert proc.returncode == 2
    assert "SECRET_KEY is not set" in proc.stderr


@pytest.mark.slow  # starts a real gunicorn on a fresh database: about a minute
def test_serve_runs_gunicorn_and_serves_static_files(tmp_path):
    env = _env(tmp_path)
    env["SECRET_KEY"] = "test-" + "x" * 60
    # production needs the field-encryption key file (docs/admin-guide.md)
    from palermo.core import fieldcrypt

    fieldcrypt.write_key_file(tmp_path / "field-keys.json", fieldcrypt.new_key_file())
    env["PALERMO_FIELD_KEYS_FILE"] = str(tmp_path / "field-keys.json")
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 – our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "palermo.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # A fresh database: `serve` applies every migration first (the job queue\'s own among them).
        assert _wait(f"http://127.0.0.1:{port}/healthz", proc) == b"ok"
        css = _wait(f"http://127.0.0.1:{port}/static/palermo/palermo.css")
        assert b"WCAG" in css
        login = _wait(f"http://127.0.0.1:{port}/accounts/login/")
        assert b"Sign in to Palermo" in login
    finally:
        proc.terminate()
        proc.wait(timeout=WAIT_SECONDS)
