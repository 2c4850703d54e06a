"""The engine's resident pages, through a consultation: photo, place, contact questions, the back
button, malformed and oversized uploads refused with a clear message."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicline.forms.models import Answer, Draft
from tests.fixtures.line import FriendFactory
from tests.forms.factories import resident_client
from tests.publiccomment.factories import key_of, make_consultation

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"ref": "a", "type": "photo", "label": "現場の写真", "required": True},
    {"ref": "b", "type": "location", "label": "場所", "required": True},
    {"ref": "c", "type": "email", "label": "メールアドレス", "page_break": True},
    {"ref": "d", "type": "phone", "label": "電話番号"},
]


@pytest.fixture
def setup(department, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    consultation = make_consultation(department=department, questions=QUESTIONS)
    friend = FriendFactory()
    return consultation, friend, resident_client(friend)


def png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (60, 40), "#88c").save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def url(consultation, rest):
    return f"/liff/publiccomment/{consultation.pk}/{rest}"


def test_a_photo_and_a_place_are_kept_and_stored_with_the_response(setup, fake_line_api):
    consultation, _friend, client = setup
    photo, place = key_of(consultation, "現場の写真"), key_of(consultation, "場所")

    moved = client.post(
        url(consultation, "p/1"),
        {
            photo: png(),
            place: "市役所前の交差点",
            f"{place}_lat": "34.781234",
            f"{place}_lng": "135.469912",
        },
    )
    assert moved["Location"] == url(consultation, "p/2")
    # Back on the page, the photo is kept without choosing it again.
    assert "写真は選択済みです" in client.get(url(consultation, "p/1")).content.decode()
    again = {place: "市役所前の交差点", f"{place}_lat": "34.781234", f"{place}_lng": "135.469912"}
    assert client.post(url(consultation, "p/1"), again)["Location"] == url(consultation, "p/2")
    client.post(url(consultation, "p/2"), {key_of(consultation, "メールアドレス"): "hanako@example.jp"})
    review = client.get(url(consultation, "confirm")).content.decode()
    assert "写真 1枚" in review and "市役所前の交差点" in review

    client.post(url(consultation, "confirm"))

    stored = Answer.objects.get(question=photo).data
    assert stored["name"].startswith("forms/photos/") and stored["width"] == 60
    assert Answer.objects.get(question=place).data == {"lat": 34.781234, "lng": 135.469912}
    assert Answer.objects.get(question=key_of(consultation, "メールアドレス")).sealed == "hanako@example.jp"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("x.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg"),
            "写真を読み込めませんでした",
        ),
        (
            SimpleUploadedFile(
                "big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024 + 1), content_type="image/png"
            ),
            "10MBまで",
        ),
    ],
)
def test_a_file_that_is_not_a_photo_or_too_large_is_refused_and_nothing_moves_on(setup, upload, message):
    consultation, friend, client = setup
    place = key_of(consultation, "場所")

    response = client.post(
        url(consultation, "p/1"), {key_of(consultation, "現場の写真"): upload, place: "駅前"}
    )

    assert response.status_code == 400 and message in response.content.decode()
    assert not any(draft.answers for draft in Draft.objects.filter(friend=friend))


def test_contact_details_are_checked(setup):
    consultation, _friend, client = setup
    client.post(
        url(consultation, "p/1"),
        {key_of(consultation, "現場の写真"): png(), key_of(consultation, "場所"): "駅前"},
    )

    response = client.post(
        url(consultation, "p/2"),
        {
            key_of(consultation, "メールアドレス"): "not-an-address",
            key_of(consultation, "電話番号"): "でんわ",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400 and "有効なメールアドレス" in page and "電話番号は半角数字" in page


def test_the_back_button_keeps_what_was_valid_and_returns(setup):
    consultation, friend, client = setup
    client.post(
        url(consultation, "p/1"),
        {key_of(consultation, "現場の写真"): png(), key_of(consultation, "場所"): "駅前"},
    )

    back = client.post(
        url(consultation, "p/2"),
        {
            "back": "1",
            key_of(consultation, "電話番号"): "06-1234-5678",
            key_of(consultation, "メールアドレス"): "x",
        },
    )

    assert back["Location"] == url(consultation, "p/1")
    answers = Draft.objects.get(friend=friend).answers
    assert answers[key_of(consultation, "電話番号")] == "06-1234-5678"
    assert key_of(consultation, "メールアドレス") not in answers
