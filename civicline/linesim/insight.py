"""Statistics LINE computes from what users do with delivered messages (insight.yml).

The phone page reports each bubble a user saw and each URL they opened; a report is counted once per
user, message and URL, so a page that reports on every redraw counts nothing twice. LINE hides small
numbers to protect privacy: a count under 20, or one whose number of distinct users is under 20, is
``null``. Media playback is not emulated, so its counts are always ``null``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from .models import AggregationUnitUse, InsightEvent, Recipient, SentMessage, SentRequest, VirtualUser
from .routers import EMULATOR_DB
from .validation import body_error

PRIVACY_FLOOR = 20
UNIT_NAME = re.compile(r"^[a-zA-Z0-9_]{1,30}$")
MAX_UNITS_PER_MONTH = 1000
# LINE counts units by calendar month and aggregation periods by date, both in Japan time.
JST = dt.timezone(dt.timedelta(hours=9))
MEDIA_FIELDS = (
    "mediaPlayed",
    "mediaPlayed25Percent",
    "mediaPlayed50Percent",
    "mediaPlayed75Percent",
    "mediaPlayed100Percent",
    "uniqueMediaPlayed",
    "uniqueMediaPlayed25Percent",
    "uniqueMediaPlayed50Percent",
    "uniqueMediaPlayed75Percent",
    "uniqueMediaPlayed100Percent",
)


def shown(count: int, users: int | None = None) -> int | None:
    """``count`` as LINE shows it: null under 20, or when fewer than 20 distinct users produced it."""
    users = count if users is None else users
    return count if count >= PRIVACY_FLOOR and users >= PRIVACY_FLOOR else None


# Recording


def event_record(user: VirtualUser, *, kind: str, message_id: str, url: str = "") -> bool:
    """Count a user's open or click of a message delivered to them; False if it was already counted."""
    delivered = SentMessage.objects.select_related("request").filter(message_id=message_id).first()
    if delivered is None or not Recipient.objects.filter(request=delivered.request, user=user).exists():
        raise LookupError(message_id)
    try:
        with transaction.atomic(using=EMULATOR_DB):
            InsightEvent.objects.create(
                user=user,
                message_id=message_id,
                request_id=delivered.request.request_id,
                kind=kind,
                url=url if kind == InsightEvent.Kind.CLICK else "",
            )
    except IntegrityError:
        return False
    return True


def units_of(data: dict[str, Any]) -> list[str]:
    """The request's ``customAggregationUnits``, checked as LINE does: one name of [a-zA-Z0-9_]{1,30}."""
    units = data.get("customAggregationUnits")
    if units is None:
        return []
    if not isinstance(units, list) or len(units) > 1:
        raise body_error([{"message": "size must be between 0 and 1", "property": "customAggregationUnits"}])
    if units and not (isinstance(units[0], str) and UNIT_NAME.match(units[0])):
        raise body_error([{"message": "invalid unit name", "property": "customAggregationUnits[0]"}])
    # A unit already used this month is allowed without counting the month's others: a delivery's
    # thousands of multicasts carry the same unit, and each must be checked in one quick query.
    known = bool(units) and _used_this_month(units[0])
    if units and not known and len(month_units()) >= MAX_UNITS_PER_MONTH:
        raise body_error([{"message": "too many units this month", "property": "customAggregationUnits"}])
    return units


def units_record(request_id: str, units: list[str]) -> None:
    from .services import insert  # one statement: a delivery's multicasts each record their unit

    insert(
        AggregationUnitUse,
        [{"unit": unit, "request_id": request_id, "created_at": timezone.now()} for unit in units],
    )


def _used_this_month(unit: str) -> bool:
    database = connections[EMULATOR_DB]
    since = database.ops.adapt_datetimefield_value(_month_start())
    table = database.ops.quote_name(AggregationUnitUse._meta.db_table)
    with database.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE unit = %s AND created_at >= %s LIMIT 1", [unit, since])  # noqa: S608
        return cursor.fetchone() is not None


def _month_start() -> dt.datetime:
    return timezone.now().astimezone(JST).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_units() -> list[str]:
    """Unit names used this month (Japan time), in the order first used."""
    rows = (
        AggregationUnitUse.objects.filter(created_at__gte=_month_start())
        .order_by("id")
        .values_list("unit", flat=True)
    )
    return list(dict.fromkeys(rows))


# Statistics


