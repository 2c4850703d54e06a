"""A service's schedule as rules: opening hours by weekday, Japanese public holidays, year-end
closure, one-off closed and extra days, the booking window and the cancellation deadline.

Slots are computed here and never stored; a booking is valid when its start is one of the slots.
Everything takes ``now`` so the rules can be tested at any moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import calendar
from civicline.core.translations import translated

from .models import Service, SpecialDay

Ranges = list[tuple[time, time]]


def _times(ranges: Iterable[Iterable[str]]) -> Ranges:
    return [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in ranges]


# --- which days are open ------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPlan:
    day: date
    ranges: Ranges
    reason: str = ""  # why the day is closed or special, for staff and residents


def day_plan(service: Service, day: date, special: SpecialDay | None = None) -> DayPlan:
    """The opening hours of ``day``: a special day wins, then year-end, holidays, the weekday."""
    if special is not None:
        note = translated(special, "note")
        if special.kind == SpecialDay.Kind.CLOSED:
            return DayPlan(day, [], note or _("臨時休業"))
        return DayPlan(day, _times(special.hours), note or _("臨時開設"))
    kept = calendar.day_hours(service.hours, day, year_end_closed=service.year_end_closed)
    return DayPlan(day, _times(kept.ranges), kept.reason)


def special_days(service: Service, first: date, last: date) -> dict[date, SpecialDay]:
    return {s.date: s for s in service.special_days.filter(date__gte=first, date__lte=last)}


def slot_starts(plan: DayPlan, slot_minutes: int) -> list[datetime]:
    """Every slot start of the day: ranges cut into slots of ``slot_minutes``; a short rest is dropped."""
    length = timedelta(minutes=slot_minutes)
    tz = timezone.get_current_timezone()
    starts = []
    for start, end in plan.ranges:
        moment = datetime.combine(plan.day, start, tzinfo=tz)
        close = datetime.combine(plan.day, end, tzinfo=tz)
        while moment + length <= close:
            starts.append(moment)
            moment += length
    return starts


def is_slot(service: Service, starts_at: datetime) -> bool:
    day = timezone.localtime(starts_at).date()
    plan = day_plan(service, day, service.special_days.filter(date=day).first())
    return starts_at in slot_starts(plan, service.slot_minutes)


# --- the booking window and the cancellation deadline --------------------------------------------


def _deadline(day: date, days_before: int, at: time | None) -> datetime:
    """``at`` on the day ``days_before`` days before ``day``; with no time, the end of that day."""
    tz = timezone.get_current_timezone()
    target = day - timedelta(days=days_before)
    if at is None:
        return datetime.combine(target + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(target, at, tzinfo=tz)


def booking_deadline(service: Service, day: date) -> datetime:
    return _deadline(day, service.book_from_days, service.book_cutoff)


def last_bookable_day(service: Service, now: datetime) -> date:
    return timezone.localtime(now).date() + timedelta(days=service.book_until_days)


def window_refusal(service: Service, starts_at: datetime, now: datetime) -> str:
    """Why ``starts_at`` cannot be booked at ``now`` because of the window, or "" if it can."""
    day = timezone.localtime(starts_at).date()
    if starts_at <= now or now >= booking_deadline(service, day):
        return _("この日時の予約の受付は終了しました。")
    if day > last_bookable_day(service, now):
        return _("この日はまだ予約を受け付けていません（%(days)s日後まで予約できます）。") % {
            "days": service.book_until_days
        }
    return ""


def cancel_deadline(service: Service, starts_at: datetime) -> datetime:
    day = timezone.localtime(starts_at).date()
    return min(_deadline(day, service.cancel_days_before, service.cancel_cutoff), starts_at)


def bookable_days(service: Service, now: datetime) -> list[date]:
    """The days of the window, first to last (whether or not they have free seats)."""
    today = timezone.localtime(now).date()
    last = last_bookable_day(service, now)
    day = today
    days = []
    while day <= last:
        if now < booking_deadline(service, day):
            days.append(day)
        day += timedelta(days=1)
    return days
