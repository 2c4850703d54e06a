"""Booking a counter in the resident's language (issue 21): the names staff wrote per language, dates
in the language's formats, the messages pushed outside the resident's request in their language, and
the department's own mail left in Japanese."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicline.core.calendar import holiday_name
from civicline.core.languages import speaking
from civicline.core.models import Department
from civicline.forms import schema
from civicline.line.liff.auth import SESSION_KEY
from civicline.line.models import Friend, OutboundSend
from civicline.reservations import demo, line_messages, services
from civicline.reservations.models import Booking, Service
from tests.fixtures.line import FriendFactory
from tests.reservations.factories import ServiceFactory, at, first_slot

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {
        "label": "お子さんの年齢",
        "type": "single",
        "required": True,
        "choices": ["0歳", "1〜2歳"],
        "translations": {"en": {"label": "Your child's age", "choices": ["Under 1", "1 to 2"]}},
    },
]


@pytest.fixture
def service(department):
    return ServiceFactory(
        counter__department=department,
        counter__name="こども相談窓口",
        counter__category="子育て",
        counter__place="市役所 2階",
        counter__translations={
            "en": {"name": "Child Consultation Desk", "category": "Childcare", "place": "City Hall 2F"}
        },
        name="子育て相談",
        description="子育ての悩みをご相談ください。",
        reminder_text="母子手帳をお持ちください。",
        translations={
            "en": {
                "name": "Parenting consultation",
                "description": "Talk to us about raising your child.",
                "reminder_text": "Please bring your maternal and child health handbook.",
            }
        },
        seats_per_slot=2,
        questions=QUESTIONS,
    )


@pytest.fixture
def english_friend():
    return FriendFactory(language="en", state=Friend.State.FOLLOWING)


def resident_client(friend) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


def book(service, friend, starts_at) -> Booking:
    return services.booking_create(
        friend=friend,
        service=service,
        starts_at=starts_at,
        name="Anna Lee",
        contact="090-1234-5678",
        answers={"q1": "0歳"},
    )


def last_push() -> str:
    return json.dumps(OutboundSend.objects.latest("pk").messages, ensure_ascii=False)


def test_an_english_resident_finds_and_books_the_service_under_its_english_names(service, english_friend):
    """issue 21: the list, the calendar and the form show what staff wrote in English."""
    client = resident_client(english_friend)

    listing = client.get(reverse("reservations_liff:index")).content.decode()
    assert "Parenting consultation" in listing and "Childcare" in listing
    assert "Child Consultation Desk" in listing and "子育て相談" not in listing

    page = client.get(reverse("reservations_liff:service", args=[service.pk])).content.decode()
    assert "Talk to us about raising your child." in page and "City Hall 2F" in page
    assert '<th class="sun">Sun</th>' in page  # weekday names from the language, not 「日」

    start = timezone.localtime(first_slot(service)).strftime("%Y%m%d%H%M")
    form = client.get(reverse("reservations_liff:form", args=[service.pk]) + "?start=" + start)
    text = form.content.decode()
    assert "Your child&#x27;s age" in text and "Under 1" in text and "お子さんの年齢" not in text
    assert "年" not in text.split('id="rs-when">')[1].split("<")[0]  # the date in English formats


def test_searching_in_english_finds_the_service(service, english_friend):
    """issue 21: a resident searches in the language they read."""
    client = resident_client(english_friend)

    found = client.get(reverse("reservations_liff:index"), {"q": "parenting"}).content.decode()
    missed = client.get(reverse("reservations_liff:index"), {"q": "passport"}).content.decode()

    assert "Parenting consultation" in found
    assert "Parenting consultation" not in missed


def test_the_confirmation_screen_shows_the_answer_in_english_and_keeps_the_japanese_choice(
    service, english_friend
):
    """issue 21: the answer reads in English; what is stored is the Japanese choice staff count."""
    client = resident_client(english_friend)
    start = timezone.localtime(first_slot(service)).strftime("%Y%m%d%H%M")
    form_url = reverse("reservations_liff:form", args=[service.pk]) + "?start=" + start

    client.post(form_url, {"name": "Anna Lee", "contact": "090-1234-5678", "q1": "0歳"})
    confirm = client.get(reverse("reservations_liff:confirm", args=[service.pk])).content.decode()
    client.post(reverse("reservations_liff:confirm", args=[service.pk]))

    assert "Your child&#x27;s age" in confirm and "Under 1" in confirm and "0歳" not in confirm
    booking = Booking.objects.get(friend=english_friend)
    assert booking.response.answers.get().sealed == "0歳"


def test_the_confirmation_pushed_to_an_english_resident_is_in_english(service, english_friend):
    """issue 21: the Flex card names the service in English, with the date in English formats."""
    booking = book(service, english_friend, first_slot(service))

    pushed = last_push()
    assert "Parenting consultation" in pushed and "Child Consultation Desk" in pushed
    assert booking.receipt_number in pushed
    assert "子育て相談" not in pushed and "年" not in pushed


def test_a_japanese_resident_still_gets_the_japanese_card(service):
    """issue 21: the Japanese master is unchanged for a Japanese reader."""
    friend = FriendFactory(language="ja", state=Friend.State.FOLLOWING)
    starts_at = first_slot(service)
    book(service, friend, starts_at)

    pushed = last_push()
    local = timezone.localtime(starts_at)
    weekday = "月火水木金土日"[local.weekday()]
    assert f"{local.year}年{local.month}月{local.day}日({weekday})" in pushed
    assert "子育て相談" in pushed and "Parenting" not in pushed


def test_staff_cancelling_tell_the_resident_in_the_residents_language(service, english_friend, staff_user):
    """issue 21: the clerk's console speaks Japanese; the notice goes out in English."""
    booking = book(service, english_friend, first_slot(service))

    with speaking("ja"):
        services.booking_cancel_by_staff(actor=staff_user, booking=booking, reason="担当者の急病のため")

    pushed = last_push()
    assert "Parenting consultation" in pushed and "子育て相談" not in pushed
    assert "担当者の急病のため" in pushed  # the reason staff typed, as typed


