"""Factories and file builders for the facilities tests (files are made here, not stored)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import factory

from civicline.facilities.models import Facility, FacilityCategory, FacilityDataset, Shelter
from tests.fixtures.core import DepartmentFactory

# The same real files the demo ships (civicline/facilities/demo_data/SOURCES.md).
DATA_DIR = Path(__file__).resolve().parents[2] / "civicline" / "facilities" / "demo_data"
TOYONAKA_SHELTERS = DATA_DIR / "toyonaka_272035_shitei_hinanjo.geojson"
TOYONAKA_SPACES = DATA_DIR / "toyonaka_272035_shitei_kinkyu_hinanbasho.geojson"
YAIZU_SPACES = DATA_DIR / "yaizu_222127_evacuation_space.csv"
YAIZU_FACILITIES = DATA_DIR / "yaizu_222127_facilities_smartmap.csv"

# 豊中市役所 and a few points around it (about 100 m per 0.0009° of latitude).
CITY_HALL = (34.7812, 135.4699)


def category(key: str) -> FacilityCategory:
    """One of the standard categories (a transactional test's flush removes what migrations made)."""
    FacilityCategory.ensure_standard()
    return FacilityCategory.objects.get(key=key)


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FacilityDataset

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"データセット{n}")
    kind = FacilityDataset.Kind.PUBLIC_FACILITIES
    category = factory.LazyFunction(lambda: category("city"))


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    department = factory.SubFactory(DepartmentFactory)
    category = factory.LazyFunction(lambda: category("city"))
    name = factory.Sequence(lambda n: f"施設{n}")
    address = "大阪府豊中市中桜塚3-1-1"
    latitude = CITY_HALL[0]
    longitude = CITY_HALL[1]


def shelter_at(
    name: str,
    metres_north: float,
    *,
    department=None,
    status: str = Shelter.Status.OPEN,
    kinds=(),
    key="shelter",
) -> Shelter:
    """A shelter ``metres_north`` of the city hall (negative: south)."""
    extra = {"department": department} if department is not None else {}
    facility = FacilityFactory(
        name=name, category=category(key), latitude=CITY_HALL[0] + metres_north / 111_195, **extra
    )
    return Shelter.objects.create(facility=facility, status=status, **{k: True for k in kinds})


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def yaizu_rows(path: Path = YAIZU_FACILITIES) -> tuple[list[str], list[list[str]]]:
    """A real 焼津市 CSV (公共施設一覧 by default) as header and rows, to be altered by a test."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]
