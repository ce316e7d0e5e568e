"""Fixed-window request counters in the cache, keyed without keeping who asked.

A counter's cache key is an HMAC (the deployment's secret key) of the scope, the window and
the caller's key (an address, a partner id), so no address is stored and counters cannot be
linked across windows. Used by the cross-border inbox; the public pages have their own
(palermo.prevent.throttle) with the same design.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (for the Retry-After header)
    over_by: int  # requests past the limit in this window, this one included (0 if allowed)


def address_bucket(address: str) -> str:
    """The unit one client is counted under: an IPv4 address, or an IPv6 /64.

    One IPv6 host usually holds a whole /64 and can send from any address in it; counting
    per address would give it 2**64 separate limits.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def is_power_of_ten(n: int) -> bool:
    """1, 10, 100 …: the moments a flood past a limit is worth one audit entry, so the trail
    shows that it happened and how large it was without growing one entry per request."""
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1


def hit(scope: str, key: str, limit: int, window: int, *, now: float | None = None) -> Verdict:
    """Count one request of ``key`` in ``scope``; allowed while at most ``limit`` per window."""
    at = time.time() if now is None else now
    slot = int(at) // window
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}|{slot}|{key}".encode(), hashlib.sha256
    ).hexdigest()
    cache_key = f"rl:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=window):
        used = 1
    else:
        try:
            used = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window)
            used = 1
    retry_after = max(1, math.ceil((slot + 1) * window - at))
    return Verdict(used <= limit, retry_after, max(0, used - limit))
