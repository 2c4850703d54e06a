"""The talk side of the shelter search (MP-4): a location in, the nearest open shelters out."""

import uuid

import pytest

from civicline.facilities import services
from civicline.facilities.models import Shelter
from tests.facilities.factories import CITY_HALL, shelter_at
from tests.fixtures.line import postback_event, text_event

pytestmark = pytest.mark.django_db


def location_event(user_id, latitude, longitude):
    event = text_event(user_id, "")
    event["message"] = {
        "id": str(uuid.uuid4().int)[:18],
        "type": "location",
        "title": "現在地",
        "address": "大阪府豊中市",
        "latitude": latitude,
        "longitude": longitude,
    }
    return event


def bubbles(messages):
    (message,) = messages
    assert message["type"] == "flex" and message["contents"]["type"] == "carousel"
    return message["contents"]["contents"]


def bubble_name(bubble):
    return bubble["body"]["contents"][0]["text"]


def test_mp4_location_gets_the_nearest_open_shelters_as_a_carousel(reply_to):
    shelter_at("第二中学校", 1200)
    first = shelter_at("第一小学校", -250)
    shelter_at("閉鎖中の公民館", 50, status=Shelter.Status.CLOSED)

    messages = reply_to(location_event("U1", *CITY_HALL))

    cards = bubbles(messages)
    assert [bubble_name(b) for b in cards] == ["第一小学校", "第二中学校"]
    status, distance = cards[0]["body"]["contents"][1]["contents"]
    assert status["text"] == "開設中" and distance["text"] == "現在地から約 250 m"
    route, map_link = (c["action"]["uri"] for c in cards[0]["footer"]["contents"])
    assert route.startswith("https://www.google.com/maps/dir/?api=1&destination=34.")
    assert map_link == f"https://liff.line.me/1650000001-testliff/facilities/?facility={first.facility.pk}&lang=ja"
    assert "第一小学校（250 m）" in messages[0]["altText"]


def test_mp4_a_shelter_closed_by_staff_is_skipped_at_the_next_search(reply_to, staff_user):
    near = shelter_at("第一小学校", 100, department=staff_user.department)
    shelter_at("第二中学校", 800, department=staff_user.department)
    assert bubble_name(bubbles(reply_to(location_event("U1", *CITY_HALL)))[0]) == "第一小学校"

    services.shelter_status_set(shelter=near, status=Shelter.Status.CLOSED, actor=staff_user)

    assert [bubble_name(b) for b in bubbles(reply_to(location_event("U1", *CITY_HALL)))] == ["第二中学校"]


def test_mp4_no_open_shelter_says_so_with_the_disaster_kind_and_a_map_link(reply_to, staff_user):
    shelter_at("地震用の公園", 100, kinds=["earthquake"], department=staff_user.department)
    services.disaster_kind_set(kind="flood", actor=staff_user)

    (message,) = reply_to(location_event("U1", *CITY_HALL))

    assert message["type"] == "text"
    assert message["text"].startswith(
        "お近くに開設中の避難所はありません。災害種別「洪水」に対応した避難先です。"
    )
    (item,) = message["quickReply"]["items"]
    assert item["action"]["uri"] == "https://liff.line.me/1650000001-testliff/facilities/?lang=ja"


def test_mp3_map_link_is_the_site_url_without_a_liff_app(reply_to, settings):
    settings.LIFF_ID, settings.SITE_URL = "", "https://line.city.example.jp"
    shelter = shelter_at("第一小学校", 100)

    (card,) = bubbles(reply_to(location_event("U1", *CITY_HALL)))

    link = card["footer"]["contents"][1]["action"]["uri"]
    assert link == f"https://line.city.example.jp/liff/facilities/?facility={shelter.facility.pk}&lang=ja"


def test_mp4_nearest_shelter_button_asks_for_the_location(reply_to):
    (message,) = reply_to(postback_event("U1", "feature=facilities&action=nearest"))

    assert "位置情報を送る" in message["text"]
    actions = [item["action"] for item in message["quickReply"]["items"]]
    assert actions[0] == {"type": "location", "label": "位置情報を送る"}
    assert actions[1]["type"] == "uri"


def test_mp4_a_location_another_feature_took_is_left_alone(reply_to, line_registry):
    shelter_at("第一小学校", 100)

    def photo_report(ctx):
        ctx.reply("通報の場所を受け付けました。")

    line_registry.on_event("message", photo_report)

    messages = reply_to(location_event("U1", *CITY_HALL))

    assert [m["text"] for m in messages] == ["通報の場所を受け付けました。"]


def test_mp4_text_messages_are_not_taken_for_locations(reply_to):
    shelter_at("第一小学校", 100)

    (message,) = reply_to(text_event("U1", "避難所はどこ？"))

    # Asked in words, the bot asks for the location rather than guessing where the resident is.
    assert message["type"] == "text" and "第一小学校" not in message["text"]
    assert message["quickReply"]["items"][0]["action"]["type"] == "location"


# --- emergencies come before every other flow (X-14, MP-4) ----------------------------------------


@pytest.fixture
def in_conversation(db):
    """A resident in the middle of a talk conversation with a department's staff."""
    from tests.conversations.factories import ConversationFactory
    from tests.fixtures.line import FriendFactory

    friend = FriendFactory(user_id="U" + "c" * 32)
    return ConversationFactory(friend=friend, topic__department__name="市民課")


@pytest.fixture
def emergency(system_admin):
    services.disaster_kind_set(kind="flood", actor=system_admin)


def test_in_an_emergency_a_location_sent_during_a_staff_conversation_gets_shelters(
    reply_to, in_conversation, emergency
):
    shelter_at("第一小学校", 100, kinds=["flood"])

    messages = reply_to(location_event(in_conversation.friend.user_id, *CITY_HALL))

    carousel, notice = messages
    assert [bubble_name(b) for b in bubbles([carousel])] == ["第一小学校"]
    # The resident is told the conversation goes on and how to leave it; staff still get the location.
    assert "市民課の担当者とのご相談" in notice["text"] and "相談を終える" in notice["text"]
    assert in_conversation.messages.filter(kind="location").count() == 1


def test_in_an_emergency_asking_for_shelters_during_a_staff_conversation_asks_for_the_location(
    reply_to, in_conversation, emergency
):
    prompt, notice = reply_to(text_event(in_conversation.friend.user_id, "近くの避難所"))

    assert "現在地" in prompt["text"] and "ご相談" in notice["text"]
    # LINE shows the last message's quick reply only: the location button must be on the notice.
    actions = [item["action"] for item in notice["quickReply"]["items"]]
    assert [a["type"] for a in actions] == ["location", "uri", "postback"]
    assert actions[-1]["label"] == "相談を終える"


def test_outside_an_emergency_a_location_during_a_conversation_is_for_the_staff(reply_to, in_conversation):
    shelter_at("第一小学校", 100)

    messages = reply_to(location_event(in_conversation.friend.user_id, *CITY_HALL))

    assert in_conversation.messages.filter(kind="location").count() == 1
    assert [m["type"] for m in messages] == ["text"]  # 担当者にお届けしました, no shelter list
    assert "担当者にお届けしました" in messages[0]["text"]
