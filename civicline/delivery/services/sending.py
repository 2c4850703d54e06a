"""The worker's part of a delivery: steps 3 and 4 of the package docstring, and its mail batches."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.audit import Action, audit_record
from civicline.line import messaging
from civicline.line.models import Friend, OutboundSend

from .. import conditions, line_messages, mail, selectors
from ..models import (
    Delivery,
    DeliveryAudience,
    DeliveryBatch,
    EmailBatch,
    Topic,
)
from .drafts import drafts_of, versions_build
from .links import linker

logger = logging.getLogger(__name__)

MULTICAST_BATCH = messaging.MULTICAST_MAX_RECIPIENTS
MULTICAST_PATH = "/v2/bot/message/multicast"
EMAIL_BATCH_SIZE = 100
# A sender renews its claim every HEARTBEAT; one silent for STALE_PLANNER is presumed dead.
STALE_PLANNER = timedelta(minutes=2)
HEARTBEAT = timedelta(seconds=20)
# Friends read and recorded at a time while streaming the audience: small enough that recording
# them never keeps the requests in flight waiting for the next (4 batches, a few milliseconds).
SEND_CHUNK = 4 * MULTICAST_BATCH
PLAN_AHEAD = 24  # batches recorded ahead of those in flight (at most 12,000 friends in memory)
RESULTS_FLUSH_SECONDS = 0.25  # outcomes are written together at most this long after they come
RETRY_KEY_LIFETIME = timedelta(hours=23)  # LINE keeps a retry key 24 hours; an hour to spare
RETRY_DELAY_BOUNDS = (30, 600)  # seconds before sending again what LINE did not take
STALE_EMAIL_BATCH = timedelta(minutes=10)
ABANDONED_EMAIL_BATCH = timedelta(minutes=30)


# --- sending (worker) -----------------------------------------------------------------------------


def _permission_refusal(delivery: Delivery) -> str:
    """Why the delivery may no longer go out as scheduled (a grant was withdrawn meanwhile), or ""."""
    by = delivery.scheduled_by
    if by is not None and by.is_system_admin:
        return ""
    if delivery.audience == Delivery.Audience.ALL:
        allowed = selectors.department_may_send_to_all(department_id=delivery.department_id)
        return "" if allowed else _("この課には友だち全員への配信が許可されていません。")
    granted = set(
        selectors.department_segments(department_id=delivery.department_id).values_list("pk", flat=True)
    )
    refused = [s.name for s in delivery.segments.all() if s.pk not in granted]
    return (
        _("使用が許可されていないセグメントです: %(names)s") % {"names": "、".join(refused)}
        if refused
        else ""
    )


def _fail(delivery: Delivery, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, error=error, finished_at=timezone.now()
    )
    logger.warning("delivery %s failed before sending: %s", delivery.pk, error)


def _prepare(delivery: Delivery) -> None:
    """Fix what goes out and to whom: messages with tracked links, the audience, the counts."""
    on = timezone.localdate(delivery.started_at)
    drafts = drafts_of(delivery)
    link = linker(delivery)
    # Each language's version built speaking it (issue 21), Japanese too whoever started the send;
    # a delivery written in Japanese only has no other.
    versions = versions_build(drafts, link, line_messages.versions_of(drafts))
    messages = versions.pop(languages.JAPANESE)
    segments = list(delivery.segments.all())
    topic_ids = selectors.email_topic_ids(delivery)
    with transaction.atomic():
        # The count is the count of the very query the send streams (``_recipients``); the final
        # number addressed is written when the stream ends.
        if delivery.audience == Delivery.Audience.ALL:
            count = selectors.audience_count(None)
        else:
            q = selectors.audience_q(segments, combine=delivery.combine, on=on)
            count = selectors.audience_count(q, capped=not delivery.emergency)
        email_count = selectors.email_subscribers_for(topic_ids).count() if delivery.email_too else 0
        names = conditions.Names()
        summary = {
            "on": on.isoformat(),
            "combine": delivery.combine,
            "segments": [
                {"name": s.name, "description": conditions.describe(s.conditions, names)} for s in segments
            ],
            "email_topics": sorted(Topic.objects.filter(pk__in=topic_ids).values_list("name", flat=True))
            if topic_ids is not None
            else [],
        }
        Delivery.objects.filter(pk=delivery.pk).update(
            sent_messages=messages,
            sent_versions=versions,
            email_body=mail.body_text(drafts, link) if delivery.email_too else "",
            target_count=count.following,
            blocked_count=count.blocked,
            capped_count=count.capped,
            email_count=email_count,
            audience_summary=summary,
            audience_ready=True,
        )
    delivery.refresh_from_db()


def _recipients(delivery: Delivery) -> QuerySet[Friend]:
    """The friends a multicast delivery goes to, judged on its start date (the count's query)."""
    if delivery.audience == Delivery.Audience.ALL:
        return selectors.recipients(None)
    on = timezone.localdate(delivery.started_at)
    q = selectors.audience_q(list(delivery.segments.all()), combine=delivery.combine, on=on)
    return selectors.recipients(
        q, now=delivery.started_at, delivery_id=delivery.pk, capped=not delivery.emergency
    )


def _audience_rows_insert(delivery: Delivery, first_batch: int, friend_ids: list[int]) -> None:
    """The audience rows of consecutive full batches (the last may be short), in one statement.

    The ids go as one text parameter: the driver's own list encoding checks every element and cost
    more than the insert itself at 180 batches a second.
    """
    table = connection.ops.quote_name(DeliveryAudience._meta.db_table)
    if connection.vendor == "postgresql":
        select = "SELECT %s, %s + (o - 1) / %s, f FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(f, o)"
        ids = "{" + ",".join(map(str, friend_ids)) + "}"
    else:
        select = "SELECT %s, %s + key / %s, value FROM json_each(%s)"
        ids = "[" + ",".join(map(str, friend_ids)) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (delivery_id, batch, friend_id) {select}",
            [delivery.pk, first_batch, MULTICAST_BATCH, ids],
        )


