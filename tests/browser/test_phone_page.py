"""A resident's LINE app on the emulator's phone page, talking to the live civicline server."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.core import mail as django_mail
from PIL import Image, ImageDraw, ImageFont

from civicline.line.messaging import message_push
from civicline.line.models import WebhookEvent
from civicline.linesim.models import InsightEvent

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# Messages point at images on an https host, as LINE requires; the page's requests to it are
# answered by the test (see ``serve_images``), since this machine reaches no network.
IMG = "https://img.city.example"


FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:  # no CJK font installed: the pictures are only for the screenshots
        return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png(color: str, size: tuple[int, int] = (600, 400), label: str = "") -> bytes:
    image = Image.new("RGB", size, color)
    if label:
        ImageDraw.Draw(image).text(
            (size[0] / 2, size[1] / 2), label, fill="white", font=_font(size[1] // 6), anchor="mm"
        )
    return _png(image)


def menu_png(labels: list[str]) -> bytes:
    """A 2500x1686 rich menu: two tiles on top, one wide tile below, as city menus often are."""
    image = Image.new("RGB", (2500, 1686), "#ffffff")
    draw = ImageDraw.Draw(image)
    tiles = [(0, 0, 1250, 843), (1250, 0, 2500, 843), (0, 843, 2500, 1686)]
    for (x0, y0, x1, y1), label, color in zip(tiles, labels, ["#06c755", "#1e7ad6", "#f39800"], strict=True):
        draw.rectangle((x0 + 12, y0 + 12, x1 - 12, y1 - 12), fill=color)
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), label, fill="white", font=_font(150), anchor="mm")
    return _png(image)


COLORS = {"park": "#5b9b5b", "hall": "#4c6fa8", "gomi": "#d08b3a", "pool": "#3a9fc0", "lib": "#9a6fb0"}
LABELS = {"park": "服部緑地", "hall": "市民会館", "gomi": "ごみ分別", "pool": "市民プール", "lib": "図書館"}
MENU_LABELS = ["ごみの日", "施設予約", "お知らせ"]


def serve_images(page: Any) -> None:
    def fulfill(route: Any) -> None:
        name = route.request.url.rsplit("/", 1)[-1].split(".")[0]
        body = (
            menu_png(MENU_LABELS)
            if name == "menu"
            else png(COLORS.get(name, "#888888"), label=LABELS.get(name, ""))
        )
        route.fulfill(body=body, content_type="image/png")

    page.route(f"{IMG}/**", fulfill)


def wait_until(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def postbacks() -> list[dict[str, Any]]:
    return [e.payload["postback"] for e in WebhookEvent.objects.filter(event_type="postback").order_by("id")]


def message_events(kind: str) -> list[dict[str, Any]]:
    events = WebhookEvent.objects.filter(event_type="message").order_by("id")
    return [e.payload["message"] for e in events if e.payload["message"]["type"] == kind]


def postback(label: str, data: str, display_text: str | None = None) -> dict[str, Any]:
    action = {"type": "postback", "label": label, "data": data}
    return {**action, "displayText": display_text} if display_text else action


# --- messages a city would send -----------------------------------------------------------------

BUTTONS = {
    "type": "template",
    "altText": "ごみの分別",
    "template": {
        "type": "buttons",
        "thumbnailImageUrl": f"{IMG}/gomi.png",
        "title": "ごみの分別を調べる",
        "text": "品目名を送るか、下から選んでください。",
        "defaultAction": {"type": "uri", "label": "詳細", "uri": "https://www.city.toyonaka.osaka.jp/"},
        "actions": [
            postback("燃やすごみの日", "gomi=burnable", "燃やすごみの日は？"),
            {"type": "message", "label": "粗大ごみ", "text": "粗大ごみ"},
            {"type": "uri", "label": "市のホームページ", "uri": "https://www.city.toyonaka.osaka.jp/"},
            {"type": "datetimepicker", "label": "収集日を選ぶ", "data": "gomi=date", "mode": "date"},
        ],
    },
}

CONFIRM = {
    "type": "template",
    "altText": "予約の確認",
    "template": {
        "type": "confirm",
        "text": "6月12日 10:00 の予約を確定しますか？",
        "actions": [postback("はい", "booking=yes", "はい"), postback("いいえ", "booking=no", "いいえ")],
    },
}

CAROUSEL = {
    "type": "template",
    "altText": "施設",
    "template": {
        "type": "carousel",
        "columns": [
            {
                "thumbnailImageUrl": f"{IMG}/{key}.png",
                "title": title,
                "text": text,
                "actions": [
                    postback("予約する", f"facility={key}", f"{title}を予約"),
                    postback("詳しく", f"info={key}"),
                ],
            }
            for key, title, text in [
                ("hall", "市民会館", "会議室・ホール"),
                ("pool", "市民プール", "屋内 25m"),
                ("lib", "岡町図書館", "学習室あり"),
            ]
        ],
    },
}

IMAGE_CAROUSEL = {
    "type": "template",
    "altText": "公園",
    "template": {
        "type": "image_carousel",
        "columns": [
            {"imageUrl": f"{IMG}/park.png", "action": postback("服部緑地", "park=hattori", "服部緑地")},
            {
                "imageUrl": f"{IMG}/pool.png",
                "action": {"type": "message", "label": "豊島公園", "text": "豊島公園"},
            },
        ],
    },
}


def flex_bubble(title: str, place: str, key: str, *, size: str = "kilo") -> dict[str, Any]:
    def info(label: str, value: str) -> dict[str, Any]:
        return {
            "type": "box",
            "layout": "baseline",
            "spacing": "sm",
            "contents": [
                {"type": "text", "text": label, "color": "#aaaaaa", "size": "sm", "flex": 1},
                {"type": "text", "text": value, "wrap": True, "color": "#666666", "size": "sm", "flex": 4},
            ],
        }

    return {
        "type": "bubble",
        "size": size,
        "hero": {
            "type": "image",
            "url": f"{IMG}/{key}.png",
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": title, "weight": "bold", "size": "xl"},
                {
                    "type": "box",
                    "layout": "horizontal",
                    "margin": "md",
                    "contents": [
                        {
                            "type": "text",
                            "text": "受付中",
                            "size": "xs",
                            "color": "#06c755",
                            "weight": "bold",
                            "flex": 0,
                        },
                        {"type": "separator", "margin": "sm"},
                        {
                            "type": "text",
                            "text": "残り 3 枠",
                            "size": "xs",
                            "color": "#999999",
                            "margin": "sm",
                        },
                    ],
                },
                {
                    "type": "box",
                    "layout": "vertical",
                    "margin": "lg",
                    "spacing": "sm",
                    "contents": [info("場所", place), info("時間", "10:00 - 17:00（月曜休館）")],
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "action": postback("予約する", f"reserve={key}", f"{title}を予約"),
                },
                {
                    "type": "button",
                    "style": "link",
                    "height": "sm",
                    "action": {"type": "uri", "label": "地図", "uri": "https://maps.example/"},
                },
            ],
        },
        "styles": {"footer": {"separator": True}},
    }


FLEX_BUBBLE = {
    "type": "flex",
    "altText": "ごみ収集日のお知らせ",
    "contents": {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": "#06c755",
            "paddingAll": "12px",
            "contents": [
                {"type": "text", "text": "明日のごみ収集", "color": "#ffffff", "weight": "bold", "size": "sm"}
            ],
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "contents": [
                {"type": "text", "text": "燃やすごみ", "size": "3xl", "weight": "bold", "align": "center"},
                {
                    "type": "text",
                    "text": "朝 8:30 までに指定の場所へ出してください。<b>タグ</b>も文字のまま。",
                    "wrap": True,
                    "size": "sm",
                    "color": "#555555",
                },
                {
                    "type": "box",
                    "layout": "horizontal",
                    "cornerRadius": "md",
                    "backgroundColor": "#f2f4f7",
                    "paddingAll": "md",
                    "contents": [
                        {"type": "text", "text": "地区", "size": "xs", "color": "#888888", "flex": 1},
                        {"type": "text", "text": "中桜塚", "size": "xs", "align": "end", "flex": 2},
                    ],
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "secondary",
                    "action": postback("通知を止める", "gomi=mute", "通知を止める"),
                },
                {
                    "type": "button",
                    "style": "primary",
                    "color": "#1e7ad6",
                    "action": {"type": "message", "label": "分別表", "text": "分別表"},
                },
            ],
        },
    },
}

FLEX_CAROUSEL = {
    "type": "flex",
    "altText": "予約できる施設",
    "contents": {
        "type": "carousel",
        "contents": [
            flex_bubble("市民会館 大ホール", "豊中市曽根東町3-7-3", "hall"),
            flex_bubble("服部緑地 テニスコート", "豊中市服部緑地1-1", "park"),
            flex_bubble("岡町図書館 学習室", "豊中市宝山町23-5", "lib"),
        ],
    },
}

QUICK_REPLY = {
    "type": "text",
    "text": "どの手続きについて知りたいですか？",
    "quickReply": {
        "items": [
            {"type": "action", "action": postback("ごみ", "topic=gomi", "ごみについて")},
            {"type": "action", "action": {"type": "message", "label": "子育て", "text": "子育て"}},
            {
                "type": "action",
                "action": {"type": "datetimepicker", "label": "日付", "data": "topic=date", "mode": "date"},
            },
            {"type": "action", "action": {"type": "location", "label": "位置情報"}},
            {"type": "action", "action": {"type": "camera", "label": "カメラ"}},
            {"type": "action", "action": {"type": "cameraRoll", "label": "写真"}},
            {
                "type": "action",
                "imageUrl": f"{IMG}/hall.png",
                "action": {"type": "uri", "label": "窓口", "uri": "https://www.city.toyonaka.osaka.jp/"},
            },
        ]
    },
}


@pytest.fixture
def resident(phone: Callable[[str], Any]) -> Any:
    """A resident who has followed the city account; the greeting is on screen."""
    hanako = phone("豊中 花子")
    serve_images(hanako.page)
    hanako.follow()
    hanako.wait_for_bot_text("友だち追加ありがとうございます")
    return hanako


def push(resident: Any, *messages: dict[str, Any]) -> None:
    """Push from civicline and wait until the phone shows the messages."""
    before = resident.bot_message_count()
    message_push(to=resident.user_id, messages=list(messages))
    resident.wait_for_bot_messages(before + len(messages))


# --- journeys -----------------------------------------------------------------------------------


def test_follow_shows_greeting_and_text_gets_an_answer(resident, shot):
    text = (
        "こんにちは。市役所の開庁時間を教えてください🙂 https://www.city.toyonaka.osaka.jp/kurashi/index.html"
    )
    before = resident.bot_message_count()

    resident.type_text(text)

    resident.wait_for_own_text("こんにちは")
    # civicline answers every text (a feature's answer, else the default reply); which one is theirs.
    resident.wait_for_bot_messages(before + 1)
    shot(resident.page, "text-conversation")
    assert wait_until(lambda: message_events("text"))[-1]["text"] == text
    rows = resident.page.locator("[data-testid=bubble-row]")
    kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
    assert kinds[0] == "bot" and kinds[kinds.index("user") + 1] == "bot"  # greeting(s), the text, an answer
    assert (
        resident.page.get_by_test_id("bubble").first.inner_text().startswith("友だち追加ありがとうございます")
    )
    assert resident.page.get_by_test_id("sender").first.inner_text() == "civicline"


def test_buttons_and_confirm_templates_render_and_their_actions_reach_civicline(resident, shot):
    push(resident, BUTTONS)
    resident.wait_for_bot_text("ごみの分別を調べる")
    shot(resident.page, "buttons-template")

    resident.tap_button("燃やすごみの日")
    resident.wait_for_own_text("燃やすごみの日は？")
    assert wait_until(postbacks)[-1] == {"data": "gomi=burnable"}

    push(resident, BUTTONS)
    resident.wait_for_bot_text("ごみの分別を調べる")
    resident.tap_button("粗大ごみ")
    resident.wait_for_own_text("粗大ごみ")
    assert wait_until(lambda: message_events("text"))[-1]["text"] == "粗大ごみ"

    push(resident, BUTTONS)
    resident.wait_for_bot_text("ごみの分別を調べる")
    resident.tap_button("収集日を選ぶ")
    resident.pick_datetime("2025-06-12")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "gomi=date"])[0]["params"] == {
        "date": "2025-06-12"
    }

    push(resident, CONFIRM)
    resident.wait_for_bot_text("予約を確定しますか")
    shot(resident.page, "confirm-template")
    resident.tap_button("はい")
    resident.wait_for_own_text("はい")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "booking=yes"])


def test_template_carousels_render_every_column_and_act(resident, shot):
    push(resident, CAROUSEL)
    resident.wait_for_bot_text("市民プール")
    row = resident.newest_bot_row()
    assert row.get_by_test_id("bubble").count() == 3
    shot(resident.page, "template-carousel")
    row.get_by_test_id("bubble").nth(1).get_by_test_id("action").filter(has_text="予約する").click()
    resident.wait_for_own_text("市民プールを予約")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "facility=pool"])

    push(resident, IMAGE_CAROUSEL)
    resident.page.locator("[data-type=template] .img-col").first.wait_for()
    shot(resident.page, "image-carousel")
    resident.tap_button("豊島公園")
    resident.wait_for_own_text("豊島公園")


def test_flex_bubble_and_carousel_render_their_layout_and_buttons_work(resident, shot):
    push(resident, FLEX_BUBBLE)
    resident.wait_for_bot_text("燃やすごみ")
    bubble = resident.newest_bot_row().get_by_test_id("bubble")
    title = bubble.get_by_text("燃やすごみ", exact=True)
    assert title.evaluate("n => getComputedStyle(n).fontSize") == "35px"
    assert (
        bubble.locator(".flex-header").evaluate("n => getComputedStyle(n.firstChild).backgroundColor")
        == "rgb(6, 199, 85)"
    )
    assert "<b>タグ</b>" in bubble.inner_text()
    shot(resident.page, "flex-bubble")
    resident.tap_button("通知を止める")
    resident.wait_for_own_text("通知を止める")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "gomi=mute"])

    push(resident, FLEX_CAROUSEL)
    resident.wait_for_bot_text("服部緑地 テニスコート")
    row = resident.newest_bot_row()
    bubbles = row.get_by_test_id("bubble")
    assert bubbles.count() == 3
    heights = [bubbles.nth(i).bounding_box()["height"] for i in range(3)]
    assert max(heights) - min(heights) < 1, "carousel bubbles share one height, as in LINE"
    # The horizontal row keeps its label at flex 1 and its value at flex 4.
    label, value = row.get_by_text("場所").first, row.get_by_text("豊中市曽根東町3-7-3")
    assert value.bounding_box()["width"] > 3 * label.bounding_box()["width"]
    shot(resident.page, "flex-carousel")
    bubbles.nth(1).get_by_test_id("action").filter(has_text="予約する").click()
    resident.wait_for_own_text("服部緑地 テニスコートを予約")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "reserve=park"])


def test_quick_replies_show_every_action_type_and_act(resident, shot, tmp_path):
    push(resident, QUICK_REPLY)
    resident.wait_for_bot_text("どの手続き")
    resident.page.get_by_test_id("quick-replies").wait_for()
    shot(resident.page, "quick-replies")
    assert resident.quick_reply_labels() == ["ごみ", "子育て", "日付", "位置情報", "カメラ", "写真", "窓口"]

    resident.tap_quick_reply("位置情報")
    resident.choose_location("豊中市役所")
    location = wait_until(lambda: message_events("location"))[-1]
    assert (location["title"], location["latitude"], location["longitude"]) == (
        "豊中市役所",
        34.7812,
        135.4699,
    )
    resident.wait_for_own_text("豊中市役所")
    # The chips belong to the message they came with; civicline's answer brings its own, if any.
    resident.wait_for_bot_messages(resident.bot_message_count())
    assert "ごみ" not in resident.quick_reply_labels()

    push(resident, QUICK_REPLY)
    resident.wait_for_bot_text("どの手続き")
    shown = resident.bot_message_count()
    resident.tap_quick_reply("日付")
    resident.pick_datetime("2025-07-01")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "topic=date"])[0]["params"] == {
        "date": "2025-07-01"
    }
    resident.wait_for_bot_messages(shown + 1)  # civicline's answer, before the next chips arrive

    push(resident, QUICK_REPLY)
    resident.wait_for_bot_text("どの手続き")
    resident.tap_quick_reply("ごみ")
    resident.wait_for_own_text("ごみについて")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "topic=gomi"])
    assert "ごみ" not in resident.quick_reply_labels()

    # Last: civicline answers a photo in the talk (reports) with chips of its own.
    push(resident, QUICK_REPLY)
    with resident.page.expect_file_chooser() as chooser:
        resident.tap_quick_reply("写真")
    photo = tmp_path / "pothole.png"
    photo.write_bytes(png("#777777"))
    chooser.value.set_files(str(photo))
    wait_until(lambda: message_events("image"))


def test_resident_sends_locations_and_several_images(resident, tmp_path, shot):
    resident.send_location("千里中央駅")
    resident.send_location((34.7551, 135.4720))
    paths = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.png"
        path.write_bytes(png("#336699"))
        paths.append(path)
    resident.send_images(paths)

    locations = wait_until(lambda: len(message_events("location")) == 2 and message_events("location"))
    assert locations[0]["title"] == "千里中央駅"
    assert (locations[1]["latitude"], locations[1]["longitude"]) == (34.7551, 135.472)
    images = wait_until(lambda: len(message_events("image")) == 2 and message_events("image"))
    assert images[0]["imageSet"]["total"] == 2
    own_images = resident.page.locator("[data-kind=user][data-type=image] img")
    own_images.nth(1).wait_for()
    assert own_images.nth(0).evaluate("img => img.complete && img.naturalWidth") == 600
    shot(resident.page, "location-and-images")


def test_script_in_bot_or_resident_text_is_shown_as_text(resident):
    attack = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    push(resident, {"type": "text", "text": attack, "sender": {"name": "<b>職員</b>"}})
    resident.wait_for_bot_text("<script>")
    resident.type_text(attack)
    resident.wait_for_own_text("<img src=x")

    rows = resident.page.locator("[data-testid=bubble-row]").filter(has_text="<script>")
    assert rows.get_by_test_id("bubble").all_inner_texts() == [attack, attack]
    assert resident.page.get_by_test_id("sender").filter(has_text="<b>職員</b>").count() == 1
    assert resident.page.evaluate("window.pwned") is None
    timeline = resident.page.get_by_test_id("timeline")
    assert timeline.locator("script, img[src=x], b").count() == 0


def test_script_urls_in_messages_are_never_followed(resident):
    push(
        resident,
        {
            "type": "template",
            "altText": "x",
            "template": {
                "type": "buttons",
                "thumbnailImageUrl": "javascript:window.pwned=1",
                "text": "リンク",
                "actions": [{"type": "uri", "label": "開く", "uri": "javascript:window.pwned=2"}],
            },
        },
    )
    resident.wait_for_bot_text("リンク")

    resident.tap_button("開く")

    resident.page.get_by_test_id("toast").filter(has_text="開けません").wait_for()
    assert resident.page.evaluate("window.pwned") is None
    assert resident.newest_bot_row().locator("img").count() == 0


def test_uri_actions_open_liff_in_the_phone_and_other_pages_in_a_tab(resident, linesim):
    # Any frameable page stands in for the LIFF app here (the emulator's mailbox).
    liff_page = f"{linesim.base_url}/mailbox"

    def open_link(route: Any) -> None:
        # The emulator's answer for a tapped link (civicline/linesim/links.py): the LIFF view, or the
        # page for the browser.
        url = parse_qs(urlsplit(route.request.url).query)["url"][0]
        if "liff.line.me" in url:
            route.fulfill(json={"liff": {"url": liff_page, "viewType": "tall"}})
        else:
            route.fulfill(json={"url": url, "notice": ""})

    resident.page.route("**/sim/api/users/*/open?*", open_link)
    resident.page.context.route(
        "https://www.city.toyonaka.osaka.jp/**", lambda route: route.fulfill(body="市のサイト")
    )
    push(
        resident,
        {
            "type": "template",
            "altText": "申請",
            "template": {
                "type": "buttons",
                "text": "オンライン申請",
                "actions": [
                    {
                        "type": "uri",
                        "label": "申請フォーム",
                        "uri": "https://liff.line.me/1650000001-testliff/forms/1",
                    },
                    {"type": "uri", "label": "市のサイト", "uri": "https://www.city.toyonaka.osaka.jp/"},
                ],
            },
        },
    )
    resident.wait_for_bot_text("オンライン申請")

    resident.tap_button("申請フォーム")
    overlay = resident.page.get_by_test_id("liff-overlay")
    overlay.wait_for()
    assert overlay.get_attribute("data-view-type") == "tall"
    assert resident.liff_frame().url == liff_page
    resident.close_liff()

    with resident.page.context.expect_page() as tab:
        resident.tap_button("市のサイト")
    assert tab.value.url == "https://www.city.toyonaka.osaka.jp/"


def test_rich_menu_is_drawn_with_its_areas_and_every_area_acts(resident, shot):
    switches: list[dict[str, Any]] = []
    menu = {
        "richMenuId": "richmenu-test",
        "size": {"width": 2500, "height": 1686},
        "selected": True,
        "chatBarText": "メニュー",
        "imageUrl": f"{IMG}/menu.png",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                "action": {"type": "message", "text": "ごみの日"},
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "action": postback("施設予約", "menu=reserve", "予約したい"),
            },
            {
                "bounds": {"x": 0, "y": 843, "width": 2500, "height": 843},
                "action": {
                    "type": "richmenuswitch",
                    "label": "お知らせ",
                    "richMenuAliasId": "tab-2",
                    "data": "tab=2",
                },
            },
        ],
    }
    resident.page.route(
        f"**/sim/api/users/{resident.user_id}/richmenu", lambda route: route.fulfill(json=menu)
    )
    resident.page.route(
        f"**/sim/api/users/{resident.user_id}/richmenu/switch",
        lambda route: (switches.append(route.request.post_data_json), route.fulfill(json={}))[1],
    )

    resident.page.get_by_test_id("richmenu").wait_for()
    assert resident.page.get_by_test_id("richmenu-bar").inner_text().strip() == "メニュー"
    area = resident.page.locator("[data-testid=menu-area][data-index='1']").bounding_box()
    board = resident.page.locator(".richmenu-board").bounding_box()
    assert (
        abs(area["width"] - board["width"] / 2) < 1.5
        and abs(area["x"] - (board["x"] + board["width"] / 2)) < 1.5
    )
    shot(resident.page, "rich-menu-open")

    resident.tap_menu_area(0)
    resident.wait_for_own_text("ごみの日")
    resident.tap_menu_area(1)
    resident.wait_for_own_text("予約したい")
    assert wait_until(lambda: [p for p in postbacks() if p["data"] == "menu=reserve"])
    resident.tap_menu_area(2)
    wait_until(lambda: switches)
    assert switches == [{"richMenuAliasId": "tab-2", "data": "tab=2"}]

    resident.page.get_by_test_id("richmenu-bar").click()
    assert resident.page.get_by_test_id("richmenu").is_hidden()


def test_block_and_unfollow_change_the_account_relationship(resident, linesim):
    resident.block()
    assert linesim.client.user(resident.user_id)["blocked"] is True
    assert resident.page.get_by_test_id("composer-input").is_disabled()

    resident.follow()
    assert linesim.client.user(resident.user_id)["following"] is True
    resident.unfollow()
    user = linesim.client.user(resident.user_id)
    assert (user["following"], user["blocked"]) == (False, False)
    assert wait_until(lambda: WebhookEvent.objects.filter(event_type="unfollow").count() == 2)


def test_mailbox_lists_sent_mail_and_shows_the_body_as_text(linesim, linesim_smtp, new_page, shot):
    django_mail.send_mail(
        "【豊中市】粗大ごみ収集の受付",
        "山田様\n\n受付番号 A-123\n<script>alert(1)</script>",
        "noreply@city.example",
        ["kankyo@city.example"],
    )
    django_mail.send_mail(
        "施設予約の確認", "予約を受け付けました。", "noreply@city.example", ["resident@example.jp"]
    )

    page = new_page(width=1100, height=700)
    page.goto(f"{linesim.base_url}/mailbox")
    rows = page.get_by_test_id("mail-row")
    assert rows.count() == 2
    assert rows.first.get_by_test_id("mail-subject").inner_text() == "施設予約の確認"
    rows.nth(1).click()
    body = page.get_by_test_id("mail-body")
    assert "<script>alert(1)</script>" in body.inner_text()
    assert page.locator("[data-testid=mail-body] script").count() == 0
    shot(page, "mailbox")


def line_api(linesim: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}", **kwargs.pop("headers", {})}
    response = requests.request(method, f"{linesim.base_url}{path}", headers=headers, timeout=10, **kwargs)
    assert response.ok, response.text
    return response


def make_tab_menu(linesim: Any, tab: str, other: str) -> str:
    """One tab of a two-tab menu: a message tile, and a tile that switches to the other tab."""
    body = {
        "size": {"width": 2500, "height": 1686},
        "selected": True,
        "name": f"tab {tab}",
        "chatBarText": f"メニュー{tab.upper()}",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                "action": {"type": "message", "text": "ごみの日"},
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "action": {
                    "type": "richmenuswitch",
                    "richMenuAliasId": f"tab-{other}",
                    "data": f"tab={other}",
                },
            },
            {
                "bounds": {"x": 0, "y": 843, "width": 2500, "height": 843},
                "action": postback("お知らせ", "menu=news"),
            },
        ],
    }
    menu_id = line_api(linesim, "POST", "/v2/bot/richmenu", json=body).json()["richMenuId"]
    labels = ["ごみの日", f"→ {other.upper()}", f"タブ {tab.upper()}"]
    line_api(
        linesim,
        "POST",
        f"/v2/bot/richmenu/{menu_id}/content",
        data=menu_png(labels),
        headers={"Content-Type": "image/png"},
    )
    line_api(
        linesim,
        "POST",
        "/v2/bot/richmenu/alias",
        json={"richMenuAliasId": f"tab-{tab}", "richMenuId": menu_id},
    )
    return menu_id


def test_tapping_a_menu_tab_switches_to_the_aliased_menu_and_tells_civicline(resident, linesim, shot):
    tab_a, tab_b = make_tab_menu(linesim, "a", "b"), make_tab_menu(linesim, "b", "a")
    line_api(linesim, "POST", f"/v2/bot/user/all/richmenu/{tab_a}")
    board = resident.page.locator(".richmenu-board")
    board.and_(resident.page.locator(f"[data-menu-id='{tab_a}']")).wait_for()
    assert resident.page.get_by_test_id("richmenu").is_visible(), "a selected menu opens by itself"

    resident.tap_menu_area(1)

    resident.page.locator(f".richmenu-board[data-menu-id='{tab_b}']").wait_for()
    assert resident.page.get_by_test_id("richmenu-bar").inner_text().strip() == "メニューB"
    switch = wait_until(lambda: [p for p in postbacks() if p["data"] == "tab=b"])[0]
    assert switch["params"] == {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"}
    shot(resident.page, "rich-menu-tab-b")
    resident.tap_menu_area(0)
    resident.wait_for_own_text("ごみの日")


def test_the_phone_reports_opens_and_link_clicks_for_insight(resident, linesim):
    resident.page.context.route(
        "https://www.city.toyonaka.osaka.jp/**", lambda route: route.fulfill(body="市")
    )
    push(resident, BUTTONS)
    message_id = resident.newest_bot_row().get_attribute("data-message-id")

    with resident.page.context.expect_page():
        resident.tap_button("市のホームページ")

    events = wait_until(
        lambda: (
            len(InsightEvent.objects.filter(message_id=message_id)) == 2
            and InsightEvent.objects.filter(message_id=message_id)
        )
    )
    assert {(e.kind, e.url) for e in events} == {
        ("open", ""),
        ("click", "https://www.city.toyonaka.osaka.jp/"),
    }
