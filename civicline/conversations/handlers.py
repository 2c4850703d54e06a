"""The talk side of conversations.

* 「職員と話したい」「担当者」… (also the chatbot's quick reply after an unanswered question, and a
  menu tile's postback ``feature=conversations&action=start``) → the topics as quick replies.
* ``action=topic&topic=<id>`` → a personal topic opens the LIFF chat page (nothing personal in the
  talk, X-1); a general one opens a conversation in the talk and says the hours.
* While a talk conversation is open, everything the resident sends (text, images, locations…) goes
  to it, not to the chatbot: an ``on_event`` handler claims the event before texts are routed.
  Outside the hours the resident gets an automatic answer, once per closed period; after a long
  silence, a reminder of who they are talking to and how to leave. Only an emergency answer (the
  shelter search) comes first: the message still reaches staff, and the resident is told the
  conversation goes on.
* 「相談を終える」 (``action=end``, or typed) ends it.
"""

from __future__ import annotations

import logging
import re

import urllib3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from linebot.v3.messaging import ApiException

from civicline.line.registry import LineContext

from . import line_messages, selectors, services
from .models import Conversation, Message

logger = logging.getLogger(__name__)

# Above the chatbot's catch-all (1000) and the shelter search's location handler (500).
ASK_PRIORITY = 20
CAPTURE_PRIORITY = 50

ASK_STAFF = re.compile(
    r"^(?:職員|担当者?|担当の(?:方|人)|係の(?:方|人)|人間?|オペレーター|有人(?:対応)?|窓口の(?:方|人))"
    r"(?:さん)?(?:と|に|へ|で)?"
    r"(?:話(?:し|す|せ)\w*|相談\w*|つな\w*|繋\w*|代わ\w*|かわ\w*|お願い\w*|連絡\w*)?"
    r"[。．.!！?？\s]*$"
)
END = re.compile(r"^(?:相談を終える|相談を終了|終了)[。．.!！\s]*$")
# What stands in the conversation for a message kind staff cannot read here.
PLACEHOLDERS = {"sticker": "[スタンプ]", "video": "[動画]", "audio": "[音声]", "file": "[ファイル]"}


def on_ask_staff(ctx: LineContext) -> None:
    ctx.reply(line_messages.topic_menu(list(selectors.topics_for_residents())))


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def on_topic(ctx: LineContext) -> None:
    if ctx.friend is None:
        return
    topic = selectors.topic_for_residents(pk=_int(ctx.postback.params.get("topic")) if ctx.postback else None)
    if topic is None:
        ctx.reply(line_messages.topic_unavailable())
        return
    now = timezone.now()
    if topic.is_personal:
        ctx.reply(line_messages.personal_topic(topic, now))
        return
    current = selectors.open_talk_conversation(friend=ctx.friend)
    if current is not None and current.topic_id != topic.pk:
        ctx.reply(line_messages.busy(current))
        return
    conversation = services.conversation_start(
        friend=ctx.friend, topic=topic, channel=Conversation.Channel.TALK
    )
    ctx.reply(line_messages.started(conversation, now))


def _end(ctx: LineContext, conversation: Conversation | None) -> None:
    if conversation is None:
        ctx.reply(line_messages.nothing_to_end())
        return
    try:
        services.conversation_end_by_resident(conversation=conversation)
    except ValidationError:
        ctx.reply(line_messages.nothing_to_end())
        return
    ctx.reply(line_messages.ended(conversation))


def on_end(ctx: LineContext) -> None:
    if ctx.friend is None:
        return
    number = ctx.postback.params.get("c", "") if ctx.postback else ""
    current = selectors.open_talk_conversation(friend=ctx.friend)
    # An old 「相談を終える」 button must not end a newer conversation.
    _end(ctx, current if current is not None and current.receipt_number == number else None)


def on_message(ctx: LineContext) -> None:
    """A message from a resident with an open talk conversation belongs to that conversation."""
    if ctx.friend is None:
        return
    conversation = selectors.open_talk_conversation(friend=ctx.friend)
    if conversation is None:
        return
    answered_already = ctx.handled  # by an emergency answer, the only flow that runs before this one
    ctx.mark_handled()
    message = ctx.event.message
    if not answered_already and ctx.text is not None and END.match(ctx.text.strip()):
        _end(ctx, conversation)
        return
    received = services.message_receive(conversation=conversation, **_fields(message))
    if received.duplicate:
        return
    if received.message.kind == Message.Kind.IMAGE:
        _copy_image(received.message)
    if answered_already:
        # LINE shows only the last message's quick reply: keep the earlier answer's buttons
        # (e.g. 「位置情報を送る」) on the notice that now comes last.
        earlier = ctx.reply_messages[-1].get("quickReply", {}).get("items", []) if ctx.reply_messages else []
        ctx.reply(line_messages.still_talking(conversation, keep_items=earlier))
    elif received.auto_answer:
        ctx.reply(line_messages.out_of_hours(received.auto_answer, conversation))
    elif received.first:
        ctx.reply(line_messages.delivered(conversation))
    elif received.reminder_due:
        ctx.reply(line_messages.still_talking(conversation))


def _fields(message) -> dict:
    kind = message.type
    fields: dict = {"line_message_id": message.id}
    if kind == "text":
        fields.update(kind=Message.Kind.TEXT, text=message.text)
    elif kind == "image":
        fields.update(kind=Message.Kind.IMAGE)
    elif kind == "location":
        fields.update(
            kind=Message.Kind.LOCATION,
            location={
                "latitude": message.latitude,
                "longitude": message.longitude,
                "title": getattr(message, "title", None) or "",
                "address": getattr(message, "address", None) or "",
            },
        )
    else:
        fields.update(kind=Message.Kind.OTHER, text=PLACEHOLDERS.get(kind, f"[{kind}]"))
    return fields


def _copy_image(message: Message) -> None:
    try:
        services.message_image_fetch(message=message)
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        # LINE keeps the image for a while: the worker tries again later.
        logger.warning("image of conversation message %s not copied yet: %s", message.pk, exc)
        from .tasks import message_image_fetch_task

        transaction.on_commit(lambda: message_image_fetch_task.schedule((message.pk,), delay=60))
