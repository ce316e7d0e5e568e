"""Build a directory once per test run, for every pytest-xdist worker.

Some set-ups are whole real processes (``palermo exercise create`` migrating and loading a
scenario: about half a minute each). ``built_once(tmp_path_factory, "name", build)`` runs
``build(folder)`` the first time any worker of this run asks for ``name`` and gives every later
caller, in any worker, the same finished folder. A worker that asks while another is building
waits for it (a file lock), so the work is done once. A build that fails leaves nothing behind:
the next caller builds again.

Callers must not change the folder: tests copy what they will change (its files stay as the
build left them, so every test starts from the same state).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, shared by its workers (each has ``popen-gwN`` inside)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``name``, built by ``build(folder)`` once in this run (in place, so that the
    absolute paths a build writes into its files stay true)."""
    root = run_dir(tmp_path_factory) / "built-once"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


SCHEMA_CACHE = "PALERMO_SCHEMA_CACHE_DIR"


def schema_cache_env() -> dict[str, str]:
    """What a real ``palermo`` process started by a test needs to share this run's migrated
    empty SQLite database (palermo.core.schema_cache; set by tests/conftest.py): add it to an
    environment that otherwise drops every PALERMO_ setting."""
    return {SCHEMA_CACHE: os.environ[SCHEMA_CACHE]} if SCHEMA_CACHE in os.environ else {}
