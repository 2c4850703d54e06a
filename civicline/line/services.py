"""Writes of the line app: webhook intake and processing, friends, content copied out of LINE.

Sending lives in ``messaging``; this module calls it only through the handlers' replies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import threading
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

import urllib3
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from linebot.v3.messaging import ApiException
from linebot.v3.webhooks import Event

from civicline.core import languages, outbound

from . import client, handlers
from .languages import resident_language_changed, speaking_to
from .models import Friend, MessageContent, WebhookEvent
from .registry import LineContext

logger = logging.getLogger(__name__)

# Attempts per event across worker retries and sweeps; after that it stays FAILED for people to see.
EVENT_MAX_ATTEMPTS = 5
PROFILE_TIMEOUT = (3, 10)
CONTENT_TIMEOUT = (5, 60)


# --- intake (the request path: one statement, no parsing beyond json) ---------------------------


def webhook_event_id(event: dict[str, Any]) -> str:
    """LINE's id for the event; events without one (very old API versions) get a content hash."""
    return (
        event.get("webhookEventId")
        or "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:56]
    )


def webhook_events_receive(*, events: Sequence[dict[str, Any]]) -> list[str]:
    """Store a webhook's events, count redeliveries, queue the new ones; returns the new ids.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING statement (SQLite ≥ 3.35, PostgreSQL) does
    it all: new events come back with redelivery_count 0, known ones with their count raised.
    Being a single statement it is atomic without an explicit transaction, and concurrent
    deliveries of the same event cannot both see it as new.
    """
    now = timezone.now()
    rows = {webhook_event_id(event): event for event in events}  # a body may repeat an event
    if not rows:
        return []
    connection = connections[router.db_for_write(WebhookEvent)]
    # Column values prepared by hand (the ORM's per-field preparation costs more than the insert);
    # only the payload needs its field: it is sealed like any other encrypted column.
    payload_field = WebhookEvent._meta.get_field("payload")
    received_at = WebhookEvent._meta.get_field("received_at").get_db_prep_save(now, connection)
    seal = partial(payload_field.get_db_prep_save, connection=connection)
    values = [_event_values(event_id, event, received_at, seal) for event_id, event in rows.items()]
    with _sqlite_writer(connection), connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection, len(values)), [v for row in values for v in row])
        new_ids = [event_id for event_id, redelivery_count in cursor.fetchall() if redelivery_count == 0]
        if new_ids:
            from .tasks import webhook_events_process_task

            # robust: if the queue is unreachable the events are safe in the table; the sweep
            # task picks them up, and LINE still gets its 200.
            transaction.on_commit(
                lambda: webhook_events_process_task(new_ids), robust=True, using=connection.alias
            )
    return new_ids


_sqlite_write_lock = threading.Lock()


def _sqlite_writer(connection: Any) -> AbstractContextManager:
    """On SQLite, one webhook write at a time per process.

    SQLite admits one writer; a thread that finds the file locked sleeps in growing steps (up to
    100 ms) before trying again, which under concurrent webhooks costs more than the writes.
    Waiting on a Python lock hands over at once. PostgreSQL needs none of this.
    """
    return _sqlite_write_lock if connection.vendor == "sqlite" else nullcontext()


_INSERTED_FIELDS = (
    "webhook_event_id",
    "event_type",
    "user_id",
    "payload",
    "is_redelivery",
    "received_at",
    "status",
)


def _event_values(event_id: str, event: dict[str, Any], received_at: Any, seal: Callable) -> list[Any]:
    return [
        event_id,
        str(event.get("type", ""))[:40],
        (event.get("source") or {}).get("userId") or "",
        seal(event),
        bool((event.get("deliveryContext") or {}).get("isRedelivery")),
        received_at,
        WebhookEvent.Status.PENDING.value,
    ]


@lru_cache(maxsize=64)
def _upsert_sql_cached(table: str, rows: int) -> str:
    defaults = "redelivery_count, attempts, error"  # NOT NULL columns without a database default
    columns = ", ".join(_INSERTED_FIELDS) + ", " + defaults
    row = "(" + ", ".join(["%s"] * len(_INSERTED_FIELDS)) + ", 0, 0, '')"
    return (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608 - no user input
        f"ON CONFLICT (webhook_event_id) DO UPDATE SET "
        f"redelivery_count = {table}.redelivery_count + 1, last_redelivered_at = excluded.received_at "
        f"RETURNING webhook_event_id, redelivery_count"
    )


