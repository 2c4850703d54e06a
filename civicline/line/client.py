"""line-bot-sdk v3 clients pointed at the configured LINE platform, and per-endpoint rate limits.

Base URLs come from settings, so the same code talks to real LINE or to the emulator. Clients are
cached per thread (the SDK's connection pool is not shared across threads) and per configuration,
so tests that point the settings elsewhere get a fresh client.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from django.conf import settings
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob

_local = threading.local()

# LINE's documented limits per channel (developers.line.biz "Rate limits"); other endpoints: 2,000/s.
RATE_LIMITS: dict[str, str] = {
    "reply": "2000/second",
    "push": "2000/second",
    "multicast": "200/second",
    "broadcast": "60/hour",
    "narrowcast": "60/hour",
    "profile": "2000/second",
    "content": "2000/second",
}


def _api_client(host: str) -> ApiClient:
    key = (host, settings.LINE_CHANNEL_ACCESS_TOKEN)
    clients: dict[tuple[str, str], ApiClient] = getattr(_local, "clients", None) or {}
    _local.clients = clients
    if key not in clients:
        clients[key] = ApiClient(Configuration(host=host, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN))
    return clients[key]


def messaging_api() -> MessagingApi:
    return MessagingApi(_api_client(settings.LINE_API_BASE_URL))


def blob_api() -> MessagingApiBlob:
    """Content (images residents send) lives on LINE's data host, not the API host."""
    return MessagingApiBlob(_api_client(settings.LINE_API_DATA_BASE_URL))


@lru_cache(maxsize=4)
def _limiter(storage_uri: str) -> tuple[SlidingWindowCounterRateLimiter, Storage]:
    storage = storage_from_string(storage_uri)
    return SlidingWindowCounterRateLimiter(storage), storage


def _rate_limit(endpoint: str) -> RateLimitItem:
    overrides = getattr(settings, "LINE_RATE_LIMITS", {}) or {}
    return parse(overrides.get(endpoint) or RATE_LIMITS.get(endpoint, "2000/second"))


def throttle(endpoint: str, *, max_wait: float = 5.0) -> float:
    """Take one slot of ``endpoint``'s budget, waiting up to ``max_wait`` seconds for it.

    Returns 0 once a slot is taken, or the seconds still to wait when that is longer than
    ``max_wait`` (the caller then gives up this attempt rather than hold a worker for an hour).
    Memory storage limits one process; with REDIS_URL every web and worker process shares it.
    """
    limiter, _ = _limiter(settings.REDIS_URL or "memory://")
    item = _rate_limit(endpoint)
    identifier = settings.LINE_CHANNEL_ID or "default"
    deadline = time.monotonic() + max_wait
    while not limiter.hit(item, "line", identifier, endpoint):
        wait = max(
            limiter.get_window_stats(item, "line", identifier, endpoint).reset_time - time.time(), 0.01
        )
        if time.monotonic() + wait > deadline:
            return wait
        time.sleep(min(wait, 0.5))
    return 0.0


def reset_rate_limits() -> None:
    """Forget every counter (tests, and after changing LINE_RATE_LIMITS)."""
    _, storage = _limiter(settings.REDIS_URL or "memory://")
    storage.reset()
