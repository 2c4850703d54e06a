"""Resident pages (issue 10, X-1): topics, starting a personal conversation on the page, the chat
with live replies, ending it; a resident reaches only their own conversations and never the notes."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicline.conversations import services
from civicline.conversations.models import Conversation
from tests.conversations.factories import WEEKDAYS_CITY, ConversationFactory, TopicFactory, resident_client
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def friend():
    return FriendFactory()


@pytest.fixture
def client(friend):
    return resident_client(friend)


@pytest.fixture
def topic(department):
    return TopicFactory(department=department, name="子育ての悩み相談", is_personal=True)


@pytest.fixture
def conversation(topic, friend):
    return services.conversation_start_on_page(friend=friend, topic=topic, text="夜泣きが続いています")


def chat(conversation, tail=""):
    return f"/liff/conversations/c/{conversation.receipt_number}/{tail}"


def test_without_a_session_the_sign_in_page_shows_no_one(topic, conversation):
    from django.test import Client

    page = Client().get(chat(conversation)).content.decode()

    assert "夜泣き" not in page and conversation.receipt_number not in page


def test_the_list_shows_topics_with_their_hours_and_my_conversations(client, topic, conversation, department):
    TopicFactory(department=department, name="休止中の相談", is_active=False)

    page = client.get("/liff/conversations/").content.decode()

    assert "子育ての悩み相談" in page and "休止中の相談" not in page
    assert conversation.receipt_number in page and "受付時間内" in page


def test_a_personal_topic_starts_on_the_page(client, friend, topic):
    response = client.post(f"/liff/conversations/t/{topic.pk}/", {"text": "保育所のことで相談したいです"})

    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/c/{conversation.receipt_number}/#latest"
    )
    assert conversation.channel == "liff" and conversation.friend == friend
    assert conversation.messages.get().text == "保育所のことで相談したいです"


def test_an_empty_first_message_is_explained_and_opens_nothing(client, topic):
    response = client.post(f"/liff/conversations/t/{topic.pk}/", {"text": "   "})

    assert response.status_code == 400 and "写真を選んでください" in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_topic_with_an_open_conversation_continues_it(client, topic, conversation):
    response = client.get(f"/liff/conversations/t/{topic.pk}/")

    assert response.status_code == 302 and conversation.receipt_number in response["Location"]


def test_out_of_hours_the_start_page_says_when_staff_will_read(client, department):
    closed = TopicFactory(department=department, hours={"5": [["10:00", "10:01"]]})

    page = client.get(f"/liff/conversations/t/{closed.pk}/").content.decode()

    assert "ただいま受付時間外です" in page and "次の受付開始は" in page


def test_the_chat_shows_replies_but_never_notes(client, conversation, department):
    staff = StaffFactory(department=department)
    services.conversation_note_add(actor=staff, conversation=conversation, text="内部メモ：要注意")
    # The page is open: the reply needs no LINE notice.
    services.conversation_resident_seen(conversation=conversation)
    services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="お話を伺います",
        confirmed_receipt_number=conversation.receipt_number,
    )

    page = client.get(chat(conversation)).content.decode()

    assert "夜泣きが続いています" in page and "お話を伺います" in page and "内部メモ" not in page


def test_updates_bring_new_replies_and_mark_the_page_seen(client, conversation, department):
    last = conversation.messages.get().pk
    staff = StaffFactory(department=department)
    services.conversation_resident_seen(conversation=conversation)
    services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="こんにちは",
        confirmed_receipt_number=conversation.receipt_number,
    )

    data = client.get(chat(conversation, f"updates?after={last}")).json()

    assert "こんにちは" in data["html"] and data["open"] is True
    conversation.refresh_from_db()
    assert conversation.resident_seen_at is not None


def test_the_resident_writes_more_and_ends_the_conversation(client, conversation):
    client.post(chat(conversation), {"text": "補足です"})
    client.post(chat(conversation, "end"))

    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.closed_by_resident
    assert list(conversation.messages.filter(author="resident").values_list("text", flat=True)) == [
        "夜泣きが続いています",
        "補足です",
    ]
    assert "このご相談は終了しました" in client.get(chat(conversation)).content.decode()


def png(size=(64, 48)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, "#88c").save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_a_photo_sent_from_the_page_is_reencoded_and_shown_to_that_resident_and_staff(
    client, conversation, staff_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    response = client.post(chat(conversation), {"text": "", "photo": png()})

    assert response.status_code == 302
    photo = conversation.messages.get(kind="image")
    assert photo.photo.name.endswith(".jpg")
    own = client.get(chat(conversation, f"images/{photo.pk}"))
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    assert resident_client(FriendFactory()).get(chat(conversation, f"images/{photo.pk}")).status_code == 404
    staff_view = staff_client.get(f"/console/conversations/{conversation.pk}/images/{photo.pk}")
    assert staff_view.status_code == 200


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(client, conversation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("photo.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg")

    response = client.post(chat(conversation), {"text": "写真です", "photo": fake})

    assert response.status_code == 400 and "写真を読み込めませんでした" in response.content.decode()
    assert conversation.messages.count() == 1


def test_an_empty_message_without_a_photo_is_explained(client, conversation):
    response = client.post(chat(conversation), {"text": " "})

    assert response.status_code == 400 and "写真を選んでください" in response.content.decode()


def test_another_residents_conversation_answers_404(conversation):
    stranger = resident_client(FriendFactory())

    assert stranger.get(chat(conversation)).status_code == 404
    assert stranger.get(chat(conversation, "updates?after=0")).status_code == 404
    assert stranger.post(chat(conversation), {"text": "なりすまし"}).status_code == 404
    assert stranger.post(chat(conversation, "end")).status_code == 404
    assert conversation.messages.count() == 1


def test_the_residents_own_page_lists_open_conversations(client, conversation):
    page = client.get("/liff/").content.decode()

    assert conversation.receipt_number in page and "子育ての悩み相談" in page


def test_a_resident_typed_text_is_escaped(client, topic):
    client.post(f"/liff/conversations/t/{topic.pk}/", {"text": "<img src=x onerror=alert(1)>"})

    page = client.get(chat(Conversation.objects.get())).content.decode()

    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_weekday_topics_show_their_hours(client, department):
    TopicFactory(department=department, name="証明書", hours=dict(WEEKDAYS_CITY))

    assert "月〜金 8:45〜17:15" in client.get("/liff/conversations/").content.decode()


def test_a_talk_conversation_is_listed_too(client, friend, department):
    talk = ConversationFactory(topic=TopicFactory(department=department), friend=friend)

    assert talk.receipt_number in client.get("/liff/conversations/").content.decode()
