"""`palermo exercise create|list|tick|reset|archive|delete`, in a subprocess (a fresh Django set
up on the exercise's own database, as in real use).

Creating an exercise (migrating a new database, loading the scenario, hashing forty passwords)
takes about half a minute: it is done once per test run (``created``, tests/runonce.py), and
each test that changes the exercise works on its own copy of it (``_copy``). ``reset`` still
builds the exercise again from nothing, as it does in real use.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.runonce import built_once

NAME = "cohort-1"


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


@pytest.fixture(scope="session")
def created(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var directory in which ``palermo exercise create harbour_crossing --name cohort-1
    --antennas 2`` ran, once per test run; what the command answered is kept in create.json.
    Not to be changed: tests copy it (``_copy``)."""

    def build(var: Path) -> None:
        r = _run(var, "create", "harbour_crossing", "--name", NAME, "--antennas", "2")
        answer = {"returncode": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
        (var / "create.json").write_text(json.dumps(answer))

    return built_once(tmp_path_factory, "exercise-create-cohort-1", build)


def _created_answer(created: Path) -> dict[str, object]:
    return dict(json.loads((created / "create.json").read_text()))


def _copy(created: Path, var: Path) -> None:
    """This test's own copy of the created exercise, in the var directory ``var`` (the registry
    names the copy's database)."""
    made = _created_answer(created)
    assert made["returncode"] == 0, made["stderr"]
    shutil.copytree(created / "exercises", var / "exercises")
    registry = var / "exercises" / NAME / "exercise.json"
    entry = json.loads(registry.read_text())
    entry["database"] = f"sqlite:///{var / 'exercises' / NAME / 'exercise.sqlite3'}"
    registry.write_text(json.dumps(entry, indent=2))


@pytest.mark.slow
def test_create_tick_reset_archive_delete(tmp_path, created):
    r = _created_answer(created)
    assert r["returncode"] == 0, r["stderr"]
    d = created / "exercises" / NAME
    db = d / "exercise.sqlite3"
    assert db.is_file() and (d / "logins.txt").stat().st_mode & 0o077 == 0
    # immutable: read without writing -wal/-shm files beside it while another test copies it
    with sqlite3.connect(f"file:{db}?immutable=1", uri=True) as con:
        assert con.execute("select count(*) from exercise_exercise").fetchone()[0] == 1
        assert (
            con.execute("select count(*) from exercise_participant").fetchone()[0]
            == 32 + 2 + 2 + 1 + 3
        )
    _copy(created, tmp_path)  # the rest changes the exercise: this test's own copy
    d = tmp_path / "exercises" / NAME
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
def test_import_applications_and_select(tmp_path, created):
    _copy(created, tmp_path)
    good = tmp_path / "apps.csv"
    good.write_text(
        "reference,name,country,organisation,profession,gender,languages\n"
        "A1,Ana,MD,Police,prosecutor,female,ro\n"
        "A2,Bo,RS,NGO,judge,male,sr\n"
        "A3,Cy,MD,NGO,judge,male,\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "A4,Di,ZZ,NGO,judge,male,\n")
    r = _run(tmp_path, "import-applications", "cohort-1", str(bad))
    assert r.returncode == 1 and "line 5 country" in r.stderr and "Nothing was imported" in r.stderr
    r = _run(tmp_path, "import-applications", "cohort-1", str(good))
    assert r.returncode == 0 and "3 applications imported." in r.stdout
    r = _run(
        tmp_path, "select", "cohort-1", "--places", "2", "--quota", "prosecutor=1", "--cap", "1"
    )
    assert r.returncode == 0, r.stderr
    assert "2 of 2 places filled" in r.stdout and "profession prosecutor: 1/1 target 1" in r.stdout
    assert "country MD: 1/2 target 1" in r.stdout
    r = _run(tmp_path, "select", "cohort-1", "--places", "2", "--quota", "prosecutor=5")
    assert r.returncode == 1 and "more than the places" in r.stderr
    r = _run(tmp_path, "select", "cohort-1", "--places", "2", "--quota", "astronaut=1")
    assert r.returncode == 2


@pytest.mark.slow
def test_tabletop_commands_act_as_an_account(tmp_path, created):
    _copy(created, tmp_path)
    r = _run(tmp_path, "tabletop", "cohort-1", "--as", "controller-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("TRAINING EXERCISE cohort-1") and "No inject delivered." in r.stdout
    r = _run(tmp_path, "tabletop", "cohort-1", "--as", "a-ngo_worker-1")
    assert r.returncode == 3 and "controller" in r.stderr
    args = ["answer", "cohort-1", "--inject", "SOC-02", "--team", "a", "--question", "1"]
    r = _run(tmp_path, *args, "--text", "x", "--as", "antenna-1")
    assert r.returncode == 3
    r = _run(tmp_path, *args, "--text", "x", "--as", "chief")
    assert r.returncode == 1 and "has not reached team 'a'" in r.stderr
    db = tmp_path / "exercises" / "cohort-1" / "exercise.sqlite3"
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from exercise_tabletopanswer").fetchone()[0] == 0
        refused = con.execute(
            "select count(*) from core_auditentry where action='refused' and "
            "object_type like 'exercise_tabletop%'"
        ).fetchone()[0]
        assert refused == 2
