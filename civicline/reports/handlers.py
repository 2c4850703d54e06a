"""The talk side of photo reports (PH-1): photos and a location sent to the account lead to the form.

A resident who sends photos gets asked for the place (LINE's location picker) and then for the
form, where the photos and place are already filled in; nothing personal is asked in the talk.
A location counts as part of a report only while talk photos of the resident are recent;
otherwise it is left to the features after us (the shelter search answers locations).
"""

from __future__ import annotations

import logging

import urllib3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from linebot.v3.messaging import ApiException

from civicline.line.registry import LineContext

from . import line_messages, selectors, services
from .models import PhotoSource

logger = logging.getLogger(__name__)

# Before the shelter search (500): a location sent for a report is the report's.
TALK_PRIORITY = 200


def on_start(ctx: LineContext) -> None:
    ctx.reply(line_messages.ask_to_report())


def on_message(ctx: LineContext) -> None:
    message = getattr(ctx.event, "message", None)
    if ctx.handled or ctx.friend is None or message is None:
        return
    if message.type == "image":
        _image(ctx, message)
    elif message.type == "location" and services.talk_report_in_progress(friend=ctx.friend):
        services.talk_location_receive(
            friend=ctx.friend,
            latitude=message.latitude,
            longitude=message.longitude,
            address=message.address or "",
        )
        ctx.reply(line_messages.location_received())


def _image(ctx: LineContext, message) -> None:
    try:
        services.talk_photo_receive(friend=ctx.friend, message_id=message.id)
    except ValidationError as exc:
        ctx.reply(line_messages.photo_refused(" ".join(exc.messages)))
        return
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        # LINE keeps content only for a while; the resident can attach the photo in the form instead.
        logger.warning("content of LINE message %s unavailable: %s", message.id, getattr(exc, "status", exc))
        ctx.reply(line_messages.photo_refused(_("通報フォームから写真を選んで送ってください。")))
        return
    image_set = message.image_set
    if image_set is not None and (image_set.index or 0) < (image_set.total or 0):
        ctx.mark_handled()  # photos sent together get one answer, after the last of them
        return
    count = selectors.pending_photos_of(friend=ctx.friend).filter(source=PhotoSource.TALK).count()
    has_location = selectors.talk_draft_of(friend=ctx.friend) is not None
    ctx.reply(line_messages.photos_received(count, has_location=has_location))
