"""Two instances' keys and a trust list naming both, for the pure-core tests."""

from __future__ import annotations

from typing import Any

from palermo.crossborder import keys as k
from palermo.crossborder import trust as t

NOW = 1_800_000_000
A = "https://palermo.example-a.test"
B = "https://palermo.example-b.test"
ALL_GROUPS = [
    "identity",
    "contact",
    "exploitation",
    "needs_and_services",
    "risk_assessment",
    "documents",
    "legal",
]


def entry(eid: str, keyset: dict[str, Any], **over: Any) -> dict[str, Any]:
    doc = {
        "entity_id": eid,
        "country": "AL" if eid == B else "IT",
        "organisation": "National co-ordinator " + eid[-6:],
        "role": "coordinator",
        "legal_basis": "authority_agreement",
        "agreement_ref": "MoU 2026/17",
        "allowed_groups": list(ALL_GROUPS),
        "inbox": eid + "/api/v1/crossborder/inbox",
        "jwks": k.public_jwks(keyset),
        "valid_from": NOW - 3600,
        "valid_until": NOW + 365 * 86400,
    }
    doc.update(over)
    return doc


def trust_doc(partners: list[dict[str, Any]], version: int = 1, **over: Any) -> dict[str, Any]:
    doc = {
        "typ": t.TRUST_LIST_TYP,
        "issuer": "Trust anchor of the test corridor",
        "version": version,
        "issued_at": NOW - 60,
        "expires_at": NOW + 90 * 86400,
        "partners": partners,
    }
    doc.update(over)
    return doc


class World:
    """Keys of A and B, the anchor, and the trust list both use."""

    def __init__(self) -> None:
        self.ka = k.new_keyset(NOW)
        self.kb = k.new_keyset(NOW)
        self.anchor = t.new_anchor_key("anchor-2026")
        self.anchors = {"keys": [self.anchor]}
        self.token = t.sign(trust_doc([entry(A, self.ka), entry(B, self.kb)]), self.anchor)
        self.trust = t.read(self.token, self.anchors, NOW)

    def resign(self, partners: list[dict[str, Any]], version: int = 2) -> t.TrustList:
        return t.read(t.sign(trust_doc(partners, version), self.anchor), self.anchors, NOW)
