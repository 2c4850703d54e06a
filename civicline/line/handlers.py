"""Dispatch of one stored event to the registered handlers, and the line app's default replies."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils.translation import gettext as _

from . import registry
from .messaging import Messages, message_answer
from .registry import LineContext

logger = logging.getLogger(__name__)

# Events that a resident expects an answer to when no feature took them.
ANSWERED_WHEN_UNHANDLED = ("message", "postback")


def greeting(ctx: LineContext) -> Messages:
    return _(
        "友だち追加ありがとうございます。市の公式アカウントです。"
        "ごみの出し方、施設の予約、各種お知らせなどを、画面下のメニューからご利用いただけます。"
    )


def unhandled(ctx: LineContext) -> Messages:
    return _(
        "メッセージありがとうございます。"
        "このアカウントでは個別のご返信はしておりません。画面下のメニューからご利用ください。"
    )


# The line app's manifest lists them (``Feature.line_default_replies``).
DEFAULT_REPLIES = {"follow": greeting, **dict.fromkeys(ANSWERED_WHEN_UNHANDLED, unhandled)}


def dispatch(ctx: LineContext, *, event_time: datetime | None = None) -> str:
    """Run the event's handlers, then send everything they (and the defaults) queued in one answer.

    Returns a note for the event's record ("" when there is nothing to note).
    """
    reg = registry.current()
    event_type = ctx.webhook_event.event_type
    default = reg.default_reply(event_type)
    if event_type == "follow" and default:
        # Queued first so that features' follow handlers extend the greeting (or suppress it).
        ctx.queue_default_reply(default(ctx))
    for handler in reg.event_handlers(event_type):
        handler(ctx)
        if ctx.consumed:
            break
    if not ctx.handled:
        routed = reg.route(ctx)
        if routed is not None:
            ctx.handled = True
            routed(ctx)
    if not ctx.handled and event_type in ANSWERED_WHEN_UNHANDLED and default:
        ctx.queue_default_reply(default(ctx))
    if not (ctx.reply_messages and ctx.reply_token):
        return ""
    answer = message_answer(
        reply_token=ctx.reply_token, user_id=ctx.user_id, messages=ctx.reply_messages, event_time=event_time
    )
    if not answer.by_push:
        return ""
    logger.warning(
        "LINE event %s answered by push: %s", ctx.webhook_event.webhook_event_id, answer.reason,
        extra={"send_id": answer.send.pk},
    )
    return f"answered by push (send {answer.send.pk}): {answer.reason}"
