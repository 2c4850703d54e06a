"""The department inbox (issue 10, PH-4, PH-5, X-4, X-15, X-20): list, conversation page, live
updates, replies behind the receipt-number confirmation, notes, status, assignment, images, CSV,
the resident's history in this department only; another department gets 404 and sees nothing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from civicline.conversations import services
from civicline.conversations.models import CannedReply, Conversation, Message, Topic
from civicline.core.models import AuditEntry
from civicline.line.models import MessageContent
from civicline.reservations import services as reservations
from tests.conversations.factories import CannedReplyFactory, ConversationFactory, TopicFactory
from tests.reservations.factories import ServiceFactory, first_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(department):
    return TopicFactory(department=department, name="住民票・証明書")


@pytest.fixture
def conversation(topic):
    conversation = ConversationFactory(topic=topic, friend__display_name="豊中 花子")
    services.message_receive(conversation=conversation, text="住民票はコンビニで取れますか")
    return conversation


@pytest.fixture
def other_conversation(other_department):
    conversation = ConversationFactory(topic=TopicFactory(department=other_department, name="ごみ"))
    services.message_receive(conversation=conversation, text="粗大ごみの出し方")
    return conversation


def url(conversation, tail=""):
    return f"/console/conversations/{conversation.pk}/{tail}"


def pushes(api):
    return api.to("/v2/bot/message/push")


# --- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_the_departments_conversations_only(staff_client, conversation, other_conversation):
    page = staff_client.get("/console/conversations/").content.decode()

    assert conversation.receipt_number in page and other_conversation.receipt_number not in page
    assert "豊＊ 花＊" in page and "豊中 花子" not in page  # lists show a masked name
    assert "新着 1 件" in page


def test_the_system_administrator_sees_every_department(
    system_admin_client, conversation, other_conversation
):
    page = system_admin_client.get("/console/conversations/").content.decode()

    assert conversation.receipt_number in page and other_conversation.receipt_number in page


def test_the_inbox_rows_refresh_as_json(staff_client, conversation, other_conversation):
    data = staff_client.get("/console/conversations/?partial=rows").json()

    assert (
        conversation.receipt_number in data["rows"] and other_conversation.receipt_number not in data["rows"]
    )
    assert data["unread"] == 1


def test_finished_conversations_are_listed_on_request(staff_client, conversation):
    services.conversation_end_by_resident(conversation=conversation)
    # Ended before anyone answered: it stays in the inbox, marked, until staff have read it.
    inbox = staff_client.get("/console/conversations/").content.decode()
    assert conversation.receipt_number in inbox and "住民が終了" in inbox
    staff_client.get(url(conversation))

    assert conversation.receipt_number not in staff_client.get("/console/conversations/").content.decode()
    page = staff_client.get("/console/conversations/?status=closed").content.decode()
    assert conversation.receipt_number in page


# --- one conversation --------------------------------------------------------------------------------


def test_the_conversation_page_shows_the_thread_and_is_audited(staff_client, conversation):
    response = staff_client.get(url(conversation))

    page = response.content.decode()
    assert response.status_code == 200 and "住民票はコンビニで取れますか" in page and "豊中 花子" in page
    assert AuditEntry.objects.filter(action="view_personal", target_id=str(conversation.pk)).exists()
    conversation.refresh_from_db()
    assert not conversation.has_unread


def test_what_residents_wrote_is_escaped(staff_client, topic):
    conversation = ConversationFactory(topic=topic)
    services.message_receive(conversation=conversation, text='<script>alert("x")</script>')

    page = staff_client.get(url(conversation)).content.decode()
    update = staff_client.get(url(conversation, "updates?after=0")).json()["html"]

    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<script>alert" not in update and "&lt;script&gt;" in update


def test_new_messages_come_through_the_updates_endpoint(staff_client, conversation):
    last = conversation.messages.get().pk
    services.message_receive(conversation=conversation, text="もう一つ質問です")

    data = staff_client.get(url(conversation, f"updates?after={last}")).json()

    assert "もう一つ質問です" in data["html"] and "住民票" not in data["html"]
    assert data["last"] > last and data["status"] == "new" and data["statusLabel"] == "未対応"
    assert staff_client.get(url(conversation, f"updates?after={data['last']}")).json()["html"] == ""
    assert staff_client.get(url(conversation, "updates?after=abc")).status_code == 200


@pytest.mark.parametrize(
    ("method", "tail", "data"),
    [
        ("get", "", None),
        ("get", "updates?after=0", None),
        ("post", "reply", {"text": "返信"}),
        ("post", "note", {"note-text": "メモ"}),
        ("post", "status", {"status": "closed"}),
        ("post", "assign", {"assignee": ""}),
    ],
)
def test_another_departments_staff_get_404_everywhere(
    console_client, other_staff_user, conversation, method, tail, data, fake_line_api
):
    client = console_client(other_staff_user)

    response = getattr(client, method)(url(conversation, tail), data)

    assert response.status_code == 404
    assert conversation.messages.count() == 1 and not pushes(fake_line_api)


def test_the_first_reply_asks_for_the_receipt_number_then_sends_to_that_resident(
    staff_client, conversation, fake_line_api
):
    confirm = staff_client.post(url(conversation, "reply"), {"text": "コンビニで取得できます。"})

    page = confirm.content.decode()
    assert "送信先の確認" in page and "コンビニで取得できます。" in page and "豊＊ 花＊" in page
    assert not pushes(fake_line_api) and conversation.messages.count() == 1

    wrong = staff_client.post(
        url(conversation, "reply"),
        {"text": "コンビニで取得できます。", "confirmed_receipt_number": "ZZZZ-9999"},
    )
    assert wrong.status_code == 400 and "一致しません" in wrong.content.decode()
    assert not pushes(fake_line_api)

    sent = staff_client.post(
        url(conversation, "reply"),
        {"text": "コンビニで取得できます。", "confirmed_receipt_number": conversation.receipt_number},
    )
    assert sent.status_code == 302
    (push,) = pushes(fake_line_api)
    assert push.body["to"] == conversation.friend.user_id

    # Confirmed once in this session: the next reply goes at once.
    staff_client.post(url(conversation, "reply"), {"text": "ほかにご質問は？"})
    assert len(pushes(fake_line_api)) == 2
    assert list(conversation.messages.filter(author="staff").values_list("text", flat=True)) == [
        "コンビニで取得できます。",
        "ほかにご質問は？",
    ]


def test_an_empty_reply_is_refused_with_a_message(staff_client, conversation, fake_line_api):
    response = staff_client.post(url(conversation, "reply"), {"text": "  "})

    assert response.status_code == 400 and "入力してください" in response.content.decode()
    assert not pushes(fake_line_api)


def test_notes_are_added_and_never_sent(staff_client, conversation, fake_line_api):
    response = staff_client.post(url(conversation, "note"), {"note-text": "以前にも電話で相談あり"})

    assert response.status_code == 302 and not pushes(fake_line_api)
    assert [m.text for m in conversation.messages.filter(author="note")] == ["以前にも電話で相談あり"]
    assert "以前にも電話で相談あり" in staff_client.get(url(conversation)).content.decode()


def test_finishing_asks_for_the_number_and_tells_the_resident(staff_client, conversation, fake_line_api):
    confirm = staff_client.post(url(conversation, "status"), {"status": "closed"})
    assert "送信先の確認" in confirm.content.decode() and not pushes(fake_line_api)

    staff_client.post(
        url(conversation, "status"),
        {"status": "closed", "confirmed_receipt_number": conversation.receipt_number},
    )

    conversation.refresh_from_db()
    assert conversation.status == "closed" and len(pushes(fake_line_api)) == 1
    staff_client.post(url(conversation, "status"), {"status": "open"})
    conversation.refresh_from_db()
    assert conversation.status == "open" and len(pushes(fake_line_api)) == 1


def test_assignment_to_oneself_and_back(staff_client, staff_user, conversation, other_staff_user):
    staff_client.post(url(conversation, "assign"), {"assignee": staff_user.pk})
    conversation.refresh_from_db()
    assert conversation.assignee == staff_user

    staff_client.post(url(conversation, "assign"), {"assignee": other_staff_user.pk})
    conversation.refresh_from_db()
    assert conversation.assignee == staff_user  # another department's staff cannot take it


def test_canned_replies_of_the_department_are_offered(
    staff_client, conversation, department, other_department
):
    CannedReplyFactory(department=department, title="コンビニ交付", body="コンビニで取れます")
    CannedReplyFactory(department=other_department, title="粗大ごみ", body="予約してください")

    page = staff_client.get(url(conversation)).content.decode()

    assert "コンビニ交付" in page and 'data-body="コンビニで取れます"' in page and "粗大ごみ" not in page


def test_the_residents_history_shows_this_departments_records_only(
    staff_client, conversation, department, other_department
):
    mine = ServiceFactory(counter__department=department, name="証明書の相談")
    theirs = ServiceFactory(counter__department=other_department, name="粗大ごみ収集")
    booking = reservations.booking_create(
        friend=conversation.friend, service=mine, starts_at=first_slot(mine), name="豊中 花子", contact="090"
    )
    reservations.booking_create(
        friend=conversation.friend,
        service=theirs,
        starts_at=first_slot(theirs),
        name="豊中 花子",
        contact="090",
    )
    earlier = ConversationFactory(
        topic=conversation.topic, friend=conversation.friend, status=Conversation.Status.CLOSED
    )

    history = staff_client.get(url(conversation)).content.decode().split('id="cv-history"')[1]

    assert booking.receipt_number in history and "証明書の相談" in history
    assert earlier.receipt_number in history and conversation.receipt_number not in history
    assert "粗大ごみ収集" not in history


def test_images_are_served_to_the_department_only(
    staff_client, console_client, other_staff_user, conversation, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    content = MessageContent(message_id="777", user_id=conversation.friend.user_id, content_type="image/jpeg")
    content.file.save("777.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    image = Message.objects.create(
        conversation=conversation, author="resident", kind="image", content=content, line_message_id="777"
    )
    image_url = url(conversation, f"images/{image.pk}")

    response = staff_client.get(image_url)

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert console_client(other_staff_user).get(image_url).status_code == 404
    assert (
        staff_client.get(url(conversation, f"images/{conversation.messages.first().pk}")).status_code == 404
    )


def test_the_export_is_the_departments_messages_escaped_and_audited(
    staff_client, conversation, other_conversation
):
    services.message_receive(conversation=conversation, text='=HYPERLINK("http://evil")')

    response = staff_client.get("/console/conversations/export?status=all")
    body = b"".join(response.streaming_content).decode()

    assert conversation.receipt_number in body and other_conversation.receipt_number not in body
    assert "'=HYPERLINK" in body and "粗大ごみ" not in body
    assert AuditEntry.objects.filter(action="export").exists()


# --- topics and canned replies (X-8) ----------------------------------------------------------------


def topic_post(**overrides):
    data = {
        "name": "保育所の入所",
        "description": "",
        "is_personal": "on",
        "hours_0": "8:45-17:15",
        "hours_1": "８：４５～１７：１５",
        **{f"hours_{d}": "" for d in ("2", "3", "4", "5", "6", "holiday")},
        "year_end_closed": "on",
        "closed_message": "",
        "order": "0",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_staff_add_a_topic_with_its_hours(staff_client, department):
    response = staff_client.post("/console/conversations/topics/new", topic_post())

    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.department == department and topic.hours == {
        "0": [["08:45", "17:15"]],
        "1": [["08:45", "17:15"]],
    }
    assert "月・火 8:45〜17:15" in staff_client.get("/console/conversations/topics/").content.decode()


def test_bad_hours_are_explained_and_nothing_is_saved(staff_client):
    response = staff_client.post(
        "/console/conversations/topics/new", topic_post(hours_0="9時から", hours_1="")
    )

    assert response.status_code == 200 and "時間帯として読めません" in response.content.decode()
    assert not Topic.objects.exists()


def test_another_departments_topics_and_canned_replies_answer_404(staff_client, other_department):
    topic = TopicFactory(department=other_department)
    canned = CannedReplyFactory(department=other_department)

    assert staff_client.get(f"/console/conversations/topics/{topic.pk}/edit").status_code == 404
    assert staff_client.get(f"/console/conversations/canned/{canned.pk}/edit").status_code == 404
    assert staff_client.post(f"/console/conversations/canned/{canned.pk}/delete").status_code == 404
    assert CannedReply.objects.filter(pk=canned.pk).exists()


def test_topic_edits_are_audited_with_what_changed(staff_client, topic):
    staff_client.post(f"/console/conversations/topics/{topic.pk}/edit", topic_post(name="証明書（一般）"))

    entry = AuditEntry.objects.filter(action="update", target_type="conversations.topic").get()
    assert entry.changes["name"] == {"before": "住民票・証明書", "after": "証明書（一般）"}
    # Pen-test finding 4: these entries had no client address; the request's audit context gives it.
    assert entry.client_address == "127.0.0.1" and len(entry.request_id) == 32


def test_canned_replies_are_managed_by_the_department(staff_client, department):
    staff_client.post(
        "/console/conversations/canned/new", {"title": "お礼", "body": "ありがとうございました", "order": 1}
    )
    canned = CannedReply.objects.get()
    assert canned.department == department

    staff_client.post(f"/console/conversations/canned/{canned.pk}/delete")
    assert not CannedReply.objects.exists()
    entries = AuditEntry.objects.filter(target_type="conversations.cannedreply")
    assert {(e.action, e.client_address) for e in entries} == {
        ("create", "127.0.0.1"),
        ("delete", "127.0.0.1"),
    }
