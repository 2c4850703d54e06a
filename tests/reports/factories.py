"""Factories for photo reports' tests: categories, areas, reports, and photo files made on the fly."""

from __future__ import annotations

import base64
import time
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from civicline.line.liff.auth import SESSION_KEY
from civicline.reports import services
from civicline.reports.models import Area, Category, Report, RoutingRule
from tests.fixtures.core import DepartmentFactory
from tests.fixtures.line import FriendFactory

# A 64×48 HEIC (iPhone format), made with heif-enc (libheif-examples): no HEIC encoder is installed.
HEIC_SAMPLE = base64.b64decode(
    "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAa1tZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAEAAMAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHRAAEAAAAAAAAAGAACAAEAAAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADYaXBycAAAALZpcGNvAAAAdmh2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACpCAQEDcAAAAwCQAAADAAADAB6gIIEFlurkprm4EBAwIAAAAwAgAAADACEiAAEABkQBwXPAiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAQAAAADAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAACBtZGF0AAAAFCgBrxmA70mlvsPX7hb/P61pj5uA"
)

# A square around 豊中市役所 (lng, lat).
CITY_HALL_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[135.46, 34.77], [135.48, 34.77], [135.48, 34.79], [135.46, 34.79], [135.46, 34.77]]],
}


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"種類{n}")
    department = factory.SubFactory(DepartmentFactory)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"地域{n}")
    boundary = factory.LazyFunction(lambda: dict(CITY_HALL_SQUARE))


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"ルール{n}")
    department = factory.SubFactory(DepartmentFactory)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    receipt_number = factory.Sequence(lambda n: f"R-TEST-{n:04d}")
    friend = factory.SubFactory(FriendFactory)
    category = factory.SubFactory(CategoryFactory)
    department = factory.LazyAttribute(lambda r: r.category.department)
    message = "歩道に穴があいています"
    latitude = 34.7812
    longitude = 135.4699


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    gps: tuple[float, float] | None = None,
    colour: str = "#6a9",
) -> bytes:
    """An image file; ``gps`` (lat, lng) goes into EXIF as a phone camera writes it."""
    image = Image.new("RGB", size, colour)
    buffer = BytesIO()
    exif = Image.Exif()
    if gps is not None:
        lat, lng = gps
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lng >= 0 else "W", 4: _dms(lng)}
        exif[0x010F] = "TestCam"  # Make: another tag that must not survive
    image.save(buffer, format=fmt, **({"exif": exif} if gps is not None else {}))
    return buffer.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def upload(
    name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def resident_client(friend) -> Client:
    """A client with the resident's LIFF session open, as after /liff/session."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


def file_report(friend, category, **kwargs) -> Report:
    """A report as the form files it, with photos uploaded first."""
    photos = [
        services.report_photo_upload(friend=friend, upload=upload()) for _ in range(kwargs.pop("photos", 0))
    ]
    kwargs.setdefault("message", "歩道に穴があいています")
    kwargs.setdefault("location", services.Location(34.7812, 135.4699, "pin"))
    return services.report_submit(
        friend=friend, category=category, photo_ids=[p.pk for p in photos], **kwargs
    )
