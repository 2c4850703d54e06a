"""The emulator's own pages: a resident's LINE app (the phone page) and the mailbox of mail civicline sent.

Pages are rendered without a request context on purpose: the emulator runs no middleware (no
sessions, no CSRF), and the phone changes state only through the /sim/api/ JSON endpoints, so
the templates need nothing from the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.static import serve

from . import services
from .control_views import ControlError, control
from .models import Mail, UserMessage, VirtualUser
from .webhooks import bot_display_name, bot_picture_url

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Places in the demo city a resident can share in one tap (Toyonaka, Osaka).
PRESET_PLACES: list[dict[str, Any]] = [
    {
        "title": "豊中市役所",
        "address": "大阪府豊中市中桜塚3丁目1-1",
        "latitude": 34.7812,
        "longitude": 135.4699,
    },
    {
        "title": "千里中央駅",
        "address": "大阪府豊中市新千里東町1丁目",
        "latitude": 34.8090,
        "longitude": 135.4955,
    },
    {"title": "庄内駅", "address": "大阪府豊中市庄内東町1丁目", "latitude": 34.7549, "longitude": 135.4727},
    {"title": "豊中駅", "address": "大阪府豊中市本町1丁目", "latitude": 34.7866, "longitude": 135.4629},
    {"title": "服部緑地", "address": "大阪府豊中市服部緑地1-1", "latitude": 34.7766, "longitude": 135.4938},
]

# Only these are served back as images; anything else a "resident" uploaded is served inert, so an
# uploaded HTML file can never run script on the emulator's origin.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _page(template: str, context: dict[str, Any]) -> HttpResponse:
    return HttpResponse(render_to_string(template, context))


def phone(request: HttpRequest) -> HttpResponse:
    """The user picker, and the phone of ``?user=<userId>`` when given."""
    users = list(VirtualUser.objects.order_by("-id"))
    current = next((u for u in users if u.user_id == request.GET.get("user")), None)
    config = None
    if current is not None:
        config = {
            "user": current.as_dict(),
            "botName": bot_display_name(),
            "botIcon": bot_picture_url(),
            "presets": PRESET_PLACES,
            "pollMs": 1000,
        }
    return _page(
        "linesim/phone.html",
        {"users": users, "current": current, "config": config, "bot_name": bot_display_name()},
    )


def user_new(request: HttpRequest) -> HttpResponse:
    """The picker's plain form: a new virtual resident, then straight to their phone."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("phone"))
    name = request.POST.get("display_name", "").strip()[:100] or "テスト住民"
    user = services.user_create(display_name=name)
    return HttpResponseRedirect(f"{reverse('phone')}?user={user.user_id}")


def _after(request: HttpRequest, name: str) -> int:
    try:
        return max(int(request.GET.get(name, 0)), 0)
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


def _bot_item(delivered: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "bot",
        "id": delivered["id"],
        "at": delivered["createdAt"],
        "message": delivered["message"],
    }


def _user_item(row: UserMessage, *, has_content: bool) -> dict[str, Any]:
    item = {"kind": "user", "id": row.message_id, "at": row.created_at.isoformat(), "message": row.message}
    if has_content:
        item["contentUrl"] = reverse("sent-content", args=[row.message_id])
    return item


@control("GET")
def timeline(request: HttpRequest, user_id: str) -> HttpResponse:
    """Both sides of the talk, oldest first, after the cursors the page already has.

    Bot and user messages live in separate tables, hence two cursors (their primary keys; the bot's
    is the recipient row of the request that brought its messages).
    """
    user = VirtualUser.objects.filter(user_id=user_id).first()
    if user is None:
        raise ControlError(404, f"no virtual user {user_id}")
    bot_after, user_after = _after(request, "bot_after"), _after(request, "user_after")
    bot_rows = services.delivered_to(user, after=bot_after)
    # The content bytes stay in the database; the page fetches them by URL.
    user_rows = list(UserMessage.objects.filter(user=user, pk__gt=user_after).defer("content"))
    with_content = set(
        UserMessage.objects.filter(pk__in=[r.pk for r in user_rows], content__isnull=False).values_list(
            "pk", flat=True
        )
    )
    items = [_bot_item(delivered) for _pk, delivered in bot_rows]
    items += [_user_item(r, has_content=r.pk in with_content) for r in user_rows]
    items.sort(key=lambda item: item["at"])
    return JsonResponse(
        {
            "user": user.as_dict(),
            "items": items,
            "cursor": {
                "bot_after": bot_rows[-1][0] if bot_rows else bot_after,
                "user_after": user_rows[-1].pk if user_rows else user_after,
            },
        }
    )


def sent_content(request: HttpRequest, message_id: str) -> HttpResponse:
    """The bytes of an image a virtual user sent, for their own bubble on the phone."""
    row = UserMessage.objects.filter(message_id=message_id, content__isnull=False).first()
    if row is None:
        raise Http404
    content_type = row.content_type if row.content_type in IMAGE_TYPES else "application/octet-stream"
    response = HttpResponse(bytes(row.content), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def mailbox(request: HttpRequest, mail_id: int | None = None) -> HttpResponse:
    """Mail civicline sent through the loopback SMTP server, newest first; one opened to read."""
    mails = list(Mail.objects.order_by("-id")[:500])
    opened = None
    if mail_id is not None:
        opened = Mail.objects.filter(pk=mail_id).first()
        if opened is None:
            raise Http404
    return _page("linesim/mailbox.html", {"mails": mails, "opened": opened})


def static(request: HttpRequest, path: str) -> HttpResponse:
    """The pages' own CSS and JS; the emulator serves everything itself (no CDN is reachable)."""
    return serve(request, path, document_root=STATIC_DIR)
