"""Residents in their own language (issue 21), on their phones: a Vietnamese-language resident gets
the Vietnamese version of a delivery and a Japanese-language one the Japanese; a resident switches
to やさしい日本語 in 受信設定 and everything after is in it."""

from __future__ import annotations

from civicline.delivery.models import Delivery, DeliveryPolicy
from civicline.line.models import Friend
from civicline.richmenu import demo, selectors
from civicline.richmenu.models import Menu
from tests.browser.test_richmenu_journey import tile_labels, wait_for_menu
from tests.fixtures.browser import wait_until
from tests.fixtures.core import StaffFactory
from tests.fixtures.linesim import linesim_db
from tests.richmenu.factories import editor

JAPANESE = "ごみ収集日変更のお知らせ：年末年始は12月30日から1月3日まで収集を休みます。"
VIETNAMESE = "Thông báo thay đổi ngày thu gom rác: nghỉ thu gom từ ngày 30/12 đến ngày 3/1."


def texts_for(linesim, user_id: str) -> str:
    return " ".join(str(m["message"]) for m in linesim.client.messages_for(user_id))


@linesim_db
def test_a_vietnamese_resident_gets_the_vietnamese_version_and_a_japanese_one_the_japanese(
    linesim, phone, staff_browser, department, live_server, shot
):
    DeliveryPolicy.objects.create(department=department, may_send_to_all=True)
    lan = phone("Nguyễn Thị Lan", language="vi")
    lan.follow()
    hanako = phone("豊中 はなこ")
    hanako.follow()
    wait_until(lambda: Friend.objects.filter(user_id__in=[lan.user_id, hanako.user_id]).count() == 2)
    assert Friend.objects.get(user_id=lan.user_id).resident_language == "vi"

    # Staff write the notice in Japanese and its Vietnamese version, in the console.
    console = staff_browser(StaffFactory(department=department))
    console.on("dialog", lambda dialog: dialog.accept())
    console.goto(f"{live_server.url}/console/delivery/new/")
    console.fill("input[name=title]", "年末年始のごみ収集")
    console.check("input[name=audience][value=all]")
    console.fill("textarea[name=m1-text]", JAPANESE)
    console.click("[data-dl-slot] >> nth=0 >> details[data-dl-language=vi] summary")
    console.fill("textarea[name=m1-text__vi]", VIETNAMESE)
    shot(console, "compose-vietnamese")
    console.click("#dl-save")
    console.wait_for_selector("#dl-versions")
    shot(console, "draft-versions")
    assert "Tiếng Việt" in console.inner_text("#dl-versions")
    assert "English" in console.inner_text("#dl-missing")  # the languages nobody wrote are marked

    # Sent now: each phone gets its own version, and only that.
    console.check("input[name=when][value=now]")
    console.click("#dl-schedule")
    lan.wait_for_bot_text(VIETNAMESE, timeout=20_000)
    hanako.wait_for_bot_text(JAPANESE, timeout=20_000)
    shot(lan.page, "vietnamese-resident")
    shot(hanako.page, "japanese-resident")
    assert JAPANESE not in texts_for(linesim, lan.user_id)
    assert VIETNAMESE not in texts_for(linesim, hanako.user_id)
    delivery = wait_until(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).first())
    assert sorted(delivery.batches.values_list("language", "size")) == [("ja", 1), ("vi", 1)]


@linesim_db
def test_a_resident_switches_to_easy_japanese_in_the_settings(liff_site, phone, shot):
    sachi = phone("庄内 さち")
    sachi.follow()
    sachi.wait_for_bot_text("受信設定")
    sachi.tap_quick_reply("受信設定をする")
    frame = sachi.liff_frame()
    frame.wait_for_selector("#dl-language", timeout=15_000)
    assert frame.locator("html").get_attribute("lang") == "ja"
    shot(sachi.page, "settings-japanese")

    frame.click("#dl-language label.dl-chip:has-text('やさしい にほんご')")
    frame.click("#dl-save")
    frame.wait_for_selector("#dl-saved")
    shot(sachi.page, "settings-easy-japanese")

    friend = Friend.objects.get(user_id=sachi.user_id)
    assert (friend.preferred_language, friend.resident_language) == ("ja-easy", "ja-easy")
    # The page came back in the language just chosen, with the choice kept.
    assert frame.locator("html").get_attribute("lang") == "ja-easy"
    assert frame.is_checked("#dl-language input[value=ja-easy]")
    sachi.close_liff()


@linesim_db
def test_the_rich_menu_changes_when_a_resident_switches_to_easy_japanese(liff_site, phone, shot):
    """issue 21 (Done when): a resident switches to やさしい日本語 in 受信設定 and the menu changes — the
    picture (another LINE menu) and what a screen reader says of its tabs and tiles."""
    editor(username="koho")
    demo.seed()  # the demo menus, written in every language, published by the worker in-process
    version = selectors.live_version(Menu.objects.get(name=demo.MAIN_MENU))
    sachi = phone("庄内 さち")
    sachi.follow()
    sachi.wait_for_bot_text("受信設定")
    wait_for_menu(sachi, version.japanese_tabs[0].line_rich_menu_id)
    assert tile_labels(sachi)[:2] == ["暮らし・防災", "窓口予約"]
    shot(sachi.page, "menu-japanese", full_page=False)

    sachi.tap_quick_reply("受信設定をする")
    frame = sachi.liff_frame()
    frame.wait_for_selector("#dl-language", timeout=15_000)
    frame.click("#dl-language label.dl-chip:has-text('やさしい にほんご')")
    frame.click("#dl-save")
    frame.wait_for_selector("#dl-saved")
    sachi.close_liff()

    wait_for_menu(sachi, version.tabs_in("ja-easy")[0].line_rich_menu_id)
    assert tile_labels(sachi)[:2] == ["くらし・さいがい", "まどぐちの よやく"]
    shot(sachi.page, "menu-easy-japanese", full_page=False)
