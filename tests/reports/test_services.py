"""Filing, routing (PH-3), handling, reassignment and replies (PH-4, PH-5) of photo reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.line.direct import DirectMessageRefused
from civicline.line.models import DirectMessage, Friend, OutboundSend
from civicline.reports import services
from civicline.reports.models import Channel, Report, ReportEvent, ReportPhoto, Status, TalkDraft
from tests.fixtures.core import DepartmentFactory, StaffFactory, SystemAdminFactory
from tests.fixtures.line import FriendFactory
from tests.reports.factories import (
    AreaFactory,
    CategoryFactory,
    ReportFactory,
    RuleFactory,
    file_report,
    image_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

CITY_HALL = services.Location(34.78, 135.47, "pin")  # inside CITY_HALL_SQUARE
SENRI = services.Location(34.81, 135.50, "pin")  # outside it


@pytest.fixture
def roads():
    return DepartmentFactory(code="doro", name="道路管理課", email="doro@city.example.jp")


@pytest.fixture
def parks():
    return DepartmentFactory(code="koen", name="公園みどり推進課", email="koen@city.example.jp")


@pytest.fixture
def friend():
    return FriendFactory()


# --- filing (PH-1, PH-2) ------------------------------------------------------------------------


def test_ph1_ph2_report_is_filed_with_its_photos_location_and_receipt_number(
    friend, roads, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="道路", department=roads)
    photos = [services.report_photo_upload(friend=friend, upload=upload()) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_submit(
            friend=friend,
            category=category,
            message="歩道に穴",
            photo_ids=[p.pk for p in photos],
            location=CITY_HALL,
            contact_name="豊中 花子",
            contact="090-1111-2222",
        )

    report.refresh_from_db()
    assert report.receipt_number.startswith("R-") and len(report.receipt_number) == 11
    assert report.department == roads and report.status == Status.RECEIVED
    assert (report.latitude, report.longitude, report.location_source) == (34.78, 135.47, "pin")
    assert report.photos.count() == 2 and report.contact == "090-1111-2222"
    assert list(report.events.values_list("kind", flat=True)) == ["created", "routed", "notified"]


def test_personal_data_is_stored_encrypted(friend, roads):
    report = file_report(
        friend, CategoryFactory(department=roads), contact="090-1111-2222", message="家の前の道"
    )

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT message, contact FROM reports_report WHERE id = %s", [report.pk])
        raw = " ".join(cursor.fetchone())
    assert "090-1111-2222" not in raw and "家の前" not in raw


def test_only_the_residents_own_waiting_photos_are_attached(friend, roads):
    someone_else = FriendFactory()
    theirs = services.report_photo_upload(friend=someone_else, upload=upload())
    mine = services.report_photo_upload(friend=friend, upload=upload())

    report = services.report_submit(
        friend=friend, category=CategoryFactory(department=roads), message="x", photo_ids=[theirs.pk, mine.pk]
    )

    assert list(report.photos.all()) == [mine]
    theirs.refresh_from_db()
    assert theirs.report is None


def test_at_most_five_photos_wait_for_a_report(friend):
    for _ in range(services.MAX_PHOTOS):
        services.report_photo_upload(friend=friend, upload=upload())

    with pytest.raises(ValidationError, match="5枚まで"):
        services.report_photo_upload(friend=friend, upload=upload())


def test_photo_location_is_offered_until_filing_and_never_kept_in_the_file(friend, roads, settings):
    photo = services.report_photo_upload(
        friend=friend, upload=upload(data=image_bytes(gps=(34.7812, 135.4699)))
    )
    assert photo.exif_location == [34.7812, 135.4699]
    with Image.open(settings.MEDIA_ROOT / photo.image.name) as stored:
        assert stored.format == "JPEG" and not stored.getexif()

    services.report_submit(
        friend=friend, category=CategoryFactory(department=roads), message="x", photo_ids=[photo.pk]
    )

    photo.refresh_from_db()
    assert photo.exif_location is None


def test_a_resident_who_reports_too_often_is_slowed_down_and_nothing_is_saved(friend, roads, settings):
    settings.REPORTS_RATE_LIMITS = {"report": "2/hour"}
    category = CategoryFactory(department=roads)
    file_report(friend, category)
    file_report(friend, category)

    with pytest.raises(ValidationError, match="しばらく時間をおいて"):
        file_report(friend, category)
    assert Report.objects.filter(friend=friend).count() == 2
    file_report(FriendFactory(), category)  # another resident is not affected


def test_photos_are_rate_limited_per_resident(friend, settings):
    settings.REPORTS_RATE_LIMITS = {"photo": "1/minute"}
    services.report_photo_upload(friend=friend, upload=upload())

    with pytest.raises(ValidationError) as caught:
        services.report_photo_upload(friend=friend, upload=upload())
    assert caught.value.code == "rate_limited"


def test_a_photo_can_be_added_to_an_open_report_by_its_reporter_only(friend, roads):
    report = file_report(friend, CategoryFactory(department=roads))

    services.report_photo_add(friend=friend, report=report, upload=upload())
    with pytest.raises(ValidationError):
        services.report_photo_add(friend=FriendFactory(), report=report, upload=upload())
    report.status = Status.DONE
    with pytest.raises(ValidationError, match="対応が終わった"):
        services.report_photo_add(friend=friend, report=report, upload=upload())
    assert report.photos.count() == 1
    assert report.events.filter(kind=ReportEvent.Kind.PHOTO).count() == 1


def test_unfiled_photos_expire_with_their_files(friend, settings, django_capture_on_commit_callbacks):
    photo = services.report_photo_upload(friend=friend, upload=upload())
    path = settings.MEDIA_ROOT / photo.image.name

    assert services.pending_photos_expire(now=timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        dropped = services.pending_photos_expire(
            now=timezone.now() + timedelta(days=services.PENDING_PHOTO_DAYS + 1)
        )

    assert dropped == 1 and not ReportPhoto.objects.exists()
    assert not path.exists()


# --- routing (PH-3) -------------------------------------------------------------------------------


def test_ph3_category_routes_to_its_department_and_emails_it(
    friend, roads, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="道路", department=roads)

    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(
            friend, category, message="マンホールのふたがずれている", contact="090-1111-2222"
        )

    assert report.department == roads
    (sent,) = mail.outbox
    assert sent.to == ["doro@city.example.jp"] and report.receipt_number in sent.subject
    assert f"/console/reports/{report.pk}/" in sent.body
    assert "マンホール" not in sent.body and "090" not in sent.body and "34.78" not in sent.body


def test_ph3_category_notification_address_overrides_the_departments(
    friend, roads, django_capture_on_commit_callbacks
):
    category = CategoryFactory(department=roads, notification_email="doro-yakan@city.example.jp")

    with django_capture_on_commit_callbacks(execute=True):
        file_report(friend, category)

    assert mail.outbox[0].to == ["doro-yakan@city.example.jp"]


def test_ph3_keyword_rule_wins_over_the_category(friend, roads, parks):
    category = CategoryFactory(name="道路", department=roads)
    RuleFactory(name="倒木", category=category, keywords="倒木、木が倒れ", department=parks)

    fallen = file_report(friend, category, message="道路に木が倒れています")
    hole = file_report(friend, category, message="道路に穴")

    assert fallen.department == parks and "倒木" in fallen.routing_note
    assert hole.department == roads


def test_ph3_keywords_match_ignoring_width_and_kana(friend, roads, parks):
    category = CategoryFactory(department=roads)
    RuleFactory(category=category, keywords="ゴミ", department=parks)

    assert file_report(friend, category, message="ごみが捨てられている").department == parks
    assert file_report(friend, category, message="ｺﾞﾐの山").department == parks


def test_ph3_area_rule_uses_the_reports_location(friend, roads, parks):
    category = CategoryFactory(department=roads)
    area = AreaFactory(name="市役所周辺")
    RuleFactory(category=category, area=area, department=parks)

    inside = file_report(friend, category, location=CITY_HALL)
    outside = file_report(friend, category, location=SENRI)
    nowhere = file_report(friend, category, location=None, place_note="駅前")

    assert inside.department == parks and inside.area == area
    assert outside.department == roads and outside.area is None
    assert nowhere.department == roads


def test_an_area_drawn_after_a_report_gives_that_report_its_area_but_not_another_department(
    friend, roads, parks, django_capture_on_commit_callbacks
):
    """A report filed where no area was drawn yet showed 「地域」 「—」 for good."""
    category = CategoryFactory(department=roads)
    before = file_report(friend, category, location=CITY_HALL)
    elsewhere = file_report(friend, category, location=SENRI)
    unlocated = file_report(friend, category, location=None, place_note="駅前")
    admin = SystemAdminFactory()

    with django_capture_on_commit_callbacks(execute=True):
        area = services.setting_create(actor=admin, obj=AreaFactory.build(name="市役所周辺"))

    before.refresh_from_db(), elsewhere.refresh_from_db(), unlocated.refresh_from_db()
    assert before.area == area and before.department == roads  # routing stays as it was
    assert elsewhere.area is None and unlocated.area is None

    with django_capture_on_commit_callbacks(execute=True):
        ring = [[135.49, 34.80], [135.51, 34.80], [135.51, 34.82], [135.49, 34.82], [135.49, 34.80]]
        services.setting_update(
            actor=admin, obj=area, data={"boundary": {"type": "Polygon", "coordinates": [ring]}}
        )
    before.refresh_from_db(), elsewhere.refresh_from_db()
    assert before.area is None and elsewhere.area == area  # redrawn: the reports follow

    with django_capture_on_commit_callbacks(execute=True):
        services.setting_delete(actor=admin, obj=area)
    elsewhere.refresh_from_db()
    assert elsewhere.area is None


def test_the_citys_report_settings_are_changed_by_the_system_administrator_only(roads):
    staff, admin = StaffFactory(department=roads), SystemAdminFactory()
    area = AreaFactory(name="市役所周辺")

    with pytest.raises(NotYourDepartment, match="システム管理者だけが行えます"):
        services.setting_create(actor=staff, obj=AreaFactory.build(name="駅前"))
    with pytest.raises(NotYourDepartment, match="システム管理者だけが行えます"):
        services.setting_update(actor=staff, obj=area, data={"name": "駅前"})
    with pytest.raises(NotYourDepartment, match="システム管理者だけが行えます"):
        services.setting_delete(actor=staff, obj=area)

    services.setting_update(actor=admin, obj=area, data={"name": "市役所・駅前"})
    entry = AuditEntry.objects.get(target_id=str(area.pk))
    assert entry.summary == "地域「市役所・駅前」を変更"
    assert entry.changes == {"name": {"before": "市役所周辺", "after": "市役所・駅前"}}


def test_refreshing_areas_reads_the_areas_once_not_per_report(django_assert_max_num_queries):
    ReportFactory.create_batch(30, latitude=CITY_HALL.latitude, longitude=CITY_HALL.longitude)
    AreaFactory(name="市役所周辺")

    with django_assert_max_num_queries(5):
        assert services.report_areas_refresh() == 30


def test_ph3_rules_are_tried_in_priority_order_and_inactive_ones_skipped(friend, roads, parks):
    category = CategoryFactory(department=roads)
    third = DepartmentFactory(name="第三の課")
    RuleFactory(priority=5, keywords="穴", department=third, is_active=False)
    RuleFactory(priority=20, keywords="穴", department=roads)
    RuleFactory(priority=10, category=category, keywords="穴", department=parks)

    assert file_report(friend, category, message="穴").department == parks


def test_ph3_unroutable_report_waits_in_triage_and_the_administrators_are_told(
    friend, django_capture_on_commit_callbacks
):
    SystemAdminFactory(email="admin@city.example.jp")
    category = CategoryFactory(name="その他", department=None)

    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(friend, category)

    assert report.department is None and "振り分け待ち" in report.routing_note
    assert mail.outbox[0].to == ["admin@city.example.jp"] and "振り分け待ち" in mail.outbox[0].subject


def test_a_talk_report_is_marked_as_coming_from_the_talk(friend, roads, fake_line_api):
    services.talk_location_receive(friend=friend, latitude=34.78, longitude=135.47)

    report = file_report(friend, CategoryFactory(department=roads))

    assert report.channel == Channel.TALK
    assert not TalkDraft.objects.filter(friend=friend).exists()  # used up by the report


# --- handling -------------------------------------------------------------------------------------


@pytest.fixture
def report(friend, roads):
    return ReportFactory(friend=friend, category=CategoryFactory(department=roads), department=roads)


@pytest.fixture
def staff(roads):
    return StaffFactory(department=roads)


def test_status_change_is_recorded_audited_and_closes_done_reports(report, staff):
    services.report_status_change(actor=staff, report=report, status=Status.IN_PROGRESS)
    services.report_status_change(actor=staff, report=report, status=Status.DONE, note="補修済み")

    report.refresh_from_db()
    assert report.status == Status.DONE and report.closed_at is not None
    assert report.events.filter(kind="status").count() == 2
    assert AuditEntry.objects.filter(target_id=str(report.pk), action="update").count() == 2
    with pytest.raises(ValidationError, match="すでに"):
        services.report_status_change(actor=staff, report=report, status=Status.DONE)


def test_reassignment_moves_the_report_audits_and_emails_the_new_department(
    report, staff, parks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_reassign(actor=staff, report=report, department=parks, reason="公園内のため")

    report.refresh_from_db()
    assert report.department == parks
    entry = AuditEntry.objects.get(target_id=str(report.pk), action="update")
    assert entry.changes["department"] == {"before": "道路管理課", "after": "公園みどり推進課"}
    assert entry.department_id == parks.pk
    assert mail.outbox[-1].to == ["koen@city.example.jp"] and "担当課が変更" in mail.outbox[-1].subject
    assert report.events.get(kind="reassigned").text == "公園内のため"
    with pytest.raises(ValidationError, match="すでに"):
        services.report_reassign(actor=staff, report=report, department=parks)


def test_internal_note_is_kept_out_of_the_audit_log(report, staff):
    services.report_note_add(actor=staff, report=report, text="現地確認は明日 山田さん宅前")

    assert report.events.get(kind="note").text == "現地確認は明日 山田さん宅前"
    assert "山田" not in str(AuditEntry.objects.get(target_id=str(report.pk)).changes)
    with pytest.raises(ValidationError):
        services.report_note_add(actor=staff, report=report, text="  ")


# --- replies to the reporter (PH-4, PH-5) -----------------------------------------------------------


def test_ph4_reply_reaches_the_reporter_only_and_is_logged_on_the_report(report, staff, fake_line_api):
    FriendFactory()  # another resident, who must get nothing

    services.report_message_send(
        actor=staff, report=report, text="明日補修します。", confirmed_receipt_number=report.receipt_number
    )

    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == report.friend.user_id
    text = push.body["messages"][0]["text"]
    assert report.receipt_number in text and "明日補修します。" in text
    logged = DirectMessage.objects.get()
    assert logged.record == report and logged.send.status == OutboundSend.Status.SENT
    assert report.events.get(kind="message").text == text
    assert AuditEntry.objects.filter(action="send", target_id=str(report.pk)).count() == 1


@pytest.mark.parametrize("typed", ["R-TEST-9999", "", "R-TEST-000"])
def test_ph5_a_mismatched_receipt_number_refuses_to_send(report, staff, fake_line_api, typed):
    with pytest.raises(DirectMessageRefused, match="一致しません"):
        services.report_message_send(
            actor=staff, report=report, text="お知らせ", confirmed_receipt_number=typed
        )

    assert not fake_line_api.to("/v2/bot/message/push")
    assert not DirectMessage.objects.exists() and not report.events.filter(kind="message").exists()


def test_ph5_receipt_number_may_be_typed_in_full_width_or_lower_case(report, staff, fake_line_api):
    typed = "ｒ－ｔｅｓｔ－" + report.receipt_number[-4:].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )

    services.report_message_send(actor=staff, report=report, text="お知らせ", confirmed_receipt_number=typed)

    assert len(fake_line_api.to("/v2/bot/message/push")) == 1


def test_ph5_another_departments_staff_cannot_message_the_reporter(report, fake_line_api):
    outsider = StaffFactory()

    with pytest.raises(NotYourDepartment, match="権限"):
        services.report_message_send(
            actor=outsider, report=report, text="x", confirmed_receipt_number=report.receipt_number
        )
    assert not fake_line_api.to("/v2/bot/message/push")


def test_ph5_blocked_reporter_is_not_messaged(report, staff, fake_line_api):
    Friend.objects.filter(pk=report.friend_id).update(state=Friend.State.BLOCKED)
    report.refresh_from_db()

    with pytest.raises(DirectMessageRefused, match="ブロック"):
        services.report_message_send(
            actor=staff, report=report, text="x", confirmed_receipt_number=report.receipt_number
        )


def test_ph4_status_change_sends_the_templated_notice_after_confirmation(report, staff, fake_line_api):
    services.report_status_change(
        actor=staff,
        report=report,
        status=Status.IN_PROGRESS,
        notify=True,
        confirmed_receipt_number=report.receipt_number,
    )

    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert "対応を始めました" in push.body["messages"][0]["text"]
    assert report.receipt_number in push.body["messages"][0]["text"]
    assert DirectMessage.objects.get().purpose == "状況のお知らせ"


def test_ph5_status_change_with_a_wrong_receipt_number_changes_nothing(report, staff, fake_line_api):
    with pytest.raises(DirectMessageRefused):
        services.report_status_change(
            actor=staff,
            report=report,
            status=Status.DONE,
            notify=True,
            confirmed_receipt_number="R-XXXX-XXXX",
        )

    report.refresh_from_db()
    assert report.status == Status.RECEIVED and not report.events.filter(kind="status").exists()
    assert not fake_line_api.to("/v2/bot/message/push")


def test_status_template_placeholders_only_are_filled(report):
    from civicline.reports.line_messages import status_text
    from civicline.reports.models import StatusTemplate

    StatusTemplate.objects.create(
        status=Status.DONE, text="{receipt_number}/{category}/{category.__class__}/{x}"
    )

    assert (
        status_text(report, Status.DONE)
        == f"{report.receipt_number}/{report.category.name}/{{category.__class__}}/{{x}}"
    )


# --- the demo city --------------------------------------------------------------------------------


def test_demo_seed_is_idempotent_and_routes_as_described(friend):
    from civicline.reports import demo
    from civicline.reports.models import Category, RoutingRule

    for code, name in [("doro", "道路管理課"), ("kankyo", "環境政策課")]:
        DepartmentFactory(code=code, name=name)
    demo.seed()
    demo.seed()

    assert Category.objects.count() == 6 and RoutingRule.objects.count() == 2
    road, park = Category.objects.get(name="道路"), Category.objects.get(name="公園")
    assert file_report(friend, road, message="穴").department.name == "道路管理課"
    assert file_report(friend, road, message="街路樹の枝が落ちています").department.name == "公園みどり推進課"
    senri = services.Location(34.81, 135.50, "pin")
    assert file_report(friend, park, location=senri).department.name == "千里地域連携センター"
    assert file_report(friend, Category.objects.get(name="その他")).department is None
