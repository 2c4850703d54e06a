"""The emulator's Messaging API answers as LINE documents (messaging-api.yml and the API reference)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    TextMessage,
)

from civicline.linesim.models import ReplyToken
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db

TEXT = {"type": "text", "text": "こんにちは"}


def call(
    linesim, path: str, body: dict | None = None, *, method: str = "POST", token: str | None = None, **headers
):
    token = settings.LINE_CHANNEL_ACCESS_TOKEN if token is None else token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{linesim.base_url}{path}", json=body, headers=headers, timeout=10)


@pytest.fixture
def friend(linesim) -> dict:
    return linesim.client.create_user("山田 太郎", follow=True)


def test_push_is_delivered_and_visible_through_the_control_api(linesim, friend):
    response = call(linesim, "/v2/bot/message/push", {"to": friend["userId"], "messages": [TEXT]})

    assert response.status_code == 200
    [sent] = response.json()["sentMessages"]
    assert sent["id"].isdigit() and sent["quoteToken"]
    [delivered] = linesim.client.messages_for(friend["userId"])
    assert delivered["message"] == TEXT
    assert delivered["api"] == "push"
    assert delivered["id"] == sent["id"]
    assert delivered["requestId"] == response.headers["x-line-request-id"]


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "Authorization header required"), ("wrong-token", "Authentication failed")],
)
def test_missing_or_wrong_token_is_401(linesim, friend, token, message):
    response = call(
        linesim, "/v2/bot/message/push", {"to": friend["userId"], "messages": [TEXT]}, token=token
    )

    assert response.status_code == 401
    assert response.json()["message"].startswith(message)
    assert response.headers["x-line-request-id"]
    assert linesim.client.messages_for(friend["userId"]) == []


def test_wrong_schema_is_400_with_details(linesim, friend):
    body = {"to": friend["userId"], "messages": [TEXT, {"type": "text"}, {"type": "nonsense"}]}

    response = call(linesim, "/v2/bot/message/push", body)

    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 2 error(s)",
        "details": [
            {"message": "Length must be between 1 and 5000", "property": "messages[1].text"},
            {"message": "Invalid message type", "property": "messages[2].type"},
        ],
    }


def test_missing_property_is_named(linesim):
    response = call(linesim, "/v2/bot/message/push", {"messages": [TEXT]})

    assert response.status_code == 400
    assert response.json()["details"] == [{"message": "May not be empty", "property": "to"}]


def test_six_messages_are_400(linesim, friend):
    response = call(linesim, "/v2/bot/message/push", {"to": friend["userId"], "messages": [TEXT] * 6})

    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "messages"
    assert linesim.client.messages_for(friend["userId"]) == []


def test_multicast_reaches_every_recipient(linesim, friend):
    other = linesim.client.create_user("佐藤 花子", follow=True)

    response = call(
        linesim, "/v2/bot/message/multicast", {"to": [friend["userId"], other["userId"]], "messages": [TEXT]}
    )

    assert response.status_code == 200
    assert response.json() == {}
    assert [m["message"] for m in linesim.client.messages_for(other["userId"])] == [TEXT]
    assert [m["api"] for m in linesim.client.messages_for(friend["userId"])] == ["multicast"]


def test_multicast_to_501_recipients_is_400(linesim, friend):
    response = call(
        linesim, "/v2/bot/message/multicast", {"to": [friend["userId"]] * 501, "messages": [TEXT]}
    )

    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "to"


def test_unknown_user_ids_are_400(linesim, friend):
    unknown = "U" + uuid.uuid4().hex

    push = call(linesim, "/v2/bot/message/push", {"to": unknown, "messages": [TEXT]})
    multicast = call(
        linesim, "/v2/bot/message/multicast", {"to": [friend["userId"], unknown, "x"], "messages": [TEXT]}
    )

    assert push.status_code == 400
    assert push.json()["message"] == "Failed to send messages"
    assert multicast.status_code == 400
    assert multicast.json()["details"] == [
        {"message": "Unknown user ID", "property": "to[1]"},
        {"message": "Invalid user ID", "property": "to[2]"},
    ]
    assert linesim.client.messages_for(friend["userId"]) == []


def test_reused_retry_key_is_409_with_the_accepted_request_id(linesim, friend):
    key = str(uuid.uuid4())
    body = {"to": friend["userId"], "messages": [TEXT]}

    first = call(linesim, "/v2/bot/message/push", body, **{"X-Line-Retry-Key": key})
    again = call(linesim, "/v2/bot/message/push", body, **{"X-Line-Retry-Key": key})

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["message"] == "The retry key is already accepted"
    assert again.json()["sentMessages"] == first.json()["sentMessages"]
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert len(linesim.client.messages_for(friend["userId"])) == 1


def test_retry_key_must_be_a_uuid(linesim, friend):
    body = {"to": [friend["userId"]], "messages": [TEXT]}

    response = call(linesim, "/v2/bot/message/multicast", body, **{"X-Line-Retry-Key": "not-a-uuid"})

    assert response.status_code == 400
    assert "X-Line-Retry-Key" in response.json()["message"]


def test_a_reply_token_works_once(linesim, friend):
    token = linesim.client.send_text(friend["userId"], "ごみの日は？")["event"]["replyToken"]

    first = call(linesim, "/v2/bot/message/reply", {"replyToken": token, "messages": [TEXT]})
    second = call(linesim, "/v2/bot/message/reply", {"replyToken": token, "messages": [TEXT]})

    assert first.status_code == 200
    assert first.json()["sentMessages"][0]["id"]
    assert second.status_code == 400
    assert second.json() == {"message": "Invalid reply token"}
    assert [m["api"] for m in linesim.client.messages_for(friend["userId"])] == ["reply"]


def test_unknown_or_expired_reply_tokens_are_invalid(linesim, friend):
    token = linesim.client.send_text(friend["userId"], "hello")["event"]["replyToken"]
    stale = ReplyToken.objects.get(token=token)
    stale.created_at -= timedelta(minutes=2)
    stale.save()

    for candidate in (token, uuid.uuid4().hex):
        response = call(linesim, "/v2/bot/message/reply", {"replyToken": candidate, "messages": [TEXT]})
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid reply token"


def test_users_who_unfollowed_or_blocked_get_nothing(linesim, friend):
    left = linesim.client.create_user("去った人", follow=True)
    blocker = linesim.client.create_user("ブロックした人", follow=True)
    linesim.client.unfollow(left["userId"])
    linesim.client.block(blocker["userId"])

    push = call(linesim, "/v2/bot/message/push", {"to": left["userId"], "messages": [TEXT]})
    broadcast = call(linesim, "/v2/bot/message/broadcast", {"messages": [TEXT]})

    assert push.status_code == 200  # LINE does not tell the bot
    assert broadcast.status_code == 200
    assert linesim.client.messages_for(left["userId"]) == []
    assert linesim.client.messages_for(blocker["userId"]) == []
    assert [m["api"] for m in linesim.client.messages_for(friend["userId"])] == ["broadcast"]


def test_narrowcast_is_accepted_and_reports_progress(linesim, friend):
    response = call(linesim, "/v2/bot/message/narrowcast", {"messages": [TEXT]})
    request_id = response.headers["x-line-request-id"]

    progress = call(linesim, f"/v2/bot/message/progress/narrowcast?requestId={request_id}", method="GET")

    assert response.status_code == 202
    assert progress.json()["phase"] == "succeeded"
    assert progress.json()["successCount"] == 1
    assert progress.json()["acceptedTime"].endswith("Z")
    assert [m["api"] for m in linesim.client.messages_for(friend["userId"])] == ["narrowcast"]


def test_profile_bot_info_and_followers(linesim, friend):
    stranger = linesim.client.create_user("未登録")

    profile = call(linesim, f"/v2/bot/profile/{friend['userId']}", method="GET")
    hidden = call(linesim, f"/v2/bot/profile/{stranger['userId']}", method="GET")
    info = call(linesim, "/v2/bot/info", method="GET")
    page = call(linesim, "/v2/bot/followers/ids?limit=1", method="GET")

    assert profile.json() == {"displayName": "山田 太郎", "userId": friend["userId"], "language": "ja"}
    assert hidden.status_code == 404
    assert info.json()["userId"].startswith("U") and len(info.json()["userId"]) == 33
    assert page.json()["userIds"] == [friend["userId"]]
    assert "next" not in page.json()


def test_the_line_sdk_talks_to_the_emulator(linesim, friend):
    """civicline's own client code uses line-bot-sdk; the emulator must satisfy it end to end."""
    image = b"\x89PNG\r\n\x1a\nfake"
    message_id = linesim.client.send_image(friend["userId"], image, "image/png")["event"]["message"]["id"]
    config = Configuration(host=linesim.base_url, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)

    with ApiClient(config) as api_client:
        api = MessagingApi(api_client)
        sent = api.push_message(
            PushMessageRequest(to=friend["userId"], messages=[TextMessage(text="お知らせ")]),
            x_line_retry_key=str(uuid.uuid4()),
        )
        profile = api.get_profile(friend["userId"])
        content = MessagingApiBlob(api_client).get_message_content(message_id)
        with pytest.raises(ApiException) as error:
            api.push_message(PushMessageRequest(to=friend["userId"], messages=[TextMessage(text="")]))

    assert sent.sent_messages[0].id
    assert profile.display_name == "山田 太郎"
    assert bytes(content) == image
    assert error.value.status == 400
    assert linesim.client.messages_for(friend["userId"])[0]["message"] == {"type": "text", "text": "お知らせ"}
