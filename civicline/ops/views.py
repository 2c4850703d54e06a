"""/metrics: Prometheus' scrape endpoint, reachable from the console's allowed networks only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from civicline.core.middleware import console_networks
from civicline.core.netaddr import address_in, client_ip

from .metrics import exposition


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not address_in(client_ip(request), console_networks()):
        return HttpResponseForbidden("forbidden")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
