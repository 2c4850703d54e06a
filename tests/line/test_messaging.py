"""Outbound sends: retry keys, 409, backoff, chunking, limits, and every recipient's outcome."""

import pytest

from civicline.line import messaging
from civicline.line.messaging import (
    TooManyMessagesError,
    message_broadcast,
    message_multicast,
    message_narrowcast,
    message_push,
    message_reply,
)
from civicline.line.models import OutboundSend, SendRecipient
from civicline.line.tasks import outbound_send_task

pytestmark = pytest.mark.django_db

PUSH = "/v2/bot/message/push"
MULTICAST = "/v2/bot/message/multicast"
REPLY = "/v2/bot/message/reply"


def test_push_is_sent_with_a_retry_key_and_recorded(fake_line_api):
    send = message_push(to="U1", messages="お知らせです")

    (request,) = fake_line_api.to(PUSH)
    assert request.body["to"] == "U1"
    assert request.body["messages"] == [{"type": "text", "text": "お知らせです"}]
    assert request.headers["x-line-retry-key"] == str(send.retry_key)
    assert request.headers["authorization"] == "Bearer test-channel-access-token"
    assert send.status == OutboundSend.Status.SENT and send.request_id and send.finished_at
    assert list(send.recipients.values_list("user_id", "status")) == [("U1", SendRecipient.Status.ACCEPTED)]


def test_retry_reuses_the_retry_key_and_409_counts_as_accepted(fake_line_api, line_sleeps):
    # The first attempt reached LINE but its answer was lost (500); the retry hears "already accepted".
    fake_line_api.respond(PUSH, 500, {"message": "boom"})
    fake_line_api.respond(
        PUSH,
        409,
        {"message": "The retry key is already accepted"},
        headers={"x-line-accepted-request-id": "accepted-123"},
    )

    send = message_push(to="U1", messages="x")

    keys = {r.headers["x-line-retry-key"] for r in fake_line_api.to(PUSH)}
    assert keys == {str(send.retry_key)} and len(fake_line_api.to(PUSH)) == 2
    assert send.status == OutboundSend.Status.SENT
    assert send.request_id == "accepted-123" and send.attempts == 2
    assert send.recipients.get().status == SendRecipient.Status.ACCEPTED
    assert len(line_sleeps) == 1


def test_429_and_5xx_back_off_exponentially_then_succeed(fake_line_api, line_sleeps):
    fake_line_api.respond(PUSH, 429, {"message": "Too many requests"})
    fake_line_api.respond(PUSH, 502)
    fake_line_api.respond(PUSH, 503)

    send = message_push(to="U1", messages="x")

    assert send.status == OutboundSend.Status.SENT and send.attempts == 4
    policy = messaging.backoff_policy()
    for attempt, slept in enumerate(line_sleeps, start=1):
        ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
        assert ceiling / 2 <= slept <= ceiling


def test_retry_after_is_honoured(fake_line_api, line_sleeps):
    fake_line_api.respond(PUSH, 429, headers={"Retry-After": "7"})

    message_push(to="U1", messages="x")

    assert line_sleeps == [7.0]


def test_attempts_are_bounded_and_the_worker_retries_later_with_the_same_key(fake_line_api, line_sleeps):
    attempts = messaging.backoff_policy().max_attempts
    fake_line_api.respond(PUSH, 500, times=attempts)

    send = message_push(to="U1", messages="x")

    assert send.status == OutboundSend.Status.RETRYING and send.attempts == attempts
    assert send.recipients.get().status == SendRecipient.Status.PENDING

    outbound_send_task.call_local(send.pk)  # the worker's later retry

    send.refresh_from_db()
    assert send.status == OutboundSend.Status.SENT
    assert {r.headers["x-line-retry-key"] for r in fake_line_api.to(PUSH)} == {str(send.retry_key)}


def test_client_errors_fail_at_once_and_are_recorded(fake_line_api, line_sleeps):
    fake_line_api.respond(PUSH, 400, {"message": "The request body has 1 error(s)"})

    send = message_push(to="U1", messages="x")

    assert send.status == OutboundSend.Status.FAILED and send.http_status == 400
    assert "The request body has 1 error(s)" in send.error
    recipient = send.recipients.get()
    assert recipient.status == SendRecipient.Status.FAILED and "400" in recipient.error
    assert line_sleeps == []


def test_expired_reply_token_is_recorded_as_failed_and_not_retried(fake_line_api, line_sleeps):
    fake_line_api.respond(REPLY, 400, {"message": "Invalid reply token"})

    send = message_reply(reply_token="expired", messages="x", user_id="U1")

    assert send.status == OutboundSend.Status.FAILED and "Invalid reply token" in send.error
    assert send.recipients.get().status == SendRecipient.Status.FAILED
    assert len(fake_line_api.to(REPLY)) == 1


