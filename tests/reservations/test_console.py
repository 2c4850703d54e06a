"""Staff pages (RS-4, RS-5, RS-9, X-4, X-15): configuration, calendar, bookings, CSV, phone bookings,
and department isolation: another department's counters and bookings answer 404 and never appear."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from civicline.core.models import AuditEntry
from civicline.line.models import OutboundSend
from civicline.reservations import services
from civicline.reservations.models import Booking, Counter, Service, SpecialDay
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import CounterFactory, ServiceFactory, first_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(department):
    return ServiceFactory(
        counter__department=department, counter__name="子育て相談窓口", name="子育て相談", seats_per_slot=2
    )


@pytest.fixture
def other_service(other_department):
    return ServiceFactory(
        counter__department=other_department, counter__name="粗大ごみ受付", name="粗大ごみ収集"
    )


def book(service, name="豊中 花子", after=3, **extra):
    return services.booking_create(
        friend=FriendFactory(),
        service=service,
        starts_at=first_slot(service, after=after),
        name=name,
        contact="090-1234-5678",
        **extra,
    )


def service_post(**overrides):
    data = {
        "name": "子育て相談（夜間）",
        "description": "",
        "is_active": "on",
        "slot_minutes": "30",
        "seats_per_slot": "2",
        "hours_0": "9:00-12:00, 13:00-17:00",
        "hours_1": "9:00-12:00",
        "hours_2": "",
        "hours_3": "",
        "hours_4": "",
        "hours_5": "",
        "hours_6": "",
        "hours_holiday": "",
        "year_end_closed": "on",
        "book_from_days": "1",
        "book_until_days": "60",
        "book_cutoff": "17:00",
        "cancel_days_before": "2",
        "cancel_cutoff": "17:00",
        "max_open_per_resident": "1",
        "notification_email": "soudan@city.example.jp",
        "reminder_time": "08:00",
        "reminder_text": "",
    }
    return {**data, **overrides}


# --- configuration (RS-5, RS-9, X-8) --------------------------------------------------------------


def test_rs5_department_staff_add_a_counter_for_their_own_department(staff_client, staff_user):
    response = staff_client.post(
        "/console/reservations/counters/new",
        {"name": "子育て相談窓口", "category": "子育て", "place": "2階", "is_active": "on"},
    )

    assert response.status_code == 302
    counter = Counter.objects.get()
    assert counter.department == staff_user.department
    assert AuditEntry.objects.filter(action="create", target_type="reservations.counter").exists()


def test_rs9_a_service_is_configured_with_hours_and_rules(staff_client, service):
    response = staff_client.post(
        f"/console/reservations/counters/{service.counter.pk}/services/new", service_post()
    )

    assert response.status_code == 302
    created = Service.objects.get(name="子育て相談（夜間）")
    assert created.hours == {"0": [["09:00", "12:00"], ["13:00", "17:00"]], "1": [["09:00", "12:00"]]}
    assert created.cancel_days_before == 2 and created.book_cutoff.hour == 17
    assert created.form.questions == [] and created.form.department == created.counter.department


def question_rows(*items: dict) -> dict:
    data = {"q-INITIAL_FORMS": "0", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "100"}
    data["q-TOTAL_FORMS"] = str(len(items))
    for index, item in enumerate(items):
        data.update({f"q-{index}-{name}": value for name, value in item.items()})
    return data


def test_rs13_the_service_page_leads_to_the_forms_builder_and_every_answer_is_sealed(staff_client, service):
    detail = staff_client.get(f"/console/reservations/services/{service.pk}/").content.decode()
    url = f"/console/reservations/services/{service.pk}/questions"
    assert url in detail

    response = staff_client.post(
        url,
        question_rows(
            {"ref": "a", "label": "子の年齢", "type": "single", "required": "1", "choices": "0歳\n1歳"},
            {"ref": "b", "label": "ご相談の内容", "type": "long_text", "help": "簡単にお書きください"},
        ),
    )

    assert response.status_code == 302
    service.form.refresh_from_db()
    age, topic = service.form.questions
    assert (age["label"], age["type"], age["required"]) == ("子の年齢", "single", True)
    assert age["choices"] == ["0歳", "1歳"]
    assert (topic["type"], topic["help"], topic["required"]) == ("long_text", "簡単にお書きください", False)
    # Not ticked in the builder, yet sealed: a booking's answers belong to a named resident.
    assert age["personal"] and topic["personal"]
    assert AuditEntry.objects.filter(action="update", target_type="forms.form").exists()


def test_another_departments_service_questions_are_not_found(staff_client, other_service):
    assert staff_client.get(f"/console/reservations/services/{other_service.pk}/questions").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours_0": "9時から12時"}, "時間帯として読めません"),
        ({"hours_0": "12:00-9:00"}, "終了が開始より後"),
        ({"book_until_days": "0", "book_from_days": "3"}, "以上にしてください"),
    ],
)
def test_bad_configuration_is_explained_and_nothing_is_saved(staff_client, service, overrides, message):
    response = staff_client.post(
        f"/console/reservations/counters/{service.counter.pk}/services/new", service_post(**overrides)
    )

    assert response.status_code == 200 and message in response.content.decode()
    assert not Service.objects.filter(name="子育て相談（夜間）").exists()


def test_a_schedule_change_warns_about_bookings_that_no_longer_fit(staff_client, service):
    booking = book(service)  # 09:00 on a weekday
    data = service_post(name=service.name, **{f"hours_{d}": "13:00-17:00" for d in range(5)})

    response = staff_client.post(f"/console/reservations/services/{service.pk}/edit", data, follow=True)

    page = response.content.decode()
    assert "合わない予約が 1 件" in page and booking.receipt_number in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_special_days_are_added_and_removed(staff_client, service):
    day = first_slot(service).date()

    staff_client.post(
        f"/console/reservations/services/{service.pk}/",
        {"special-date": day.isoformat(), "special-kind": "closed", "special-note": "研修"},
    )
    special = SpecialDay.objects.get()
    staff_client.post(f"/console/reservations/services/{service.pk}/special-days/{special.pk}/delete")

    assert special.note == "研修" and not SpecialDay.objects.exists()


# --- department isolation (X-4) -------------------------------------------------------------------


def test_x4_lists_show_only_the_own_departments_counters_and_bookings(staff_client, service, other_service):
    mine, theirs = book(service), book(other_service)

    counters = staff_client.get("/console/reservations/").content.decode()
    bookings = staff_client.get("/console/reservations/bookings/").content.decode()
    export = b"".join(staff_client.get("/console/reservations/bookings/export").streaming_content).decode()

    assert "子育て相談窓口" in counters and "粗大ごみ受付" not in counters
    assert mine.receipt_number in bookings and theirs.receipt_number not in bookings
    assert mine.receipt_number in export and theirs.receipt_number not in export


@pytest.mark.parametrize(
    "url",
    [
        "/console/reservations/counters/{counter}/edit",
        "/console/reservations/counters/{counter}/services/new",
        "/console/reservations/services/{service}/",
        "/console/reservations/services/{service}/edit",
        "/console/reservations/services/{service}/calendar",
        "/console/reservations/services/{service}/phone",
        "/console/reservations/bookings/{booking}/",
    ],
)
def test_x4_another_departments_pages_answer_404(staff_client, other_service, url):
    booking = book(other_service)
    path = url.format(counter=other_service.counter.pk, service=other_service.pk, booking=booking.pk)

    assert staff_client.get(path).status_code == 404


def test_x4_another_departments_booking_cannot_be_changed(staff_client, other_service):
    booking = book(other_service)

    cancel = staff_client.post(f"/console/reservations/bookings/{booking.pk}/cancel", {"reason": "x"})
    mark = staff_client.post(
        f"/console/reservations/bookings/{booking.pk}/attendance", {"status": "attended"}
    )

    assert cancel.status_code == mark.status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_the_system_administrator_sees_every_department(system_admin_client, service, other_service):
    page = system_admin_client.get("/console/reservations/").content.decode()

    assert "子育て相談窓口" in page and "粗大ごみ受付" in page


# --- bookings -------------------------------------------------------------------------------------


def test_x15_viewing_a_bookings_personal_data_is_audited(staff_client, service, staff_user):
    booking = book(service, answers={"q1": "夜泣き"})

    page = staff_client.get(f"/console/reservations/bookings/{booking.pk}/").content.decode()

    assert "豊中 花子" in page and "090-1234-5678" in page
    entry = AuditEntry.objects.get(action="view_personal")
    assert entry.actor == staff_user and entry.target_id == str(booking.pk)


def test_the_list_shows_no_names(staff_client, service):
    book(service)

    assert "豊中" not in staff_client.get("/console/reservations/bookings/").content.decode()


def test_the_list_filters_by_status_and_channel(staff_client, service, staff_user):
    line = book(service)
    phone = services.booking_create_by_phone(
        actor=staff_user,
        service=service,
        starts_at=first_slot(service, after=10),
        name="電話 一郎",
        contact="06",
    )

    only_phone = staff_client.get("/console/reservations/bookings/", {"channel": "phone"}).content.decode()
    cancelled = staff_client.get("/console/reservations/bookings/", {"status": "cancelled"}).content.decode()

    assert phone.receipt_number in only_phone and line.receipt_number not in only_phone
    assert "該当する予約はありません" in cancelled


def test_csv_export_is_excel_ready_formula_safe_and_audited(staff_client, service):
    book(service, name='=HYPERLINK("http://evil.example","click")')

    response = staff_client.get("/console/reservations/bookings/export")
    body = b"".join(response.streaming_content).decode("utf-8")

    assert body.startswith("\ufeff受付番号")
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    assert "090-1234-5678" in body
    assert AuditEntry.objects.filter(action="export", summary__contains="予約一覧").exists()


def test_xss_in_a_residents_answers_is_escaped_in_the_console(staff_client, department):
    service = ServiceFactory(
        counter__department=department,
        questions=[{"label": "相談内容", "type": "long_text", "required": False}],
    )
    booking = book(service, name="<img src=x onerror=alert(1)>", answers={"q1": "<script>alert(2)</script>"})

    page = staff_client.get(f"/console/reservations/bookings/{booking.pk}/").content.decode()

    assert "<img src=x" not in page and "<script>alert(2)" not in page and "&lt;script&gt;" in page


def test_staff_cancel_with_a_reason_and_the_line_booker_is_told(staff_client, service):
    booking = book(service)

    response = staff_client.post(
        f"/console/reservations/bookings/{booking.pk}/cancel", {"reason": "臨時休業のため"}, follow=True
    )

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancel_reason == "臨時休業のため"
    assert "住民にLINEでお知らせしました" in response.content.decode()
    assert "臨時休業のため" in json.dumps(OutboundSend.objects.latest("pk").messages, ensure_ascii=False)


def test_a_cancel_without_a_reason_changes_nothing(staff_client, service):
    booking = book(service)

    response = staff_client.post(
        f"/console/reservations/bookings/{booking.pk}/cancel", {"reason": ""}, follow=True
    )

    assert "取消理由を入力してください" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_attendance_is_marked(staff_client, service):
    booking = book(service)

    staff_client.post(f"/console/reservations/bookings/{booking.pk}/attendance", {"status": "no_show"})

    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


# --- calendar and phone bookings (RS-4) -----------------------------------------------------------


def test_the_calendar_shows_seats_taken_and_free(staff_client, service):
    booking = book(service)
    day = timezone.localtime(booking.starts_at).date()

    week = staff_client.get(
        f"/console/reservations/services/{service.pk}/calendar", {"date": day.isoformat()}
    )
    one_day = staff_client.get(
        f"/console/reservations/services/{service.pk}/calendar", {"date": day.isoformat(), "view": "day"}
    )

    assert "<strong>1</strong> / 2" in week.content.decode() and "空き 1" in week.content.decode()
    assert booking.receipt_number in one_day.content.decode()


def test_rs4_a_phone_booking_is_entered_and_capacity_is_overridden_only_when_ticked(staff_client, service):
    starts_at = first_slot(service)
    book(service)
    book(service)
    url = f"/console/reservations/services/{service.pk}/phone?date={starts_at.date().isoformat()}"
    data = {"start": starts_at.isoformat(), "name": "電話 一郎", "contact": "06-1234-5678"}

    full = staff_client.post(url, data)
    override = staff_client.post(url, {**data, "capacity_override": "on"})

    assert full.status_code == 200 and "満席" in full.content.decode()
    assert override.status_code == 302
    booking = Booking.objects.get(channel="phone")
    assert booking.capacity_override and booking.name == "電話 一郎"
    assert AuditEntry.objects.filter(target_id=str(booking.pk), changes__capacity_override=True).exists()


def test_a_phone_bookings_number_is_checked_like_a_residents(staff_client, service):
    starts_at = first_slot(service)
    url = f"/console/reservations/services/{service.pk}/phone?date={starts_at.date().isoformat()}"

    refused = staff_client.post(url, {"start": starts_at.isoformat(), "name": "電話 一郎", "contact": "abc"})

    assert refused.status_code == 200
    assert "電話番号を市外局番から入力してください" in refused.content.decode()
    assert not Booking.objects.exists()


def test_a_phone_booking_on_a_closed_day_shows_no_slots(staff_client, service):
    day = first_slot(service).date()
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)

    page = staff_client.get(
        f"/console/reservations/services/{service.pk}/phone", {"date": saturday.isoformat()}
    )

    assert "予約を受け付けていない" in page.content.decode()


def test_a_counter_of_another_department_cannot_be_chosen_by_department_staff(staff_client, other_department):
    CounterFactory(department=other_department)

    page = staff_client.get("/console/reservations/counters/new").content.decode()

    assert 'name="department"' not in page


def test_rs4_staff_enter_the_callers_answers_which_the_detail_and_the_csv_show(staff_client, department):
    service = ServiceFactory(
        counter__department=department,
        questions=[
            {"label": "品目", "type": "single", "required": True, "choices": ["タンス", "=1+1"]},
            {"label": "点数", "type": "number", "required": True, "min": 1},
        ],
    )
    starts_at = first_slot(service)
    url = f"/console/reservations/services/{service.pk}/phone?date={starts_at.date().isoformat()}"
    call = {"start": starts_at.isoformat(), "name": "電話 一郎", "contact": "06-1234-5678", "q1": "=1+1"}

    refused = staff_client.post(url, {**call, "q2": "0"})
    assert refused.status_code == 200 and "1.0 以上でなければなりません" in refused.content.decode()
    assert not Booking.objects.exists()

    staff_client.post(url, {**call, "q2": "3"})

    booking = Booking.objects.get()
    detail = staff_client.get(f"/console/reservations/bookings/{booking.pk}/").content.decode()
    assert "品目" in detail and "点数" in detail and ">3<" in detail
    response = staff_client.get("/console/reservations/bookings/export")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "品目: =1+1\n点数: 3" in body
