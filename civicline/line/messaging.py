"""The one place that sends messages to LINE: reply, push, multicast, broadcast, narrowcast.

Every send is recorded (``OutboundSend``, and one ``SendRecipient`` per addressed user) before the
first request leaves, and finished with its outcome. Guarantees:

* at most 5 messages per send: a longer list is rejected with ``TooManyMessagesError`` before
  anything is recorded or sent (never split: a split send could half-arrive, and callers know
  best how to regroup their messages);
* multicast is chunked, at most 500 users per request; more than one chunk runs in the worker;
* every request carries an ``X-Line-Retry-Key`` kept on the record (chunk *n* > 0 of a multicast
  uses a key derived from it), so a retry — in-process or by the worker hours later — can never
  deliver twice; LINE's 409 for an already-accepted key counts as success;
* 429, 5xx and network errors are retried with exponential backoff and jitter, honouring
  ``Retry-After``; other 4xx fail at once; attempts are bounded;
* a reply token lives about a minute and is single-use, so a failed reply is recorded as failed
  and never handed to the worker for a later retry; ``message_answer`` answers an event by push
  instead when its token has expired (a backlog, a worker that was down), so no resident goes
  unanswered after an outage;
* requests pass a per-endpoint rate limiter (``client.throttle``) with LINE's documented limits.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from itertools import groupby
from typing import Any, TypeAlias

import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from linebot.v3.messaging import (
    ApiException,
    BroadcastRequest,
    Message,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)

from civicline.core import outbound

from . import client
from .models import OutboundSend, SendRecipient

logger = logging.getLogger(__name__)

MAX_MESSAGES_PER_REQUEST = 5
MULTICAST_MAX_RECIPIENTS = 500
REQUEST_TIMEOUT = (5, 30)  # connect, read (seconds), in the worker; shorter on web requests

MessageLike: TypeAlias = Message | Mapping[str, Any] | str
Messages: TypeAlias = MessageLike | Sequence[MessageLike]

# Tests replace this to run backoff without waiting.
_sleep: Callable[[float], None] = time.sleep


class TooManyMessagesError(ValueError):
    """More messages than LINE accepts in one request (5)."""


@dataclass(frozen=True)
class BackoffPolicy:
    max_attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    # A Retry-After beyond this is not slept through in-process; the worker retries later.
    max_in_process_wait: float = 30.0

    def delay(self, attempt: int) -> float:
        """The pause after failed attempt ``attempt`` (1-based): exponential, with jitter."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


def backoff_policy() -> BackoffPolicy:
    return BackoffPolicy(**settings.LINE_SEND_BACKOFF)


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    http_status: int | None = None
    request_id: str = ""
    error: str = ""
    retryable: bool = False
    attempts: int = 0


# --- public API -------------------------------------------------------------------------------


class CheckedMessage(dict):
    """A message (LINE's JSON) already checked against the SDK's models. A shelter carousel's Flex
    tree was parsed three times per answer (the handler's reply, its recording, the request):
    now once."""

    def to_dict(self) -> dict[str, Any]:  # what the SDK's requests ask of each of their messages
        return dict(self)


def normalize_messages(messages: Messages) -> list[dict[str, Any]]:
    """SDK models, dicts or plain strings (text messages) → JSON-ready dicts; checks the count."""
    items = [messages] if isinstance(messages, str | Mapping | Message) else list(messages)
    if not items:
        raise ValueError("a send needs at least one message")
    if len(items) > MAX_MESSAGES_PER_REQUEST:
        raise TooManyMessagesError(
            f"LINE accepts at most {MAX_MESSAGES_PER_REQUEST} messages per request, got {len(items)}"
        )
    return [_message_dict(item) for item in items]


def message_reply(*, reply_token: str, messages: Messages, user_id: str = "") -> OutboundSend:
    """Answer an event through its reply token (free of charge, single use, valid ~1 minute)."""
    send = _record(
        OutboundSend.Kind.REPLY, messages, {"replyToken": reply_token}, [user_id] if user_id else []
    )
    return outbound_send_execute(send_id=send.pk)


# LINE refuses a token it no longer honours with exactly this message (400).
EXPIRED_REPLY_TOKEN = "Invalid reply token"


