"""The LINE messages of reservations. They carry no personal data (RS-6, X-1): the service, the date
and time and the receipt number only; names, contacts and answers stay in the LIFF pages.

They are built in the language being spoken (issue 21): the resident's own in their LIFF request and
in LINE handlers, and inside ``speaking_to`` for a push from a staff action or the worker.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from civicline.core.translations import translated
from civicline.line.liff.links import liff_url

from .models import Booking

FEATURE = "reservations"


def when(booking: Booking) -> str:
    """「2025年2月25日(火) 10:00〜10:30」, or "Feb. 25, 2025 (Tue) 10:00–10:30" to an English reader:
    the date and weekday in the formats of the language being spoken."""
    start, end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
    return _("%(date)s(%(weekday)s) %(start)s〜%(end)s") % {
        "date": formats.date_format(start, "DATE_FORMAT"),
        "weekday": formats.date_format(start, "D"),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }


def postback(action: str, booking: Booking) -> str:
    return urlencode({"feature": FEATURE, "action": action, "id": booking.receipt_number})


def _my_bookings_uri() -> str:
    # Inside LINE the LIFF URL opens the page with the resident signed in.
    return liff_url("/liff/reservations/mine")


def _row(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "sm",
        "contents": [
            # Wrapped: a label in English or Vietnamese is longer than its two to four Japanese characters.
            {"type": "text", "text": label, "color": "#8c8c8c", "size": "sm", "flex": 2, "wrap": True},
            {"type": "text", "text": value, "wrap": True, "size": "sm", "flex": 5},
        ],
    }


def _card(booking: Booking, *, title: str, color: str, note: str = "", cancel: bool) -> dict[str, Any]:
    service, counter = booking.service, booking.service.counter
    service_name = translated(service, "name")
    body = [
        {"type": "text", "text": title, "weight": "bold", "color": color, "size": "sm"},
        {"type": "text", "text": service_name, "weight": "bold", "size": "lg", "wrap": True},
        {
            "type": "box",
            "layout": "vertical",
            "margin": "md",
            "spacing": "sm",
            "contents": [
                _row(_("日時"), when(booking)),
                _row(_("窓口"), translated(counter, "name")),
                *([_row(_("場所"), translated(counter, "place"))] if counter.place else []),
                _row(_("受付番号"), booking.receipt_number),
            ],
        },
    ]
    if note:
        body.append({"type": "text", "text": note, "wrap": True, "size": "sm", "margin": "md"})
    footer = [
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": {"type": "uri", "label": _("予約の確認"), "uri": _my_bookings_uri()},
        }
    ]
    if cancel:
        footer.append(
            {
                "type": "button",
                "style": "link",
                "height": "sm",
                "color": "#c62828",
                "action": {
                    "type": "postback",
                    "label": _("予約を取り消す"),
                    "data": postback("cancel", booking),
                    "displayText": _("予約を取り消す"),
                },
            }
        )
    return {
        "type": "flex",
        "altText": f"{title}: {service_name} {when(booking)}"[:400],
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
            "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer},
        },
    }


def booked(booking: Booking) -> dict[str, Any]:
    return _card(booking, title=_("予約を受け付けました"), color="#06c755", cancel=True)


def reminder(booking: Booking) -> dict[str, Any]:
    return _card(
        booking,
        title=_("本日はご予約の日です"),
        color="#1a73e8",
        note=translated(booking.service, "reminder_text"),
        cancel=False,
    )


def cancelled(booking: Booking) -> dict[str, Any]:
    note = _("理由: %(reason)s") % {"reason": booking.cancel_reason} if booking.cancel_reason else ""
    return _card(booking, title=_("予約を取り消しました"), color="#c62828", note=note, cancel=False)


def cancel_question(booking: Booking) -> dict[str, Any]:
    text = _("%(service)s\n%(when)s\n受付番号 %(number)s\nこの予約を取り消しますか？") % {
        "service": translated(booking.service, "name"),
        "when": when(booking),
        "number": booking.receipt_number,
    }
    return {
        "type": "template",
        "altText": _("予約を取り消しますか？"),
        "template": {
            "type": "confirm",
            "text": text[:240],
            "actions": [
                {
                    "type": "postback",
                    "label": _("取り消す"),
                    "data": postback("cancel_confirm", booking),
                    "displayText": _("取り消す"),
                },
                {
                    "type": "postback",
                    "label": _("やめる"),
                    "data": postback("cancel_keep", booking),
                    "displayText": _("やめる"),
                },
            ],
        },
    }


def deadline_passed(booking: Booking, deadline) -> str:
    local = timezone.localtime(deadline)
    return _(
        "取消の受付期限（%(deadline)s）を過ぎているため、LINEからは取り消せません。%(counter)sへお電話ください。"
    ) % {
        "deadline": f"{formats.date_format(local, 'DATE_FORMAT')} {local:%H:%M}",
        "counter": translated(booking.service.counter, "name"),
    }
