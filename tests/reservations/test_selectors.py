"""Reads: department scoping (X-4), availability computed from schedule and bookings (RS-2, RS-9),
the residents' catalogue (RS-7) and their own bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicline.reservations import selectors, services
from civicline.reservations.models import Booking
from civicline.reservations.selectors import BookingFilters
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import CounterFactory, ServiceFactory, first_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(department):
    return ServiceFactory(counter__department=department, name="子育て相談", seats_per_slot=2)


def book(service, after=3, **extra):
    return services.booking_create(
        friend=FriendFactory(),
        service=service,
        starts_at=first_slot(service, after=after),
        name="x",
        contact="x",
        **extra,
    )


def test_x4_staff_reads_are_scoped_to_their_department(service, staff_user, other_staff_user, system_admin):
    booking = book(service)

    assert list(selectors.booking_list_for(fetched_by=staff_user)) == [booking]
    assert not selectors.booking_list_for(fetched_by=other_staff_user).exists()
    assert list(selectors.booking_list_for(fetched_by=system_admin)) == [booking]
    assert list(selectors.service_list_for(fetched_by=other_staff_user)) == []


def test_booking_filters_combine(service, staff_user):
    early, late = book(service), book(service, after=20)
    services.booking_cancel_by_resident(friend=late.friend, booking=late)

    by_date = selectors.booking_list_for(
        fetched_by=staff_user, filters=BookingFilters(date_to=early.starts_at.date())
    )
    cancelled = selectors.booking_list_for(fetched_by=staff_user, filters=BookingFilters(status="cancelled"))
    by_number = selectors.booking_list_for(
        fetched_by=staff_user, filters=BookingFilters(receipt_number=early.receipt_number[:4].lower())
    )

    assert list(by_date) == [early] and list(cancelled) == [late] and early in by_number


def test_days_count_seats_from_bookings_and_free_them_on_cancel(service):
    booking = book(service)
    day = booking.starts_at.date()

    (plan,) = selectors.days_of(service, day, day)
    assert plan.slots[0].taken == 1 and plan.slots[0].free == 1 and plan.free == 2 * len(plan.slots) - 1

    services.booking_cancel_by_resident(friend=booking.friend, booking=booking)
    (plan,) = selectors.days_of(service, day, day)
    assert plan.slots[0].taken == 0


def test_no_shows_and_attended_still_hold_their_seat(service, staff_user):
    booking = book(service)
    services.booking_mark(actor=staff_user, booking=booking, status=Booking.Status.NO_SHOW)

    (plan,) = selectors.days_of(service, booking.starts_at.date(), booking.starts_at.date())

    assert plan.slots[0].taken == 1


def test_the_staff_calendar_keeps_bookings_the_schedule_no_longer_has(service, staff_user):
    booking = book(service)
    services.service_update(actor=staff_user, service=service, data={"hours": {}})
    day = booking.starts_at.date()

    (plan,) = selectors.calendar_for(service=service, first=day, days=1)

    assert [s.bookings for s in plan.slots] == [[booking]]
    assert plan.slots[0].seats == 0 and not plan.slots[0].bookable


def test_days_outside_the_window_are_not_bookable(service):
    day = first_slot(service, after=90).date()

    (plan,) = selectors.days_of(service, day, day)

    assert plan.slots and not any(s.bookable for s in plan.slots) and plan.free == 0


def test_the_catalogue_groups_by_category_and_hides_closed_services(service):
    ServiceFactory(counter=CounterFactory(category="ごみ・環境"), name="粗大ごみ収集")
    ServiceFactory(counter=CounterFactory(category="ごみ・環境", is_active=False), name="停止中の窓口")

    catalogue = selectors.service_catalogue()
    search = selectors.service_catalogue(query="ごみ 粗大")

    assert {k: [s.name for s in v] for k, v in catalogue.items()} == {
        "ごみ・環境": ["粗大ごみ収集"],
        "子育て": ["子育て相談"],
    }
    assert list(search) == ["ごみ・環境"]


def test_remembered_contact_comes_from_the_latest_consented_booking(service):
    friend = FriendFactory()
    services.booking_create(
        friend=friend,
        service=service,
        starts_at=first_slot(service),
        name="旧姓 花子",
        contact="090-1",
        remember_contact=True,
    )
    services.booking_create(
        friend=friend,
        service=service,
        starts_at=first_slot(service) + timedelta(minutes=30),
        name="豊中 花子",
        contact="090-2",
        remember_contact=True,
    )

    assert selectors.remembered_contact(friend=friend) == {"name": "豊中 花子", "contact": "090-2"}
    assert selectors.remembered_contact(friend=FriendFactory()) == {}
