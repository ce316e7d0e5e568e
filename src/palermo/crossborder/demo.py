"""Demo data: this instance's keys, a trust anchor, and a signed trust list naming this
instance and a fictional partner-country instance (docs/crossborder.md, "Demo").

The partner-country instance (`palermo demo --partner`) runs on its own database and var
directory; its demo step only puts the main demo's signed list in force there."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from django.conf import settings

from palermo.core.errors import InvalidInput
from palermo.crossborder import keys as k
from palermo.crossborder import services
from palermo.crossborder import trust as tr
from palermo.crossborder.vocabulary import GROUPS

PARTNER_ID = os.environ.get("PALERMO_DEMO_PARTNER", "http://127.0.0.1:8001")
ANCHOR_FILE = "crossborder-demo-anchor-private.json"
PARTNER_KEYS = "crossborder-demo-partner-keys.json"
TRUST_LIST_FILE = "crossborder-demo-trust-list.jws"


def _entry(eid: str, country: str, org: str, jwks: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        "entity_id": eid,
        "country": country,
        "organisation": org,
        "role": "coordinator",
        "legal_basis": "authority_agreement",
        "agreement_ref": "Demo memorandum of understanding 2026/1",
        "allowed_groups": [g for g in GROUPS if g != "documents"],
        "inbox": eid.rstrip("/") + "/api/v1/crossborder/inbox",
        "jwks": jwks,
        "valid_from": now - 86400,
        "valid_until": now + 365 * 86400,
    }


def demo_trust_setup(var: Path) -> tr.TrustList:
    """Keys for both demo instances (shared var dir), the anchor, and a signed list."""
    now = services.now_ts()
    var.mkdir(parents=True, exist_ok=True)
    anchor_path = var / ANCHOR_FILE
    if anchor_path.exists():
        anchor = json.loads(anchor_path.read_text())
    else:
        anchor = tr.new_anchor_key("demo-anchor")
        anchor_path.write_text(json.dumps(anchor))
        anchor_path.chmod(0o600)
    Path(settings.CROSSBORDER_ANCHORS_FILE).write_text(
        json.dumps(k.public_jwks({"keys": [anchor]}))
    )
    if not Path(settings.CROSSBORDER_KEYS_FILE).exists():
        services.keys_init()
    partner_path = var / PARTNER_KEYS
    if not partner_path.exists():
        partner_path.write_text(json.dumps(k.new_keyset(now)))
        partner_path.chmod(0o600)
    me = services.entity_id()
    mine = k.public_jwks(services.own_keys())
    theirs = k.public_jwks(json.loads(partner_path.read_text()))
    current = services._record_in_force()
    doc = {
        "typ": tr.TRUST_LIST_TYP,
        "issuer": "Demo trust anchor (fictional corridor)",
        "version": (current.version + 1) if current else 1,
        "issued_at": now,
        "expires_at": now + 180 * 86400,
        "partners": [
            _entry(me, "RS", "Demo national co-ordinator", mine, now),
            _entry(PARTNER_ID, "AL", "Partner country demo co-ordinator", theirs, now),
        ],
    }
    return services.trust_list_load(tr.sign(doc, anchor))


def demo_crossborder(rng: random.Random) -> str:
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_CROSSBORDER") != "1":
        return "crossborder: skipped under tests"
    if os.environ.get("PALERMO_DEMO_ROLE") == "partner":
        return demo_partner(Path(os.environ["PALERMO_DEMO_MAIN_VAR"]))
    var = Path(settings.VAR_DIR)
    current = services._record_in_force()
    if current is not None and current.expires_at.timestamp() > services.now_ts() + 86400:
        return "crossborder: demo trust list already in force"
    found = demo_trust_setup(var)
    token = services._record_in_force()
    assert token is not None
    (var / TRUST_LIST_FILE).write_text(token.token)
    return f"crossborder: trust list v{found.version} with {len(found.partners)} instances"


def demo_partner(main_var: Path) -> str:
    """The partner-country instance: put the main demo's signed trust list in force here
    (its own database; its keys and the anchor's public key come from the main demo)."""
    token = (main_var / TRUST_LIST_FILE).read_text().strip()
    current = services._record_in_force()
    if current is not None and current.token == token:
        return "crossborder: partner-country instance, trust list already in force"
    try:
        found = services.trust_list_load(token)
    except InvalidInput:
        if current is None:
            raise  # the main demo's list does not verify (expired?): run `palermo demo` again
        return f"crossborder: partner-country instance keeps trust list v{current.version}"
    return (
        f"crossborder: partner-country instance {services.entity_id()}, "
        f"trust list v{found.version} from the main demo"
    )
