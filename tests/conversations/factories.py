"""Factories for conversations' tests: topics (open around the clock unless told otherwise),
conversations, canned replies, and a client with a resident's LIFF session."""

from __future__ import annotations

import time
from datetime import datetime

import factory
from django.test import Client
from django.utils import timezone

from civicline.conversations.models import CannedReply, Conversation, Topic
from civicline.core.calendar import DAY_KEYS
from civicline.line.liff.auth import SESSION_KEY
from tests.fixtures.core import DepartmentFactory
from tests.fixtures.line import FriendFactory

ALWAYS = {key: [["00:00", "23:59"]] for key in DAY_KEYS}
WEEKDAYS_CITY = {str(d): [["08:45", "17:15"]] for d in range(5)}


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"相談{n}")
    is_personal = False
    hours = factory.LazyFunction(lambda: dict(ALWAYS))
    year_end_closed = False


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    topic = factory.SubFactory(TopicFactory)
    department = factory.LazyAttribute(lambda c: c.topic.department)
    friend = factory.SubFactory(FriendFactory)
    receipt_number = factory.Sequence(lambda n: f"TEST-{n:04d}")
    channel = Conversation.Channel.TALK


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReply

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda n: f"定型文{n}")
    body = "お問い合わせありがとうございます。"


def at(text: str) -> datetime:
    """「2025-11-25 10:00」 in the city's time zone."""
    return timezone.make_aware(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def resident_client(friend) -> Client:
    """A client with the resident's LIFF session open, as after /liff/session."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client
