"""Reads of reservations. Staff reads are scoped to the caller's department (X-4); resident reads are
scoped to the resident's own bookings; availability is computed from the schedule and the bookings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core.features import HistoryItem
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.core.translations import translated
from civicline.forms import selectors as form_selectors
from civicline.line.models import Friend

from . import schedule
from .models import Booking, BookingPhoto, Counter, Service

# --- staff ---------------------------------------------------------------------------------------

HISTORY_LIMIT = 50


def counter_list_for(*, fetched_by: Staff) -> QuerySet[Counter]:
    return Counter.objects.visible_to(fetched_by).select_related("department").prefetch_related("services")


def access_counter(*, fetched_by: Staff, pk: int) -> Counter:
    return access_or_404(Counter.objects.select_related("department"), fetched_by, pk=pk)


def service_list_for(*, fetched_by: Staff) -> QuerySet[Service]:
    return Service.objects.visible_to(fetched_by).select_related("counter__department")


def access_service(*, fetched_by: Staff, pk: int) -> Service:
    return access_or_404(Service.objects.select_related("counter__department"), fetched_by, pk=pk)


@dataclass(frozen=True)
class BookingFilters:
    service: int | None = None
    status: str = ""
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None
    receipt_number: str = ""


def booking_list_for(*, fetched_by: Staff, filters: BookingFilters | None = None) -> QuerySet[Booking]:
    filters = filters or BookingFilters()
    bookings = Booking.objects.visible_to(fetched_by).select_related("service__counter__department")
    if filters.service:
        bookings = bookings.filter(service_id=filters.service)
    if filters.status:
        bookings = bookings.filter(status=filters.status)
    if filters.channel:
        bookings = bookings.filter(channel=filters.channel)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        bookings = bookings.filter(
            starts_at__gte=datetime.combine(filters.date_from, datetime.min.time(), tz)
        )
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time(), tz)
        bookings = bookings.filter(starts_at__lt=end)
    if filters.receipt_number:
        bookings = bookings.filter(receipt_number__icontains=filters.receipt_number.strip())
    return bookings.order_by("starts_at", "pk")


def access_booking(*, fetched_by: Staff, pk: int) -> Booking:
    return access_or_404(
        Booking.objects.select_related("service__counter__department", "friend"), fetched_by, pk=pk
    )


def booking_answers(booking: Booking) -> list[tuple[str, str]]:
    """(question, answer) for each question the service asked when the booking was made, in order;
    the caller has reached the booking through its own access check."""
    if booking.response is None:
        return []
    return [(q["label"], text) for q, text in form_selectors.response_answers(booking.response)]


def access_booking_photo(*, fetched_by: Staff, booking_pk: int, pk: int) -> BookingPhoto:
    return access_or_404(
        BookingPhoto.objects.select_related("booking"), fetched_by, pk=pk, booking_id=booking_pk
    )


def resident_history(*, fetched_by: Staff, friend: Friend, department: Department) -> list[HistoryItem]:
    """The resident's bookings at ``department``, for staff talking with them (newest first)."""
    bookings = (
        Booking.objects.visible_to(fetched_by)
        .filter(friend=friend, service__counter__department=department)
        .select_related("service")
        .order_by("-starts_at")[:HISTORY_LIMIT]
    )
    return [
        HistoryItem(
            at=b.starts_at,
            kind=_("予約"),
            title=b.service.name,
            number=b.receipt_number,
            status=b.get_status_display(),
            url=reverse("reservations:booking-detail", args=[b.pk]),
        )
        for b in bookings
    ]


# --- availability --------------------------------------------------------------------------------


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    seats: int
    taken: int
    bookable: bool = True  # inside the booking window at the time asked
    bookings: list[Booking] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.seats - self.taken, 0)


@dataclass
class Day:
    day: date
    slots: list[Slot]
    reason: str = ""  # holiday name, closure, special day note

    @property
    def free(self) -> int:
        return sum(s.free for s in self.slots if s.bookable)


def _taken(service: Service, first: date, last: date) -> dict[datetime, int]:
    tz = timezone.get_current_timezone()
    rows = (
        Booking.objects.filter(
            service=service,
            status__in=Booking.SEAT_HOLDING,
            starts_at__gte=datetime.combine(first, datetime.min.time(), tz),
            starts_at__lt=datetime.combine(last + timedelta(days=1), datetime.min.time(), tz),
        )
        .values("starts_at")
        .annotate(n=Count("id"))
    )
    return {row["starts_at"]: row["n"] for row in rows}


