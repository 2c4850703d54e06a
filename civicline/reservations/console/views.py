"""Staff pages of reservations: counters and services, the calendar, bookings, phone bookings.

Views stay thin: access through selectors (404 for another department's objects), call a
service, respond. Every page showing a booking's personal data writes an audit entry first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.calendar import DAY_LABELS
from civicline.core.console.decorators import staff_required
from civicline.core.console.forms import form_page
from civicline.core.exports import csv_response
from civicline.core.http import StaffRequest
from civicline.forms.console import builder

from .. import line_messages, selectors, services
from ..models import Booking, Counter, Service
from .forms import (
    BookingFilterForm,
    CancelForm,
    CounterForm,
    PhoneBookingForm,
    ServiceForm,
    SpecialDayForm,
)

PAGE_SIZE = 50


def _misfit_message(request: StaffRequest, misfits: list) -> None:
    if misfits:
        messages.warning(
            request,
            _(
                "変更後の受付時間・定員に合わない予約が %(n)s 件あります。予約メニューの画面で確認し、"
                "住民に連絡してください。"
            )
            % {"n": len(misfits)},
        )


# --- counters and services (RS-5, RS-9) -------------------------------------------------------------


@staff_required
def counter_list(request: StaffRequest) -> HttpResponse:
    counters = selectors.counter_list_for(fetched_by=request.user)
    return render(request, "reservations/console/counter_list.html", {"counters": counters})


def _counter_saved(counter: Counter) -> str:
    return _("窓口「%(name)s」を保存しました。") % {"name": counter.name}


@staff_required
def counter_create(request: StaffRequest) -> HttpResponse:
    def save(form: CounterForm) -> Counter:
        department = form.cleaned_data.get("department") or request.user.department
        if department is None:
            raise PermissionDenied(_("所属課のない職員は窓口を作成できません。"))
        return services.counter_create(actor=request.user, department=department, data=form.counter_data())

    return form_page(
        request,
        form=CounterForm(request.POST or None, staff=request.user),
        title=_("窓口を追加"),
        back="reservations:counter-list",
        save=save,
        success_message=_counter_saved,
    )


@staff_required
def counter_update(request: StaffRequest, pk: int) -> HttpResponse:
    counter = selectors.access_counter(fetched_by=request.user, pk=pk)
    form = CounterForm(request.POST or None, instance=counter, staff=request.user)
    form.fields.pop("department", None)  # a counter stays with its department
    return form_page(
        request,
        form=form,
        title=_("窓口を編集"),
        back="reservations:counter-list",
        save=lambda form: services.counter_update(
            actor=request.user, counter=counter, data=form.counter_data()
        ),
        success_message=_counter_saved,
    )


def _service_saved(service: Service) -> str:
    return _("予約メニュー「%(name)s」を保存しました。") % {"name": service.name}


def _service_url(service: Service) -> str:
    return reverse("reservations:service-detail", args=[service.pk])


@staff_required
def service_create(request: StaffRequest, counter_pk: int) -> HttpResponse:
    counter = selectors.access_counter(fetched_by=request.user, pk=counter_pk)
    return form_page(
        request,
        form=ServiceForm(request.POST or None),
        title=_("予約メニューを追加"),
        template="reservations/console/service_form.html",
        save=lambda form: services.service_create(
            actor=request.user, counter=counter, data=form.service_data()
        ),
        success_message=_service_saved,
        redirect_to=_service_url,
        counter=counter,
        service=None,
    )


@staff_required
def service_update(request: StaffRequest, pk: int) -> HttpResponse:
    service = selectors.access_service(fetched_by=request.user, pk=pk)

    def save(form: ServiceForm) -> Service:
        _misfit_message(
            request, services.service_update(actor=request.user, service=service, data=form.service_data())
        )
        return service

    return form_page(
        request,
        form=ServiceForm(request.POST or None, instance=service),
        title=_("予約メニューを編集"),
        template="reservations/console/service_form.html",
        save=save,
        success_message=_service_saved,
        redirect_to=_service_url,
        counter=service.counter,
        service=service,
    )


@staff_required
def service_questions(request: StaffRequest, pk: int) -> HttpResponse:
    """The service's extra questions (RS-13) in the forms builder the surveys use."""
    service = selectors.access_service(fetched_by=request.user, pk=pk)
    detail_url = reverse("reservations:service-detail", args=[service.pk])
    return builder.questions_page(
        request,
        form=service.form,
        template="reservations/console/questions.html",
        context={"service": service, "cancel_url": detail_url},
        done_url=detail_url,
    )


