"""Schedule rules (RS-3, RS-9, RS-11): holidays incl. 振替休日, year-end, special days, the booking
window with its cut-off, and the cancellation deadline. Table-driven."""

from __future__ import annotations

from datetime import date, time

import pytest

from civicline.core.calendar import HOLIDAY_KEY
from civicline.reservations import schedule
from civicline.reservations.models import Service, SpecialDay
from tests.reservations.factories import WEEKDAYS_9_12, at


def make_service(**overrides) -> Service:
    # Unsaved: the rules are pure functions of the service's settings.
    fields = {
        "slot_minutes": 30,
        "seats_per_slot": 1,
        "hours": dict(WEEKDAYS_9_12),
        "year_end_closed": True,
        "book_from_days": 1,
        "book_until_days": 60,
        "book_cutoff": time(17, 0),
        "cancel_days_before": 2,
        "cancel_cutoff": time(17, 0),
    }
    return Service(**{**fields, **overrides})


HOLIDAY_HOURS = {**WEEKDAYS_9_12, HOLIDAY_KEY: [["10:00", "12:00"]]}


@pytest.mark.parametrize(
    ("day", "hours", "expected_ranges", "reason"),
    [
        (date(2025, 2, 25), WEEKDAYS_9_12, [("09:00", "12:00")], ""),  # an ordinary Tuesday
        (date(2025, 3, 1), WEEKDAYS_9_12, [], ""),  # Saturday: no hours set
        (date(2025, 2, 24), WEEKDAYS_9_12, [], "振替休日"),  # Monday, 振替休日: closed
        (date(2025, 2, 24), HOLIDAY_HOURS, [("10:00", "12:00")], "振替休日"),  # …or the holiday pattern
        (date(2025, 5, 6), WEEKDAYS_9_12, [], "振替休日"),  # Tuesday after こどもの日
        (date(2025, 11, 3), WEEKDAYS_9_12, [], "文化の日"),
        (date(2025, 12, 29), WEEKDAYS_9_12, [], "年末年始休み"),  # a Monday, year-end
        (date(2026, 1, 2), HOLIDAY_HOURS, [], "年末年始休み"),  # year-end beats the holiday hours
        (date(2026, 1, 5), WEEKDAYS_9_12, [("09:00", "12:00")], ""),  # first working day
    ],
    ids=[
        "weekday",
        "saturday",
        "furikae-closed",
        "furikae-holiday-hours",
        "furikae-may",
        "bunka-no-hi",
        "year-end",
        "year-end-over-holiday",
        "new-year-open",
    ],
)
def test_day_plan_follows_weekdays_public_holidays_and_year_end(day, hours, expected_ranges, reason):
    plan = schedule.day_plan(make_service(hours=hours), day)

    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in plan.ranges] == expected_ranges
    assert plan.reason == reason


def test_year_end_closure_can_be_switched_off():
    plan = schedule.day_plan(make_service(year_end_closed=False), date(2025, 12, 29))

    assert plan.ranges


@pytest.mark.parametrize(
    ("day", "special", "expected_ranges"),
    [
        (date(2025, 2, 25), SpecialDay(kind="closed", note="研修のため休業"), []),
        (
            date(2025, 3, 2),
            SpecialDay(kind="open", hours=[["13:00", "15:00"]]),
            [("13:00", "15:00")],
        ),  # a Sunday
        (date(2025, 12, 30), SpecialDay(kind="open", hours=[["09:00", "10:00"]]), [("09:00", "10:00")]),
        (
            date(2025, 2, 24),
            SpecialDay(kind="open", hours=[["09:00", "10:00"]]),
            [("09:00", "10:00")],
        ),  # 振替休日
    ],
    ids=["closed-weekday", "extra-sunday", "extra-year-end", "extra-furikae"],
)
def test_a_special_day_wins_over_every_other_rule(day, special, expected_ranges):
    plan = schedule.day_plan(make_service(), day, special)

    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in plan.ranges] == expected_ranges


