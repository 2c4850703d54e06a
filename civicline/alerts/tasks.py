"""The worker's part: following JMA's feeds (every minute it asks whether a feed is due)."""

from __future__ import annotations

from django.conf import settings

from . import feeds


def jma_poll_task() -> None:
    """Poll the feeds that are due (``JMA_POLL_SECONDS``); never on a web request."""
    if settings.JMA_POLL_ENABLED:
        feeds.poll()