@dataclass
class _Counts:
    """What happened to a set of requests, by bubble (seq) and by (seq, url)."""

    delivered_users: set[int]
    openers: set[int]
    clickers: set[int]
    bubble_opens: dict[int, set[int]]
    bubble_open_events: dict[int, int]
    url_clicks: dict[tuple[int, str], set[int]]
    url_click_events: dict[tuple[int, str], int]
    url_clickers_any_bubble: dict[str, set[int]]


def _seq_of(request_ids: Iterable[str]) -> dict[str, int]:
    """Each message id's bubble number (1-based) within its own request."""
    rows = SentMessage.objects.filter(request__request_id__in=list(request_ids))
    return dict(rows.values_list("message_id", "seq"))


def _counts(request_ids: list[str]) -> _Counts:
    seq = _seq_of(request_ids)
    counts = _Counts(
        delivered_users=set(
            Recipient.objects.filter(request__request_id__in=request_ids).values_list("user_id", flat=True)
        ),
        openers=set(),
        clickers=set(),
        bubble_opens=defaultdict(set),
        bubble_open_events=defaultdict(int),
        url_clicks=defaultdict(set),
        url_click_events=defaultdict(int),
        url_clickers_any_bubble=defaultdict(set),
    )
    events = InsightEvent.objects.filter(request_id__in=request_ids)
    for user_id, message_id, kind, url in events.values_list("user_id", "message_id", "kind", "url"):
        bubble = seq.get(message_id)
        if bubble is None:
            continue
        if kind == InsightEvent.Kind.OPEN:
            counts.openers.add(user_id)
            counts.bubble_opens[bubble].add(user_id)
            counts.bubble_open_events[bubble] += 1
        else:
            counts.clickers.add(user_id)
            counts.url_clicks[(bubble, url)].add(user_id)
            counts.url_click_events[(bubble, url)] += 1
            counts.url_clickers_any_bubble[url].add(user_id)
    return counts


def _overview(counts: _Counts) -> dict[str, Any]:
    return {
        "uniqueImpression": shown(len(counts.openers)),
        "uniqueClick": shown(len(counts.clickers)),
        "uniqueMediaPlayed": None,
        "uniqueMediaPlayed100Percent": None,
    }


def _bubbles(counts: _Counts, *, with_unique: bool) -> list[dict[str, Any]]:
    """Per-bubble rows, leaving out bubbles whose every number is hidden (as LINE's examples do)."""
    rows = []
    for bubble in sorted(counts.bubble_opens):
        # A user's opens of one message count once; the same bubble of another request counts again.
        users = len(counts.bubble_opens[bubble])
        impression = shown(counts.bubble_open_events[bubble], users)
        if impression is None:
            continue
        row: dict[str, Any] = {"seq": bubble, "impression": impression}
        if with_unique:
            row["uniqueImpression"] = shown(users)
        rows.append({**row, **dict.fromkeys(MEDIA_FIELDS)})
    return rows


def _clicks(counts: _Counts) -> list[dict[str, Any]]:
    rows = []
    for (bubble, url), users in sorted(counts.url_clicks.items()):
        click = shown(counts.url_click_events[(bubble, url)], len(users))
        if click is None:
            continue
        rows.append(
            {
                "seq": bubble,
                "url": url,
                "click": click,
                "uniqueClick": shown(len(users)),
                "uniqueClickOfRequest": shown(len(counts.url_clickers_any_bubble[url])),
            }
        )
    return rows


def message_event(request_id: str) -> dict[str, Any]:
    """GET /v2/bot/insight/message/event for one request (LINE documents it for narrowcast and broadcast)."""
    first = SentRequest.objects.filter(request_id=request_id).first()
    counts = _counts([request_id])
    return {
        "overview": {
            "requestId": request_id,
            "timestamp": int(first.created_at.timestamp()) if first else None,
            # Not hidden under 20: LINE shows small delivery counts. Here a user counts once.
            "delivered": len(counts.delivered_users),
            **_overview(counts),
        },
        "messages": _bubbles(counts, with_unique=False),
        "clicks": _clicks(counts),
    }


def unit_statistics(unit: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Per-unit statistics: every request sent with ``unit`` from ``start`` to ``end`` (JST dates)."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=JST)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=JST)
    request_ids = list(
        AggregationUnitUse.objects.filter(unit=unit, created_at__gte=since, created_at__lt=until).values_list(
            "request_id", flat=True
        )
    )
    # Messages sent under one unit add up bubble by bubble, whatever their contents.
    counts = _counts(request_ids)
    return {
        "overview": _overview(counts),
        "messages": _bubbles(counts, with_unique=True),
        "clicks": _clicks(counts),
    }