def days_of(service: Service, first: date, last: date, *, now: datetime | None = None) -> list[Day]:
    """Each day from ``first`` to ``last`` with its slots and seats taken (bookable: inside the window)."""
    now = now or timezone.now()
    specials = schedule.special_days(service, first, last)
    taken = _taken(service, first, last)
    length = service.slot_length
    result = []
    day = first
    while day <= last:
        plan = schedule.day_plan(service, day, specials.get(day))
        slots = [
            Slot(
                start,
                start + length,
                service.seats_per_slot,
                taken.get(start, 0),
                bookable=not schedule.window_refusal(service, start, now),
            )
            for start in schedule.slot_starts(plan, service.slot_minutes)
        ]
        result.append(Day(day, slots, plan.reason))
        day += timedelta(days=1)
    return result


def calendar_for(*, service: Service, first: date, days: int, now: datetime | None = None) -> list[Day]:
    """The staff calendar: every slot with its seat-holding bookings, plus bookings outside the slots."""
    result = days_of(service, first, first + timedelta(days=days - 1), now=now)
    tz = timezone.get_current_timezone()
    bookings = service.bookings.filter(
        status__in=Booking.SEAT_HOLDING,
        starts_at__gte=datetime.combine(first, datetime.min.time(), tz),
        starts_at__lt=datetime.combine(first + timedelta(days=days), datetime.min.time(), tz),
    ).order_by("starts_at", "pk")
    by_start: dict[datetime, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_start[booking.starts_at].append(booking)
    for day in result:
        known = {slot.starts_at for slot in day.slots}
        for slot in day.slots:
            slot.bookings = by_start.get(slot.starts_at, [])
        # A booking the schedule no longer has a slot for still shows, in a slot of its own.
        for start, stray in by_start.items():
            if timezone.localtime(start).date() == day.day and start not in known:
                day.slots.append(Slot(start, stray[0].ends_at, 0, len(stray), bookable=False, bookings=stray))
        day.slots.sort(key=lambda s: s.starts_at)
    return result


# --- residents -----------------------------------------------------------------------------------


def _open_services() -> QuerySet[Service]:
    return Service.objects.filter(
        is_active=True, counter__is_active=True, counter__department__is_active=True
    )


def _searched_text(service: Service) -> str:
    """What a resident's search words are looked for in: the Japanese master and the reader's language."""
    counter = service.counter
    texts = [
        service.name,
        service.description,
        counter.name,
        counter.category,
        counter.department.name,
        translated(service, "name"),
        translated(service, "description"),
        translated(counter, "name"),
        translated(counter, "category"),
    ]
    return " ".join(texts).casefold()


def service_catalogue(*, query: str = "") -> dict[str, list[Service]]:
    """Services residents can book, grouped by the counters' categories in the language being spoken;
    ``query`` searches names and descriptions, in Japanese or in that language (a city offers tens of
    services, not thousands: they are matched here rather than in the database's JSON)."""
    services = (
        _open_services()
        .select_related("counter__department")
        .order_by("counter__category", "counter__department__name", "counter__name", "name")
    )
    words = query.casefold().split()
    groups: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        if words and not all(word in _searched_text(service) for word in words):
            continue
        groups[translated(service.counter, "category")].append(service)
    return dict(groups)


def service_for_residents(*, pk: int) -> Service:
    # The questions (form and its current version) come with the service: every step of a booking
    # reads them, and two lazy loads a request showed in the booking rush (bench.reservations).
    service = (
        _open_services().select_related("counter__department", "form__current_version").filter(pk=pk).first()
    )
    if service is None:
        raise Http404
    return service


def resident_bookings(*, friend: Friend) -> QuerySet[Booking]:
    return Booking.objects.filter(friend=friend).select_related("service__counter").order_by("-starts_at")


def access_resident_booking(*, friend: Friend, receipt_number: str) -> Booking:
    booking = resident_bookings(friend=friend).filter(receipt_number=receipt_number).first()
    if booking is None:
        raise Http404
    return booking


def remembered_contact(*, friend: Friend) -> dict[str, Any]:
    """Name and contact from the resident's latest booking where they agreed to keep them."""
    booking = Booking.objects.filter(friend=friend, remember_contact=True).order_by("-created_at").first()
    return {"name": booking.name, "contact": booking.contact} if booking else {}