def test_reply_that_keeps_failing_is_not_handed_to_the_worker(fake_line_api, line_sleeps):
    fake_line_api.respond(REPLY, 500, times=10)

    send = message_reply(reply_token="t", messages="x", user_id="U1")

    assert send.status == OutboundSend.Status.FAILED  # not RETRYING: the token will have expired


def test_multicast_of_1200_is_sent_in_three_requests_of_at_most_500(fake_line_api, run_on_commit):
    user_ids = [f"U{n:032x}" for n in range(1200)]

    with run_on_commit():
        send = message_multicast(to=user_ids, messages=["a", "b"])
    assert send.status == OutboundSend.Status.QUEUED  # more than one request: the worker sends it

    requests = fake_line_api.to(MULTICAST)
    assert [len(r.body["to"]) for r in requests] == [500, 500, 200]
    assert [u for r in requests for u in r.body["to"]] == user_ids
    keys = [r.headers["x-line-retry-key"] for r in requests]
    assert len(set(keys)) == 3 and keys[0] == str(OutboundSend.objects.get().retry_key)
    send.refresh_from_db()
    assert send.status == OutboundSend.Status.SENT
    assert send.recipients.filter(status=SendRecipient.Status.ACCEPTED).count() == 1200


def test_multicast_partial_failure_records_each_recipient_and_resends_only_the_rest(
    fake_line_api, line_sleeps, run_on_commit
):
    user_ids = [f"U{n:032x}" for n in range(1200)]
    fake_line_api.respond(MULTICAST, 200)
    fake_line_api.respond(MULTICAST, 503, times=messaging.backoff_policy().max_attempts)

    with run_on_commit():
        send = message_multicast(to=user_ids, messages="a")
    send.refresh_from_db()
    assert send.status == OutboundSend.Status.RETRYING
    counts = {s: send.recipients.filter(status=s).count() for s in SendRecipient.Status.values}
    assert counts == {"accepted": 700, "pending": 500, "failed": 0}
    second_chunk_key = fake_line_api.to(MULTICAST)[1].headers["x-line-retry-key"]

    outbound_send_task.call_local(send.pk)

    send.refresh_from_db()
    assert send.status == OutboundSend.Status.SENT
    resent = fake_line_api.to(MULTICAST)[-1]
    assert len(resent.body["to"]) == 500 and resent.headers["x-line-retry-key"] == second_chunk_key
    assert not send.recipients.exclude(status=SendRecipient.Status.ACCEPTED).exists()


def test_multicast_last_worker_attempt_marks_what_is_left_failed(fake_line_api, line_sleeps):
    fake_line_api.respond(MULTICAST, 500, times=100)
    send = message_multicast(to=["U1", "U2"], messages="a")
    assert send.status == OutboundSend.Status.RETRYING

    messaging.outbound_send_execute(send_id=send.pk, final=True)

    send.refresh_from_db()
    assert send.status == OutboundSend.Status.FAILED and send.finished_at
    assert set(send.recipients.values_list("status", flat=True)) == {SendRecipient.Status.FAILED}


def test_multicast_removes_duplicate_recipients(fake_line_api):
    message_multicast(to=["U1", "U2", "U1"], messages="a")

    assert fake_line_api.to(MULTICAST)[0].body["to"] == ["U1", "U2"]


def test_more_than_five_messages_are_refused_before_anything_is_recorded(fake_line_api):
    with pytest.raises(TooManyMessagesError, match="at most 5"):
        message_multicast(to=["U1"], messages=["1", "2", "3", "4", "5", "6"])

    assert not OutboundSend.objects.exists() and fake_line_api.requests == []


def test_malformed_message_is_refused_before_anything_is_recorded(fake_line_api):
    with pytest.raises(ValueError):
        message_push(to="U1", messages={"type": "nonsense"})

    assert not OutboundSend.objects.exists()


def test_broadcast_and_narrowcast_carry_retry_keys_and_options(fake_line_api):
    broadcast = message_broadcast(messages="全員へ", notification_disabled=True)
    narrowcast = message_narrowcast(
        messages="一部へ", recipient={"type": "audience", "audienceGroupId": 1}, limit={"max": 100}
    )

    b, n = fake_line_api.to("/v2/bot/message/broadcast")[0], fake_line_api.to("/v2/bot/message/narrowcast")[0]
    assert b.body["notificationDisabled"] is True and b.headers["x-line-retry-key"] == str(
        broadcast.retry_key
    )
    assert n.body["recipient"]["audienceGroupId"] == 1 and n.body["limit"]["max"] == 100
    assert n.headers["x-line-retry-key"] == str(narrowcast.retry_key)
    assert broadcast.status == narrowcast.status == OutboundSend.Status.SENT


