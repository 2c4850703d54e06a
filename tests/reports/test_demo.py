"""The demo city's report areas: wherever in the city a resident reports from, 「地域」 is filled."""

from __future__ import annotations

import pytest

from civicline.core.translations import missing_languages, translated
from civicline.linesim.phone_views import PRESET_PLACES
from civicline.reports import demo, routing
from civicline.reports.models import Area, Category

pytestmark = pytest.mark.django_db


def test_every_place_the_phone_offers_lies_in_one_demo_area():
    demo.seed()

    found = {p["title"]: routing.area_at(p["latitude"], p["longitude"]) for p in PRESET_PLACES}

    assert all(found.values()), found
    assert found["千里中央駅"].name == "千里地域" and found["豊中市役所"].name == "中部地域"


def test_demo_areas_do_not_overlap():
    shapes = [routing.boundary_geometry(shape) for shape in demo.AREAS.values()]

    for i, first in enumerate(shapes):
        for second in shapes[i + 1 :]:
            assert first.intersection(second).area == 0


def test_seeding_twice_changes_nothing():
    demo.seed()
    demo.seed()

    assert sorted(Area.objects.values_list("name", flat=True)) == sorted(demo.AREAS)


def test_issue21_the_demo_categories_have_english_names():
    """issue 21: an English-speaking demo resident picks 「道路」 as "Roads" on the report form."""
    demo.seed()

    roads = Category.objects.get(name="道路")
    assert translated(roads, "name", "en") == "Roads"
    assert "en" not in missing_languages(roads)
