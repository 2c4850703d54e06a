"""Event processing: friends bookkeeping, the registry's routing, default replies, failures."""

import contextlib
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from civicline.core import features
from civicline.line import handlers, registry
from civicline.line.models import Friend, WebhookEvent
from civicline.line.registry import Postback
from civicline.line.services import EVENT_MAX_ATTEMPTS
from civicline.line.tasks import EventsFailedError, webhook_events_process_task, webhook_events_sweep_task
from tests.fixtures.line import (
    FriendFactory,
    follow_event,
    post_webhook,
    postback_event,
    text_event,
    unfollow_event,
)

pytestmark = pytest.mark.django_db

DEFAULT_REPLY_START = "メッセージありがとうございます。"


def reply_texts(api, index=-1):
    return [m["text"] for m in api.replies[index].body["messages"]]


def test_follow_creates_friend_with_profile_and_greets(deliver, fake_line_api):
    fake_line_api.add_profile("U1", "豊中 花子")
    event = follow_event("U1")

    deliver(event)

    friend = Friend.objects.get(user_id="U1")
    assert friend.display_name == "豊中 花子"
    assert friend.picture_url.endswith("U1.jpg") and friend.language == "ja"
    assert friend.state == Friend.State.FOLLOWING and friend.followed_at is not None
    reply = fake_line_api.replies[0]
    assert reply.body["replyToken"] == event["replyToken"]
    assert reply_texts(fake_line_api)[0].startswith("友だち追加ありがとうございます")


def test_unfollow_marks_friend_blocked_and_keeps_them(deliver, fake_line_api):
    friend = FriendFactory(user_id="U1", display_name="花子")

    deliver(unfollow_event("U1"))

    friend.refresh_from_db()
    assert friend.state == Friend.State.BLOCKED and friend.blocked_at is not None
    assert friend.display_name == "花子"
    assert fake_line_api.replies == []


def test_follow_after_block_follows_again(deliver, fake_line_api):
    fake_line_api.add_profile("U1", "新しい名前")
    deliver(unfollow_event("U1"))

    deliver(follow_event("U1", timestamp=unfollow_event("U1")["timestamp"] + 1000))

    friend = Friend.objects.get(user_id="U1")
    assert friend.state == Friend.State.FOLLOWING and friend.display_name == "新しい名前"


def test_late_unfollow_does_not_undo_a_newer_follow(deliver, fake_line_api):
    follow = follow_event("U1")
    deliver(follow)

    deliver(unfollow_event("U1", timestamp=follow["timestamp"] - 60_000))

    assert Friend.objects.get(user_id="U1").state == Friend.State.FOLLOWING


def test_every_event_moves_last_seen_forward(deliver, fake_line_api):
    first = text_event("U1", "a")
    deliver(first)
    seen = Friend.objects.get(user_id="U1").last_seen

    deliver(text_event("U1", "b", timestamp=first["timestamp"] + 5000))
    deliver(text_event("U1", "old", timestamp=first["timestamp"] - 5000))

    friend = Friend.objects.get(user_id="U1")
    assert (friend.last_seen - seen).total_seconds() == 5
    assert friend.first_seen == seen


def test_unhandled_text_gets_the_polite_default_reply(deliver, fake_line_api, line_registry):
    deliver(text_event("U1", "何か"))

    assert len(fake_line_api.replies) == 1
    assert reply_texts(fake_line_api)[0].startswith(DEFAULT_REPLY_START)


def test_text_pattern_routes_to_first_match_by_priority(deliver, fake_line_api, line_registry):
    calls = []
    line_registry.on_text(r"ごみ", lambda ctx: calls.append("late") or ctx.reply("late"), priority=200)
    line_registry.on_text(
        r"^(ごみ|ゴミ)(?P<what>.*)", lambda ctx: ctx.reply(f"分別: {ctx.match['what']}"), priority=10
    )

    deliver(text_event("U1", "ごみ 電池"))

    assert reply_texts(fake_line_api) == ["分別:  電池"]
    assert calls == []


def test_postback_convention_routes_by_feature_and_action(deliver, fake_line_api, line_registry):
    seen = []
    line_registry.on_postback("parking", lambda ctx: seen.append(("any", ctx.postback)))
    line_registry.on_postback(
        "parking", lambda ctx: seen.append(("cancel", ctx.postback)), action="cancel"
    )

    deliver(postback_event("U1", "feature=parking&action=cancel&booking=42"))
    deliver(postback_event("U1", "feature=parking&action=list"))

    assert seen[0] == (
        "cancel",
        Postback(
            "feature=parking&action=cancel&booking=42", "parking", "cancel", {"booking": "42"}
        ),
    )
    assert seen[1][0] == "any" and seen[1][1].action == "list"
    # Handled without replying: no default reply either.
    assert fake_line_api.replies == []


