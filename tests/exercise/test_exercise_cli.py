"""`palermo exercise create|list|tick|reset|archive|delete`, in a subprocess (a fresh Django set
up on the exercise's own database, as in real use)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest


def _run(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PALERMO_TESTING", "DATABASE_URL", "PALERMO_EXERCISE"}
    }
    env["PALERMO_VAR_DIR"] = str(var)
    return subprocess.run(  # noqa: S603 – our own command, fixed arguments
        [sys.executable, "-c", "from palermo.cli import main; main()", "exercise", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=var,
        timeout=300,
    )


@pytest.mark.slow
def test_create_tick_reset_archive_delete(tmp_path):
    r = _run(tmp_path, "create", "harbour_crossing", "--name", "cohort-1", "--antennas", "2")
    assert r.returncode == 0, r.stderr
    d = tmp_path / "exercises" / "cohort-1"
    db = d / "exercise.sqlite3"
    assert db.is_file() and (d / "logins.txt").stat().st_mode & 0o077 == 0
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from exercise_exercise").fetchone()[0] == 1
        assert (
            con.execute("select count(*) from exercise_participant").fetchone()[0]
            == 32 + 2 + 2 + 1 + 3
        )
    again = _run(tmp_path, "create", "harbour_crossing", "--name", "cohort-1")
    assert again.returncode == 2 and "exists" in again.stderr
    assert "cohort-1" in _run(tmp_path, "list").stdout
    assert _run(tmp_path, "tick", "cohort-1").stdout.strip() == "0 deliveries."  # clock not started
    assert _run(tmp_path, "reset", "cohort-1", "--yes").returncode == 0
    r = _run(tmp_path, "archive", "cohort-1")
    assert r.returncode == 0
    archives = list((tmp_path / "exercises" / "archive").glob("cohort-1-*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as tar:
        assert "cohort-1/exercise.sqlite3" in tar.getnames()
    assert _run(tmp_path, "delete", "cohort-1", "--yes").returncode == 0
    assert not d.exists()
    assert _run(tmp_path, "serve", "cohort-1").returncode == 2  # gone


def test_broken_package_loads_nothing(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "scenario.yaml").write_text("schema: 1\nid: x\n")
    r = _run(tmp_path, "create", str(pkg), "--name", "broken")
    assert r.returncode == 1
    assert "scenario.yaml, line 1" in r.stderr and "msel.yaml: this file is missing" in r.stderr
    assert not (tmp_path / "exercises" / "broken" / "exercise.sqlite3").exists()


def test_names_are_checked(tmp_path):
    assert _run(tmp_path, "create", "harbour_crossing", "--name", "../etc").returncode == 2


@pytest.mark.slow
def test_import_applications_and_select(tmp_path):
    assert _run(tmp_path, "create", "harbour_crossing", "--name", "sel-1").returncode == 0
    good = tmp_path / "apps.csv"
    good.write_text(
        "reference,name,country,organisation,profession,gender,languages\n"
        "A1,Ana,MD,Police,prosecutor,female,ro\n"
        "A2,Bo,RS,NGO,judge,male,sr\n"
        "A3,Cy,MD,NGO,judge,male,\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "A4,Di,ZZ,NGO,judge,male,\n")
    r = _run(tmp_path, "import-applications", "sel-1", str(bad))
    assert r.returncode == 1 and "line 5 country" in r.stderr and "Nothing was imported" in r.stderr
    r = _run(tmp_path, "import-applications", "sel-1", str(good))
    assert r.returncode == 0 and "3 applications imported." in r.stdout
    r = _run(tmp_path, "select", "sel-1", "--places", "2", "--quota", "prosecutor=1", "--cap", "1")
    assert r.returncode == 0, r.stderr
    assert "2 of 2 places filled" in r.stdout and "profession prosecutor: 1/1 target 1" in r.stdout
    assert "country MD: 1/2 target 1" in r.stdout
    r = _run(tmp_path, "select", "sel-1", "--places", "2", "--quota", "prosecutor=5")
    assert r.returncode == 1 and "more than the places" in r.stderr
    r = _run(tmp_path, "select", "sel-1", "--places", "2", "--quota", "astronaut=1")
    assert r.returncode == 2


@pytest.mark.slow
def test_tabletop_commands_act_as_an_account(tmp_path):
    assert _run(tmp_path, "create", "harbour_crossing", "--name", "tt-1").returncode == 0
    r = _run(tmp_path, "tabletop", "tt-1", "--as", "controller-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("TRAINING EXERCISE tt-1") and "No inject delivered." in r.stdout
    r = _run(tmp_path, "tabletop", "tt-1", "--as", "a-ngo_worker-1")
    assert r.returncode == 3 and "controller" in r.stderr
    args = ["answer", "tt-1", "--inject", "SOC-02", "--team", "a", "--question", "1"]
    r = _run(tmp_path, *args, "--text", "x", "--as", "antenna-1")
    assert r.returncode == 3
    r = _run(tmp_path, *args, "--text", "x", "--as", "chief")
    assert r.returncode == 1 and "has not reached team 'a'" in r.stderr
    db = tmp_path / "exercises" / "tt-1" / "exercise.sqlite3"
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from exercise_tabletopanswer").fetchone()[0] == 0
        refused = con.execute(
            "select count(*) from core_auditentry where action='refused' and "
            "object_type like 'exercise_tabletop%'"
        ).fetchone()[0]
        assert refused == 2
