"""State changes of the emulated platform: users acting in their LINE app, and LINE delivering messages.

User actions send the webhook LINE would send and return its delivery log entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from . import webhooks
from .models import DeliveredMessage, VirtualUser, WebhookDelivery, new_message_id, new_quote_token
from .routers import EMULATOR_DB

# Message types LINE returns a quoteToken for when a bot sends them.
QUOTABLE = {"text", "textV2", "sticker", "image", "video"}


def user_create(*, display_name: str, language: str = "ja", picture_url: str = "") -> VirtualUser:
    return VirtualUser.objects.create(display_name=display_name, language=language, picture_url=picture_url)


def user_follow(user: VirtualUser) -> WebhookDelivery | None:
    """Add the account as a friend (or unblock it); LINE sends nothing if already a friend."""
    if user.reachable:
        return None
    was_blocked = user.blocked
    user.following, user.blocked = True, False
    user.save(update_fields=["following", "blocked"])
    return webhooks.deliver(webhooks.follow_event(user, is_unblocked=was_blocked), user=user)


def user_unfollow(user: VirtualUser, *, block: bool = False) -> WebhookDelivery | None:
    """Remove or block the account. LINE reports both as one unfollow event, and only once."""
    was_reachable = user.reachable
    user.following = False
    user.blocked = user.blocked or block
    user.save(update_fields=["following", "blocked"])
    if not was_reachable:
        return None
    return webhooks.deliver(webhooks.unfollow_event(user), user=user)


def user_send_text(user: VirtualUser, text: str) -> WebhookDelivery:
    return webhooks.deliver(webhooks.text_event(user, text), user=user)


def user_send_location(user: VirtualUser, **location: Any) -> WebhookDelivery:
    return webhooks.deliver(webhooks.location_event(user, **location), user=user)


def user_send_images(user: VirtualUser, images: list[tuple[bytes, str]]) -> list[WebhookDelivery]:
    return [webhooks.deliver(event, user=user) for event in webhooks.image_events(user, images)]


def user_send_postback(user: VirtualUser, data: str, params: dict[str, str] | None = None) -> WebhookDelivery:
    return webhooks.deliver(webhooks.postback_event(user, data, params), user=user)


def messages_deliver(
    *,
    users: Iterable[VirtualUser],
    messages: list[dict[str, Any]],
    api: str,
    request_id: str,
    retry_key: str = "",
    notification_disabled: bool = False,
) -> tuple[list[dict[str, str]], int]:
    """Store each message for each reachable user; return LINE's sentMessages and the reach count.

    Users who unfollowed or blocked get nothing, and the bot is not told, as on LINE.
    """
    sent = []
    for message in messages:
        entry = {"id": new_message_id()}
        if message.get("type") in QUOTABLE:
            entry["quoteToken"] = new_quote_token()
        sent.append(entry)
    reached = [user for user in users if user.reachable]
    rows = [
        DeliveredMessage(
            user=user,
            message_id=entry["id"],
            quote_token=entry.get("quoteToken", ""),
            api=api,
            message=message,
            notification_disabled=notification_disabled,
            request_id=request_id,
            retry_key=retry_key,
        )
        for user in reached
        for entry, message in zip(sent, messages, strict=True)
    ]
    with transaction.atomic(using=EMULATOR_DB):
        DeliveredMessage.objects.bulk_create(rows)
    return sent, len(reached)
