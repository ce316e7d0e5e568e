"""Two REAL Palermo instances on this machine, for the slow end-to-end test
(test_crossborder_e2e.py) and the cross-border benchmark (benchmarks/crossborder_handover.py
``--http``): two ``palermo serve`` processes (gunicorn) on 127.0.0.1 on two free ports, each
with its own SQLite database, var directory, field keys and cross-border key set, each in the
other's trust list (signed by one anchor), and API tokens for the demo's case worker,
co-ordinator and analyst on both.

    with two_instances(root, b_allowed_groups=[...]) as (a, b):
        a.api("POST", "/cases", "caseworker", json={...})

No pytest here: the benchmark imports this module too. A server that dies or does not answer
in time raises ``ServerFailed`` with its log. Waits are bounded (readiness polling with a
deadline); nothing measures time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

import palermo
from palermo.crossborder import keys as k
from palermo.crossborder import trust as tr
from tests.crossborder.core_helpers import entry, trust_doc
from tests.runonce import schema_cache_env

SRC = str(Path(palermo.__file__).resolve().parents[1])
SETUP = str(Path(__file__).with_name("e2e_instance.py"))
READY_SECONDS = 120  # an upper bound on start-up (migrations, static files), not a measurement
SETUP_SECONDS = 900  # an upper bound on migrating and loading the demo's users
PALERMO = [sys.executable, "-c", "from palermo.cli import main; main()"]


class ServerFailed(RuntimeError):
    """An instance could not be prepared, exited, or did not answer within READY_SECONDS."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    """One instance: its directory, database, key file, tokens, server process and log."""

    def __init__(
        self, name: str, root: Path, port: int, *, extra_env: Mapping[str, str] | None = None
    ) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.var = root / name
        self.var.mkdir()
        self.db = self.var / "palermo.sqlite3"
        self.keys_file = self.var / "crossborder-keys.json"
        self.anchors = root / "anchors.json"  # shared by both instances
        self.extra_env = dict(extra_env or {})
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.var / "server.log"

    def env(self) -> dict[str, str]:
        """The instance's environment: ours without any Palermo or Django setting, plus its own."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PALERMO_", "DJANGO_")) and key != "DATABASE_URL"
        }
        env.update(
            PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""),
            PALERMO_DEMO="1",  # fictional data; fixed field-key file created in its var dir
            SECRET_KEY=f"end-to-end-{self.name}-" + "x" * 50,
            PALERMO_VAR_DIR=str(self.var),
            DATABASE_URL=f"sqlite:///{self.db}",
            PALERMO_CROSSBORDER_ENTITY_ID=self.url,
            PALERMO_CROSSBORDER_KEYS_FILE=str(self.keys_file),
            PALERMO_CROSSBORDER_ANCHORS_FILE=str(self.anchors),
            PALERMO_JOBS_BACKEND="immediate",
            PALERMO_STATIC_ROOT=str(self.var.parent / "static"),  # public files, collected once
        )
        env.update(schema_cache_env())  # this run's migrated empty database (tests/conftest.py)
        env.update(self.extra_env)
        return env

    def api(self, method: str, path: str, user: str | None, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return requests.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=60, **kw
        )

    def palermo(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        """Run ``palermo ARGS`` as this instance (its database, keys and var directory)."""
        return subprocess.run(  # noqa: S603 – our own interpreter and command
            [*PALERMO, *args],
            env=self.env(),
            cwd=self.var,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def audit(self, object_ref: str) -> list[tuple[str, str, dict[str, Any]]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT action, outcome, details FROM core_auditentry WHERE object_ref = ? "
                "ORDER BY id",
                (object_ref,),
            ).fetchall()
        return [(a, o, json.loads(d or "{}")) for a, o, d in rows]

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return db.execute(sql, args).fetchall()

    def prepare(self, trust_file: Path, template: Path) -> None:
        """Migrate (or copy the migrated template), load the demo's users, put the trust list
        in force, keep the API tokens (e2e_instance.py, in the instance's own environment)."""
        done = subprocess.run(  # noqa: S603 – our own interpreter and script
            [sys.executable, SETUP, str(trust_file), str(template)],
            env=self.env(),
            cwd=self.var,
            capture_output=True,
            timeout=SETUP_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise ServerFailed(f"{self.name}: setup failed:\n{done.stderr.decode()[-3000:]}")
        self.tokens = json.loads(done.stdout.decode().strip().splitlines()[-1])

    def start(self) -> None:
        """Start ``palermo serve`` in its own session and wait until it answers."""
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 – our own interpreter and command
                [
                    *PALERMO,
                    "serve",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--no-control-socket",
                ],
                env=self.env(),
                cwd=self.var,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Poll until the server answers, with a deadline; fail with its log if it died."""
        assert self.proc is not None
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.log.read_text()}"
                )
            try:
                requests.get(f"{self.url}/api/v1/crossborder/handovers", timeout=2)
                return
            except requests.RequestException:  # not listening yet, or still importing
                time.sleep(0.2)
        raise ServerFailed(
            f"{self.name} did not answer within {READY_SECONDS} s:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: gunicorn and its worker
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@contextmanager
def two_instances(
    root: Path,
    *,
    b_allowed_groups: Iterable[str],
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[tuple[Instance, Instance]]:
    """Instances A (country RS) and B (AL) under ``root``, serving until the block ends.

    ``b_allowed_groups``: the groups B's entry in the trust list allows it to receive.
    ``extra_env``: settings for both instances (e.g. the benchmark lifts the inbox limits).
    The servers are stopped on the way out, whatever happened; ``root`` is left to the caller.
    """
    a = Instance("a", root, free_port(), extra_env=extra_env)
    b = Instance("b", root, free_port(), extra_env=extra_env)
    now = int(time.time())
    # Each instance its own key set; one anchor signs the list naming both.
    keysets = {}
    for inst in (a, b):
        keysets[inst.url] = k.new_keyset(now)
        inst.keys_file.write_text(json.dumps(keysets[inst.url]))
        inst.keys_file.chmod(0o600)
    anchor = tr.new_anchor_key("e2e-anchor")
    a.anchors.write_text(json.dumps(k.public_jwks({"keys": [anchor]})))
    entries = [
        entry(
            inst.url,
            keysets[inst.url],
            country=country,
            inbox=inst.url + "/api/v1/crossborder/inbox",
            valid_from=now - 3600,
            valid_until=now + 30 * 86400,
        )
        for inst, country in ((a, "RS"), (b, "AL"))
    ]
    entries[1]["allowed_groups"] = list(b_allowed_groups)
    trust_file = root / "trust-list.jws"
    trust_file.write_text(
        tr.sign(trust_doc(entries, 1, issued_at=now - 60, expires_at=now + 30 * 86400), anchor)
    )
    try:
        # A migrates a fresh database and leaves a copy of the empty schema; B starts from
        # that copy (its own file) instead of running every migration again.
        template = root / "migrated.sqlite3"
        for inst in (a, b):
            inst.prepare(trust_file, template)
        for inst in (a, b):
            inst.start()  # one at a time: B's static files are then already collected
        yield a, b
    finally:
        for inst in (a, b):
            inst.stop()
