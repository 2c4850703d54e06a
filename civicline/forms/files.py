"""Photos answered to a form's photo questions: checked and re-encoded by the shared image helper."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from civicline.core.images import image_store


def photo_store(upload: UploadedFile) -> dict[str, Any]:
    """Store one uploaded photo; the answer value. Raises ValidationError (Japanese) if refused.

    The position in the photo's EXIF is not kept: a form asks for a place with its own question.
    """
    stored = image_store(upload, folder=timezone.localdate().strftime("forms/photos/%Y/%m"))
    return {"name": stored.name, "width": stored.width, "height": stored.height}