@dataclass
class _Stream:
    """The requests of a multicast delivery: first the recorded batches LINE has not answered, then
    the rest of the audience, recorded as it is read. ``done`` once the audience is exhausted.

    A delivery in several languages streams its audience once per version, each time the friends
    who read it (``selectors.readers_of``), in batches of that version alone.
    """

    delivery: Delivery
    bodies: dict[str, dict[str, Any]]  # per version language
    done: bool = False
    now: datetime = field(default_factory=timezone.now)

    def requests(self) -> Iterator[messaging.BulkRequest]:
        yield from self._unanswered()
        number = self.delivery.batches.aggregate(number=Max("number"))["number"] or 0
        for language, readers in selectors.readers_of(list(self.bodies)).items():
            number = yield from self._new(language, readers, number)
        self.done = True

    def _request(
        self, batch_pk: int, attempts: int, user_ids: list[str], key: Any, language: str
    ) -> messaging.BulkRequest:
        body = self.bodies.get(language) or self.bodies[languages.JAPANESE]
        return messaging.BulkRequest((batch_pk, attempts), {**body, "to": user_ids}, str(key))

    def _unanswered(self) -> Iterator[messaging.BulkRequest]:
        waiting = list(
            self.delivery.batches.filter(
                status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING], send=None
            )
            .order_by("number")
            .values_list("pk", "number", "retry_key", "attempts", "created_at", "language")
        )
        for pk, number, key, attempts, created_at, language in waiting:
            if created_at < self.now - RETRY_KEY_LIFETIME:
                DeliveryBatch.objects.filter(pk=pk).update(
                    status=DeliveryBatch.Status.FAILED,
                    http_status=None,
                    error=_("LINEが24時間受け付けなかったため、二重送信を避けて送信を打ち切りました。"),
                    updated_at=timezone.now(),
                )
                continue
            audience = DeliveryAudience.objects.filter(delivery=self.delivery, batch=number)
            user_ids = list(audience.values_list("friend__user_id", flat=True))
            yield self._request(pk, attempts, user_ids, key, language)

    def _new(self, language: str, readers: Q, number: int) -> Generator[messaging.BulkRequest, None, int]:
        """The rest of the friends reading ``language`` (after the highest recorded for it), batches
        numbered on from ``number``; returns the last number used."""
        progress = self.delivery.batches.filter(language=language).aggregate(last=Max("last_friend_id"))
        last = progress["last"] or 0
        friends = (
            _recipients(self.delivery)
            .filter(readers, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "user_id")
        )
        # One query for the whole audience, read a chunk at a time (a server-side cursor on
        # PostgreSQL): memory holds one chunk, and the database evaluates the segment once.
        with selectors.friend_order_plans():
            stream = friends.iterator(chunk_size=SEND_CHUNK)
            rows = list(islice(stream, SEND_CHUNK))
        while rows:
            chunks = [rows[i : i + MULTICAST_BATCH] for i in range(0, len(rows), MULTICAST_BATCH)]
            with transaction.atomic():
                batches = DeliveryBatch.objects.bulk_create(
                    DeliveryBatch(
                        delivery=self.delivery,
                        number=number + i,
                        size=len(chunk),
                        last_friend_id=chunk[-1][0],
                        language=language,
                    )
                    for i, chunk in enumerate(chunks, start=1)
                )
                _audience_rows_insert(self.delivery, number + 1, [pk for pk, _user_id in rows])
            number += len(chunks)
            for batch, chunk in zip(batches, chunks, strict=True):
                yield self._request(
                    batch.pk, 0, [user_id for _pk, user_id in chunk], batch.retry_key, language
                )
            rows = list(islice(stream, SEND_CHUNK))
        return number


