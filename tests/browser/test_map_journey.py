"""A resident finds shelters on the phone, and staff close one during a disaster (MP-1, MP-3, MP-4).

The real 豊中市 lists (国土地理院) are imported; the resident sends a location in the talk, opens
the map from the answer, filters it to 避難所 and sees the list sorted by distance from where they
are; staff close the nearest shelter on the console's board, and the next search skips it.
Map tiles cannot load on this machine: the page must work without them.
"""

from __future__ import annotations

import pytest

from civicline.facilities import selectors, services
from civicline.facilities.models import FacilityDataset, Shelter
from civicline.line.messaging import message_push
from civicline.linesim.phone_views import PRESET_PLACES
from tests.facilities.factories import (
    TOYONAKA_SHELTERS,
    TOYONAKA_SPACES,
    YAIZU_FACILITIES,
    category,
    csv_bytes,
    yaizu_rows,
)
from tests.fixtures.core import DepartmentFactory, StaffFactory
from tests.fixtures.linesim import linesim_db

STATION = next(p for p in PRESET_PLACES if p["title"] == "豊中駅")
OPEN_NEAR_STATION = 3


@pytest.fixture
def map_site(liff, live_server):
    """The LIFF app opens the live server's /liff/ (on 127.0.0.1, like the emulator's phone page)."""
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


@pytest.fixture
def crisis_staff():
    department = DepartmentFactory(code="kikikanri", name="危機管理課")
    staff = StaffFactory(username="kiki", display_name="危機 三郎", department=department)
    for name, kind, key, path in [
        ("豊中市 指定避難所", FacilityDataset.Kind.SHELTERS, "shelter", TOYONAKA_SHELTERS),
        (
            "豊中市 指定緊急避難場所",
            FacilityDataset.Kind.EVACUATION_SPACES,
            "evacuation_space",
            TOYONAKA_SPACES,
        ),
    ]:
        dataset = services.dataset_create(
            actor=staff,
            department=department,
            name=name,
            kind=kind,
            category=category(key),
            attribution="国土地理院",
        )
        upload = services.facility_import_upload(
            dataset=dataset, actor=staff, filename=path.name, content=path.read_bytes()
        )
        services.facility_import_apply(facility_import=upload, actor=staff)
    return staff


def nearest_to_station(**kwargs):
    return selectors.facility_nearest(latitude=STATION["latitude"], longitude=STATION["longitude"], **kwargs)


def open_nearest_shelters(staff):
    for nearby in nearest_to_station(limit=OPEN_NEAR_STATION, categories=["shelter"]):
        shelter = Shelter.objects.get(facility_id=nearby.pk)
        services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff)


def carousel_names(hanako):
    row = hanako.newest_bot_row()
    row.locator("[data-action-label='地図で見る']").first.wait_for()
    # Each bubble's first text is the shelter's name.
    return [text.strip().splitlines()[0] for text in row.locator(".flex-bubble").all_inner_texts()]


@linesim_db
def test_resident_finds_open_shelters_and_staff_close_one(
    map_site, linesim, phone, shot, staff_browser, crisis_staff
):
    open_nearest_shelters(crisis_staff)
    expected = [n.name for n in nearest_to_station(limit=5, open_shelters_for="")]
    assert len(expected) == OPEN_NEAR_STATION
    hanako = phone("豊中 はなこ")
    hanako.page.context.grant_permissions(["geolocation"])
    hanako.page.context.set_geolocation({"latitude": STATION["latitude"], "longitude": STATION["longitude"]})
    hanako.follow()

    # A location in the talk: the nearest open shelters, nearest first.
    hanako.send_location("豊中駅")
    hanako.wait_for_bot_text(expected[0])
    shot(hanako.page, "talk-nearest-open-shelters")
    assert carousel_names(hanako) == expected

    # The map from the answer, in the LIFF view: the tapped shelter's card, tiles or not.
    hanako.tap_button("地図で見る")
    frame = hanako.liff_frame()
    frame.wait_for_selector("#facility-detail:not([hidden])", timeout=15_000)
    assert frame.inner_text("#facility-detail h2") == expected[0]
    assert "開設中" in frame.inner_text("#facility-detail")
    frame.wait_for_selector("#facility-list li")
    shot(hanako.page, "map-opened-on-the-shelter")

    # Only 避難所, sorted by distance from where she stands.
    for box in frame.query_selector_all("#category-filters input"):
        if box.get_attribute("value") != "shelter":
            box.uncheck()
    frame.click("#locate")
    frame.wait_for_function("() => document.getElementById('origin-label').textContent === '現在地から'")
    items = frame.query_selector_all("#facility-list li")
    assert {item.get_attribute("data-category") for item in items} == {"shelter"}
    listed = [item.query_selector(".fmap-item-name").inner_text() for item in items[:5]]
    assert listed == [n.name for n in nearest_to_station(limit=5, categories=["shelter"])]
    frame.check("#open-only")
    assert [i.inner_text() for i in frame.query_selector_all("#facility-list .fmap-item-name")] == expected
    assert (
        frame.inner_text("#facility-detail .fmap-detail-distance") == "170 m"
    )  # from her, not the city hall
    frame.click("#facility-detail button")  # 閉じる
    frame.locator("#facility-count").scroll_into_view_if_needed()
    shot(hanako.page, "map-open-shelters-by-distance")
    hanako.close_liff()

    # Staff close the nearest shelter from the board, on a phone-sized screen.
    page = staff_browser(crisis_staff)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url + f"facilities/shelters/?q={expected[0]}")
    item = page.locator("#shelter-board li").filter(has_text=expected[0]).first
    item.locator("button[value=closed]").click()
    page.get_by_text(f"「{expected[0]}」を「未開設」にしました。").wait_for()
    shot(page, "staff-closed-a-shelter")

    # The next search skips it.
    before = hanako.bot_message_count()
    hanako.send_location("豊中駅")
    hanako.wait_for_bot_messages(before + 1)
    hanako.wait_for_bot_text(expected[1])
    shot(hanako.page, "talk-after-closing")
    assert carousel_names(hanako) == expected[1:]


