"""State changes of the emulated platform: users acting in their LINE app, and LINE delivering messages.

User actions send the webhook LINE would send and return its delivery log entry.
"""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, models, transaction
from django.db.models import BigIntegerField, QuerySet, Value
from django.utils import timezone

from . import webhooks
from .models import (
    Recipient,
    SentMessage,
    SentRequest,
    VirtualUser,
    WebhookDelivery,
    delivered_dict,
    new_message_id,
    new_quote_token,
)
from .routers import EMULATOR_DB

# Message types LINE returns a quoteToken for when a bot sends them.
QUOTABLE = {"text", "textV2", "sticker", "image", "video"}


def user_create(*, display_name: str, language: str = "ja", picture_url: str = "") -> VirtualUser:
    return VirtualUser.objects.create(display_name=display_name, language=language, picture_url=picture_url)


def user_follow(user: VirtualUser) -> WebhookDelivery | None:
    """Add the account as a friend (or unblock it); LINE sends nothing if already a friend."""
    if user.reachable:
        return None
    was_blocked = user.blocked
    user.following, user.blocked = True, False
    user.save(update_fields=["following", "blocked"])
    return webhooks.deliver(webhooks.follow_event(user, is_unblocked=was_blocked), user=user)


def user_unfollow(user: VirtualUser, *, block: bool = False) -> WebhookDelivery | None:
    """Remove or block the account. LINE reports both as one unfollow event, and only once."""
    was_reachable = user.reachable
    user.following = False
    user.blocked = user.blocked or block
    user.save(update_fields=["following", "blocked"])
    if not was_reachable:
        return None
    return webhooks.deliver(webhooks.unfollow_event(user), user=user)


def user_send_text(user: VirtualUser, text: str) -> WebhookDelivery:
    return webhooks.deliver(webhooks.text_event(user, text), user=user)


def user_send_location(user: VirtualUser, **location: Any) -> WebhookDelivery:
    return webhooks.deliver(webhooks.location_event(user, **location), user=user)


def user_send_images(user: VirtualUser, images: list[tuple[bytes, str]]) -> list[WebhookDelivery]:
    return [webhooks.deliver(event, user=user) for event in webhooks.image_events(user, images)]


def user_send_postback(user: VirtualUser, data: str, params: dict[str, str] | None = None) -> WebhookDelivery:
    return webhooks.deliver(webhooks.postback_event(user, data, params), user=user)