def test_the_morning_reminder_is_in_the_residents_language_with_the_english_note(service, english_friend):
    """issue 21: the worker builds each reminder in its resident's language."""
    starts_at = first_slot(service)
    booking = book(service, english_friend, starts_at)
    Booking.objects.filter(pk=booking.pk).update(created_at=starts_at - timezone.timedelta(days=2))

    with speaking("ja"):
        assert services.booking_reminders_send(now=at(starts_at.date(), "08:30")) == 1

    pushed = last_push()
    assert "Please bring your maternal and child health handbook." in pushed
    assert "母子手帳" not in pushed


def test_the_departments_mail_stays_japanese_whoever_booked(service, english_friend, run_on_commit):
    """issue 21: the mail is for the department, not the resident."""
    with run_on_commit(), speaking("en"):
        booking = book(service, english_friend, first_slot(service))

    (message,) = mail.outbox
    local = timezone.localtime(booking.starts_at)
    assert "新しい予約" in message.subject and "子育て相談" in message.subject
    assert f"{local.year}年{local.month}月{local.day}日" in message.subject


def test_the_deadline_refusal_names_the_counter_in_the_readers_language(service, english_friend):
    """issue 21: a refusal a resident reads in LINE uses the counter's English name and date format."""
    booking = book(service, english_friend, first_slot(service))

    with speaking("en"):
        text = line_messages.deadline_passed(booking, booking.starts_at)

    assert "Child Consultation Desk" in text and "年" not in text.split("%")[0]


def test_holiday_names_follow_the_language():
    """issue 21: 成人の日 reads as Coming of Age Day to an English reader, in Japanese otherwise."""
    day = timezone.datetime(2026, 1, 12).date()
    with speaking("en"):
        assert holiday_name(day) == "Coming of Age Day"
    with speaking("vi"):
        assert holiday_name(day) == "成人の日"
    with speaking("ja"):
        assert holiday_name(day) == "成人の日"


# --- the console ---------------------------------------------------------------------------------


def test_staff_write_a_counter_and_a_service_in_english_and_the_list_marks_what_is_missing(
    staff_client, service
):
    """issue 21: the English versions are kept beside the Japanese master; 未翻訳 shows the rest."""
    counter = service.counter
    staff_client.post(
        f"/console/reservations/counters/{counter.pk}/edit",
        {
            "name": "こども相談窓口",
            "category": "子育て",
            "place": "市役所 2階",
            "is_active": "on",
            "name__en": "Child Desk",
            "category__en": "Childcare",
            "place__en": "City Hall 2F",
            "name__vi": "Quầy tư vấn trẻ em",
        },
    )
    edit = f"/console/reservations/services/{service.pk}/edit"
    data = {
        "name": "子育て相談",
        "description": "",
        "is_active": "on",
        "slot_minutes": "30",
        "seats_per_slot": "2",
        **{f"hours_{d}": "9:00-12:00" for d in range(5)},
        "hours_5": "",
        "hours_6": "",
        "hours_holiday": "",
        "book_from_days": "1",
        "book_until_days": "60",
        "cancel_days_before": "1",
        "max_open_per_resident": "0",
        "reminder_time": "08:00",
        "reminder_text": "",
        "name__en": "Parenting advice",
    }
    assert staff_client.post(edit, data).status_code == 302

    counter.refresh_from_db()
    service.refresh_from_db()
    assert counter.translations == {
        "en": {"name": "Child Desk", "category": "Childcare", "place": "City Hall 2F"},
        "vi": {"name": "Quầy tư vấn trẻ em"},
    }
    assert service.translations == {"en": {"name": "Parenting advice"}}
    assert service.form.translations == {"en": {"title": "Parenting advice"}}
    assert "Parenting advice" in staff_client.get(edit).content.decode()
    listing = staff_client.get("/console/reservations/").content.decode()
    assert "未翻訳" in listing  # Korean, Chinese… are not written yet


def test_the_demo_counters_and_their_questions_read_in_english(english_friend):
    """issue 21: the demo city's bookings can be shown in English, questions included."""
    for code in ("shimin", "kosodate", "kankyo"):
        Department.objects.get_or_create(code=code, defaults={"name": code})
    demo.seed()

    offered = list(Service.objects.select_related("counter", "form"))
    assert len(offered) == 3
    for service in offered:
        assert service.counter.translations["en"]["name"] and service.translations["en"]["name"]
        assert service.form.translations["en"]["title"] == service.translations["en"]["name"]
        for question in service.form.questions:
            assert schema.localized(question, "en")["label"] != question["label"]
    client = resident_client(english_friend)
    listing = client.get(reverse("reservations_liff:index")).content.decode()
    assert "Parenting consultation" in listing and "Oversized garbage pickup" in listing


def test_a_special_days_note_is_written_in_english_and_shown_to_an_english_resident(
    staff_client, service, english_friend
):
    """issue 21: the reason residents see for a closed day, in their language."""
    day = first_slot(service).date()
    staff_client.post(
        f"/console/reservations/services/{service.pk}/",
        {
            "special-date": day.isoformat(),
            "special-kind": "closed",
            "special-note": "システム更新のため休業",
            "special-note__en": "Closed for a system update",
        },
    )

    client = resident_client(english_friend)
    url = reverse("reservations_liff:day", args=[service.pk, day.year, day.month, day.day])
    page = client.get(url).content.decode()
    assert "Closed for a system update" in page and "システム更新" not in page
