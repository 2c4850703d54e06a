"""LINE's per-endpoint rate limits and its response time, as the emulator applies them.

LINE limits each API function per channel (developers.line.biz, Messaging API reference, "Rate
limits"): multicast 200 requests a second, broadcast and narrowcast 60 an hour, creating or deleting
a rich menu 100 an hour, the rich menu batch 3 an hour, every other endpoint 2,000 a second. A
request over the limit is not processed at all and answered 429 with LINE's error body, without a
Retry-After header (LINE sends none).

Each endpoint keeps a log of its last ``limit`` request times in a ring: a request is refused while
the oldest of them is still inside the window, so no window of that length ever holds more than
``limit`` requests — the strictest reading of "N requests per second". The rings live in shared
memory when the limiter is made before the emulator forks its worker processes
(``manage.py linesim --processes N``), so every process counts against the same budget, as LINE's
one platform does.

``LINESIM_RATE_LIMITS``: empty for LINE's limits, ``off`` for none, or overrides such as
``multicast=50/second,richmenu-batch=10/hour``. ``LINESIM_LATENCY_MS``: the time every answer of the
Messaging API takes (LINE over the internet: tens of milliseconds).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager

from django.conf import settings
from limits import parse

RATE_LIMITED = "The API rate limit has been exceeded. Try again later."

# (requests, window in seconds) of the endpoints LINE names; every other endpoint: DEFAULT.
LINE_LIMITS: dict[str, tuple[int, float]] = {
    "multicast": (200, 1),
    "broadcast": (60, 3600),
    "narrowcast": (60, 3600),
    "insight-message-event": (60, 3600),
    "insight-unit": (60, 3600),
    "richmenu-create": (100, 3600),
    "richmenu-delete": (100, 3600),
    "richmenu-alias-delete": (100, 3600),
    "richmenu-batch": (3, 3600),
    "richmenu-batch-progress": (100, 3600),
    "richmenu-list": (10, 1),
}
DEFAULT = (2000, 1.0)

# Every endpoint of the emulated API registers its key when its view is decorated (``line_api``),
# so a limiter made after the URLconf is imported knows them all before any process forks.
_endpoints: dict[str, tuple[int, float]] = {}


def register(key: str) -> str:
    _endpoints.setdefault(key, LINE_LIMITS.get(key, DEFAULT))
    return key


def configured() -> dict[str, tuple[int, float]] | None:
    """The limits to apply (None: switched off), LINE's unless ``LINESIM_RATE_LIMITS`` says otherwise."""
    value = settings.LINESIM_RATE_LIMITS.strip()
    if value.lower() == "off":
        return None
    limits = dict(_endpoints)
    for part in filter(None, (p.strip() for p in value.split(","))):
        key, _sep, rate = part.partition("=")
        item = parse(rate)
        limits[key.strip()] = (item.amount, float(item.get_expiry()))
    return limits


class RateLimiter:
    """Sliding-window request logs per endpoint, in this process's memory or in shared memory."""

    def __init__(self, limits: Mapping[str, tuple[int, float]] | None, *, shared: bool = False):
        self.enabled = limits is not None
        self._slots: dict[str, tuple[int, int, int, float]] = {}  # key → (index, offset, limit, window)
        offset = 0
        for index, (key, (limit, window)) in enumerate((limits or {}).items()):
            self._slots[key] = (index, offset, max(int(limit), 1), float(window))
            offset += max(int(limit), 1)
        if shared:
            self._times = multiprocessing.RawArray("d", offset)
            self._heads = multiprocessing.RawArray("l", len(self._slots))
            self._lock: AbstractContextManager = multiprocessing.Lock()
        else:
            self._times = [0.0] * offset
            self._heads = [0] * len(self._slots)
            self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count a request to ``key``; False (and not counted) when its limit is reached."""
        slot = self._slots.get(key)
        if slot is None:
            return True
        index, offset, limit, window = slot
        with self._lock:
            head = self._heads[index]
            # Wall-clock time: the same in every process, and 0.0 (never used) is always long ago.
            now = time.time()
            if now - self._times[offset + head] < window:
                return False
            self._times[offset + head] = now
            self._heads[index] = (head + 1) % limit
        return True

    def keys(self) -> Iterator[str]:
        return iter(self._slots)


def limiter(*, shared: bool = False) -> RateLimiter:
    """A limiter for the emulator's endpoints as configured now (import the URLconf first)."""
    import civicline.linesim.urls  # noqa: F401  (its views register their endpoints)

    return RateLimiter(configured(), shared=shared)


def latency_seconds() -> float:
    return max(float(settings.LINESIM_LATENCY_MS), 0.0) / 1000


def answer_no_sooner(started: float) -> None:
    """Hold the answer until ``LINESIM_LATENCY_MS`` has passed since the request arrived."""
    remaining = started + latency_seconds() - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
