"""A stand-in bot: a loopback HTTP server that records the webhooks the emulator sends it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.conf import settings


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200

    @property
    def last(self) -> Received:
        return self.requests[-1]


@pytest.fixture
def receiver(linesim) -> Iterator[WebhookReceiver]:
    """A bot's webhook endpoint; the emulator is pointed at it."""
    state = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/line/webhook"
    linesim.use_webhook(state.url)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class LineApi:
    """Raw calls to the emulator's LINE endpoints with the channel access token, for exact error bodies."""

    base_url: str

    def __call__(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        data: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}", **(headers or {})}
        return requests.request(
            method, f"{self.base_url}{path}", json=body, data=data, headers=headers, timeout=10
        )


@pytest.fixture
def line_api(linesim) -> LineApi:
    return LineApi(linesim.base_url)
