"""Which address a request came from behind reverse proxies (palermo.core.forwarded/client).

The pure walk is property-tested; the HTTP tests check that the public pages' limits, the
audit trail and the sign-in lock-out all see the visitor, not the proxy, and never a forged
address.
"""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from palermo.core.forwarded import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:100::/48"])

# Addresses outside the trusted networks: public-looking IPv4 and IPv6.
outside_v4 = st.ip_addresses(v=4).filter(lambda a: a not in PROXIES[0])
outside_v6 = st.ip_addresses(v=6).filter(lambda a: a not in PROXIES[1] and a.ipv4_mapped is None)
outside = st.one_of(outside_v4, outside_v6).map(str)
inside = st.one_of(
    st.ip_addresses(network="10.0.0.0/8"), st.ip_addresses(network="2001:db8:100::/48")
).map(str)
anything = st.one_of(
    outside,
    inside,
    st.text(alphabet="0123456789abcdef.:[]- ", max_size=20),
)


# Generation, not the walk, is slow on a loaded machine: no wall-clock health check.
_relaxed = hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_relaxed
@given(
    spoofed=st.lists(anything, min_size=1, max_size=4),
    client=outside,
    proxies=st.lists(inside, min_size=1, max_size=3),
)
def test_a_forged_leftmost_entry_never_becomes_the_client(spoofed, client, proxies):
    # The client sends whatever it likes; our first proxy appends the client's real address,
    # each further proxy appends the previous one; the last one connects to us.
    header = ", ".join([*spoofed, client, *proxies[:-1]])
    found = client_address(proxies[-1], header, PROXIES)
    if _all_ips(spoofed):
        assert found == str(ipaddress.ip_address(client))
    else:
        # Malformed junk in the header: the proxy's address, never a forged one.
        assert found == str(ipaddress.ip_address(proxies[-1]))


@_relaxed
@given(remote=st.one_of(outside, inside), header=st.lists(anything, max_size=5))
def test_without_trusted_proxies_the_header_is_ignored(remote, header):
    assert client_address(remote, ", ".join(header), ()) == str(ipaddress.ip_address(remote))


@_relaxed
@given(remote=outside, header=st.lists(anything, max_size=5))
def test_an_untrusted_sender_cannot_forward_for_anyone(remote, header):
    assert client_address(remote, ", ".join(header), PROXIES) == str(ipaddress.ip_address(remote))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _all_ips(items: list[str]) -> bool:
    return all(_is_ip(x) for x in items)


@pytest.mark.parametrize(
    "remote, header, expected",
    [
        ("10.0.0.2", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "203.0.113.9:4711", "10.0.0.2"),  # a port: malformed
        ("10.0.0.2", "unknown, 203.0.113.9", "10.0.0.2"),
        ("10.0.0.2", "10.0.0.9, 10.0.0.8", "10.0.0.9"),  # all ours: the leftmost
        ("10.0.0.2", "1.2.3.4," * 400, "10.0.0.2"),  # over-long
        ("::ffff:10.0.0.2", "::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped
        ("2001:db8:100::1", "2001:DB8::0:1", "2001:db8::1"),  # canonical form
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not from a proxy
        ("", "198.51.100.1", ""),
    ],
)
def test_examples(remote, header, expected):
    assert client_address(remote, header, PROXIES) == expected


def test_a_typo_in_the_setting_is_refused():
    with pytest.raises(ValueError, match="10.0.0.0/33"):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])


def test_the_setting_is_checked_at_start_up(monkeypatch):
    import subprocess
    import sys

    env = {"PALERMO_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example.org", "PALERMO_TESTING": "1"}
    import os

    result = subprocess.run(
        [sys.executable, "-c", "import palermo.settings"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PALERMO_TRUSTED_PROXIES" in result.stderr and "proxy.example.org" in result.stderr


# --- through HTTP ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _from(remote: str, forwarded: str | None = None) -> Client:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client(**extra)


LIMITS = {"check": (2, 600), "report": (2, 3600)}


@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"], PALERMO_PREVENT_RATE_LIMITS=LIMITS)
def test_behind_a_trusted_proxy_two_visitors_get_separate_limits(demo_world):
    a = _from("10.0.0.2", "203.0.113.1")
    b = _from("10.0.0.2", "203.0.113.2")
    codes_a = [a.post("/check/", {"q_fee": "yes"}).status_code for _ in range(3)]
    assert codes_a == [200, 200, 429]
    # The second visitor behind the same proxy still has the whole limit.
    assert [b.post("/check/", {"q_fee": "yes"}).status_code for _ in range(2)] == [200, 200]


@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"], PALERMO_PREVENT_RATE_LIMITS=LIMITS)
def test_a_forged_header_from_an_untrusted_sender_does_not_dodge_the_limit(demo_world):
    codes = [
        _from("198.51.100.7", f"203.0.113.{i}").post("/check/", {"q_fee": "yes"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


@override_settings(PALERMO_PREVENT_RATE_LIMITS=LIMITS)
def test_without_trusted_proxies_forwarded_for_is_ignored(demo_world):
    codes = [
        _from("10.0.0.2", f"203.0.113.{i}").post("/check/", {"q_fee": "yes"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_audit_trail_records_the_visitor_not_the_proxy(demo_world):
    from palermo.core.models import AuditEntry

    c = _from("10.0.0.2", "198.51.100.1, 203.0.113.44")
    c.post("/accounts/login/", {"username": "caseworker", "password": "wrong-password-123"})
    entry = AuditEntry.objects.filter(action="login_failed").latest("id")
    assert entry.client == "203.0.113.44"


@override_settings(PALERMO_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_one_visitor_behind_the_proxy_does_not_lock_out_another(demo_world, settings):
    from django.urls import reverse

    from palermo.core.demo import DEMO_PASSWORD

    attacker = _from("10.0.0.2", "203.0.113.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("login"), {"username": "analyst", "password": "not-the-password"})
    locked = attacker.post(reverse("login"), {"username": "analyst", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    colleague = _from("10.0.0.2", "203.0.113.67")
    ok = colleague.post(reverse("login"), {"username": "analyst", "password": DEMO_PASSWORD})
    assert ok.status_code == 302
