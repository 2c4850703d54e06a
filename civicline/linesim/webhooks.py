"""Webhook events as the LINE platform builds, signs and delivers them (LINE's webhook.yml)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

import requests
from django.conf import settings

from .models import ReplyToken, UserMessage, VirtualUser, WebhookDelivery, new_quote_token

logger = logging.getLogger(__name__)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
WEBHOOK_TIMEOUT = 10  # seconds; LINE gives up on a slow bot too


def bot_user_id() -> str:
    """The bot's own user id (``destination``), stable for a channel as LINE's is."""
    return "U" + hashlib.sha256(f"linesim-bot:{settings.LINE_CHANNEL_ID}".encode()).hexdigest()[:32]


def bot_display_name() -> str:
    """The account's name as the phone shows it (settings.LINESIM_BOT_NAME: the city's, in the demo)."""
    return settings.LINESIM_BOT_NAME or "civicline"


def bot_picture_url() -> str:
    """The account's picture (settings.LINESIM_BOT_PICTURE_URL), or "": the phone shows the initial."""
    return settings.LINESIM_BOT_PICTURE_URL


def new_webhook_event_id() -> str:
    """A ULID, which is what LINE's webhookEventId is: 48-bit milliseconds + 80 random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.LINE_CHANNEL_SECRET if secret is None else secret
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _event(event_type: str, user: VirtualUser, *, reply: bool, **fields: Any) -> dict[str, Any]:
    event_id = new_webhook_event_id()
    event: dict[str, Any] = {
        "type": event_type,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user.user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    if reply:
        event["replyToken"] = ReplyToken.objects.create(user=user, webhook_event_id=event_id).token
    return {**event, **fields}


def follow_event(user: VirtualUser, *, is_unblocked: bool) -> dict[str, Any]:
    return _event("follow", user, reply=True, follow={"isUnblocked": is_unblocked})


def unfollow_event(user: VirtualUser) -> dict[str, Any]:
    return _event("unfollow", user, reply=False)


def _message_event(user: VirtualUser, message: dict[str, Any], **stored: Any) -> dict[str, Any]:
    sent = UserMessage.objects.create(user=user, type=message["type"], message={}, **stored)
    sent.message = {"id": sent.message_id, **message}
    sent.save(update_fields=["message"])
    return _event("message", user, reply=True, message=sent.message)


def text_event(user: VirtualUser, text: str) -> dict[str, Any]:
    return _message_event(user, {"type": "text", "quoteToken": new_quote_token(), "text": text})


def location_event(
    user: VirtualUser, *, latitude: float, longitude: float, title: str = "", address: str = ""
) -> dict[str, Any]:
    content: dict[str, Any] = {"type": "location", "latitude": latitude, "longitude": longitude}
    # LINE omits title and address when the user shared a bare pin.
    content.update({k: v for k, v in (("title", title), ("address", address)) if v})
    return _message_event(user, content)


def image_events(user: VirtualUser, images: list[tuple[bytes, str]]) -> list[dict[str, Any]]:
    """One event per image; several images sent at once share an imageSet, as in LINE."""
    image_set = secrets.token_hex(16).upper() if len(images) > 1 else None
    events = []
    for index, (data, content_type) in enumerate(images, start=1):
        content: dict[str, Any] = {
            "type": "image",
            "quoteToken": new_quote_token(),
            "contentProvider": {"type": "line"},
        }
        if image_set:
            content["imageSet"] = {"id": image_set, "index": index, "total": len(images)}
        events.append(_message_event(user, content, content=data, content_type=content_type))
    return events


def postback_event(user: VirtualUser, data: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    postback: dict[str, Any] = {"data": data}
    if params:
        postback["params"] = params
    return _event("postback", user, reply=True, postback=postback)


def deliver(event: dict[str, Any], *, user: VirtualUser | None = None) -> WebhookDelivery:
    """POST one event, signed, to the bot's webhook URL and log what happened (never raises)."""
    body = json.dumps(
        {"destination": bot_user_id(), "events": [event]}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    delivery = WebhookDelivery(
        webhook_event_id=event["webhookEventId"],
        event_type=event["type"],
        user=user,
        event=event,
        payload=body.decode(),
        url=settings.LINESIM_WEBHOOK_URL,
        is_redelivery=event["deliveryContext"]["isRedelivery"],
    )
    if not delivery.url:
        # As with LINE's "Use webhook" switched off: the event happens, nobody is told.
        delivery.error = "no webhook URL is set (LINESIM_WEBHOOK_URL)"
        delivery.save()
        return delivery
    try:
        response = requests.post(
            delivery.url,
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "x-line-signature": sign(body),
                "User-Agent": "LineBotWebhook/2.0",
            },
            timeout=WEBHOOK_TIMEOUT,
        )
        delivery.status_code = response.status_code
        if not response.ok:
            delivery.error = response.text[:2000]
    except requests.RequestException as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"
        logger.warning("linesim webhook to %s failed: %s", delivery.url, delivery.error)
    delivery.save()
    return delivery


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again as LINE's redelivery does: same webhookEventId, isRedelivery true."""
    event = {**delivery.event, "deliveryContext": {"isRedelivery": True}}
    return deliver(event, user=delivery.user)
