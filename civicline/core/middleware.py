"""Request ids for the logs and the audit log, the console's IP allowlist (X-5), and the language."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation

from . import outbound
from .audit import audit_context
from .http import CivicRequest
from .logging import request_id_var
from .netaddr import address_in, client_ip, parse_networks

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ALLOWED_NETWORKS_CACHE_KEY = "core:allowed-networks"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: CivicRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            # Every audit entry written while answering names this request's staff, address and id;
            # every call to LINE made meanwhile is bounded (civicline.core.outbound).
            with audit_context(request=request), outbound.web_request():
                response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


def console_networks() -> tuple:
    """Configured networks plus those the system administrator added (cached until one changes)."""
    from .models import AllowedNetwork

    added = cache.get(ALLOWED_NETWORKS_CACHE_KEY)
    if added is None:
        added = tuple(AllowedNetwork.objects.values_list("cidr", flat=True))
        cache.set(ALLOWED_NETWORKS_CACHE_KEY, added, 60)
    return parse_networks(tuple(settings.CONSOLE_ALLOWED_NETWORKS) + tuple(added))


class ConsoleAllowlistMiddleware:
    """Only /console/ is restricted: residents reach /liff/ and LINE reaches /line/ from anywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: CivicRequest) -> HttpResponse:
        if request.path.startswith("/console/"):
            request.client_ip = client_ip(request)
            if not address_in(request.client_ip, console_networks()):
                html = render_to_string("core/forbidden_network.html", {"address": request.client_ip})
                return HttpResponseForbidden(html)
        return self.get_response(request)


class LanguageMiddleware(LocaleMiddleware):
    """Django's language choice (cookie, then the browser's), kept to what each side ships.

    The console ships in ``CONSOLE_LANGUAGES`` (a staff browser set to Chinese gets Japanese, not a
    half-translated console); resident pages may use any of ``LANGUAGES``, and once the resident is
    known their own language replaces this (``resident_required``).
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        language = translation.get_language()
        if not request.path.startswith("/liff/") and language not in settings.CONSOLE_LANGUAGES:
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