@pytest.mark.parametrize("data", ["feature=unknown&action=x", "plain-data", ""])
def test_postback_nobody_owns_gets_the_default_reply(deliver, fake_line_api, line_registry, data):
    deliver(postback_event("U1", data))

    assert reply_texts(fake_line_api)[0].startswith(DEFAULT_REPLY_START)


def test_event_handlers_run_before_routing_and_can_claim_the_event(deliver, fake_line_api, line_registry):
    line_registry.on_text("申請", lambda ctx: ctx.reply("routed"))
    line_registry.on_event("message", lambda ctx: ctx.reply("会話の続き"))

    deliver(text_event("U1", "申請"))

    assert reply_texts(fake_line_api) == ["会話の続き"]


def test_handler_gets_typed_event_and_friend(deliver, fake_line_api, line_registry):
    fake_line_api.add_profile("U1", "花子")
    got = {}
    line_registry.on_text(".*", lambda ctx: got.update(event=ctx.event, friend=ctx.friend, text=ctx.text))

    deliver(text_event("U1", "hi"))

    assert type(got["event"]).__name__ == "MessageEvent"
    assert got["friend"].display_name == "花子" and got["text"] == "hi"


def _names(handlers):
    return [f"{h.__module__}.{h.__name__}" for h in handlers]


def test_the_manifests_order_the_dispatch():
    """Residents' messages go where they always went: the pairing code first, the emergency answers
    at 15, the conversations in progress, then reports and the shelter search; words a feature owns
    before the chatbot, which takes any text last."""
    table = registry.current()

    assert _names(table.event_handlers("message")) == [
        "civicline.line.preview.pairing_on_message",
        "civicline.facilities.handlers.on_emergency_message",
        "civicline.publiccomment.handlers.on_message",
        "civicline.conversations.handlers.on_message",
        "civicline.reports.handlers.on_message",
        "civicline.facilities.handlers.on_location",
    ]
    assert _names(e.handler for e in table._texts) == [
        "civicline.surveys.handlers.on_keyword",
        "civicline.publiccomment.handlers.on_keyword",
        "civicline.conversations.handlers.on_ask_staff",
        "civicline.facilities.handlers.ask_location",
        "civicline.chatbot.handlers.on_scenario",
        "civicline.chatbot.handlers.on_contact",
        "civicline.chatbot.handlers.on_question",
    ]
    assert _names(table.event_handlers("follow")) == [
        "civicline.richmenu.handlers.followed",
        "civicline.delivery.handlers.invite_on_follow",
    ]


def test_a_feature_answers_what_its_manifest_lists(deliver, fake_line_api, monkeypatch):
    parking = features.Feature(
        key="parking",
        label="駐輪場",
        line_handlers=(
            features.OnText("^駐輪場$", lambda ctx: ctx.reply("駐輪場のご案内"), priority=10),
            features.OnPostback("parking", lambda ctx: ctx.reply("予約を取り消しました"), action="cancel"),
        ),
    )
    monkeypatch.setattr(features, "_features", {**features._features, parking.key: parking})

    deliver(text_event("U1", "駐輪場"))
    deliver(postback_event("U1", "feature=parking&action=cancel"))

    assert reply_texts(fake_line_api, 0) == ["駐輪場のご案内"]
    assert reply_texts(fake_line_api, 1) == ["予約を取り消しました"]


def test_feature_extends_the_greeting(deliver, fake_line_api, line_registry):
    line_registry.on_event("follow", lambda ctx: ctx.reply("クーポンです"))

    deliver(follow_event("U1"))

    texts = reply_texts(fake_line_api)
    assert texts[0].startswith("友だち追加ありがとうございます") and texts[1] == "クーポンです"


def test_a_new_friend_whose_line_app_is_in_english_is_greeted_in_english(
    deliver, fake_line_api, line_registry
):
    """issue 21: the profile fetched at follow decides the greeting's language, before dispatch."""
    fake_line_api.add_profile("U1", "Anna", language="en")
    spoken = []
    line_registry.on_event("follow", lambda ctx: spoken.append(translation.get_language()))

    deliver(follow_event("U1"))

    with translation.override("en"):
        english = handlers.greeting(None)
    assert spoken == ["en"] and reply_texts(fake_line_api)[0] == english


def test_a_friend_whose_line_app_is_in_japanese_is_greeted_in_japanese(deliver, fake_line_api, line_registry):
    """issue 21: the greeting of a Japanese-language friend is the Japanese one."""
    fake_line_api.add_profile("U1", "豊中 花子", language="ja")

    deliver(follow_event("U1"))

    assert reply_texts(fake_line_api)[0].startswith("友だち追加ありがとうございます")


