"""The demo city's facilities: real open-data files shipped in ``demo_data/`` (sources and licences
in its SOURCES.md), imported through the same path staff use (upload, preview, apply), so the demo
shows real shelters from a clone of the repository alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction

from civicline.core.models import Department, Staff

from . import services
from .models import Facility, FacilityCategory, FacilityDataset, Shelter
from .selectors import facility_nearest

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
Kind = FacilityDataset.Kind
# (department code, dataset name, kind, category key, attribution, file) — see SOURCES.md there.
DATASETS = [
    (
        "kikikanri",
        "豊中市 指定避難所",
        Kind.SHELTERS,
        "shelter",
        "国土地理院 指定緊急避難場所・指定避難所データ（豊中市）",
        "toyonaka_272035_shitei_hinanjo.geojson",
    ),
    (
        "kikikanri",
        "豊中市 指定緊急避難場所",
        Kind.EVACUATION_SPACES,
        "evacuation_space",
        "国土地理院 指定緊急避難場所・指定避難所データ（豊中市）",
        "toyonaka_272035_shitei_kinkyu_hinanbasho.geojson",
    ),
    (
        "kikikanri",
        "焼津市 指定緊急避難場所一覧",
        Kind.EVACUATION_SPACES,
        "evacuation_space",
        "焼津市オープンデータ（CC BY 4.0）",
        "yaizu_222127_evacuation_space.csv",
    ),
    (
        "shimin",
        "焼津市 公共施設一覧",
        Kind.PUBLIC_FACILITIES,
        "city",
        "焼津市オープンデータ（CC BY 4.0）",
        "yaizu_222127_facilities_smartmap.csv",
    ),
]
# A few shelters near the city hall are open in the demo, so that the talk's shelter search answers.
OPEN_IN_DEMO = 4
# English versions of those shelters (and their neighbours) and of the shelter categories, as staff
# would write them: an English-speaking demo resident sees their names in English (issue 21).
ENGLISH_FACILITIES = {
    "桜塚高等学校体育館及び校舎の一部": (
        "Sakurazuka High School (gym and part of the school)",
        "4-1-1 Nakasakurazuka, Toyonaka, Osaka",
    ),
    "さくらづか保育園": ("Sakurazuka Nursery School", "2-9-24 Nakasakurazuka, Toyonaka, Osaka"),
    "地域共生センター": ("Community Inclusion Center", "2-28-8 Nakasakurazuka, Toyonaka, Osaka"),
    "南桜塚小学校体育館及び校舎の一部": (
        "Minami-Sakurazuka Elementary School (gym and part of the school)",
        "2-2-1 Minamisakurazuka, Toyonaka, Osaka",
    ),
    "生活情報センターくらしかん": (
        "Kurashikan Consumer Information Center",
        "2-2-1 Kitasakurazuka, Toyonaka, Osaka",
    ),
}
ENGLISH_CATEGORIES = {"shelter": "Evacuation shelter", "evacuation_space": "Emergency evacuation site"}


@transaction.atomic
def seed() -> None:
    admin = Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return
    FacilityCategory.ensure_standard()
    for code, name, kind, category_key, attribution, filename in DATASETS:
        department = Department.objects.filter(code=code).first()
        if department is None:
            logger.warning("demo facilities: skipped %s (no department %s)", filename, code)
            continue
        path = DATA_DIR / filename  # shipped with the package: missing means a broken install
        dataset = FacilityDataset.objects.filter(department=department, name=name).first()
        if dataset is None:
            dataset = services.dataset_create(
                actor=admin,
                department=department,
                name=name,
                kind=kind,
                category=FacilityCategory.objects.get(key=category_key),
                attribution=attribution,
            )
        if dataset.imported_at is None:
            upload = services.facility_import_upload(
                dataset=dataset, actor=admin, filename=filename, content=path.read_bytes()
            )
            services.facility_import_apply(facility_import=upload, actor=admin)
    if not Shelter.objects.exclude(status=Shelter.Status.CLOSED).exists():
        lat, lng = settings.MAP_CENTER
        for nearby in facility_nearest(
            latitude=lat, longitude=lng, limit=OPEN_IN_DEMO, categories=["shelter"]
        ):
            shelter = Shelter.objects.get(facility_id=nearby.pk)
            services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=admin)
    _english_seed(admin)


def _english_seed(admin: Staff) -> None:
    """English names for the demo's shelter categories and the shelters near the city hall."""
    for category in FacilityCategory.objects.filter(key__in=ENGLISH_CATEGORIES, translations={}):
        translations = {"en": {"name": ENGLISH_CATEGORIES[category.key]}}
        services.category_update(category=category, actor=admin, data={"translations": translations})
    for facility in Facility.objects.filter(name__in=ENGLISH_FACILITIES, translations={}):
        name, address = ENGLISH_FACILITIES[facility.name]
        translations = {"en": {"name": name, "address": address}}
        services.facility_update(facility=facility, actor=admin, data={"translations": translations})
