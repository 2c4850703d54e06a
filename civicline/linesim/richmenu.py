"""Rich menus as LINE keeps them: objects checked against LINE's rules, one image each, links and aliases.

The schema comes from line-bot-sdk's ``RichMenuRequest`` (built from LINE's OpenAPI); what the schema
leaves optional or unbounded but LINE enforces (required keys, size and aspect ratio, areas inside the
image, at most 20 of them, actions allowed in a rich menu) is checked here. LINE documents the wording
of only some of these errors ("must be specified", "invalid uri"); the others follow the same style.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from linebot.v3.messaging import RichMenuArea, RichMenuRequest
from PIL import Image, UnidentifiedImageError

from . import services
from .models import RichMenu, RichMenuAlias, RichMenuBatch, RichMenuLink, VirtualUser, WebhookDelivery
from .routers import EMULATOR_DB
from .validation import USER_ID, ApiError, _details, body_error

RICH_MENU_ID = re.compile(r"^richmenu-[0-9a-f]{32}$")
ALIAS_ID = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_MENUS = 1000
MAX_ALIASES = 1000
MAX_AREAS = 20
MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
WIDTH_RANGE = (800, 2500)
MIN_HEIGHT = 250
MIN_ASPECT = 1.45
REQUIRED = ("size", "selected", "name", "chatBarText", "areas")
# Camera, camera roll and location actions exist only in quick replies.
AREA_ACTIONS = {"postback", "message", "uri", "datetimepicker", "richmenuswitch", "clipboard"}
URI_SCHEMES = {"http", "https", "line", "tel"}
# What each action needs in a rich menu, beyond its type (the SDK models leave all of them optional).
ACTION_REQUIRED = {
    "postback": ("data",),
    "message": ("text",),
    "uri": ("uri",),
    "datetimepicker": ("data", "mode"),
    "richmenuswitch": ("richMenuAliasId", "data"),
    "clipboard": ("clipboardText",),
}

NO_IMAGE = "must upload richmenu image before applying it to user"
IMAGE_NOT_ALLOWED = "The image size is not allowed for richmenu"
BAD_USER_ID = "The value for the 'userId' parameter is invalid"


def _not_found() -> ApiError:
    return ApiError(404, "Not found")


def _empty_details(status: int, message: str) -> ApiError:
    # Several rich menu errors carry an explicit empty details list, unlike most of the API.
    return ApiError(status, message, extra={"details": []})


def validate_rich_menu(data: dict[str, Any]) -> None:
    """Raise LINE's 400 for a rich menu object LINE would refuse."""
    missing = [{"message": "must be specified", "property": key} for key in REQUIRED if data.get(key) is None]
    if missing:
        raise body_error(missing)
    try:
        parsed = RichMenuRequest.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise body_error(_details(exc)) from None
    details = _size_errors(parsed.size.width, parsed.size.height)
    if len(parsed.areas) > MAX_AREAS:
        details.append({"message": f"size must be between 0 and {MAX_AREAS}", "property": "areas"})
    for index, (raw, area) in enumerate(zip(data["areas"], parsed.areas, strict=True)):
        details.extend(_area_errors(index, area, raw.get("action"), parsed.size.width, parsed.size.height))
    if details:
        raise body_error(details)


def _size_errors(width: int | None, height: int | None) -> list[dict[str, str]]:
    if width is None or height is None:
        return [{"message": "must be specified", "property": "size"}]
    details = []
    if not WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]:
        details.append(
            {"message": f"must be between {WIDTH_RANGE[0]} and {WIDTH_RANGE[1]}", "property": "size.width"}
        )
    if height < MIN_HEIGHT:
        message = f"must be greater than or equal to {MIN_HEIGHT}"
        details.append({"message": message, "property": "size.height"})
    if width / height < MIN_ASPECT:
        message = f"aspect ratio (width / height) must be {MIN_ASPECT} or more"
        details.append({"message": message, "property": "size"})
    return details


def _area_errors(
    index: int, area: RichMenuArea, action: Any, width: int, height: int
) -> list[dict[str, str]]:
    """Checks on one area; bounds are read from the parsed model, which has already coerced them to ints."""
    prefix = f"areas[{index}]"
    details = [
        {"message": "must be specified", "property": f"{prefix}.{key}"}
        for key, value in (("bounds", area.bounds), ("action", action))
        if value is None
    ]
    if bounds := area.bounds:
        if None in (bounds.x, bounds.y, bounds.width, bounds.height):
            details.append({"message": "must be specified", "property": f"{prefix}.bounds"})
        elif bounds.x + bounds.width > width or bounds.y + bounds.height > height:
            details.append({"message": "must be inside the rich menu image", "property": f"{prefix}.bounds"})
    if isinstance(action, dict):
        details.extend(_action_errors(f"{prefix}.action", action))
    return details


