"""line-bot-sdk v3 clients pointed at the configured LINE platform, and per-endpoint rate limits.

Base URLs come from settings, so the same code talks to real LINE or to the emulator. Clients are
cached per thread (the SDK's connection pool is not shared across threads) and per configuration,
so tests that point the settings elsewhere get a fresh client.

Rate limits follow LINE's advice for large accounts ("Best practices for preventing HTTP status
code 429 errors"): a token bucket per endpoint, shared by every process that calls LINE (in Redis
when REDIS_URL is set, else in this process), set below LINE's limit with headroom, because
requests reach LINE at slightly uneven times. A bucket of capacity C refilled at r per second lets
at most C + r·W requests through in any window W, so C + r·W ≤ LINE's limit L, with
``LINE_RATE_HEADROOM`` taken off the rate (``bucket``). For multicast, 200 a second: 180 a second,
bursts of 20. Callers reserve their turn and sleep until it
(generic cell rate algorithm), so many threads waiting on one bucket go in order, without retries.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from limits import parse
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob

_local = threading.local()

# LINE's documented limits per channel (developers.line.biz, Messaging API reference, "Rate limits");
# every other endpoint: 2,000 a second. Keys are civicline's names for the endpoints it calls.
RATE_LIMITS: dict[str, str] = {
    "reply": "2000/second",
    "push": "2000/second",
    "multicast": "200/second",
    "broadcast": "60/hour",
    "narrowcast": "60/hour",
    "profile": "2000/second",
    "content": "2000/second",
    "insight": "60/hour",
    "richmenu": "2000/second",
    "richmenu_create": "100/hour",
    "richmenu_delete": "100/hour",
    "richmenu_alias_delete": "100/hour",
    "richmenu_bulk": "2000/second",
    "richmenu_batch": "3/hour",
    "richmenu_batch_progress": "100/hour",
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


@dataclass(frozen=True)
class Bucket:
    """A token bucket as the generic cell rate algorithm keeps it: one request every ``interval``
    seconds on average, up to ``capacity`` at once."""

    interval: float
    capacity: int

    @property
    def tolerance(self) -> float:
        return (self.capacity - 1) * self.interval


def bucket(endpoint: str) -> Bucket:
    """``endpoint``'s bucket: LINE's limit (or ``LINE_RATE_LIMITS``'s) with the headroom.

    Capacity C and rate r keep C + r·W within LINE's limit L for any window W. A limit per second
    is a matter of rate: r is the headroom's share of L (multicast: 180 a second, bursts of 20). A
    limit per minute or hour is a matter of bursts (staff publish a menu of three tabs at once):
    half of L at once, the rest spread over the window less the headroom.
    """
    item = parse(settings.LINE_RATE_LIMITS.get(endpoint) or RATE_LIMITS.get(endpoint, "2000/second"))
    limit, window = item.amount, float(item.get_expiry())
    if window <= 1:
        per_window = min(limit * settings.LINE_RATE_HEADROOM, max(limit - 1, 1))
        capacity = max(1, round(limit - per_window))
    else:
        capacity = max(1, limit // 2)
        per_window = max(limit - capacity, 1) * settings.LINE_RATE_HEADROOM
    return Bucket(interval=window / per_window, capacity=capacity)


# KEYS[1]: the bucket's theoretical arrival time; ARGV: interval, tolerance, max wait (seconds).
# Returns "wait:1" when the turn is taken (go after wait seconds), "wait:0" when it is too far off.
_GCRA = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local interval, tolerance, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > max_wait then return tostring(wait) .. ':0' end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000) + 1000)
return tostring(wait) .. ':1'
"""


class _MemoryBuckets:
    """The buckets of this process (no REDIS_URL): the same algorithm under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def reserve(self, key: str, bucket: Bucket, max_wait: float) -> tuple[float, bool]:
        with self._lock:
            now = time.time()
            tat = max(self._tat.get(key, 0.0), now)
            wait = max(tat - bucket.tolerance - now, 0.0)
            if wait > max_wait:
                return wait, False
            self._tat[key] = tat + bucket.interval
            return wait, True

    def reset(self) -> None:
        with self._lock:
            self._tat.clear()


class _RedisBuckets:
    """The buckets of every process using REDIS_URL: one Lua script call per request, on Redis's clock."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_GCRA)

    def reserve(self, key: str, bucket: Bucket, max_wait: float) -> tuple[float, bool]:
        answer = self._script(keys=[key], args=[bucket.interval, bucket.tolerance, max_wait]).decode()
        wait, _sep, taken = answer.partition(":")
        return float(wait), taken == "1"

    def reset(self) -> None:
        for key in self._redis.scan_iter(match=f"{KEY_PREFIX}*"):
            self._redis.delete(key)


KEY_PREFIX = "civicline:line-rate:"


@lru_cache(maxsize=4)
def _buckets(redis_url: str) -> _MemoryBuckets | _RedisBuckets:
    return _RedisBuckets(redis_url) if redis_url else _MemoryBuckets()


def reserve(endpoint: str, *, max_wait: float) -> tuple[float, bool]:
    """Take the next turn of ``endpoint``'s bucket if it comes within ``max_wait`` seconds.

    Returns (seconds until the turn, taken). A taken turn is the caller's: it must wait that long,
    then send (or lose the turn). Not taken: LINE would not accept the request that soon.
    """
    key = f"{KEY_PREFIX}{settings.LINE_CHANNEL_ID or 'default'}:{endpoint}"
    return _buckets(settings.REDIS_URL or "").reserve(key, bucket(endpoint), max_wait)


def throttle(endpoint: str, *, max_wait: float = 5.0) -> float:
    """Wait for ``endpoint``'s turn, up to ``max_wait`` seconds.

    Returns 0 once the turn has come, or the seconds still to wait when that is longer than
    ``max_wait`` (the caller then gives up this attempt rather than hold a worker for an hour).
    """
    wait, taken = reserve(endpoint, max_wait=max_wait)
    if not taken:
        return max(wait, 0.01)
    if wait > 0:
        time.sleep(wait)
    return 0.0


def reset_rate_limits() -> None:
    """Forget every bucket (tests, and after changing LINE_RATE_LIMITS)."""
    _buckets(settings.REDIS_URL or "").reset()
