"""An English-speaking resident looks for a shelter (issue 21, MP-4): the talk's shelter cards and
the map they open name the shelters in English where staff wrote it, in Japanese where not."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

from civicline.facilities.models import Shelter
from civicline.linesim.phone_views import PRESET_PLACES
from tests.browser.test_map_journey import map_site  # noqa: F401 - the fixture, shared
from tests.facilities.factories import FacilityFactory, category
from tests.fixtures.linesim import linesim_db

STATION = next(p for p in PRESET_PLACES if p["title"] == "豊中駅")


def english(text: str) -> str:
    with translation.override("en"):
        return gettext(text)


def shelter_near_station(name: str, metres_north: float, **translations) -> Shelter:
    facility = FacilityFactory(
        name=name,
        category=category("shelter"),
        latitude=STATION["latitude"] + metres_north / 111_195,
        longitude=STATION["longitude"],
        translations=translations,
    )
    return Shelter.objects.create(facility=facility, status=Shelter.Status.OPEN)


@linesim_db
def test_an_english_resident_finds_shelters_named_in_english(map_site, linesim, phone, shot):  # noqa: F811
    """issue 21: an English friend's location gets the English shelter names, the map opens in English."""
    shelter_near_station("第一小学校", 100, en={"name": "Daiichi Elementary School"})
    shelter_near_station("第二中学校", 400)  # written in Japanese only
    anna = phone("Anna Lee", language="en")
    anna.follow()

    anna.send_location("豊中駅")
    anna.wait_for_bot_text("Daiichi Elementary School")
    row = anna.newest_bot_row()
    names = [text.strip().splitlines()[0] for text in row.locator(".flex-bubble").all_inner_texts()]
    shot(anna.page, "english-shelter-cards")
    assert names == ["Daiichi Elementary School", "第二中学校"]

    anna.tap_button(english("地図で見る"))
    frame = anna.liff_frame()
    frame.wait_for_selector("#facility-detail:not([hidden])", timeout=15_000)
    shot(anna.page, "english-map")
    assert frame.inner_text("#facility-detail h2") == "Daiichi Elementary School"
    assert frame.evaluate("document.documentElement.lang") == "en"
    frame.wait_for_selector("#facility-list li")
    listed = frame.locator("#facility-list .fmap-item-name").all_inner_texts()
    assert "Daiichi Elementary School" in listed and "第二中学校" in listed
