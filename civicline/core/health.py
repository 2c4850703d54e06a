"""Health checks for a load balancer (X-19): /healthz says the process is up, /readyz that it can work."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_queue() -> None:
    HUEY.pending_count()


def _check_line() -> None:
    # Any HTTP answer (LINE answers 401/404 to an unauthenticated GET) proves the API is reachable.
    requests.get(f"{settings.LINE_API_BASE_URL}/v2/bot/info", timeout=2,
                 headers={"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"})


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
