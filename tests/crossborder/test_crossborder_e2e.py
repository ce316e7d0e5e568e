"""End to end between two REAL instances (issue 17, "Tests"): two Palermo servers
(`palermo serve`, gunicorn) on 127.0.0.1, on two free ports, each with its own SQLite
database, var directory, field keys and cross-border key set, each in the other's signed
trust list. Driven over HTTP with API tokens only: open a case → consent → send → signed
receipt → accept → status → close → revoke → signed deletion receipt; then both audit
trails (read from each instance's own database file) and a child's case refused without
the guardian's consent and the risk assessment.

Slow (two servers start, migrate and collect static files): marked ``slow``, runs on CI.
The servers come from tests/crossborder/servers.py, which the benchmark uses too.
Waits are bounded (readiness polling with a deadline); no assert depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.crossborder.servers import Instance, two_instances

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    """One pair of servers for the module's tests (tests/crossborder/servers.py). B's legal
    basis allows everything but needs and services (a consented group it does not allow is
    dropped)."""
    with two_instances(
        tmp_path_factory.mktemp("e2e"),
        b_allowed_groups=[
            "contact",
            "documents",
            "exploitation",
            "identity",
            "legal",
            "risk_assessment",
        ],
    ) as pair:
        yield pair


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
        done = inst.palermo("audit", "verify")
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
