"""The city's calendar: the days city offices keep, and weekly service hours.

Japanese public holidays come from the maintained ``holidays`` package (振替休日 and 国民の休日
included, in their Japanese names); city offices close over the year end, 12月29日〜1月3日.
Service hours are kept as JSON, one list of ranges per weekday plus one for public holidays:
``{"0": [["08:45", "17:15"]], ..., "6": [], "holiday": [...]}`` (0 = Monday). Every feature that
keeps opening hours (reservations' services, conversations' topics) keeps them this way, so a city
sets them all up alike and a holiday closes them all alike.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Ranges = list[list[str]]
Hours = dict[str, Ranges]

HOLIDAY_KEY = "holiday"
DAY_KEYS = ("0", "1", "2", "3", "4", "5", "6", HOLIDAY_KEY)
DAY_LABELS = dict(
    zip(
        DAY_KEYS,
        [
            gettext_lazy("月曜日"),
            gettext_lazy("火曜日"),
            gettext_lazy("水曜日"),
            gettext_lazy("木曜日"),
            gettext_lazy("金曜日"),
            gettext_lazy("土曜日"),
            gettext_lazy("日曜日"),
            gettext_lazy("祝日・振替休日"),
        ],
        strict=True,
    )
)
HOURS_HELP = gettext_lazy("例: 9:00-12:00, 13:00-17:00（空欄はその日は受付なし）")
# A range staff type as ending at 24:00 is stored as ending at 23:59: it runs to midnight.
END_OF_DAY = "23:59"

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-〜~ー－−]\s*(\d{1,2}):(\d{2})\s*$", re.ASCII)


# --- which days are kept ------------------------------------------------------------------------


# The ``holidays`` package names Japan's holidays in Japanese and English only: a reader of English
# gets the English names, every other reader the Japanese ones (the city's fallback ends there).
_HOLIDAY_NAME_LANGUAGES = {"en": "en_US"}


@lru_cache(maxsize=64)
def _japanese_holidays(year: int, language: str = "ja") -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year, language=language)


def holiday_name(day: date) -> str:
    """The public holiday's name (「振替休日」 included) in the language being spoken, or "" for an
    ordinary day."""
    language = _HOLIDAY_NAME_LANGUAGES.get(translation.get_language() or "", "ja")
    return _japanese_holidays(day.year, language).get(day, "")


def is_year_end(day: date) -> bool:
    """12月29日〜1月3日, when city offices close (年末年始の休み)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@dataclass(frozen=True)
class DayHours:
    ranges: Ranges
    reason: str = ""  # why the day is not an ordinary one: the holiday's name, 年末年始休み


def day_hours(hours: Hours | None, day: date, *, year_end_closed: bool) -> DayHours:
    """The hours kept on ``day``: none over the year end (when closed then), the holiday pattern on
    a public holiday, else the weekday's."""
    if year_end_closed and is_year_end(day):
        return DayHours([], _("年末年始休み"))
    hours = hours or {}
    name = holiday_name(day)
    if name:
        return DayHours(hours.get(HOLIDAY_KEY, []), name)
    return DayHours(hours.get(str(day.weekday()), []))


# --- hours as staff type them -------------------------------------------------------------------


def ranges_parse(text: str) -> Ranges:
    """「9:00-12:00, 13:00-17:00」→ [["09:00", "12:00"], ["13:00", "17:00"]]; raises on bad input."""
    # Staff often type with the Japanese IME on: ９：００～１２：００ reads as 9:00~12:00.
    text = unicodedata.normalize("NFKC", text)
    result: Ranges = []
    for part in [p for p in re.split(r"[,、，;\n]+", text) if p.strip()]:
        match = _RANGE.match(part)
        if not match:
            raise ValidationError(
                _("「%(part)s」は時間帯として読めません。「9:00-12:00」の形で入力してください。"),
                params={"part": part.strip()},
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationError(_("「%(part)s」の時刻が正しくありません。"), params={"part": part.strip()})
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValidationError(
                _("「%(part)s」は終了が開始より後になるように入力してください。"),
                params={"part": part.strip()},
            )
        result.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}" if h2 < 24 else END_OF_DAY])
    result.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(result):
        if s2 < e1:
            raise ValidationError(_("時間帯が重なっています。"))
    return result


def ranges_format(ranges: Iterable[Iterable[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges)
