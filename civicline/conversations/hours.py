"""A topic's service hours: is it open now, when does it open next, and the hours in words.

Hours, Japanese public holidays and the year-end closure follow the city's calendar
(``civicline.core.calendar``), as reservations' counters do, so a city sets up both the same way.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import groupby

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from civicline.core.calendar import END_OF_DAY, HOLIDAY_KEY, day_hours

from .models import Topic

# Residents read these in their language (issue 21); one kanji alone is ambiguous, hence the context.
WEEKDAY_NAMES = (
    pgettext_lazy("weekday", "月"),
    pgettext_lazy("weekday", "火"),
    pgettext_lazy("weekday", "水"),
    pgettext_lazy("weekday", "木"),
    pgettext_lazy("weekday", "金"),
    pgettext_lazy("weekday", "土"),
    pgettext_lazy("weekday", "日"),
)
# Longer than any run of closed days (the year end next to a weekend and a holiday).
LOOKAHEAD_DAYS = 40


def day_ranges(topic: Topic, day: date) -> list[tuple[datetime, datetime]]:
    """When ``topic`` is open on ``day``, as (opens, closes) moments in the city's time zone."""
    tz = timezone.get_current_timezone()
    ranges = []
    for start, end in day_hours(topic.hours, day, year_end_closed=topic.year_end_closed).ranges:
        opens = datetime.combine(day, time.fromisoformat(start), tzinfo=tz)
        if end == END_OF_DAY:
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        else:
            closes = datetime.combine(day, time.fromisoformat(end), tzinfo=tz)
        ranges.append((opens, closes))
    return ranges


def is_open(topic: Topic, at: datetime) -> bool:
    local = timezone.localtime(at)
    return any(opens <= local < closes for opens, closes in day_ranges(topic, local.date()))


def next_opening(topic: Topic, after: datetime) -> datetime | None:
    """The first moment from ``after`` on when the topic is open (``after`` itself when open then)."""
    local = timezone.localtime(after)
    for offset in range(LOOKAHEAD_DAYS):
        for opens, closes in day_ranges(topic, local.date() + timedelta(days=offset)):
            if closes > local:
                return max(opens, local)
    return None


def moment_text(moment: datetime) -> str:
    """「11月26日(水) 8:45」"""
    local = timezone.localtime(moment)
    return _("%(month)s月%(day)s日(%(weekday)s) %(time)s") % {
        "month": local.month,
        "day": local.day,
        "weekday": WEEKDAY_NAMES[local.weekday()],
        "time": f"{local.hour}:{local.minute:02d}",
    }


def _clock(value: str) -> str:
    if value == END_OF_DAY:
        return "24:00"
    hour, minute = value.split(":")
    return f"{int(hour)}:{minute}"


def _ranges_text(ranges: list[list[str]]) -> str:
    return "、".join(f"{_clock(start)}〜{_clock(end)}" for start, end in ranges)


def _days_label(days: list[int]) -> str:
    names = [str(WEEKDAY_NAMES[d]) for d in days]
    return f"{names[0]}〜{names[-1]}" if len(names) > 2 else "・".join(names)


def hours_text(topic: Topic) -> str:
    """「月〜金 8:45〜17:15（土・日・祝日・年末年始は休み）」"""
    hours = topic.hours or {}
    every_day = [hours.get(key, []) for key in (*map(str, range(7)), HOLIDAY_KEY)]
    if every_day[0] and all(ranges == every_day[0] for ranges in every_day):
        text = _("毎日 %(hours)s") % {"hours": _ranges_text(every_day[0])}
        return text + (_("（年末年始は休み）") if topic.year_end_closed else "")
    parts, closed = [], []
    weekly = [(day, hours.get(str(day), [])) for day in range(7)]
    for ranges, run in groupby(weekly, key=lambda item: item[1]):
        label = _days_label([day for day, _ranges in run])
        if ranges:
            parts.append(f"{label} {_ranges_text(ranges)}")
        else:
            closed.append(label)
    if hours.get(HOLIDAY_KEY):
        parts.append(_("祝日 %(hours)s") % {"hours": _ranges_text(hours[HOLIDAY_KEY])})
    else:
        closed.append(_("祝日"))
    if topic.year_end_closed:
        closed.append(_("年末年始"))
    if not parts:
        return _("受付時間は設定されていません")
    text = "、".join(parts)
    if closed:
        text += _("（%(days)sは休み）") % {"days": "・".join(closed)}
    return text
