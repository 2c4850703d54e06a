"""The Messaging API subset civicline uses, answering as api.line.me / api-data.line.me do."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from linebot.v3.messaging import (
    BroadcastRequest,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)

from . import insight, ratelimits, services
from .models import AcceptedRetryKey, Narrowcast, ReplyToken, UserMessage, VirtualUser
from .routers import EMULATOR_DB
from .validation import USER_ID, ApiError, body_error, check_retry_key, parse_json, parse_request
from .webhooks import bot_display_name, bot_picture_url, bot_user_id

View = Callable[..., HttpResponse]


MULTICAST_MAX = 500  # recipients per multicast (messaging-api.yml: MulticastRequest.to maxItems)
NO_TOKEN = "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
BAD_TOKEN = "Authentication failed. Confirm that the access token in the authorization header is valid."


def _authenticate(request: HttpRequest) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, NO_TOKEN)
    expected = settings.LINE_CHANNEL_ACCESS_TOKEN
    if not expected or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, BAD_TOKEN)


def line_api(method: str, *, rate: str = "") -> Callable[[View], View]:
    """Method and token checks, LINE's error JSON, the x-line-request-id every answer carries, the
    endpoint's rate limit (``rate``: its key in LINE's table; by default its own 2,000 a second) and
    the configured response time (``ratelimits``)."""

    def decorate(view: View) -> View:
        key = ratelimits.register(rate or f"{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}")

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            started = time.monotonic()
            request.line_request_id = str(uuid.uuid4())
            try:
                if request.method != method:
                    raise ApiError(405, "Method Not Allowed")
                _authenticate(request)
                limiter = getattr(request, "linesim_limiter", None)
                if limiter is not None and not limiter.hit(key):
                    # LINE processes none of a refused request, and sends no Retry-After.
                    raise ApiError(429, ratelimits.RATE_LIMITED)
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = JsonResponse(exc.body(), status=exc.status)
                for name, value in exc.headers.items():
                    response[name] = value
            response["x-line-request-id"] = request.line_request_id
            ratelimits.answer_no_sooner(started)
            return response

        return wrapper

    return decorate


def by_method(**views: View) -> View:
    """One path, one view per HTTP method; any other method gets LINE's 405 from the first view."""
    fallback = next(iter(views.values()))

    @csrf_exempt
    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return views.get(request.method or "", fallback)(request, *args, **kwargs)

    return dispatch


def _send_once(request: HttpRequest, api: str, send: Callable[[str], tuple[dict, int]]) -> JsonResponse:
    """Run ``send(retry_key)`` at most once per X-Line-Retry-Key, as LINE's idempotent sends do."""
    key = check_retry_key(request.headers.get("X-Line-Retry-Key"))
    if key is None:
        with services.writing():
            body, status = send("")
        return JsonResponse(body, status=status)
    _raise_if_accepted(key)
    try:
        with services.writing(), transaction.atomic(using=EMULATOR_DB):
            body, status = send(str(key))
            row = {"key": key, "api": api, "request_id": request.line_request_id, "response": body}
            services.insert(AcceptedRetryKey, [{**row, "created_at": timezone.now()}])
    except IntegrityError:
        # Another request with this key won the race; its deliveries stand, ours were rolled back.
        _raise_if_accepted(key)
        raise
    return JsonResponse(body, status=status)


def _raise_if_accepted(key: uuid.UUID) -> None:
    database = connections[EMULATOR_DB]
    table = database.ops.quote_name(AcceptedRetryKey._meta.db_table)
    with database.cursor() as cursor:
        # Asked for every send: one small query, not the ORM's (a fraction of a millisecond each).
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE key = %s",  # noqa: S608 - the model's table
            [AcceptedRetryKey._meta.get_field("key").get_db_prep_value(key, database)],
        )
        if cursor.fetchone() is None:
            return
    accepted = AcceptedRetryKey.objects.get(key=key)
    extra = {"sentMessages": accepted.response["sentMessages"]} if "sentMessages" in accepted.response else {}
    raise ApiError(
        409,
        "The retry key is already accepted",
        headers={"x-line-accepted-request-id": accepted.request_id},
        extra=extra,
    )


