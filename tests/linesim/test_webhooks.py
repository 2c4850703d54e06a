"""Webhooks leave the emulator signed and shaped as LINE's webhook.yml says; line-bot-sdk accepts them."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db


def parse(received, secret: str | None = None):
    parser = WebhookParser(settings.LINE_CHANNEL_SECRET if secret is None else secret)
    return parser.parse(received.body.decode(), received.headers["x-line-signature"], as_payload=True)


def test_follow_event_is_signed_and_parses_with_the_sdk(linesim, receiver):
    user = linesim.client.create_user("山田 太郎")

    delivery = linesim.client.follow(user["userId"])["webhook"]
    payload = parse(receiver.last)

    assert delivery["ok"] and delivery["statusCode"] == 200
    [event] = payload.events
    assert isinstance(event, FollowEvent)
    assert event.follow.is_unblocked is False
    assert event.source.user_id == user["userId"]
    assert event.reply_token
    assert event.mode.value == "active"
    assert event.delivery_context.is_redelivery is False
    assert len(event.webhook_event_id) == 26
    assert event.timestamp > 1_600_000_000_000
    assert payload.destination == json.loads(receiver.last.body)["destination"]
    assert payload.destination.startswith("U") and len(payload.destination) == 33


def test_another_secret_does_not_verify(linesim, receiver):
    user = linesim.client.create_user("山田 太郎", follow=True)

    with pytest.raises(InvalidSignatureError):
        parse(receiver.last, secret="some-other-secret")
    assert user["webhook"]["ok"]


def test_messages_and_postbacks_parse_with_the_sdk(linesim, receiver):
    uid = linesim.client.create_user("山田 太郎", follow=True)["userId"]

    linesim.client.send_text(uid, "粗大ごみの出し方")
    linesim.client.send_location(uid, 35.6812, 139.7671, title="東京駅", address="千代田区丸の内1丁目")
    linesim.client.send_images(uid, [(b"one", "image/jpeg"), (b"two", "image/jpeg")])
    linesim.client.send_postback(uid, "action=reserve&slot=12", params={"datetime": "2025-12-01T10:00"})

    events = [parse(r).events[0] for r in receiver.requests[1:]]
    text, location, first_image, second_image, postback = events
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "粗大ごみの出し方" and text.message.quote_token
    assert isinstance(location.message, LocationMessageContent)
    assert (location.message.latitude, location.message.title) == (35.6812, "東京駅")
    assert isinstance(first_image.message, ImageMessageContent)
    assert first_image.message.content_provider.type == "line"
    assert first_image.message.image_set.id == second_image.message.image_set.id
    assert (second_image.message.image_set.index, second_image.message.image_set.total) == (2, 2)
    assert isinstance(postback, PostbackEvent)
    assert postback.postback.data == "action=reserve&slot=12"
    assert postback.postback.params == {"datetime": "2025-12-01T10:00"}
    assert len({e.reply_token for e in events}) == 5


def test_block_sends_unfollow_without_reply_token_and_unblock_says_so(linesim, receiver):
    uid = linesim.client.create_user("山田 太郎", follow=True)["userId"]

    linesim.client.block(uid)
    unfollow = parse(receiver.last).events[0]
    linesim.client.follow(uid)
    refollow = parse(receiver.last).events[0]

    assert isinstance(unfollow, UnfollowEvent)
    assert "replyToken" not in json.loads(receiver.requests[1].body)["events"][0]
    assert isinstance(refollow, FollowEvent) and refollow.follow.is_unblocked is True
    assert linesim.client.block(uid)["webhook"] is not None
    assert linesim.client.block(uid)["webhook"] is None  # nothing new to tell the bot


def test_redelivery_keeps_the_event_id(linesim, receiver):
    uid = linesim.client.create_user("山田 太郎", follow=True)["userId"]
    original = linesim.client.send_text(uid, "もう一度")

    again = linesim.client.redeliver()
    event = parse(receiver.last).events[0]

    assert again["webhookEventId"] == original["webhookEventId"] == event.webhook_event_id
    assert event.delivery_context.is_redelivery is True
    assert event.message.text == "もう一度"


def test_failed_deliveries_are_logged(linesim, receiver):
    uid = linesim.client.create_user("山田 太郎", follow=True)["userId"]
    receiver.status = 500

    failed = linesim.client.send_text(uid, "届かない")
    linesim.use_webhook("http://127.0.0.1:9/line/webhook")
    unreachable = linesim.client.send_text(uid, "届かない")

    assert (failed["statusCode"], failed["ok"]) == (500, False)
    assert unreachable["statusCode"] is None and "ConnectionError" in unreachable["error"]
    assert [w["ok"] for w in linesim.client.webhooks(uid)] == [True, False, False]
