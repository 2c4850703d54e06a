"""Conversations in the resident's language (issue 21): what staff's actions send them (a reply's
notice, the end of a conversation) and the topic's name, whatever language the clerk's console speaks."""

from __future__ import annotations

import pytest
from django.utils import translation

from civicline.conversations import hours, line_messages, services
from civicline.conversations.models import Conversation, Topic
from tests.conversations.factories import ConversationFactory, TopicFactory, at
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory, languages_while_building

pytestmark = pytest.mark.django_db


def test_issue21_the_notice_of_a_reply_is_built_in_the_residents_language(monkeypatch, fake_line_api):
    """issue 21: an English resident's reply notice is built in English though the clerk reads Japanese."""
    conversation = ConversationFactory(
        friend=FriendFactory(language="en"), channel=Conversation.Channel.LIFF
    )
    spoken = languages_while_building(monkeypatch, line_messages, "staff_reply")

    with translation.override("ja"):
        services.conversation_reply(
            actor=StaffFactory(department=conversation.department),
            conversation=conversation,
            text="お返事です",
            confirmed_receipt_number=conversation.receipt_number,
        )

    assert spoken == ["en"]


def test_issue21_the_end_of_a_conversation_is_told_in_the_residents_language(monkeypatch, fake_line_api):
    """issue 21: 「対応を終了しました」 reaches a Vietnamese resident in Vietnamese, not in English."""
    conversation = ConversationFactory(friend=FriendFactory(language="vi"))
    spoken = languages_while_building(monkeypatch, line_messages, "closed_notice")

    with translation.override("en"):
        told = services.conversation_status_set(
            actor=StaffFactory(department=conversation.department),
            conversation=conversation,
            status=Conversation.Status.CLOSED,
            confirmed_receipt_number=conversation.receipt_number,
        )

    assert told and spoken == ["vi"]


def test_issue21_the_topic_menu_names_topics_in_the_residents_language():
    """issue 21: the talk's topic buttons use the topic's name in the resident's language, else Japanese."""
    TopicFactory(name="子育ての相談", translations={"en": {"name": "Childcare"}})
    TopicFactory(name="税の相談")

    with translation.override("en"):
        menu = line_messages.topic_menu(list(Topic.objects.all()))

    labels = [item["action"]["label"] for item in menu["quickReply"]["items"]]
    assert labels[:2] == ["Childcare", "税の相談"]


def test_issue21_opening_times_are_written_through_the_catalogue():
    """issue 21: the weekday in 「次の受付開始」 comes from the catalogue (Japanese readers: as before)."""
    with translation.override("ja"):
        assert hours.moment_text(at("2025-11-25 08:45")) == "11月25日(火) 8:45"
    with translation.override("en"):
        text = hours.moment_text(at("2025-11-25 08:45"))
        weekday = translation.pgettext("weekday", "火")
    assert weekday in text and "8:45" in text
