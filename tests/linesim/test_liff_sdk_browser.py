"""The emulator's LIFF SDK stand-in (sim/liff-sdk.js) in headless Chromium, on a page of another origin.

The page is served by a bare loopback server, not by civicline: this checks the shim's contract
(fragment, sessionStorage, parent postMessage, sendMessages) independently of any LIFF page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from tests.fixtures.linesim import linesim_db

pytestmark = [linesim_db, pytest.mark.browser]

PAGE = """<!doctype html><meta charset="utf-8"><title>LIFF</title>
<script src="%(sdk)s"></script>
<script>
window.result = liff.init({liffId: "%(liff_id)s"}).then(async () => ({
  loggedIn: liff.isLoggedIn(),
  token: liff.getIDToken(),
  profile: liff.isLoggedIn() ? await liff.getProfile() : null,
  context: liff.getContext(),
  os: liff.getOS(),
  inClient: liff.isInClient(),
  href: location.href,
}));
</script>"""

# A stand-in for the phone page answering the shim's context request from its frame.
PARENT = """<!doctype html><meta charset="utf-8">
<script>
window.liffClosed = false;
addEventListener("message", (event) => {
  if (event.data.type === "linesim:liff:context-request") {
    event.source.postMessage({type: "linesim:liff:context", context: %(context)s}, "*");
  }
  if (event.data.type === "linesim:liff:close") window.liffClosed = true;
});
</script>
<iframe src="%(page)s"></iframe>"""


@pytest.fixture
def site(linesim) -> Iterator[dict]:
    """A loopback site serving the LIFF page at /app/... and a parent page at /parent."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            body = (pages["parent"] if path == "/parent" else pages["app"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages["app"] = PAGE % {"sdk": f"{linesim.base_url}/sim/liff-sdk.js", "liff_id": settings.LIFF_ID}
    linesim.client.ensure_liff_app(settings.LIFF_ID, f"{base}/app", "tall")
    try:
        yield {"base": base, "pages": pages}
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_gets_the_user_and_token_from_the_fragment_and_keeps_them(linesim, site, new_page):
    user = linesim.client.create_user("豊中 はなこ", follow=True)
    opened = linesim.client.resolve_liff_url(
        f"https://liff.line.me/{settings.LIFF_ID}/form?x=1", user["userId"]
    )
    page = new_page(width=390, height=844)

    page.goto(opened["url"])
    first = page.evaluate("window.result")
    page.reload()
    after_reload = page.evaluate("window.result")

    assert first["loggedIn"] and first["inClient"] and first["os"] == "ios"
    assert first["profile"] == {"userId": user["userId"], "displayName": "豊中 はなこ"}
    assert first["context"]["type"] == "utou" and first["context"]["viewType"] == "tall"
    assert first["href"] == f"{site['base']}/app/form?x=1"  # the fragment is gone from the address bar
    verified = linesim.client.session.post(
        f"{linesim.base_url}/oauth2/v2.1/verify",
        data={"id_token": first["token"], "client_id": settings.LIFF_CHANNEL_ID},
        timeout=10,
    )
    assert verified.json()["sub"] == user["userId"]
    assert after_reload["token"] == first["token"]  # kept in sessionStorage across the page's navigations


def test_send_messages_reach_the_bot_as_the_users_text(linesim, site, new_page):
    user = linesim.client.create_user("庄内 たろう", follow=True)
    page = new_page()
    page.goto(
        linesim.client.resolve_liff_url(f"https://liff.line.me/{settings.LIFF_ID}", user["userId"])["url"]
    )
    page.evaluate("window.result")

    page.evaluate("liff.sendMessages([{type: 'text', text: '予約しました'}])")

    events = [w["event"] for w in linesim.client.webhooks(user["userId"]) if w["type"] == "message"]
    assert [e["message"]["text"] for e in events] == ["予約しました"]


def test_outside_the_phone_the_page_is_logged_out(linesim, site, new_page):
    page = new_page()
    page.goto(linesim.client.resolve_liff_url(f"https://liff.line.me/{settings.LIFF_ID}")["url"])

    result = page.evaluate("window.result")

    assert result["loggedIn"] is False and result["token"] is None and result["context"] is None
    assert result["inClient"] is False and result["os"] == "web"


def test_a_framed_page_can_get_its_context_from_the_parent(linesim, site, new_page):
    user = linesim.client.create_user("千里 けんた", follow=True)
    token = linesim.client.issue_id_token(settings.LIFF_ID, user["userId"])
    context = {"liffId": settings.LIFF_ID, "userId": user["userId"], "idToken": token, "viewType": "full"}
    site["pages"]["parent"] = PARENT % {"context": json.dumps(context), "page": f"{site['base']}/app"}
    page = new_page()

    page.goto(f"{site['base']}/parent")
    frame = page.frames[1]
    frame.wait_for_function("window.result !== undefined")
    result = frame.evaluate("window.result")
    frame.evaluate("liff.closeWindow()")

    assert result["token"] == token and result["profile"]["displayName"] == "千里 けんた"
    page.wait_for_function("window.liffClosed === true")
