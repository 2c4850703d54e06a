"""Photos residents upload or send: checked, re-encoded by Pillow and stored through Django's storage.

Re-encoding drops whatever else the file carried (EXIF with the phone's GPS position, scripts in
an SVG renamed .jpg, trailing data), and bounds the stored size whatever was uploaded. The GPS
position is read before it is dropped and handed back to the caller, which keeps it only where
the resident agreed to use it. HEIC (iPhone) is decoded by pi-heif, the decode-only build of
pillow-heif (its bundled libheif/libde265 are LGPL; pillow-heif's wheels also carry GPL x265).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils.translation import gettext as _
from pi_heif import register_heif_opener
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

register_heif_opener()

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
STORED_EDGE = 2048
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}  # MPO: JPEGs from some phone cameras
# What an <input type=file accept=…> offers residents.
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


@dataclass(frozen=True)
class StoredImage:
    name: str  # in the storage
    width: int
    height: int
    thumbnail: str = ""  # in the storage, when asked for
    # (latitude, longitude) from the file's EXIF, read before it was stripped; the caller decides.
    location: tuple[float, float] | None = None


def image_store(
    upload: File,
    *,
    folder: str,
    max_bytes: int = MAX_UPLOAD_BYTES,
    edge: int = STORED_EDGE,
    thumbnail_edge: int | None = None,
    storage: Storage = default_storage,
) -> StoredImage:
    """Check one photo, store it as a JPEG (and a thumbnail) under ``folder``; ValidationError if refused.

    The error messages are Japanese sentences for the resident; nothing is stored when one is raised.
    """
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("写真は1枚%(mb)sMBまでです。"), code="too_large", params={"mb": max_bytes // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    _("この形式の画像は受け付けていません。JPEG・PNG・HEICの写真を選んでください。"),
                    code="format",
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            location = _gps_location(opened)
            image = ImageOps.exif_transpose(opened).convert("RGB")
            image.thumbnail((edge, edge))
            width, height = image.size
            full = _jpeg(image, quality=85)
            small = None
            if thumbnail_edge:
                image.thumbnail((thumbnail_edge, thumbnail_edge))
                small = _jpeg(image, quality=80)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("写真を読み込めませんでした。別の画像を選んでください。"), code="unreadable"
        ) from exc
    stem = f"{folder.rstrip('/')}/{secrets.token_urlsafe(16)}"
    name = storage.save(f"{stem}.jpg", ContentFile(full))
    thumbnail = storage.save(f"{stem}-thumb.jpg", ContentFile(small)) if small is not None else ""
    return StoredImage(name=name, width=width, height=height, thumbnail=thumbnail, location=location)


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("写真の画素数が大きすぎます（%(mp)s万画素まで）。"),
        code="too_many_pixels",
        params={"mp": MAX_PIXELS // 10_000},
    )


def _jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _gps_location(image: Image.Image) -> tuple[float, float] | None:
    """The position EXIF says the photo was taken at, or None (missing, partial or out of range)."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef))
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, SyntaxError, OSError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude, longitude) == (0, 0):
        return None
    return round(latitude, 6), round(longitude, 6)


def _degrees(value: tuple, ref: str | bytes | None) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode(errors="ignore")
    return -result if (ref or "").strip().upper() in {"S", "W"} else result