def _new_sent(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    sent = []
    for message in messages:
        entry = {"id": new_message_id()}
        if message.get("type") in QUOTABLE:
            entry["quoteToken"] = new_quote_token()
        sent.append(entry)
    return sent


def insert(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows of ``model`` in one statement and return their ids.

    The ORM's create costs a fraction of a millisecond a call in Python alone; the emulator's
    multicast makes several a request, two hundred requests a second. Values are prepared by the
    model's own fields, so they are stored exactly as the ORM would store them.
    """
    if not rows:
        return []
    database = connections[EMULATOR_DB]
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    values = [
        field.get_db_prep_save(row[name], database)
        for row in rows
        for name, field in zip(names, fields, strict=True)
    ]
    quote = database.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
    with database.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {placeholders} RETURNING id",  # noqa: S608
            values,
        )
        return [row[0] for row in cursor.fetchall()]


def _request_store(
    *,
    messages: list[dict[str, Any]],
    api: str,
    request_id: str,
    retry_key: str,
    notification_disabled: bool,
) -> tuple[int, list[dict[str, str]]]:
    sent = _new_sent(messages)
    [request_pk] = insert(
        SentRequest,
        [
            {
                "request_id": request_id,
                "api": api,
                "retry_key": retry_key,
                "notification_disabled": notification_disabled,
                "created_at": timezone.now(),
            }
        ],
    )
    insert(
        SentMessage,
        [
            {
                "request": request_pk,
                "seq": seq,
                "message_id": entry["id"],
                "quote_token": entry.get("quoteToken", ""),
                "message": message,
            }
            for seq, (entry, message) in enumerate(zip(sent, messages, strict=True), start=1)
        ],
    )
    return request_pk, sent


_write_mutex = threading.Lock()


@contextmanager
def writing() -> Iterator[None]:
    """Hold the emulator database's write lock for a transaction about to write, on SQLite.

    SQLite lets one connection write at a time. A hundred threads in several worker processes, each
    waiting for it in SQLite's busy handler (which sleeps up to 100 ms between tries), leave the
    database idle between writers and cap the emulator far below LINE's 200 multicasts a second.
    Queued here instead (a mutex in the process, a file lock between processes), each writes as
    soon as the one before has committed.
    """
    database = connections[EMULATOR_DB]
    name = str(database.settings_dict["NAME"])
    if database.vendor != "sqlite" or name.startswith(":memory:") or "mode=memory" in name:
        yield
        return
    with _write_mutex, open(f"{name}.write-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def messages_deliver(
    *,
    users: Iterable[VirtualUser] | QuerySet[VirtualUser] = (),
    user_pks: Sequence[int] = (),
    messages: list[dict[str, Any]],
    api: str,
    request_id: str,
    retry_key: str = "",
    notification_disabled: bool = False,
) -> tuple[list[dict[str, str]], int]:
    """Store the messages once and who they reached; return LINE's sentMessages and the reach count.

    ``users``: the users addressed; only those who follow and have not blocked are reached, and the
    bot is not told about the others, as on LINE. Or a queryset of reachable users (broadcast,
    narrowcast), inserted by one INSERT … SELECT so that no user passes through Python. Or
    ``user_pks``: users already known to be reachable (multicast checks its 500 in one query).
    """
    quote = connections[EMULATOR_DB].ops.quote_name
    insert_sql = f"INSERT INTO {quote(Recipient._meta.db_table)} ({quote('request_id')}, {quote('user_id')})"
    with transaction.atomic(using=EMULATOR_DB):
        request_pk, sent = _request_store(
            messages=messages,
            api=api,
            request_id=request_id,
            retry_key=retry_key,
            notification_disabled=notification_disabled,
        )
        with connections[EMULATOR_DB].cursor() as cursor:
            if isinstance(users, QuerySet):
                rows = users.annotate(sent_request=Value(request_pk, output_field=BigIntegerField()))
                select_sql, params = rows.values_list("sent_request", "pk").query.sql_with_params()
                cursor.execute(f"{insert_sql} {select_sql}", params)
                return sent, cursor.rowcount
            pks = list(dict.fromkeys([*user_pks, *(u.pk for u in users if u.reachable)]))
            if pks:
                # One statement with the list as one parameter: executemany is a round trip per row
                # on PostgreSQL, and a placeholder per value costs the driver more than the insert.
                cursor.execute(f"{insert_sql} SELECT %s, {id_list_sql()}", [request_pk, id_list_param(pks)])
    return sent, len(pks)


def id_list_sql(sql_type: str = "bigint") -> str:
    """A one-parameter list of values for the emulator's database: an array, or a JSON array."""
    if connections[EMULATOR_DB].vendor == "postgresql":
        return f"unnest(%s::{sql_type}[])"
    return "value FROM json_each(%s)"


def id_list_param(values: Sequence[int | str]) -> Any:
    return list(values) if connections[EMULATOR_DB].vendor == "postgresql" else json.dumps(list(values))


def delivered_to(user: VirtualUser, *, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """What ``user`` received, oldest first, after the recipient row ``after``: (row pk, message dict)."""
    rows = (
        Recipient.objects.filter(user=user, pk__gt=after)
        .select_related("request")
        .prefetch_related("request__messages")
    )
    return [(row.pk, delivered_dict(row.request, m)) for row in rows for m in row.request.messages.all()]
