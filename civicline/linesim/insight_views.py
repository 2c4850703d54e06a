"""Statistics endpoints (insight.yml, aggregation units of messaging-api.yml) and the phone's reports."""

from __future__ import annotations

import base64
import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse

from . import insight
from .api_views import line_api
from .control_views import ControlError, _json, _user, control
from .models import InsightEvent
from .validation import ApiError

AGGREGATION_SPAN = dt.timedelta(days=30)
UNIT_PAGE = 100


@line_api("GET", rate="insight-message-event")
def message_event(request: HttpRequest) -> HttpResponse:
    request_id = request.GET.get("requestId", "")
    if not request_id:
        raise ApiError(
            400, "The request has 1 error(s)", [{"message": "May not be empty", "property": "requestId"}]
        )
    return JsonResponse(insight.message_event(request_id))


def _unreadable() -> JsonResponse:
    # LINE documents exactly this body for every reason it cannot compute per-unit statistics.
    return JsonResponse({"message": None, "key": None, "stacktrace": None, "code": None}, status=400)


def _jst_date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
    except ValueError:
        return None


@line_api("GET", rate="insight-unit")
def unit_statistics(request: HttpRequest) -> HttpResponse:
    unit = request.GET.get("customAggregationUnit", "")
    start, end = _jst_date(request.GET.get("from", "")), _jst_date(request.GET.get("to", ""))
    if not insight.UNIT_NAME.match(unit) or start is None or end is None:
        return _unreadable()
    if end < start or end - start > AGGREGATION_SPAN:
        return _unreadable()
    return JsonResponse(insight.unit_statistics(unit, start, end))


@line_api("GET")
def unit_usage(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"numOfCustomAggregationUnits": len(insight.month_units())})


@line_api("GET")
def unit_names(request: HttpRequest) -> HttpResponse:
    try:
        limit = min(max(int(request.GET.get("limit", UNIT_PAGE)), 1), UNIT_PAGE)
        offset = int(base64.urlsafe_b64decode(request.GET["start"]).decode()) if "start" in request.GET else 0
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid parameter") from None
    names = insight.month_units()
    body: dict = {"customAggregationUnits": names[offset : offset + limit]}
    if offset + limit < len(names):
        body["next"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
    return JsonResponse(body)


@control("POST")
def report(request: HttpRequest, user_id: str) -> HttpResponse:
    """POST {"event": "open"|"click", "messageId", "url"?}: what the phone page saw the user do."""
    user, data = _user(user_id), _json(request)
    kind, message_id, url = data.get("event"), data.get("messageId"), data.get("url") or ""
    if kind not in InsightEvent.Kind.values:
        raise ControlError(400, "event must be 'open' or 'click'")
    if not isinstance(message_id, str) or not message_id:
        raise ControlError(400, "messageId is required")
    if kind == InsightEvent.Kind.CLICK and not (isinstance(url, str) and url):
        raise ControlError(400, "a click needs the url that was opened")
    try:
        counted = insight.event_record(user, kind=kind, message_id=message_id, url=str(url))
    except LookupError:
        raise ControlError(404, "no such message was delivered to this user") from None
    return JsonResponse({"counted": counted})
