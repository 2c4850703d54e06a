"""A resident reports a broken road on the emulator's phone; the road department is emailed; staff
open the report, change its status and reply; only that resident's phone shows the reply
(issue 8: PH-1, PH-2, PH-3, PH-4, PH-5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from civicline.line.messaging import message_push
from civicline.reports.models import Report, Status
from tests.fixtures.core import DepartmentFactory, StaffFactory
from tests.fixtures.linesim import linesim_db
from tests.reports.factories import CategoryFactory, image_bytes


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames the LIFF page on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


def menu_link(liff_id: str) -> dict:
    """What the rich menu's 「通報する」 tile opens."""
    return {
        "type": "template",
        "altText": "道路・公園などの通報",
        "template": {
            "type": "buttons",
            "text": "道路や公園の破損を見つけたら",
            "actions": [
                {"type": "uri", "label": "通報する", "uri": f"https://liff.line.me/{liff_id}/reports/"}
            ],
        },
    }


@linesim_db
def test_a_resident_reports_with_two_photos_and_a_pin_and_only_they_get_the_reply(
    liff_site, linesim, phone, staff_browser, live_server, settings, tmp_path, shot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    roads = DepartmentFactory(code="doro", name="道路管理課", email="doro@city.example.jp")
    parks = DepartmentFactory(code="koen", name="公園みどり推進課", email="koen@city.example.jp")
    CategoryFactory(name="道路", description="道路の穴・段差など", department=roads, order=10)
    CategoryFactory(name="公園", description="遊具・ベンチの破損など", department=parks, order=20)
    staff = StaffFactory(department=roads, display_name="道路 次郎")
    photos = []
    for index, (gps, colour) in enumerate([((34.7812, 135.4699), "#7a8"), (None, "#a97")], start=1):
        path = tmp_path / f"road{index}.jpg"
        path.write_bytes(image_bytes(size=(800, 600), gps=gps, colour=colour))
        photos.append(path)

    hanako = phone("豊中 花子")
    hanako.follow()
    taro = phone("豊中 太郎")
    taro.follow()
    taro.wait_for_bot_messages(1)  # the greeting, so that only later messages count
    taro_before = taro.bot_message_count()
    message_push(to=hanako.user_id, messages=[menu_link(liff_site.liff_id)])
    hanako.wait_for_bot_text("道路や公園の破損を見つけたら")

    # The form: category, two photos (sent as soon as chosen), a pin on the map, a message.
    hanako.tap_button("通報する")
    frame = hanako.liff_frame()
    frame.wait_for_selector("text=道路の穴・段差など", timeout=15_000)
    shot(hanako.page, "form")
    frame.check("label.ph-category:has-text('道路の穴') input")
    frame.set_input_files("#id_photos", [str(p) for p in photos])
    frame.wait_for_function("() => document.querySelectorAll('#photo-list input[name=photo]').length === 2")
    frame.wait_for_selector("#use-photo:visible")  # the first photo knows where it was taken
    frame.locator("#photo-list").scroll_into_view_if_needed()
    shot(hanako.page, "photos-sent")
    frame.click("#report-map", position={"x": 160, "y": 110})
    frame.wait_for_selector("#located:has-text('地図で指定しました')")
    frame.locator("#report-map").scroll_into_view_if_needed()
    shot(hanako.page, "map-pin")
    frame.fill("#id_message", "歩道に深さ10cmほどの穴があいています")
    frame.fill("#id_place_note", "市役所前の交差点の北側")
    shot(hanako.page, "form-filled")
    frame.locator("#report-submit").scroll_into_view_if_needed()
    frame.click("#report-submit")
    frame.wait_for_selector("#ph-receipt")
    receipt = frame.inner_text("#ph-receipt").strip()
    shot(hanako.page, "receipt")
    report = Report.objects.get(receipt_number=receipt)
    assert report.department == roads and report.photos.count() == 2
    assert report.location_source == "pin" and report.has_location
    hanako.close_liff()

    # The receipt in the talk: number and category, nothing personal.
    hanako.wait_for_bot_text("通報を受け付けました")
    assert receipt in hanako.newest_bot_row().inner_text()
    assert "歩道に深さ" not in hanako.newest_bot_row().inner_text()
    shot(hanako.page, "line-receipt")

    # The road department got the email, with a console link and no photos or personal data.
    (sent,) = [m for m in mail.outbox if receipt in m.subject]
    assert sent.to == ["doro@city.example.jp"] and not sent.attachments
    assert f"/console/reports/{report.pk}/" in sent.body and "歩道に深さ" not in sent.body

    # Staff open it from the inbox: photos, the map, the history.
    console = staff_browser(staff)
    console.goto(f"{live_server.url}/console/reports/")
    console.wait_for_selector(f"text={receipt}")
    shot(console, "staff-inbox")
    console.click(f"text={receipt}")
    console.wait_for_selector("#ph-history")
    console.wait_for_function(
        "() => [...document.querySelectorAll('.ph-photos img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert "歩道に深さ10cmほどの穴" in console.inner_text("#ph-message")
    shot(console, "staff-detail")

    # Status 対応中 with the templated notice: the confirmation asks for the receipt number.
    console.select_option("#id_status", Status.IN_PROGRESS)
    console.check("#id_notify")
    console.click("#status-submit")
    console.wait_for_selector(".direct-confirm")
    console.wait_for_function("() => document.querySelector('img.direct-thumb').naturalWidth > 0")
    shot(console, "staff-status-confirm")
    console.fill("#id_confirmed_receipt_number", "R-AAAA-BBBB")
    console.click("#send-confirm")
    console.wait_for_selector("text=一致しません")
    console.wait_for_function("() => document.querySelector('img.direct-thumb').naturalWidth > 0")
    shot(console, "staff-status-mismatch")
    report.refresh_from_db()
    assert report.status == Status.RECEIVED
    console.fill("#id_confirmed_receipt_number", receipt)
    console.click("#send-confirm")
    console.wait_for_selector("#ph-status:has-text('対応中')")

    # A reply in the staff member's words: the recipient was confirmed for this case a moment ago,
    # so it goes at once (issue 17: no retyping of the receipt number for every message).
    assert receipt in console.inner_text("#reply-confirmed")
    console.fill("#id_text", "ご連絡ありがとうございます。明日、補修に伺います。")
    shot(console, "staff-reply-confirmed")
    console.click("#reply-submit")
    console.wait_for_selector("text=送信者にメッセージを送りました")
    shot(console, "staff-detail-after")

    # Only the reporter's phone shows the notice and the reply.
    hanako.wait_for_bot_text("対応を始めました")
    hanako.wait_for_bot_text("明日、補修に伺います。")
    assert receipt in hanako.newest_bot_row().inner_text()
    shot(hanako.page, "line-reply")
    taro.page.reload()
    taro.page.get_by_test_id("timeline").wait_for()
    assert taro.bot_message_count() == taro_before
    assert "補修" not in taro.page.inner_text("body") and receipt not in taro.page.inner_text("body")
    shot(taro.page, "other-resident")
    assert re.fullmatch(r"R-[A-Z2-9]{4}-[A-Z2-9]{4}", receipt)


@linesim_db
def test_photos_and_a_location_sent_in_the_talk_lead_to_the_same_report(
    liff_site, linesim, phone, live_server, settings, tmp_path, shot
):
    """PH-1 in the talk: photos, then LINE's location picker, then the form with both filled in."""
    settings.MEDIA_ROOT = tmp_path / "media"
    parks = DepartmentFactory(code="koen", name="公園みどり推進課", email="koen@city.example.jp")
    CategoryFactory(name="公園", description="遊具・ベンチの破損など", department=parks)
    photo = tmp_path / "bench.jpg"
    photo.write_bytes(image_bytes(size=(640, 480), colour="#b96"))

    jiro = phone("豊中 次郎")
    jiro.follow()
    jiro.send_images([photo])
    jiro.wait_for_bot_text("写真を受け取りました（1枚）")
    shot(jiro.page, "photo-received")
    jiro.tap_quick_reply("位置情報を送る")
    jiro.choose_location("豊中市役所")
    jiro.wait_for_bot_text("場所を受け取りました")
    shot(jiro.page, "location-received")

    jiro.tap_button("通報フォームで送信")
    frame = jiro.liff_frame()
    frame.wait_for_selector("text=トークで送った写真 1", timeout=15_000)
    frame.wait_for_selector("#located:has-text('トークで送った場所')")
    frame.check("label.ph-category:has-text('公園') input")
    frame.fill("#id_message", "ベンチの板が割れています")
    frame.locator("#photo-list").scroll_into_view_if_needed()
    shot(jiro.page, "form-from-talk")
    frame.click("#report-submit")
    frame.wait_for_selector("#ph-receipt")
    shot(jiro.page, "receipt")

    report = Report.objects.get(receipt_number=frame.inner_text("#ph-receipt").strip())
    assert report.channel == "talk" and report.location_source == "talk" and report.photos.count() == 1
    assert report.department == parks


@pytest.mark.django_db(transaction=True)
def test_the_administrator_draws_an_area_and_routes_a_category_there(staff_browser, live_server, shot):
    """PH-3's settings: an area drawn on the map, a rule using it, both listed on the settings page."""
    from civicline.reports.models import Area, RoutingRule
    from tests.fixtures.core import SystemAdminFactory

    parks = DepartmentFactory(code="koen", name="公園みどり推進課", email="koen@city.example.jp")
    CategoryFactory(name="公園", description="遊具・ベンチの破損など", department=parks)
    senri = DepartmentFactory(code="senri", name="千里地域連携センター")
    admin = staff_browser(SystemAdminFactory())

    admin.goto(f"{live_server.url}/console/reports/settings/areas/new")
    admin.fill("#id_name", "千里地域")
    for x, y in [(300, 120), (560, 140), (520, 330), (280, 300)]:
        admin.click("#report-map", position={"x": x, "y": y})
    admin.wait_for_function("() => document.querySelector('#id_boundary').value.includes('Polygon')")
    shot(admin, "area-drawn")
    admin.click("main button[type=submit]:has-text('保存')")
    admin.wait_for_selector("text=保存しました")
    area = Area.objects.get(name="千里地域")
    assert len(area.boundary["coordinates"][0]) == 5

    admin.goto(f"{live_server.url}/console/reports/settings/rules/new")
    admin.fill("#id_name", "千里地域の公園")
    admin.fill("#id_priority", "10")
    admin.select_option("#id_category", label="公園")
    admin.select_option("#id_area", label="千里地域")
    admin.select_option("#id_department", label=senri.name)
    admin.click("main button[type=submit]:has-text('保存')")
    admin.wait_for_selector("text=保存しました")
    assert RoutingRule.objects.get().area == area
    shot(admin, "settings")
