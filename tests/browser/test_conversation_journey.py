"""A resident asks for a person on the emulator's phone; staff of the right department answer from
the inbox; the resident sees the reply on the phone, a second resident sees nothing, and another
department's staff cannot open the conversation (issue 10; PH-4, PH-5, X-1, X-4)."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from PIL import Image

from civicline.conversations import services
from civicline.conversations.models import Conversation
from tests.conversations.factories import CannedReplyFactory, TopicFactory
from tests.fixtures.core import StaffFactory
from tests.fixtures.linesim import linesim_db

CANNED = "マイナンバーカードがあれば、全国のコンビニで住民票の写しを取得できます（6:30〜23:00）。"


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames the LIFF page on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


def png(path):
    buffer = BytesIO()
    Image.new("RGB", (320, 240), "#c8e6c9").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def delivered_text(linesim, user_id: str) -> str:
    return json.dumps(linesim.client.messages_for(user_id), ensure_ascii=False)


def confirm_and_send(console, conversation: Conversation) -> None:
    console.get_by_text("送信先の確認").wait_for()
    console.fill("input[name=confirmed_receipt_number]", conversation.receipt_number)
    console.click("#cv-confirm-send")


@linesim_db
def test_a_resident_asks_for_a_person_and_the_right_department_answers_in_the_talk(
    liff_site,
    linesim,
    phone,
    staff_browser,
    live_server,
    department,
    other_department,
    settings,
    tmp_path,
    shot,
):
    settings.MEDIA_ROOT = tmp_path
    TopicFactory(department=department, name="住民票・証明書", is_personal=False, order=1)
    TopicFactory(department=other_department, name="ごみの出し方", is_personal=False, order=2)
    CannedReplyFactory(department=department, title="コンビニ交付", body=CANNED)
    staff = StaffFactory(department=department, display_name="市民 花子")
    outsider = StaffFactory(department=other_department, display_name="環境 一郎")
    photo = png(tmp_path / "juminhyo.png")

    hanako = phone("豊中 はなこ")
    hanako.follow()
    taro = phone("豊中 たろう")
    taro.follow()

    # The resident asks for a person and chooses a topic: the talk now goes to 市民課.
    hanako.type_text("職員と話したい")
    hanako.wait_for_bot_text("ご相談の内容を下のボタンから選んでください")
    assert hanako.quick_reply_labels() == ["住民票・証明書", "ごみの出し方"]
    shot(hanako.page, "topics")
    hanako.tap_quick_reply("住民票・証明書")
    hanako.wait_for_bot_text("受付番号")
    conversation = Conversation.objects.get()
    assert conversation.department == department
    hanako.type_text("住民票をコンビニで取ることはできますか？")
    hanako.wait_for_bot_text("担当者にお届けしました")
    hanako.send_images([photo])
    hanako.send_location("豊中市役所")
    shot(hanako.page, "asked")

    # Staff of 市民課 find it in the inbox and open it.
    console = staff_browser(staff)
    console.goto(f"{live_server.url}/console/conversations/")
    console.get_by_text(conversation.receipt_number).wait_for()
    shot(console, "inbox")
    console.click(f"text={conversation.receipt_number}")
    console.get_by_text("住民票をコンビニで取ることはできますか？").wait_for()
    console.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert "豊中市役所" in console.inner_text("#cv-messages")

    # A new message appears without reloading the page.
    hanako.type_text("マイナンバーカードは持っています")
    console.locator("#cv-messages").get_by_text("マイナンバーカードは持っています").wait_for(timeout=15_000)
    shot(console, "conversation")

    # A canned reply, the receipt-number confirmation (PH-5), then the reply is on its way.
    console.select_option("#cv-canned", label="コンビニ交付")
    assert console.input_value("#id_text") == CANNED
    console.click("#cv-send")
    shot(console, "confirm")
    confirm_and_send(console, conversation)
    console.locator(".cv-staff").get_by_text("全国のコンビニで").wait_for()
    shot(console, "replied")

    hanako.wait_for_bot_text("全国のコンビニで住民票の写しを取得できます")
    shot(hanako.page, "reply-on-the-phone")

    # The second resident received nothing of it.
    assert "コンビニ" not in delivered_text(linesim, taro.user_id)
    assert "コンビニ" not in " ".join(taro.last_bubbles(20))
    shot(taro.page, "second-resident")

    # Another department's staff cannot open it, nor see it in their inbox.
    other = staff_browser(outsider)
    response = other.goto(f"{live_server.url}/console/conversations/{conversation.pk}/")
    assert response.status == 404
    other.goto(f"{live_server.url}/console/conversations/?status=all")
    assert conversation.receipt_number not in other.content()
    shot(other, "other-department-inbox")

    # Done: the resident is told, and the talk goes back to the chatbot.
    console.click("text=「完了」にする")
    console.get_by_text("状態を「完了」にしました").wait_for()
    hanako.wait_for_bot_text("対応を終了しました")
    shot(hanako.page, "finished")

    # The department's settings: topics with their hours, canned replies.
    console.goto(f"{live_server.url}/console/conversations/topics/")
    shot(console, "topics")
    console.click("text=編集")
    console.get_by_label("受付時間（月曜日）").wait_for()
    shot(console, "topic-form")
    console.goto(f"{live_server.url}/console/conversations/canned/")
    shot(console, "canned-replies")


@linesim_db
def test_a_personal_topic_is_talked_about_on_the_liff_page_only(
    liff_site, linesim, phone, staff_browser, live_server, department, monkeypatch, settings, tmp_path, shot
):
    settings.MEDIA_ROOT = tmp_path
    topic = TopicFactory(department=department, name="子育ての悩み相談", is_personal=True)
    staff = StaffFactory(department=department, display_name="子育 さくら")
    # The page counts as closed two seconds after its last poll (instead of 30), so the test need not wait.
    monkeypatch.setattr(services, "PAGE_OPEN_SECONDS", 2)

    hanako = phone("豊中 はなこ")
    hanako.follow()
    hanako.type_text("職員と話したい")
    hanako.tap_quick_reply("子育ての悩み相談")
    hanako.wait_for_bot_text("専用の画面でお伺いします")
    shot(hanako.page, "personal-topic")
    assert not Conversation.objects.exists()

    hanako.tap_button("専用画面で相談する")
    frame = hanako.liff_frame()
    frame.wait_for_selector("#cv-start", timeout=15_000)
    frame.fill("textarea[name=text]", "夜泣きが続いて、私も眠れていません")
    shot(hanako.page, "liff-start")
    frame.click("#cv-start")
    frame.wait_for_selector("text=夜泣きが続いて、私も眠れていません")
    conversation = Conversation.objects.get(topic=topic)
    assert conversation.channel == "liff"
    frame.set_input_files("input[name=photo]", str(png(tmp_path / "boshi.png")))
    frame.click("#cv-send")
    frame.wait_for_selector("img.cv-image")

    # Staff answer while the page is open: the reply appears there, LINE carries nothing.
    console = staff_browser(staff)
    console.goto(f"{live_server.url}/console/conversations/{conversation.pk}/")
    console.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shot(console, "liff-conversation-in-the-console")
    console.fill("#id_text", "お話を聞かせてください。夜は何回くらい起きますか？")
    console.click("#cv-send")
    confirm_and_send(console, conversation)
    frame.wait_for_selector("text=夜は何回くらい起きますか", timeout=15_000)
    shot(hanako.page, "liff-reply")

    # With the page closed, the next reply is announced in the talk, without its words.
    hanako.close_liff()
    console.wait_for_timeout(2500)
    console.fill("#id_text", "面談もできますので、ご希望があればお知らせください。")
    console.click("#cv-send")
    hanako.wait_for_bot_text("返信がありました")
    shot(hanako.page, "notice-in-the-talk")
    talk = delivered_text(linesim, hanako.user_id)
    assert "夜泣き" not in talk and "面談" not in talk and conversation.receipt_number in talk
    hanako.tap_button("返信を見る")
    frame = hanako.liff_frame()
    frame.wait_for_selector("text=面談もできますので", timeout=15_000)
    shot(hanako.page, "liff-after-notice")
    frame.goto(frame.url.split("/conversations/")[0] + "/conversations/")
    frame.wait_for_selector(f"[data-receipt='{conversation.receipt_number}']")
    shot(hanako.page, "liff-my-conversations")
