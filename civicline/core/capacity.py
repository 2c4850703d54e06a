"""Room for what matters at a disaster's peak (X-14): resident pages yield before LINE's webhook
and the shelter map do.

Each pool of paths may hold at most so many requests at once in one web process. A request that
finds its pool full is answered at once with a friendly 「混み合っています」 page (503, Retry-After)
instead of waiting behind the others until it times out; because the resident pool is smaller than
the process's threads, threads always stay free for the webhook (never pooled: LINE must get its
answer within seconds) and for the shelter map, whose pool is separate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5


@dataclass
class Pool:
    name: str
    prefixes: tuple[str, ...]
    size: int
    semaphore: threading.BoundedSemaphore


def _pools() -> list[Pool]:
    pools = []
    for name, prefixes, size in settings.CAPACITY_POOLS:
        if size > 0:
            pools.append(Pool(name, tuple(prefixes), size, threading.BoundedSemaphore(size)))
    return pools


class CapacityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.pools = _pools()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pool = next((p for p in self.pools if request.path.startswith(p.prefixes)), None)
        if pool is None:
            return self.get_response(request)
        if not pool.semaphore.acquire(blocking=False):
            return busy_response(request, pool.name)
        try:
            return self.get_response(request)
        finally:
            pool.semaphore.release()


def busy_response(request: HttpRequest, pool: str) -> HttpResponse:
    html = render_to_string("core/busy.html", {"pool": pool, "retry_after": RETRY_AFTER_SECONDS}, request)
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
