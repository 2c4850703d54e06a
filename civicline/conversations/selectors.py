"""Reads of conversations. Staff reads are scoped to the caller's department (X-4); resident reads
to the resident's own conversations, without the department's internal notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicline.core.features import HistoryItem, all_features
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.line.models import Friend

from .models import CannedReply, Conversation, Message, Topic

HISTORY_LIMIT = 50
RESIDENT_CLOSED_SHOWN = 10


# --- configuration ----------------------------------------------------------------------------


def topic_list_for(*, fetched_by: Staff) -> QuerySet[Topic]:
    return (
        Topic.objects.visible_to(fetched_by)
        .select_related("department")
        .order_by("department__code", "order", "pk")
    )


def access_topic(*, fetched_by: Staff, pk: int) -> Topic:
    return access_or_404(Topic.objects.select_related("department"), fetched_by, pk=pk)


def canned_reply_list_for(
    *, fetched_by: Staff, department: Department | None = None
) -> QuerySet[CannedReply]:
    """The canned replies ``fetched_by`` may use; ``department``: only that department's."""
    replies = CannedReply.objects.visible_to(fetched_by).select_related("department")
    if department is not None:
        replies = replies.filter(department=department)
    return replies.order_by("department__code", "order", "pk")


def access_canned_reply(*, fetched_by: Staff, pk: int) -> CannedReply:
    return access_or_404(CannedReply.objects.select_related("department"), fetched_by, pk=pk)


# --- the inbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationFilters:
    status: str = ""  # "" = still to do (未対応 and 対応中), "all", or one status
    topic: int | None = None
    assignee: str = ""  # "", "me" or "none"
    receipt_number: str = ""


def conversation_list_for(
    *, fetched_by: Staff, filters: ConversationFilters | None = None
) -> QuerySet[Conversation]:
    filters = filters or ConversationFilters()
    conversations = Conversation.objects.visible_to(fetched_by).select_related(
        "department", "topic", "friend", "assignee"
    )
    if filters.status == "":
        conversations = conversations.filter(_still_to_do())
    elif filters.status != "all":
        conversations = conversations.filter(status=filters.status)
    if filters.topic:
        conversations = conversations.filter(topic_id=filters.topic)
    if filters.assignee == "me":
        conversations = conversations.filter(assignee=fetched_by)
    elif filters.assignee == "none":
        conversations = conversations.filter(assignee__isnull=True)
    if filters.receipt_number.strip():
        conversations = conversations.filter(receipt_number__icontains=filters.receipt_number.strip())
    # 未対応 first, then the longest waiting; a conversation nobody wrote in yet sorts by its start.
    return conversations.order_by("status", "-last_message_at", "-created_at")


def _still_to_do() -> Q:
    """未対応 and 対応中, and one the resident ended before staff answered until staff have read it:
    a question nobody answered must not vanish from the inbox because the resident gave up."""
    ended_unanswered = Q(
        status=Conversation.Status.CLOSED, closed_by_resident=True, last_resident_message_at__isnull=False
    ) & ~Q(messages__author=Message.Author.STAFF)
    unread = Q(staff_read_at__isnull=True) | Q(staff_read_at__lt=F("closed_at"))
    return ~Q(status=Conversation.Status.CLOSED) | (ended_unanswered & unread)


def access_conversation(*, fetched_by: Staff, pk: int) -> Conversation:
    return access_or_404(
        Conversation.objects.select_related("department", "topic", "friend", "assignee"), fetched_by, pk=pk
    )


def message_list(*, conversation: Conversation, after: int | None = None) -> QuerySet[Message]:
    """Everything in the conversation, notes included (for staff), oldest first."""
    messages = conversation.messages.select_related("staff", "content", "send")
    if after is not None:
        messages = messages.filter(pk__gt=after)
    return messages.order_by("created_at", "pk")


