"""Who is on the other end of a request, and whether they may reach the console (X-5)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def address_in(address: str, networks: Iterable[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks if net.version == ip.version)


def client_ip(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For is believed only through trusted proxies.

    Walking the header from the right and stopping at the first hop we do not trust means a
    client cannot put an address of its choosing in front of our proxy's own entry.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = parse_networks(tuple(settings.TRUSTED_PROXIES))
    if not trusted or not address_in(peer, trusted):
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not address_in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def whole_families_covered(cidrs: Iterable[str]) -> list[str]:
    """The address families (``IPv4``, ``IPv6``) whose every address ``cidrs`` cover together.

    ``0.0.0.0/0`` is the obvious case; ``0.0.0.0/1`` plus ``128.0.0.0/1`` is the same thing split,
    so coverage is judged on the merged ranges, not per entry. Unparseable entries are ignored here.
    """
    by_version: dict[int, list[IPNetwork]] = {4: [], 6: []}
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            continue
        by_version[network.version].append(network)
    covered = []
    for version, networks in by_version.items():
        merged = list(ipaddress.collapse_addresses(networks))  # type: ignore[type-var]
        if merged and merged[0].prefixlen == 0:
            covered.append(f"IPv{version}")
    return covered
