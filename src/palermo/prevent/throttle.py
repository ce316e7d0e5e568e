"""Rate limits for the public pages, without keeping who asked.

A client is counted by :func:`palermo.core.ratelimit.hit`: under a keyed hash of its address
(an IPv4 address or an IPv6 /64, so one host cannot rotate through its 2**64 addresses), the
page and the current window, in the shared cache only, expiring with its window; the address
itself is never written anywhere and the hash changes each window so counters cannot be linked
over time. Nothing is logged here.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from palermo.core import ratelimit
from palermo.core.client import client_address

# (requests, seconds) per client and page; settings may tighten or loosen them.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "check": (60, 600),  # answering the job-offer questions
    "report": (5, 3600),  # sending a worker report
}


def _limit(bucket: str) -> tuple[int, int]:
    limits = getattr(settings, "PALERMO_PREVENT_RATE_LIMITS", {}) or {}
    count_max, window = limits.get(bucket, DEFAULT_LIMITS[bucket])
    return int(count_max), int(window)


def allow(request: HttpRequest, bucket: str) -> bool:
    """Count this request; False once the client went over the page's limit in this window."""
    count_max, window = _limit(bucket)
    # Behind a trusted proxy this is the visitor, not the proxy (PALERMO_TRUSTED_PROXIES).
    client = ratelimit.address_bucket(client_address(request))
    return ratelimit.hit(f"prevent-{bucket}", client, count_max, window).allowed
