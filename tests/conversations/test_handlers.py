"""The talk side (issue 10): asking for a person, choosing a topic, the conversation capturing what
the resident sends (text, image, location) instead of the chatbot, out-of-hours answers, ending."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from civicline.chatbot.models import QuestionLog
from civicline.conversations.models import Conversation, Message
from tests.conversations.factories import TopicFactory
from tests.fixtures.line import post_webhook, postback_event, text_event

pytestmark = pytest.mark.django_db

USER = "U" + "1" * 32
OTHER = "U" + "2" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


@pytest.fixture
def send(client, run_on_commit, fake_line_api):
    """Send one event as LINE would; return the reply's messages ([] when nothing was replied)."""

    def send(event):
        before = len(fake_line_api.replies)
        with run_on_commit():
            assert post_webhook(client, [event]).status_code == 200
        if len(fake_line_api.replies) == before:
            return []
        return fake_line_api.replies[-1].body["messages"]

    return send


@pytest.fixture
def general(department):
    return TopicFactory(department=department, name="住民票・証明書", is_personal=False, order=1)


@pytest.fixture
def personal(department):
    return TopicFactory(department=department, name="子育ての悩み相談", is_personal=True, order=2)


def items(message):
    return [item["action"] for item in message.get("quickReply", {}).get("items", [])]


def choose(send, topic, user=USER):
    return send(postback_event(user, f"feature=conversations&action=topic&topic={topic.pk}"))


def image_event(user, message_id):
    event = text_event(user, "x")
    event["message"] = {
        "id": message_id,
        "type": "image",
        "contentProvider": {"type": "line"},
        "quoteToken": "q" + message_id,
    }
    return event


def location_event(user):
    event = text_event(user, "x")
    event["message"] = {
        "id": "55501",
        "type": "location",
        "title": "不法投棄の場所",
        "address": "大阪府豊中市中桜塚3丁目",
        "latitude": 34.7812,
        "longitude": 135.4699,
    }
    return event


@pytest.mark.parametrize(
    "text", ["職員と話したい", "担当者", "人と話したい！", "オペレーター", "職員に相談したいです"]
)
def test_asking_for_a_person_offers_the_topics(send, general, personal, text):
    (message,) = send(text_event(USER, text))

    actions = items(message)
    assert [a["label"] for a in actions] == ["住民票・証明書", "子育ての悩み相談"]
    assert parse_qs(actions[0]["data"]) == {
        "feature": ["conversations"],
        "action": ["topic"],
        "topic": [str(general.pk)],
    }
    assert not QuestionLog.objects.exists()  # the chatbot was not asked


def test_a_question_about_staff_is_still_the_chatbots(send, general):
    send(text_event(USER, "担当者の電話番号を教えてください"))

    assert not Conversation.objects.exists()


def test_the_menu_tile_postback_offers_the_topics_too(send, general):
    (message,) = send(postback_event(USER, "feature=conversations&action=start"))

    assert [a["label"] for a in items(message)] == ["住民票・証明書"]


def test_a_general_topic_opens_a_conversation_in_the_talk(send, general):
    (message,) = choose(send, general)

    conversation = Conversation.objects.get()
    assert conversation.channel == "talk" and conversation.department == general.department
    assert conversation.receipt_number in message["text"] and "受付時間" in message["text"]
    assert "個人情報" in message["text"]
    assert [a["label"] for a in items(message)] == ["相談を終える"]


def test_a_personal_topic_goes_to_the_page_and_nothing_opens_in_the_talk(send, personal, settings):
    (message,) = choose(send, personal)

    assert message["type"] == "flex" and not Conversation.objects.exists()
    uri = message["contents"]["footer"]["contents"][0]["action"]["uri"]
    assert uri == f"https://liff.line.me/{settings.LIFF_ID}/conversations/t/{personal.pk}/"


def test_an_inactive_topic_is_not_opened(send, general):
    general.is_active = False
    general.save()

    (message,) = choose(send, general)

    assert "受け付けていません" in message["text"] and not Conversation.objects.exists()


