"""LINE events of reservations: the cancel button of a confirmation asks first, then cancels (RS-10)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.line.registry import LineContext

from . import line_messages, schedule, selectors, services
from .models import Booking


def _booking(ctx: LineContext) -> Booking | None:
    if ctx.friend is None or ctx.postback is None:
        return None
    try:
        return selectors.access_resident_booking(
            friend=ctx.friend, receipt_number=ctx.postback.params.get("id", "")
        )
    except Http404:
        return None


def _refusal(booking: Booking | None) -> str:
    """Why the booking cannot be cancelled from LINE now, or ""."""
    if booking is None:
        return _("該当する予約が見つかりませんでした。")
    if booking.status != Booking.Status.BOOKED:
        return _("この予約（受付番号 %(number)s）はすでに取り消されているか、終了しています。") % {
            "number": booking.receipt_number
        }
    deadline = schedule.cancel_deadline(booking.service, booking.starts_at)
    if timezone.now() >= deadline:
        return line_messages.deadline_passed(booking, deadline)
    return ""


def cancel_asked(ctx: LineContext) -> None:
    booking = _booking(ctx)
    refusal = _refusal(booking)
    if refusal or booking is None:
        ctx.reply(refusal)
        return
    ctx.reply(line_messages.cancel_question(booking))


def cancel_confirmed(ctx: LineContext) -> None:
    booking = _booking(ctx)
    refusal = _refusal(booking)
    # _refusal has refused a missing booking (there is none without a friend); said again for the types.
    if refusal or booking is None or ctx.friend is None:
        ctx.reply(refusal)
        return
    try:
        booking = services.booking_cancel_by_resident(friend=ctx.friend, booking=booking)
    except ValidationError as exc:
        ctx.reply(" ".join(exc.messages))
        return
    ctx.reply(line_messages.cancelled(booking))


def cancel_kept(ctx: LineContext) -> None:
    ctx.reply(_("予約はそのままです。当日お気をつけてお越しください。"))
