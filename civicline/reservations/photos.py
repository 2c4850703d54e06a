"""Photos residents attach to a booking (RS-14): checked and re-encoded by ``civicline.core.images``."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from civicline.core.images import image_store

MAX_PHOTOS = 3
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    name: str  # in default_storage
    width: int
    height: int


def photo_store(upload: UploadedFile) -> StoredPhoto:
    """Check one uploaded photo, store it as a JPEG and return where; ValidationError if it is not one."""
    # The photo's GPS position is not kept: a booking has its own location field.
    stored = image_store(
        upload, folder=timezone.localdate().strftime("reservations/photos/%Y/%m"), max_bytes=MAX_UPLOAD_BYTES
    )
    return StoredPhoto(name=stored.name, width=stored.width, height=stored.height)
