"""Every state change of reservations: configuration by staff (audited), bookings, cancellations,
attendance and reminders.

Taking a seat (RS-2) is one transaction that locks the slot's lock row, then counts the slot's
seat-holding bookings and inserts the new one. Its first statement is a write — the resident's row
lock when the service limits open bookings per resident, else the slot's lock — which is a row lock
on PostgreSQL and the database write lock on SQLite (so no read snapshot can go stale before the
write, as with BEGIN IMMEDIATE). The slot's lock comes last and is held only for the count and the
inserts: every booking of that slot waits for it. Seats are always counted from bookings, never kept
in a number that could drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.audit import (
    Action,
    audit_record,
    audited_change,
    audited_create,
    audited_delete,
    audited_update,
)
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.core.receipts import ReceiptPrefix, receipt_number_new
from civicline.forms import services as form_services
from civicline.forms.models import FormVersion
from civicline.line.languages import speaking_to
from civicline.line.messaging import message_multicast
from civicline.line.models import Friend

from . import line_messages, schedule
from .models import Booking, BookingPhoto, Counter, Service, SlotLock, SpecialDay
from .photos import StoredPhoto

# --- configuration (RS-5, RS-9, X-8) ------------------------------------------------------------


@transaction.atomic
def counter_create(*, actor: Staff, department: Department, data: dict[str, Any]) -> Counter:
    require_department(actor, department, message=_("他の課の窓口は作成できません。"))
    counter = Counter(department=department, **data)
    return audited_create(actor=actor, obj=counter, summary=_("窓口を作成"), fields=list(data))


@transaction.atomic
def counter_update(*, actor: Staff, counter: Counter, data: dict[str, Any]) -> Counter:
    require_department(actor, counter)
    return audited_update(actor=actor, obj=counter, data=data, summary=_("窓口を変更"))


@transaction.atomic
def service_create(*, actor: Staff, counter: Counter, data: dict[str, Any]) -> Service:
    """A service with an empty form for its extra questions (RS-13), edited in the forms builder;
    every answer to it is personal data, as it belongs to a named booking."""
    require_department(actor, counter)
    form = form_services.form_create(department=counter.department, title=data["name"], all_personal=True)
    service = Service(counter=counter, form=form, **data)
    return audited_create(actor=actor, obj=service, summary=_("予約メニューを作成"), fields=list(data))


def service_update(*, actor: Staff, service: Service, data: dict[str, Any]) -> list[Misfit]:
    """Save the new settings; return the bookings that no longer fit them (never dropped silently)."""
    require_department(actor, service)
    with transaction.atomic():
        audited_update(actor=actor, obj=service, data=data, summary=_("予約メニューを変更"))
        titles = {
            code: version["name"] for code, version in service.translations.items() if version.get("name")
        }
        form_services.form_rename(form=service.form, title=service.name, titles=titles)
    return booking_misfits(service=service)


@transaction.atomic
def special_day_save(
    *,
    actor: Staff,
    service: Service,
    date: Any,
    kind: str,
    hours: list[list[str]],
    note: str = "",
    translations: dict[str, dict[str, str]] | None = None,
) -> tuple[SpecialDay, list[Misfit]]:
    require_department(actor, service)
    if kind == SpecialDay.Kind.OPEN and not hours:
        raise ValidationError(_("臨時開設日には受付時間を入力してください。"))
    data = {
        "kind": kind,
        "hours": hours if kind == SpecialDay.Kind.OPEN else [],
        "note": note,
        "translations": translations or {},
    }
    summary = _("臨時の休業・開設日を設定")
    special = SpecialDay.objects.filter(service=service, date=date).first()
    if special is None:
        special = SpecialDay(service=service, date=date, **data)
        audited_create(actor=actor, obj=special, summary=summary, fields=["date", *data])
    else:
        audited_update(actor=actor, obj=special, data=data, summary=summary)
    return special, booking_misfits(service=service)


@transaction.atomic
def special_day_delete(*, actor: Staff, special: SpecialDay) -> None:
    require_department(actor, special)
    audited_delete(
        actor=actor, obj=special, summary=_("臨時の休業・開設日を削除"), fields=["date", "kind", "hours"]
    )


# --- bookings: the seat ---------------------------------------------------------------------------


def _lock_slot(service: Service, starts_at: datetime) -> None:
    """Take the slot's lock for the rest of the transaction; must be the transaction's first statement."""
    now = timezone.now()
    slot = SlotLock.objects.filter(service=service, starts_at=starts_at)
    if slot.update(touched_at=now):
        return
    try:
        with transaction.atomic():
            SlotLock.objects.create(service=service, starts_at=starts_at, touched_at=now)
    except IntegrityError:
        # Created by a concurrent booking, which has committed by now (the insert waited for it).
        slot.update(touched_at=now)


def seats_taken(*, service: Service, starts_at: datetime) -> int:
    return Booking.objects.filter(
        service=service, starts_at=starts_at, status__in=Booking.SEAT_HOLDING
    ).count()


def _open_bookings_of(friend: Friend, service: Service, now: datetime) -> int:
    return Booking.objects.filter(
        friend=friend, service=service, status=Booking.Status.BOOKED, starts_at__gte=now
    ).count()


def _slot_full() -> ValidationError:
    return ValidationError(
        _("申し訳ありません。この時間は満席になりました。別の時間をお選びください。"), code="full"
    )


def _check_slot(service: Service, starts_at: datetime, now: datetime) -> None:
    if not (service.is_active and service.counter.is_active):
        raise ValidationError(_("この予約メニューは現在受け付けていません。"))
    if not schedule.is_slot(service, starts_at):
        raise ValidationError(_("この日時は予約を受け付けていません。別の日時をお選びください。"))
    refusal = schedule.window_refusal(service, starts_at, now)
    if refusal:
        raise ValidationError(refusal)


def _take_seat(
    *,
    service: Service,
    starts_at: datetime,
    channel: str,
    name: str,
    contact: str,
    version: FormVersion,
    answers: dict[str, Any],
    location: dict[str, Any] | None,
    photos: Sequence[StoredPhoto],
    friend: Friend | None,
    actor: Staff | None,
    capacity_override: bool,
    remember_contact: bool,
    now: datetime,
    receipt_number: str,
) -> Booking:
    # Everything that does not need the slot comes before its lock, which every resident booking
    # that slot waits for: the lock is held for the count and the inserts only (and the commit).
    if friend is not None and service.max_open_per_resident:
        # The resident's row lock keeps two of their bookings for different slots from both passing.
        # Taken by a write, so that it is the transaction's first statement on SQLite too (the
        # database's write lock, see the module's docstring); always before the slot's lock, so the
        # two locks are taken in one order and two bookings cannot deadlock.
        Friend.objects.filter(pk=friend.pk).update(last_seen=F("last_seen"))
        if _open_bookings_of(friend, service, now) >= service.max_open_per_resident:
            raise ValidationError(
                _("この予約メニューで同時に持てる予約は%(n)s件までです。予約の確認ページをご覧ください。"),
                params={"n": service.max_open_per_resident},
            )
    response = None
    if version.schema:
        response = form_services.response_submit(
            form=service.form, version=version, friend=friend, answers=answers
        )
    _lock_slot(service, starts_at)
    if seats_taken(service=service, starts_at=starts_at) >= service.seats_per_slot and not capacity_override:
        raise _slot_full()
    booking = Booking.objects.create(
        service=service,
        receipt_number=receipt_number,
        channel=channel,
        friend=friend,
        starts_at=starts_at,
        ends_at=starts_at + service.slot_length,
        name=name,
        contact=contact,
        response=response,
        location=location,
        remember_contact=remember_contact,
        capacity_override=capacity_override,
        created_by=actor,
    )
    BookingPhoto.objects.bulk_create(
        BookingPhoto(booking=booking, image=p.name, width=p.width, height=p.height) for p in photos
    )
    return booking


def _answers_checked(service: Service, answers: dict[str, Any] | None) -> tuple[FormVersion, dict[str, Any]]:
    """The version of the service's questions and the answers that count for it; a missing or
    malformed answer is refused here, before the transaction (these are reads: see the docstring)."""
    version = service.form.current_version
    assert version is not None  # service_create gives the form its first version
    return version, form_services.response_check(version=version, answers=answers or {})


def booking_create(
    *,
    friend: Friend,
    service: Service,
    starts_at: datetime,
    name: str,
    contact: str,
    answers: dict[str, Any] | None = None,
    location: dict[str, Any] | None = None,
    photos: Sequence[StoredPhoto] = (),
    remember_contact: bool = False,
    now: datetime | None = None,
) -> Booking:
    """A resident's booking from LINE (RS-1, RS-2): refused with a ValidationError if the slot is
    not open to booking, full, or the resident already holds the allowed number of bookings."""
    now = now or timezone.now()
    _check_slot(service, starts_at, now)
    # A slot already full is refused without queueing for its lock (a rush finds most slots full);
    # a seat freed meanwhile is no loss: the resident asked a moment too early. Checked again under
    # the lock, which is what keeps the slot from being overbooked.
    if seats_taken(service=service, starts_at=starts_at) >= service.seats_per_slot:
        raise _slot_full()
    # Drawn before the transaction: its uniqueness check is a read, and the transaction's first
    # statement must be a write (see the module's docstring).
    version, answers = _answers_checked(service, answers)
    receipt_number = receipt_number_new(prefix=ReceiptPrefix.BOOKING, model=Booking)
    with transaction.atomic():
        booking = _take_seat(
            service=service,
            starts_at=starts_at,
            channel=Booking.Channel.LINE,
            name=name,
            contact=contact,
            version=version,
            answers=answers,
            location=location,
            photos=photos,
            friend=friend,
            actor=None,
            capacity_override=False,
            remember_contact=remember_contact,
            now=now,
            receipt_number=receipt_number,
        )
        if friend.is_following:
            # In the resident's language wherever the booking is made (their LIFF page already speaks it).
            with speaking_to(friend):
                confirmation = line_messages.booked(booking)
            message_multicast(to=[friend.user_id], messages=confirmation, background=True)
        _notify_department(booking, "created")
    return booking


def booking_create_by_phone(
    *,
    actor: Staff,
    service: Service,
    starts_at: datetime,
    name: str,
    contact: str,
    answers: dict[str, Any] | None = None,
    capacity_override: bool = False,
    now: datetime | None = None,
) -> Booking:
    """A booking taken by staff on the phone (RS-4), on the residents' rules; going over the seats
    needs ``capacity_override``, which the audit log records."""
    require_department(actor, service)
    now = now or timezone.now()
    _check_slot(service, starts_at, now)
    version, answers = _answers_checked(service, answers)
    receipt_number = receipt_number_new(prefix=ReceiptPrefix.BOOKING, model=Booking)
    with transaction.atomic():
        booking = _take_seat(
            service=service,
            starts_at=starts_at,
            channel=Booking.Channel.PHONE,
            name=name,
            contact=contact,
            version=version,
            answers=answers,
            location=None,
            photos=(),
            friend=None,
            actor=actor,
            capacity_override=capacity_override,
            remember_contact=False,
            now=now,
            receipt_number=receipt_number,
        )
        summary = _("電話予約を登録")
        if capacity_override:
            summary = _("電話予約を定員を超えて登録")
        audit_record(
            action=Action.CREATE,
            actor=actor,
            target=booking,
            summary=summary,
            changes={
                "service": service.name,
                "starts_at": starts_at,
                "capacity_override": capacity_override,
                "seats_taken_before": seats_taken(service=service, starts_at=starts_at) - 1,
            },
        )
        _notify_department(booking, "created")
    return booking


# --- cancel, attendance ---------------------------------------------------------------------------


def booking_cancel_by_resident(*, friend: Friend, booking: Booking, now: datetime | None = None) -> Booking:
    """The resident cancels their own LINE booking before the deadline (RS-10, RS-11).

    The seat is free again as soon as this commits."""
    now = now or timezone.now()
    with transaction.atomic():
        # The conditional write comes first: it decides between two concurrent cancels on both databases.
        cancelled = Booking.objects.filter(pk=booking.pk, friend=friend, status=Booking.Status.BOOKED).update(
            status=Booking.Status.CANCELLED, cancelled_at=now
        )
        booking.refresh_from_db()
        if not cancelled:
            raise ValidationError(_("この予約はすでに取り消されているか、取り消せない状態です。"))
        deadline = schedule.cancel_deadline(booking.service, booking.starts_at)
        if now >= deadline:
            raise ValidationError(line_messages.deadline_passed(booking, deadline), code="deadline")
        _notify_department(booking, "cancelled")
    return booking


def booking_cancel_by_staff(*, actor: Staff, booking: Booking, reason: str) -> Booking:
    """Staff cancel any booking of their department with a reason; a LINE booker gets it by LINE."""
    require_department(actor, booking)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("取消理由を入力してください。"))
    fields = ["status", "cancel_reason"]
    with audited_change(actor=actor, obj=booking, summary=_("予約を取消"), fields=fields):
        # A conditional write: of two staff cancelling at once, one cancels and the other is told.
        cancelled = Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
            status=Booking.Status.CANCELLED,
            cancelled_at=timezone.now(),
            cancel_reason=reason,
            cancelled_by_staff=True,
        )
        booking.refresh_from_db()
        if not cancelled:
            raise ValidationError(_("予約中の予約だけ取り消せます。"))
        if booking.friend is not None and booking.friend.is_following:
            # Built for the resident, in their language, not the clerk's.
            with speaking_to(booking.friend):
                notice = line_messages.cancelled(booking)
            message_multicast(to=[booking.friend.user_id], messages=notice, background=True)
        _notify_department(booking, "cancelled")
    return booking


ATTENDANCE = (Booking.Status.ATTENDED, Booking.Status.NO_SHOW)


def booking_mark(*, actor: Staff, booking: Booking, status: str) -> Booking:
    """Record that the resident came, or did not (the seat stays taken either way)."""
    require_department(actor, booking)
    if status not in ATTENDANCE:
        raise ValidationError(_("来庁済みか無断キャンセルを選んでください。"))
    with audited_change(actor=actor, obj=booking, summary=_("来庁状況を記録"), fields=["status"]):
        marked = Booking.objects.filter(pk=booking.pk, status__in=(Booking.Status.BOOKED, *ATTENDANCE))
        if not marked.update(status=status):
            raise ValidationError(_("取り消された予約の来庁状況は記録できません。"))
        booking.refresh_from_db()
    return booking


def booking_view_record(*, actor: Staff, booking: Booking, what: str = "") -> None:
    """Every look at a booking's personal data leaves an audit entry (X-15)."""
    audit_record(
        action=Action.VIEW_PERSONAL, actor=actor, target=booking, summary=what or _("予約の個人情報を表示")
    )


