"""Service hours of a topic (issue 10): open or not at a moment, the next opening across weekends,
Japanese public holidays (振替休日 included) and the year end, and the hours in words."""

from __future__ import annotations

from civicline.conversations import hours
from civicline.conversations.models import Topic
from tests.conversations.factories import ALWAYS, WEEKDAYS_CITY, at


def city_topic(**extra) -> Topic:
    return Topic(**{"name": "証明書", "hours": dict(WEEKDAYS_CITY), "year_end_closed": True, **extra})


def test_open_within_the_weekday_hours_only():
    topic = city_topic()

    assert hours.is_open(topic, at("2025-11-25 08:45"))
    assert hours.is_open(topic, at("2025-11-25 17:14"))
    assert not hours.is_open(topic, at("2025-11-25 17:15"))
    assert not hours.is_open(topic, at("2025-11-22 10:00"))  # Saturday


def test_a_substitute_holiday_is_closed_and_the_next_opening_is_the_day_after():
    topic = city_topic()
    monday_holiday = at("2025-11-24 10:00")  # 振替休日 for 勤労感謝の日

    assert not hours.is_open(topic, monday_holiday)
    assert hours.next_opening(topic, monday_holiday) == at("2025-11-25 08:45")


def test_the_year_end_closure_pushes_the_next_opening_into_january():
    topic = city_topic()

    assert hours.next_opening(topic, at("2025-12-26 18:00")) == at("2026-01-05 08:45")


def test_holiday_hours_apply_when_the_topic_has_them():
    topic = city_topic(hours={**WEEKDAYS_CITY, "holiday": [["10:00", "12:00"]]})

    assert hours.is_open(topic, at("2025-11-24 11:00"))
    assert not hours.is_open(topic, at("2025-11-24 13:00"))


def test_a_range_ending_at_24_00_runs_to_midnight():
    topic = Topic(name="24時間", hours=dict(ALWAYS), year_end_closed=False)

    assert hours.is_open(topic, at("2025-11-25 23:59"))
    assert hours.next_opening(topic, at("2025-11-25 23:59")) == at("2025-11-25 23:59")


def test_the_next_opening_while_open_is_now():
    topic = city_topic()
    moment = at("2025-11-25 10:00")

    assert hours.next_opening(topic, moment) == moment


def test_hours_in_words_group_the_weekdays_and_name_the_closed_days():
    assert hours.hours_text(city_topic()) == "月〜金 8:45〜17:15（土・日・祝日・年末年始は休み）"
    saturday = city_topic(hours={**WEEKDAYS_CITY, "5": [["10:00", "12:00"]], "holiday": [["10:00", "12:00"]]})
    assert (
        hours.hours_text(saturday)
        == "月〜金 8:45〜17:15、土 10:00〜12:00、祝日 10:00〜12:00（日・年末年始は休み）"
    )
    assert hours.hours_text(Topic(hours={}, year_end_closed=False)) == "受付時間は設定されていません"
    assert (
        hours.hours_text(Topic(hours=dict(ALWAYS), year_end_closed=True))
        == "毎日 0:00〜24:00（年末年始は休み）"
    )


def test_moments_are_written_the_japanese_way():
    assert hours.moment_text(at("2025-11-25 08:45")) == "11月25日(火) 8:45"