@linesim_db
def test_nearest_shelter_button_asks_for_the_location_with_a_quick_reply(
    map_site, linesim, phone, shot, crisis_staff
):
    open_nearest_shelters(crisis_staff)
    expected = [n.name for n in nearest_to_station(limit=5, open_shelters_for="")]
    hanako = phone("豊中 はなこ")
    hanako.follow()
    # What the emergency rich menu's first tile sends.
    button = {"type": "postback", "label": "近くの避難所", "data": "feature=facilities&action=nearest"}
    template = {"type": "buttons", "text": "災害時の情報", "actions": [button]}
    message_push(
        to=hanako.user_id, messages=[{"type": "template", "altText": "災害時の情報", "template": template}]
    )
    hanako.wait_for_bot_text("災害時の情報")

    hanako.tap_button("近くの避難所")
    hanako.wait_for_bot_text("現在地を送ってください")
    assert hanako.quick_reply_labels() == ["位置情報を送る", "地図で探す"]
    shot(hanako.page, "asked-for-location")
    hanako.tap_quick_reply("位置情報を送る")
    hanako.choose_location("豊中駅")

    hanako.wait_for_bot_text(expected[0])
    assert carousel_names(hanako) == expected


@linesim_db
def test_map_page_in_a_phone_browser_lists_facilities_without_tiles(
    live_server, new_page, shot, crisis_staff
):
    page = new_page(
        width=390,
        height=844,
        geolocation={"latitude": 34.8090, "longitude": 135.4955},
        permissions=["geolocation"],
    )
    page.goto(live_server.url + "/liff/facilities/")
    page.wait_for_selector("#facility-list li")
    page.wait_for_selector("#map-notice:not([hidden])")  # the tiles could not load; the list still works
    shot(page, "phone-map-top", full_page=False)

    page.click("#locate")
    page.wait_for_function("() => document.getElementById('origin-label').textContent === '現在地から'")
    page.locator("#facility-list li").first.click()
    page.wait_for_selector("#facility-detail:not([hidden])")
    shot(page, "phone-map-detail")
    first = page.inner_text("#facility-detail h2")
    assert first == nearest_to_station_of(34.8090, 135.4955)
    assert "google.com/maps/dir" in page.get_attribute("#facility-detail a.fmap-route", "href")

    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "wide-map-beside-list", full_page=False)


@linesim_db
def test_in_a_disaster_the_map_lists_open_shelters_once_each(live_server, new_page, shot, crisis_staff):
    """Issue 17: in an emergency the map listed 未開設 shelters first, one place twice (it is on both
    of Toyonaka's lists), and 「出典: 出典: …」."""
    from civicline.facilities.models import FacilityDataset
    from tests.fixtures.core import SystemAdminFactory

    FacilityDataset.objects.update(attribution="出典：国土地理院")
    services.disaster_kind_set(kind="earthquake", actor=SystemAdminFactory())
    open_nearest_shelters(crisis_staff)
    page = new_page(width=390, height=844)

    page.goto(live_server.url + "/liff/facilities/")
    page.wait_for_selector("#facility-list li")

    assert page.is_checked("#open-only")
    statuses = page.locator("#facility-list .fmap-status").all_inner_texts()
    assert statuses and set(statuses) == {"開設中"}
    names = page.locator("#facility-list .fmap-item-name").all_inner_texts()
    assert len(names) == len(set(names))
    assert page.inner_text("#map-source").count("出典") == 1
    shot(page, "disaster-open-shelters", full_page=False)
    page.uncheck("#open-only")
    page.wait_for_function("() => document.querySelectorAll('#facility-list li').length >= 30")
    names = page.locator("#facility-list .fmap-item-name").all_inner_texts()
    assert len(names) == len(set(names))  # each place once, even with closed ones shown


