"""Two Palermo instances in one test process: two entity ids, two key sets, one trust list
naming both (signed by a test anchor), and a transport that delivers an envelope by POSTing
it to the other instance's inbox through the Django test client, with that instance's
settings in force. No network."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client, override_settings

from palermo.crossborder import keys as k
from palermo.crossborder import trust as tr
from tests.crossborder.core_helpers import entry, trust_doc

A = "http://palermo-a.test"
B = "http://palermo-b.test"


class Instances:
    def __init__(self, tmp_path: Any) -> None:
        import time

        self.now = int(time.time())
        self.tmp = tmp_path
        self.keys = {A: k.new_keyset(self.now), B: k.new_keyset(self.now)}
        self.anchor = tr.new_anchor_key("test-anchor")
        (tmp_path / "anchors.json").write_text(json.dumps(k.public_jwks({"keys": [self.anchor]})))
        for eid, ks in self.keys.items():
            self._keyfile(eid).write_text(json.dumps(ks))
        self.deliveries: list[tuple[str, int]] = []
        self.offline: set[str] = set()

    def _keyfile(self, eid: str) -> Any:
        return self.tmp / f"keys-{eid.split('//')[1]}.json"

    @contextmanager
    def as_(self, eid: str):
        with override_settings(
            CROSSBORDER_ENTITY_ID=eid,
            CROSSBORDER_KEYS_FILE=str(self._keyfile(eid)),
            CROSSBORDER_ANCHORS_FILE=str(self.tmp / "anchors.json"),
        ):
            yield

    def trust_token(self, version: int = 1, partners: tuple[str, ...] = (A, B), **over_b: Any):
        country = {A: "RS", B: "AL"}
        entries = []
        for eid in partners:
            e = entry(
                eid,
                self.keys[eid],
                country=country[eid],
                inbox=eid + "/api/v1/crossborder/inbox",
                valid_from=self.now - 3600,
                valid_until=self.now + 365 * 86400,
            )
            if eid == B:  # B's legal basis does not cover documents or legal proceedings
                e["allowed_groups"] = [
                    "contact",
                    "exploitation",
                    "identity",
                    "needs_and_services",
                    "risk_assessment",
                ]
                e.update(over_b)
            entries.append(e)
        return tr.sign(
            trust_doc(entries, version, issued_at=self.now - 60, expires_at=self.now + 90 * 86400),
            self.anchor,
        )

    def load_trust(self, token: str | None = None) -> None:
        from palermo.crossborder import services

        token = token or self.trust_token()
        for eid in (A, B):
            with self.as_(eid):
                services.trust_list_load(token)

    def transport(self, partner: tr.PartnerEntry, envelope: str) -> str:
        from palermo.crossborder.services import DeliveryFailed

        if partner.entity_id in self.offline:
            raise DeliveryFailed("connection refused")
        with self.as_(partner.entity_id):
            resp = Client().post(
                "/api/v1/crossborder/inbox", data=envelope, content_type="application/jose"
            )
        self.deliveries.append((partner.entity_id, resp.status_code))
        if resp["Content-Type"].startswith("application/jose"):
            return resp.content.decode("ascii")
        raise DeliveryFailed(f"{resp.status_code} {resp.content[:40]!r}")


@pytest.fixture
def instances(tmp_path, monkeypatch, demo_world):
    from palermo.crossborder import services

    inst = Instances(tmp_path)
    monkeypatch.setattr(services, "transport", inst.transport)
    services._trust_cache.clear()
    inst.load_trust()
    return inst


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The inbox's rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
