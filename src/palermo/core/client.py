"""The client address of a request, the same for every caller: public-page rate limits, the
cross-border inbox's limits, the audit trail and django-axes' lock-out
(``AXES_CLIENT_IP_CALLABLE``).

``PALERMO_TRUSTED_PROXIES`` (environment, comma-separated addresses or CIDR networks) names
the reverse proxies in front of Palermo; empty, the default, means ``X-Forwarded-For`` is
ignored and ``REMOTE_ADDR`` is the client. The walk itself is :mod:`palermo.core.forwarded`.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

from palermo.core import forwarded


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[forwarded.Network, ...]:
    return forwarded.parse_networks(entries)


def trusted_networks() -> tuple[forwarded.Network, ...]:
    # Keyed on the setting's value, so override_settings in tests takes effect at once.
    return _networks(tuple(getattr(settings, "PALERMO_TRUSTED_PROXIES", ()) or ()))


def client_address(request: Any) -> str:
    """The address the request came from, as far as our trusted proxies vouch for it."""
    meta = request.META
    return forwarded.client_address(
        str(meta.get("REMOTE_ADDR", "") or ""),
        meta.get("HTTP_X_FORWARDED_FOR"),
        trusted_networks(),
    )
