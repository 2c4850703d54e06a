"""Shelter check-in (MP-4): the poster's QR page, no double counting, 混雑 / 満員 from occupancy,
the search skipping full shelters, the staff's desk and headquarters' board, the CSV, the public list."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from django.test import Client

from civicline.core.models import AuditEntry
from civicline.facilities import selectors, services
from civicline.facilities.models import Shelter, ShelterCheckIn
from civicline.line.liff.auth import SESSION_KEY
from tests.facilities.factories import CITY_HALL, shelter_at
from tests.fixtures.line import FriendFactory

pytestmark = pytest.mark.django_db


def resident_client(friend) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


@pytest.fixture
def school(staff_user) -> Shelter:
    shelter = shelter_at("第一小学校", 0, department=staff_user.department)
    shelter.facility.capacity = 10
    shelter.facility.save()
    return shelter


def checkin_url(shelter: Shelter) -> str:
    return f"/liff/facilities/checkin/{shelter.checkin_key}/"


def test_resident_checks_in_from_the_qr_page_and_needs_are_sealed(school):
    friend = FriendFactory()
    client = resident_client(friend)

    page = client.get(checkin_url(school))
    response = client.post(
        checkin_url(school),
        {"action": "checkin", "household_size": "3", "needs": ["wheelchair", "pets"], "note": "卵アレルギー"},
    )

    assert page.status_code == 200 and "第一小学校" in page.content.decode()
    assert response.status_code == 302 and response["Location"].endswith("?done=1")
    checkin = ShelterCheckIn.objects.get()
    assert (checkin.household_size, checkin.needs, checkin.note) == (
        3,
        ["pets", "wheelchair"],
        "卵アレルギー",
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT needs, note FROM facilities_sheltercheckin")
        raw = " ".join(cursor.fetchone())
    assert "wheelchair" not in raw and "卵" not in raw  # sealed at rest
    assert "受付済み" in client.get(checkin_url(school)).content.decode()


def test_the_qr_page_needs_line_and_a_real_key(school, client):
    assert 'data-liff-auth="required"' in client.get(checkin_url(school)).content.decode()
    assert resident_client(FriendFactory()).get("/liff/facilities/checkin/nope/").status_code == 404


def test_no_double_counting_and_moving_checks_out_of_the_first(school, staff_user):
    other = shelter_at("第二中学校", 500, department=staff_user.department)
    friend = FriendFactory()

    services.shelter_checkin(shelter=school, friend=friend, household_size=2, needs=[])
    services.shelter_checkin(shelter=school, friend=friend, household_size=4, needs=["medical"])  # updated
    assert selectors.shelter_people(school) == 4 and ShelterCheckIn.objects.count() == 1

    services.shelter_checkin(shelter=other, friend=friend, household_size=4, needs=[])

    assert selectors.shelter_people(school) == 0 and selectors.shelter_people(other) == 4
    assert ShelterCheckIn.objects.filter(checked_out_at__isnull=True).count() == 1

    services.shelter_checkout(friend=friend)
    assert selectors.shelter_people(other) == 0


def test_shelter_turns_crowded_then_full_and_back(school):
    people = [FriendFactory() for _ in range(4)]

    services.shelter_checkin(shelter=school, friend=people[0], household_size=5, needs=[])
    school.refresh_from_db()
    assert school.status == Shelter.Status.OPEN
    services.shelter_checkin(shelter=school, friend=people[1], household_size=3, needs=[])  # 8 of 10
    school.refresh_from_db()
    assert school.status == Shelter.Status.CROWDED
    services.shelter_checkin(shelter=school, friend=people[2], household_size=2, needs=[])  # 10 of 10
    school.refresh_from_db()
    assert school.status == Shelter.Status.FULL
    assert AuditEntry.objects.filter(summary__contains="「満員」に変更").exists()

    services.shelter_checkout(friend=people[2])
    school.refresh_from_db()
    assert school.status == Shelter.Status.CROWDED


def test_search_skips_a_full_shelter_and_keeps_a_crowded_one(school, staff_user):
    farther = shelter_at("第二中学校", 800, department=staff_user.department)
    services.shelter_checkin(shelter=school, friend=FriendFactory(), household_size=10, needs=[])

    found, _kind = selectors.nearest_open_shelters(latitude=CITY_HALL[0], longitude=CITY_HALL[1])
    assert [n.name for n in found] == ["第二中学校"]

    services.shelter_checkout(friend=ShelterCheckIn.objects.get().friend)
    services.shelter_checkin(shelter=school, friend=FriendFactory(), household_size=9, needs=[])
    found, _kind = selectors.nearest_open_shelters(latitude=CITY_HALL[0], longitude=CITY_HALL[1])
    assert [(n.name, n.status) for n in found] == [("第一小学校", "crowded"), ("第二中学校", "open")]
    assert farther.status == Shelter.Status.OPEN


def test_a_closed_shelter_takes_no_check_in(staff_user):
    closed = shelter_at("公民館", 0, department=staff_user.department, status=Shelter.Status.CLOSED)
    response = resident_client(FriendFactory()).post(
        checkin_url(closed), {"action": "checkin", "household_size": "1"}
    )

    assert response.status_code == 400 and "開設されていません" in response.content.decode()
    assert ShelterCheckIn.objects.count() == 0


def test_resident_checks_out_on_the_page(school):
    friend = FriendFactory()
    services.shelter_checkin(shelter=school, friend=friend, household_size=2, needs=[])

    response = resident_client(friend).post(checkin_url(school), {"action": "checkout"})

    assert response["Location"].endswith("?left=1")
    assert ShelterCheckIn.objects.get().checked_out_at is not None


def test_staff_desk_shows_households_and_checks_one_out(school, staff_client):
    services.shelter_checkin(
        shelter=school, friend=FriendFactory(), household_size=3, needs=["allergy"], note="そば"
    )

    page = staff_client.get(f"/console/facilities/shelters/{school.pk}/desk/").content.decode()

    assert "そば" in page and "食物アレルギー" in page and 'id="desk-people">3<' in page
    assert AuditEntry.objects.filter(action="view_personal", summary__contains="受付一覧").exists()
    checkin = ShelterCheckIn.objects.get()
    staff_client.post(f"/console/facilities/checkins/{checkin.pk}/checkout/")
    checkin.refresh_from_db()
    assert checkin.checked_out_at is not None


def test_another_department_sees_neither_desk_nor_households(school, console_client, other_staff_user):
    services.shelter_checkin(shelter=school, friend=FriendFactory(), household_size=3, needs=[], note="秘密")
    other = console_client(other_staff_user)

    assert other.get(f"/console/facilities/shelters/{school.pk}/desk/").status_code == 404
    checkin = ShelterCheckIn.objects.get()
    assert other.post(f"/console/facilities/checkins/{checkin.pk}/checkout/").status_code == 404
    assert "秘密" not in other.get("/console/facilities/shelters/occupancy/").content.decode()


def test_headquarters_board_and_csv(school, system_admin_client):
    services.shelter_checkin(
        shelter=school, friend=FriendFactory(), household_size=8, needs=["medical", "pets"]
    )
    school.facility.name = '=HYPERLINK("http://x")'
    school.facility.save()

    board = system_admin_client.get("/console/facilities/shelters/occupancy/").content.decode()
    response = system_admin_client.get("/console/facilities/shelters/occupancy.csv")

    assert "80%" in board and "混雑" in board
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "施設ID",
        "名称",
        "住所",
        "開設状況",
        "収容人数・定員",
        "避難者数",
        "世帯数",
        "収容率（%）",
    ]
    assert rows[1][1].startswith("'=") and rows[1][3:8] == ["混雑", "10", "8", "1", "80"]
    assert rows[0][8:12] == ["車いす", "食物アレルギー", "ペット同伴", "医療的ケア"] and rows[1][8:12] == [
        "0",
        "0",
        "1",
        "1",
    ]
    assert AuditEntry.objects.filter(action="export", summary__contains="受付状況").exists()


def test_poster_has_a_qr_code_for_the_check_in_page(school, staff_client, settings):
    page = staff_client.get(f"/console/facilities/shelters/{school.pk}/poster/").content.decode()

    assert "<svg" in page and "第一小学校" in page
    assert f"https://liff.line.me/{settings.LIFF_ID}/facilities/checkin/{school.checkin_key}/" in page
    # The console's Content-Security-Policy: no inline script, style attribute or handler.
    assert "style=" not in page and "<script>" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_public_shelter_list_works_without_line(school, staff_user, client):
    shelter_at("第二中学校", 800, department=staff_user.department, status=Shelter.Status.FULL)
    shelter_at("公民館", 900, department=staff_user.department, status=Shelter.Status.CLOSED)

    page = client.get("/liff/facilities/shelters/").content.decode()

    assert page.index("第一小学校") < page.index("第二中学校") < page.index("公民館")
    assert "満員" in page and 'data-liff-auth="none"' in page