def _upsert_sql(connection: Any, rows: int) -> str:
    return _upsert_sql_cached(connection.ops.quote_name(WebhookEvent._meta.db_table), rows)


# --- processing (worker) ------------------------------------------------------------------------


def webhook_events_process(*, webhook_event_ids: Sequence[str]) -> list[str]:
    """Process events in the order received; returns the ids that failed (to be retried)."""
    return [
        event_id for event_id in webhook_event_ids if not webhook_event_process(webhook_event_id=event_id)
    ]


def webhook_event_process(*, webhook_event_id: str) -> bool:
    """Run one event through friends bookkeeping and the handlers, at most once successfully.

    Returns False when it failed (recorded on the event, retried later), True otherwise —
    including when there was nothing to do (done already, or claimed by another worker).
    """
    claimed = WebhookEvent.objects.filter(
        webhook_event_id=webhook_event_id,
        status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED],
        attempts__lt=EVENT_MAX_ATTEMPTS,
    ).update(status=WebhookEvent.Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    if not claimed:
        return True
    record = WebhookEvent.objects.get(webhook_event_id=webhook_event_id)
    try:
        note = _handle(record)
    except Exception:
        logger.exception("LINE event %s (%s) failed", record.webhook_event_id, record.event_type)
        WebhookEvent.objects.filter(pk=record.pk).update(
            status=WebhookEvent.Status.FAILED, error=traceback.format_exc()[-4000:]
        )
        return False
    WebhookEvent.objects.filter(pk=record.pk).update(
        status=WebhookEvent.Status.DONE, processed_at=timezone.now(), error=note
    )
    return True


def _handle(record: WebhookEvent) -> str:
    payload = record.payload
    try:
        event = Event.from_dict(payload)
    except ValueError as exc:
        # A type this SDK does not know yet: kept, but nobody can handle it.
        return f"not dispatched: {exc}"[:1000]
    friend = None
    if record.user_id and (payload.get("source") or {}).get("type") == "user":
        at = _event_time(payload)
        if record.event_type == "follow":
            friend = friend_follow(user_id=record.user_id, at=at)
        elif record.event_type == "unfollow":
            friend = friend_unfollow(user_id=record.user_id, at=at)
        else:
            friend = friend_touch(user_id=record.user_id, at=at)
    # Everything the handlers say is in the resident's language (issue 21).
    with speaking_to(friend):
        return handlers.dispatch(
            LineContext(event=event, webhook_event=record, friend=friend), event_time=_event_time(payload)
        )


def _event_time(payload: dict[str, Any]) -> datetime:
    timestamp = payload.get("timestamp")
    return datetime.fromtimestamp(timestamp / 1000, UTC) if timestamp else timezone.now()


def webhook_events_stale(*, older_than_seconds: int = 120) -> list[str]:
    """Events to try again: never queued, failed with attempts left, or claimed by a dead worker."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stuck = now - timedelta(minutes=10)
    WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSING, claimed_at__lt=stuck).update(
        status=WebhookEvent.Status.FAILED, error="worker stopped while processing"
    )
    return list(
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.Status.PENDING, received_at__lt=cutoff)
            | Q(status=WebhookEvent.Status.FAILED, claimed_at__lt=cutoff),
            attempts__lt=EVENT_MAX_ATTEMPTS,
        )
        .order_by("received_at", "pk")
        .values_list("webhook_event_id", flat=True)[:1000]
    )


# --- friends ----------------------------------------------------------------------------------


def _friend_seen(*, user_id: str, at: datetime) -> Friend:
    friend, created = Friend.objects.get_or_create(
        user_id=user_id, defaults={"first_seen": at, "last_seen": at}
    )
    if not created and friend.last_seen < at:
        # Events may be processed out of order (retries): last_seen only moves forward.
        Friend.objects.filter(pk=friend.pk, last_seen__lt=at).update(last_seen=at)
        friend.last_seen = at
    return friend


def friend_touch(*, user_id: str, at: datetime) -> Friend:
    """Any event from a user: the friend exists, ``last_seen`` moves on, a missing profile is fetched."""
    friend = _friend_seen(user_id=user_id, at=at)
    if friend.profile_fetched_at is None:
        friend_profile_refresh(friend=friend)
    return friend


def friend_follow(*, user_id: str, at: datetime) -> Friend:
    """Follow (or unblock): following again, profile refreshed — unless a later unfollow is known."""
    friend = friend_touch(user_id=user_id, at=at)
    if friend.blocked_at is None or friend.blocked_at <= at:
        friend.state, friend.followed_at = Friend.State.FOLLOWING, at
        friend.save(update_fields=["state", "followed_at"])
    if friend.profile_fetched_at is None or friend.profile_fetched_at < at:
        friend_profile_refresh(friend=friend)
    return friend


def friend_unfollow(*, user_id: str, at: datetime) -> Friend:
    """Block: kept (their records stay), marked blocked — unless a later follow is known."""
    friend = _friend_seen(user_id=user_id, at=at)
    if friend.followed_at is None or friend.followed_at <= at:
        friend.state, friend.blocked_at = Friend.State.BLOCKED, at
        friend.save(update_fields=["state", "blocked_at"])
    return friend


def friend_liff_open(*, user_id: str, display_name: str = "", line_language: str = "") -> Friend:
    """A resident opened a LIFF page with a verified ID token: the friend exists, named as in the token.

    LIFF users need not have followed the account, so they may be seen here first. No profile API
    call on this path (it runs in the resident's request, and fails for non-friends anyway).
    """
    friend = _friend_seen(user_id=user_id, at=timezone.now())
    if display_name and friend.display_name != display_name:
        friend.display_name = display_name
        friend.save(update_fields=["display_name"])
    if line_language and not friend.language:
        # What LIFF says of the LINE app, until the profile API (authoritative) is read at follow.
        before = friend.resident_language
        friend.language = line_language
        friend.save(update_fields=["language"])
        _language_changed(friend, before)
    return friend


def friend_profile_refresh(*, friend: Friend) -> bool:
    """Copy display name and picture from LINE's profile API; best effort (False if unavailable)."""
    if client.throttle("profile"):
        return False
    try:
        profile = client.messaging_api().get_profile(
            friend.user_id, _request_timeout=outbound.timeout(PROFILE_TIMEOUT)
        )
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        # A blocked user's profile is a 404; anything else is retried on their next event.
        logger.warning("LINE profile of %s unavailable: %s", friend.user_id, getattr(exc, "status", exc))
        return False
    before = friend.resident_language
    friend.display_name = profile.display_name or ""
    friend.picture_url = profile.picture_url or ""
    friend.language = profile.language or ""
    friend.profile_fetched_at = timezone.now()
    friend.save(update_fields=["display_name", "picture_url", "language", "profile_fetched_at"])
    _language_changed(friend, before)
    return True


def friend_language_set(*, friend: Friend, language: str) -> Friend:
    """The resident chose the language they read (受信設定); "" follows their LINE app again."""
    if language and language not in languages.resident_languages():
        raise ValidationError(_("選べない言語です。一覧から選んでください。"))
    before = friend.resident_language
    if friend.preferred_language != language:
        friend.preferred_language = language
        friend.save(update_fields=["preferred_language"])
    _language_changed(friend, before)
    return friend


def _language_changed(friend: Friend, before: str) -> None:
    if friend.resident_language != before:
        resident_language_changed.send(Friend, friend=friend, old=before, new=friend.resident_language)


# --- content ----------------------------------------------------------------------------------


def message_content_save(*, message_id: str, user_id: str = "") -> MessageContent:
    """Copy an image/video/audio/file a resident sent into our storage (LINE keeps it only briefly).

    Idempotent per message id. Raises the SDK's ``ApiException`` when LINE refuses (e.g. expired).
    """
    existing = MessageContent.objects.filter(message_id=message_id).first()
    if existing:
        return existing
    client.throttle("content")
    response = client.blob_api().get_message_content_with_http_info(
        message_id, _request_timeout=outbound.timeout(CONTENT_TIMEOUT)
    )
    content_type = ((response.headers or {}).get("content-type") or "").split(";")[0].strip()
    data = bytes(response.data or b"")
    extension = mimetypes.guess_extension(content_type) or ""
    content = MessageContent(
        message_id=message_id, user_id=user_id, content_type=content_type, size=len(data)
    )
    content.file.save(f"{message_id}{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            content.save()
    except IntegrityError:
        # Saved meanwhile by another worker: keep theirs, drop our copy of the file.
        content.file.delete(save=False)
        return MessageContent.objects.get(message_id=message_id)
    return content
