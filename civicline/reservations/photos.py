"""Photos residents attach to a booking (RS-14): checked and re-encoded by Pillow before storing.

Re-encoding drops whatever else the file carried (EXIF with the phone's GPS position, scripts in
an SVG renamed .jpg, trailing data), and bounds the stored size whatever was uploaded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 3
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
STORED_EDGE = 2048
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}


@dataclass(frozen=True)
class StoredPhoto:
    name: str  # in default_storage
    width: int
    height: int


def photo_store(upload: UploadedFile) -> StoredPhoto:
    """Check one uploaded photo, store it as a JPEG and return where; ValidationError if it is not one."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("写真は1枚%(mb)sMBまでです。"), params={"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    try:
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("写真はJPEGまたはPNGの画像を選んでください。"))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("写真の画素数が大きすぎます。"))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((STORED_EDGE, STORED_EDGE))
            buffer = BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("写真を読み込めませんでした。別の画像を選んでください。")) from exc
    folder = timezone.localdate().strftime("reservations/photos/%Y/%m")
    name = default_storage.save(f"{folder}/{secrets.token_urlsafe(16)}.jpg", ContentFile(buffer.getvalue()))
    return StoredPhoto(name=name, width=width, height=height)