@dataclass(frozen=True)
class Answer:
    send: OutboundSend
    by_push: bool = False
    reason: str = ""  # why it went by push: the token was too old, or LINE refused it


def message_answer(
    *, reply_token: str, user_id: str, messages: Messages, event_time: datetime | None = None
) -> Answer:
    """Answer an event: by reply while its token is fresh, else by push (``LINE_ANSWER_BY_PUSH``).

    A token older than ``LINE_REPLY_TOKEN_SECONDS`` is not tried at all (it would only cost a
    refused request); a reply LINE refuses as expired is sent again by push. A city account on
    LINE's municipal plan pays nothing for pushes, so the setting is on by default.
    """
    fallback = settings.LINE_ANSWER_BY_PUSH and bool(user_id)
    max_age = timedelta(seconds=settings.LINE_REPLY_TOKEN_SECONDS)
    if fallback and event_time is not None and timezone.now() - event_time > max_age:
        return Answer(message_push(to=user_id, messages=messages), by_push=True, reason="reply token too old")
    send = message_reply(reply_token=reply_token, messages=messages, user_id=user_id)
    if fallback and send.status == OutboundSend.Status.FAILED and EXPIRED_REPLY_TOKEN in send.error:
        return Answer(message_push(to=user_id, messages=messages), by_push=True, reason="reply token refused")
    return Answer(send)


def message_push(*, to: str, messages: Messages, notification_disabled: bool = False) -> OutboundSend:
    send = _record(OutboundSend.Kind.PUSH, messages, _notification(notification_disabled), [to])
    return _execute_or_schedule(send)


def message_multicast(
    *,
    to: Iterable[str],
    messages: Messages,
    notification_disabled: bool = False,
    background: bool | None = None,
) -> OutboundSend:
    """Send to a list of users, 500 per request.

    ``background=None`` sends in this process when one request suffices and in the worker
    otherwise (queued once the caller's transaction commits); the returned record tells the state.
    """
    user_ids = list(dict.fromkeys(to))  # LINE rejects duplicates within a request
    if not user_ids:
        raise ValueError("a multicast needs at least one recipient")
    send = _record(OutboundSend.Kind.MULTICAST, messages, _notification(notification_disabled), user_ids)
    if background is None:
        background = len(user_ids) > MULTICAST_MAX_RECIPIENTS
    if background:
        outbound_send_enqueue(send)
        return send
    return _execute_or_schedule(send)


def message_broadcast(*, messages: Messages, notification_disabled: bool = False) -> OutboundSend:
    send = _record(OutboundSend.Kind.BROADCAST, messages, _notification(notification_disabled), [])
    return _execute_or_schedule(send)


def message_narrowcast(
    *,
    messages: Messages,
    recipient: Mapping[str, Any] | None = None,
    filter: Mapping[str, Any] | None = None,
    limit: Mapping[str, Any] | None = None,
    notification_disabled: bool = False,
) -> OutboundSend:
    """Send to an audience / demographic selection (LINE's JSON objects, passed through as given)."""
    options = _notification(notification_disabled)
    options.update(
        {k: dict(v) for k, v in (("recipient", recipient), ("filter", filter), ("limit", limit)) if v}
    )
    send = _record(OutboundSend.Kind.NARROWCAST, messages, options, [])
    return _execute_or_schedule(send)


def outbound_send_enqueue(send: OutboundSend, *, delay: float | None = None) -> None:
    """Hand a recorded send to the worker once the surrounding transaction (if any) commits."""
    from .tasks import outbound_send_task

    def enqueue() -> None:
        if delay:
            outbound_send_task.schedule((send.pk,), delay=delay)
        else:
            outbound_send_task(send.pk)

    transaction.on_commit(enqueue, robust=True)


def outbound_send_execute(*, send_id: int, final: bool = True) -> OutboundSend:
    """Send whatever part of a recorded send LINE has not accepted yet, and record the outcome.

    ``final=False`` (the worker, while it has retries left) leaves retryable failures in
    RETRYING instead of FAILED.
    """
    claimed = OutboundSend.objects.filter(
        pk=send_id, status__in=[OutboundSend.Status.QUEUED, OutboundSend.Status.RETRYING]
    ).update(status=OutboundSend.Status.SENDING, updated_at=timezone.now())
    send = OutboundSend.objects.get(pk=send_id)
    if not claimed:
        return send  # finished already, or another worker has it
    outcomes = [_send_chunk(send, chunk, user_ids) for chunk, user_ids in _pending_chunks(send)]
    return _finish(send, outcomes, final=final or send.kind == OutboundSend.Kind.REPLY)


