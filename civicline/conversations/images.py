"""An image of a conversation as an HTTP response: never cached, never sniffed into something else."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse

from .models import Message

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def image_response(message: Message) -> FileResponse:
    if message.content is not None:
        name, content_type = message.content.file.name, message.content.content_type
    else:
        name, content_type = message.photo.name, "image/jpeg"  # re-encoded as JPEG when uploaded
    if content_type not in IMAGE_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    if content_type == "application/octet-stream":
        response["Content-Disposition"] = "attachment"
    return response
