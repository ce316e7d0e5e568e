"""`palermo` starts at once: the command line loads only what the chosen command needs
(issue 13, item 4). Checked by what a fresh interpreter has imported, never by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "duckdb",
    "polars",
    "networkx",
    "numpy",
    "jsonschema",
    "django",
    "palermo.investigate.redflags",
    "palermo.stats.htcds_rows",
)
SRC = str(Path(__file__).resolve().parents[2] / "src")


def loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(  # noqa: S603 – this interpreter, our own probe
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert loaded_after("import palermo.cli") == []


def test_help_loads_no_heavy_library():
    code = (
        "import contextlib, io, palermo.cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    palermo.cli.app(['--help'])\n"
        "for group in ('investigate', 'stats', 'keys', 'monitor', 'cases', 'jobs', 'audit'):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        palermo.cli.app([group, '--help'])"
    )
    assert loaded_after(code) == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_screen_loads_neither_django_nor_dataframes(tmp_path, fmt):
    data = tmp_path / f"people.{fmt}"
    if fmt == "csv":
        data.write_text("ref,age,forms\nP-1,30,labour\n", encoding="utf-8")
    else:
        data.write_text('{"ref": "P-1", "age": 30, "forms": ["labour"]}\n')
    code = (
        "import contextlib, io, palermo.cli\n"
        "with contextlib.suppress(SystemExit):\n"
        f"    palermo.cli.app(['screen', {str(data)!r}, '-o', {str(tmp_path / 'out.jsonl')!r},"
        f" '-e', {str(tmp_path / 'err.jsonl')!r}])"
    )
    loaded = loaded_after(code)
    assert not {"django", "duckdb", "polars", "networkx", "numpy"} & set(loaded)
    assert (tmp_path / "out.jsonl").read_text().count('"ref":"P-1"') == 1


def test_the_cli_default_k_is_the_anonymiser_s():
    from palermo.stats import cli
    from palermo.stats.anonymise import DEFAULT_K

    assert cli.DEFAULT_K == DEFAULT_K
