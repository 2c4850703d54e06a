"""New friends are invited to the 受信設定 page (SD-5), within LINE's five messages per reply."""

from __future__ import annotations

from datetime import date

import pytest

from tests.delivery.factories import TopicFactory, resident
from tests.fixtures.line import follow_event

pytestmark = pytest.mark.django_db


def test_a_new_friend_gets_the_greeting_then_the_invitation_with_a_liff_button(
    deliver, fake_line_api, settings
):
    deliver(follow_event("U" + "1" * 32))

    greeting, invitation = fake_line_api.replies[0].body["messages"]
    assert greeting["text"].startswith("友だち追加ありがとうございます")
    assert "受信設定" in invitation["text"]
    (item,) = invitation["quickReply"]["items"]
    assert item["action"] == {
        "type": "uri",
        "label": "受信設定をする",
        "uri": f"https://liff.line.me/{settings.LIFF_ID}/delivery/settings/",
    }


def test_a_returning_friend_is_told_where_to_change_their_settings(deliver, fake_line_api):
    returning = resident(topics=[TopicFactory(name="子育て")], children=[date(2025, 1, 1)])

    deliver(follow_event(returning.user_id))

    invitation = fake_line_api.replies[0].body["messages"][-1]
    assert invitation["quickReply"]["items"][0]["action"]["label"] == "受信設定を確認する"


def test_the_invitation_never_makes_the_reply_exceed_five_messages(deliver, fake_line_api, line_registry):
    line_registry.on_event("follow", lambda ctx: ctx.reply(["1", "2", "3", "4"]))

    deliver(follow_event("U" + "2" * 32))

    messages = fake_line_api.replies[0].body["messages"]
    assert len(messages) == 5 and not any("quickReply" in m for m in messages)


def test_no_invitation_when_a_feature_suppressed_the_greeting(deliver, fake_line_api, line_registry):
    line_registry.on_event("follow", lambda ctx: ctx.suppress_default_reply(), priority=10)

    deliver(follow_event("U" + "3" * 32))

    assert fake_line_api.replies == []