def _unknown(user_ids: list[str], found: set[str], prop: str) -> None:
    """LINE's 400 naming every id it never issued to this channel."""
    details = [
        {"message": "Unknown user ID" if USER_ID.match(uid) else "Invalid user ID", "property": prop % i}
        for i, uid in enumerate(user_ids)
        if uid not in found
    ]
    if details:
        raise body_error(details)


def _reachable_pks(user_ids: list[str], prop: str) -> list[int]:
    """The users of a multicast who follow and have not blocked, in one query of three columns: a
    request to 500 users must cost the emulator a few milliseconds at LINE's 200 requests a second."""
    table = connections[EMULATOR_DB].ops.quote_name(VirtualUser._meta.db_table)
    # The table's name is the model's; the ids are one parameter.
    sql = f"SELECT user_id, id, following, blocked FROM {table} WHERE user_id IN (SELECT {{}})"  # noqa: S608
    with connections[EMULATOR_DB].cursor() as cursor:
        cursor.execute(sql.format(services.id_list_sql("text")), [services.id_list_param(user_ids)])
        rows = cursor.fetchall()
    found = {uid: (pk, following and not blocked) for uid, pk, following, blocked in rows}
    _unknown(user_ids, set(found), prop)
    return [found[uid][0] for uid in dict.fromkeys(user_ids) if found[uid][1]]


@line_api("POST")
def reply(request: HttpRequest) -> HttpResponse:
    data = parse_json(request.body)
    parsed = parse_request(ReplyMessageRequest, data)
    token = ReplyToken.objects.select_related("user").filter(token=parsed.reply_token).first()
    # The conditional update makes a token single-use even when two replies race.
    if (
        token is None
        or not token.usable()
        or not ReplyToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=timezone.now())
    ):
        raise ApiError(400, "Invalid reply token")
    sent, _ = services.messages_deliver(
        users=[token.user],
        messages=data["messages"],
        api="reply",
        request_id=request.line_request_id,
        notification_disabled=parsed.notification_disabled,
    )
    return JsonResponse({"sentMessages": sent})


@line_api("POST")
def push(request: HttpRequest) -> HttpResponse:
    data = parse_json(request.body)
    parsed = parse_request(PushMessageRequest, data)
    if not USER_ID.match(parsed.to):
        # Groups and rooms are not emulated; LINE answers this for any id it cannot read.
        raise ApiError(400, "The property, 'to', in the request body is invalid (line: -, column: -)")
    user = VirtualUser.objects.filter(user_id=parsed.to).first()
    if user is None:
        raise ApiError(400, "Failed to send messages")
    units = insight.units_of(data)

    def send(retry_key: str) -> tuple[dict, int]:
        sent, _ = services.messages_deliver(
            users=[user],
            messages=data["messages"],
            api="push",
            request_id=request.line_request_id,
            retry_key=retry_key,
            notification_disabled=parsed.notification_disabled,
        )
        insight.units_record(request.line_request_id, units)
        return {"sentMessages": sent}, 200

    return _send_once(request, "push", send)


@line_api("POST", rate="multicast")
def multicast(request: HttpRequest) -> HttpResponse:
    data = parse_json(request.body)
    to = data.get("to")
    if isinstance(to, list) and 1 <= len(to) <= MULTICAST_MAX and all(type(u) is str for u in to):
        # The SDK's model checks the 500 ids one by one, milliseconds a request at LINE's rate: the
        # list is checked here as the model would, the rest of the body by the model with one id.
        parsed = parse_request(MulticastRequest, {**data, "to": to[:1]})
    else:
        parsed = parse_request(MulticastRequest, data)
        to = parsed.to
    reachable = _reachable_pks(to, "to[%d]")
    units = insight.units_of(data)

    def send(retry_key: str) -> tuple[dict, int]:
        services.messages_deliver(
            user_pks=reachable,
            messages=data["messages"],
            api="multicast",
            request_id=request.line_request_id,
            retry_key=retry_key,
            notification_disabled=parsed.notification_disabled,
        )
        insight.units_record(request.line_request_id, units)
        return {}, 200

    return _send_once(request, "multicast", send)


def _reachable() -> QuerySet[VirtualUser]:
    return VirtualUser.objects.reachable()