def outbound_sends_sweep() -> tuple[list[int], list[int]]:
    """Sends a lost queue entry or a dead worker left behind: (to queue again, to try a last time).

    Never started (QUEUED) or interrupted (SENDING) for 10 minutes: queued again, which is safe
    because every request reuses its retry key. Still RETRYING after an hour: one final attempt.
    """
    now = timezone.now()
    status = OutboundSend.Status
    stale = OutboundSend.objects.filter(updated_at__lt=now - timedelta(minutes=10))
    stale.filter(status=status.SENDING).update(status=status.QUEUED)
    requeue = list(stale.filter(status=status.QUEUED).values_list("pk", flat=True)[:1000])
    last_try = OutboundSend.objects.filter(
        status=status.RETRYING, updated_at__lt=now - timedelta(hours=1)
    ).values_list("pk", flat=True)[:1000]
    return requeue, list(last_try)


# --- recording --------------------------------------------------------------------------------


def _message_dict(item: MessageLike) -> dict[str, Any]:
    if isinstance(item, str):
        return {"type": "text", "text": item}
    if isinstance(item, Message):
        return item.to_dict()
    if isinstance(item, CheckedMessage):
        return item  # checked once already (a handler's reply, then its recording)
    # Checked against the SDK's models now, so a malformed message fails here, before recording.
    Message.from_dict(dict(item))
    return CheckedMessage(item)


def _notification(disabled: bool) -> dict[str, Any]:
    return {"notificationDisabled": True} if disabled else {}


