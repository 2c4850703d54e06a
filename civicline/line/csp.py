"""The Content-Security-Policy of every page: django-csp's, plus the origins that other settings name.

The fixed policy is ``CONTENT_SECURITY_POLICY`` in settings. What depends on where LINE, the LIFF SDK
and the map tiles are is added here for each response, because those settings differ between
production, the demo and every test (the emulator gets a new port each time):

* every page may show map tiles from the server of ``MAP_TILE_URL`` (console and resident maps);
* resident pages (under ``/liff/``) may run the LIFF SDK from ``LIFF_SDK_URL`` and let it talk to
  LINE (``LINE_API_BASE_URL``'s origin and ``LIFF_CONNECT_SOURCES``). They may be framed by the
  emulator's phone page only, which shows them in a frame as LINE's app shows them full screen; with
  real LINE no page frames them. Public pages there (the mail sign-up a resident page links to) are
  treated alike, so that following such a link inside the frame still works.

It lives in ``line`` because all of that is knowledge of LINE and its emulator; core knows neither.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import NONE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .phone import emulator_origin

RESIDENT_PREFIX = "/liff/"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL, or "" for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def tile_source(template: str) -> str:
    """The CSP source of a Leaflet tile URL template; a templated host label (``{s}``) becomes ``*``.

    CSP allows a wildcard only as the leftmost label, so everything up to the last templated label
    is covered by it: ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``.
    """
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    templated = [index for index, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def is_resident_page(request: HttpRequest) -> bool:
    return request.path_info.startswith(RESIDENT_PREFIX)


def resident_frame_ancestors() -> list[str]:
    phone = emulator_origin()
    return [phone] if phone else [NONE]


def _sources(*values: str) -> list[str]:
    return [value for value in values if value]


def _joined(first: dict[str, list[str]], second: dict | None) -> dict:
    joined: dict = {key: list(value) for key, value in first.items() if value}
    for key, value in (second or {}).items():
        joined[key] = [*joined.get(key, []), *(value if isinstance(value, list | tuple) else [value])]
    return joined


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the per-area additions above.

    Listed after Django's XFrameOptionsMiddleware, so that it answers first and can spare resident
    pages the X-Frame-Options header, which cannot name the emulator (only DENY or SAMEORIGIN).
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_resident_page(request) and emulator_origin():
            response.xframe_options_exempt = True  # type: ignore[attr-defined]  # Django's own flag
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = {"img-src": _sources(tile_source(settings.MAP_TILE_URL))}
        replace: dict[str, list[str]] = {}
        if is_resident_page(request):
            update["script-src"] = _sources(origin(settings.LIFF_SDK_URL))
            update["connect-src"] = _sources(
                origin(settings.LINE_API_BASE_URL), *settings.LIFF_CONNECT_SOURCES
            )
            replace["frame-ancestors"] = resident_frame_ancestors()
        # What a view asked for with django-csp's decorators stays on top of ours.
        parts.update = _joined(update, parts.update)
        parts.replace = {**replace, **(parts.replace or {})}
        return parts
