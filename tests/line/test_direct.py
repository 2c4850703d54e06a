"""Messaging one resident about one record (civicline.line.direct; PH-4, PH-5). Photo reports are
the record here; public comments and staff conversations rely on the same guarantees."""

from __future__ import annotations

import pytest

from civicline.core.permissions import NotYourDepartment
from civicline.line.direct import (
    DirectMessageRefused,
    direct_message_confirmation,
    direct_message_list_for,
    direct_message_send,
    mask_name,
    receipt_key,
)
from civicline.line.models import Friend
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory
from tests.reports.factories import CategoryFactory, ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(department):
    return ReportFactory(
        friend=FriendFactory(display_name="豊中 花子"), category=CategoryFactory(department=department)
    )


@pytest.fixture
def staff(department):
    return StaffFactory(department=department)


def send(report, staff, **overrides):
    kwargs = {
        "record": report,
        "recipient_friend": report.direct_message_friend,
        "messages": ["お知らせ"],
        "confirmed_receipt_number": report.receipt_number,
        "actor": staff,
    }
    kwargs.update(overrides)
    return direct_message_send(**kwargs)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("豊中 花子", "豊＊ 花＊"), ("Hanako", "H＊＊＊＊＊"), ("花", "花＊"), ("", "＊＊"), ("  ", "＊＊")],
)
def test_names_are_masked_word_by_word(name, masked):
    assert mask_name(name) == masked


def test_receipt_numbers_compare_ignoring_width_case_spaces_and_dashes():
    assert receipt_key(" ｒ－ａｂｃｄ ー1234 ") == receipt_key("R-ABCD-1234") == "RABCD1234"
    assert receipt_key("R-ABCD-1235") != receipt_key("R-ABCD-1234")


def test_ph5_the_friend_must_be_the_records_own(report, staff, fake_line_api):
    with pytest.raises(DirectMessageRefused, match="一致しません"):
        send(report, staff, recipient_friend=FriendFactory())

    assert not fake_line_api.to("/v2/bot/message/push")


def test_ph5_nothing_is_sent_for_too_many_messages(report, staff, fake_line_api):
    with pytest.raises(DirectMessageRefused, match="1〜5件"):
        send(report, staff, messages=["a"] * 6)

    assert not fake_line_api.to("/v2/bot/message/push")


def test_the_confirmation_tells_what_staff_need_to_check(report):
    Friend.objects.filter(pk=report.friend_id).update(state=Friend.State.BLOCKED)
    report.friend.refresh_from_db()

    confirmation = direct_message_confirmation(record=report, thumbnail_url="/t.jpg")

    assert (confirmation.receipt_number, confirmation.masked_name) == (report.receipt_number, "豊＊ 花＊")
    assert not confirmation.can_send and "ブロック" in confirmation.reason


def test_each_send_is_logged_on_the_record(report, staff, fake_line_api):
    first = send(report, staff, purpose="返信")
    send(report, staff, purpose="状況のお知らせ")

    assert [m.purpose for m in direct_message_list_for(record=report)] == ["状況のお知らせ", "返信"]
    assert first.department == report.department and first.receipt_number == report.receipt_number
    assert first.sent_by == staff and first.messages == [{"type": "text", "text": "お知らせ"}]


def test_staff_of_another_department_cannot_message_the_records_resident(
    report, other_staff_user, fake_line_api
):
    with pytest.raises(NotYourDepartment, match="この受付を扱う権限がありません。"):
        send(report, other_staff_user)

    assert not fake_line_api.to("/v2/bot/message/push")
    assert not direct_message_list_for(record=report).exists()
