"""An exercise instance started from the live instance's environment uses none of its keys
and reaches none of its partners (red-team review): field keys, audit checkpoint key and log,
cross-border identity, keys and trust anchors. Each case runs in a fresh process, as real
starts do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({k: str(getattr(s, k))"
    " for k in ('PALERMO_FIELD_KEYS_FILE', 'PALERMO_AUDIT_SIGNING_KEY', 'PALERMO_AUDIT_PUBLIC_KEY',"
    " 'PALERMO_AUDIT_CHECKPOINT_LOG', 'CROSSBORDER_ENTITY_ID', 'CROSSBORDER_KEYS_FILE',"
    " 'CROSSBORDER_ANCHORS_FILE', 'EMAIL_BACKEND', 'PALERMO_EXERCISE',"
    " 'PALERMO_OIDC_DISCOVERY_URL', 'PALERMO_OIDC_CLIENT_ID', 'PALERMO_OIDC_CLIENT_SECRET')}))"
)


def _live_env(live: Path) -> dict[str, str]:
    """The environment of a production instance, with its key files in place."""
    live.mkdir()
    files = {
        "PALERMO_FIELD_KEYS_FILE": live / "field-keys.json",
        "PALERMO_AUDIT_SIGNING_KEY": live / "audit-signing.pem",
        "PALERMO_AUDIT_PUBLIC_KEY": live / "audit-public.pem",
        "PALERMO_AUDIT_CHECKPOINT_LOG": live / "checkpoints.log",
        "PALERMO_CROSSBORDER_KEYS_FILE": live / "crossborder-keys.json",
        "PALERMO_CROSSBORDER_ANCHORS_FILE": live / "anchors.json",
    }
    for f in files.values():
        f.write_text("{}")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PALERMO_TESTING", "DATABASE_URL", "PALERMO_EXERCISE", "PALERMO_DEMO"}
    }
    env.update({k: str(v) for k, v in files.items()})
    env.update(
        {
            "PALERMO_VAR_DIR": str(live),
            "SECRET_KEY": "x" * 60,
            "PALERMO_CROSSBORDER_ENTITY_ID": "https://palermo.live.example",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "PALERMO_OIDC_DISCOVERY_URL": "https://id.live.example/realms/state",
            "PALERMO_OIDC_CLIENT_ID": "palermo-live",
            "PALERMO_OIDC_CLIENT_SECRET": "live-sso-secret",
        }
    )
    return env


def _assert_none_live(seen: dict[str, str], live: Path) -> None:
    for key, value in seen.items():
        assert str(live) + os.sep not in value or "/exercises/" in value, (key, value)
    assert seen["CROSSBORDER_ENTITY_ID"].endswith(".exercise.invalid")
    assert seen["PALERMO_AUDIT_SIGNING_KEY"] == seen["PALERMO_AUDIT_CHECKPOINT_LOG"] == ""
    assert seen["EMAIL_BACKEND"] == "palermo.exercise.outbound.TrainingEmailBackend"
    # No single sign-on with the live identity provider, and its secret is not there.
    assert not any(v for k, v in seen.items() if k.startswith("PALERMO_OIDC_")), seen


def test_palermo_exercise_enters_with_none_of_the_live_keys(tmp_path):
    live = tmp_path / "live"
    env = _live_env(live)
    code = (
        "from palermo.exercise.cli import _enter; "
        f"_enter('drill', 'sqlite:///{tmp_path / 'ex.sqlite3'}'); " + SHOW
    )
    out = subprocess.run(  # noqa: S603 – our own interpreter, fixed code
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["PALERMO_EXERCISE"] == "drill"
    here = live / "exercises" / "drill"
    assert seen["PALERMO_FIELD_KEYS_FILE"] == str(here / "field-keys.json")
    assert seen["CROSSBORDER_KEYS_FILE"].startswith(str(here))
    _assert_none_live(seen, live)


def test_settings_ignore_the_live_keys_even_without_the_command(tmp_path):
    """PALERMO_EXERCISE set by hand on a live environment: the audit and cross-border keys
    are still not used, and the live field-key file stops the start-up."""
    live = tmp_path / "live"
    env = _live_env(live) | {"PALERMO_EXERCISE": "drill"}
    out = subprocess.run(  # noqa: S603 – our own interpreter, fixed code
        [sys.executable, "-c", "import django; django.setup(); " + SHOW],
        env=env | {"DJANGO_SETTINGS_MODULE": "palermo.settings"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert out.returncode != 0
    assert "field-key file in its own directory" in out.stderr, out.stderr[-500:]
    # With a key file of its own, it starts, and still uses none of the live keys.
    own = tmp_path / "own" / "exercises" / "drill"
    own.mkdir(parents=True)
    (own / "field-keys.json").write_text(live.joinpath("field-keys.json").read_text())
    env |= {"PALERMO_VAR_DIR": str(own), "PALERMO_FIELD_KEYS_FILE": str(own / "field-keys.json")}
    out = subprocess.run(  # noqa: S603 – our own interpreter, fixed code
        [sys.executable, "-c", "import django; django.setup(); " + SHOW],
        env=env | {"DJANGO_SETTINGS_MODULE": "palermo.settings"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    _assert_none_live(seen, live)
    assert seen["CROSSBORDER_KEYS_FILE"].startswith(str(own))
