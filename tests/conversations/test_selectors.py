"""Reads of conversations (issue 10, X-4): the inbox's filters and order, unread counts, the
resident's history across features at one department, and residents' own lists."""

from __future__ import annotations

import pytest

from civicline.conversations import demo, selectors, services
from civicline.conversations.models import CannedReply, Conversation, Topic
from civicline.conversations.selectors import ConversationFilters
from civicline.core.models import Department
from civicline.reservations import services as reservations
from tests.conversations.factories import ConversationFactory, TopicFactory
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import ServiceFactory, first_slot

pytestmark = pytest.mark.django_db

Status = Conversation.Status


@pytest.fixture
def topic(department):
    return TopicFactory(department=department)


def numbers(conversations):
    return [c.receipt_number for c in conversations]


def test_the_inbox_shows_what_is_still_to_do_unanswered_first(staff_user, topic):
    answered = ConversationFactory(topic=topic, status=Status.OPEN)
    waiting = ConversationFactory(topic=topic)
    done = ConversationFactory(topic=topic, status=Status.CLOSED)

    assert numbers(selectors.conversation_list_for(fetched_by=staff_user)) == numbers([waiting, answered])
    every = selectors.conversation_list_for(fetched_by=staff_user, filters=ConversationFilters(status="all"))
    assert set(numbers(every)) == set(numbers([waiting, answered, done]))


def test_filters_by_assignee_topic_and_number(staff_user, topic, department):
    mine = ConversationFactory(topic=topic, assignee=staff_user)
    nobodys = ConversationFactory(topic=topic)
    elsewhere = ConversationFactory(topic=TopicFactory(department=department))

    def listed(**filters):
        return numbers(
            selectors.conversation_list_for(fetched_by=staff_user, filters=ConversationFilters(**filters))
        )

    assert listed(assignee="me") == [mine.receipt_number]
    assert nobodys.receipt_number in listed(assignee="none") and mine.receipt_number not in listed(
        assignee="none"
    )
    assert listed(topic=elsewhere.topic_id) == [elsewhere.receipt_number]
    assert listed(receipt_number=f" {mine.receipt_number.lower()} ") == [mine.receipt_number]


def test_unread_counts_resident_messages_no_staff_member_has_seen(staff_user, topic):
    conversation = ConversationFactory(topic=topic)
    services.message_receive(conversation=conversation, text="質問です")
    ConversationFactory(topic=topic)  # nothing written yet

    assert selectors.unread_count_for(fetched_by=staff_user) == 1
    services.conversation_mark_read(conversation=conversation)
    assert selectors.unread_count_for(fetched_by=staff_user) == 0


def test_another_department_sees_none_of_it(other_staff_user, topic):
    conversation = ConversationFactory(topic=topic)
    services.message_receive(conversation=conversation, text="質問です")

    assert not selectors.conversation_list_for(
        fetched_by=other_staff_user, filters=ConversationFilters(status="all")
    )
    assert selectors.unread_count_for(fetched_by=other_staff_user) == 0


def test_the_history_joins_features_newest_first_at_this_department_only(
    staff_user, topic, department, other_department
):
    friend = FriendFactory()
    conversation = ConversationFactory(topic=topic, friend=friend)
    earlier = ConversationFactory(topic=topic, friend=friend, status=Status.CLOSED)
    ConversationFactory(topic=TopicFactory(department=other_department), friend=friend, status=Status.CLOSED)
    service = ServiceFactory(counter__department=department, name="証明書の相談")
    booking = reservations.booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="豊中 花子", contact="090"
    )

    history = selectors.history_for(fetched_by=staff_user, conversation=conversation)

    assert [item.number for item in history] == [booking.receipt_number, earlier.receipt_number]
    assert [str(item.kind) for item in history] == ["予約", "相談"]
    assert history[0].url == f"/console/reservations/bookings/{booking.pk}/"


def test_a_resident_lists_open_conversations_first_then_finished_ones(topic):
    friend = FriendFactory()
    done = ConversationFactory(topic=topic, friend=friend, channel="liff", status=Status.CLOSED)
    still = ConversationFactory(topic=topic, friend=friend, channel="liff")
    ConversationFactory(topic=topic)  # someone else's

    assert numbers(selectors.resident_conversations(friend=friend)) == numbers([still, done])


def test_topics_of_an_inactive_department_are_not_offered(topic):
    closed_department = TopicFactory(
        department=Department.objects.create(code="gone", name="廃止課", is_active=False)
    )

    offered = list(selectors.topics_for_residents())

    assert topic in offered and closed_department not in offered


def test_the_demo_city_gets_topics_for_three_departments_once(db):
    for code, name in [("shimin", "市民課"), ("kosodate", "こども相談課"), ("kankyo", "環境政策課")]:
        Department.objects.create(code=code, name=name)

    demo.seed()
    demo.seed()

    assert set(Topic.objects.values_list("department__code", flat=True)) == {"kankyo", "kosodate", "shimin"}
    assert Topic.objects.count() == 5 and CannedReply.objects.count() == 7
    assert Topic.objects.filter(is_personal=True).count() == 3


def test_a_conversation_the_resident_ended_before_anyone_answered_stays_in_the_inbox(staff_user, topic):
    """Issue 17: it went straight to 完了 and out of the default inbox, so nobody ever read it."""
    gave_up = ConversationFactory(topic=topic)
    services.message_receive(conversation=gave_up, text="児童手当の申請について教えてください")
    services.conversation_end_by_resident(conversation=gave_up)
    empty = ConversationFactory(topic=topic)
    services.conversation_end_by_resident(conversation=empty)  # chose a topic, wrote nothing

    inbox = selectors.conversation_list_for(fetched_by=staff_user)

    assert numbers(inbox) == [gave_up.receipt_number]
    services.conversation_mark_read(conversation=Conversation.objects.get(pk=gave_up.pk))
    assert numbers(selectors.conversation_list_for(fetched_by=staff_user)) == []  # read: now it may go


def test_a_conversation_ended_after_staff_answered_leaves_the_inbox(staff_user, topic):
    conversation = ConversationFactory(topic=topic)
    services.message_receive(conversation=conversation, text="質問です")
    conversation.messages.create(author="staff", text="お答えします")
    services.conversation_end_by_resident(conversation=conversation)

    assert numbers(selectors.conversation_list_for(fetched_by=staff_user)) == []