def _action_errors(prefix: str, action: dict[str, Any]) -> list[dict[str, str]]:
    kind = action.get("type")
    if kind not in AREA_ACTIONS:
        return [{"message": "invalid action type for rich menu", "property": f"{prefix}.type"}]
    details = [
        {"message": "must be specified", "property": f"{prefix}.{key}"}
        for key in ACTION_REQUIRED[kind]
        if not action.get(key)
    ]
    uri = action.get("uri")
    if kind == "uri" and uri and (urlsplit(str(uri)).scheme not in URI_SCHEMES or len(uri) > 1000):
        details.append({"message": "invalid uri", "property": f"{prefix}.uri"})
    return details


def menu_create(data: dict[str, Any]) -> RichMenu:
    validate_rich_menu(data)
    if RichMenu.objects.count() >= MAX_MENUS:
        raise ApiError(400, "The number of richmenus has reached the upper limit")
    return RichMenu.objects.create(body={key: data[key] for key in REQUIRED})


def access_menu(rich_menu_id: str) -> RichMenu:
    menu = RichMenu.objects.filter(rich_menu_id=rich_menu_id).first()
    if menu is None:
        raise _not_found()
    return menu


def _applicable(rich_menu_id: str) -> RichMenu:
    """A menu that may be shown to users: it exists (else 404) and has its image (else 400)."""
    menu = access_menu(rich_menu_id)
    if not menu.has_image:
        raise _empty_details(400, NO_IMAGE)
    return menu


