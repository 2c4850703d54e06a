"""LINE events of delivery: new friends are invited to register what they want to receive (SD-5)."""

from __future__ import annotations

import logging

from civicline.line.messaging import MAX_MESSAGES_PER_REQUEST
from civicline.line.registry import LineContext

from . import line_messages, selectors

logger = logging.getLogger(__name__)


INVITATION_PRIORITY = 900  # after other features' follow messages: LINE shows the quick reply of the last


def invite_on_follow(ctx: LineContext) -> None:
    """Add the 受信設定 invitation to the greeting (one reply of at most 5 messages, shared).

    Nothing is added when the greeting was suppressed for this event and nobody else replies: the
    feature that did so answers the follow its own way.
    """
    if ctx.friend is None or not ctx.reply_messages:
        return
    if len(ctx.reply_messages) >= MAX_MESSAGES_PER_REQUEST:
        logger.warning("follow reply already full; 受信設定 invitation left out")
        return
    registered = selectors.resident_has_settings(friend=ctx.friend)
    ctx.reply(line_messages.invitation(registered=registered))