class _Outcomes:
    """Batch outcomes written in bulk (one UPDATE for whatever came back together), and the
    delivery's claim renewed while it sends."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.rows: list[tuple[int, str, str, int | None, int, str]] = []
        self.flushed = self.beat = time.monotonic()

    def add(self, result: messaging.BulkOutcome) -> None:
        (batch_pk, attempts), outcome = result.request.key, result.outcome
        if outcome.accepted:
            status = DeliveryBatch.Status.ACCEPTED
        else:
            status = DeliveryBatch.Status.RETRYING if outcome.retryable else DeliveryBatch.Status.FAILED
        error = "" if outcome.accepted else outcome.error[:2000]
        self.rows.append(
            (
                batch_pk,
                status,
                outcome.request_id[:64],
                outcome.http_status,
                attempts + outcome.attempts,
                error,
            )
        )
        if time.monotonic() - self.flushed >= RESULTS_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            _outcomes_write(self.rows)
            self.rows = []
        self.flushed = time.monotonic()
        if self.flushed - self.beat >= HEARTBEAT.total_seconds():
            Delivery.objects.filter(pk=self.delivery.pk).update(planning_since=timezone.now())
            self.beat = self.flushed


def _outcomes_write(rows: list[tuple[int, str, str, int | None, int, str]]) -> None:
    """One UPDATE … FROM (VALUES …) for many batches (PostgreSQL and SQLite alike): the ORM's
    bulk_update builds a CASE per field per row, a cost the sending thread pays 180 times a second."""
    table = connection.ops.quote_name(DeliveryBatch._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = "(CAST(%s AS BIGINT), %s, %s, CAST(%s AS INTEGER), CAST(%s AS INTEGER), %s)"
    values = ", ".join([row] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = v.column2, request_id = v.column3, http_status = v.column4, "  # noqa: S608
            f"attempts = v.column5, error = v.column6, updated_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            [now, *(value for r in rows for value in r)],
        )


class _Ahead:
    """The stream's batches, recorded in a thread (and database connection) of their own, a few
    batches ahead of those in flight: a slow answer from the database never holds up the requests
    to LINE, whose pace the worker's one thread could not otherwise keep at 180 a second.

    Not inside a transaction (tests): another connection would not see its rows; the stream then
    runs in the caller's thread.
    """

    _END = object()

    def __init__(self, requests: Iterator[messaging.BulkRequest], ahead: int = PLAN_AHEAD) -> None:
        self._requests = requests
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delivery-planner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for request in self._requests:
                if not self._put(request):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the sending thread, which raises it
            self._put(exc)
        finally:
            connection.close()  # this thread's own

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[messaging.BulkRequest]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _send_multicasts(delivery: Delivery) -> bool:
    """Send what is left of a multicast delivery; True once every batch has been answered."""
    versions = {languages.JAPANESE: delivery.sent_messages, **delivery.sent_versions}
    bodies: dict[str, dict[str, Any]] = {
        language: {
            "messages": messages,
            # LINE's statistics per delivery (SD-8): every request carries the delivery's unit.
            "customAggregationUnits": [delivery.aggregation_unit],
        }
        for language, messages in versions.items()
    }
    stream = _Stream(delivery, bodies)
    sender = messaging.BulkSender("multicast", MULTICAST_PATH)
    outcomes = _Outcomes(delivery)
    requests = _Ahead(stream.requests()) if not connection.in_atomic_block else stream.requests()
    try:
        for result in sender.run(requests):
            outcomes.add(result)
    finally:
        if isinstance(requests, _Ahead):
            requests.close()
        outcomes.flush()
    unanswered = delivery.batches.filter(
        status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
    )
    return stream.done and not unanswered.exists()


def _retry_later(delivery: Delivery) -> None:
    """LINE did not take everything (unreachable, 5xx, 429): send the rest again in a while."""
    from ..tasks import delivery_send_task

    oldest = (
        delivery.batches.filter(status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    waited = (timezone.now() - oldest).total_seconds() if oldest else 0
    low, high = RETRY_DELAY_BOUNDS
    delay = min(max(waited / 2, low), high)
    Delivery.objects.filter(pk=delivery.pk).update(
        planning_since=None, retry_at=timezone.now() + timedelta(seconds=delay)
    )
    transaction.on_commit(lambda: delivery_send_task.schedule((delivery.pk,), delay=delay), robust=True)
    logger.warning(
        "delivery %s: LINE did not take every batch; sending the rest in %.0f s", delivery.pk, delay
    )


def _plan_broadcast(delivery: Delivery) -> None:
    if delivery.batches.exists():
        return  # claimed before: sent, or its outcome unknown — never a second broadcast
    with transaction.atomic():
        batch = DeliveryBatch.objects.create(delivery=delivery, number=1, size=delivery.target_count)
    send = messaging.message_broadcast(messages=delivery.sent_messages)
    DeliveryBatch.objects.filter(pk=batch.pk).update(send=send)


def _plan_emails(delivery: Delivery) -> None:
    from ..tasks import email_batch_task

    topic_ids = selectors.email_topic_ids(delivery)
    subscribers = selectors.email_subscribers_for(topic_ids).order_by("pk")
    progress = delivery.email_batches.aggregate(last=Max("last_subscriber_id"), number=Max("number"))
    last, number = progress["last"] or 0, (progress["number"] or 0)
    while True:
        ids = list(subscribers.filter(pk__gt=last).values_list("pk", flat=True)[:EMAIL_BATCH_SIZE])
        if not ids:
            return
        number += 1
        with transaction.atomic():
            batch = EmailBatch.objects.create(
                delivery=delivery,
                number=number,
                first_subscriber_id=ids[0],
                last_subscriber_id=ids[-1],
                size=len(ids),
            )
            transaction.on_commit(lambda pk=batch.pk: email_batch_task(pk))
        last = ids[-1]


def delivery_send(*, delivery_id: int) -> Delivery:
    """The worker's part of a delivery that has started: audience, batches, mails (resumable)."""
    delivery = Delivery.objects.select_related("scheduled_by").get(pk=delivery_id)
    if delivery.status != Delivery.Status.SENDING or delivery.planned_at is not None:
        return delivery_finish_check(delivery_id=delivery_id)
    now = timezone.now()
    claimed = Delivery.objects.filter(
        Q(planning_since=None) | Q(planning_since__lt=now - STALE_PLANNER),
        pk=delivery_id,
        status=Delivery.Status.SENDING,
        planned_at=None,
    ).update(planning_since=now, retry_at=None)
    if not claimed:
        return delivery  # another worker is sending it
    try:
        if not delivery.audience_ready:
            refusal = _permission_refusal(delivery)
            if refusal:
                _fail(delivery, refusal)
                return Delivery.objects.get(pk=delivery_id)
            _prepare(delivery)
        if delivery.is_broadcast:
            _plan_broadcast(delivery)
        elif not _send_multicasts(delivery):
            _retry_later(delivery)
            return Delivery.objects.get(pk=delivery_id)
        if delivery.email_too:
            _plan_emails(delivery)
    except IntegrityError:
        # A sender presumed dead came back: it recorded this batch; leave the rest to whichever runs on.
        logger.warning("delivery %s: two senders met; this one stops", delivery_id)
        return Delivery.objects.get(pk=delivery_id)
    except Exception:
        # Let the task's retry resume at once from the batches recorded.
        Delivery.objects.filter(pk=delivery_id).update(planning_since=None)
        raise
    fields: dict[str, Any] = {"planned_at": timezone.now(), "planning_since": None, "retry_at": None}
    if not delivery.is_broadcast:
        # The number addressed; the count at the start differs only if friends changed meanwhile.
        fields["target_count"] = sum(delivery.batches.values_list("size", flat=True))
    Delivery.objects.filter(pk=delivery_id).update(**fields)
    return delivery_finish_check(delivery_id=delivery_id)