def image_upload(menu: RichMenu, data: bytes, content_type: str) -> None:
    """Attach the menu's one image, if it is a JPEG or PNG of at most 1 MB and exactly the menu's size."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in IMAGE_TYPES:
        raise ApiError(415, "Unsupported media type")
    if menu.has_image:
        raise ApiError(400, "An image has already been uploaded to the richmenu")
    size = (menu.body["size"]["width"], menu.body["size"]["height"])
    if not data or len(data) > MAX_IMAGE_BYTES or _pixel_size(data, IMAGE_TYPES[kind]) != size:
        raise ApiError(400, IMAGE_NOT_ALLOWED)
    # The conditional update keeps "one image per menu" true when two uploads race.
    if not RichMenu.objects.filter(pk=menu.pk, image__isnull=True).update(
        image=data, image_content_type=kind
    ):
        raise ApiError(400, "An image has already been uploaded to the richmenu")


def _pixel_size(data: bytes, expected_format: str) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.size if image.format == expected_format else None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def menu_delete(menu: RichMenu) -> None:
    # Links go with the menu (cascade); aliases stay and then point at nothing, as on LINE.
    menu.delete()


def default_set(rich_menu_id: str) -> None:
    menu = _applicable(rich_menu_id)
    with transaction.atomic(using=EMULATOR_DB):
        RichMenu.objects.filter(is_default=True).exclude(pk=menu.pk).update(is_default=False)
        RichMenu.objects.filter(pk=menu.pk).update(is_default=True)


def default_get() -> RichMenu:
    menu = RichMenu.objects.filter(is_default=True).first()
    if menu is None:
        raise _empty_details(404, "no default richmenu")
    return menu


def default_clear() -> None:
    RichMenu.objects.filter(is_default=True).update(is_default=False)


def _check_user_id(user_id: str) -> None:
    if not USER_ID.match(user_id):
        raise ApiError(400, BAD_USER_ID)


def _friend_or_none(user_id: str) -> VirtualUser | None:
    """The user a link applies to; LINE answers 200 but links nothing for non-friends and strangers."""
    _check_user_id(user_id)
    user = VirtualUser.objects.filter(user_id=user_id).first()
    return user if user is not None and user.reachable else None


def user_link(user_id: str, rich_menu_id: str) -> None:
    _check_user_id(user_id)
    menu = _applicable(rich_menu_id)
    if user := _friend_or_none(user_id):
        _link(user, menu)


def _link(user: VirtualUser, menu: RichMenu) -> None:
    RichMenuLink.objects.update_or_create(user=user, defaults={"rich_menu": menu})


def user_unlink(user_id: str) -> None:
    if user := _friend_or_none(user_id):
        RichMenuLink.objects.filter(user=user).delete()


def user_menu(user_id: str) -> RichMenu:
    """The menu linked to the user (only the per-user one, not the default), as the API reports it."""
    link = None
    if user := _friend_or_none(user_id):
        link = RichMenuLink.objects.select_related("rich_menu").filter(user=user).first()
    if link is None:
        raise _empty_details(404, "the user has no richmenu")
    return link.rich_menu


def _bulk_users(user_ids: Any) -> QuerySet[VirtualUser]:
    """The friends among ``user_ids`` (a query: a switch without LINE's batch sends thousands of these)."""
    if not isinstance(user_ids, list) or not 1 <= len(user_ids) <= 500:
        raise body_error([{"message": "size must be between 1 and 500", "property": "userIds"}])
    for index, user_id in enumerate(user_ids):
        if not isinstance(user_id, str) or not USER_ID.match(user_id):
            prop = f"userIds[{index}]"
            raise ApiError(
                400, f"The property, '{prop}', in the request body is invalid (line: -, column: -)"
            )
    return VirtualUser.objects.reachable().filter(user_id__in=user_ids)


def _check_menu_id(rich_menu_id: Any) -> str:
    if not isinstance(rich_menu_id, str) or not RICH_MENU_ID.match(rich_menu_id):
        raise body_error([{"message": "invalid richMenuId", "property": "richMenuId"}])
    return rich_menu_id


def bulk_link(data: dict[str, Any]) -> None:
    users = _bulk_users(data.get("userIds"))
    menu = RichMenu.objects.filter(rich_menu_id=_check_menu_id(data.get("richMenuId"))).first()
    if menu is None:
        raise _empty_details(404, "richmenu not found")
    if not menu.has_image:
        raise _empty_details(400, NO_IMAGE)
    # Linking replaces a user's menu: two statements for the 500, under the emulator's write lock
    # (a switch links thousands of other-language residents with many requests in flight).
    user_pks = list(users.values_list("pk", flat=True))
    with services.writing(), transaction.atomic(using=EMULATOR_DB):
        RichMenuLink.objects.filter(user_id__in=user_pks).delete()
        RichMenuLink.objects.bulk_create(RichMenuLink(user_id=pk, rich_menu=menu) for pk in user_pks)


def bulk_unlink(data: dict[str, Any]) -> None:
    users = _bulk_users(data.get("userIds"))
    with services.writing():
        RichMenuLink.objects.filter(user__in=users).delete()


# Replacing or unlinking the linked rich menus in batches (POST /v2/bot/richmenu/batch, 2023-07).

BATCH_MAX_OPERATIONS = 1000
RESUME_KEY = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")
BATCH_OPERATIONS = {"link": ("from", "to"), "unlink": ("from",), "unlinkAll": ()}


def batch_validate(data: dict[str, Any]) -> list[dict[str, str]]:
    """The operations of a batch request, checked as LINE does (messaging-api.yml's RichMenuBatchRequest):
    1 to 1,000 operations of link (from, to), unlink (from) or unlinkAll; every menu named exists,
    and a menu users are moved to has its image."""
    operations = data.get("operations")
    if not isinstance(operations, list) or not 1 <= len(operations) <= BATCH_MAX_OPERATIONS:
        message = f"size must be between 1 and {BATCH_MAX_OPERATIONS}"
        raise body_error([{"message": message, "property": "operations"}])
    key = data.get("resumeRequestKey")
    if key is not None and not (isinstance(key, str) and RESUME_KEY.match(key)):
        raise body_error([{"message": "invalid resumeRequestKey", "property": "resumeRequestKey"}])
    details: list[dict[str, str]] = []
    named: dict[str, str] = {}
    for index, operation in enumerate(operations):
        prop = f"operations[{index}]"
        kind = operation.get("type") if isinstance(operation, dict) else None
        if kind not in BATCH_OPERATIONS:
            details.append({"message": "invalid operation type", "property": f"{prop}.type"})
            continue
        for field in BATCH_OPERATIONS[kind]:
            value = operation.get(field)
            if not isinstance(value, str) or not RICH_MENU_ID.match(value):
                details.append({"message": "must be specified", "property": f"{prop}.{field}"})
            else:
                named[value] = f"{prop}.{field}"
    known = RichMenu.objects.filter(rich_menu_id__in=list(named))
    existing = set(known.values_list("rich_menu_id", flat=True))
    with_image = set(known.filter(image__isnull=False).values_list("rich_menu_id", flat=True))
    for rich_menu_id, prop in named.items():
        if rich_menu_id not in existing:
            details.append({"message": "richmenu not found", "property": prop})
        elif prop.endswith(".to") and rich_menu_id not in with_image:
            details.append({"message": NO_IMAGE, "property": prop})
    if details:
        raise body_error(details)
    return operations


def batch_accept(data: dict[str, Any], request_id: str) -> RichMenuBatch:
    """Record a valid batch request; it is worked through after LINE has answered 202."""
    operations = batch_validate(data)
    return RichMenuBatch.objects.create(
        request_id=request_id, operations=operations, resume_request_key=data.get("resumeRequestKey") or ""
    )


def batch_run(batch_id: int) -> RichMenuBatch:
    """Apply a batch's operations, each one statement over every user linked to the menu it names.

    Operations are idempotent (users already moved or unlinked are no longer linked to the menu an
    operation names), so a request repeated with its ``resumeRequestKey`` finishes what a failed one
    left, as LINE's resume does.
    """
    batch = RichMenuBatch.objects.get(pk=batch_id)
    changed = 0
    try:
        with transaction.atomic(using=EMULATOR_DB):
            for operation in batch.operations:
                links = RichMenuLink.objects.all()
                if operation["type"] != "unlinkAll":
                    links = links.filter(rich_menu__rich_menu_id=operation["from"])
                if operation["type"] == "link":
                    target = RichMenu.objects.get(rich_menu_id=operation["to"])
                    changed += links.update(rich_menu=target)
                else:
                    changed += links.delete()[0]
    except (RichMenu.DoesNotExist, DatabaseError):
        # A menu deleted meanwhile, or the database refused: LINE reports "failed" and nothing more.
        RichMenuBatch.objects.filter(pk=batch_id).update(
            phase=RichMenuBatch.Phase.FAILED, completed_at=timezone.now()
        )
    else:
        RichMenuBatch.objects.filter(pk=batch_id).update(
            phase=RichMenuBatch.Phase.SUCCEEDED, users_changed=changed, completed_at=timezone.now()
        )
    return RichMenuBatch.objects.get(pk=batch_id)


def batch_progress(request_id: str) -> RichMenuBatch:
    if not request_id:
        raise ApiError(
            400, "The request has 1 error(s)", [{"message": "May not be empty", "property": "requestId"}]
        )
    batch = RichMenuBatch.objects.filter(request_id=request_id).first()
    if batch is None:
        raise _not_found()
    return batch


def _alias_target(rich_menu_id: Any) -> str:
    """An alias may point only at an existing menu that has its image."""
    menu = RichMenu.objects.filter(rich_menu_id=_check_menu_id(rich_menu_id)).first()
    if menu is None or not menu.has_image:
        raise _empty_details(400, "richmenu not found")
    return menu.rich_menu_id


def alias_create(data: dict[str, Any]) -> RichMenuAlias:
    alias_id = data.get("richMenuAliasId")
    if not isinstance(alias_id, str) or not ALIAS_ID.match(alias_id):
        raise body_error([{"message": "invalid richMenuAliasId", "property": "richMenuAliasId"}])
    target = _alias_target(data.get("richMenuId"))
    if RichMenuAlias.objects.filter(alias_id=alias_id).exists():
        raise _empty_details(400, "conflict richmenu alias id")
    if RichMenuAlias.objects.count() >= MAX_ALIASES:
        raise _empty_details(400, "The number of richmenu aliases has reached the upper limit")
    return RichMenuAlias.objects.create(alias_id=alias_id, rich_menu_id=target)


def access_alias(alias_id: str) -> RichMenuAlias:
    alias = RichMenuAlias.objects.filter(alias_id=alias_id).first()
    if alias is None:
        raise _empty_details(404, "richmenu alias not found")
    return alias


def alias_update(alias: RichMenuAlias, data: dict[str, Any]) -> None:
    alias.rich_menu_id = _alias_target(data.get("richMenuId"))
    alias.save(update_fields=["rich_menu_id"])


# The phone's side: what a user sees and what tapping a richmenuswitch area does.


def shown_menu(user: VirtualUser) -> RichMenu | None:
    """What LINE draws for the user: the per-user menu, else the default one (only menus with images)."""
    link = RichMenuLink.objects.select_related("rich_menu").filter(user=user).first()
    if link is not None and link.rich_menu.has_image:
        return link.rich_menu
    return RichMenu.objects.filter(is_default=True, image__isnull=False).first()


@dataclass
class SwitchResult:
    status: str
    menu: RichMenu | None
    webhook: WebhookDelivery


def user_switch(user: VirtualUser, alias_id: str, data: str) -> SwitchResult:
    """The richmenuswitch action: link the alias's menu, then tell the bot with a postback event.

    As on LINE, the postback is sent whatever happens; its params say whether the switch worked, and
    ``newRichMenuAliasId`` is present only when it did.
    """
    alias = RichMenuAlias.objects.filter(alias_id=alias_id).first()
    menu = RichMenu.objects.filter(rich_menu_id=alias.rich_menu_id).first() if alias else None
    if alias is None:
        status = "RICHMENU_ALIAS_ID_NOTFOUND"
    elif menu is None or not menu.has_image:
        status = "RICHMENU_NOTFOUND"
    else:
        status = "SUCCESS"
        _link(user, menu)
    params = {"newRichMenuAliasId": alias_id, "status": status} if status == "SUCCESS" else {"status": status}
    webhook = services.user_send_postback(user, data, params)
    return SwitchResult(status, menu if status == "SUCCESS" else shown_menu(user), webhook)