@line_api("POST", rate="broadcast")
def broadcast(request: HttpRequest) -> HttpResponse:
    data = parse_json(request.body)
    parsed = parse_request(BroadcastRequest, data)

    def send(retry_key: str) -> tuple[dict, int]:
        services.messages_deliver(
            users=_reachable(),
            messages=data["messages"],
            api="broadcast",
            request_id=request.line_request_id,
            retry_key=retry_key,
            notification_disabled=parsed.notification_disabled,
        )
        return {}, 200

    return _send_once(request, "broadcast", send)


@line_api("POST", rate="narrowcast")
def narrowcast(request: HttpRequest) -> HttpResponse:
    data = parse_json(request.body)
    parsed = parse_request(NarrowcastRequest, data)

    def send(retry_key: str) -> tuple[dict, int]:
        # Audiences and demographic filters are not emulated: every friend is in the target.
        # LINE sends asynchronously; the emulator finishes at once, so progress reads "succeeded".
        users = _reachable()
        if parsed.limit and parsed.limit.max:
            users = VirtualUser.objects.filter(pk__in=users.order_by("pk").values("pk")[: parsed.limit.max])
        _, reached = services.messages_deliver(
            users=users,
            messages=data["messages"],
            api="narrowcast",
            request_id=request.line_request_id,
            retry_key=retry_key,
            notification_disabled=parsed.notification_disabled,
        )
        Narrowcast.objects.create(
            request_id=request.line_request_id,
            body=data,
            phase=Narrowcast.Phase.SUCCEEDED,
            target_count=reached,
            success_count=reached,
            completed_at=timezone.now(),
        )
        return {}, 202

    return _send_once(request, "narrowcast", send)


def _iso(value: Any) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@line_api("GET")
def narrowcast_progress(request: HttpRequest) -> HttpResponse:
    request_id = request.GET.get("requestId", "")
    if not request_id:
        detail = {"message": "May not be empty", "property": "requestId"}
        raise ApiError(400, "The request has 1 error(s)", [detail])
    item = Narrowcast.objects.filter(request_id=request_id).first()
    if item is None:
        raise ApiError(404, "Not found")
    body: dict[str, Any] = {"phase": item.phase, "acceptedTime": _iso(item.accepted_at)}
    if item.phase in (Narrowcast.Phase.SUCCEEDED, Narrowcast.Phase.FAILED):
        body.update(
            successCount=item.success_count,
            failureCount=item.failure_count,
            targetCount=item.target_count,
            completedTime=_iso(item.completed_at),
        )
    if item.phase == Narrowcast.Phase.FAILED:
        body.update(failedDescription=item.failed_description, errorCode=item.error_code)
    return JsonResponse(body)


@line_api("GET")
def profile(request: HttpRequest, user_id: str) -> HttpResponse:
    user = VirtualUser.objects.filter(user_id=user_id).first()
    # LINE shows profiles only of users who are friends of the account.
    if user is None or not user.reachable:
        raise ApiError(404, "Not found")
    body = {"displayName": user.display_name, "userId": user.user_id, "language": user.language}
    if user.picture_url:
        body["pictureUrl"] = user.picture_url
    if user.status_message:
        body["statusMessage"] = user.status_message
    return JsonResponse(body)


@line_api("GET")
def bot_info(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "userId": bot_user_id(),
            "basicId": "@linesim",
            "displayName": bot_display_name(),
            # LINE leaves pictureUrl out when the account has no picture.
            **({"pictureUrl": bot_picture_url()} if bot_picture_url() else {}),
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
    )


@line_api("GET")
def followers(request: HttpRequest) -> HttpResponse:
    try:
        limit = min(max(int(request.GET.get("limit", 300)), 1), 1000)
        after = int(base64.urlsafe_b64decode(request.GET["start"]).decode()) if "start" in request.GET else 0
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid parameter") from None
    page = list(
        VirtualUser.objects.reachable().filter(pk__gt=after).order_by("pk")[: limit + 1]
    )
    body: dict[str, Any] = {"userIds": [u.user_id for u in page[:limit]]}
    if len(page) > limit:
        body["next"] = base64.urlsafe_b64encode(str(page[limit - 1].pk).encode()).decode()
    return JsonResponse(body)


@line_api("GET")
def content(request: HttpRequest, message_id: str) -> HttpResponse:
    sent = UserMessage.objects.filter(message_id=message_id, content__isnull=False).first()
    if sent is None:
        raise ApiError(404, "Not found")
    return HttpResponse(bytes(sent.content), content_type=sent.content_type or "application/octet-stream")
