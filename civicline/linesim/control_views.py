"""/sim/api/…: what a tester or the demo does with the virtual users' phones, as JSON.

Not part of LINE; nothing in civicline may call it. No authentication: the emulator serves loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import services, webhooks
from .models import Mail, UserMessage, VirtualUser, WebhookDelivery

View = Callable[..., HttpResponse]


class ControlError(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def control(*methods: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return JsonResponse({"error": "method not allowed"}, status=405)
            try:
                return view(request, *args, **kwargs)
            except ControlError as exc:
                return JsonResponse({"error": exc.error}, status=exc.status)

        return wrapper

    return decorate


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ControlError(400, "body must be JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _user(user_id: str, *, sending: bool = False) -> VirtualUser:
    user = VirtualUser.objects.filter(user_id=user_id).first()
    if user is None:
        raise ControlError(404, f"no virtual user {user_id}")
    if sending and user.blocked:
        raise ControlError(409, "the user has blocked the account and cannot talk to it")
    return user


def _delivery(delivery: WebhookDelivery | None) -> dict[str, Any] | None:
    return delivery.as_dict() if delivery else None


@control("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse({"users": [u.as_dict() for u in VirtualUser.objects.all()]})
    data = _json(request)
    name = str(data.get("display_name", "")).strip()
    if not name:
        raise ControlError(400, "display_name is required")
    user = services.user_create(
        display_name=name, language=data.get("language") or "ja", picture_url=data.get("picture_url") or ""
    )
    webhook = services.user_follow(user) if data.get("follow") else None
    return JsonResponse({**user.as_dict(), "webhook": _delivery(webhook)}, status=201)


@control("GET")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    return JsonResponse(_user(user_id).as_dict())


@control("POST")
def follow(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _user(user_id)
    webhook = services.user_follow(user)
    return JsonResponse({"user": user.as_dict(), "webhook": _delivery(webhook)})


@control("POST")
def unfollow(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _user(user_id)
    webhook = services.user_unfollow(user)
    return JsonResponse({"user": user.as_dict(), "webhook": _delivery(webhook)})


@control("POST")
def block(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _user(user_id)
    webhook = services.user_unfollow(user, block=True)
    return JsonResponse({"user": user.as_dict(), "webhook": _delivery(webhook)})


@control("POST")
def send_text(request: HttpRequest, user_id: str) -> HttpResponse:
    user, data = _user(user_id, sending=True), _json(request)
    text = data.get("text")
    if not isinstance(text, str) or not text:
        raise ControlError(400, "text is required")
    return JsonResponse(_delivery(services.user_send_text(user, text)))


@control("POST")
def send_location(request: HttpRequest, user_id: str) -> HttpResponse:
    user, data = _user(user_id, sending=True), _json(request)
    try:
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
    except (KeyError, TypeError, ValueError):
        raise ControlError(400, "latitude and longitude are required numbers") from None
    delivery = services.user_send_location(
        user,
        latitude=latitude,
        longitude=longitude,
        title=str(data.get("title") or ""),
        address=str(data.get("address") or ""),
    )
    return JsonResponse(_delivery(delivery))


@control("POST")
def send_images(request: HttpRequest, user_id: str) -> HttpResponse:
    """Multipart upload, one or more files in field ``image``; several form one imageSet."""
    user = _user(user_id, sending=True)
    files = request.FILES.getlist("image")
    if not files:
        raise ControlError(400, "upload at least one file in field 'image'")
    images = [(f.read(), f.content_type or "application/octet-stream") for f in files]
    deliveries = services.user_send_images(user, images)
    return JsonResponse({"webhooks": [d.as_dict() for d in deliveries]})


@control("POST")
def send_postback(request: HttpRequest, user_id: str) -> HttpResponse:
    user, data = _user(user_id, sending=True), _json(request)
    postback_data, params = data.get("data"), data.get("params") or None
    if not isinstance(postback_data, str) or not postback_data:
        raise ControlError(400, "data is required")
    if params is not None and not isinstance(params, dict):
        raise ControlError(400, "params must be an object")
    if display_text := data.get("display_text"):
        # LINE shows displayText in the chat as the user's words but sends no message event for it;
        # it is kept only so the chat page can show it.
        shown = {"type": "postback", "text": display_text, "data": postback_data}
        UserMessage.objects.create(user=user, type="postback", message=shown)
    return JsonResponse(_delivery(services.user_send_postback(user, postback_data, params)))


@control("GET")
def messages(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _user(user_id)
    return JsonResponse({"messages": [delivered for _pk, delivered in services.delivered_to(user)]})


@control("GET")
def webhook_log(request: HttpRequest) -> HttpResponse:
    rows = WebhookDelivery.objects.select_related("user")
    if user_id := request.GET.get("user"):
        rows = rows.filter(user__user_id=user_id)
    return JsonResponse({"webhooks": [d.as_dict() for d in rows]})


@control("POST")
def redeliver(request: HttpRequest) -> HttpResponse:
    """Redeliver one event (``webhook_event_id``, default: the latest one)."""
    data = _json(request)
    rows = WebhookDelivery.objects.select_related("user").order_by("-id")
    if event_id := data.get("webhook_event_id"):
        rows = rows.filter(webhook_event_id=event_id)
    original = rows.first()
    if original is None:
        raise ControlError(404, "no webhook event to redeliver")
    return JsonResponse(_delivery(webhooks.redeliver(original)))


@control("GET")
def mails(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"mails": [m.as_dict() for m in Mail.objects.all()]})
