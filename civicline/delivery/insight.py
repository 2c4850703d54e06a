"""Opens and clicks as LINE reports them (SD-8), read with line-bot-sdk's Insight API.

A multicast delivery is counted through its aggregation unit (``customAggregationUnits`` on every
batch); a broadcast through its request id. LINE hides counts under 20 (the value is null), and so
does the console: ``shown`` turns null into 「—」.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import urllib3
from django.conf import settings
from linebot.v3.insight import ApiClient, ApiException, Configuration, Insight

from civicline.core import outbound
from civicline.line import client

logger = logging.getLogger(__name__)

JST = dt.timezone(dt.timedelta(hours=9))
UNIT_SPAN_DAYS = 30  # LINE answers per-unit statistics for at most 30 days from the start date
TIMEOUT = (3, 15)
PRIVACY_FLOOR = 20  # LINE reports counts under this as null


def _api() -> Insight:
    configuration = Configuration(
        host=settings.LINE_API_BASE_URL, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN
    )
    return Insight(ApiClient(configuration))


def _fetch(call: str, *args: Any) -> dict[str, Any] | None:
    if client.throttle("insight"):
        return None
    try:
        with outbound.slot():
            answer = getattr(_api(), call)(*args, _request_timeout=outbound.timeout(TIMEOUT))
    except outbound.NoSlot:
        return None
    except (ApiException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        logger.warning("LINE insight %s unavailable: %s", call, getattr(exc, "status", exc))
        return None
    return answer.to_dict()


def unit_statistics(unit: str, *, since: dt.datetime, now: dt.datetime) -> dict[str, Any] | None:
    """Per-unit statistics from the delivery's first day (Japan time) until today or 30 days on."""
    start = since.astimezone(JST).date()
    end = min(now.astimezone(JST).date(), start + dt.timedelta(days=UNIT_SPAN_DAYS - 1))
    return _fetch("get_statistics_per_unit", unit, start.strftime("%Y%m%d"), end.strftime("%Y%m%d"))


def message_event(request_id: str) -> dict[str, Any] | None:
    return _fetch("get_message_event", request_id)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """What the console shows: unique opens and clicks, per message and per link; None stays None."""
    overview = data.get("overview") or {}
    return {
        "opened": overview.get("uniqueImpression"),
        "clicked": overview.get("uniqueClick"),
        "delivered": overview.get("delivered"),
        "messages": [
            {"seq": m.get("seq"), "impression": m.get("impression")} for m in data.get("messages") or []
        ],
        "clicks": [
            {
                "seq": c.get("seq"),
                "url": c.get("url"),
                "click": c.get("click"),
                "unique": c.get("uniqueClick"),
            }
            for c in data.get("clicks") or []
        ],
    }
