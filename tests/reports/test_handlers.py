"""The talk side of photo reports (PH-1): photos and a location in the talk lead to the same form."""

from __future__ import annotations

import uuid

import pytest

from civicline.line.models import MessageContent
from civicline.reports.models import Channel, ReportPhoto, TalkDraft
from tests.fixtures.line import FriendFactory, postback_event, text_event
from tests.reports.factories import CategoryFactory, file_report, image_bytes

pytestmark = pytest.mark.django_db


def _message_event(user_id: str, message: dict) -> dict:
    event = text_event(user_id, "x")
    event["message"] = {"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex, **message}
    return event


def image_event(user_id: str, api, data: bytes, *, image_set: tuple[str, int, int] | None = None) -> dict:
    event = _message_event(user_id, {"type": "image", "contentProvider": {"type": "line"}})
    if image_set:
        event["message"]["imageSet"] = {"id": image_set[0], "index": image_set[1], "total": image_set[2]}
    api.contents[event["message"]["id"]] = (data, "image/jpeg")
    return event


def location_event(user_id: str, latitude: float = 34.78, longitude: float = 135.47) -> dict:
    return _message_event(
        user_id,
        {"type": "location", "latitude": latitude, "longitude": longitude, "address": "豊中市中桜塚3丁目"},
    )


@pytest.fixture
def friend():
    return FriendFactory(user_id="U" + "a" * 32)


def replies(api):
    return [r.body["messages"] for r in api.replies]


def test_ph1_photos_in_the_talk_are_kept_and_the_resident_asked_for_the_place(deliver, fake_line_api, friend):
    deliver(
        image_event(friend.user_id, fake_line_api, image_bytes(gps=(34.78, 135.47)), image_set=("S1", 1, 2)),
        image_event(friend.user_id, fake_line_api, image_bytes(), image_set=("S1", 2, 2)),
    )

    photos = ReportPhoto.objects.filter(friend=friend, report__isnull=True, source="talk")
    assert photos.count() == 2
    # LINE's raw copy (EXIF and all) is gone once ours exists.
    assert not MessageContent.objects.exists()
    (answer,) = replies(fake_line_api)  # one answer for the set, after its last photo
    assert "2枚" in answer[0]["text"]
    actions = [item["action"]["type"] for item in answer[0]["quickReply"]["items"]]
    assert actions == ["location", "uri"]
    assert "/reports/" in answer[0]["quickReply"]["items"][1]["action"]["uri"]


def test_ph1_a_location_after_talk_photos_belongs_to_the_report(deliver, fake_line_api, friend):
    deliver(image_event(friend.user_id, fake_line_api, image_bytes()))
    deliver(location_event(friend.user_id))

    draft = TalkDraft.objects.get(friend=friend)
    assert (draft.latitude, draft.longitude, draft.address) == (34.78, 135.47, "豊中市中桜塚3丁目")
    answer = replies(fake_line_api)[-1][0]
    assert answer["type"] == "template" and "通報フォーム" in answer["altText"]

    report = file_report(friend, CategoryFactory(), location=None, place_note="トークの場所")
    assert report.channel == Channel.TALK


def test_a_location_without_recent_photos_is_left_to_the_shelter_search(deliver, fake_line_api, friend):
    deliver(location_event(friend.user_id))

    assert not TalkDraft.objects.exists()
    assert "通報" not in str(replies(fake_line_api))


def test_a_refused_photo_says_why_and_offers_the_form(deliver, fake_line_api, friend):
    deliver(image_event(friend.user_id, fake_line_api, b"GIF89a" + b"\0" * 40))

    answer = replies(fake_line_api)[-1][0]
    assert "受け付けられませんでした" in answer["text"] and "読み込めません" in answer["text"]
    assert not ReportPhoto.objects.exists() and not MessageContent.objects.exists()


def test_content_lost_on_lines_side_points_to_the_form(deliver, fake_line_api, friend):
    event = image_event(friend.user_id, fake_line_api, image_bytes())
    fake_line_api.contents.clear()  # LINE keeps content only for a while

    deliver(event)

    assert "通報フォームから写真を選んで" in replies(fake_line_api)[-1][0]["text"]


def test_the_rich_menus_report_button_explains_both_ways(deliver, fake_line_api, friend):
    deliver(postback_event(friend.user_id, "feature=reports&action=start"))

    answer = replies(fake_line_api)[-1][0]
    assert "写真と場所" in answer["text"]
    assert [i["action"]["type"] for i in answer["quickReply"]["items"]] == ["uri", "cameraRoll"]
