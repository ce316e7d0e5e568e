"""Checks that ``palermo check --deploy`` (Django's deployment checks) adds for Palermo."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def proxy_header_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    # X-Forwarded-Proto decides whether a request counts as HTTPS (SECURE_PROXY_SSL_HEADER).
    # Without named proxies any client may send it; ForwardedProtoMiddleware can only filter
    # it once the proxies are known.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.PALERMO_TRUSTED_PROXIES:
        return [
            checks.Warning(
                "X-Forwarded-Proto is believed from any client because PALERMO_TRUSTED_PROXIES is empty.",
                hint="Set PALERMO_TRUSTED_PROXIES to the reverse proxies in front of Palermo "
                "(docs/admin-guide.md, 'Behind a reverse proxy').",
                id="palermo.W001",
            )
        ]
    return []
