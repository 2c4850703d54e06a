"""Following JMA's PULL feeds politely, in the worker only (never on a web request).

Each configured feed (``JMA_FEEDS``: the high-frequency ``extra.xml`` and ``eqvol.xml`` by default)
is asked at most every ``JMA_POLL_SECONDS`` with a conditional request (If-None-Match /
If-Modified-Since), so an unchanged feed is a 304. After a gap longer than the short feed covers
(``JMA_LONG_FEED_AFTER_SECONDS``: a stopped worker, a first start) the long version (``*_l.xml``)
is read once to catch up. Only entries of the kinds the city follows are fetched, each once
(``SeenEntry``), oldest first so that an issue is read before its lifting; an entry's link must be on
the feed's own host or one of ``JMA_ALLOWED_HOSTS`` (a feed cannot send us anywhere else).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import jma, services
from .models import AreaCode, FeedState, SeenEntry

logger = logging.getLogger(__name__)

SEEN_KEEP = timedelta(days=7)  # the long feeds reach back a few days; seen entries outlive them


class FetchError(Exception):
    pass


@dataclass
class PollResult:
    feeds: list[dict] = field(default_factory=list)
    result: services.IngestResult = field(default_factory=services.IngestResult)


def long_url(url: str) -> str:
    """``extra.xml`` → ``extra_l.xml`` (JMA's long feed beside each short one)."""
    return url[: -len(".xml")] + "_l.xml" if url.endswith(".xml") and not url.endswith("_l.xml") else url


def fetch(url: str, *, state: FeedState | None = None, max_bytes: int = jma.MAX_BYTES) -> bytes | None:
    """The body at ``url`` (None for 304 Not Modified); ``state`` carries the conditional headers."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        # Operators (and tests) may point a feed at a directory of files: read as JMA would serve it.
        return Path(url2pathname(parts.path)).read_bytes()[: max_bytes + 1]
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL: {url}")
    headers = {"User-Agent": settings.JMA_USER_AGENT, "Accept-Encoding": "gzip"}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        with requests.get(url, headers=headers, timeout=settings.JMA_TIMEOUT, stream=True) as response:
            if response.status_code == 304:
                return None
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} for {url}")
            body = b""
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{url} is larger than {max_bytes} bytes")
            if state is not None:
                state.etag = response.headers.get("ETag", "")[:200]
                state.last_modified = response.headers.get("Last-Modified", "")[:100]
            return body
    except requests.RequestException as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc


def _allowed(link: str, feed_url: str) -> bool:
    link_parts, feed_parts = urlsplit(link), urlsplit(feed_url)
    if (link_parts.scheme, link_parts.netloc) == (feed_parts.scheme, feed_parts.netloc):
        return True
    return link_parts.scheme == "https" and link_parts.hostname in settings.JMA_ALLOWED_HOSTS


def poll(*, now: datetime | None = None, force: bool = False) -> PollResult:
    """One round over the configured feeds; due feeds only unless ``force``."""
    now = now or timezone.now()
    outcome = PollResult()
    if not AreaCode.objects.exists():
        return outcome  # no area set: nothing could concern the city, nothing is fetched
    for url in settings.JMA_FEEDS:
        outcome.feeds.append(_poll_feed(url, now=now, force=force, into=outcome.result))
    SeenEntry.objects.filter(seen_at__lt=now - SEEN_KEEP).delete()
    return outcome


def _poll_feed(url: str, *, now: datetime, force: bool, into: services.IngestResult) -> dict:
    short, _created = FeedState.objects.get_or_create(url=url)
    interval = timedelta(seconds=settings.JMA_POLL_SECONDS)
    if not force and short.polled_at is not None and now - short.polled_at < interval:
        return {"url": url, "status": "not_due"}
    gap = timedelta(seconds=settings.JMA_LONG_FEED_AFTER_SECONDS)
    catch_up = short.ok_at is None or now - short.ok_at > gap
    target = long_url(url) if catch_up else url
    state = short if target == url else FeedState.objects.get_or_create(url=target)[0]
    short.polled_at = now
    try:
        body = fetch(target, state=state)
        entries = [] if body is None else jma.parse_feed(body)
    except (FetchError, OSError, jma.ReportError) as exc:
        short.error = str(exc)[:1000]
        short.save(update_fields=["polled_at", "error"])
        logger.warning("JMA feed %s: %s", target, exc)
        return {"url": target, "status": "error", "error": short.error}
    fetched = 0
    for entry in reversed(entries):  # feeds list the newest first
        if not jma.kind_of_title(entry.title) or not entry.link:
            continue
        if SeenEntry.objects.filter(entry_id=entry.entry_id).exists():
            continue
        if not _allowed(entry.link, target):
            logger.warning("JMA feed %s: entry link %s refused", target, entry.link)
            continue
        try:
            data = fetch(entry.link)
        except (FetchError, OSError) as exc:
            # Not marked seen: the next poll tries again (the long feed still lists it).
            logger.warning("JMA report %s: %s", entry.link, exc)
            continue
        try:
            with transaction.atomic():
                SeenEntry.objects.create(entry_id=entry.entry_id[:500])
        except IntegrityError:
            continue  # another worker took it meanwhile
        into.extend(services.report_ingest(data=data or b"", source=entry.link))
        fetched += 1
    short.error, short.ok_at = "", now
    short.save(update_fields=["polled_at", "error", "ok_at"])
    if state is not short:
        state.polled_at, state.ok_at, state.error = now, now, ""
        state.save()
    else:
        short.save(update_fields=["etag", "last_modified"])
    return {"url": target, "status": "not_modified" if body is None else "ok", "fetched": fetched}
