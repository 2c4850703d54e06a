"""Links to the LINE emulator's phone page, where staff see a test resident's LINE (X-11).

With real LINE there is no such page: every function here then answers "".
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings


def _is_real_line(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "line.me" or host.endswith(".line.me")


def phone_base_url() -> str:
    """``LINESIM_PHONE_URL``, else the emulator's address when LINE_API_BASE_URL points at one."""
    if settings.LINESIM_PHONE_URL:
        return settings.LINESIM_PHONE_URL.rstrip("/")
    base = settings.LINE_API_BASE_URL
    return "" if _is_real_line(base) else base.rstrip("/")


def phone_url(user_id: str) -> str:
    """The phone page showing ``user_id``'s LINE, or ""."""
    base = phone_base_url()
    return f"{base}/?{urlencode({'user': user_id})}" if base else ""


def emulator_origin() -> str:
    """The emulator's origin (scheme://host:port), allowed to frame LIFF pages; "" with real LINE."""
    base = phone_base_url()
    if not base:
        return ""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"
