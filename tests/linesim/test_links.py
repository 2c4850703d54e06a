"""A tapped link, as the LINE app opens it: through redirects into a LIFF app, else in the browser."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from civicline.linesim.client import EmulatorError
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db

ENDPOINT = "https://city.example.jp/liff/"


class Redirects:
    """A loopback site: /go/<n> redirects to where ``routes[n]`` says, and counts the requests."""

    def __init__(self) -> None:
        self.routes: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.url = ""


@pytest.fixture
def site() -> Iterator[Redirects]:
    state = Redirects()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            target = state.routes.get(self.path)
            self.send_response(302 if target else 200)
            if target:
                self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def resident(linesim) -> dict:
    linesim.client.ensure_liff_app(settings.LIFF_ID, ENDPOINT, "full")
    return linesim.client.create_user("豊中 はなこ", follow=True)


def test_a_counted_link_that_redirects_to_a_liff_url_opens_the_liff_app_signed_in(linesim, site, resident):
    site.routes["/l/abc"] = f"https://liff.line.me/{settings.LIFF_ID}/surveys/7/?preview=1"

    opened = linesim.client.open_link(resident["userId"], f"{site.url}/l/abc")

    page, fragment = opened["liff"]["url"].split("#", 1)
    assert page == "https://city.example.jp/liff/surveys/7/?preview=1"
    assert fragment.startswith("linesim=")  # the resident's LIFF context and ID token
    assert opened["liff"]["liffId"] == settings.LIFF_ID
    assert site.hits == {"/l/abc": 1}  # the tap is counted once


def test_redirects_are_followed_hop_by_hop_relative_locations_too(linesim, site, resident):
    site.routes["/a"] = "/b"
    site.routes["/b"] = f"https://liff.line.me/{settings.LIFF_ID}/reports/"

    opened = linesim.client.open_link(resident["userId"], f"{site.url}/a")

    assert opened["liff"]["url"].startswith("https://city.example.jp/liff/reports/#")


def test_a_direct_liff_url_opens_without_any_request(linesim, site, resident):
    opened = linesim.client.open_link(resident["userId"], f"https://liff.line.me/{settings.LIFF_ID}/faq")

    assert opened["liff"]["url"].startswith("https://city.example.jp/liff/faq#")
    assert site.hits == {}


def test_a_page_that_is_not_liff_opens_in_the_browser_where_the_redirects_ended(linesim, site, resident):
    site.routes["/l/xyz"] = f"{site.url}/news"

    opened = linesim.client.open_link(resident["userId"], f"{site.url}/l/xyz")

    # The browser opens the end of the chain, so the counted redirect is not counted a second time.
    assert opened == {"url": f"{site.url}/news", "notice": ""}
    assert site.hits == {"/l/xyz": 1, "/news": 1}


def test_hosts_other_than_this_machine_and_the_liff_apps_are_not_requested(linesim, resident):
    opened = linesim.client.open_link(resident["userId"], "https://www.example.com/somewhere")

    assert opened == {"url": "https://www.example.com/somewhere", "notice": ""}


def test_another_accounts_add_friend_link_is_described_not_opened(linesim, resident):
    opened = linesim.client.open_link(resident["userId"], "https://line.me/R/ti/p/@midori-vaccine")

    assert "@midori-vaccine" in opened["notice"] and "友だち追加" in opened["notice"]


def test_an_unknown_user_or_a_missing_url_is_refused(linesim, resident):
    with pytest.raises(EmulatorError) as unknown:
        linesim.client.open_link("U" + "0" * 32, "https://example.com/")
    with pytest.raises(EmulatorError) as missing:
        linesim.client.open_link(resident["userId"], "")

    assert unknown.value.status_code == 404 and missing.value.status_code == 400
