"""``manage.py linesim --port N [--smtp-port M]``: run the LINE emulator (and its mailbox)."""

from __future__ import annotations

from typing import Any

import waitress
from django.conf import settings
from django.core.management import BaseCommand, call_command

from civicline.linesim.routers import EMULATOR_DB
from civicline.linesim.server import EmulatorWSGIHandler, start_smtp


class Command(BaseCommand):
    help = "Serve the LINE emulator (Messaging API, webhooks, /sim/api/) and optionally its SMTP mailbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--smtp-port", type=int, default=None, help="also run an SMTP mailbox here")
        parser.add_argument("--threads", type=int, default=8)

    def handle(
        self, *args: Any, host: str, port: int, smtp_port: int | None, threads: int, **options: Any
    ) -> None:
        # migrate is a no-op when the emulator's database is current, so it is always safe to run here.
        call_command("migrate", database=EMULATOR_DB, interactive=False, verbosity=0)
        smtp = start_smtp("127.0.0.1", smtp_port) if smtp_port else None
        self.stdout.write(f"linesim: Messaging API and /sim/api/ on http://{host}:{port}")
        self.stdout.write(f"linesim: webhooks go to {settings.LINESIM_WEBHOOK_URL}")
        if smtp:
            self.stdout.write(f"linesim: SMTP mailbox on 127.0.0.1:{smtp_port}")
        try:
            waitress.serve(EmulatorWSGIHandler(), host=host, port=port, threads=threads, ident="linesim")
        finally:
            if smtp:
                smtp.stop()