def test_feature_replaces_the_greeting(deliver, fake_line_api, line_registry):
    line_registry.set_default_reply("follow", lambda ctx: "ようこそ")

    deliver(follow_event("U1"))

    assert reply_texts(fake_line_api)[0] == "ようこそ"  # features may still add their own messages after it


def test_feature_suppresses_the_greeting_for_one_event(deliver, fake_line_api, line_registry):
    line_registry.on_event("follow", lambda ctx: ctx.suppress_default_reply())

    deliver(follow_event("U1"))

    assert fake_line_api.replies == []


def retry(event):
    """What huey does after retry_delay (tests run tasks immediately, so retries wait in its schedule)."""
    webhook_events_process_task.call_local([event.webhook_event_id])


def test_failing_handler_is_recorded_then_retried_without_losing_the_event(
    deliver, fake_line_api, line_registry
):
    attempts = []

    def flaky(ctx):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database briefly away")
        ctx.reply("ok")

    line_registry.on_text("申請", flaky)
    deliver(text_event("U1", "申請"))
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED and "database briefly away" in event.error

    retry(event)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DONE and event.attempts == 2 and event.error == ""
    assert reply_texts(fake_line_api) == ["ok"]


def test_failure_that_persists_stops_after_bounded_attempts(deliver, fake_line_api, line_registry):
    line_registry.on_text("申請", lambda ctx: 1 / 0)
    deliver(text_event("U1", "申請"))
    event = WebhookEvent.objects.get()

    for _ in range(EVENT_MAX_ATTEMPTS):
        with contextlib.suppress(EventsFailedError):
            retry(event)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.attempts == EVENT_MAX_ATTEMPTS and "ZeroDivisionError" in event.error
    assert fake_line_api.replies == []


def test_sweep_picks_up_events_whose_enqueue_was_lost(client, fake_line_api):
    # No on-commit callbacks run here: as if the queue had been unreachable.
    post_webhook(client, [text_event("U1", "hi")])
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))

    webhook_events_sweep_task()

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE
    assert len(fake_line_api.replies) == 1


def test_unknown_event_type_is_kept_and_marked(deliver, fake_line_api):
    deliver({**text_event("U1", "x"), "type": "somethingNew"})

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.DONE and event.error.startswith("not dispatched")


def test_postback_parse_convention():
    parsed = Postback.parse("feature=surveys&action=answer&q=1&note=")

    assert (parsed.feature, parsed.action, parsed.params) == ("surveys", "answer", {"q": "1", "note": ""})


# --- nobody goes unanswered after an outage (X-14, X-17) -------------------------------------------


def test_after_the_worker_was_down_residents_are_answered_by_push(client, fake_line_api):
    """The 40 messages of the pen test: every reply token had expired before the worker came back."""
    events = [text_event(f"U{n:032d}", "hi") for n in range(3)]
    for event in events:
        event["timestamp"] -= 4 * 60 * 1000  # sent four minutes ago, while no worker ran
    post_webhook(client, events)  # queue unreachable: nothing processed now
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=4))

    webhook_events_sweep_task()

    assert fake_line_api.replies == []  # an expired token would only be refused
    pushes = fake_line_api.to("/v2/bot/message/push")
    assert sorted(p.body["to"] for p in pushes) == sorted(e["source"]["userId"] for e in events)
    assert all(p.body["messages"][0]["text"].startswith(DEFAULT_REPLY_START) for p in pushes)
    notes = set(WebhookEvent.objects.values_list("error", flat=True))
    assert all("answered by push" in note for note in notes)


def test_a_reply_line_refuses_as_expired_is_sent_again_by_push(deliver, fake_line_api):
    fake_line_api.respond("/v2/bot/message/reply", 400, {"message": "Invalid reply token"})

    deliver(text_event("U1", "hi"))

    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == "U1" and push.body["messages"][0]["text"].startswith(DEFAULT_REPLY_START)
    assert "reply token refused" in WebhookEvent.objects.get().error


def test_a_fresh_event_is_answered_by_reply_only(deliver, fake_line_api):
    deliver(text_event("U1", "hi"))

    assert len(fake_line_api.replies) == 1 and fake_line_api.to("/v2/bot/message/push") == []
    assert WebhookEvent.objects.get().error == ""


def test_a_city_can_turn_the_push_fallback_off(client, fake_line_api, settings):
    settings.LINE_ANSWER_BY_PUSH = False
    event = text_event("U1", "hi")
    event["timestamp"] -= 4 * 60 * 1000
    post_webhook(client, [event])
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=4))

    webhook_events_sweep_task()

    assert fake_line_api.to("/v2/bot/message/push") == []
    assert len(fake_line_api.replies) == 1
