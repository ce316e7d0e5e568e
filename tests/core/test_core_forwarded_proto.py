"""X-Forwarded-Proto is believed only from a trusted proxy (palermo.core.client).

Red-team finding (low): ``SECURE_PROXY_SSL_HEADER`` made any client able to say its plain-HTTP
request came over TLS. With ``PALERMO_TRUSTED_PROXIES`` set, only those proxies may.
"""

from __future__ import annotations

import pytest
from django.core import checks
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from palermo.core.client import ForwardedProtoMiddleware
from palermo.core.deploy_checks import proxy_header_check
from palermo.core.forwarded import parse_networks, peer_is_trusted


def _secure_seen(remote: str, proto: str | None = "https") -> bool:
    extra = {"REMOTE_ADDR": remote}
    if proto is not None:
        extra["HTTP_X_FORWARDED_PROTO"] = proto
    request = RequestFactory().get("/", **extra)
    response = ForwardedProtoMiddleware(lambda r: HttpResponse(str(r.is_secure())))(request)
    return response.content == b"True"


def test_peer_is_trusted_pure() -> None:
    nets = parse_networks(["10.0.0.0/8", "2001:db8::/32"])
    assert peer_is_trusted("10.1.2.3", nets)
    assert peer_is_trusted("::ffff:10.1.2.3", nets)  # IPv4 over an IPv6 socket
    assert peer_is_trusted("2001:db8::1", nets)
    assert not peer_is_trusted("203.0.113.9", nets)
    assert not peer_is_trusted("not an address", nets)
    assert not peer_is_trusted("", nets)
    assert not peer_is_trusted("10.1.2.3", ())


@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_header_dropped_from_an_untrusted_peer() -> None:
    assert _secure_seen("10.0.0.5") is True
    assert _secure_seen("203.0.113.9") is False
    assert _secure_seen("garbage") is False


@override_settings(PALERMO_TRUSTED_PROXIES=[])
def test_without_named_proxies_the_header_is_still_believed() -> None:
    # The README's deployment puts one TLS proxy in front; refusing the header there would
    # turn every HTTPS form post into a CSRF failure. check --deploy warns instead.
    assert _secure_seen("203.0.113.9") is True
    assert _secure_seen("203.0.113.9", proto=None) is False


@pytest.mark.django_db
@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"], SECURE_SSL_REDIRECT=True)
def test_https_redirect_cannot_be_dodged_with_a_forged_header(client) -> None:
    forged = client.get(
        "/accounts/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https"
    )
    assert forged.status_code == 301
    assert forged["Location"].startswith("https://")
    proxied = client.get("/accounts/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def test_deploy_check_warns_only_without_named_proxies() -> None:
    with override_settings(PALERMO_TRUSTED_PROXIES=[]):
        found = proxy_header_check()
    assert [m.id for m in found] == ["palermo.W001"]
    assert found[0].level == checks.WARNING
    with override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert proxy_header_check() == []
