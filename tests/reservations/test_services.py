"""Bookings and configuration: seats (RS-2), limits, phone bookings (RS-4), cancel (RS-10, RS-11),
attendance, schedule changes, reminders (RS-12) and the department's email (RS-15)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.line.models import Friend, OutboundSend
from civicline.reservations import services
from civicline.reservations.models import Booking, Counter, SpecialDay
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import ServiceFactory, answers_of, at, first_slot, open_day

pytestmark = pytest.mark.django_db

MULTICAST = "/v2/bot/message/multicast"


@pytest.fixture
def service(department):
    return ServiceFactory(
        counter__department=department,
        name="子育て相談",
        seats_per_slot=2,
        questions=[{"label": "ご相談内容", "type": "long_text", "required": False}],
    )


@pytest.fixture
def friend():
    return FriendFactory(user_id="U" + "1" * 32, state=Friend.State.FOLLOWING)


def book(service, friend, starts_at, **extra):
    return services.booking_create(
        friend=friend,
        service=service,
        starts_at=starts_at,
        name="豊中 花子",
        contact="090-1234-5678",
        **extra,
    )


def sent_texts() -> str:
    return json.dumps([s.messages for s in OutboundSend.objects.all()], ensure_ascii=False)


# --- taking a seat --------------------------------------------------------------------------------


def test_rs1_a_resident_books_a_free_slot_and_gets_a_receipt_number(service, friend):
    starts_at = first_slot(service)

    booking = book(service, friend, starts_at, answers={"q1": "夜泣き"})

    assert re.fullmatch(r"B-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", booking.receipt_number)
    assert booking.status == Booking.Status.BOOKED and booking.channel == Booking.Channel.LINE
    assert booking.ends_at == starts_at + timedelta(minutes=30)
    assert services.seats_taken(service=service, starts_at=starts_at) == 1


def test_x16_name_contact_and_answers_are_stored_encrypted(service, friend):
    booking = book(service, friend, first_slot(service), answers={"q1": "夜泣き"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, contact FROM reservations_booking WHERE id = %s", [booking.pk])
        raw = " ".join(cursor.fetchone())
        cursor.execute(
            "SELECT choice, text, terms, sealed FROM forms_answer WHERE response_id = %s",
            [booking.response_id],
        )
        raw += " ".join(" ".join(str(v) for v in row) for row in cursor.fetchall())
    assert "豊中" not in raw and "090" not in raw and "夜泣き" not in raw
    booking.refresh_from_db()
    assert booking.name == "豊中 花子" and answers_of(booking) == {"q1": "夜泣き"}


def test_rs13_a_missing_required_answer_is_refused_before_any_seat_is_taken(department, friend):
    service = ServiceFactory(
        counter__department=department, questions=[{"label": "品目", "type": "short_text", "required": True}]
    )

    with pytest.raises(ValidationError, match="「品目」に回答してください"):
        book(service, friend, first_slot(service), answers={})

    assert not Booking.objects.exists()


def test_rs6_the_line_confirmation_names_service_time_and_receipt_but_no_personal_data(service, friend):
    booking = book(service, friend, first_slot(service), answers={"q1": "夜泣き"})

    send = OutboundSend.objects.get()
    text = json.dumps(send.messages, ensure_ascii=False)
    assert booking.receipt_number in text and "子育て相談" in text
    assert f"feature=reservations&action=cancel&id={booking.receipt_number}" in text
    assert "豊中" not in text and "090" not in text and "夜泣き" not in text
    assert list(send.recipients.values_list("user_id", flat=True)) == [friend.user_id]


def test_rs2_a_full_slot_is_refused_and_a_cancellation_frees_the_seat(service, friend):
    starts_at = first_slot(service)
    first = book(service, FriendFactory(), starts_at)
    book(service, FriendFactory(), starts_at)

    with pytest.raises(ValidationError, match="満席"):
        book(service, friend, starts_at)
    services.booking_cancel_by_resident(friend=first.friend, booking=first)

    assert book(service, friend, starts_at).status == Booking.Status.BOOKED
    assert Booking.objects.filter(starts_at=starts_at).exclude(status="cancelled").count() == 2


@pytest.mark.parametrize(
    "moment",
    [
        lambda s: first_slot(s) + timedelta(minutes=10),  # not a slot start
        lambda s: at(open_day(s) + timedelta(days=(5 - open_day(s).weekday()) % 7), "10:00"),  # Saturday
        lambda s: first_slot(s, after=90),  # beyond the 60 days of the window
        lambda s: first_slot(s, after=0) - timedelta(days=7),  # in the past
    ],
    ids=["between-slots", "closed-saturday", "beyond-window", "past"],
)
def test_bookings_outside_the_schedule_are_refused_and_nothing_is_stored(service, friend, moment):
    with pytest.raises(ValidationError):
        book(service, friend, moment(service))

    assert not Booking.objects.exists() and not OutboundSend.objects.exists()


def test_a_special_closed_day_takes_its_slots_away(service, friend, staff_user):
    starts_at = first_slot(service)
    services.special_day_save(
        actor=staff_user, service=service, date=starts_at.date(), kind="closed", hours=[]
    )

    with pytest.raises(ValidationError, match="受け付けていません"):
        book(service, friend, starts_at)


def test_a_resident_holds_at_most_the_allowed_number_of_open_bookings(service, friend):
    service.max_open_per_resident = 1
    service.save()
    starts_at = first_slot(service)
    book(service, friend, starts_at)

    with pytest.raises(ValidationError, match="1件まで"):
        book(service, friend, starts_at + timedelta(minutes=30))
    assert book(service, FriendFactory(), starts_at + timedelta(minutes=30))


def test_an_inactive_service_takes_no_bookings(service, friend):
    service.is_active = False
    service.save()

    with pytest.raises(ValidationError, match="受け付けていません"):
        book(service, friend, first_slot(service))


# --- phone bookings (RS-4) ------------------------------------------------------------------------


def test_rs4_staff_book_by_phone_on_the_same_rules_and_override_capacity_only_explicitly(service, staff_user):
    starts_at = first_slot(service)
    for name in ("電話 一郎", "電話 二郎"):
        services.booking_create_by_phone(
            actor=staff_user, service=service, starts_at=starts_at, name=name, contact="06-0000-0000"
        )

    with pytest.raises(ValidationError, match="満席"):
        services.booking_create_by_phone(
            actor=staff_user, service=service, starts_at=starts_at, name="電話 三郎", contact="06-0000-0000"
        )
    extra = services.booking_create_by_phone(
        actor=staff_user,
        service=service,
        starts_at=starts_at,
        name="電話 三郎",
        contact="06-0000-0000",
        capacity_override=True,
    )

    assert (
        extra.channel == Booking.Channel.PHONE and extra.capacity_override and extra.created_by == staff_user
    )
    entry = AuditEntry.objects.filter(target_id=str(extra.pk)).get()
    assert entry.changes["capacity_override"] is True and "定員を超えて" in entry.summary
    assert entry.department_id == service.counter.department_id
    assert services.seats_taken(service=service, starts_at=starts_at) == 3
    assert not OutboundSend.objects.exists()  # no LINE user to tell


def test_phone_bookings_keep_the_window(service, staff_user):
    with pytest.raises(ValidationError, match="まだ予約を受け付けていません"):
        services.booking_create_by_phone(
            actor=staff_user,
            service=service,
            starts_at=first_slot(service, after=90),
            name="電話 一郎",
            contact="06",
            capacity_override=True,
        )


# --- cancel (RS-10, RS-11) ------------------------------------------------------------------------


def test_rs11_a_resident_cannot_cancel_after_the_deadline(service, friend):
    service.cancel_days_before = 2
    service.save()
    starts_at = first_slot(service, after=3)
    booking = book(service, friend, starts_at)

    with pytest.raises(ValidationError, match="取消の受付期限"):
        services.booking_cancel_by_resident(friend=friend, booking=booking, now=starts_at - timedelta(days=1))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_a_resident_cannot_cancel_someone_elses_booking(service, friend):
    booking = book(service, friend, first_slot(service))

    with pytest.raises(ValidationError):
        services.booking_cancel_by_resident(friend=FriendFactory(), booking=booking)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_staff_cancel_with_a_reason_that_the_line_booker_receives(service, friend, staff_user):
    booking = book(service, friend, first_slot(service))

    with pytest.raises(ValidationError, match="取消理由"):
        services.booking_cancel_by_staff(actor=staff_user, booking=booking, reason="  ")
    services.booking_cancel_by_staff(actor=staff_user, booking=booking, reason="担当者の急病のため")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_by_staff
    assert "担当者の急病のため" in json.dumps(OutboundSend.objects.latest("pk").messages, ensure_ascii=False)
    entry = AuditEntry.objects.get(target_id=str(booking.pk), action="update")
    assert entry.changes["cancel_reason"]["after"] == "担当者の急病のため" and entry.request_id


def test_x4_staff_of_another_department_change_none_of_its_counters_services_or_bookings(
    service, friend
):
    outsider = StaffFactory()
    booking = book(service, friend, first_slot(service))
    attempts = [
        lambda: services.counter_update(actor=outsider, counter=service.counter, data={"name": "x"}),
        lambda: services.service_update(actor=outsider, service=service, data={"name": "x"}),
        lambda: services.special_day_save(
            actor=outsider, service=service, date=open_day(service), kind="closed", hours=[]
        ),
        lambda: services.booking_create_by_phone(
            actor=outsider, service=service, starts_at=first_slot(service, after=10), name="x", contact="06"
        ),
        lambda: services.booking_cancel_by_staff(actor=outsider, booking=booking, reason="x"),
        lambda: services.booking_mark(actor=outsider, booking=booking, status="attended"),
    ]

    for attempt in attempts:
        with pytest.raises(NotYourDepartment):
            attempt()

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED and Booking.objects.count() == 1
    assert not SpecialDay.objects.exists() and not AuditEntry.objects.filter(actor=outsider).exists()


def test_attendance_is_recorded_and_audited_but_not_for_cancelled_bookings(service, friend, staff_user):
    booking = book(service, friend, first_slot(service))

    services.booking_mark(actor=staff_user, booking=booking, status="no_show")
    services.booking_mark(actor=staff_user, booking=booking, status="attended")
    cancelled = book(service, FriendFactory(), first_slot(service))
    services.booking_cancel_by_resident(friend=cancelled.friend, booking=cancelled)

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.ATTENDED
    with pytest.raises(ValidationError):
        services.booking_mark(actor=staff_user, booking=cancelled, status="attended")
    assert AuditEntry.objects.filter(target_id=str(booking.pk), action="update").count() == 2


# --- schedule changes never drop bookings silently (RS-5) -----------------------------------------


def test_bookings_that_no_longer_fit_a_changed_schedule_are_listed(service, friend, staff_user):
    starts_at = first_slot(service)  # 09:00
    early = book(service, friend, starts_at)
    later = book(service, FriendFactory(), starts_at + timedelta(hours=1))  # 10:00
    crowd = book(service, FriendFactory(), starts_at + timedelta(hours=1))

    misfits = services.service_update(
        actor=staff_user,
        service=service,
        data={"hours": {str(d): [["10:00", "12:00"]] for d in range(5)}, "seats_per_slot": 1},
    )

    assert [(m.booking, m.reason) for m in misfits] == [
        (early, "受付時間外になりました"),
        (crowd, "定員を超えています"),
    ]
    assert later.pk not in [m.booking.pk for m in misfits]
    assert Booking.objects.filter(status="booked").count() == 3  # nothing was dropped
    entry = AuditEntry.objects.filter(action="update", target_type="reservations.service").get()
    assert entry.changes["seats_per_slot"] == {"before": 2, "after": 1}


def test_a_closed_day_set_after_bookings_lists_them(service, friend, staff_user):
    booking = book(service, friend, first_slot(service))

    _special, misfits = services.special_day_save(
        actor=staff_user,
        service=service,
        date=booking.starts_at.date(),
        kind=SpecialDay.Kind.CLOSED,
        hours=[],
        note="停電のため",
    )

    assert [m.booking for m in misfits] == [booking]


def test_department_staff_cannot_create_a_counter_for_another_department(staff_user, other_department):
    with pytest.raises(NotYourDepartment, match="他の課の窓口は作成できません"):
        services.counter_create(
            actor=staff_user, department=other_department, data={"name": "窓口", "category": "ごみ"}
        )

    assert not Counter.objects.exists()


# --- reminders (RS-12) ----------------------------------------------------------------------------


def test_rs12_the_reminder_goes_out_once_on_the_morning_of_the_booking(service, friend, staff_user):
    starts_at = first_slot(service)
    booking = book(service, friend, starts_at)
    book(service, FriendFactory(state=Friend.State.BLOCKED), starts_at)  # blocked: LINE would refuse
    services.booking_create_by_phone(
        actor=staff_user,
        service=service,
        starts_at=starts_at + timedelta(hours=1),
        name="電話 一郎",
        contact="06",
    )
    day = starts_at.date()
    before = OutboundSend.objects.count()

    assert services.booking_reminders_send(now=at(day, "07:59")) == 0
    assert services.booking_reminders_send(now=at(day, "08:00")) == 1
    assert (
        services.booking_reminders_send(now=at(day, "08:05")) == 0
    )  # a restarted worker sends nothing again

    reminder = OutboundSend.objects.order_by("pk")[before]
    text = json.dumps(reminder.messages, ensure_ascii=False)
    assert "本日はご予約の日です" in text and booking.receipt_number in text and "豊中" not in text
    booking.refresh_from_db()
    assert booking.reminder_sent_at is not None


def test_no_reminder_for_a_cancelled_booking(service, friend):
    booking = book(service, friend, first_slot(service))
    services.booking_cancel_by_resident(friend=friend, booking=booking)

    assert services.booking_reminders_send(now=at(booking.starts_at.date(), "08:30")) == 0


# --- the department's email (RS-15) ---------------------------------------------------------------


def test_rs15_the_department_is_emailed_for_new_bookings_and_cancellations_without_personal_data(
    service, friend, fake_line_api, run_on_commit
):
    with run_on_commit():
        booking = book(service, friend, first_slot(service), answers={"q1": "夜泣き"})
    with run_on_commit():
        services.booking_cancel_by_resident(friend=friend, booking=booking)

    created, cancelled = mail.outbox
    assert created.to == ["soudan@city.example.jp"]
    assert "新しい予約" in created.subject and "予約の取消" in cancelled.subject
    for message in (created, cancelled):
        assert booking.receipt_number in message.subject
        assert f"/console/reservations/bookings/{booking.pk}/" in message.body
        assert (
            "豊中" not in message.body + message.subject
            and "090" not in message.body
            and "夜泣き" not in message.body
        )
    assert len(fake_line_api.to(MULTICAST)) == 1  # the confirmation went out to LINE


def test_answers_are_in_the_email_only_where_the_department_allows_it(
    department, friend, fake_line_api, run_on_commit
):
    service = ServiceFactory(
        counter__department=department,
        questions=[{"label": "品目", "type": "short_text", "required": True}],
        notify_with_answers=True,
    )

    with run_on_commit():
        book(service, friend, first_slot(service), answers={"q1": "タンス"})

    (message,) = mail.outbox
    assert "品目: タンス" in message.body and "豊中" not in message.body


def test_without_a_service_address_the_mail_goes_to_the_department(
    department, friend, fake_line_api, run_on_commit
):
    service = ServiceFactory(counter__department=department, notification_email="")

    with run_on_commit():
        book(service, friend, first_slot(service))

    assert mail.outbox[0].to == [department.email]


def test_staff_actions_on_configuration_are_audited(department):
    staff = StaffFactory(department=department)
    counter = services.counter_create(
        actor=staff, department=department, data={"name": "粗大ごみ受付", "category": "ごみ・環境"}
    )

    services.counter_update(actor=staff, counter=counter, data={"name": "粗大ごみ受付センター"})

    actions = list(
        AuditEntry.objects.filter(target_type="reservations.counter").values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "update"]
