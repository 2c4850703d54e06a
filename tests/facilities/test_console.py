"""Staff pages: facilities, imports with preview (MP-2), exports, the shelter board (MP-4)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicline.core.models import AuditEntry
from civicline.facilities.models import Facility, FacilityDataset, FacilityImport, MapState, Shelter
from tests.facilities.factories import (
    TOYONAKA_SHELTERS,
    YAIZU_FACILITIES,
    DatasetFactory,
    FacilityFactory,
    category,
    csv_bytes,
    shelter_at,
    yaizu_rows,
)

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def dataset(staff_user):
    return DatasetFactory(department=staff_user.department, name="公共施設一覧")


def upload(client, dataset, content, name="data.csv"):
    response = client.post(
        f"/console/facilities/datasets/{dataset.pk}/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def test_mp2_upload_previews_then_applies(staff_client, dataset):
    preview_url = upload(staff_client, dataset, YAIZU_FACILITIES.read_bytes())

    page = staff_client.get(preview_url).content.decode()
    assert "CSV・UTF-8 (BOM付き)" in page
    assert 'id="import-new"' in page and "深層水ミュージアム" in page
    assert Facility.objects.count() == 0

    imported = FacilityImport.objects.get()
    response = staff_client.post(f"/console/facilities/imports/{imported.pk}/apply/", follow=True)

    assert "取り込みました: 追加 28件・変更 0件・削除 0件" in response.content.decode()
    assert Facility.objects.filter(dataset=dataset).count() == 28


def test_mp2_broken_file_shows_every_error_with_its_line_and_cannot_be_applied(staff_client, dataset):
    header, rows = yaizu_rows()
    header[header.index("緯度")] = "いど"  # no latitude column: nothing in the file is usable

    preview_url = upload(staff_client, dataset, csv_bytes(header, rows))
    page = staff_client.get(preview_url).content.decode()

    assert 'id="import-errors"' in page
    assert "ファイル全体" in page and "必要な列がありません: 緯度" in page
    assert "反映する" not in page
    imported = FacilityImport.objects.get()
    response = staff_client.post(f"/console/facilities/imports/{imported.pk}/apply/", follow=True)
    assert "エラーがあるため反映できません" in response.content.decode()
    assert Facility.objects.count() == 0


def test_mp2_oversized_upload_is_refused_on_the_form(staff_client, dataset):
    response = staff_client.post(
        f"/console/facilities/datasets/{dataset.pk}/",
        {"file": SimpleUploadedFile("big.csv", b"x" * (5 * 1024 * 1024 + 1))},
    )

    assert response.status_code == 200
    assert "ファイルが大きすぎます" in response.content.decode()
    assert FacilityImport.objects.count() == 0


def test_x4_another_departments_dataset_and_import_are_not_found(
    console_client, other_staff_user, dataset, staff_client
):
    upload(staff_client, dataset, YAIZU_FACILITIES.read_bytes())
    imported = FacilityImport.objects.get()
    other = console_client(other_staff_user)

    assert other.get(f"/console/facilities/datasets/{dataset.pk}/").status_code == 404
    assert other.get(f"/console/facilities/datasets/{dataset.pk}/export.csv").status_code == 404
    assert other.get(f"/console/facilities/imports/{imported.pk}/").status_code == 404
    assert other.post(f"/console/facilities/imports/{imported.pk}/apply/").status_code == 404
    assert Facility.objects.count() == 0


def test_x4_facility_pages_of_another_department_are_not_found(console_client, other_staff_user, staff_user):
    facility = FacilityFactory(department=staff_user.department, name="こども館")
    other = console_client(other_staff_user)

    assert "こども館" not in other.get("/console/facilities/").content.decode()
    assert other.get(f"/console/facilities/{facility.pk}/").status_code == 404
    assert other.post(f"/console/facilities/{facility.pk}/delete/").status_code == 404
    assert Facility.objects.filter(pk=facility.pk).exists()


def test_mp1_staff_registers_a_shelter_by_hand(staff_client, staff_user):
    response = staff_client.post(
        "/console/facilities/new/",
        {
            "category": category("shelter").pk,
            "name": "北公民館",
            "latitude": "34.80",
            "longitude": "135.47",
            "kinds": ["flood", "fire"],
        },
    )

    assert response.status_code == 302
    facility = Facility.objects.get(name="北公民館")
    assert facility.department == staff_user.department
    assert [k.value for k in facility.shelter.kinds] == ["flood", "fire"]


def test_mp1_department_field_is_ignored_for_department_staff(staff_client, staff_user, other_department):
    staff_client.post(
        "/console/facilities/new/",
        {
            "department": other_department.pk,
            "category": category("city").pk,
            "name": "東公民館",
            "latitude": "34.80",
            "longitude": "135.47",
        },
    )

    assert Facility.objects.get(name="東公民館").department == staff_user.department


def test_mp1_bad_coordinates_on_the_form_change_nothing(staff_client):
    response = staff_client.post(
        "/console/facilities/new/",
        {
            "category": category("city").pk,
            "name": "東公民館",
            "latitude": "95",
            "longitude": "135.47",
        },
    )

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Facility.objects.exists()


def test_xss_facility_names_are_escaped_in_lists_and_previews(staff_client, staff_user, dataset):
    FacilityFactory(department=staff_user.department, name=XSS)
    header, rows = yaizu_rows()
    rows[0][header.index("名称")] = XSS

    listing = staff_client.get("/console/facilities/").content.decode()
    preview = staff_client.get(upload(staff_client, dataset, csv_bytes(header, rows))).content.decode()

    for page in (listing, preview):
        assert XSS not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_mp2_export_is_in_the_imported_format_and_escapes_formulas(staff_client, staff_user, dataset):
    header, rows = yaizu_rows()
    rows[0][header.index("名称")] = '=HYPERLINK("http://evil.example","詳細")'
    upload(staff_client, dataset, csv_bytes(header, rows))
    staff_client.post(f"/console/facilities/imports/{FacilityImport.objects.get().pk}/apply/")

    exported = read_csv(staff_client.get(f"/console/facilities/datasets/{dataset.pk}/export.csv"))

    assert exported[0] == header
    assert exported[1][header.index("名称")] == '\'=HYPERLINK("http://evil.example","詳細")'
    assert exported[2] == rows[1]
    assert AuditEntry.objects.filter(action="export").exists()


def test_x4_facility_list_export_holds_only_the_departments_own(staff_client, staff_user, other_department):
    FacilityFactory(department=staff_user.department, name="こども館")
    FacilityFactory(department=other_department, name="清掃工場")

    exported = read_csv(staff_client.get("/console/facilities/export.csv"))

    names = [row[exported[0].index("名称")] for row in exported[1:]]
    assert names == ["こども館"]


def test_mp4_shelter_board_opens_closes_and_marks_full(staff_client, staff_user):
    shelter = shelter_at("第一小学校", 0, department=staff_user.department, status=Shelter.Status.CLOSED)

    board = staff_client.get("/console/facilities/shelters/").content.decode()
    assert "第一小学校" in board and "未開設" in board

    response = staff_client.post(
        f"/console/facilities/shelters/{shelter.pk}/status/",
        {"status": "open", "back": "status=closed&evil=1"},
    )

    assert response["Location"] == "/console/facilities/shelters/?status=closed"
    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.OPEN
    assert AuditEntry.objects.filter(summary="避難先の開設状況を「開設中」に変更").count() == 1
    page = staff_client.get("/console/facilities/shelters/").content.decode()
    assert "「第一小学校」を「開設中」にしました。" in page


def test_x4_another_departments_shelter_cannot_be_opened(console_client, other_staff_user, staff_user):
    shelter = shelter_at("第一小学校", 0, department=staff_user.department, status=Shelter.Status.CLOSED)
    other = console_client(other_staff_user)

    assert "第一小学校" not in other.get("/console/facilities/shelters/").content.decode()
    assert (
        other.post(f"/console/facilities/shelters/{shelter.pk}/status/", {"status": "open"}).status_code
        == 404
    )
    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.CLOSED


def test_mp4_disaster_kind_set_from_the_board(staff_client, staff_user, console_client, other_staff_user):
    shelter_at("第一小学校", 0, department=staff_user.department)

    staff_client.post("/console/facilities/shelters/disaster-kind/", {"kind": "tsunami"})

    assert MapState.current().disaster_kind == "tsunami"
    other = console_client(other_staff_user)
    assert other.post("/console/facilities/shelters/disaster-kind/", {"kind": ""}).status_code == 404
    assert MapState.current().disaster_kind == "tsunami"


def test_mp1_categories_are_kept_by_the_system_administrator(staff_client, system_admin_client):
    assert staff_client.get("/console/facilities/categories/").status_code == 403

    response = system_admin_client.post(
        "/console/facilities/categories/new/",
        {
            "key": "library",
            "name": "図書館",
            "icon": "図",
            "colour": "#795548",
            "order": 60,
        },
    )

    assert response.status_code == 302
    assert "図書館" in system_admin_client.get("/console/facilities/categories/").content.decode()


def test_mp2_dataset_created_for_the_staff_members_department(staff_client, staff_user):
    response = staff_client.post(
        "/console/facilities/datasets/new/",
        {
            "name": "豊中市 指定避難所",
            "kind": "shelters",
            "category": category("shelter").pk,
            "attribution": "国土地理院",
        },
    )

    dataset = FacilityDataset.objects.get()
    assert response["Location"] == f"/console/facilities/datasets/{dataset.pk}/"
    assert dataset.department == staff_user.department
    preview = staff_client.get(upload(staff_client, dataset, TOYONAKA_SHELTERS.read_bytes(), "a.geojson"))
    assert "GeoJSON・UTF-8" in preview.content.decode()


def test_every_facilities_page_renders_for_its_department(staff_client, staff_user, dataset):
    facility = FacilityFactory(department=staff_user.department, dataset=dataset, dataset_key="10")
    shelter_at("第一小学校", 0, department=staff_user.department)

    for url in [
        "/console/facilities/",
        "/console/facilities/?q=第一&category=" + str(category("shelter").pk),
        "/console/facilities/new/",
        f"/console/facilities/{facility.pk}/",
        "/console/facilities/datasets/",
        "/console/facilities/datasets/new/",
        f"/console/facilities/datasets/{dataset.pk}/",
        f"/console/facilities/datasets/{dataset.pk}/edit/",
        "/console/facilities/shelters/?status=open",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url

    edit = staff_client.get(f"/console/facilities/{facility.pk}/").content.decode()
    assert "次の取り込みで上書きされます" in edit


def test_mp2_preview_lists_refused_rows_and_warnings_and_applies_the_good_rows_on_confirmation(
    staff_client, staff_user
):
    """A file with a few unusable rows: staff see why, tick the box, the rest goes in (audited)."""
    spaces = DatasetFactory(
        department=staff_user.department,
        name="指定緊急避難場所",
        kind=FacilityDataset.Kind.EVACUATION_SPACES,
        category=category("evacuation_space"),
    )
    content = (Path(__file__).resolve().parent / "data" / "kakuu_kinkyu_hinanbasho_sjis.csv").read_bytes()
    preview_url = upload(staff_client, spaces, content)

    page = staff_client.get(preview_url).content.decode()
    assert 'id="import-errors"' in page and "10行目" in page and "緯度と経度が同じ値（41.77）です" in page
    assert "11行目" in page and "名称が空欄です。" in page
    assert 'id="import-warnings"' in page and "入れ替えて取り込みます" in page and "9行目" in page
    assert 'id="import-key-note"' in page and "名称と住所から施設を見分けるキー" in page
    assert 'name="skip_refused"' in page and "エラーの 5 行を除いて反映する" in page
    imported = FacilityImport.objects.get()
    apply_url = f"/console/facilities/imports/{imported.pk}/apply/"

    refused = staff_client.post(apply_url, follow=True).content.decode()  # box not ticked
    assert "確認欄にチェック" in refused and Facility.objects.count() == 0

    response = staff_client.post(apply_url, {"skip_refused": "1"}, follow=True)

    page = response.content.decode()
    assert (
        "取り込みました: 追加 7件・変更 0件・削除 0件" in page and "エラーの 5 行は反映していません" in page
    )
    assert Facility.objects.filter(dataset=spaces).count() == 7
    assert 'id="last-refused"' in page and "15行目" in page and "小数点以下0桁" in page  # listed to correct
    entry = AuditEntry.objects.get(summary__startswith="ファイルを取り込み")
    assert entry.actor == staff_user and entry.changes["skip_refused"] is True
    assert (entry.changes["new"], entry.changes["refused"], entry.changes["rows"]) == (7, 5, 12)
    assert "反映しなかった行 5件" in entry.summary


def test_mp2_a_file_without_any_usable_row_cannot_be_applied(staff_client, dataset):
    header, rows = yaizu_rows()
    for row in rows:
        row[header.index("緯度")] = ""

    page = staff_client.get(upload(staff_client, dataset, csv_bytes(header, rows))).content.decode()

    assert "取り込める行がありません" in page and "反映する" not in page


def test_mp2_dataset_code_for_the_command_is_unique(staff_client, staff_user):
    DatasetFactory(department=staff_user.department, code="hinanjo")

    response = staff_client.post(
        "/console/facilities/datasets/new/",
        {"name": "別の一覧", "code": "hinanjo", "kind": "public_facilities", "category": category("city").pk},
    )

    assert "この識別子は別のデータセットで使われています。" in response.content.decode()


def test_mp1_a_facility_edited_in_the_console_is_audited_with_what_changed(staff_client, staff_user):
    facility = FacilityFactory(department=staff_user.department, name="中央公民館")
    form = {
        "category": facility.category.pk,
        "name": "中央公民館（本館）",
        "address": facility.address,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
    }

    response = staff_client.post(f"/console/facilities/{facility.pk}/", form)

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", target_id=str(facility.pk))
    assert entry.actor == staff_user and entry.summary == "施設を変更"
    assert entry.changes == {"name": {"before": "中央公民館", "after": "中央公民館（本館）"}}
    assert entry.client_address and entry.request_id
