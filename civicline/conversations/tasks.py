"""Worker jobs of conversations: copying a resident's image out of LINE when the first try failed,
and telling the department about a new conversation."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import notifications, services
from .models import Message


@db_task(retries=5, retry_delay=300)
def message_image_fetch_task(message_id: int) -> None:
    message = Message.objects.select_related("conversation__friend").filter(pk=message_id).first()
    if message is not None:
        services.message_image_fetch(message=message)


@db_task(retries=3, retry_delay=120)
def conversation_notify_department_task(conversation_id: int) -> None:
    notifications.department_email_send(conversation_id=conversation_id)
