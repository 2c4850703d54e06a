"""Disaster mode from an official alert, and a shelter that knows who is inside (RM-4, MP-4, SD-1, SD-9).

JMA's sample special heavy-rain warning (大雨特別警報) is served by a loopback stand-in for JMA's
feed; one poll of the worker's task later every friend has the emergency menu and the residents who
chose 防災 have the notice on their phone. A resident checks in at a shelter from its poster's QR
page, staff see the occupancy change on the shelter's desk page, the shelter turns 満員 at its
capacity, and the next resident's shelter search skips it.
"""

from __future__ import annotations

import pytest

from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import AlertSettings
from civicline.alerts.tasks import jma_poll_task
from civicline.delivery import services as delivery_services
from civicline.facilities.models import Facility, Shelter
from civicline.line.models import Friend
from civicline.linesim.phone_views import PRESET_PLACES
from civicline.richmenu import services as richmenu_services
from tests.alerts.factories import city, policy
from tests.alerts.test_feeds import FakeJma
from tests.delivery.factories import TopicFactory
from tests.facilities.factories import category
from tests.fixtures.core import DepartmentFactory, StaffFactory, SystemAdminFactory
from tests.fixtures.linesim import linesim_db
from tests.richmenu.factories import emergency_menu, nine_tile_menu
from tests.richmenu.test_services import live_tab_ids, shown_menu_id

STATION = next(p for p in PRESET_PLACES if p["title"] == "豊中駅")


@pytest.fixture
def site(liff, live_server):
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


@pytest.fixture
def jma(settings):
    fake = FakeJma()
    settings.JMA_FEEDS = [f"{fake.base}/feed/extra.xml"]
    yield fake
    fake.server.shutdown()


def shelter(name: str, metres_north: float, department, capacity: int) -> Shelter:
    facility = Facility.objects.create(
        department=department,
        category=category("shelter"),
        name=name,
        address="大阪府豊中市",
        latitude=STATION["latitude"] + metres_north / 111_195,
        longitude=STATION["longitude"],
        capacity=capacity,
    )
    return Shelter.objects.create(facility=facility, status=Shelter.Status.OPEN)


def carousel_names(resident) -> list[str]:
    row = resident.newest_bot_row()
    row.locator("[data-action-label='地図で見る']").first.wait_for()
    return [text.strip().splitlines()[0] for text in row.locator(".flex-bubble").all_inner_texts()]


@linesim_db
def test_special_warning_switches_the_city_to_disaster_mode_and_shelters_fill_up(
    site, linesim, jma, phone, new_page, staff_browser, shot
):
    admin = SystemAdminFactory()
    kiki = DepartmentFactory(code="kikikanri", name="危機管理課")
    crisis = StaffFactory(username="kiki", display_name="危機 三郎", department=kiki)
    settings_row = AlertSettings.current()
    settings_row.department = kiki
    settings_row.save()
    bosai = TopicFactory(name="防災")
    main, emergency = nine_tile_menu(name="通常メニュー"), emergency_menu()
    richmenu_services.menu_publish(actor=admin, menu=main)
    richmenu_services.menu_publish(actor=admin, menu=emergency)
    small = shelter("第一小学校", 150, kiki, capacity=2)
    shelter("第二中学校", 900, kiki, capacity=300)
    hanako, taro = phone("豊中 はなこ"), phone("豊中 たろう")
    hanako.follow()
    taro.follow()
    delivery_services.resident_settings_save(
        friend=Friend.objects.get(user_id=hanako.user_id),
        area=None,
        birth_year=None,
        gender="",
        topics=[bosai],
        children=[],
    )
    # The system administrator's settings: the city's code (the sample's city) and the policy.
    city(CodeType.CITY, "2920100", "奈良市")
    policy(Kind.WARNING, 5, emergency_menu="auto", disaster_kind="auto", emergency_delivery="auto")
    jma.entries = [("気象特別警報・警報・注意報", "15_08_01_130412_VPWW53.xml")]

    # One poll of the worker.
    jma_poll_task()

    emergency_tab = live_tab_ids(emergency)[0]
    assert [shown_menu_id(linesim, r.user_id) for r in (hanako, taro)] == [emergency_tab] * 2
    hanako.wait_for_bot_text("大雨特別警報")
    shot(hanako.page, "notice-to-bosai-resident")
    hanako.open_rich_menu()
    shot(hanako.page, "emergency-menu-on")

    # Staff see the banner and the timeline with what was done.
    page = staff_browser(crisis)
    page.wait_for_selector("#alert-banner")
    page.click("#alert-banner a")
    page.wait_for_selector("#alert-actions")
    shot(page, "alert-timeline")
    assert page.locator("#alert-actions tr[data-action=emergency_menu]").inner_text().count("実行済み") == 1

    # Hanako checks in at the small shelter from its poster's QR code (the LIFF page it opens).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url.split("/console/")[0] + f"/console/facilities/shelters/{small.pk}/desk/")
    assert page.inner_text("#desk-people") == "0"
    checkin = new_page(width=390, height=760)
    checkin.goto(site.open_url(hanako.user_id, f"/facilities/checkin/{small.checkin_key}/"))
    checkin.wait_for_selector("#ci-submit")
    checkin.fill("input[name=household_size]", "2")
    checkin.check("input[name=needs][value=wheelchair]")
    shot(checkin, "check-in-form")
    checkin.click("#ci-submit")
    checkin.wait_for_selector("#ci-done")
    shot(checkin, "checked-in")

    # Staff at the shelter see it; the shelter is full at its capacity.
    page.reload()
    assert page.inner_text("#desk-people") == "2"
    assert page.inner_text("#desk-status") == "満員"
    shot(page, "desk-full")

    # The next resident's search skips the full shelter.
    taro.send_location("豊中駅")
    taro.wait_for_bot_text("第二中学校")
    shot(taro.page, "search-skips-full")
    assert "第一小学校" not in carousel_names(taro)
