"""Reports in the reporter's language (issue 21): the notices staff's actions push, the category's
name, and the city's status messages written per language."""

from __future__ import annotations

import pytest
from django.utils import translation

from civicline.reports import services
from civicline.reports.line_messages import DEFAULT_STATUS_TEXTS
from civicline.reports.models import Status, StatusTemplate
from tests.fixtures.core import DepartmentFactory, StaffFactory
from tests.fixtures.line import FriendFactory, languages_while_building
from tests.reports.factories import CategoryFactory, ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads():
    return DepartmentFactory(code="doro", name="道路管理課")


@pytest.fixture
def staff(roads):
    return StaffFactory(department=roads)


def report_of(friend, roads):
    category = CategoryFactory(
        name="道路", department=roads, translations={"en": {"name": "Roads"}, "vi": {"name": "Đường"}}
    )
    return ReportFactory(friend=friend, category=category, department=roads)


def notify(report, staff, status=Status.DONE):
    services.report_status_change(
        actor=staff, report=report, status=status, notify=True, confirmed_receipt_number=report.receipt_number
    )


def pushed_text(fake_line_api) -> str:
    (push,) = fake_line_api.to("/v2/bot/message/push")
    return push.body["messages"][0]["text"]


def test_issue21_an_english_reporter_gets_the_citys_english_status_message(roads, staff, fake_line_api):
    """issue 21: the status notice a clerk sends is in the reporter's language, with the category's name."""
    StatusTemplate.objects.create(
        status=Status.DONE,
        text="受付番号 {receipt_number}（{category}）の補修が終わりました。",
        translations={"en": {"text": "Report {receipt_number} ({category}) has been repaired."}},
    )
    report = report_of(FriendFactory(language="en"), roads)

    notify(report, staff)

    assert pushed_text(fake_line_api) == f"Report {report.receipt_number} (Roads) has been repaired."


def test_issue21_the_notice_is_built_in_the_reporters_language_not_the_clerks(
    roads, staff, fake_line_api, monkeypatch
):
    """issue 21: a Vietnamese reporter's notice is built in Vietnamese though the console speaks English."""
    from civicline.reports import line_messages

    spoken = languages_while_building(monkeypatch, line_messages, "status_text")
    report = report_of(FriendFactory(language="vi"), roads)

    with translation.override("en"):
        notify(report, staff, Status.IN_PROGRESS)

    assert spoken == ["vi"]
    with translation.override("vi"):
        standard = str(DEFAULT_STATUS_TEXTS[Status.IN_PROGRESS])
    expected = standard.replace("{receipt_number}", report.receipt_number).replace("{category}", "Đường")
    assert pushed_text(fake_line_api) == expected


def test_issue21_a_japanese_reporter_gets_japanese_whatever_the_clerk_reads(roads, staff, fake_line_api):
    """issue 21: an English-reading clerk's action does not send a Japanese resident English."""
    report = report_of(FriendFactory(language="ja"), roads)

    with translation.override("en"):
        notify(report, staff)

    expected = f"受付番号 {report.receipt_number} の通報（道路）の対応が完了しました"
    assert pushed_text(fake_line_api).startswith(expected)


def test_issue21_the_citys_japanese_only_message_is_not_sent_to_an_english_reporter(
    roads, staff, fake_line_api
):
    """issue 21: a message the city wrote only in Japanese gives way to the standard one in English."""
    StatusTemplate.objects.create(status=Status.DONE, text="【豊中市】{receipt_number} 補修完了")
    report = report_of(FriendFactory(language="en"), roads)

    notify(report, staff)

    with translation.override("en"):
        standard = str(DEFAULT_STATUS_TEXTS[Status.DONE])
    text = pushed_text(fake_line_api)
    assert "補修完了" not in text
    assert text == standard.replace("{receipt_number}", report.receipt_number).replace("{category}", "Roads")


def test_issue21_the_report_form_names_categories_in_the_residents_language(roads):
    """issue 21: the form's category choices are in the resident's language."""
    from civicline.reports.liff.forms import ReportForm

    report_of(FriendFactory(), roads)
    friend = FriendFactory(language="en")

    with translation.override("en"):
        labels = [label for _value, label in ReportForm(friend=friend).fields["category"].choices]

    assert "Roads" in labels