def booking_export_record(*, actor: Staff, filters: dict[str, Any], count: int) -> None:
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        department=actor.department,
        summary=_("予約一覧をCSVで出力（%(n)s件）") % {"n": count},
        changes={"filters": filters},
    )


# --- schedule changes -------------------------------------------------------------------------------


class Misfit:
    """A future booking the current schedule no longer has room for, and why."""

    def __init__(self, booking: Booking, reason: str):
        self.booking, self.reason = booking, reason

    def __repr__(self) -> str:
        return f"Misfit({self.booking.receipt_number}, {self.reason})"


def booking_misfits(*, service: Service, now: datetime | None = None) -> list[Misfit]:
    """Future bookings outside the schedule's slots, or over the seat count (the latest ones first)."""
    now = now or timezone.now()
    upcoming = list(
        service.bookings.filter(status=Booking.Status.BOOKED, starts_at__gte=now).order_by("starts_at", "pk")
    )
    if not upcoming:
        return []
    days = sorted({timezone.localtime(b.starts_at).date() for b in upcoming})
    specials = schedule.special_days(service, days[0], days[-1])
    starts = {
        day: set(
            schedule.slot_starts(schedule.day_plan(service, day, specials.get(day)), service.slot_minutes)
        )
        for day in days
    }
    held: dict[datetime, int] = {}
    for starts_at in {b.starts_at for b in upcoming}:
        held[starts_at] = seats_taken(service=service, starts_at=starts_at)
    misfits = []
    for booking in reversed(upcoming):
        if booking.starts_at not in starts[timezone.localtime(booking.starts_at).date()]:
            misfits.append(Misfit(booking, _("受付時間外になりました")))
        elif held[booking.starts_at] > service.seats_per_slot and not booking.capacity_override:
            misfits.append(Misfit(booking, _("定員を超えています")))
            held[booking.starts_at] -= 1
    misfits.reverse()
    return misfits


# --- notifications ------------------------------------------------------------------------------------


def _notify_department(booking: Booking, event: str) -> None:
    from .tasks import booking_notify_department_task

    if booking.service.notification_email or booking.service.department.email:
        transaction.on_commit(lambda: booking_notify_department_task(booking.pk, event))


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """Record today's reminders whose time has come (RS-12); returns how many.

    Each booking is claimed (``reminder_sent_at``) in the same transaction that records its LINE send,
    and the send goes out after commit with its retry key: a restarted worker finds it claimed and
    the send's own sweep finishes an interrupted delivery, so a resident is reminded exactly once.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        channel=Booking.Channel.LINE,
        reminder_sent_at__isnull=True,
        starts_at__gte=now,
        starts_at__lt=day_start + timedelta(days=1),
        created_at__lt=day_start,
        friend__state=Friend.State.FOLLOWING,
    ).select_related("service__counter", "friend")
    sent = 0
    for booking in due:
        if local.time() < booking.service.reminder_time:
            continue
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                assert booking.friend is not None  # the query asked for a following friend
                with speaking_to(booking.friend):
                    reminder = line_messages.reminder(booking)
                message_multicast(to=[booking.friend.user_id], messages=reminder, background=True)
                sent += 1
    return sent
