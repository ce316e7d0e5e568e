"""Rate limits for the public pages, without keeping who asked.

A client is counted under a keyed hash of its address, the page and the current window
(HMAC-SHA256 with the deployment's secret key): the counter lives in the cache only and expires
with its window, the address itself is never written anywhere, and the hash changes each
window so counters cannot be linked over time. Nothing is logged here.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

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
    slot = int(time.time()) // window
    # Behind a trusted proxy this is the visitor, not the proxy (PALERMO_TRUSTED_PROXIES).
    client = client_address(request)
    key = hmac.new(
        settings.SECRET_KEY.encode(), f"{bucket}|{slot}|{client}".encode(), hashlib.sha256
    ).hexdigest()
    cache_key = f"prevent-rl:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return count_max >= 1
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        used = 1
    return used <= count_max
