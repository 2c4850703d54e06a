"""What the phone opens for a tapped link, as the LINE app decides it.

LINE opens a link in its in-app browser, and when that browser arrives at a LIFF URL
(``https://liff.line.me/{liffId}/…``) the LIFF app opens instead, with the resident signed in. So a
link that only *leads* to a LIFF URL (civicline's click-counting redirect of a delivery, a short URL)
ends in the LIFF view too. The phone page cannot see where a redirect goes (the browser hides a
cross-origin redirect from scripts), so the emulator follows the chain here, on the phone's behalf.

Only hops to this machine (loopback) or to a registered LIFF app's host are followed: the emulator
must not become a way to make requests anywhere, and this machine reaches nothing else anyway.
A hop that is not followed is where the phone's browser goes. Each hop is requested once, so a
counting redirect counts the tap once, as with LINE.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import liff
from .control_views import ControlError, _user, control
from .models import LiffApp, VirtualUser

MAX_HOPS = 5
HOP_TIMEOUT = 5.0  # seconds; a local server that does not answer leaves the link to the browser
REDIRECTS = {301, 302, 303, 307, 308}
# https://line.me/R/ti/p/@id: "add this account as a friend", which LINE shows as its own screen.
ADD_FRIEND_PREFIX = "https://line.me/R/ti/p/"


@dataclass(frozen=True)
class Target:
    """Where a tap lands: a LIFF app, a page for the browser, or a LINE screen the phone describes."""

    liff: liff.Opened | None = None
    url: str = ""
    notice: str = ""

    def as_dict(self) -> dict[str, object]:
        if self.liff is not None:
            app = self.liff.app
            return {
                "liff": {
                    "liffId": app.liff_id,
                    "url": self.liff.url,
                    "viewType": app.view_type,
                    "endpointUrl": app.endpoint_url,
                }
            }
        return {"url": self.url, "notice": self.notice}


def _followable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    if liff.is_loopback(parts.hostname):
        return True
    endpoints = LiffApp.objects.values_list("endpoint_url", flat=True)
    return any(urlsplit(endpoint).netloc == parts.netloc for endpoint in endpoints)


def _next_hop(url: str) -> str | None:
    """The Location a redirect answers for ``url``, or None (not a redirect, or no answer)."""
    try:
        response = requests.get(url, allow_redirects=False, timeout=HOP_TIMEOUT, stream=True)
    except requests.RequestException:
        return None
    response.close()  # only the status and the Location matter
    location = response.headers.get("Location")
    return urljoin(url, location) if response.status_code in REDIRECTS and location else None


def _add_friend_notice(url: str) -> str:
    account = url.removeprefix(ADD_FRIEND_PREFIX).split("?")[0].strip("/")
    return (
        f"LINEでは、別のアカウント（{account}）の友だち追加画面が開きます。"
        "エミュレーターにはない画面です。"
    )


def follow(url: str, user: VirtualUser | None, *, api_base: str) -> Target:
    """Follow ``url`` as the LINE app would: into a LIFF app if the chain reaches one."""
    for _hop in range(MAX_HOPS + 1):
        opened = liff.open_url(url, user, api_base=api_base)
        if opened is not None:
            return Target(liff=opened)
        if url.startswith(ADD_FRIEND_PREFIX):
            return Target(url=url, notice=_add_friend_notice(url))
        if not _followable(url):
            return Target(url=url)
        location = _next_hop(url)
        if location is None:
            return Target(url=url)
        url = location
    return Target(url=url)


@control("GET")
def open_link(request: HttpRequest, user_id: str) -> HttpResponse:
    """GET ?url=…: what the phone of ``user_id`` opens for a tapped link (see the module docstring).

    ``{"liff": {…}}`` (as /sim/api/liff/resolve answers) for the LIFF view; otherwise ``{"url"}``, the
    page for the browser (the end of the redirects followed), and maybe a ``notice`` to show instead.
    """
    url = request.GET.get("url", "")
    if not url:
        raise ControlError(400, "url is required")
    target = follow(url, _user(user_id), api_base=request.build_absolute_uri("/"))
    return JsonResponse(target.as_dict())