@staff_required
def service_detail(request: StaffRequest, pk: int) -> HttpResponse:
    service = selectors.access_service(fetched_by=request.user, pk=pk)
    special_form = SpecialDayForm(request.POST or None, prefix="special")
    if request.method == "POST" and special_form.is_valid():
        data = special_form.cleaned_data
        try:
            _special, misfits = services.special_day_save(
                actor=request.user,
                service=service,
                date=data["date"],
                kind=data["kind"],
                hours=data["hours_text"],
                note=data["note"],
                translations=special_form.translations_cleaned(),
            )
        except ValidationError as exc:
            special_form.add_error(None, exc)
        else:
            messages.success(request, _("%(date)s を設定しました。") % {"date": data["date"]})
            _misfit_message(request, misfits)
            return redirect("reservations:service-detail", pk=service.pk)
    context = {
        "service": service,
        "special_days": service.special_days.filter(date__gte=timezone.localdate()),
        "special_form": special_form,
        "misfits": services.booking_misfits(service=service),
        "hours": [(label, service.hours.get(key, [])) for key, label in DAY_LABELS.items()],
    }
    return render(request, "reservations/console/service_detail.html", context)


@staff_required
@require_POST
def special_day_delete(request: StaffRequest, pk: int, special_pk: int) -> HttpResponse:
    service = selectors.access_service(fetched_by=request.user, pk=pk)
    special = service.special_days.filter(pk=special_pk).first()
    if special is None:
        raise Http404
    services.special_day_delete(actor=request.user, special=special)
    messages.success(request, _("%(date)s の設定を削除しました。") % {"date": special.date})
    return redirect("reservations:service-detail", pk=service.pk)


# --- calendar -------------------------------------------------------------------------------------------