def _record(kind: str, messages: Messages, options: dict[str, Any], user_ids: Sequence[str]) -> OutboundSend:
    payload = normalize_messages(messages)
    with transaction.atomic():
        send = OutboundSend.objects.create(kind=kind, messages=payload, options=options)
        SendRecipient.objects.bulk_create(
            SendRecipient(send=send, user_id=user_id, chunk=index // MULTICAST_MAX_RECIPIENTS)
            for index, user_id in enumerate(user_ids)
        )
    return send


def _execute_or_schedule(send: OutboundSend) -> OutboundSend:
    send = outbound_send_execute(send_id=send.pk, final=False)
    if send.status == OutboundSend.Status.RETRYING:
        # A web request tried once and waited for nothing: the worker takes over at once.
        delay = 0 if outbound.on_web_request() else backoff_policy().max_in_process_wait
        outbound_send_enqueue(send, delay=delay)
    return send


def _pending_chunks(send: OutboundSend) -> list[tuple[int, list[str]]]:
    if not send.recipients.exists():
        # Broadcast, narrowcast, a reply to an unknown user: one request, sent until accepted.
        return [(0, [])]
    rows = (
        send.recipients.filter(status=SendRecipient.Status.PENDING)
        .order_by("chunk", "pk")
        .values_list("chunk", "user_id")
    )
    return [(chunk, [user_id for _, user_id in group]) for chunk, group in groupby(rows, key=lambda r: r[0])]


def _finish(send: OutboundSend, outcomes: list[Outcome], *, final: bool) -> OutboundSend:
    refused = [o for o in outcomes if not o.accepted]
    error = refused[-1].error if refused else ""
    if refused and not final and any(o.retryable for o in refused):
        status = OutboundSend.Status.RETRYING
    else:
        if final:
            # Recipients left pending by a retryable failure will not be tried again.
            send.recipients.filter(status=SendRecipient.Status.PENDING).update(
                status=SendRecipient.Status.FAILED, error=error
            )
        counts = _recipient_counts(send)
        if not refused and not counts[SendRecipient.Status.FAILED]:
            status = OutboundSend.Status.SENT
        elif counts[SendRecipient.Status.ACCEPTED] or len(refused) < len(outcomes):
            status = OutboundSend.Status.PARTIAL
        else:
            status = OutboundSend.Status.FAILED
    send.status = status
    send.attempts += sum(o.attempts for o in outcomes)
    if outcomes:
        send.http_status = outcomes[-1].http_status
        send.request_id = next((o.request_id for o in reversed(outcomes) if o.accepted), send.request_id)
    send.error = error
    send.finished_at = None if status == OutboundSend.Status.RETRYING else timezone.now()
    send.save(
        update_fields=[
            "status",
            "attempts",
            "http_status",
            "request_id",
            "error",
            "finished_at",
            "updated_at",
        ]
    )
    if status != OutboundSend.Status.SENT:
        logger.warning("LINE %s send %s ended %s: %s", send.kind, send.pk, status, error)
    return send


def _recipient_counts(send: OutboundSend) -> dict[str, int]:
    counts = dict.fromkeys(SendRecipient.Status.values, 0)
    for status in send.recipients.values_list("status", flat=True):
        counts[status] += 1
    return counts


# --- one request ------------------------------------------------------------------------------


def chunk_retry_key(send: OutboundSend, chunk: int) -> str:
    """Chunk 0 uses the send's key; later chunks a key derived from it, stable across retries."""
    if chunk == 0:
        return str(send.retry_key)
    return str(uuid.uuid5(send.retry_key, f"chunk:{chunk}"))


# kind → (request model, MessagingApi method, whether it takes X-Line-Retry-Key).
# LINE's reply API has no retry key: the single-use reply token already prevents a double send.
_ENDPOINTS: dict[str, tuple[type[Any], str, bool]] = {
    OutboundSend.Kind.REPLY: (ReplyMessageRequest, "reply_message_with_http_info", False),
    OutboundSend.Kind.PUSH: (PushMessageRequest, "push_message_with_http_info", True),
    OutboundSend.Kind.MULTICAST: (MulticastRequest, "multicast_with_http_info", True),
    OutboundSend.Kind.BROADCAST: (BroadcastRequest, "broadcast_with_http_info", True),
    OutboundSend.Kind.NARROWCAST: (NarrowcastRequest, "narrowcast_with_http_info", True),
}


# Stands in for the messages while the SDK checks a request's envelope (recipients, options).
_ENVELOPE_PLACEHOLDER = {"type": "text", "text": "-"}


def _request(request_class: type[Any], body: dict[str, Any]) -> Any:
    """The SDK's request for ``body``: its envelope parsed by the SDK's model, its messages carried
    as they were checked when recorded (``_record``), not parsed again for every request."""
    if request_class is NarrowcastRequest:  # nested recipient/filter objects: parsed whole
        return request_class.from_dict(body)
    envelope = request_class.from_dict({**body, "messages": [_ENVELOPE_PLACEHOLDER]})
    messages = [CheckedMessage(m) for m in body["messages"]]
    return request_class.construct(envelope.__fields_set__, **{**envelope.__dict__, "messages": messages})


def _send_chunk(send: OutboundSend, chunk: int, user_ids: list[str]) -> Outcome:
    request_class, method, keyed = _ENDPOINTS[send.kind]
    body: dict[str, Any] = {**send.options, "messages": send.messages}
    if send.kind == OutboundSend.Kind.PUSH:
        body["to"] = user_ids[0]
    elif send.kind == OutboundSend.Kind.MULTICAST:
        body["to"] = user_ids
    args = [_request(request_class, body)]
    if keyed:
        args.append(chunk_retry_key(send, chunk))
    # _preload_content=False: the answer is not parsed, so an accepted request can never look
    # failed because its response body did not match the SDK's model.
    call = partial(
        getattr(client.messaging_api(), method),
        *args,
        _request_timeout=request_timeout(),
        _preload_content=False,
    )
    outcome = call_with_retries(send.kind, call)
    if user_ids:
        SendRecipient.objects.filter(send=send, chunk=chunk, user_id__in=user_ids).update(
            status=(
                SendRecipient.Status.ACCEPTED
                if outcome.accepted
                else (SendRecipient.Status.PENDING if outcome.retryable else SendRecipient.Status.FAILED)
            ),
            request_id=outcome.request_id,
            error=outcome.error,
        )
    return outcome


def call_with_retries(
    endpoint: str, call: Callable[[], Any], *, policy: BackoffPolicy | None = None
) -> Outcome:
    """Run one LINE request until accepted, refused, or out of attempts (see module docstring).

    On a web request nothing waits: no pause before a retry, no wait for the rate limiter or for
    one of the process's outbound slots (``civicline.core.outbound``); a retryable outcome goes
    back to the caller, who hands the rest to the worker.
    """
    policy = policy or backoff_policy()
    if outbound.on_web_request():
        policy = replace(policy, max_in_process_wait=0)
    outcome = Outcome(accepted=False)
    for attempt in range(1, policy.max_attempts + 1):
        wait = client.throttle(endpoint, max_wait=policy.max_in_process_wait)
        if wait:
            return Outcome(
                False, 429, error=f"local rate limit for {endpoint}", retryable=True, attempts=attempt - 1
            )
        try:
            with outbound.slot():
                outcome, retry_after = _attempt(call, attempt)
        except outbound.NoSlot:
            return Outcome(False, None, error="busy: other requests hold every slot for LINE calls",
                           retryable=True, attempts=attempt - 1)
        if outcome.accepted or not outcome.retryable or attempt == policy.max_attempts:
            return outcome
        delay = retry_after if retry_after is not None else policy.delay(attempt)
        if delay > policy.max_in_process_wait:
            return outcome
        _sleep(delay)
    return outcome


def request_timeout() -> tuple[float, float]:
    """The timeout of a LINE request made now: patient in the worker, short on a web request."""
    return outbound.timeout(REQUEST_TIMEOUT)


def _attempt(call: Callable[[], Any], attempt: int) -> tuple[Outcome, float | None]:
    try:
        response = call()
    except ApiException as exc:
        headers = exc.headers or {}
        status = exc.status or 0
        if status == 409:
            # Our retry key was seen before: LINE already accepted this exact request.
            return Outcome(True, 409, headers.get("x-line-accepted-request-id", ""), attempts=attempt), None
        request_id = headers.get("x-line-request-id", "")
        error = f"HTTP {status} (request {request_id or '-'}): {_body_text(exc.body)}"
        retryable = status == 429 or status >= 500
        outcome = Outcome(False, status, request_id, error, retryable, attempt)
        return outcome, _retry_after(headers.get("retry-after"))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return Outcome(False, None, error=f"network: {exc}", retryable=True, attempts=attempt), None
    return Outcome(
        True, response.status_code, (response.headers or {}).get("x-line-request-id", ""), attempts=attempt
    ), None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP-date; LINE sends seconds, so fall back to our own backoff


def _body_text(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body or "")[:500]


# --- many requests in flight: deliveries, and the rich menu switch's fallback ----------------------


@dataclass(frozen=True)
class BulkRequest:
    """One request of a bulk run: ``body`` is sent as JSON; a ``retry_key`` is sent with every attempt."""

    key: Any  # the caller's handle for the request (e.g. a delivery batch's primary key)
    body: Mapping[str, Any]
    retry_key: str = ""


@dataclass(frozen=True)
class BulkOutcome:
    request: BulkRequest
    outcome: Outcome


# A request that waits longer than this for its turn in the bucket is not sent in this run.
BULK_MAX_TURN_WAIT = 60.0


class BulkSender:
    """Sends many requests to one LINE endpoint with ``concurrency`` of them in flight at once.

    Over a real network a request takes tens of milliseconds, so one at a time reaches a tenth of
    LINE's multicast ceiling (200 a second); many in flight, each waiting for its turn in the
    endpoint's token bucket (``client.reserve``, shared by every worker), reach the ceiling less
    LINE's recommended headroom. Each request is retried on 429, 5xx and network errors with
    backoff and with the same retry key, so LINE accepts it at most once; 409 ("already accepted")
    counts as accepted. Outcomes are yielded as requests finish, so the caller records them in bulk
    while others are in flight; requests are drawn from the caller's iterable only as slots free
    up, so a stream of two million recipients never sits in memory.

    When ``concurrency`` requests in a row end unaccepted but retryable (LINE unreachable or
    refusing with 429 for longer than the backoff), the run stops drawing new requests and
    ``halted`` is set: the caller tries the rest later rather than wearing out every retry now.
    """

    def __init__(
        self,
        endpoint: str,
        path: str,
        *,
        concurrency: int | None = None,
        policy: BackoffPolicy | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.url = settings.LINE_API_BASE_URL + path
        self.concurrency = max(1, concurrency or settings.LINE_SEND_CONCURRENCY)
        self.policy = policy or backoff_policy()
        self.halted = False
        self._headers = {
            "Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}",
            "Content-Type": "application/json",
            "User-Agent": "civicline (line-bot-sdk-python compatible)",
        }

    def run(self, requests: Iterable[BulkRequest]) -> Iterator[BulkOutcome]:
        pending = iter(requests)
        # Finished requests come back through one queue: waiting on the set of futures in flight
        # costs the sending thread time for every one of them, at every answer.
        finished: queue.SimpleQueue[BulkOutcome | BaseException] = queue.SimpleQueue()
        in_flight = 0
        unreachable_in_a_row = 0

        def task(request: BulkRequest) -> None:
            try:
                finished.put(self._send(request))
            except BaseException as exc:  # raised in the sending thread, not lost in this one
                finished.put(exc)

        with futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"line-{self.endpoint}") as pool:
            while True:
                while not self.halted and in_flight < self.concurrency:
                    request = next(pending, None)
                    if request is None:
                        break
                    pool.submit(task, request)
                    in_flight += 1
                if not in_flight:
                    return
                result = finished.get()
                in_flight -= 1
                if isinstance(result, BaseException):
                    raise result
                if result.outcome.accepted or not result.outcome.retryable:
                    unreachable_in_a_row = 0
                else:
                    unreachable_in_a_row += 1
                    if unreachable_in_a_row >= self.concurrency:
                        self.halted = True
                yield result

    def _send(self, request: BulkRequest) -> BulkOutcome:
        body = json.dumps(request.body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = dict(self._headers)
        if request.retry_key:
            headers["X-Line-Retry-Key"] = request.retry_key
        outcome = Outcome(accepted=False, error="not sent", retryable=True)
        for attempt in range(1, self.policy.max_attempts + 1):
            wait, taken = client.reserve(self.endpoint, max_wait=BULK_MAX_TURN_WAIT)
            if not taken:
                error = f"local rate limit for {self.endpoint}"
                refused = Outcome(False, 429, error=error, retryable=True, attempts=attempt - 1)
                return BulkOutcome(request, refused)
            if wait:
                time.sleep(wait)
            outcome, retry_after = self._post(body, headers, attempt)
            if outcome.accepted or not outcome.retryable or attempt == self.policy.max_attempts:
                break
            delay = retry_after if retry_after is not None else self.policy.delay(attempt)
            _sleep(min(delay, self.policy.max_in_process_wait))
        return BulkOutcome(request, outcome)

    def _post(self, body: bytes, headers: dict[str, str], attempt: int) -> tuple[Outcome, float | None]:
        connect, read = request_timeout()
        try:
            response = _pool().request(
                "POST",
                self.url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=connect, read=read),
                retries=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Outcome(False, None, error=f"network: {exc}", retryable=True, attempts=attempt), None
        status, answer = response.status, response.headers
        if 200 <= status < 300:
            return Outcome(True, status, answer.get("x-line-request-id", ""), attempts=attempt), None
        if status == 409:
            # Our retry key was seen before: LINE already accepted this exact request.
            return Outcome(True, 409, answer.get("x-line-accepted-request-id", ""), attempts=attempt), None
        request_id = answer.get("x-line-request-id", "")
        error = f"HTTP {status} (request {request_id or '-'}): {_body_text(response.data)}"
        retryable = status == 429 or status >= 500
        retry_after = _retry_after(answer.get("retry-after"))
        return Outcome(False, status, request_id, error, retryable, attempt), retry_after


@lru_cache(maxsize=1)
def _pool() -> urllib3.PoolManager:
    # One pool for every bulk run of this process, sized for the threads that share it; the SDK's
    # typed models are skipped on this path: they cost a millisecond a request (checking 500 ids),
    # and the messages were already checked against them when the send was composed.
    return urllib3.PoolManager(num_pools=4, maxsize=max(settings.LINE_SEND_CONCURRENCY, 1) * 2, block=False)
