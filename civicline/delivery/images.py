"""Pictures staff attach to a delivery: checked, resized and re-encoded by Pillow for LINE (SD-12).

LINE fetches images from our server by HTTPS: the original (JPEG/PNG, at most 10 MB) for image
messages, and a preview (at most 1 MB) for the talk list, button thumbnails and card heroes. Both
are written as JPEG under random names and served by ``liff.views.image``; re-encoding drops EXIF
(a phone's GPS position), trailing data and anything else the upload carried.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refused before decoding: a decompression bomb never reaches memory
ORIGINAL_EDGE = 2048
PREVIEW_EDGE = 1024  # LINE's limit for button thumbnails and Flex images
PREVIEW_MAX_BYTES = 1024 * 1024
ORIGINAL_MAX_BYTES = 10 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
FOLDER = "delivery/images"
FILENAME = re.compile(r"^[A-Za-z0-9_-]{20,40}(?:_p)?\.jpg$")


@dataclass(frozen=True)
class StoredImage:
    name: str
    preview_name: str
    width: int
    height: int


def _jpeg(image: Image.Image, *, edge: int, max_bytes: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    for quality in (88, 80, 70, 60, 50):
        buffer = BytesIO()
        copy.save(buffer, format="JPEG", quality=quality, optimize=True)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    raise ValidationError(_("画像を LINE の容量制限内に収められませんでした。別の画像を選んでください。"))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB on white: a transparent PNG would turn black as a JPEG."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def image_store(upload: UploadedFile) -> StoredImage:
    """Check an uploaded picture and store its LINE-sized original and preview; ValidationError if unfit."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("画像は10MBまでです。"))
    try:
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("画像はJPEGまたはPNGのファイルを選んでください。"))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("画像の画素数が大きすぎます。"))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            image = _flattened(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("画像を読み込めませんでした。JPEGまたはPNGのファイルを選んでください。")
        ) from exc
    original = _jpeg(image, edge=ORIGINAL_EDGE, max_bytes=ORIGINAL_MAX_BYTES)
    preview = _jpeg(image, edge=PREVIEW_EDGE, max_bytes=PREVIEW_MAX_BYTES)
    width, height = Image.open(BytesIO(original)).size
    token = secrets.token_urlsafe(18)
    name = default_storage.save(f"{FOLDER}/{token}.jpg", ContentFile(original))
    preview_name = default_storage.save(f"{FOLDER}/{token}_p.jpg", ContentFile(preview))
    return StoredImage(name=name, preview_name=preview_name, width=width, height=height)


def image_delete(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def public_url(name: str) -> str:
    """The address LINE (and email readers) fetch the stored file from."""
    filename = name.rsplit("/", 1)[-1]
    return settings.SITE_URL + reverse("delivery_liff:image", args=[filename])