def _settle_legacy_batches(delivery: Delivery) -> None:
    """Multicast batches recorded before batches carried their own outcome: their OutboundSend,
    retried by the line worker, decides."""
    legacy = delivery.batches.exclude(send=None).filter(
        status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
    )
    outcome = {OutboundSend.Status.SENT: DeliveryBatch.Status.ACCEPTED}
    for batch in legacy.select_related("send"):
        if batch.send.is_finished:
            status = outcome.get(batch.send.status, DeliveryBatch.Status.FAILED)
            DeliveryBatch.objects.filter(pk=batch.pk).update(status=status, error=batch.send.error)


def delivery_finish_check(*, delivery_id: int) -> Delivery:
    """Settle a delivery once every LINE request and mail batch has an outcome."""
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.status != Delivery.Status.SENDING or delivery.planned_at is None:
        return delivery
    if delivery.is_broadcast:
        batches = list(delivery.batches.select_related("send"))
        if any(b.send is not None and not b.send.is_finished for b in batches):
            return delivery
        unknown = any(b.send is None for b in batches)
    else:
        _settle_legacy_batches(delivery)
        waiting = [DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
        if delivery.batches.filter(status__in=waiting).exists():
            return delivery
        unknown = False
    if delivery.email_batches.exclude(status__in=[EmailBatch.Status.SENT, EmailBatch.Status.FAILED]).exists():
        return delivery
    progress = selectors.delivery_progress(delivery)
    failed = progress.failed or progress.emails_failed or unknown
    reached = progress.accepted or progress.emails_sent
    if not failed:
        status = Delivery.Status.SENT
    elif reached:
        status = Delivery.Status.PARTIAL
    else:
        status = Delivery.Status.FAILED
    error = (
        _(
            "一斉送信の結果が確認できませんでした（二重送信を避けるため再送していません）。"
            "友だちに届いたかをLINE公式アカウントの管理画面で確かめ、届いていなければ配信を複製して送り直してください。"
        )
        if unknown
        else ""
    )
    with transaction.atomic():
        settled = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
            status=status, finished_at=timezone.now(), error=error or delivery.error
        )
        if settled and delivery.sent_versions:
            _languages_audit(delivery)
    return Delivery.objects.get(pk=delivery_id)


