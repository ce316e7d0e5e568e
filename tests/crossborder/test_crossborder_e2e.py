"""End to end between two REAL instances (issue 17, "Tests"): two Palermo servers
(`palermo serve`, gunicorn) on 127.0.0.1, on two free ports, each with its own SQLite
database, var directory, field keys and cross-border key set, each in the other's signed
trust list. Driven over HTTP with API tokens only: open a case → consent → send → signed
receipt → accept → status → close → revoke → signed deletion receipt; then both audit
trails (read from each instance's own database file) and a child's case refused without
the guardian's consent and the risk assessment.

Slow (two servers start, migrate and collect static files): marked ``slow``, runs on CI.
Waits are bounded (readiness polling with a deadline); no assert depends on timing.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import palermo
from palermo.crossborder import keys as k
from palermo.crossborder import trust as tr
from tests.crossborder.core_helpers import entry, trust_doc

pytestmark = pytest.mark.slow

SRC = str(Path(palermo.__file__).resolve().parents[1])
SETUP = str(Path(__file__).with_name("e2e_instance.py"))
READY_SECONDS = 120  # an upper bound on start-up (migrations, static files), not a measurement
PALERMO = [sys.executable, "-c", "from palermo.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    def __init__(self, name: str, root: Path, port: int) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.var = root / name
        self.var.mkdir()
        self.db = self.var / "palermo.sqlite3"
        self.keys_file = self.var / "crossborder-keys.json"
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.var / "server.log"

    def env(self, anchors: Path) -> dict[str, str]:
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
            PALERMO_CROSSBORDER_ANCHORS_FILE=str(anchors),
            PALERMO_JOBS_BACKEND="immediate",
            PALERMO_STATIC_ROOT=str(self.var.parent / "static"),  # public files, collected once
        )
        return env

    def api(self, method: str, path: str, user: str | None, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return requests.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=60, **kw
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


def _wait_ready(inst: Instance) -> None:
    """Poll until the server answers, with a deadline; fail with its log if it died."""
    assert inst.proc is not None
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if inst.proc.poll() is not None:
            pytest.fail(f"{inst.name} exited ({inst.proc.returncode}):\n{inst.log.read_text()}")
        try:
            requests.get(f"{inst.url}/api/v1/crossborder/handovers", timeout=2)
            return
        except requests.RequestException:  # not listening yet, or still importing
            time.sleep(0.2)
    pytest.fail(f"{inst.name} did not answer within {READY_SECONDS} s:\n{inst.log.read_text()}")


def _stop(inst: Instance) -> None:
    if inst.proc is None or inst.proc.poll() is not None:
        return
    os.killpg(inst.proc.pid, signal.SIGTERM)  # its own session: gunicorn and its worker
    try:
        inst.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(inst.proc.pid, signal.SIGKILL)
        inst.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    """One pair of servers for the module's tests (they start in parallel)."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    a = Instance("a", tmp_path, _free_port())
    b = Instance("b", tmp_path, _free_port())
    now = int(time.time())
    # Each instance its own key set; one anchor signs the list naming both.
    keysets = {}
    for inst in (a, b):
        keysets[inst.url] = k.new_keyset(now)
        inst.keys_file.write_text(json.dumps(keysets[inst.url]))
        inst.keys_file.chmod(0o600)
    anchor = tr.new_anchor_key("e2e-anchor")
    anchors = tmp_path / "anchors.json"
    anchors.write_text(json.dumps(k.public_jwks({"keys": [anchor]})))
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
    # B's legal basis: not needs and services (a consented group it does not allow is dropped).
    entries[1]["allowed_groups"] = [
        "contact",
        "documents",
        "exploitation",
        "identity",
        "legal",
        "risk_assessment",
    ]
    trust_file = tmp_path / "trust-list.jws"
    trust_file.write_text(
        tr.sign(trust_doc(entries, 1, issued_at=now - 60, expires_at=now + 30 * 86400), anchor)
    )
    setups: dict[str, subprocess.Popen[bytes]] = {}
    try:
        # A migrates a fresh database and leaves a copy of the empty schema; B starts from
        # that copy (its own file) instead of running every migration again.
        template = tmp_path / "migrated.sqlite3"
        for inst in (a, b):
            setups[inst.name] = subprocess.Popen(  # noqa: S603 – our own interpreter and script
                [sys.executable, SETUP, str(trust_file), str(template)],
                env=inst.env(anchors),
                cwd=inst.var,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = setups[inst.name].communicate(timeout=600)
            assert setups[inst.name].returncode == 0, err.decode()[-3000:]
            inst.tokens = json.loads(out.decode().strip().splitlines()[-1])
        for inst in (a, b):
            with inst.log.open("wb") as log:
                inst.proc = subprocess.Popen(  # noqa: S603
                    [
                        *PALERMO,
                        "serve",
                        "--bind",
                        f"127.0.0.1:{inst.port}",
                        "--workers",
                        "1",
                        "--threads",
                        "4",
                        "--no-control-socket",
                    ],
                    env=inst.env(anchors),
                    cwd=inst.var,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            _wait_ready(inst)  # one at a time: B's static files are then already collected
        yield a, b
    finally:
        for proc in setups.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for inst in (a, b):
            _stop(inst)


def _one(inst: Instance, user: str, direction: str, jti: str) -> dict[str, Any]:
    r = inst.api("GET", f"/crossborder/handovers?direction={direction}", user)
    assert r.status_code == 200, r.text
    found = [h for h in r.json() if h["jti"] == jti]
    assert len(found) == 1, r.json()
    return found[0]


def _check_both_audit_trails(a: Instance, b: Instance, *, jti: str, refs: tuple[str, str]) -> None:
    """Each instance's own database holds its side of every step; both chains verify."""
    sent_trail, got_trail = a.audit(jti), b.audit(jti)
    acts_a = [act for act, _, _ in sent_trail]
    acts_b = [act for act, _, _ in got_trail]
    assert "export" in acts_a, sent_trail  # sealed and sent, receipt recorded
    received = [d.get("message") for act, _, d in sent_trail if act == "create"]
    assert received.count("status") >= 3, sent_trail  # accepted, assistance started, closed
    assert [d.get("revoked") for act, _, d in sent_trail if act == "delete"] == [
        "consent_withdrawn"
    ], sent_trail  # revoked once, the deletion confirmed
    assert acts_b[0] == "create", got_trail  # received into quarantine
    assert acts_b.count("update") >= 2, got_trail  # statuses sent back
    assert "delete" in acts_b, got_trail  # deleted on revocation
    assert a.audit(refs[0]) and b.audit(refs[1])  # both cases' own trails
    for inst in (a, b):
        done = subprocess.run(  # noqa: S603
            [*PALERMO, "audit", "verify"],
            env=inst.env(inst.var.parent / "anchors.json"),
            cwd=inst.var,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def test_two_real_instances_hand_over_a_case_and_revoke_it(pair):
    a, b = pair
    assert a.db != b.db and a.keys_file.read_text() != b.keys_file.read_text()

    # Nothing without a token; an analyst may not send.
    assert a.api("GET", "/crossborder/handovers", None).status_code == 401

    # create (A, case worker)
    r = a.api(
        "POST",
        "/cases",
        "caseworker",
        json={
            "source": "agency",
            "person": {"given_name": "Ana", "family_name": "Example", "citizenship": ["AL"]},
            "exploitation_forms": ["labour"],
        },
    )
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]

    # consent (A)
    r = a.api(
        "POST",
        "/crossborder/consents",
        "caseworker",
        json={
            "case": ref,
            "partner": b.url,
            "purpose": "assistance",
            "groups": ["identity", "exploitation", "needs_and_services"],
            "risks_explained": True,
        },
    )
    assert r.status_code == 201, r.text
    forbidden = {"case": ref, "partner": b.url, "purpose": "assistance", "handling": "H2"}
    assert a.api("POST", "/crossborder/handovers", "analyst", json=forbidden).status_code == 403

    # send → signed receipt (A → B over HTTP)
    r = a.api(
        "POST",
        "/crossborder/handovers",
        "caseworker",
        json={"case": ref, "partner": b.url, "purpose": "assistance", "handling": "H2"},
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    jti = sent["jti"]
    assert sent["state"] == "received"  # B's signed receipt came back and verified
    assert sent["groups"] == ["exploitation", "identity"]  # consent ∩ B's legal basis
    (receipt,) = a.rows("SELECT receipt FROM crossborder_handover WHERE jti = ?", jti)
    assert receipt[0].count(".") == 2  # a compact JWS

    # B holds it in quarantine, in B's own database only
    incoming = _one(b, "coordinator", "in", jti)
    assert incoming["state"] == "quarantine" and incoming["partner"] == a.url
    assert b.rows("SELECT count(*) FROM crossborder_handover WHERE direction = 'out'") == [(0,)]
    assert a.rows("SELECT count(*) FROM crossborder_handover WHERE direction = 'in'") == [(0,)]
    # The case worker of B may not open the quarantine.
    assert (
        b.api("POST", f"/crossborder/handovers/{incoming['id']}/accept", "caseworker").status_code
        == 403
    )

    # accept (B) → a new transnational case on B; A hears "accepted"
    r = b.api("POST", f"/crossborder/handovers/{incoming['id']}/accept", "coordinator")
    assert r.status_code == 200, r.text
    new_ref = r.json()["case"]
    r = b.api("GET", f"/cases/{new_ref}", "coordinator")
    assert r.status_code == 200, r.text
    assert r.json()["overview"]["source"] == "transnational"
    assert _one(a, "caseworker", "out", jti)["state"] == "accepted"
    # accepting twice is a conflict, nothing changes
    assert (
        b.api("POST", f"/crossborder/handovers/{incoming['id']}/accept", "coordinator").status_code
        == 409
    )

    # status (B → A), then close
    path = f"/crossborder/handovers/{incoming['id']}/status"
    r = b.api("POST", path, "coordinator", json={"status": "assistance_started"})
    assert r.status_code == 200, r.text
    assert _one(a, "caseworker", "out", jti)["last_status"] == "assistance_started"
    r = b.api("POST", path, "coordinator", json={"status": "closed"})
    assert r.status_code == 200, r.text
    out = _one(a, "caseworker", "out", jti)
    assert (out["last_status"], out["overdue"]) == ("closed", False)

    # revoke (A) → B deletes, answers a signed deletion receipt
    r = a.api(
        "POST",
        f"/crossborder/handovers/{sent['id']}/revoke",
        "caseworker",
        json={"reason": "consent_withdrawn"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "revoked"
    (deletion,) = a.rows("SELECT deletion_receipt FROM crossborder_handover WHERE jti = ?", jti)
    assert deletion[0].count(".") == 2
    assert _one(b, "coordinator", "in", jti)["state"] == "revoked"
    (kept,) = b.rows("SELECT payload, envelope FROM crossborder_handover WHERE jti = ?", jti)
    assert all(v in (None, "", "null", "{}") for v in kept), kept  # only the tombstone stays
    # revoking again: a conflict, nothing sent
    r = a.api(
        "POST",
        f"/crossborder/handovers/{sent['id']}/revoke",
        "caseworker",
        json={"reason": "sent_in_error"},
    )
    assert r.status_code == 409, r.text

    _check_both_audit_trails(a, b, jti=jti, refs=(ref, new_ref))


def _accept_on_b(a, b, ref: str, groups: list[str], purpose: str) -> tuple[dict, dict]:
    """Consent on A, send to B over HTTP, accept on B: (what A sent, B's new case file)."""
    consent = {"case": ref, "partner": b.url, "purpose": purpose, "groups": groups}
    r = a.api(
        "POST", "/crossborder/consents", "caseworker", json=consent | {"risks_explained": True}
    )
    assert r.status_code == 201, r.text
    send = {"case": ref, "partner": b.url, "purpose": purpose, "handling": "H1"}
    r = a.api("POST", "/crossborder/handovers", "caseworker", json=send)
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["state"] == "received", sent
    incoming = _one(b, "coordinator", "in", sent["jti"])
    r = b.api("POST", f"/crossborder/handovers/{incoming['id']}/accept", "coordinator")
    assert r.status_code == 200, r.text
    r = b.api("GET", f"/cases/{r.json()['case']}", "coordinator")
    assert r.status_code == 200, r.text
    return sent, r.json()


def test_documents_and_proceedings_arrive_as_records_only_when_consented(pair):
    """Issue 17: the two groups that used to travel empty carry the case file's records over
    HTTP between two real instances, land as the new case's own records, and stay home when
    the person did not consent to them."""
    a, b = pair
    r = a.api(
        "POST",
        "/cases",
        "caseworker",
        json={"source": "agency", "person": {"given_name": "Lena", "citizenship": ["RS"]}},
    )
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    for path, body in (
        (
            "documents",
            {
                "doc_type": "passport",
                "status": "withheld_by_exploiter",
                "issuing_country": "RS",
                "number": "RS 0042",
            },
        ),
        (
            "proceedings",
            {"country": "RS", "stage": "trial", "roles": ["witness"], "authority": "Court"},
        ),
    ):
        r = a.api("POST", f"/cases/{ref}/{path}", "caseworker", json=body)
        assert r.status_code == 200, r.text

    sent, file = _accept_on_b(a, b, ref, ["identity", "documents", "legal"], "proceedings")
    assert sent["groups"] == ["documents", "identity", "legal"]
    assert [
        (d["doc_type"], d["status"], d["issuing_country"], d["number"]) for d in file["documents"]
    ] == [("passport", "withheld_by_exploiter", "RS", "RS 0042")]
    assert [(p["country"], p["stage"], p["roles"]) for p in file["proceedings"]] == [
        ("RS", "trial", ["witness"])
    ]

    sent, file = _accept_on_b(a, b, ref, ["exploitation"], "assistance")
    assert sent["groups"] == ["exploitation"]
    assert file["documents"] == [] and file["proceedings"] == []
    (payload,) = b.rows("SELECT payload FROM crossborder_handover WHERE jti = ?", sent["jti"])
    assert "documents" not in str(payload[0]) and "RS 0042" not in str(payload[0])


def test_a_child_is_not_handed_over_without_guardian_and_assessments(pair):
    a, b = pair
    r = a.api(
        "POST",
        "/cases",
        "caseworker",
        json={
            "source": "agency",
            "person": {"given_name": "Mira", "family_name": "Sample"},
            "is_child_or_presumed_child": True,
        },
    )
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    consent = {
        "case": ref,
        "partner": b.url,
        "purpose": "return",
        "groups": ["identity", "risk_assessment"],
        "risks_explained": True,
    }
    r = a.api("POST", "/crossborder/consents", "caseworker", json=consent)
    assert r.status_code == 422, r.text
    assert "guardian_consent" in r.text
    r = a.api(
        "POST", "/crossborder/consents", "caseworker", json={**consent, "guardian_consent": True}
    )
    assert r.status_code == 201, r.text
    r = a.api(
        "POST",
        "/crossborder/handovers",
        "caseworker",
        json={"case": ref, "partner": b.url, "purpose": "return", "handling": "H3"},
    )
    assert r.status_code == 422, r.text
    assert "return risk assessment" in r.text and "best-interests" in r.text
    # Nothing left A; B holds nothing; A's trail records the refusal.
    assert a.rows("SELECT count(*) FROM crossborder_handover WHERE case_ref = ?", ref) == [(0,)]
    assert b.rows("SELECT count(*) FROM crossborder_handover WHERE child") == [(0,)]
    assert [(act, outcome) for act, outcome, _ in a.audit(ref) if act == "refused"] == [
        ("refused", "refused")
    ]
