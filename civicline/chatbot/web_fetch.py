"""Fetching the city's FAQ pages for the Q&A import (CB-9), politely and defensively.

Runs in the worker (or a management command), never in a web request. Every request names
itself (``USER_AGENT``), honours robots.txt (``urllib.robotparser``, RFC 9309's reading of
unreachable files), waits between requests to the same host, gives up after ``TIMEOUT``, reads
at most ``MAX_PAGE_BYTES`` and follows redirects itself so that each hop is checked again. Staff
type the URLs, so by default nothing on the server's own networks is fetched (a request forgery
through the importer would otherwise reach internal services); ``CHATBOT_WEB_IMPORT =
{"allow_private": True}`` lifts that for a city site on an internal address (and for tests).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "civicline-faq-import/1.0 (FAQ import reviewed by city staff; honours robots.txt)"
TIMEOUT = (5, 20)  # connect, read (seconds)
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_ROBOTS_BYTES = 512 * 1024
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 10.0
MAX_SITEMAP_URLS = 2000
MAX_CHILD_SITEMAPS = 20
HTML_TYPES = {"text/html", "application/xhtml+xml"}
SITEMAP_TYPES = {"application/xml", "text/xml", "application/rss+xml", "text/plain"}
CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


class FetchError(Exception):
    """A page that could not be read, with the reason in staff's words."""


class PageGone(FetchError):
    """404 / 410: the page was taken down, so its Q&A are gone from the site."""


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    content: bytes
    content_type: str
    encoding: str | None  # only when the server declared one


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) address, else ``FetchError``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(_("http:// または https:// で始まるURLを指定してください: %(url)s") % {"url": url})
    return parts.geturl()


def _conf(name: str, default: Any) -> Any:
    return settings.CHATBOT_WEB_IMPORT.get(name, default)


class Fetcher:
    def __init__(self, *, session: requests.Session | None = None) -> None:
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.delay = float(_conf("delay", 1.0))
        self._robots: dict[str, RobotFileParser] = {}
        self._last_request: dict[str, float] = {}

    def page(self, url: str) -> Page:
        return self._get(url, HTML_TYPES, _("HTMLのページではありません（%(type)s）。"))

    def sitemap_urls(self, url: str) -> list[str]:
        """Page URLs listed by a sitemap (urlset, sitemap index one level deep, or plain text)."""
        sitemap = self._get(url, SITEMAP_TYPES, _("サイトマップ（XML）ではありません（%(type)s）。"))
        if sitemap.content_type == "text/plain":
            text = sitemap.content.decode(sitemap.encoding or "utf-8", errors="replace")
            return [line.strip() for line in text.splitlines() if line.strip()][:MAX_SITEMAP_URLS]
        # html.parser reads XML well enough for <loc> and never expands entities (no XXE, no bombs).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(sitemap.content, "html.parser", from_encoding=sitemap.encoding)
        locs = [loc.get_text(strip=True) for loc in soup.find_all("loc")]
        if soup.find("sitemapindex") is None:
            return locs[:MAX_SITEMAP_URLS]
        urls: list[str] = []
        for child in locs[:MAX_CHILD_SITEMAPS]:
            urls += [u for u in self.sitemap_urls(child) if u not in urls]
        return urls[:MAX_SITEMAP_URLS]

    def _get(self, url: str, types: set[str], wrong_type: str) -> Page:
        for _hop in range(MAX_REDIRECTS + 1):
            url = check_url(url)
            self._check_host(url)
            if not self._robots_for(url).can_fetch(USER_AGENT, url):
                raise FetchError(_("robots.txt で取得が禁止されています。"))
            self._wait(url)
            try:
                with self.session.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False) as response:
                    if not response.is_redirect:
                        return _page(url, response, types, wrong_type)
                    url = urljoin(url, response.headers["location"])
            except requests.RequestException as exc:
                raise FetchError(_("接続できません: %(error)s") % {"error": type(exc).__name__}) from exc
        raise FetchError(_("リダイレクトが多すぎます。"))

    def _check_host(self, url: str) -> None:
        if _conf("allow_private", False):
            return
        parts = urlsplit(url)
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise FetchError(_("ホスト名が見つかりません: %(host)s") % {"host": parts.hostname}) from None
        if any(not ipaddress.ip_address(info[4][0]).is_global for info in infos):
            raise FetchError(
                _("内部ネットワークのアドレスには接続しません: %(host)s") % {"host": parts.hostname}
            )

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots:
            return self._robots[origin]
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            self._wait(url)
            with self.session.get(parser.url, timeout=TIMEOUT, stream=True) as response:
                status = response.status_code
                text = _read_limited(response, MAX_ROBOTS_BYTES).decode("utf-8", errors="replace")
        except (requests.RequestException, FetchError):
            status, text = 503, ""
        # RFC 9309: no robots.txt (4xx) allows all; an unreachable one (5xx, network) forbids all.
        if status in (401, 403) or status >= 500:
            parser.disallow_all = True
        elif status >= 400:
            parser.allow_all = True
        else:
            parser.parse(text.splitlines())
        self._robots[origin] = parser
        return parser

    def _wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        parser = self._robots.get(f"{urlsplit(url).scheme}://{host}")
        crawl_delay = (parser.crawl_delay(USER_AGENT) if parser else None) or 0
        delay = max(self.delay, min(float(crawl_delay), MAX_CRAWL_DELAY))
        wait = self._last_request.get(host, 0) + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request[host] = time.monotonic()


def _page(url: str, response: requests.Response, types: set[str], wrong_type: str) -> Page:
    code = response.status_code
    if code in (404, 410):
        raise PageGone(_("ページがありません（HTTP %(code)d）。") % {"code": code})
    if code >= 400:
        raise FetchError(_("取得できません（HTTP %(code)d）。") % {"code": code})
    header = response.headers.get("content-type", "")
    content_type = header.split(";")[0].strip().lower()
    if content_type not in types:
        raise FetchError(wrong_type % {"type": content_type or "?"})
    charset = CHARSET.search(header)
    return Page(
        url, _read_limited(response, MAX_PAGE_BYTES), content_type, charset.group(1) if charset else None
    )


def _read_limited(response: requests.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> FetchError:
    return FetchError(_("ページが大きすぎます（上限 %(kb)d KB）。") % {"kb": limit // 1024})
