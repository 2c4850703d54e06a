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