@pytest.mark.parametrize(
    ("minutes", "ranges", "expected"),
    [
        (30, [["09:00", "12:00"]], ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]),
        (45, [["09:00", "12:00"]], ["09:00", "09:45", "10:30", "11:15"]),
        (
            60,
            [["09:00", "10:30"], ["13:00", "15:00"]],
            ["09:00", "13:00", "14:00"],
        ),  # a short rest is dropped
    ],
)
def test_slots_cut_the_opening_hours_into_equal_lengths(minutes, ranges, expected):
    service = make_service(slot_minutes=minutes, hours={"1": ranges})

    starts = schedule.slot_starts(schedule.day_plan(service, date(2025, 2, 25)), minutes)

    assert [s.strftime("%H:%M") for s in starts] == expected


# --- the booking window (RS-3) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "now", "slot", "refused_with"),
    [
        ({}, at(date(2025, 2, 20), "16:59"), at(date(2025, 2, 21), "10:00"), ""),  # before the cut-off
        ({}, at(date(2025, 2, 20), "17:00"), at(date(2025, 2, 21), "10:00"), "受付は終了"),  # at the cut-off
        ({}, at(date(2025, 2, 21), "08:00"), at(date(2025, 2, 21), "10:00"), "受付は終了"),  # the same day
        ({}, at(date(2025, 2, 20), "09:00"), at(date(2025, 4, 21), "10:00"), ""),  # 60 days ahead
        ({}, at(date(2025, 2, 20), "09:00"), at(date(2025, 4, 22), "10:00"), "60日後まで"),  # 61 days ahead
        ({"book_cutoff": None}, at(date(2025, 2, 20), "23:59"), at(date(2025, 2, 21), "09:00"), ""),
        ({"book_from_days": 3}, at(date(2025, 2, 20), "10:00"), at(date(2025, 2, 22), "10:00"), "受付は終了"),
        ({"book_from_days": 3}, at(date(2025, 2, 20), "10:00"), at(date(2025, 2, 23), "10:00"), ""),
        (
            {"book_from_days": 0, "book_cutoff": None},
            at(date(2025, 2, 21), "09:10"),
            at(date(2025, 2, 21), "09:00"),
            "受付は終了",
        ),  # already started
        (
            {"book_from_days": 0, "book_cutoff": None},
            at(date(2025, 2, 21), "09:10"),
            at(date(2025, 2, 21), "09:30"),
            "",
        ),
    ],
    ids=[
        "before-cutoff",
        "at-cutoff",
        "same-day",
        "last-day",
        "beyond-window",
        "no-cutoff-end-of-day",
        "from-3-days-too-early",
        "from-3-days-ok",
        "same-day-started",
        "same-day-later-slot",
    ],
)
def test_booking_window_and_cut_off(settings, now, slot, refused_with):
    refusal = schedule.window_refusal(make_service(**settings), slot, now)

    if refused_with:
        assert refused_with in refusal
    else:
        assert refusal == ""


# --- the cancellation deadline (RS-11) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "slot", "deadline"),
    [
        ({}, at(date(2025, 2, 27), "10:00"), at(date(2025, 2, 25), "17:00")),  # 2 days before, 17:00
        (
            {"cancel_days_before": 1, "cancel_cutoff": None},
            at(date(2025, 2, 27), "10:00"),
            at(date(2025, 2, 27), "00:00"),
        ),
        (
            {"cancel_days_before": 0, "cancel_cutoff": None},
            at(date(2025, 2, 27), "10:00"),
            at(date(2025, 2, 27), "10:00"),
        ),
        (
            {"cancel_days_before": 0, "cancel_cutoff": time(12, 0)},
            at(date(2025, 2, 27), "10:00"),
            at(date(2025, 2, 27), "10:00"),
        ),  # never after the start
    ],
    ids=["two-days-17h", "day-before-end", "until-start", "capped-at-start"],
)
def test_cancellation_deadline(settings, slot, deadline):
    assert schedule.cancel_deadline(make_service(**settings), slot) == deadline
