"""The public inbox's rate limits: per client address, across all clients and per partner, 429 in the API's error
shape with Retry-After, and an audit trail that a flooding client cannot grow without bound."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest
from django.test import Client, override_settings

from palermo.core import ratelimit
from palermo.core.models import AuditEntry
from palermo.core.ratelimit import is_power_of_ten as _is_power_of_ten
from palermo.crossborder import envelope as env
from palermo.crossborder import services
from palermo.crossborder.models import InboundMessage
from tests.crossborder.conftest import A, B

INBOX = "/api/v1/crossborder/inbox"


@pytest.fixture(autouse=True)
def frozen_limiter_clock(monkeypatch):
    """The limiter's clock stands ten seconds into a window of every size used here (60 s and
    10**9 s windows both start at a multiple of 60 * 10**9): no window turns in the middle of
    a test, whatever the wall clock does, and Retry-After is exact. A random window per test
    keeps one test's counts out of another's even on a shared cache."""
    start = random.randrange(1, 10**4) * 60 * 10**9  # < 2**53: exact as a float
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: start + 10.0))


def _refusals() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action="refused", object_type="crossborder_handover").order_by(
            "id"
        )
    )


def _post(client: Client, body: str = "nonsense") -> object:
    return client.post(INBOX, body, content_type="application/jose")


def _status_from_a(instances) -> str:
    """A signed status message from partner A about a hand-over B never had: it verifies, and
    B refuses it with a signed receipt (unknown_handover)."""
    with instances.as_(A):
        partner_b = services.trust_list().require(B, int(time.time()))
        _, envelope = env.seal(
            typ="status",
            body={"ref": env.new_jti(), "status": "accepted"},
            sender_id=A,
            sender_keys=services.own_keys(),
            recipient=partner_b,
            now=int(time.time()),
        )
    return envelope


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (3, 60), "all": (10**6, 60), "sender": (100, 60)}
)
def test_a_client_over_its_limit_gets_429_with_retry_after_in_the_error_shape(instances):
    with instances.as_(B):
        flood = Client(REMOTE_ADDR="198.51.100.7")
        codes = [_post(flood).status_code for _ in range(5)]
        assert codes == [400, 400, 400, 429, 429]
        r = _post(flood)
        assert r.status_code == 429
        assert r.json() == {"detail": r.json()["detail"], "errors": []} and r.json()["detail"]
        assert int(r["Retry-After"]) == 50  # the rest of the 60 s window
        # Another client is not affected.
        assert _post(Client(REMOTE_ADDR="198.51.100.8")).status_code == 400


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={
        "client": (3, 10**9),
        "all": (10**6, 10**9),
        "sender": (100, 10**9),
    }
)
def test_an_ipv6_client_cannot_escape_by_changing_its_address_within_its_64(instances):
    with instances.as_(B):
        codes = [_post(Client(REMOTE_ADDR=f"2001:db8:1:2::{i:x}")).status_code for i in range(1, 5)]
    assert codes == [400, 400, 400, 429]


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={
        "client": (3, 10**9),
        "all": (10**6, 10**9),
        "sender": (100, 10**9),
    },
    PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"],
)
def test_behind_a_trusted_proxy_each_partner_address_has_its_own_limit(instances):
    with instances.as_(B):
        one = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
        two = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8")
        assert [_post(one).status_code for _ in range(4)] == [400, 400, 400, 429]
        assert _post(two).status_code == 400
        # A forged header from outside the proxy does not buy a fresh limit.
        direct = [
            _post(Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"))
            for i in range(4)
        ]
        assert [r.status_code for r in direct] == [400, 400, 400, 429]


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (5, 60), "all": (10**6, 60), "sender": (100, 60)}
)
def test_a_flood_writes_a_bounded_number_of_audit_entries(instances):
    with instances.as_(B):
        flood = Client(REMOTE_ADDR="198.51.100.7")
        before = len(_refusals())
        codes = [_post(flood).status_code for _ in range(5 + 120)]
    assert codes.count(400) == 5 and codes.count(429) == 120
    new = _refusals()[before:]
    # 5 refusals within the limit, one each; then the 1st, 10th and 100th request past it.
    assert len(new) == 5 + 3
    limited = [e for e in new if e.details.get("reason") == "rate_limited"]
    assert [e.details["over_limit"] for e in limited] == [1, 10, 100]
    assert {e.details["limit"] for e in limited} == {"client"}
    assert {e.client for e in limited} == {"198.51.100.7"}


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (100, 60), "all": (10**6, 60), "sender": (2, 60)}
)
def test_a_partner_over_its_limit_gets_429_and_nothing_is_processed(instances):
    envelopes = [_status_from_a(instances) for _ in range(4)]
    with instances.as_(B):
        # From different addresses: the partner's limit is counted on its verified signature.
        codes = [
            _post(Client(REMOTE_ADDR=f"198.51.100.{i}"), e).status_code
            for i, e in enumerate(envelopes)
        ]
    assert codes == [422, 422, 429, 429]
    # The two within the limit were processed (and refused: B never had that hand-over);
    # the two past it were not even looked at.
    reasons = [e.details.get("reason") for e in _refusals()]
    assert reasons == ["unknown_handover", "unknown_handover", "rate_limited"]
    assert not InboundMessage.objects.filter(local_entity=B).exists()
    limited = [e for e in _refusals() if e.details.get("reason") == "rate_limited"]
    assert [(e.details["limit"], e.details["sender"]) for e in limited] == [("sender", A)]


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (100, 60), "all": (10**6, 60), "sender": (2, 60)}
)
def test_a_forged_claim_to_be_a_partner_does_not_use_up_its_limit(instances):
    """Anyone can encrypt to our published key and write "iss": A inside; until the signature
    verifies, it does not count against A."""
    import base64

    from joserfc import jwe

    from palermo.crossborder import keys as k

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    with instances.as_(B):
        me = services.trust_list().require(B, int(time.time()))
        enc_key = k.encryption_key(me.jwks)
        forged_jws = ".".join([b64(b'{"alg":"ES256"}'), b64(b'{"iss":"' + A.encode() + b'"}'), "x"])
        forged = jwe.encrypt_compact(
            {"alg": k.KEY_ALG, "enc": k.CONTENT_ENC, "kid": str(enc_key.kid or ""), "cty": "JWT"},
            forged_jws.encode("ascii"),
            enc_key,
            algorithms=[k.KEY_ALG, k.CONTENT_ENC],
        )
        for i in range(5):
            assert _post(Client(REMOTE_ADDR=f"203.0.113.{i}"), forged).status_code == 400
    genuine = _status_from_a(instances)
    with instances.as_(B):
        assert _post(Client(REMOTE_ADDR="198.51.100.1"), genuine).status_code == 422


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (3, 60), "all": (4, 60), "sender": (100, 60)}
)
def test_many_addresses_together_meet_the_overall_limit(instances):
    """Each address stays under its own limit; together they are capped (issue 11)."""
    with instances.as_(B):
        before = len(_refusals())
        responses = [_post(Client(REMOTE_ADDR=f"198.51.100.{i}")) for i in range(1, 7)]
        assert [r.status_code for r in responses] == [400, 400, 400, 400, 429, 429]
        r = responses[-1]
        assert r.json() == {"detail": r.json()["detail"], "errors": []} and r.json()["detail"]
        assert int(r["Retry-After"]) == 50
        # Counted before anything is read: a wrong media type is not even looked at.
        other = Client(REMOTE_ADDR="203.0.113.50").post(INBOX, "x", content_type="text/html")
        assert other.status_code == 429
    new = _refusals()[before:]
    limited = [e for e in new if e.details.get("reason") == "rate_limited"]
    assert [(e.details["limit"], e.details["over_limit"]) for e in limited] == [("all", 1)]
    assert len(new) == 4 + 1


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (2, 60), "all": (5, 60), "sender": (100, 60)}
)
def test_one_client_past_its_own_limit_does_not_use_up_everybodys(instances):
    with instances.as_(B):
        flood = Client(REMOTE_ADDR="198.51.100.7")
        assert [_post(flood).status_code for _ in range(10)] == [400, 400] + [429] * 8
        # Only its 2 deliveries within its own limit counted towards the overall 5.
        others = [_post(Client(REMOTE_ADDR=f"203.0.113.{i}")).status_code for i in range(1, 5)]
    assert others == [400, 400, 400, 429]


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (100, 60), "all": (2, 60), "sender": (100, 60)}
)
def test_a_flood_from_many_addresses_writes_a_bounded_number_of_audit_entries(instances):
    with instances.as_(B):
        before = len(_refusals())
        codes = [_post(Client(REMOTE_ADDR=f"192.0.2.{i + 1}")).status_code for i in range(2 + 120)]
    assert codes.count(400) == 2 and codes.count(429) == 120
    new = _refusals()[before:]
    limited = [e for e in new if e.details.get("reason") == "rate_limited"]
    assert len(new) == 2 + 3
    assert [(e.details["limit"], e.details["over_limit"]) for e in limited] == [
        ("all", 1),
        ("all", 10),
        ("all", 100),
    ]


@override_settings(
    CROSSBORDER_INBOX_RATE_LIMITS={"client": (100, 60), "all": (1, 60), "sender": (100, 60)}
)
def test_a_partner_is_counted_in_the_overall_limit_and_delivers_again_later(instances, monkeypatch):
    """Before the body is read nobody is authenticated: a partner's delivery counts too, and it
    is told when to come back; in the next window it gets through."""
    genuine = _status_from_a(instances)
    with instances.as_(B):
        assert _post(Client(REMOTE_ADDR="203.0.113.1")).status_code == 400
        r = _post(Client(REMOTE_ADDR="198.51.100.1"), genuine)
        assert r.status_code == 429 and int(r["Retry-After"]) == 50
        later = ratelimit.time.time() + 60
        monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))
        assert _post(Client(REMOTE_ADDR="198.51.100.1"), genuine).status_code == 422


def test_a_carried_file_is_not_rate_limited(instances, settings):
    settings.CROSSBORDER_INBOX_RATE_LIMITS = {
        "client": (1, 60),
        "all": (10**6, 60),
        "sender": (1, 60),
    }
    envelopes = [_status_from_a(instances) for _ in range(3)]
    with instances.as_(B):
        assert [services.receive(e)[0] for e in envelopes] == [422, 422, 422]


def test_counters_and_windows():
    from django.core.cache import cache

    cache.clear()
    verdicts = [ratelimit.hit("t", "k", 2, 60, now=1_000_020.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert [v.over_by for v in verdicts] == [0, 0, 1, 2]
    assert verdicts[-1].retry_after == 60 - 1_000_020 % 60
    # The next window starts afresh.
    assert ratelimit.hit("t", "k", 2, 60, now=1_000_080.0).allowed
    assert ratelimit.address_bucket("2001:db8::1") == ratelimit.address_bucket("2001:db8::ffff")
    assert ratelimit.address_bucket("198.51.100.1") != ratelimit.address_bucket("198.51.100.2")


@pytest.mark.parametrize(
    "n, expected", [(1, True), (10, True), (1000, True), (0, False), (2, False), (110, False)]
)
def test_powers_of_ten(n, expected):
    assert _is_power_of_ten(n) is expected


@pytest.mark.parametrize(
    "name", ["PALERMO_CROSSBORDER_INBOX_PER_CLIENT", "PALERMO_CROSSBORDER_INBOX_ALL"]
)
def test_a_bad_limit_setting_stops_the_start_up(name):
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import palermo.settings"],
        env={**os.environ, "PALERMO_TESTING": "1", name: "60"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and name in result.stderr