def test_rate_limiter_holds_requests_beyond_the_endpoint_budget(fake_line_api, settings):
    # Like broadcast's 60/hour: a wait that long is left to the worker instead of blocking this one.
    # Four an hour: two at once, the others spread over the hour (less LINE's recommended headroom).
    settings.LINE_RATE_LIMITS = {"push": "4/hour"}

    sends = [message_push(to="U1", messages="x") for _ in range(3)]

    assert [s.status for s in sends[:2]] == [OutboundSend.Status.SENT] * 2
    assert sends[2].status == OutboundSend.Status.RETRYING and "rate limit" in sends[2].error
    assert len(fake_line_api.to(PUSH)) == 2


def test_sweep_sends_what_a_lost_queue_entry_or_dead_worker_left(fake_line_api, line_sleeps):
    from datetime import timedelta

    from django.utils import timezone

    from civicline.line.tasks import outbound_sends_sweep_task

    # Recorded, but its queue entry was lost (no on-commit callbacks run in this test).
    queued = message_multicast(to=[f"U{n}" for n in range(501)], messages="a")
    interrupted = message_multicast(to=["U1"], messages="b", background=True)
    OutboundSend.objects.filter(pk=interrupted.pk).update(status=OutboundSend.Status.SENDING)
    OutboundSend.objects.update(updated_at=timezone.now() - timedelta(minutes=11))

    outbound_sends_sweep_task()

    assert set(OutboundSend.objects.values_list("status", flat=True)) == {OutboundSend.Status.SENT}
    assert len(fake_line_api.to(MULTICAST)) == 3
    assert queued.recipients.filter(status=SendRecipient.Status.ACCEPTED).count() == 501


# --- many requests in flight (deliveries) -------------------------------------------------------------


def bulk(n: int) -> list[messaging.BulkRequest]:
    return [
        messaging.BulkRequest(
            i, {"to": [f"U{i:032x}"], "messages": [{"type": "text", "text": "x"}]}, f"key-{i}"
        )
        for i in range(n)
    ]


def test_bulk_requests_are_retried_on_429_and_5xx_with_the_same_key(fake_line_api, line_sleeps, settings):
    settings.LINE_SEND_CONCURRENCY = 1
    fake_line_api.respond(
        MULTICAST, 429, {"message": "The API rate limit has been exceeded. Try again later."}
    )
    fake_line_api.respond(MULTICAST, 502)
    fake_line_api.respond(
        MULTICAST,
        409,
        {"message": "The retry key is already accepted"},
        headers={"x-line-accepted-request-id": "r-0"},
    )

    results = list(messaging.BulkSender("multicast", MULTICAST).run(bulk(3)))

    assert [r.outcome.accepted for r in results] == [True, True, True]
    assert [r.headers["x-line-retry-key"] for r in fake_line_api.to(MULTICAST)] == [
        "key-0",
        "key-0",
        "key-0",
        "key-1",
        "key-2",
    ]
    assert (results[0].outcome.attempts, results[0].outcome.request_id) == (3, "r-0")
    assert len(line_sleeps) == 2  # backed off before each retry (LINE sends no Retry-After)


def test_a_bulk_request_line_refuses_is_not_retried(fake_line_api, line_sleeps):
    fake_line_api.respond(MULTICAST, 400, {"message": "The request body has 1 error(s)"})

    [result] = messaging.BulkSender("multicast", MULTICAST, concurrency=1).run(bulk(1))

    assert not result.outcome.accepted and not result.outcome.retryable
    assert "HTTP 400" in result.outcome.error and len(fake_line_api.to(MULTICAST)) == 1


def test_when_line_is_unreachable_the_run_stops_drawing_requests(fake_line_api, line_sleeps):
    fake_line_api.respond(MULTICAST, 503, times=100)
    sender = messaging.BulkSender("multicast", MULTICAST, concurrency=2)
    drawn = []

    def requests():
        for request in bulk(100):
            drawn.append(request)
            yield request

    results = list(sender.run(requests()))

    # Two in a row unanswered (as many as in flight): no more of the hundred are tried now.
    assert sender.halted and len(drawn) == len(results) <= 4
    assert all(r.outcome.retryable and not r.outcome.accepted for r in results)


def test_many_requests_share_the_endpoints_token_bucket(fake_line_api, settings):
    # 20 a second: 10 at once (the burst), then one every 1/18 s (LINE's recommended headroom).
    settings.LINE_RATE_LIMITS = {"multicast": "20/second"}
    import time

    started = time.monotonic()
    results = list(messaging.BulkSender("multicast", MULTICAST, concurrency=8).run(bulk(28)))

    assert all(r.outcome.accepted for r in results)
    assert time.monotonic() - started >= (28 - 2) / 18 - 0.05
