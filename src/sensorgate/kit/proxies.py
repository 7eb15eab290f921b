"""The client's address behind trusted proxies (a load balancer), from X-Forwarded-For.

Only when the TCP peer is a trusted proxy (SENSORGATE_TRUSTED_PROXIES) is the header read at all; anyone else
could write any address into it. The header is read from the right: each trusted proxy appended the address it
received from, so the rightmost address that is not itself a trusted proxy is the client. Anything that is not
an address stops the walk, and the last proxy's peer is used: a malformed header never yields a chosen address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks; ValueError names the bad one."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {part[:60]!r}") from None
    return tuple(networks)


def _address(hop: str) -> str | None:
    """An address as a proxy may write it: bare, `1.2.3.4:port`, `[v6]` or `[v6]:port`. None: not one."""
    if hop.startswith("["):
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:
        hop = hop.partition(":")[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded: Iterable[bytes], networks: tuple[Network, ...]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy that said whom it forwards for."""
    if not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded for hop in value.decode("latin-1").split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return client
