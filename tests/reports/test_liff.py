"""The resident's report form (PH-1, PH-2) and receipt pages, as the phone's browser uses them."""

from __future__ import annotations

import pytest
from django.test import Client

from civicline.reports.liff.views import resident_summary
from civicline.reports.models import Report, ReportPhoto, Status
from tests.fixtures.line import FriendFactory
from tests.reports.factories import (
    HEIC_SAMPLE,
    CategoryFactory,
    ReportFactory,
    image_bytes,
    resident_client,
    upload,
)

pytestmark = pytest.mark.django_db

FORM = "/liff/reports/"
UPLOAD = "/liff/reports/photos"


@pytest.fixture
def friend():
    return FriendFactory()


@pytest.fixture
def client(friend):
    return resident_client(friend)


@pytest.fixture
def category():
    return CategoryFactory(name="道路", description="道路の穴・段差など")


def fields(category, **extra):
    data = {"category": category.pk, "message": "歩道に穴", "latitude": "34.7812", "longitude": "135.4699"}
    data["location_source"] = "pin"
    data.update(extra)
    return data


def test_the_form_offers_the_categories_and_needs_a_resident_session(client, category):
    page = client.get(FORM).content.decode()
    assert "道路の穴・段差など" in page and 'name="category"' in page

    anonymous = Client().get(FORM)
    assert (
        "道路" not in anonymous.content.decode() and 'data-liff-auth="required"' in anonymous.content.decode()
    )


def test_ph1_a_photo_is_uploaded_on_its_own_and_answers_its_id_and_position(client, friend):
    response = client.post(UPLOAD, {"photo": upload(data=image_bytes(gps=(34.7812, 135.4699)))})

    answer = response.json()
    assert response.status_code == 200 and answer["ok"] and answer["location"] == [34.7812, 135.4699]
    assert ReportPhoto.objects.get(pk=answer["id"]).friend == friend


def test_heic_from_an_iphone_is_accepted(client):
    response = client.post(UPLOAD, {"photo": upload("IMG_0001.HEIC", HEIC_SAMPLE, "image/heic")})

    assert response.json()["ok"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg onload=alert(1)>", "読み込めません"),
        (image_bytes("GIF"), "JPEG・PNG・HEIC"),
    ],
    ids=["not-an-image", "gif"],
)
def test_a_bad_photo_is_refused_with_a_message(client, data, message):
    response = client.post(UPLOAD, {"photo": upload("x.jpg", data)})

    assert response.status_code == 400 and message in response.json()["error"]
    assert not ReportPhoto.objects.exists()


def test_a_huge_upload_is_refused_before_it_is_read(client):
    response = client.post(UPLOAD, {"photo": upload()}, CONTENT_LENGTH=str(200 * 1024 * 1024))

    assert response.status_code == 413 and "15MBまで" in response.json()["error"]


def test_ph1_ph2_the_report_is_filed_with_the_uploaded_photos(client, friend, category):
    ids = [client.post(UPLOAD, {"photo": upload()}).json()["id"] for _ in range(2)]

    response = client.post(FORM, fields(category, photo=ids, contact="090-1234-5678"))

    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/r/{report.receipt_number}/")
    assert report.friend == friend and report.photos.count() == 2 and report.contact == "090-1234-5678"
    page = client.get(response["Location"]).content.decode()
    assert report.receipt_number in page and "2枚" in page


def test_photos_posted_with_the_form_are_checked_one_by_one_and_a_bad_one_loses_nothing(client, category):
    response = client.post(
        FORM, {**fields(category), "photos": [upload("good.jpg"), upload("bad.jpg", b"not")]}
    )

    report = Report.objects.get()
    assert report.photos.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "bad.jpg" in page and "追加し直せます" in page

    again = client.post(response["Location"], {"photos": [upload("retry.jpg")]})
    assert "1枚追加しました" in again.content.decode() and report.photos.count() == 2


def test_an_incomplete_form_keeps_the_photos_for_the_next_try(client, friend, category):
    response = client.post(
        FORM, {"category": category.pk, "message": "穴", "photos": [upload()]}
    )  # no place given

    assert response.status_code == 200 and "場所を地図で指定するか" in response.content.decode()
    assert not Report.objects.exists()
    (waiting,) = ReportPhoto.objects.filter(friend=friend, report__isnull=True)
    assert f'name="photo" value="{waiting.pk}"' in response.content.decode()


def test_a_place_note_is_enough_without_the_map(client, category):
    client.post(
        FORM, fields(category, latitude="", longitude="", location_source="", place_note="駅前の交差点")
    )

    report = Report.objects.get()
    assert report.place_note == "駅前の交差点" and not report.has_location


def test_another_residents_receipt_is_not_found(client, category):
    theirs = ReportFactory(friend=FriendFactory())

    assert client.get(f"/liff/reports/r/{theirs.receipt_number}/").status_code == 404
    assert client.post(f"/liff/reports/r/{theirs.receipt_number}/", {"photos": [upload()]}).status_code == 404


def test_my_reports_list_only_mine_with_their_status(client, friend):
    mine = ReportFactory(friend=friend, status=Status.IN_PROGRESS)
    ReportFactory(friend=FriendFactory(), receipt_number="R-OTHR-0001")

    page = client.get("/liff/reports/mine").content.decode()

    assert mine.receipt_number in page and "対応中" in page and "R-OTHR-0001" not in page


def test_the_residents_own_page_lists_open_reports(rf, friend):
    ReportFactory(friend=friend, receipt_number="R-OPEN-0001")
    ReportFactory(friend=friend, receipt_number="R-DONE-0001", status=Status.DONE)
    request = rf.get("/liff/")
    request.resident = friend

    section = resident_summary(request)

    assert "R-OPEN-0001" in section and "R-DONE-0001" not in section
    request.resident = FriendFactory()
    assert resident_summary(request) == ""
