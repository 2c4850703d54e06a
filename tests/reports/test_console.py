"""Staff pages of photo reports: inbox, triage, detail, photos, status, replies (PH-4, PH-5),
reassignment, notes, settings — and that a department never sees another's reports (X-4)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from civicline.core.models import AuditEntry
from civicline.line.models import DirectMessage
from civicline.reports import services
from civicline.reports.models import Area, Category, Report, RoutingRule, Status, StatusTemplate
from tests.fixtures.line import FriendFactory
from tests.reports.factories import CategoryFactory, ReportFactory, RuleFactory, file_report, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads(department):
    return department


@pytest.fixture
def report(roads):
    friend = FriendFactory(display_name="豊中 花子")
    category = CategoryFactory(name="道路", department=roads)
    return file_report(
        friend, category, photos=2, message="<script>alert(1)</script>", contact="090-1111-2222"
    )


@pytest.fixture
def theirs(other_department):
    return ReportFactory(
        category=CategoryFactory(name="公園", department=other_department),
        department=other_department,
        receipt_number="R-THEI-RS01",
        latitude=34.9,
        longitude=135.9,
    )


def url(report, suffix=""):
    return f"/console/reports/{report.pk}/{suffix}"


# --- department isolation (X-4) --------------------------------------------------------------------


def test_x4_inbox_and_map_show_only_the_departments_reports(staff_client, report, theirs):
    page = staff_client.get("/console/reports/").content.decode()

    assert report.receipt_number in page and theirs.receipt_number not in page
    assert "34.9" not in page  # the map's points are the department's too


def test_x4_another_departments_report_and_photos_are_not_found(staff_client, theirs, roads):
    photo = services.report_photo_add(friend=theirs.friend, report=theirs, upload=upload())

    for path in ["", "status", "reply", "reassign", "notes"]:
        method = staff_client.get if path == "" else staff_client.post
        assert method(url(theirs, path), {}).status_code == 404
    assert staff_client.get(url(theirs, f"photos/{photo.pk}")).status_code == 404
    assert not AuditEntry.objects.filter(target_id=str(theirs.pk)).exists()


def test_system_administrator_sees_all_and_the_triage_queue(system_admin_client, report, theirs):
    waiting = ReportFactory(category=CategoryFactory(name="その他", department=None), department=None)

    everything = system_admin_client.get("/console/reports/").content.decode()
    triage = system_admin_client.get("/console/reports/triage").content.decode()

    assert report.receipt_number in everything and theirs.receipt_number in everything
    assert "振り分け待ちの通報が 1 件" in everything
    assert waiting.receipt_number in triage and report.receipt_number not in triage


def test_the_inbox_names_each_reports_area_or_says_it_lies_outside_them(staff_client, roads):
    from tests.reports.factories import AreaFactory

    AreaFactory(name="市役所周辺")
    inside = file_report(FriendFactory(), CategoryFactory(department=roads))  # at the city hall
    outside = ReportFactory(category=inside.category, department=roads, latitude=35.0, longitude=136.0)
    nowhere = ReportFactory(category=inside.category, department=roads, latitude=None, longitude=None)

    page = staff_client.get("/console/reports/").content.decode()
    table = page[page.index('id="report-table"') :]

    def row(report) -> str:
        start = table.index(report.receipt_number)
        return table[start : table.index("</tr>", start)]

    assert "市役所周辺" in row(inside)
    assert "地域外" in row(outside) and "地域外" not in row(nowhere)


def test_triage_is_for_the_system_administrator_only(staff_client):
    assert staff_client.get("/console/reports/triage").status_code == 403


def test_inbox_filters_by_status_and_category(staff_client, report, roads):
    lights = ReportFactory(category=CategoryFactory(name="街灯", department=roads), department=roads)
    lights.status = Status.IN_PROGRESS
    lights.save()

    by_status = staff_client.get("/console/reports/?status=in_progress").content.decode()
    by_category = staff_client.get(f"/console/reports/?category={report.category.pk}").content.decode()

    assert lights.receipt_number in by_status and report.receipt_number not in by_status
    assert report.receipt_number in by_category and lights.receipt_number not in by_category


# --- detail, photos -------------------------------------------------------------------------------


def test_detail_shows_the_report_escaped_and_is_audited(staff_client, report, staff_user):
    page = staff_client.get(url(report)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "090-1111-2222" in page and "豊＊ 花＊" in page
    assert report.receipt_number in page and "写真1" in page and "写真2" in page
    entry = AuditEntry.objects.get(action="view_personal", target_id=str(report.pk))
    assert entry.actor == staff_user


def test_photos_are_served_only_to_staff_with_access_and_audited(staff_client, client, report):
    photo = report.photos.first()

    response = staff_client.get(url(report, f"photos/{photo.pk}"))
    thumb = staff_client.get(url(report, f"photos/{photo.pk}/thumb"))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store" and thumb.status_code == 200
    assert AuditEntry.objects.filter(action="view_personal", summary__contains="写真").count() == 2
    assert client.get(url(report, f"photos/{photo.pk}")).status_code == 302  # to the login page


# --- status, replies (PH-4, PH-5) -----------------------------------------------------------------


def test_status_change_without_a_notice(staff_client, report, fake_line_api):
    response = staff_client.post(url(report, "status"), {"status": Status.IN_PROGRESS, "note": "現地確認へ"})

    report.refresh_from_db()
    assert response.status_code == 302 and report.status == Status.IN_PROGRESS
    assert not fake_line_api.to("/v2/bot/message/push")


def test_ph5_status_notice_asks_for_the_receipt_number_then_sends(staff_client, report, fake_line_api):
    confirm = staff_client.post(url(report, "status"), {"status": Status.DONE, "notify": "on"})

    page = confirm.content.decode()
    report.refresh_from_db()
    assert report.status == Status.RECEIVED  # nothing changes before the confirmation
    assert report.receipt_number in page and "豊＊ 花＊" in page and "対応が完了しました" in page
    assert f"/photos/{report.photos.first().pk}/thumb" in page

    wrong = staff_client.post(
        url(report, "status"), {"status": Status.DONE, "note": "", "confirmed_receipt_number": "R-AAAA-BBBB"}
    )
    report.refresh_from_db()
    assert wrong.status_code == 400 and "一致しません" in wrong.content.decode()
    assert report.status == Status.RECEIVED and not fake_line_api.to("/v2/bot/message/push")

    staff_client.post(
        url(report, "status"),
        {"status": Status.DONE, "note": "", "confirmed_receipt_number": report.receipt_number},
    )
    report.refresh_from_db()
    assert report.status == Status.DONE
    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == report.friend.user_id


def test_ph4_ph5_reply_goes_through_the_confirmation_screen(staff_client, report, fake_line_api):
    preview = staff_client.post(url(report, "reply"), {"text": "明日、補修に伺います。"})
    page = preview.content.decode()
    assert "送信先の確認" in page and report.receipt_number in page and "明日、補修に伺います。" in page
    assert not fake_line_api.to("/v2/bot/message/push")

    refused = staff_client.post(
        url(report, "reply"), {"text": "明日、補修に伺います。", "confirmed_receipt_number": "R-TEST-0000"}
    )
    assert refused.status_code == 400 and "一致しません" in refused.content.decode()
    assert not fake_line_api.to("/v2/bot/message/push") and not DirectMessage.objects.exists()

    sent = staff_client.post(
        url(report, "reply"),
        {"text": "明日、補修に伺います。", "confirmed_receipt_number": report.receipt_number.lower()},
    )
    assert sent.status_code == 302
    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == report.friend.user_id
    detail = staff_client.get(url(report)).content.decode()
    assert "送信者へ返信を送信" in detail and "明日、補修に伺います。" in detail


def test_staff_confirm_the_reporter_once_per_case_not_for_every_message(
    staff_client, report, roads, fake_line_api
):
    """Issue 17: three screens per reply. After one confirmation, further messages about the same
    report go at once; another report asks again, and so does coming back to the first."""
    def confirmed_reply(target, text):
        return staff_client.post(
            url(target, "reply"), {"text": text, "confirmed_receipt_number": target.receipt_number}
        )

    confirmed_reply(report, "確認します。")

    again = staff_client.post(url(report, "reply"), {"text": "明日伺います。"})
    status = staff_client.post(url(report, "status"), {"status": Status.DONE, "note": "", "notify": "on"})

    assert again.status_code == 302 and status.status_code == 302
    assert len(fake_line_api.to("/v2/bot/message/push")) == 3
    lamp = CategoryFactory(name="街灯", department=roads)
    other = file_report(FriendFactory(), lamp, photos=0, message="x")
    assert "送信先の確認" in staff_client.post(url(other, "reply"), {"text": "伺います。"}).content.decode()
    confirmed_reply(other, "伺います。")
    back = staff_client.post(url(report, "reply"), {"text": "完了しました。"}).content.decode()
    assert "送信先の確認" in back and len(fake_line_api.to("/v2/bot/message/push")) == 4


def test_the_reply_is_addressed_by_the_report_not_by_a_user_id(staff_client, report, fake_line_api):
    stranger = FriendFactory()

    staff_client.post(
        url(report, "reply"),
        {"text": "x", "confirmed_receipt_number": report.receipt_number, "to": stranger.user_id},
    )

    assert [p.body["to"] for p in fake_line_api.to("/v2/bot/message/push")] == [report.friend.user_id]


# --- reassignment, notes --------------------------------------------------------------------------


def test_reassigning_hands_the_report_over_and_the_old_department_loses_it(
    staff_client, report, other_department
):
    response = staff_client.post(
        url(report, "reassign"), {"department": other_department.pk, "reason": "所管外"}
    )

    report.refresh_from_db()
    assert response["Location"] == "/console/reports/" and report.department == other_department
    assert staff_client.get(url(report)).status_code == 404
    assert AuditEntry.objects.filter(
        action="update", department=other_department, target_id=str(report.pk)
    ).exists()


def test_an_internal_note_is_added_to_the_history(staff_client, report):
    staff_client.post(url(report, "notes"), {"text": "電話で場所を確認済み"})

    assert "電話で場所を確認済み" in staff_client.get(url(report)).content.decode()


# --- settings (system administrator) --------------------------------------------------------------


def test_settings_list_a_category_that_waits_for_triage(system_admin_client):
    """A category with no department yet (振り分け待ち) broke the whole settings page with a 500."""
    CategoryFactory(name="その他", department=None, notification_email="")

    response = system_admin_client.get("/console/reports/settings/")

    assert response.status_code == 200 and "振り分け待ち" in response.content.decode()


def test_settings_are_for_the_system_administrator_only(staff_client):
    assert staff_client.get("/console/reports/settings/").status_code == 403
    assert staff_client.post("/console/reports/settings/categories/new", {"name": "x"}).status_code == 403


def test_administrator_adds_a_category_and_it_is_audited(system_admin_client, department):
    response = system_admin_client.post(
        "/console/reports/settings/categories/new",
        {
            "name": "カーブミラー",
            "description": "",
            "department": department.pk,
            "order": 5,
            "is_active": "on",
        },
    )

    assert response.status_code == 302 and Category.objects.get(name="カーブミラー").department == department
    assert AuditEntry.objects.filter(action="create", summary__contains="カーブミラー").exists()


def test_a_rule_needs_at_least_one_condition(system_admin_client, department):
    response = system_admin_client.post(
        "/console/reports/settings/rules/new", {"name": "全部", "priority": 1, "department": department.pk}
    )

    assert "少なくとも1つ" in response.content.decode() and not RoutingRule.objects.exists()


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("not json", "GeoJSONとして読み取れません"),
        (json.dumps({"type": "Point", "coordinates": [135.4, 34.7]}), "Polygon"),
        (
            json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
            "交差",
        ),
    ],
    ids=["not-json", "point", "bow-tie"],
)
def test_a_bad_area_is_refused_clearly(system_admin_client, boundary, message):
    response = system_admin_client.post(
        "/console/reports/settings/areas/new", {"name": "北部", "boundary": boundary}
    )

    assert message in response.content.decode() and not Area.objects.exists()


def test_an_area_drawn_as_a_feature_is_saved_and_cannot_be_deleted_while_a_rule_uses_it(
    system_admin_client, department
):
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[135.4, 34.7], [135.5, 34.7], [135.5, 34.8], [135.4, 34.7]]],
        },
    }
    system_admin_client.post(
        "/console/reports/settings/areas/new", {"name": "北部", "boundary": json.dumps(feature)}
    )
    area = Area.objects.get(name="北部")
    assert area.boundary["type"] == "Polygon"
    RuleFactory(area=area, department=department)

    response = system_admin_client.post(f"/console/reports/settings/area/{area.pk}/delete", follow=True)

    assert "使われているため削除できません" in response.content.decode() and Area.objects.exists()


def test_a_refused_setting_shows_why_on_its_form_and_changes_nothing(system_admin_client, monkeypatch):
    category = CategoryFactory(name="道路の損傷")

    def refuse(**kwargs):
        raise ValidationError({"name": "同じ名前の種類があります。"})

    monkeypatch.setattr(services, "setting_update", refuse)
    response = system_admin_client.post(
        f"/console/reports/settings/categories/{category.pk}/",
        {"name": "道路", "order": 0, "is_active": "on"},
    )

    assert response.status_code == 200
    assert "同じ名前の種類があります。" in response.content.decode()
    assert Category.objects.get(pk=category.pk).name == "道路の損傷"


def test_status_messages_are_editable(system_admin_client):
    system_admin_client.post(
        "/console/reports/settings/messages/done/", {"text": "{receipt_number} の対応が終わりました。"}
    )

    assert StatusTemplate.objects.get(status="done").text == "{receipt_number} の対応が終わりました。"
    page = system_admin_client.get("/console/reports/settings/").content.decode()
    assert "{receipt_number} の対応が終わりました。" in page


def test_reports_keep_their_category_when_a_rule_is_deleted(system_admin_client, report):
    rule = RuleFactory(category=report.category, keywords="穴", department=report.department)
    system_admin_client.post(f"/console/reports/settings/rule/{rule.pk}/delete")

    assert not RoutingRule.objects.exists() and Report.objects.filter(pk=report.pk).exists()
