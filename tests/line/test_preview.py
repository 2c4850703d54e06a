"""Staff preview (X-11): drafts go to the caller's department's test devices only, audited."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from civicline.core.models import AuditEntry
from civicline.line import preview
from civicline.line.models import OutboundSend, PreviewRecipient
from civicline.line.phone import phone_url
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory
from tests.fixtures.linesim import linesim_db

BUBBLE = {
    "type": "bubble",
    "body": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {"type": "text", "text": "子育て応援フェア", "weight": "bold", "size": "xl"},
            {"type": "text", "text": "11月30日（土）市民会館", "size": "sm", "color": "#666666"},
        ],
    },
    "footer": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {"type": "button", "style": "primary", "action": {"type": "uri", "label": "詳しく見る",
                                                               "uri": "https://city.example.jp/fair"}}
        ],
    },
}
FLEX = {"type": "flex", "altText": "子育て応援フェアのお知らせ", "contents": BUBBLE}


def make_recipient(department, *, label="田中のiPhone", user_id=None, owner=None, **friend):
    friend = FriendFactory(**({"user_id": user_id} if user_id else {}), **friend)
    return PreviewRecipientFactory(
        department=department, friend=friend, label=label, **({"owner": owner} if owner else {})
    )


# --- drafts -----------------------------------------------------------------------------------------


def test_plain_text_is_one_text_message():
    assert preview.draft_messages_parse("  明日は燃えるごみの日です  ") == [
        {"type": "text", "text": "明日は燃えるごみの日です"}
    ]


def test_a_flex_message_is_sent_as_written():
    assert preview.draft_messages_parse(json.dumps(FLEX)) == [FLEX]


def test_a_bubble_pasted_from_the_flex_simulator_becomes_a_flex_message_with_the_alt_text():
    (message,) = preview.draft_messages_parse(json.dumps(BUBBLE), alt_text="フェアのお知らせ")

    assert message == {"type": "flex", "altText": "フェアのお知らせ", "contents": BUBBLE}


def test_a_list_of_up_to_five_messages_is_accepted():
    draft = json.dumps([{"type": "text", "text": "1"}, FLEX])

    assert [m["type"] for m in preview.draft_messages_parse(draft)] == ["text", "flex"]


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        ("", "メッセージを入力してください"),
        ('{"type": "flex",\n "altText": "x", }', "JSONとして読み取れません（2行目"),
        ('{"type": "nope"}', "メッセージの種類（type: \"nope\"）はLINEにありません"),
        ("{}", "メッセージの種類"),
        ('{"type": "text"}', "TextMessageの「text」がありません"),
        (json.dumps({"type": "bubble", "body": {"type": "box", "contents": []}}), "FlexBoxの「layout」が"),
        (json.dumps({**BUBBLE, "body": {**BUBBLE["body"], "contents": [{"type": "txt"}]}}), "中の要素の種類"),
        (json.dumps([{"type": "text", "text": str(i)} for i in range(6)]), "1〜5件"),
        ("[]", "1〜5件"),
        ('["text"]', "1件目がメッセージのオブジェクト"),
        ("あ" * 5001, "5000文字まで"),
    ],
    ids=["empty", "bad-json", "unknown-type", "no-type", "text-without-text", "box-without-layout",
         "unknown-component", "six-messages", "no-messages", "not-an-object", "too-long"],
)
def test_a_bad_draft_gets_a_clear_japanese_error(draft, message):
    with pytest.raises(ValidationError) as caught:
        preview.draft_messages_parse(draft)

    assert message in " ".join(caught.value.messages)


# --- the phone link ----------------------------------------------------------------------------------


def test_the_phone_link_follows_the_emulator_and_is_hidden_with_real_line(settings):
    settings.LINESIM_PHONE_URL = ""
    settings.LINE_API_BASE_URL = "http://127.0.0.1:8001"
    assert phone_url("Uabc") == "http://127.0.0.1:8001/?user=Uabc"

    settings.LINE_API_BASE_URL = "https://api.line.me"
    assert phone_url("Uabc") == ""

    settings.LINESIM_PHONE_URL = "https://linesim.example.jp/"
    assert phone_url("Uabc") == "https://linesim.example.jp/?user=Uabc"


# --- test recipients ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_department_sees_and_removes_only_its_own_test_devices(
    staff_user, other_staff_user, staff_client, console_client
):
    mine = make_recipient(staff_user.department, label="子育て課の端末", owner=staff_user)
    theirs = make_recipient(other_staff_user.department, label="環境課の端末")

    page = staff_client.get("/console/preview/devices/").content.decode()
    assert "子育て課の端末" in page and "環境課の端末" not in page

    assert staff_client.post(f"/console/preview/devices/{theirs.pk}/delete/").status_code == 404
    assert PreviewRecipient.objects.filter(pk=theirs.pk).exists()

    assert staff_client.post(f"/console/preview/devices/{mine.pk}/delete/").status_code == 302
    assert not PreviewRecipient.objects.filter(pk=mine.pk).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE, target_id=str(mine.pk)).exists()


# --- sending a preview --------------------------------------------------------------------------------


@pytest.fixture
def device(linesim, staff_user):
    user = linesim.client.create_user("田中（テスト端末）")
    linesim.client.follow(user["userId"])
    return make_recipient(
        staff_user.department, user_id=user["userId"], display_name="田中（テスト端末）", owner=staff_user
    )


@linesim_db
def test_a_flex_draft_reaches_the_test_device_audited_with_a_link_to_the_phone(
    linesim, device, staff_user, staff_client
):
    response = staff_client.post(
        "/console/preview/", {"recipient": device.pk, "message": json.dumps(BUBBLE), "alt_text": "お知らせ"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "送信しました" in body
    assert f"{linesim.base_url}/?user={device.friend.user_id}" in body
    assert "テスト端末で開く" in body
    (delivered,) = linesim.client.messages_for(device.friend.user_id)
    assert delivered["message"]["type"] == "flex"
    assert delivered["message"]["contents"] == BUBBLE
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SEND)
    assert entry.actor == staff_user
    assert entry.department == staff_user.department
    assert entry.changes["message_types"] == ["flex"]
    assert entry.changes["owner"] == staff_user.pk and "所有者：田中 花子" in entry.summary


@linesim_db
def test_a_bad_draft_is_shown_with_its_error_and_nothing_is_sent(linesim, device, staff_client):
    response = staff_client.post("/console/preview/", {"recipient": device.pk, "message": '{"type": "flex"'})

    assert "JSONとして読み取れません" in response.content.decode()
    assert not OutboundSend.objects.exists()
    assert linesim.client.messages_for(device.friend.user_id) == []
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SEND).exists()


@linesim_db
def test_another_departments_test_device_cannot_be_sent_to(linesim, device, other_staff_user, console_client):
    make_recipient(other_staff_user.department, label="環境課の端末")
    other = console_client(other_staff_user)

    response = other.post("/console/preview/", {"recipient": device.pk, "message": "こんにちは"})

    assert response.status_code == 200
    assert "正しく選択してください" in response.content.decode()
    assert linesim.client.messages_for(device.friend.user_id) == []
    with pytest.raises(Http404):
        preview.preview_message_send(actor=other_staff_user, recipient_id=device.pk, messages=["x"])
    assert not OutboundSend.objects.exists()


@linesim_db
def test_a_preview_never_reaches_a_friend_who_is_not_a_test_device(linesim, device, staff_user, staff_client):
    resident = linesim.client.create_user("住民 さん")
    linesim.client.follow(resident["userId"])
    friend = FriendFactory(user_id=resident["userId"])

    # Whatever id the request names, only a registered test recipient of the caller's department is used.
    for recipient in (friend.pk, resident["userId"], device.pk + 1000):
        staff_client.post("/console/preview/", {"recipient": recipient, "message": "下書き"})
        with pytest.raises(Http404):
            preview.preview_message_send(actor=staff_user, recipient_id=friend.pk + 1000, messages=[])

    assert linesim.client.messages_for(resident["userId"]) == []
    assert not OutboundSend.objects.exists()


@linesim_db
def test_a_draft_line_refuses_is_reported_to_staff(linesim, device, staff_client):
    # The SDK's model takes an empty text; LINE (and the emulator) refuses it.
    draft = json.dumps({"type": "text", "text": ""})

    response = staff_client.post("/console/preview/", {"recipient": device.pk, "message": draft})

    body = response.content.decode()
    assert "LINEが受け付けませんでした" in body
    assert linesim.client.messages_for(device.friend.user_id) == []


@pytest.mark.django_db
def test_the_preview_page_is_in_the_console_navigation_and_asks_for_a_device_first(staff_client):
    page = staff_client.get("/console/preview/").content.decode()

    assert "プレビュー（テスト端末）" in page
    assert "テスト端末を追加" in page


@linesim_db
def test_a_colleagues_device_is_previewed_to_and_the_audit_names_its_owner(
    linesim, device, staff_user, console_client
):
    colleague = StaffFactory(department=staff_user.department, display_name="山田 次郎")

    console_client(colleague).post("/console/preview/", {"recipient": device.pk, "message": "下書き"})

    entry = AuditEntry.objects.get(action=AuditEntry.Action.SEND)
    assert entry.actor == colleague
    assert entry.changes["owner"] == staff_user.pk and "田中 花子" in entry.summary
