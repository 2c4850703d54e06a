"""Serving the emulator: its own WSGI app, a threaded waitress server for tests, and the loopback SMTP box."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import waitress
from asgiref.sync import sync_to_async
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from waitress import wasyncore

from . import ratelimits
from .ratelimits import RateLimiter

URLCONF = "civicline.linesim.urls"


class EmulatorWSGIHandler(WSGIHandler):
    """A Django handler that serves only the emulator's URLconf, whatever ROOT_URLCONF says.

    It carries the emulator's rate limiter: LINE counts requests per channel, whatever server
    answers them, so every thread and process of one emulator shares it (``ratelimits``).
    """

    def __init__(self, *args: Any, limiter: RateLimiter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = limiter or ratelimits.limiter()

    def load_middleware(self, is_async: bool = False) -> None:
        # civicline's middleware (console allowlist, sessions, lockout, SSL redirect) belongs to the
        # city's server, not to LINE's; the emulator answers with none of it.
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def get_response(self, request: HttpRequest) -> HttpResponse:
        request.urlconf = URLCONF
        request.linesim_limiter = self.limiter
        return super().get_response(request)


def get_wsgi_application() -> EmulatorWSGIHandler:
    """The emulator as a WSGI app, for serving it with another WSGI server."""
    import django

    django.setup(set_prefix=False)
    return EmulatorWSGIHandler()


@dataclass
class EmulatorServer:
    """A waitress server running the emulator in a background thread."""

    host: str
    port: int
    _server: Any = field(repr=False)
    _map: dict = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    handler: EmulatorWSGIHandler | None = field(default=None, repr=False)  # its rate limiter, for tests

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.task_dispatcher.shutdown(timeout=5)
        # Sockets must be closed by the loop's own thread (closing them under its select() fails);
        # the loop returns once its socket map is empty.
        try:
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
        except OSError:
            # The loop has already ended and closed its trigger: nothing runs under select() any more,
            # so what is left in the map can be closed from here.
            wasyncore.close_all(self._map)
        self._thread.join(timeout=5)


def start_server(host: str = "127.0.0.1", port: int = 0, *, threads: int = 8) -> EmulatorServer:
    """Start serving on ``host:port`` (0: a free port) in a daemon thread; ``stop()`` ends it."""
    socket_map: dict = {}
    # Several threads, because a webhook the emulator sends may make the bot call the emulator back.
    handler = EmulatorWSGIHandler()
    server = waitress.create_server(
        handler, map=socket_map, host=host, port=port, threads=threads, ident="linesim"
    )
    thread = threading.Thread(target=server.run, name=f"linesim:{server.effective_port}", daemon=True)
    thread.start()
    return EmulatorServer(host, int(server.effective_port), server, socket_map, thread, handler)


def _store_mail(mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
    from .models import Mail

    close_old_connections()
    message = email.message_from_bytes(content, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    Mail.objects.create(
        mail_from=mail_from,
        to=list(rcpt_tos),
        subject=str(message.get("subject", "")),
        body=part.get_content().replace("\r\n", "\n") if part is not None else "",
        raw=content.decode("utf-8", errors="replace"),
    )
    close_old_connections()


class MailboxHandler:
    """aiosmtpd handler: every mail accepted is kept as a Mail row."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        await sync_to_async(_store_mail)(envelope.mail_from, envelope.rcpt_tos, content)
        return "250 Message accepted for delivery"


def start_smtp(host: str = "127.0.0.1", port: int = 8025) -> Any:
    """Start the loopback SMTP mailbox; returns the aiosmtpd Controller (call ``.stop()``)."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every SMTP command at INFO; a mailbox for tests and demos needs none of it.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MailboxHandler(), hostname=host, port=port)
    controller.start()
    return controller
