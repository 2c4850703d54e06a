"""civicline against the LINE emulator: signed webhooks in, Messaging API calls out, over HTTP."""

import pytest

from civicline.line.models import Friend, WebhookEvent
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db


@pytest.fixture
def linesim_webhook_url(live_server):
    return live_server.url + "/line/webhook"


def texts_for(linesim, user_id):
    return [m["message"].get("text", "") for m in linesim.client.messages_for(user_id)]


def test_follow_registers_the_friend_and_greets_them(linesim):
    user = linesim.client.create_user("豊中 太郎")

    user_id = user["userId"]

    delivery = linesim.client.follow(user_id)

    assert delivery["webhook"]["ok"]
    friend = Friend.objects.get(user_id=user_id)
    assert friend.display_name == "豊中 太郎" and friend.state == Friend.State.FOLLOWING
    greeting = texts_for(linesim, user_id)[0]  # features may add their own messages after it
    assert greeting.startswith("友だち追加ありがとうございます")


def test_text_message_gets_the_default_reply_and_unfollow_blocks(linesim):
    user = linesim.client.create_user("豊中 花子", follow=True)
    user_id = user["userId"]

    delivery = linesim.client.send_text(user_id, "こんにちは")
    linesim.client.unfollow(user_id)

    assert delivery["ok"]
    assert texts_for(linesim, user_id)[-1].startswith("メッセージありがとうございます。")
    assert Friend.objects.get(user_id=user_id).state == Friend.State.BLOCKED
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.Status.DONE}


def test_redelivery_from_the_emulator_is_not_processed_twice(linesim):
    user = linesim.client.create_user("豊中 次郎", follow=True)
    user_id = user["userId"]
    linesim.client.send_text(user_id, "一度だけ")

    linesim.client.redeliver()

    event = WebhookEvent.objects.get(event_type="message")
    assert event.redelivery_count == 1 and event.attempts == 1
    replies = [t for t in texts_for(linesim, user_id) if t.startswith("メッセージありがとうございます")]
    assert len(replies) == 1  # one default reply, not two
