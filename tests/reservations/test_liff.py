"""Resident pages (RS-1, RS-7, RS-8, RS-10, RS-13, RS-14): choose, book with a confirmation step,
My bookings, cancel."""

from __future__ import annotations

import time
from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from civicline.line.liff.auth import SESSION_KEY
from civicline.reservations import photos, services
from civicline.reservations.models import Booking, BookingPhoto
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import (
    ServiceFactory,
    answers_of,
    first_slot,
    open_day,
)

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"label": "お子さんの年齢", "type": "single", "required": True, "choices": ["0歳", "1〜2歳"]},
    {"label": "ご相談内容", "type": "long_text", "required": False},
]


def booking_create(**kwargs):
    """A booking made through the service, the required question answered."""
    return services.booking_create(answers={"q1": "0歳"}, **kwargs)


def resident_client(friend) -> Client:
    """A client with the resident's LIFF session open, as after /liff/session."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


@pytest.fixture
def friend():
    return FriendFactory()


@pytest.fixture
def client(friend):
    return resident_client(friend)


@pytest.fixture
def service(department):
    return ServiceFactory(
        counter__department=department,
        counter__category="子育て",
        name="子育て相談",
        seats_per_slot=1,
        questions=QUESTIONS,
        allow_photos=True,
        allow_location=True,
    )


def start_param(moment) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M")


def png(size=(40, 30)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def fill(client, service, starts_at, **extra):
    data = {"name": "豊中 花子", "contact": "090-1234-5678", "q1": "0歳", "q2": "夜泣き", **extra}
    return client.post(f"/liff/reservations/s/{service.pk}/form?start={start_param(starts_at)}", data)


# --- choosing -------------------------------------------------------------------------------------


def test_rs7_services_are_grouped_by_category_and_searchable(client, service):
    ServiceFactory(counter__category="ごみ・環境", counter__name="粗大ごみ受付センター", name="粗大ごみ収集")
    closed = ServiceFactory(name="休止中の相談", is_active=False)

    page = client.get("/liff/reservations/").content.decode()
    found = client.get("/liff/reservations/", {"q": "粗大"}).content.decode()
    nothing = client.get("/liff/reservations/", {"q": "存在しない"}).content.decode()

    assert "子育て" in page and "ごみ・環境" in page and "子育て相談" in page and closed.name not in page
    assert "粗大ごみ収集" in found and "子育て相談" not in found
    assert "当てはまる予約メニューはありません" in nothing


def test_calendar_links_only_days_with_free_seats(client, service, friend):
    starts_at = first_slot(service)
    full = starts_at.date()
    for slot in range(6):  # 09:00-12:00 in 30-minute slots, 1 seat each: the day is full
        booking_create(
            friend=FriendFactory(),
            service=service,
            starts_at=starts_at + timedelta(minutes=30 * slot),
            name="x",
            contact="x",
        )
    free = open_day(service, after=(full - timezone.localdate()).days + 1)

    def calendar(day):
        return client.get(
            f"/liff/reservations/s/{service.pk}/", {"month": f"{day.year}-{day.month}"}
        ).content.decode()

    assert f"/s/{service.pk}/{full.year}-{full.month}-{full.day}/" not in calendar(full)
    assert f"/s/{service.pk}/{free.year}-{free.month}-{free.day}/" in calendar(free)


def test_day_page_offers_free_times_and_marks_full_ones(client, service):
    starts_at = first_slot(service)
    booking_create(
        friend=FriendFactory(), service=service, starts_at=starts_at, name="x", contact="x"
    )
    day = starts_at.date()

    page = client.get(f"/liff/reservations/s/{service.pk}/{day.year}-{day.month}-{day.day}/").content.decode()

    assert f"start={start_param(starts_at)}" not in page and "満席" in page
    assert f"start={start_param(starts_at + timedelta(minutes=30))}" in page


# --- booking with a confirmation step (RS-8) ------------------------------------------------------


def test_rs8_the_booking_is_made_only_after_the_confirmation(client, service, friend):
    starts_at = first_slot(service)

    response = fill(client, service, starts_at)
    assert response.status_code == 302 and response["Location"].endswith("/confirm")
    assert not Booking.objects.exists()
    confirm = client.get(response["Location"]).content.decode()
    assert "豊中 花子" in confirm and "夜泣き" in confirm and "まだ予約は確定していません" in confirm

    done = client.post(response["Location"])

    booking = Booking.objects.get()
    assert done["Location"] == f"/liff/reservations/b/{booking.receipt_number}/"
    assert booking.friend == friend and answers_of(booking) == {"q1": "0歳", "q2": "夜泣き"}
    assert booking.receipt_number in client.get(done["Location"]).content.decode()


def test_x16_the_draft_waits_in_the_session_sealed(client, service):
    fill(client, service, first_slot(service))

    raw = Session.objects.get().session_data
    assert "豊中" not in Session.objects.get().get_decoded().__repr__() and "豊中" not in raw


def test_rs13_a_required_question_left_empty_is_explained_and_nothing_is_kept(client, service):
    response = fill(client, service, first_slot(service), q1="")

    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("typed", ["abc", "12345", "06-123-456", "090-1234-5678-9", "taro@", "電話して"])
def test_a_contact_that_is_neither_a_phone_number_nor_an_e_mail_is_refused_clearly(client, service, typed):
    response = fill(client, service, first_slot(service), contact=typed)

    assert response.status_code == 200
    page = response.content.decode()
    said = "電話番号（例：06-1234-5678、090-1234-5678）またはメールアドレス（例：taro@example.jp）"
    assert said in page or "メールアドレスの形式が正しくありません" in page
    assert not Booking.objects.exists() and "reservations.draft" not in client.session


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("０９０－１２３４－５６７８", "090-1234-5678"),  # full width, as a Japanese keyboard types it
        ("0612345678", "06-1234-5678"),
        ("+81 6 1234 5678", "06-1234-5678"),
        ("0120-123-456", "0120-123-456"),
        ("Taro@Example.jp", "Taro@Example.jp"),
    ],
)
def test_a_phone_number_or_e_mail_is_kept_in_the_form_staff_read(client, service, typed, kept):
    response = fill(client, service, first_slot(service), contact=typed)
    client.post(response["Location"])

    assert Booking.objects.get().contact == kept


def test_submitted_text_is_shown_escaped(client, service):
    response = fill(client, service, first_slot(service), name="<script>alert(1)</script>")

    page = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_rs14_photos_are_checked_reencoded_and_attached(client, service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = fill(
        client,
        service,
        first_slot(service),
        photos=[png(), png((20, 20))],
        place="豊中市役所前",
        lat="34.78",
        lng="135.47",
    )
    client.post(response["Location"])

    booking = Booking.objects.get()
    assert booking.location == {"place": "豊中市役所前", "lat": 34.78, "lng": 135.47}
    stored = list(BookingPhoto.objects.filter(booking=booking))
    assert len(stored) == 2
    with Image.open(tmp_path / stored[0].image.name) as image:
        assert image.format == "JPEG"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("x.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg"),
            "読み込めません",
        ),
        (lambda: SimpleUploadedFile("x.gif", b"GIF89a" + b"\0" * 40, content_type="image/gif"), "読み込め"),
    ],
    ids=["not-an-image", "truncated-gif"],
)
def test_malformed_uploads_are_refused_with_a_message(client, service, settings, tmp_path, upload, message):
    settings.MEDIA_ROOT = tmp_path

    response = fill(client, service, first_slot(service), photos=[upload()])

    assert response.status_code == 200 and message in response.content.decode()
    assert not Booking.objects.exists()


def test_oversized_and_too_many_photos_are_refused(client, service, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 100)

    too_big = fill(client, service, first_slot(service), photos=[png((200, 200))]).content.decode()
    too_many = fill(
        client, service, first_slot(service), photos=[png(), png(), png(), png()]
    ).content.decode()

    assert "写真は1枚" in too_big and "写真は3枚まで" in too_many
    assert not list(tmp_path.rglob("*.jpg"))


def test_name_and_contact_are_prefilled_only_with_consent(service, friend):
    client = resident_client(friend)
    booking_create(
        friend=friend,
        service=service,
        starts_at=first_slot(service),
        name="豊中 花子",
        contact="090-1111-2222",
        remember_contact=True,
    )
    stranger = FriendFactory()
    booking_create(
        friend=stranger,
        service=service,
        starts_at=first_slot(service, after=10),
        name="千里 太郎",
        contact="090-3333-4444",
        remember_contact=False,
    )
    url = f"/liff/reservations/s/{service.pk}/form?start={start_param(first_slot(service, after=20))}"

    assert "090-1111-2222" in client.get(url).content.decode()
    assert "090-3333-4444" not in resident_client(stranger).get(url).content.decode()


def test_when_the_last_seat_went_meanwhile_the_resident_is_told_and_nothing_is_booked(client, service):
    starts_at = first_slot(service)
    response = fill(client, service, starts_at)
    booking_create(
        friend=FriendFactory(), service=service, starts_at=starts_at, name="x", contact="x"
    )

    answer = client.post(response["Location"])

    assert answer.status_code == 409 and "満席" in answer.content.decode()
    assert Booking.objects.count() == 1


# --- My bookings and cancel (RS-10, RS-11) --------------------------------------------------------


def test_rs10_my_bookings_lists_only_mine_and_cancels_before_the_deadline(client, service, friend):
    mine = booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="x", contact="x"
    )
    theirs = booking_create(
        friend=FriendFactory(),
        service=service,
        starts_at=first_slot(service, after=10),
        name="x",
        contact="x",
    )

    page = client.get("/liff/reservations/mine").content.decode()
    assert mine.receipt_number in page and theirs.receipt_number not in page
    assert client.get(f"/liff/reservations/b/{theirs.receipt_number}/cancel").status_code == 404

    response = client.post(f"/liff/reservations/b/{mine.receipt_number}/cancel")

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Booking.Status.CANCELLED
    assert "取り消しました" in client.get(response["Location"]).content.decode()


def test_rs11_after_the_deadline_the_page_says_to_call_and_cancel_is_refused(client, service, friend):
    service.cancel_days_before = 30
    service.save()
    booking = booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="x", contact="x"
    )

    page = client.get(f"/liff/reservations/b/{booking.receipt_number}/cancel").content.decode()
    response = client.post(f"/liff/reservations/b/{booking.receipt_number}/cancel")

    assert "お電話ください" in page and "rs-cancel-confirm" not in page
    assert response.status_code == 409 and "取消の受付期限" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_without_a_session_the_sign_in_page_shows_and_no_booking_data(service, friend):
    booking = booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="x", contact="x"
    )

    page = Client().get("/liff/reservations/mine").content.decode()

    assert "本人確認" in page and booking.receipt_number not in page


def test_the_residents_own_page_shows_their_upcoming_bookings(client, service, friend):
    booking = booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="x", contact="x"
    )

    page = client.get("/liff/").content.decode()

    assert booking.receipt_number in page and "子育て相談" in page


def test_rs13_a_question_shown_on_an_answer_is_required_only_then_and_its_answer_kept_only_then(
    client, department
):
    service = ServiceFactory(
        counter__department=department,
        questions=[
            {"ref": "age", "label": "年齢", "type": "single", "required": True, "choices": ["0歳", "1歳"]},
            {
                "label": "健診の予定",
                "type": "short_text",
                "required": True,
                "condition": {"action": "show", "question": "age", "op": "is", "value": "0歳"},
            },
        ],
    )
    starts_at = first_slot(service)

    refused = fill(client, service, starts_at, q1="0歳", q2="")
    hidden = fill(client, service, starts_at, q1="1歳", q2="来月")
    client.post(hidden["Location"])

    assert refused.status_code == 200 and "このフィールドは必須です" in refused.content.decode()
    assert hidden.status_code == 302
    assert answers_of(Booking.objects.get()) == {"q1": "1歳"}
