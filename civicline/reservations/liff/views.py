"""Resident pages (LIFF): choose a service, a day, a time; fill in the form; confirm; done; My bookings.

Between the form and the confirmation the answers wait in the session, sealed like any personal
data (X-16); photos are already checked and stored by then, because a file cannot be posted twice.
"""

from __future__ import annotations

import json
from calendar import Calendar
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from civicline.core.crypto import seal, unseal
from civicline.forms import files, schema
from civicline.forms.fields import WholeForm
from civicline.line.liff.auth import ResidentRequest, resident_required

from .. import line_messages, schedule, selectors, services
from ..models import Booking, Service
from ..photos import StoredPhoto, photo_store
from .forms import BookingForm

DRAFT_KEY = "reservations.draft"
START_FORMAT = "%Y%m%d%H%M"


def _start_param(value: str) -> datetime:
    try:
        naive = datetime.strptime(value, START_FORMAT)
    except ValueError as exc:
        raise Http404 from exc
    return timezone.make_aware(naive)


def _start_value(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(START_FORMAT)


def _when(service: Service, starts_at: datetime) -> str:
    return line_messages.when(
        Booking(service=service, starts_at=starts_at, ends_at=starts_at + service.slot_length)
    )


# --- choosing --------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@resident_required
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    groups = selectors.service_catalogue(query=query)
    return render(request, "reservations/liff/index.html", {"groups": groups, "query": query})


@require_http_methods(["GET"])
@resident_required
def service(request: HttpRequest, pk: int) -> HttpResponse:
    """A month calendar where only days with free seats can be chosen."""
    service = selectors.service_for_residents(pk=pk)
    now = timezone.now()
    window = schedule.bookable_days(service, now)
    months = sorted({(d.year, d.month) for d in window})
    try:
        month = tuple(int(x) for x in request.GET.get("month", "").split("-"))
    except ValueError:
        month = ()
    if month not in months:
        month = months[0] if months else (now.year, now.month)
    year, number = month
    weeks = Calendar(firstweekday=6).monthdatescalendar(year, number)  # weeks start on Sunday, as in Japan
    free = {}
    if window:
        for day in selectors.days_of(
            service, max(weeks[0][0], window[0]), min(weeks[-1][-1], window[-1]), now=now
        ):
            free[day.day] = day
    index = months.index(month) if month in months else 0
    context = {
        "service": service,
        "weeks": [[(d, free.get(d), d.month == number) for d in week] for week in weeks],
        "month_start": date(year, number, 1),
        "previous": months[index - 1] if index > 0 else None,
        "next": months[index + 1] if index + 1 < len(months) else None,
        "has_free": any(d.free for d in free.values()),
    }
    return render(request, "reservations/liff/service.html", context)


@require_http_methods(["GET"])
@resident_required
def day(request: HttpRequest, pk: int, year: int, month: int, day: int) -> HttpResponse:
    service = selectors.service_for_residents(pk=pk)
    try:
        chosen = date(year, month, day)
    except ValueError as exc:
        raise Http404 from exc
    (plan,) = selectors.days_of(service, chosen, chosen)
    slots = [(slot, _start_value(slot.starts_at)) for slot in plan.slots if slot.bookable]
    return render(request, "reservations/liff/day.html", {"service": service, "plan": plan, "slots": slots})


# --- form, confirmation, done ----------------------------------------------------------------------


def _draft(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    sealed = request.session.get(DRAFT_KEY)
    if not sealed:
        return None
    try:
        draft = json.loads(unseal(sealed))
    except ValueError:
        return None
    return draft if draft.get("service") == service.pk else None


@require_http_methods(["GET", "POST"])
@resident_required
def booking_form(request: ResidentRequest, pk: int) -> HttpResponse:
    service = selectors.service_for_residents(pk=pk)
    starts_at = _start_param(request.GET.get("start", ""))
    if not schedule.is_slot(service, starts_at):
        raise Http404
    refusal = schedule.window_refusal(service, starts_at, timezone.now())
    draft = _draft(request, service)
    if draft and draft["start"] != _start_value(starts_at):
        draft = None
    # The answers so far keep a photo question's photo when the resident comes back to the form.
    earlier = draft["answers"] if draft else {}
    questions = service.form.questions
    if request.method == "POST":
        form = BookingForm(request.POST, request.FILES, service=service)
        answers_form = WholeForm(request.POST, request.FILES, questions=questions, answers=earlier)
        if all([form.is_valid(), answers_form.is_valid()]) and not refusal:
            try:
                photos = [photo_store(upload) for upload in form.cleaned_data.get("photos") or []]
            except ValidationError as exc:
                form.add_error("photos", exc)
            answers = answers_form.page_answers(files.photo_store)
            if not (form.errors or answers_form.errors):
                draft = {
                    "service": service.pk,
                    "start": _start_value(starts_at),
                    "name": form.cleaned_data["name"],
                    "contact": form.cleaned_data["contact"],
                    "remember": form.cleaned_data["remember_contact"],
                    "answers": {k: v for k, v in answers.items() if not schema.is_empty(v)},
                    "location": form.location(),
                    "photos": [vars(p) for p in photos],
                }
                request.session[DRAFT_KEY] = seal(json.dumps(draft, ensure_ascii=False))
                return redirect(reverse("reservations_liff:confirm", args=[service.pk]))
    else:
        if draft:
            initial = {
                "name": draft["name"],
                "contact": draft["contact"],
                "remember_contact": draft["remember"],
                **(draft["location"] or {}),
            }
        else:
            remembered = selectors.remembered_contact(friend=request.resident)
            initial = {**remembered, "remember_contact": bool(remembered)}
        form = BookingForm(initial=initial, service=service)
        answers_form = WholeForm(questions=questions, answers=earlier)
    context = {
        "service": service,
        "form": form,
        "answers_form": answers_form,
        "photos": {q["key"] for q in questions if q["type"] == "photo" and earlier.get(q["key"])},
        "when": _when(service, starts_at),
        "refusal": refusal,
        "day_url": _day_url(service, starts_at),
    }
    return render(request, "reservations/liff/form.html", context)


def _day_url(service: Service, starts_at: datetime) -> str:
    local = timezone.localtime(starts_at)
    return reverse("reservations_liff:day", args=[service.pk, local.year, local.month, local.day])


@require_http_methods(["GET", "POST"])
@resident_required
def booking_confirm(request: ResidentRequest, pk: int) -> HttpResponse:
    service = selectors.service_for_residents(pk=pk)
    draft = _draft(request, service)
    if draft is None:
        return redirect(reverse("reservations_liff:service", args=[service.pk]))
    starts_at = _start_param(draft["start"])
    error = ""
    if request.method == "POST":
        try:
            booking = services.booking_create(
                friend=request.resident,
                service=service,
                starts_at=starts_at,
                name=draft["name"],
                contact=draft["contact"],
                answers=draft["answers"],
                location=draft["location"],
                photos=[StoredPhoto(**p) for p in draft["photos"]],
                remember_contact=draft["remember"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session.pop(DRAFT_KEY, None)
            return redirect(reverse("reservations_liff:done", args=[booking.receipt_number]))
    context = {
        "service": service,
        "draft": draft,
        "when": _when(service, starts_at),
        "error": error,
        "answers": [
            (q["label"], text) for q, text in schema.displayed(service.form.questions, draft["answers"])
        ],
        "form_url": reverse("reservations_liff:form", args=[service.pk]) + "?start=" + draft["start"],
        "day_url": _day_url(service, starts_at),
    }
    return render(request, "reservations/liff/confirm.html", context, status=409 if error else 200)


@require_http_methods(["GET"])
@resident_required
def done(request: ResidentRequest, receipt: str) -> HttpResponse:
    booking = selectors.access_resident_booking(friend=request.resident, receipt_number=receipt)
    return render(
        request, "reservations/liff/done.html", {"booking": booking, "when": line_messages.when(booking)}
    )


# --- My bookings, cancel -----------------------------------------------------------------------------


def _rows(bookings: list[Booking], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for booking in bookings:
        deadline = schedule.cancel_deadline(booking.service, booking.starts_at)
        rows.append(
            {
                "booking": booking,
                "when": line_messages.when(booking),
                "deadline": deadline,
                "cancellable": booking.status == Booking.Status.BOOKED and now < deadline,
            }
        )
    return rows


@require_http_methods(["GET"])
@resident_required
def mine(request: ResidentRequest) -> HttpResponse:
    now = timezone.now()
    bookings = list(selectors.resident_bookings(friend=request.resident))
    upcoming = [b for b in bookings if b.starts_at >= now and b.status == Booking.Status.BOOKED]
    upcoming.reverse()
    past = [b for b in bookings if b not in upcoming][:20]
    return render(
        request, "reservations/liff/mine.html", {"upcoming": _rows(upcoming, now), "past": _rows(past, now)}
    )


@require_http_methods(["GET", "POST"])
@resident_required
def cancel(request: ResidentRequest, receipt: str) -> HttpResponse:
    booking = selectors.access_resident_booking(friend=request.resident, receipt_number=receipt)
    (row,) = _rows([booking], timezone.now())
    error = ""
    if request.method == "POST":
        try:
            services.booking_cancel_by_resident(friend=request.resident, booking=booking)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(reverse("reservations_liff:mine") + "?cancelled=" + booking.receipt_number)
    return render(
        request, "reservations/liff/cancel.html", {**row, "error": error}, status=409 if error else 200
    )


def resident_summary(request: ResidentRequest) -> str:
    """The resident's upcoming bookings, for their own page (/liff/)."""
    now = timezone.now()
    upcoming = selectors.resident_bookings(friend=request.resident).filter(
        status=Booking.Status.BOOKED, starts_at__gte=now, starts_at__lt=now + timedelta(days=400)
    )
    rows = _rows(list(reversed(upcoming)), now)
    return (
        render_to_string("reservations/liff/summary.html", {"upcoming": rows}, request=request)
        if rows
        else ""
    )
