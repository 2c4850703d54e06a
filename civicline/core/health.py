"""Health checks for a load balancer (X-19): /healthz says the process is up, /readyz that it can work."""

from __future__ import annotations

import logging
import time

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from huey.contrib.djhuey import HUEY

from . import outbound

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_queue() -> None:
    HUEY.pending_count()


# A load balancer asks every few seconds; LINE is asked at most this often per process, so a slow
# LINE never holds more than one thread here.
LINE_CHECK_SECONDS = 15
# base URL -> (when asked, what went wrong or None)
_line_answers: dict[str, tuple[float, BaseException | None]] = {}


def _check_line() -> None:
    url = f"{settings.LINE_API_BASE_URL}/v2/bot/info"
    now = time.monotonic()
    asked = _line_answers.get(url)
    if asked is None or now - asked[0] >= LINE_CHECK_SECONDS:
        error: BaseException | None = None
        try:
            with outbound.slot():
                # Any HTTP answer (LINE answers 401/404 to an unauthenticated GET) proves it reachable.
                requests.get(
                    url,
                    timeout=outbound.timeout((2, 2)),
                    headers={"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"},
                )
        except (outbound.NoSlot, requests.RequestException) as exc:
            error = exc
        asked = _line_answers[url] = (now, error)
    if asked[1] is not None:
        raise asked[1]


CHECKS = {"database": _check_database, "queue": _check_queue, "line": _check_line}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            logger.warning("readiness check failed", extra={"check": name, "error": str(exc)})
            results[name] = "fail"
    ok = all(v == "ok" for v in results.values())
    return JsonResponse({"status": "ok" if ok else "fail", "checks": results}, status=200 if ok else 503)