def _with_image(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.filter(Q(content__isnull=False) | ~Q(photo="")).select_related(
        "content", "conversation__friend"
    )


def _sent_by_the_resident(message: Message) -> Message:
    # Defence in depth: a file copied out of LINE must be one this conversation's resident sent.
    content = message.content
    if content is not None and content.user_id and content.user_id != message.conversation.friend.user_id:
        raise Http404
    return message


def access_message_image(*, fetched_by: Staff, conversation_pk: int, pk: int) -> Message:
    message = access_or_404(
        _with_image(Message.objects.all()), fetched_by, pk=pk, conversation_id=conversation_pk
    )
    return _sent_by_the_resident(message)


def assignable_staff(*, conversation: Conversation) -> QuerySet[Staff]:
    return Staff.objects.filter(department=conversation.department, is_active=True).order_by("username")


def history_for(*, fetched_by: Staff, conversation: Conversation) -> list[HistoryItem]:
    """The resident's records at this conversation's department, from every feature, newest first."""
    items = []
    for feature in all_features():
        if feature.resident_history:
            items.extend(
                feature.resident_history(
                    fetched_by=fetched_by, friend=conversation.friend, department=conversation.department
                )
            )
    items = [item for item in items if item.number != conversation.receipt_number]
    return sorted(items, key=lambda item: item.at, reverse=True)


def resident_history(*, fetched_by: Staff, friend: Friend, department: Department) -> list[HistoryItem]:
    """This feature's part of a resident's history: their conversations with ``department``."""
    conversations = (
        Conversation.objects.visible_to(fetched_by)
        .filter(friend=friend, department=department)
        .select_related("topic")
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    return [
        HistoryItem(
            at=c.created_at,
            kind=_("相談"),
            title=c.topic.name,
            number=c.receipt_number,
            status=c.get_status_display(),
            url=reverse("conversations:conversation-detail", args=[c.pk]),
        )
        for c in conversations
    ]


# --- residents -------------------------------------------------------------------------------------


def topics_for_residents() -> QuerySet[Topic]:
    return (
        Topic.objects.filter(is_active=True, department__is_active=True)
        .select_related("department")
        .order_by("order", "department__code", "pk")
    )


def topic_for_residents(*, pk: int | None) -> Topic | None:
    return topics_for_residents().filter(pk=pk).first() if pk is not None else None


def open_talk_conversation(*, friend: Friend) -> Conversation | None:
    """The conversation the resident's talk messages go to now, if any."""
    return (
        Conversation.objects.filter(friend=friend, channel=Conversation.Channel.TALK)
        .exclude(status=Conversation.Status.CLOSED)
        .select_related("topic__department", "department")
        .first()
    )


def open_conversation(*, friend: Friend, topic: Topic, channel: str) -> Conversation | None:
    if channel == Conversation.Channel.TALK:
        return open_talk_conversation(friend=friend)
    return (
        Conversation.objects.filter(friend=friend, topic=topic, channel=channel)
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def resident_conversations(*, friend: Friend) -> list[Conversation]:
    """The resident's open conversations, then the latest finished ones."""
    mine = Conversation.objects.filter(friend=friend).select_related("topic", "department")
    still_open = list(mine.exclude(status=Conversation.Status.CLOSED).order_by("-created_at"))
    finished = list(
        mine.filter(status=Conversation.Status.CLOSED).order_by("-closed_at")[:RESIDENT_CLOSED_SHOWN]
    )
    return still_open + finished


def access_resident_conversation(*, friend: Friend, receipt_number: str) -> Conversation:
    conversation = (
        Conversation.objects.filter(friend=friend, receipt_number=receipt_number)
        .select_related("topic", "department")
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def access_resident_image(*, conversation: Conversation, pk: int) -> Message:
    message = _with_image(resident_messages(conversation=conversation)).filter(pk=pk).first()
    if message is None:
        raise Http404
    return _sent_by_the_resident(message)


def resident_messages(*, conversation: Conversation, after: int | None = None) -> QuerySet[Message]:
    """What the resident sees of their conversation: everything but the department's notes."""
    messages = conversation.messages.exclude(author=Message.Author.NOTE)
    if after is not None:
        messages = messages.filter(pk__gt=after)
    return messages.order_by("created_at", "pk")


def unread_count_for(*, fetched_by: Staff) -> int:
    """Open conversations whose latest resident message no staff member has seen yet."""
    return (
        Conversation.objects.visible_to(fetched_by)
        .exclude(status=Conversation.Status.CLOSED)
        .filter(last_resident_message_at__isnull=False)
        .filter(Q(staff_read_at__isnull=True) | Q(staff_read_at__lt=F("last_resident_message_at")))
        .count()
    )
