"""Rich menu endpoints of the Messaging API (api.line.me, api-data.line.me) and the phone's side."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from . import ratelimits, richmenu
from .api_views import _iso, line_api
from .control_views import ControlError, _json, _user, control
from .models import RichMenu, RichMenuAlias
from .routers import EMULATOR_DB
from .validation import ApiError, parse_json


def _ok(status: int = 200) -> JsonResponse:
    return JsonResponse({}, status=status)


@line_api("POST", rate="richmenu-create")
def create(request: HttpRequest) -> HttpResponse:
    menu = richmenu.menu_create(parse_json(request.body))
    return JsonResponse({"richMenuId": menu.rich_menu_id})


@line_api("POST")
def validate(request: HttpRequest) -> HttpResponse:
    richmenu.validate_rich_menu(parse_json(request.body))
    return _ok()


@line_api("GET", rate="richmenu-list")
def menu_list(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"richmenus": [m.as_dict() for m in RichMenu.objects.all()]})


@line_api("GET")
def detail(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    return JsonResponse(richmenu.access_menu(rich_menu_id).as_dict())


@line_api("DELETE", rate="richmenu-delete")
def delete(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    richmenu.menu_delete(richmenu.access_menu(rich_menu_id))
    return _ok()


@line_api("POST")
def upload_image(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    menu = richmenu.access_menu(rich_menu_id)
    # Refuse a big upload before reading it: Django would otherwise fail it with its own non-LINE error.
    if int(request.META.get("CONTENT_LENGTH") or 0) > richmenu.MAX_IMAGE_BYTES:
        raise ApiError(400, richmenu.IMAGE_NOT_ALLOWED)
    richmenu.image_upload(menu, request.body, request.content_type or "")
    return _ok()


@line_api("GET")
def download_image(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    menu = richmenu.access_menu(rich_menu_id)
    if not menu.has_image:
        raise ApiError(404, "Not found")
    return HttpResponse(bytes(menu.image), content_type=menu.image_content_type)


@line_api("POST")
def default_set(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    richmenu.default_set(rich_menu_id)
    return _ok()


@line_api("GET")
def default_get(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"richMenuId": richmenu.default_get().rich_menu_id})


@line_api("DELETE")
def default_clear(request: HttpRequest) -> HttpResponse:
    richmenu.default_clear()
    return _ok()


@line_api("POST")
def user_link(request: HttpRequest, user_id: str, rich_menu_id: str) -> HttpResponse:
    richmenu.user_link(user_id, rich_menu_id)
    return _ok()


@line_api("GET")
def user_get(request: HttpRequest, user_id: str) -> HttpResponse:
    return JsonResponse({"richMenuId": richmenu.user_menu(user_id).rich_menu_id})


@line_api("DELETE")
def user_unlink(request: HttpRequest, user_id: str) -> HttpResponse:
    richmenu.user_unlink(user_id)
    return _ok()


@line_api("POST")
def bulk_link(request: HttpRequest) -> HttpResponse:
    # LINE links in the background and answers 202; the emulator is done before it answers.
    richmenu.bulk_link(parse_json(request.body))
    return _ok(202)


@line_api("POST")
def bulk_unlink(request: HttpRequest) -> HttpResponse:
    richmenu.bulk_unlink(parse_json(request.body))
    return _ok(202)


@line_api("POST", rate="richmenu-batch")
def batch(request: HttpRequest) -> HttpResponse:
    """Accepted at once (202); the operations run in the background, as on LINE (see ``batch_progress``)."""
    accepted = richmenu.batch_accept(parse_json(request.body), request.line_request_id)
    transaction.on_commit(lambda: _run_later(accepted.pk), using=EMULATOR_DB)
    return _ok(202)


def _run_later(batch_id: int) -> None:
    def run() -> None:
        try:
            # LINE works through a batch some time after its 202: here two response times after it,
            # so that a progress check made at once (itself one response time) still sees "ongoing".
            time.sleep(2 * ratelimits.latency_seconds())
            richmenu.batch_run(batch_id)
        finally:
            connections.close_all()

    threading.Thread(target=run, name=f"linesim-richmenu-batch-{batch_id}", daemon=True).start()


@line_api("POST")
def batch_validate(request: HttpRequest) -> HttpResponse:
    richmenu.batch_validate(parse_json(request.body))
    return _ok()


@line_api("GET", rate="richmenu-batch-progress")
def batch_progress(request: HttpRequest) -> HttpResponse:
    batch = richmenu.batch_progress(request.GET.get("requestId", ""))
    body = {"phase": batch.phase, "acceptedTime": _iso(batch.accepted_at)}
    if batch.completed_at is not None:
        body["completedTime"] = _iso(batch.completed_at)
    return JsonResponse(body)


@line_api("POST")
def alias_create(request: HttpRequest) -> HttpResponse:
    richmenu.alias_create(parse_json(request.body))
    return _ok()


@line_api("GET")
def alias_list(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"aliases": [a.as_dict() for a in RichMenuAlias.objects.all()]})


@line_api("GET")
def alias_get(request: HttpRequest, alias_id: str) -> HttpResponse:
    return JsonResponse(richmenu.access_alias(alias_id).as_dict())


@line_api("POST")
def alias_update(request: HttpRequest, alias_id: str) -> HttpResponse:
    alias = richmenu.access_alias(alias_id)
    richmenu.alias_update(alias, parse_json(request.body))
    return _ok()


@line_api("DELETE", rate="richmenu-alias-delete")
def alias_delete(request: HttpRequest, alias_id: str) -> HttpResponse:
    richmenu.access_alias(alias_id).delete()
    return _ok()


# /sim/api/: what the phone page needs to draw the menu and perform its richmenuswitch areas.


def _phone_menu(request: HttpRequest, menu: RichMenu | None) -> dict[str, Any] | None:
    if menu is None:
        return None
    # The emulator serves this URLconf as its root, so its names carry no "linesim:" namespace.
    image = reverse("richmenu-image", args=[menu.rich_menu_id], urlconf="civicline.linesim.urls")
    body = menu.as_dict()
    keys = ("richMenuId", "size", "selected", "chatBarText", "areas")
    return {**{k: body[k] for k in keys}, "imageUrl": request.build_absolute_uri(image)}


@control("GET")
def phone_menu(request: HttpRequest, user_id: str) -> HttpResponse:
    menu = _phone_menu(request, richmenu.shown_menu(_user(user_id)))
    if menu is None:
        raise ControlError(404, "no rich menu is shown to this user")
    return JsonResponse(menu)


@control("POST")
def phone_switch(request: HttpRequest, user_id: str) -> HttpResponse:
    user, data = _user(user_id, sending=True), _json(request)
    alias_id, postback_data = data.get("richMenuAliasId"), data.get("data")
    if (
        not isinstance(alias_id, str)
        or not alias_id
        or not isinstance(postback_data, str)
        or not postback_data
    ):
        raise ControlError(400, "richMenuAliasId and data are required")
    result = richmenu.user_switch(user, alias_id, postback_data)
    return JsonResponse(
        {
            "status": result.status,
            "richMenu": _phone_menu(request, result.menu),
            "webhook": result.webhook.as_dict(),
        }
    )


@control("GET")
def phone_image(request: HttpRequest, rich_menu_id: str) -> HttpResponse:
    menu = RichMenu.objects.filter(rich_menu_id=rich_menu_id, image__isnull=False).first()
    if menu is None:
        raise ControlError(404, "no such rich menu image")
    response = HttpResponse(bytes(menu.image), content_type=menu.image_content_type)
    # A menu's image never changes (LINE refuses a second upload), so the phone may cache it for good.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
