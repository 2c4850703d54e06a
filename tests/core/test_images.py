"""The shared photo check (civicline.core.images): what is accepted, what is refused and how."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicline.core.images import MAX_PIXELS, image_store
from tests.reports.factories import HEIC_SAMPLE, image_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def store(data: bytes, name: str = "photo.jpg", **kwargs):
    return image_store(SimpleUploadedFile(name, data), folder="test", **kwargs)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("JPEG", lambda: image_bytes("JPEG")),
        ("PNG", lambda: image_bytes("PNG")),
        ("HEIC", lambda: HEIC_SAMPLE),
    ],
)
def test_jpeg_png_and_heic_are_stored_as_jpeg(media, fmt, data):
    stored = store(data(), thumbnail_edge=32)

    with Image.open(media / stored.name) as image:
        assert image.format == "JPEG" and image.size == (64, 48) == (stored.width, stored.height)
    with Image.open(media / stored.thumbnail) as thumb:
        assert max(thumb.size) == 32


def test_exif_is_stripped_and_the_gps_position_handed_back(media):
    stored = store(image_bytes(gps=(34.7812, -135.4699)))

    assert stored.location == (34.7812, -135.4699)
    with Image.open(media / stored.name) as image:
        assert not image.getexif() and "exif" not in image.info


def test_large_photos_are_scaled_down(media):
    stored = store(image_bytes(size=(3000, 1500)), edge=1000)

    assert (stored.width, stored.height) == (1000, 500)


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"<svg onload=alert(1)>", "unreadable", "読み込めません"),
        (image_bytes("GIF"), "format", "JPEG・PNG・HEIC"),
        (image_bytes("BMP"), "format", "JPEG・PNG・HEIC"),
        (image_bytes("JPEG")[:200], "unreadable", "読み込めません"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unreadable", "読み込めません"),
    ],
    ids=["svg-named-jpg", "gif", "bmp", "truncated-jpeg", "garbled-png"],
)
def test_bad_images_are_refused_clearly_and_nothing_is_stored(media, data, code, message):
    with pytest.raises(ValidationError) as caught:
        store(data)

    assert caught.value.code == code and message in caught.value.messages[0]
    assert not list(media.rglob("*.jpg"))


def test_a_decompression_bomb_is_refused_before_it_is_decoded(media):
    side = int(MAX_PIXELS**0.5) + 100
    buffer = BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")  # a few KB, 40 million pixels once decoded
    assert len(buffer.getvalue()) < 200_000

    with pytest.raises(ValidationError) as caught:
        store(buffer.getvalue(), "bomb.png")

    assert caught.value.code == "too_many_pixels" and "画素数が大きすぎます" in caught.value.messages[0]


def test_a_huge_file_is_refused_by_its_size(media):
    with pytest.raises(ValidationError) as caught:
        store(image_bytes(), max_bytes=100)

    assert caught.value.code == "too_large" and "MBまで" in caught.value.messages[0]