def nearest_to_station_of(latitude, longitude):
    return selectors.facility_nearest(latitude=latitude, longitude=longitude, limit=1)[0].name


@pytest.mark.django_db(transaction=True)
def test_staff_import_a_broken_file_then_the_fixed_one(staff_browser, shot, tmp_path):
    department = DepartmentFactory(code="shimin", name="市民課")
    staff = StaffFactory(username="shimin", display_name="市民 花子", department=department)
    category("city")  # the standard categories, which an earlier transactional test's flush removed
    header, rows = yaizu_rows()
    rows[3][header.index("緯度")] = "34.86.1"
    rows[9][header.index("NO")] = rows[8][header.index("NO")]
    broken, fixed = tmp_path / "公共施設一覧_誤り.csv", tmp_path / "公共施設一覧.csv"
    broken.write_bytes(csv_bytes(header, rows, encoding="cp932"))
    fixed.write_bytes(YAIZU_FACILITIES.read_bytes())
    page = staff_browser(staff)

    page.click("text=施設のデータセット")
    page.click("text=データセットを作成")
    page.fill("input[name=name]", "焼津市 公共施設一覧")
    page.select_option("select[name=kind]", "public_facilities")
    page.select_option("select[name=category]", label="市施設")
    page.click("main button[type=submit]")
    page.set_input_files("input[name=file]", str(broken))
    page.click("text=確認画面へ")
    page.wait_for_selector("#import-errors")
    shot(page, "preview-with-errors")
    errors = page.inner_text("#import-errors")
    assert "5行目" in errors and "数値ではありません" in errors
    assert "CSV・Shift_JIS" in page.inner_text("main")
    # The repeated number is no error: facilities are told apart by name and address, and it says so.
    assert "「NO」の列（重複 1件）" in page.inner_text("#import-key-note")
    # The good rows could go in, but only once staff tick the box that leaves the broken one out.
    assert page.locator("input[name=skip_refused][required]").count() == 1

    page.click(".breadcrumb >> text=焼津市 公共施設一覧")
    page.set_input_files("input[name=file]", str(fixed))
    page.click("text=確認画面へ")
    page.wait_for_selector("#import-new")
    shot(page, "preview-ready")
    page.click("button:has-text('反映する')")
    page.get_by_text("取り込みました: 追加 28件・変更 0件・削除 0件").wait_for()
    shot(page, "dataset-imported")


@linesim_db
def test_in_an_emergency_a_resident_talking_with_staff_still_gets_shelters(
    map_site, linesim, phone, shot, crisis_staff
):
    """X-14, MP-4: the pen test's resident, mid-conversation with 市民課, sent a location during an
    emergency and got no answer at all. Now the shelters come first and the talk goes on."""
    from civicline.conversations.models import Conversation
    from tests.conversations.factories import TopicFactory
    from tests.fixtures.core import SystemAdminFactory

    services.disaster_kind_set(kind="earthquake", actor=SystemAdminFactory())
    open_nearest_shelters(crisis_staff)
    expected = [n.name for n in nearest_to_station(limit=5, open_shelters_for="earthquake")]
    assert expected
    TopicFactory(department=DepartmentFactory(code="shimin", name="市民課"), name="住民票・証明書")
    hanako = phone("豊中 はなこ")
    hanako.follow()
    hanako.type_text("職員と話したい")
    hanako.tap_quick_reply("住民票・証明書")
    hanako.wait_for_bot_text("受付番号")

    hanako.type_text("近くの避難所")
    hanako.wait_for_bot_text("現在地を送ってください")
    hanako.tap_quick_reply("位置情報を送る")
    hanako.choose_location("豊中駅")

    hanako.wait_for_bot_text(expected[0])
    hanako.wait_for_bot_text("市民課の担当者とのご相談")
    shot(hanako.page, "shelters-during-a-conversation")
    conversation = Conversation.objects.get()
    assert conversation.is_open
    assert conversation.messages.filter(kind="location").exists()  # staff see where the resident is
