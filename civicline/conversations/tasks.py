"""Worker jobs of conversations: copying a resident's image out of LINE when the first try failed."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import services
from .models import Message


@db_task(retries=5, retry_delay=300)
def message_image_fetch_task(message_id: int) -> None:
    message = Message.objects.select_related("conversation__friend").filter(pk=message_id).first()
    if message is not None:
        services.message_image_fetch(message=message)