def _languages_audit(delivery: Delivery) -> None:
    """Record which languages a delivery in several went out in, and to how many friends each."""
    counts = selectors.delivery_language_counts(delivery)
    names = languages.names()
    audit_record(
        action=Action.SEND,
        target=delivery,
        summary=_("配信「%(title)s」を言語別に送信: %(counts)s")
        % {
            "title": delivery.title,
            "counts": "、".join(
                _("%(language)s %(n)d人") % {"language": names.get(code, code), "n": n}
                for code, n in counts.items()
            ),
        },
        changes={"languages": counts},
    )


def deliveries_sweep(*, now: datetime | None = None) -> None:
    """What the queue may have lost: finish deliveries whose sends ended in the line worker, send
    again where a sender died or LINE's retry time has passed, send mail batches never picked up,
    give up on interrupted ones."""
    from ..tasks import delivery_send_task, email_batch_task

    now = now or timezone.now()
    for delivery_id in Delivery.objects.filter(status=Delivery.Status.SENDING).values_list("pk", flat=True):
        delivery = delivery_finish_check(delivery_id=delivery_id)
        if delivery.status != Delivery.Status.SENDING or delivery.planned_at is not None:
            continue
        if delivery.retry_at is not None:
            # Its own task is queued for retry_at; this is the safety net if that entry was lost.
            due = delivery.retry_at < now - timedelta(minutes=1)
        else:
            due = (delivery.planning_since or delivery.started_at) < now - STALE_PLANNER
        if due:
            delivery_send_task(delivery_id)
    waiting = EmailBatch.objects.filter(
        status=EmailBatch.Status.PENDING, created_at__lt=now - STALE_EMAIL_BATCH
    )
    for batch_id in waiting.values_list("pk", flat=True)[:100]:
        email_batch_task(batch_id)
    # Interrupted mid-send: some mails may have gone; sending again could mail people twice.
    abandoned = EmailBatch.objects.filter(
        status=EmailBatch.Status.SENDING, claimed_at__lt=now - ABANDONED_EMAIL_BATCH
    )
    for batch in abandoned:
        EmailBatch.objects.filter(pk=batch.pk, status=EmailBatch.Status.SENDING).update(
            status=EmailBatch.Status.FAILED,
            error=_("送信中に中断しました（二重送信を避けるため再送していません）。"),
        )
        delivery_finish_check(delivery_id=batch.delivery_id)


