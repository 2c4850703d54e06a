"""A resident books a counter on the emulator's phone and cancels it from LINE; staff watch the
calendar; the department gets both emails (issue 5: RS-1, RS-2, RS-8, RS-10, RS-13, RS-14, RS-15)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core import mail
from PIL import Image

from civicline.line.messaging import message_push
from civicline.reservations.models import Booking
from tests.fixtures.core import StaffFactory
from tests.fixtures.linesim import linesim_db
from tests.reservations.factories import ServiceFactory, answers_of

QUESTIONS = [
    {"label": "お子さんの年齢", "type": "single", "required": True, "choices": ["0歳", "1〜2歳", "3〜5歳"]},
    {"label": "ご相談したいこと", "type": "long_text", "required": True},
]


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames the LIFF page on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


def menu_link(liff_id: str) -> dict:
    """What the rich menu's 「窓口予約」 tile opens."""
    return {
        "type": "template",
        "altText": "窓口の予約",
        "template": {
            "type": "buttons",
            "text": "窓口の予約はこちらから",
            "actions": [
                {"type": "uri", "label": "予約する", "uri": f"https://liff.line.me/{liff_id}/reservations/"}
            ],
        },
    }


@linesim_db
def test_a_resident_books_on_the_phone_sees_it_cancels_from_line_and_staff_and_mail_follow(
    liff_site, linesim, phone, staff_browser, department, live_server, settings, tmp_path, shot
):
    settings.MEDIA_ROOT = tmp_path
    service = ServiceFactory(
        counter__department=department,
        counter__name="子育て相談窓口",
        counter__category="子育て",
        counter__place="市役所第二庁舎 2階",
        name="子育て相談",
        seats_per_slot=2,
        questions=QUESTIONS,
        allow_photos=True,
        notification_email="kosodate@city.example.jp",
    )
    ServiceFactory(counter__category="ごみ・環境", counter__name="粗大ごみ受付センター", name="粗大ごみ収集")
    staff = StaffFactory(department=department, display_name="田中 花子")
    photo = tmp_path / "shindan.png"
    buffer = BytesIO()
    Image.new("RGB", (640, 480), "#88c").save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())

    hanako = phone("豊中 はなこ")
    hanako.follow()
    message_push(to=hanako.user_id, messages=[menu_link(liff_site.liff_id)])
    hanako.wait_for_bot_text("窓口の予約はこちらから")

    # Choose: category list → service → a day with free seats → a time.
    hanako.tap_button("予約する")
    frame = hanako.liff_frame()
    frame.wait_for_selector("text=子育て相談", timeout=15_000)
    shot(hanako.page, "services")
    assert "ごみ・環境" in frame.inner_text("main")
    frame.click("a.rs-item:has-text('子育て相談')")
    frame.wait_for_selector("a.rs-day-free")
    shot(hanako.page, "calendar")
    frame.click("a.rs-day-free >> nth=0")
    frame.wait_for_selector("a.rs-slot")
    shot(hanako.page, "times")
    frame.click("a.rs-slot >> nth=0")

    # The form: name, contact, the extra questions, a photo; then the confirmation.
    frame.wait_for_selector("#id_name")
    frame.fill("#id_name", "豊中 花子")
    frame.fill("#id_contact", "abc")  # not a way to reach her: refused, saying how to write it
    frame.check("input[name=q1][value='1〜2歳']")
    frame.fill("#id_q2", "夜泣きが続いています")
    frame.click("button[type=submit]")
    frame.wait_for_selector("text=またはメールアドレス（例：taro@example.jp）を入力してください")
    shot(hanako.page, "contact-refused")
    assert frame.input_value("#id_q2") == "夜泣きが続いています" and not Booking.objects.exists()
    frame.fill("#id_contact", "090-1234-5678")
    frame.set_input_files("#id_photos", str(photo))
    shot(hanako.page, "form")
    frame.click("button[type=submit]")
    frame.wait_for_selector("#rs-book")
    shot(hanako.page, "confirm")
    assert "夜泣きが続いています" in frame.inner_text("main") and not Booking.objects.exists()
    frame.click("#rs-book")
    frame.wait_for_selector("#rs-receipt")
    receipt = frame.inner_text("#rs-receipt").strip()
    shot(hanako.page, "done")
    booking = Booking.objects.get(receipt_number=receipt)
    assert booking.photos.count() == 1 and answers_of(booking)["q1"] == "1〜2歳"

    # My bookings lists it.
    frame.click("text=予約の確認")
    frame.wait_for_selector(f"[data-receipt='{receipt}']")
    shot(hanako.page, "my-bookings")
    hanako.close_liff()

    # The LINE confirmation: service, time, receipt number — and nothing personal.
    hanako.wait_for_bot_text("予約を受け付けました")
    confirmation = hanako.newest_bot_row().inner_text()
    assert receipt in confirmation and "子育て相談" in confirmation
    assert "豊中 花子" not in confirmation and "090" not in confirmation and "夜泣き" not in confirmation
    shot(hanako.page, "line-confirmation")

    # Staff see the seat taken in the day calendar.
    console = staff_browser(staff)
    day = booking.starts_at.astimezone().date().isoformat()
    calendar_url = (
        f"{live_server.url}/console/reservations/services/{service.pk}/calendar?date={day}&view=day"
    )
    console.goto(calendar_url)
    console.wait_for_selector(f"text={receipt}")
    shot(console, "staff-calendar-booked")
    console.click(f"text={receipt}")
    console.wait_for_selector("#rs-name")
    assert console.inner_text("#rs-name") == "豊中 花子"  # the view is audited (see tests/reservations)
    console.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shot(console, "staff-booking-detail")
    console.goto(f"{live_server.url}/console/reservations/services/{service.pk}/edit")
    shot(console, "staff-service-settings")
    console.goto(calendar_url.replace("view=day", "view=week"))
    console.wait_for_selector("td.rs-cell-some")
    shot(console, "staff-calendar-week")

    # The resident cancels from LINE: the button asks first.
    hanako.tap_button("予約を取り消す")
    hanako.wait_for_bot_text("この予約を取り消しますか")
    shot(hanako.page, "cancel-question")
    hanako.tap_button("取り消す")
    hanako.wait_for_bot_text("予約を取り消しました")
    shot(hanako.page, "cancelled")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED

    console.goto(calendar_url)
    console.wait_for_selector("table.rs-cal")
    assert receipt not in console.content()
    shot(console, "staff-calendar-free")

    # The department was told twice, with a console link and without the resident's data.
    created, cancelled = [m for m in mail.outbox if receipt in m.subject]
    assert "新しい予約" in created.subject and "予約の取消" in cancelled.subject
    assert created.to == ["kosodate@city.example.jp"]
    assert f"/console/reservations/bookings/{booking.pk}/" in created.body
    assert "豊中" not in created.body + cancelled.body and "夜泣き" not in created.body
