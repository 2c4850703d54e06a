"""Factories for reservations' tests: a counter, a service open on weekdays, and helpers for slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import factory
from django.utils import timezone

from civicline.forms.services import form_create
from civicline.reservations import schedule
from civicline.reservations.models import Booking, Counter, Service
from tests.fixtures.core import DepartmentFactory

WEEKDAYS_9_12 = {str(d): [["09:00", "12:00"]] for d in range(5)}


class CounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counter

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"相談窓口{n}")
    category = "子育て"
    place = "市役所 2階"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    class Params:
        questions = ()  # the extra questions, in the form engine's schema (keys q1, q2… in order)

    counter = factory.SubFactory(CounterFactory)
    name = factory.Sequence(lambda n: f"子育て相談{n}")
    form = factory.LazyAttribute(
        lambda o: form_create(
            department=o.counter.department, title=o.name, questions=list(o.questions), all_personal=True
        )
    )
    slot_minutes = 30
    seats_per_slot = 2
    hours = factory.LazyFunction(lambda: dict(WEEKDAYS_9_12))
    book_from_days = 1
    book_until_days = 60
    book_cutoff = None
    cancel_days_before = 1
    cancel_cutoff = None
    max_open_per_resident = 0
    notification_email = "soudan@city.example.jp"


def answers_of(booking: Booking) -> dict[str, Any]:
    """A booking's answers as the form engine keeps them (one sealed row per question answered)."""
    if booking.response is None:
        return {}
    return {row.question: row.sealed for row in booking.response.answers.all()}


def at(day: date, hhmm: str) -> datetime:
    """An aware datetime in the city's time zone."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=timezone.get_current_timezone())


def open_day(service: Service, *, after: int = 3) -> date:
    """The first day at least ``after`` days from today on which ``service`` has slots."""
    day = timezone.localdate() + timedelta(days=after)
    while not schedule.slot_starts(schedule.day_plan(service, day), service.slot_minutes):
        day += timedelta(days=1)
    return day


def first_slot(service: Service, *, after: int = 3) -> datetime:
    day = open_day(service, after=after)
    return schedule.slot_starts(schedule.day_plan(service, day), service.slot_minutes)[0]