def email_batch_send(*, batch_id: int, final: bool = True) -> EmailBatch:
    """Mail one batch of subscribers (those still subscribed to the topics when it runs)."""
    claimed = EmailBatch.objects.filter(pk=batch_id, status=EmailBatch.Status.PENDING).update(
        status=EmailBatch.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    batch = EmailBatch.objects.select_related("delivery").get(pk=batch_id)
    if not claimed:
        return batch
    delivery = batch.delivery
    subscribers = selectors.email_subscribers_for(selectors.email_topic_ids(delivery)).filter(
        pk__gte=batch.first_subscriber_id, pk__lte=batch.last_subscriber_id
    )
    topics_label = "、".join(delivery.audience_summary.get("email_topics") or []) or _("すべての分野")
    title = " ".join(delivery.title.split())  # a header: a forged line break must not reach it
    subject = f"【{settings.CITY_NAME}】{title}" if settings.CITY_NAME else title
    mails = [
        mail.delivery_mail(subject=subject, body=delivery.email_body, subscriber=s, topics=topics_label)
        for s in subscribers
    ]
    try:
        sent = mail.mails_send(mails) if mails else 0
    except (SMTPException, OSError) as exc:
        status = EmailBatch.Status.FAILED if final else EmailBatch.Status.PENDING
        EmailBatch.objects.filter(pk=batch_id).update(status=status, error=str(exc)[:1000])
        logger.warning("delivery %s mail batch %s failed: %s", delivery.pk, batch.number, exc)
        if not final:
            raise
    else:
        EmailBatch.objects.filter(pk=batch_id).update(
            status=EmailBatch.Status.SENT,
            sent_count=sent,
            size=len(mails),
            error="",
            finished_at=timezone.now(),
        )
    delivery_finish_check(delivery_id=delivery.pk)
    return EmailBatch.objects.get(pk=batch_id)
