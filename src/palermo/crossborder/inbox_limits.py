"""Rate limits of the public inbox, and an audit trail a flood cannot fill.

Three counters: per client address (``core.client``: behind a trusted proxy, the sender's own
address; an IPv6 /64 counts as one client) and across all clients together, both before
anything is read or decrypted, and per partner once its signature verified. The overall
counter closes the gap the per-client one leaves: a thousand IPv4 addresses, each under its
own limit, add up to a flood. It counts only deliveries that passed their client's limit, so
one client past its own limit does not use up everybody's allowance (each client adds at most
its own limit to the total). The partner limit keys on the *verified* sender, not the ``iss``
a message merely claims: anyone can encrypt to our published key and claim to be a partner,
and counting unverified claims would let a stranger use up a real partner's allowance.
Unverified envelopes are bounded by the client limit.

Every envelope within a limit is processed and, if refused, audited one entry each, as
before. Past the limit nothing is processed, and writing one audit entry per refused
request would let one client grow the tamper-evident trail — which is never pruned —
without bound. Instead, in each window a client or partner gets one ``rate_limited`` entry
when it first goes over, and one more each time the requests past the limit reach 10, 100,
1,000, …, with that count: at most limit + log10(flood) entries per window, and the trail
still shows that a flood happened, from where and how large (to the nearest power of ten).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from palermo.core import audit, ratelimit
from palermo.core.client import client_address

OBJ = "crossborder_handover"


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate_limited")
        self.retry_after = retry_after


def _limit(kind: str) -> tuple[int, int]:
    count, window = settings.CROSSBORDER_INBOX_RATE_LIMITS[kind]
    return int(count), int(window)


def _note(kind: str, verdict: ratelimit.Verdict, request: Any, sender: str) -> None:
    if not ratelimit.is_power_of_ten(verdict.over_by):
        return
    audit.record(
        action="refused",
        object_type=OBJ,
        outcome="refused",
        details={"reason": "rate_limited", "limit": kind, "over_limit": verdict.over_by}
        | ({"sender": sender} if sender else {}),
        request=request,
        actor_username="partner",
    )


def check_client(request: Any) -> None:
    """Count this delivery against its client address; Throttled once over the limit."""
    count, window = _limit("client")
    address = ratelimit.address_bucket(client_address(request))
    verdict = ratelimit.hit("xb-inbox-client", address, count, window)
    if not verdict.allowed:
        _note("client", verdict, request, "")
        raise Throttled(verdict.retry_after)


def check_all(request: Any) -> None:
    """Count this delivery against the inbox's overall limit (all unauthenticated clients
    together); Throttled once over it. Called after ``check_client`` passed."""
    count, window = _limit("all")
    verdict = ratelimit.hit("xb-inbox-all", "all", count, window)
    if not verdict.allowed:
        _note("all", verdict, request, "")
        raise Throttled(verdict.retry_after)


def check_sender(sender: str, request: Any) -> None:
    """Count a delivery whose signature verified against its partner; Throttled when over."""
    count, window = _limit("sender")
    verdict = ratelimit.hit("xb-inbox-sender", sender, count, window)
    if not verdict.allowed:
        _note("sender", verdict, request, sender)
        raise Throttled(verdict.retry_after)
