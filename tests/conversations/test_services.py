"""Services of conversations (issue 10, PH-4, PH-5, X-4, X-15): residents open and write, staff
reply to that one resident only (after confirming the receipt number), notes stay internal,
out-of-hours answers come once per closed period, every staff change is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from civicline.conversations import selectors, services
from civicline.conversations.models import Conversation
from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.line.direct import DirectMessageRefused
from civicline.line.models import Friend
from tests.conversations.factories import WEEKDAYS_CITY, ConversationFactory, TopicFactory, at
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory

pytestmark = pytest.mark.django_db

Status = Conversation.Status


@pytest.fixture
def staff(department):
    return StaffFactory(department=department, display_name="市民 花子")


@pytest.fixture
def topic(department):
    return TopicFactory(department=department, name="住民票・証明書")


@pytest.fixture
def conversation(topic):
    return ConversationFactory(topic=topic)


def pushes(api):
    return api.to("/v2/bot/message/push")


# --- residents ------------------------------------------------------------------------------------


def test_a_talk_conversation_belongs_to_the_topics_department_and_is_reused_while_open(topic):
    friend = FriendFactory()

    first = services.conversation_start(friend=friend, topic=topic, channel=Conversation.Channel.TALK)
    again = services.conversation_start(friend=friend, topic=topic, channel=Conversation.Channel.TALK)

    assert first == again and first.department == topic.department and first.status == Status.NEW
    assert re.fullmatch(r"C-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", first.receipt_number)


def test_a_page_conversation_starts_with_its_first_message_or_not_at_all(topic):
    friend = FriendFactory()

    with pytest.raises(ValidationError):
        services.conversation_start_on_page(friend=friend, topic=topic, text="   ")
    assert not Conversation.objects.exists()

    conversation = services.conversation_start_on_page(friend=friend, topic=topic, text="保育所の相談です")
    assert conversation.channel == Conversation.Channel.LIFF
    assert [m.text for m in conversation.messages.all()] == ["保育所の相談です"]


def test_what_a_resident_sends_is_kept_sealed_and_a_redelivery_is_kept_once(conversation):
    received = services.message_receive(
        conversation=conversation, text="住民票の取り方", line_message_id="m1"
    )
    again = services.message_receive(conversation=conversation, text="住民票の取り方", line_message_id="m1")

    assert received.first and not received.auto_answer and again.duplicate
    assert conversation.messages.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM conversations_message WHERE id = %s", [received.message.pk])
        (raw,) = cursor.fetchone()
    assert "住民票" not in raw  # encrypted at rest


def test_out_of_hours_the_resident_is_answered_once_per_closed_period(department):
    topic = TopicFactory(
        department=department, hours=dict(WEEKDAYS_CITY), closed_message="お急ぎは代表電話へ"
    )
    conversation = ConversationFactory(topic=topic)

    evening = services.message_receive(conversation=conversation, text="a", now=at("2025-11-25 18:00"))
    later = services.message_receive(conversation=conversation, text="b", now=at("2025-11-25 21:00"))
    next_evening = services.message_receive(conversation=conversation, text="c", now=at("2025-11-26 18:00"))

    assert (
        "次の受付開始は 11月26日(水) 8:45" in evening.auto_answer
        and "お急ぎは代表電話へ" in evening.auto_answer
    )
    assert later.auto_answer == ""
    assert "11月27日(木) 8:45" in next_evening.auto_answer
    authors = list(conversation.messages.values_list("author", flat=True))
    assert authors == ["resident", "auto", "resident", "resident", "auto"]


def test_on_a_substitute_holiday_the_answer_names_the_next_working_day(department):
    topic = TopicFactory(department=department, hours=dict(WEEKDAYS_CITY))
    conversation = ConversationFactory(topic=topic)

    received = services.message_receive(conversation=conversation, text="a", now=at("2025-11-24 10:00"))

    assert "11月25日(火) 8:45" in received.auto_answer


def test_a_resident_cannot_write_to_a_finished_conversation(conversation):
    services.conversation_end_by_resident(conversation=conversation)

    with pytest.raises(ValidationError):
        services.message_receive(conversation=conversation, text="まだ聞きたい")
    assert conversation.status == Status.CLOSED and conversation.closed_by_resident


# --- staff replies (PH-4, PH-5) ---------------------------------------------------------------------


def test_a_talk_reply_is_pushed_to_that_resident_only_and_takes_the_conversation(
    conversation, staff, fake_line_api
):
    FriendFactory()  # somebody else, who must receive nothing

    message = services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="コンビニで取得できます。",
        confirmed_receipt_number=conversation.receipt_number.lower().replace("-", ""),
    )

    (push,) = pushes(fake_line_api)
    assert push.body["to"] == conversation.friend.user_id
    assert push.body["messages"][0]["text"] == "コンビニで取得できます。"
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.assignee == staff
    assert message.send is not None and message.staff == staff
    assert AuditEntry.objects.filter(action="send", target_id=str(conversation.pk)).count() == 2


def test_a_reply_with_another_receipt_number_is_refused_and_nothing_is_kept(
    conversation, staff, fake_line_api
):
    other = ConversationFactory(topic=conversation.topic)

    with pytest.raises(DirectMessageRefused):
        services.conversation_reply(
            actor=staff, conversation=conversation, text="返信", confirmed_receipt_number=other.receipt_number
        )

    assert not pushes(fake_line_api) and not conversation.messages.exists()
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


def test_staff_of_another_department_cannot_reply_even_with_the_number(
    conversation, other_staff_user, fake_line_api
):
    with pytest.raises(NotYourDepartment):
        services.conversation_reply(
            actor=other_staff_user,
            conversation=conversation,
            text="返信",
            confirmed_receipt_number=conversation.receipt_number,
        )
    assert not pushes(fake_line_api)


def test_a_resident_who_blocked_the_account_gets_nothing(conversation, staff, fake_line_api):
    Friend.objects.filter(pk=conversation.friend.pk).update(state=Friend.State.BLOCKED)
    conversation.friend.refresh_from_db()

    with pytest.raises(DirectMessageRefused):
        services.conversation_reply(
            actor=staff,
            conversation=conversation,
            text="返信",
            confirmed_receipt_number=conversation.receipt_number,
        )
    assert not pushes(fake_line_api)


def test_a_page_reply_needs_the_receipt_number_even_without_a_line_notice(topic, staff, fake_line_api):
    conversation = ConversationFactory(topic=topic, channel=Conversation.Channel.LIFF)
    services.conversation_resident_seen(conversation=conversation)

    with pytest.raises(DirectMessageRefused):
        services.conversation_reply(
            actor=staff, conversation=conversation, text="返信", confirmed_receipt_number=""
        )
    assert not conversation.messages.exists()


def test_a_page_reply_stays_on_the_page_and_line_only_says_there_is_one(topic, staff, fake_line_api):
    conversation = ConversationFactory(topic=topic, channel=Conversation.Channel.LIFF)
    number = conversation.receipt_number
    now = at("2025-11-25 10:00")

    services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="母子手帳をお持ちください",
        confirmed_receipt_number=number,
        now=now,
    )
    # A second reply before the resident looked: no second notice.
    services.conversation_reply(
        actor=staff, conversation=conversation, text="ほかに", confirmed_receipt_number=number, now=now
    )
    (notice,) = pushes(fake_line_api)
    assert "返信がありました" in str(notice.body) and "母子手帳" not in str(notice.body)
    assert f"/conversations/c/{number}/" in str(notice.body)

    # Seen on the page a while ago: the next reply is announced again; with the page open now, not.
    services.conversation_resident_seen(conversation=conversation, now=now + timedelta(minutes=5))
    services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="3",
        confirmed_receipt_number=number,
        now=now + timedelta(minutes=10),
    )
    services.conversation_resident_seen(conversation=conversation, now=now + timedelta(minutes=11))
    services.conversation_reply(
        actor=staff,
        conversation=conversation,
        text="4",
        confirmed_receipt_number=number,
        now=now + timedelta(minutes=11, seconds=10),
    )
    assert len(pushes(fake_line_api)) == 2
    texts = [m.text for m in selectors.resident_messages(conversation=conversation)]
    assert texts == ["母子手帳をお持ちください", "ほかに", "3", "4"]


def test_a_reply_to_a_finished_conversation_is_refused(conversation, staff, fake_line_api):
    services.conversation_end_by_resident(conversation=conversation)

    with pytest.raises(ValidationError):
        services.conversation_reply(
            actor=staff,
            conversation=conversation,
            text="返信",
            confirmed_receipt_number=conversation.receipt_number,
        )
    assert not pushes(fake_line_api)


# --- notes, status, assignment --------------------------------------------------------------------


def test_notes_are_for_staff_only(conversation, staff):
    services.message_receive(conversation=conversation, text="質問です")
    services.conversation_note_add(actor=staff, conversation=conversation, text="前にも電話あり")

    assert [m.author for m in selectors.message_list(conversation=conversation)] == ["resident", "note"]
    assert [m.author for m in selectors.resident_messages(conversation=conversation)] == ["resident"]
    assert AuditEntry.objects.filter(action="create", target_id=str(conversation.pk)).exists()


def test_finishing_tells_the_resident_after_the_number_is_confirmed(conversation, staff, fake_line_api):
    with pytest.raises(DirectMessageRefused):
        services.conversation_status_set(
            actor=staff, conversation=conversation, status=Status.CLOSED, confirmed_receipt_number=""
        )
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW and not pushes(fake_line_api)

    told = services.conversation_status_set(
        actor=staff,
        conversation=conversation,
        status=Status.CLOSED,
        confirmed_receipt_number=conversation.receipt_number,
    )

    assert told and conversation.status == Status.CLOSED and conversation.closed_at
    (push,) = pushes(fake_line_api)
    assert push.body["to"] == conversation.friend.user_id and "終了しました" in str(push.body)
    entry = AuditEntry.objects.filter(action="update", target_id=str(conversation.pk)).get()
    assert entry.changes["status"] == {"before": "new", "after": "closed"}


def test_a_talk_conversation_cannot_be_reopened_while_another_is_open_in_the_talk(conversation, staff):
    services.conversation_end_by_resident(conversation=conversation)
    services.conversation_start(friend=conversation.friend, topic=conversation.topic, channel="talk")

    with pytest.raises(ValidationError):
        services.conversation_status_set(actor=staff, conversation=conversation, status=Status.OPEN)
    conversation.refresh_from_db()
    assert conversation.status == Status.CLOSED


def test_only_the_departments_staff_can_be_assigned(conversation, staff, other_staff_user):
    services.conversation_assign(actor=staff, conversation=conversation, assignee=staff)
    with pytest.raises(ValidationError):
        services.conversation_assign(actor=staff, conversation=conversation, assignee=other_staff_user)

    conversation.refresh_from_db()
    assert conversation.assignee == staff


# --- configuration (X-8) ------------------------------------------------------------------------------


def test_department_staff_configure_their_own_department_only(staff, other_department):
    data = {"name": "相談", "hours": dict(WEEKDAYS_CITY)}
    with pytest.raises(NotYourDepartment, match="他の課のデータは変更できません"):
        services.topic_create(actor=staff, department=other_department, data=data)

    topic = services.topic_create(actor=staff, department=staff.department, data=data)
    services.topic_update(actor=staff, topic=topic, data={"name": "相談（一般）"})

    entry = AuditEntry.objects.filter(action="update", target_id=str(topic.pk)).get()
    assert entry.changes == {"name": {"before": "相談", "after": "相談（一般）"}}


def test_canned_replies_are_created_changed_and_deleted_with_an_audit_trail(staff):
    canned = services.canned_reply_create(
        actor=staff, department=staff.department, data={"title": "お礼", "body": "ありがとうございました"}
    )
    services.canned_reply_update(actor=staff, canned=canned, data={"body": "ありがとうございます"})
    services.canned_reply_delete(actor=staff, canned=canned)

    actions = list(
        AuditEntry.objects.filter(target_type="conversations.cannedreply")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


def test_the_department_gets_an_email_when_a_resident_first_writes(
    department, django_capture_on_commit_callbacks
):
    """Issue 17: bookings, reports and public comments e-mailed the department; conversations did not."""
    from django.core import mail

    from tests.conversations.factories import ConversationFactory, TopicFactory

    department.email = "kosodate@city.example.jp"
    department.save()
    conversation = ConversationFactory(topic=TopicFactory(department=department, name="子育ての相談"))

    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(conversation=conversation, text="保育園の入園について相談したいです")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(conversation=conversation, text="追伸です")

    (email,) = mail.outbox  # one per conversation, not one per message
    assert email.to == ["kosodate@city.example.jp"]
    assert conversation.receipt_number in email.subject and "子育ての相談" in email.subject
    assert "/console/conversations/" in email.body
    assert "保育園" not in email.body  # what the resident wrote stays behind the console's login
