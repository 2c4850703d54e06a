"""Links to resident pages for LINE messages (buttons, quick replies, rich-menu tiles)."""

from __future__ import annotations

from django.conf import settings


def liff_url(path: str) -> str:
    """A resident page (``/liff/…``) as LINE opens it: in the LIFF view when a LIFF app is configured.

    The LIFF app's endpoint is civicline's /liff/, so /liff/reports/ is liff.line.me/<id>/reports/.
    """
    if settings.LIFF_ID:
        return f"https://liff.line.me/{settings.LIFF_ID}{path.removeprefix('/liff')}"
    return settings.SITE_URL + path
