"""The demo city's map comes from files shipped in the package: a clone alone shows real shelters."""

from __future__ import annotations

import pytest

from civicline.core.translations import translated
from civicline.facilities import demo
from civicline.facilities.models import Facility, FacilityCategory, Shelter
from tests.fixtures.core import DepartmentFactory, SystemAdminFactory

pytestmark = pytest.mark.django_db


def test_the_demo_data_lives_inside_the_repository_with_its_sources():
    repository = demo.DATA_DIR.parents[2]
    assert demo.DATA_DIR.is_relative_to(repository / "civicline")
    assert (demo.DATA_DIR / "SOURCES.md").read_text().count("Licence") == 2
    for *_rest, filename in demo.DATASETS:
        assert (demo.DATA_DIR / filename).is_file()


def test_seeding_the_demo_imports_every_shelter_and_opens_a_few():
    SystemAdminFactory()
    DepartmentFactory(code="kikikanri", name="危機管理課")
    DepartmentFactory(code="shimin", name="市民課")

    demo.seed()
    demo.seed()  # idempotent: a restarted demo imports nothing twice

    assert Shelter.objects.count() == 167 + 272 + 31
    assert Facility.objects.count() == 167 + 272 + 31 + 28
    assert Shelter.objects.filter(status=Shelter.Status.OPEN).count() == demo.OPEN_IN_DEMO


def test_issue21_the_demo_shelters_that_open_have_english_names():
    """issue 21: an English-speaking demo resident sees the opened shelters named in English."""
    SystemAdminFactory()
    DepartmentFactory(code="kikikanri", name="危機管理課")

    demo.seed()

    opened = Facility.objects.filter(shelter__status=Shelter.Status.OPEN)
    assert opened.count() == demo.OPEN_IN_DEMO
    assert all(translated(f, "name", "en") != f.name for f in opened)
    assert translated(FacilityCategory.objects.get(key="shelter"), "name", "en") == "Evacuation shelter"
