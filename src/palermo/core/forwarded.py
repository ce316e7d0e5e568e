"""Which address a request came from, given the proxies we trust (pure, Django-free).

Behind a reverse proxy every request arrives from the proxy's address; the visitor's address
is in ``X-Forwarded-For``, which each proxy extends on the right with the address it received
the request from. Anything left of the last proxy we run was written by whoever sent the
request, so it can be forged. We therefore believe the header only when the direct peer
(``REMOTE_ADDR``) is one of our trusted proxies, and walk it from the right, skipping further
trusted proxies: the first hop that is not ours is the client. A forged entry further left is
never reached.

We do not use django-ipware here (Palermo's django-axes can use it): its trusted-proxy list
is positional (the last N hops must match N entries, in order), it never checks that the
direct peer is a trusted proxy, and on a chain that does not validate it falls through to
other headers; the semantic we need — "any number of hops inside these networks, starting
from the peer" — is the few lines below, with :mod:`ipaddress` doing all the parsing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A header longer than this is treated as malformed: no real chain of proxies is this long.
MAX_HEADER_LENGTH = 2048


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "2001:db8::1"]`` → networks; a bare address is a /32 or /128.

    Raises ValueError naming the first entry that is not an address or network, so a typo in
    the setting stops the start-up instead of silently trusting nothing (or everything).
    """
    networks: list[Network] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {text!r}") from exc
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen over an IPv6 socket: count it under its IPv4 form.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def peer_is_trusted(remote_addr: str, trusted: Sequence[Network]) -> bool:
    """Whether the direct peer is one of our proxies, whose other headers we may believe."""
    peer = _address(remote_addr)
    return peer is not None and _trusted(peer, trusted)


def client_address(remote_addr: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: ``remote_addr`` unless it is a trusted proxy, then the rightmost
    ``forwarded_for`` hop outside ``trusted``.

    A missing, over-long or malformed header (any hop that is not a plain IP address) falls
    back to ``remote_addr``: the proxy's address, one shared limit, but never a forged one.
    If every hop is a trusted proxy the request started inside our own network; the leftmost
    hop is then the best we know.
    """
    peer = _address(remote_addr)
    if peer is None:
        return remote_addr.strip()
    if not trusted or not _trusted(peer, trusted) or not forwarded_for:
        return str(peer)
    if len(forwarded_for) > MAX_HEADER_LENGTH:
        return str(peer)
    hops: list[Address] = []
    for part in forwarded_for.split(","):
        hop = _address(part)
        if hop is None:
            return str(peer)
        hops.append(hop)
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return str(hop)
    return str(hops[0])