def test_while_open_texts_go_to_the_conversation_not_the_chatbot(send, general, fake_line_api):
    choose(send, general)

    first = send(text_event(USER, "住民票はコンビニで取れますか"))
    second = send(text_event(USER, "職員と話したい"))

    assert "担当者にお届けしました" in first[0]["text"]
    assert second == []  # no reply for every message; staff answer
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.all()] == ["住民票はコンビニで取れますか", "職員と話したい"]
    assert not QuestionLog.objects.exists()


def test_another_residents_texts_are_not_captured(send, general):
    choose(send, general)

    send(text_event(OTHER, "住民票はコンビニで取れますか"))

    assert not Message.objects.exists()


def test_images_are_copied_out_of_line_and_locations_kept(send, general, fake_line_api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake_line_api.contents["44401"] = (JPEG, "image/jpeg")
    choose(send, general)

    send(image_event(USER, "44401"))
    send(location_event(USER))

    image, location = Conversation.objects.get().messages.order_by("pk")
    assert image.kind == "image" and image.content.content_type == "image/jpeg"
    assert image.content.user_id == USER
    assert location.kind == "location" and location.location["title"] == "不法投棄の場所"


def test_an_image_line_cannot_give_yet_is_kept_and_fetched_later(
    send, general, fake_line_api, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    choose(send, general)
    fake_line_api.respond("/v2/bot/message/44402/content", 500, times=10)

    send(image_event(USER, "44402"))

    message = Message.objects.get()
    assert message.kind == "image" and message.content is None  # kept; the worker tries again


def test_out_of_hours_the_resident_is_told_when_staff_will_read(send, department, fake_line_api):
    closed = TopicFactory(department=department, name="夜は閉まる相談", hours={"5": [["10:00", "10:01"]]})
    choose(send, closed)

    (answer,) = send(text_event(USER, "夜分にすみません"))
    again = send(text_event(USER, "もう一つ"))

    assert "受付時間外" in answer["text"] and "次の受付開始は" in answer["text"]
    assert again == []
    assert list(Message.objects.values_list("author", flat=True)) == ["resident", "auto", "resident"]


def test_ending_returns_the_talk_to_the_chatbot(send, general):
    (started,) = choose(send, general)
    end = next(a for a in items(started) if a["label"] == "相談を終える")

    (ended,) = send(postback_event(USER, end["data"]))
    send(text_event(USER, "住民票"))

    conversation = Conversation.objects.get()
    assert "終了しました" in ended["text"] and conversation.status == "closed"
    assert conversation.messages.filter(author="resident").count() == 0


def test_typing_that_one_ends_also_ends(send, general):
    choose(send, general)

    (ended,) = send(text_event(USER, "相談を終える"))

    assert "終了しました" in ended["text"] and Conversation.objects.get().status == "closed"


def test_an_old_end_button_does_not_end_a_newer_conversation(send, general):
    choose(send, general)
    old = Conversation.objects.get()
    send(text_event(USER, "相談を終える"))
    choose(send, general)

    (reply,) = send(postback_event(USER, f"feature=conversations&action=end&c={old.receipt_number}"))

    assert "続いているご相談はありません" in reply["text"]
    assert Conversation.objects.exclude(pk=old.pk).get().status == "new"


def test_another_general_topic_while_one_is_open_is_refused_politely(send, general, department):
    other = TopicFactory(department=department, name="ごみの出し方", is_personal=False)
    choose(send, general)

    (reply,) = choose(send, other)

    assert "住民票・証明書" in reply["text"] and "続いています" in reply["text"]
    assert Conversation.objects.count() == 1


def test_after_a_long_silence_the_resident_is_reminded_they_are_talking_to_staff(send, general):
    """X-14: a resident who comes back to the talk later and asks the bot something is not met with
    silence; they learn their words go to the department and how to leave the conversation."""
    choose(send, general)
    send(text_event(USER, "住民票はコンビニで取れますか"))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_resident_message_at=timezone.now() - timedelta(minutes=45)
    )

    (reminder,) = send(text_event(USER, "ぺっとぼとる"))

    assert "担当者とのご相談" in reminder["text"] and conversation.receipt_number in reminder["text"]
    assert {"type": "postback", "label": "相談を終える"}.items() <= items(reminder)[0].items()
    assert send(text_event(USER, "ペットボトルの捨て方")) == []  # not after every message
