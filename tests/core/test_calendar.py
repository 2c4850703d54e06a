"""The city's calendar: public holidays (振替休日 included), the year-end closure, weekly hours,
and hours as staff type them. One calendar closes every feature's counters alike."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from civicline.core import calendar
from civicline.core.calendar import HOLIDAY_KEY

WEEKDAYS = {str(d): [["08:45", "17:15"]] for d in range(5)}
WITH_HOLIDAYS = {**WEEKDAYS, HOLIDAY_KEY: [["10:00", "12:00"]]}


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 11, 24), "振替休日"),  # Monday after 勤労感謝の日 on a Sunday
        (date(2025, 5, 6), "振替休日"),  # Tuesday after こどもの日 on a Monday after a Sunday holiday
        (date(2025, 11, 3), "文化の日"),
        (date(2025, 11, 25), ""),  # an ordinary Tuesday
    ],
)
def test_public_holidays_are_named_in_japanese(day, name):
    assert calendar.holiday_name(day) == name


@pytest.mark.parametrize(
    ("day", "year_end"),
    [
        (date(2025, 12, 28), False),
        (date(2025, 12, 29), True),
        (date(2025, 12, 31), True),
        (date(2026, 1, 3), True),
        (date(2026, 1, 4), False),
    ],
)
def test_the_year_end_closure_runs_from_december_29_to_january_3(day, year_end):
    assert calendar.is_year_end(day) is year_end


def test_a_normal_weekday_keeps_its_weekday_hours():
    kept = calendar.day_hours(WITH_HOLIDAYS, date(2025, 11, 25), year_end_closed=True)

    assert kept == calendar.DayHours([["08:45", "17:15"]], "")


def test_a_substitute_holiday_keeps_the_holiday_hours_or_none():
    monday = date(2025, 11, 24)

    assert calendar.day_hours(WITH_HOLIDAYS, monday, year_end_closed=True) == calendar.DayHours(
        [["10:00", "12:00"]], "振替休日"
    )
    assert calendar.day_hours(WEEKDAYS, monday, year_end_closed=True) == calendar.DayHours([], "振替休日")


def test_the_year_end_closes_even_a_weekday_and_a_holiday_unless_switched_off():
    assert calendar.day_hours(WEEKDAYS, date(2025, 12, 29), year_end_closed=True) == calendar.DayHours(
        [], "年末年始休み"
    )
    assert calendar.day_hours(WITH_HOLIDAYS, date(2026, 1, 1), year_end_closed=True).ranges == []
    assert calendar.day_hours(WEEKDAYS, date(2025, 12, 29), year_end_closed=False).ranges == [
        ["08:45", "17:15"]
    ]


def test_a_weekend_without_hours_is_closed():
    assert calendar.day_hours(WEEKDAYS, date(2025, 11, 22), year_end_closed=True).ranges == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("9:00-12:00", [["09:00", "12:00"]]),
        ("13:00-17:00, 9:00-12:00", [["09:00", "12:00"], ["13:00", "17:00"]]),
        ("９：００〜１２：００", [["09:00", "12:00"]]),  # typed with the Japanese IME on
        ("9:00～12:00、13:00-16:30", [["09:00", "12:00"], ["13:00", "16:30"]]),
        ("9:00 - 12:00", [["09:00", "12:00"]]),
        ("9:00〜12:00、13:00〜16:30", [["09:00", "12:00"], ["13:00", "16:30"]]),
        ("0:00-24:00", [["00:00", calendar.END_OF_DAY]]),
    ],
)
def test_hours_typed_by_staff_are_read(text, expected):
    assert calendar.ranges_parse(text) == expected


@pytest.mark.parametrize("text", ["12:00-9:00", "9:00-12:00, 11:00-13:00", "25:00-26:00", "朝から"])
def test_impossible_hours_are_refused_with_a_message(text):
    with pytest.raises(ValidationError) as error:
        calendar.ranges_parse(text)

    assert error.value.messages[0]


def test_hours_read_back_as_staff_typed_them():
    assert calendar.ranges_format([["09:00", "12:00"], ["13:00", "17:00"]]) == "09:00-12:00, 13:00-17:00"
