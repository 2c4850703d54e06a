"""Request metrics, and counting the security events alerts watch (X-17).

Installed first in MIDDLEWARE so that it also sees the answers of the console allowlist, which
refuses a request before any view runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from civicline.core.middleware import console_networks
from civicline.core.netaddr import address_in, client_ip

from . import metrics, services
from .models import SecurityEventCount

WEBHOOK_PATH = "/line/webhook"
# The webhook view's answer to a bad signature; tests/ops/test_monitoring.py keeps the two in step.
SIGNATURE_REFUSAL = b"invalid signature"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "(unmatched)"
        metrics.LATENCY.labels(route).observe(time.perf_counter() - started)
        metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        self._count_security_events(request, response)
        return response

    def _count_security_events(self, request: HttpRequest, response: HttpResponse) -> None:
        if (
            request.path == WEBHOOK_PATH
            and response.status_code == 400
            and not response.streaming
            and response.content == SIGNATURE_REFUSAL
        ):
            metrics.SIGNATURE_FAILURES.inc()
            services.security_event_count(kind=SecurityEventCount.Kind.SIGNATURE_FAILURE)
        elif (
            request.path.startswith("/console/")
            and response.status_code == 403
            and not address_in(client_ip(request), console_networks())
        ):
            metrics.ALLOWLIST_DENIALS.inc()
            services.security_event_count(kind=SecurityEventCount.Kind.ALLOWLIST_DENIAL)
