"""`palermo serve`: a sane worker timeout and a private control socket (issue 11, build item 3)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
import typer

from palermo.cli import control_socket_path, gunicorn_argv, gunicorn_version, private_dir


def _parsed(argv: list[str]):
    """The settings gunicorn itself reads from our command line (its own parser, installed version)."""
    from gunicorn.app.wsgiapp import WSGIApplication

    saved = sys.argv
    sys.argv = ["gunicorn", *argv]
    try:
        return WSGIApplication().cfg
    finally:
        sys.argv = saved


def test_command_line_sets_timeout_and_a_private_control_socket(tmp_path):
    sock = control_socket_path(tmp_path / "var")
    argv = gunicorn_argv(
        bind="127.0.0.1:8000",
        workers=3,
        timeout=45,
        control_socket=sock,
        version=gunicorn_version(),
    )
    cfg = _parsed(argv)
    assert cfg.timeout == 45 and cfg.workers == 3 and cfg.graceful_timeout == 30
    if gunicorn_version() >= (25, 1):
        assert (
            Path(cfg.control_socket)
            == sock
            == (tmp_path / "var").resolve() / "run" / "gunicorn.ctl"
        )
        assert cfg.control_socket_mode == 0o600
        assert not str(cfg.control_socket).startswith(
            os.path.expanduser("~/.gunicorn")
        )  # gunicorn's default


def test_no_control_socket_and_old_gunicorns():
    argv = gunicorn_argv(
        bind="127.0.0.1:8000", workers=1, timeout=60, control_socket=None, version=(25, 1, 0)
    )
    assert "--no-control-socket" in argv
    old = gunicorn_argv(
        bind="127.0.0.1:8000", workers=1, timeout=60, control_socket=Path("/x"), version=(23, 0)
    )
    assert not [
        a for a in old if "control-socket" in a
    ]  # gunicorn < 25.1 has no such option (nor socket)


def test_the_socket_directory_is_private(tmp_path):
    d = tmp_path / "run"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)  # noqa: S103 – the permissive directory the code must tighten
    private_dir(d)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    fresh = private_dir(tmp_path / "new" / "run")
    assert stat.S_IMODE(fresh.stat().st_mode) & 0o077 == 0


def test_a_path_too_long_for_a_unix_socket_moves_to_the_private_runtime_dir(tmp_path):
    deep = tmp_path / ("d" * 120)
    sock = control_socket_path(deep, runtime_dir=str(tmp_path / "xdg"))
    assert sock.parent.parent == tmp_path / "xdg" and sock.parent.name.startswith("palermo-")
    with pytest.raises(typer.BadParameter):
        control_socket_path(deep, runtime_dir=None)


def test_serve_print_shows_the_command_and_creates_the_private_directory(
    tmp_path, monkeypatch, settings
):
    from typer.testing import CliRunner

    from palermo.cli import app

    settings.VAR_DIR = tmp_path / "var"
    settings.PALERMO_WORKER_TIMEOUT = 75
    result = CliRunner().invoke(app, ["serve", "--print", "--workers", "4"])
    assert result.exit_code == 0, result.output
    assert "--timeout 75" in result.output and "--workers 4" in result.output
    if gunicorn_version() >= (25, 1):
        run = (tmp_path / "var").resolve() / "run"
        assert f"--control-socket {run / 'gunicorn.ctl'}" in result.output
        assert stat.S_IMODE(run.stat().st_mode) == 0o700
