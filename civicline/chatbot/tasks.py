"""Worker jobs of the chatbot: reading the city's FAQ pages, which must never hold up a web request."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import services


@db_task()
def web_sync_task(sync_id: int) -> None:
    services.web_sync_run(sync_id=sync_id)
