"""Journeys through LIFF and the staff preview in a real browser (issue 3: items 3, 5, 7).

A resident opens the resident page inside the emulator's phone: the page gets an ID token from
LIFF, the server has LINE verify it, and the resident sees their own data only. Staff pair their
phone as a test device by sending a one-time code from it, send it a Flex draft and open it there.
"""

from __future__ import annotations

import json
import re

import pytest

from civicline.line.messaging import message_push
from civicline.line.models import Friend, PreviewRecipient
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import PreviewRecipientFactory
from tests.fixtures.linesim import linesim_db

BUBBLE = {
    "type": "bubble",
    "hero": {"type": "box", "layout": "vertical", "backgroundColor": "#06C755", "paddingAll": "20px",
             "contents": [{"type": "text", "text": "子育て応援フェア", "color": "#FFFFFF", "weight": "bold",
                           "size": "xl"}]},
    "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        {"type": "text", "text": "11月30日（土）10:00〜16:00", "size": "sm"},
        {"type": "text", "text": "市民会館 大ホール", "size": "sm", "color": "#666666"},
    ]},
    "footer": {"type": "box", "layout": "vertical", "contents": [
        {"type": "button", "style": "primary", "color": "#06C755",
         "action": {"type": "uri", "label": "詳しく見る", "uri": "https://city.example.jp/fair"}},
    ]},
}


@pytest.fixture
def liff_site(liff, live_server):
    """The LIFF app opens the live server's /liff/.

    On 127.0.0.1 like the emulator: the phone frames the page, and a frame on another site
    (localhost is one) would get no session cookie.
    """
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


def liff_link(liff_id: str) -> dict:
    return {
        "type": "template",
        "altText": "登録情報の確認",
        "template": {
            "type": "buttons",
            "text": "登録情報はこちらから確認できます。",
            "actions": [{"type": "uri", "label": "登録情報を確認", "uri": f"https://liff.line.me/{liff_id}"}],
        },
    }


@linesim_db
def test_a_resident_opens_the_liff_page_in_the_phone_and_sees_only_their_own_data(
    liff_site, linesim, phone, shot
):
    kenta = linesim.client.create_user("千里 けんた", follow=True)
    hanako = phone("豊中 はなこ")
    hanako.follow()
    message_push(to=hanako.user_id, messages=[liff_link(liff_site.liff_id)])
    message_push(to=kenta["userId"], messages=[liff_link(liff_site.liff_id)])
    hanako.wait_for_bot_text("登録情報はこちらから")
    shot(hanako.page, "talk-with-liff-link")

    hanako.tap_button("登録情報を確認")
    frame = hanako.liff_frame()
    frame.wait_for_selector("#resident-name", timeout=15_000)

    shot(hanako.page, "liff-own-data")
    assert frame.inner_text("#resident-name").strip() == "豊中 はなこ"
    assert "千里 けんた" not in frame.content()
    assert "友だち" in frame.inner_text("main")

    frame.click("[data-liff-close]")  # liff.closeWindow()
    hanako.page.get_by_test_id("liff-overlay").wait_for(state="hidden")


@linesim_db
def test_the_liff_page_opened_outside_line_asks_for_the_line_app(liff_site, live_server, new_page, shot):
    page = new_page(width=390, height=760)

    page.goto(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    page.wait_for_selector("#liff-gate[data-state=not_in_line]")

    shot(page, "outside-line")
    assert "LINEアプリから開いてください" in page.inner_text("#liff-gate")
    assert page.locator("#resident-name").count() == 0


@linesim_db
def test_a_resident_opening_an_expired_page_is_told_to_open_it_again(liff_site, linesim, new_page, shot):
    hanako = linesim.client.create_user("豊中 はなこ", follow=True)
    page = new_page(width=390, height=760)
    url = liff_site.open_url(hanako["userId"])
    # The phone handed over a token that has expired since (as after an hour in the background).
    page.route("**/liff/session", lambda route: route.continue_(
        post_data=f"id_token={liff_site.id_token(hanako['userId'], expires_in=0)}"
    ))

    page.goto(url)
    page.wait_for_selector("#liff-gate[data-state=expired]")

    shot(page, "expired")
    assert "認証の有効期限が切れました。もう一度開いてください" in page.inner_text("#liff-gate")
    assert "豊中 はなこ" not in page.content()


@linesim_db
def test_staff_pair_their_phone_then_send_a_flex_draft_to_it_and_see_it_on_the_phone(
    linesim, live_server, staff_browser, phone, department, shot
):
    staff = StaffFactory(department=department, display_name="田中 花子")
    device = phone("田中（自分のスマートフォン）")
    device.follow()
    resident = linesim.client.create_user("豊中 はなこ", follow=True)
    page = staff_browser(staff)

    # Nothing offers the accounts that talked to the city lately: the device proves itself.
    page.click("text=プレビュー（テスト端末）")
    page.click("main >> text=テスト端末を追加")
    page.fill("input[name=label]", "田中のiPhone")
    shot(page, "name-the-device")
    page.click("main button[type=submit]")
    code = page.inner_text("#pairing-code").strip()
    shot(page, "pairing-code")
    assert re.fullmatch(r"\d{8}", code)
    for name in ("豊中 はなこ", resident["userId"], device.display_name, device.user_id):
        assert name not in page.content()

    device.type_text(f"ペアリング {code}")
    device.wait_for_bot_text("テスト端末として登録しました（子育て支援課 / 田中 花子）")
    shot(device.page, "paired-on-the-phone")
    page.wait_for_selector("#pairing[data-state=paired]")  # the page asks the server, no reload
    shot(page, "paired")
    assert "テスト端末「田中のiPhone」を登録しました。" in page.inner_text("#pairing-status")
    paired = PreviewRecipient.objects.get()
    assert (paired.friend.user_id, paired.owner) == (device.user_id, staff)

    page.click("#pairing-done")
    shot(page, "devices")
    page.click("text=プレビューを送る")
    page.fill("textarea[name=message]", json.dumps(BUBBLE, ensure_ascii=False, indent=2))
    page.fill("input[name=alt_text]", "子育て応援フェアのお知らせ")
    page.click("button:has-text('テスト端末に送信')")
    page.wait_for_selector("#preview-result")
    shot(page, "sent")
    assert "送信しました" in page.inner_text("#preview-result")

    with page.context.expect_page() as opened:
        page.click("#open-phone")
    phone_page = opened.value
    phone_page.set_viewport_size({"width": 420, "height": 860})
    phone_page.locator("[data-testid=bubble-row][data-kind=bot]").filter(has_text="子育て応援フェア").wait_for()
    shot(phone_page, "flex-on-the-phone")
    assert "市民会館 大ホール" in phone_page.inner_text("[data-testid=timeline]")


@linesim_db
def test_a_bad_draft_shows_a_clear_error_in_the_console(
    linesim, live_server, staff_browser, department, shot
):
    device = linesim.client.create_user("田中（テスト端末）", follow=True)
    staff = StaffFactory(department=department)
    friend = Friend.objects.get(user_id=device["userId"])
    PreviewRecipientFactory(department=department, friend=friend, label="田中のiPhone", owner=staff)
    page = staff_browser(staff)

    delivered = len(linesim.client.messages_for(device["userId"]))  # the greeting
    page.goto(live_server.url + "/console/preview/")
    page.fill("textarea[name=message]", '{"type": "bubble", "body": {"type": "box", "contents": [}')
    page.click("button:has-text('テスト端末に送信')")

    shot(page, "bad-json")
    assert "JSONとして読み取れません" in page.inner_text("main")
    assert len(linesim.client.messages_for(device["userId"])) == delivered