def _date_param(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()


@staff_required
def calendar(request: StaffRequest, pk: int) -> HttpResponse:
    """Day or week view of a service: every slot with seats taken and free."""
    service = selectors.access_service(fetched_by=request.user, pk=pk)
    chosen = _date_param(request.GET.get("date"))
    week = request.GET.get("view") != "day"
    first = chosen - timedelta(days=chosen.weekday()) if week else chosen
    span = 7 if week else 1
    days = selectors.calendar_for(service=service, first=first, days=span)
    times = sorted({timezone.localtime(slot.starts_at).time() for day in days for slot in day.slots})
    grid = [
        (
            moment,
            [
                next((s for s in day.slots if timezone.localtime(s.starts_at).time() == moment), None)
                for day in days
            ],
        )
        for moment in times
    ]
    context = {
        "service": service,
        "days": days,
        "grid": grid,
        "week": week,
        "chosen": chosen,
        "previous": first - timedelta(days=span),
        "next": first + timedelta(days=span),
        "today": timezone.localdate(),
    }
    return render(request, "reservations/console/calendar.html", context)


# --- bookings -------------------------------------------------------------------------------------------


def _filtered(request: StaffRequest) -> tuple[BookingFilterForm, Any]:
    form = BookingFilterForm(
        request.GET or None, services=selectors.service_list_for(fetched_by=request.user)
    )
    filters = form.filters()
    return form, filters


@staff_required
def booking_list(request: StaffRequest) -> HttpResponse:
    form, filters = _filtered(request)
    bookings = selectors.booking_list_for(fetched_by=request.user, filters=filters)
    page = Paginator(bookings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reservations/console/booking_list.html", {"form": form, "page": page})


@staff_required
def booking_export(request: StaffRequest) -> StreamingHttpResponse:
    _form, filters = _filtered(request)
    bookings = selectors.booking_list_for(fetched_by=request.user, filters=filters)
    services.booking_export_record(
        actor=request.user, filters=vars(filters), count=bookings.count()
    )
    header = [
        _("受付番号"),
        _("課"),
        _("窓口"),
        _("予約メニュー"),
        _("開始日時"),
        _("終了日時"),
        _("状態"),
        _("受付方法"),
        _("氏名"),
        _("連絡先"),
        _("質問への回答"),
        _("場所"),
        _("受付日時"),
        _("取消理由"),
    ]

    def rows():
        answered = bookings.select_related("response__version").prefetch_related("response__answers")
        for b in answered.iterator(chunk_size=500):
            answers = "\n".join(f"{q}: {a}" for q, a in selectors.booking_answers(b))
            yield [
                b.receipt_number,
                b.service.counter.department.name,
                b.service.counter.name,
                b.service.name,
                b.starts_at,
                b.ends_at,
                b.get_status_display(),
                b.get_channel_display(),
                b.name,
                b.contact,
                answers,
                (b.location or {}).get("place", ""),
                b.created_at,
                b.cancel_reason,
            ]

    return csv_response(filename=f"予約一覧_{timezone.localdate():%Y%m%d}.csv", header=header, rows=rows())


@staff_required
def booking_detail(request: StaffRequest, pk: int) -> HttpResponse:
    booking = selectors.access_booking(fetched_by=request.user, pk=pk)
    services.booking_view_record(actor=request.user, booking=booking)
    context = {
        "booking": booking,
        "when": line_messages.when(booking),
        "answers": selectors.booking_answers(booking),
        "cancel_form": CancelForm(),
        "photos": booking.photos.all(),
    }
    return render(request, "reservations/console/booking_detail.html", context)


@staff_required
@require_POST
def booking_mark(request: StaffRequest, pk: int) -> HttpResponse:
    booking = selectors.access_booking(fetched_by=request.user, pk=pk)
    try:
        services.booking_mark(
            actor=request.user, booking=booking, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("「%(status)s」を記録しました。") % {"status": booking.get_status_display()}
        )
    return redirect("reservations:booking-detail", pk=booking.pk)


@staff_required
@require_POST
def booking_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    booking = selectors.access_booking(fetched_by=request.user, pk=pk)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("取消理由を入力してください。"))
        services.booking_cancel_by_staff(
            actor=request.user, booking=booking, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        note = _("住民にLINEでお知らせしました。") if booking.channel == Booking.Channel.LINE else ""
        messages.success(
            request, _("予約 %(number)s を取り消しました。") % {"number": booking.receipt_number} + note
        )
    return redirect("reservations:booking-detail", pk=booking.pk)


@staff_required
def booking_photo(request: StaffRequest, pk: int, photo_pk: int) -> FileResponse:
    photo = selectors.access_booking_photo(fetched_by=request.user, booking_pk=pk, pk=photo_pk)
    services.booking_view_record(
        actor=request.user, booking=photo.booking, what=_("予約の添付写真を表示")
    )
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def booking_phone(request: StaffRequest, pk: int) -> HttpResponse:
    """A booking taken on the phone (RS-4): the day's slots with seats, the caller's name and answers."""
    service = selectors.access_service(fetched_by=request.user, pk=pk)
    chosen = _date_param(request.GET.get("date"))
    (day,) = selectors.days_of(service, chosen, chosen)
    slots = [s for s in day.slots if s.bookable]
    form = PhoneBookingForm(
        request.POST or None,
        request.FILES or None,
        service=service,
        slots=slots,
        initial={"start": request.GET.get("start", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create_by_phone(
                actor=request.user,
                service=service,
                starts_at=datetime.fromisoformat(form.cleaned_data["start"]),
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                answers=form.answers(),
                capacity_override=form.cleaned_data["capacity_override"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("電話予約を登録しました。受付番号は %(number)s です。")
                % {"number": booking.receipt_number},
            )
            return redirect(
                reverse("reservations:calendar", args=[service.pk]) + f"?date={chosen.isoformat()}&view=day"
            )
    context = {
        "service": service,
        "form": form,
        "day": day,
        "chosen": chosen,
        "previous": chosen - timedelta(days=1),
        "next": chosen + timedelta(days=1),
    }
    return render(request, "reservations/console/phone_form.html", context)
