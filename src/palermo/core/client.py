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


class ForwardedProtoMiddleware:
    """Drops ``X-Forwarded-Proto`` unless a trusted proxy sent it.

    ``SECURE_PROXY_SSL_HEADER`` makes Django believe that header from anyone. With
    ``PALERMO_TRUSTED_PROXIES`` set, only those proxies may say a request came over TLS;
    without it the header is still believed (the README's one-proxy deployment), and
    ``check --deploy`` warns (palermo.W001). Runs before SecurityMiddleware reads it.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        meta = request.META
        if "HTTP_X_FORWARDED_PROTO" in meta:
            trusted = trusted_networks()
            if trusted and not forwarded.peer_is_trusted(
                str(meta.get("REMOTE_ADDR", "") or ""), trusted
            ):
                del meta["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
