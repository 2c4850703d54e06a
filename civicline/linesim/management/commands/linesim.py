"""``manage.py linesim --port N [--smtp-port M] [--processes P] [--threads T]``: run the LINE emulator.

One process serves everything by default. ``--processes P`` forks P worker processes that accept on
one listening socket, so the emulator uses several cores the way LINE's many servers do; they share
one rate limiter in shared memory (LINE counts requests per channel, whichever server answers) and
one database. A worker's threads mostly wait out ``LINESIM_LATENCY_MS``, so a worker needs as many
threads as requests it should hold at once: 2 processes × 64 threads take 128 requests in flight.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import waitress
from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.db import connections

from civicline.linesim import ratelimits
from civicline.linesim.routers import EMULATOR_DB
from civicline.linesim.server import EmulatorWSGIHandler, start_smtp

# Waitress closes connections beyond 100 by default; a sender keeping a pool of connections per
# worker thread, and several workers, need more than that.
CONNECTION_LIMIT = 1000
BACKLOG = 2048


class Command(BaseCommand):
    help = "Serve the LINE emulator (Messaging API, webhooks, /sim/api/) and optionally its SMTP mailbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100, help="0: any free port (printed)")
        parser.add_argument("--smtp-port", type=int, default=None, help="also run an SMTP mailbox here")
        parser.add_argument("--threads", type=int, default=8, help="threads per process")
        parser.add_argument("--processes", type=int, default=1, help="worker processes (forked)")

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        smtp_port: int | None,
        threads: int,
        processes: int,
        **options: Any,
    ) -> None:
        # migrate is a no-op when the emulator's database is current, so it is always safe to run here.
        call_command("migrate", database=EMULATOR_DB, interactive=False, verbosity=0)
        listener = socket.create_server((host, port), backlog=BACKLOG)
        port = listener.getsockname()[1]
        self.stdout.write(f"linesim: Messaging API and /sim/api/ on http://{host}:{port}")
        self.stdout.write(f"linesim: webhooks go to {settings.LINESIM_WEBHOOK_URL}")
        if processes <= 1:
            self.stdout.flush()
            with self._smtp(smtp_port):
                self._serve(listener, EmulatorWSGIHandler(), threads)
            return
        self.stdout.write(f"linesim: {processes} processes × {threads} threads")
        self.stdout.flush()
        self._serve_forked(listener, processes, threads, smtp_port)

    @contextmanager
    def _smtp(self, smtp_port: int | None) -> Iterator[None]:
        smtp = start_smtp("127.0.0.1", smtp_port) if smtp_port else None
        if smtp:
            self.stdout.write(f"linesim: SMTP mailbox on 127.0.0.1:{smtp_port}")
        try:
            yield
        finally:
            if smtp:
                smtp.stop()

    @staticmethod
    def _serve(listener: socket.socket, handler: EmulatorWSGIHandler, threads: int) -> None:
        waitress.serve(
            handler,
            sockets=[listener],
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            backlog=BACKLOG,
            asyncore_use_poll=True,  # select() fails beyond 1,024 open sockets
            ident="linesim",
        )

    def _serve_forked(
        self, listener: socket.socket, processes: int, threads: int, smtp_port: int | None
    ) -> None:
        # Made before forking, so that every worker counts against the same budget.
        limiter = ratelimits.limiter(shared=True)
        # A connection opened here must not be shared by the children.
        connections.close_all()
        children = []
        for _ in range(processes):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    self._serve(listener, EmulatorWSGIHandler(limiter=limiter), threads)
                finally:
                    os._exit(0)
            children.append(pid)

        def stop(signum: int, frame: Any) -> None:
            for child in children:
                with suppress(ProcessLookupError):
                    os.kill(child, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # The mailbox's thread starts after the fork: a forked child must not inherit half a thread.
        with self._smtp(smtp_port):
            for child in children:
                with suppress(ChildProcessError):
                    os.waitpid(child, 0)
        sys.stdout.flush()
