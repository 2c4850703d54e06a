"""Imports (MP-2), manual edits, shelter statuses and the disaster kind (MP-4): all audited."""

import pytest
from django.core.exceptions import ValidationError

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.facilities import services
from civicline.facilities.importing import build_plan
from civicline.facilities.models import Facility, FacilityDataset, MapState, Shelter
from tests.facilities.factories import (
    TOYONAKA_SHELTERS,
    TOYONAKA_SPACES,
    YAIZU_FACILITIES,
    YAIZU_SPACES,
    DatasetFactory,
    FacilityFactory,
    category,
    csv_bytes,
    shelter_at,
    yaizu_rows,
)

pytestmark = pytest.mark.django_db
Kind = FacilityDataset.Kind


def import_file(dataset, content, actor, filename="data.csv"):
    upload = services.facility_import_upload(dataset=dataset, actor=actor, filename=filename, content=content)
    return services.facility_import_apply(facility_import=upload, actor=actor)


@pytest.fixture
def shelters_dataset(staff_user):
    return DatasetFactory(
        department=staff_user.department, name="指定避難所", kind=Kind.SHELTERS, category=category("shelter")
    )


@pytest.fixture
def facilities_dataset(staff_user):
    return DatasetFactory(department=staff_user.department, name="公共施設一覧")


@pytest.mark.parametrize(
    ("path", "kind", "category_key", "count"),
    [
        (TOYONAKA_SHELTERS, Kind.SHELTERS, "shelter", 167),
        (TOYONAKA_SPACES, Kind.EVACUATION_SPACES, "evacuation_space", 272),
        (YAIZU_SPACES, Kind.EVACUATION_SPACES, "evacuation_space", 31),
        (YAIZU_FACILITIES, Kind.PUBLIC_FACILITIES, "city", 28),
    ],
    ids=lambda value: getattr(value, "name", None),
)
def test_mp2_real_datasets_import_cleanly(staff_user, path, kind, category_key, count):
    dataset = DatasetFactory(department=staff_user.department, kind=kind, category=category(category_key))

    plan = import_file(dataset, path.read_bytes(), staff_user, path.name)

    assert plan.counts() == {"new": count, "changed": 0, "removed": 0, "unchanged": 0, "refused": 0}
    assert Facility.objects.filter(dataset=dataset, department=staff_user.department).count() == count
    is_shelter = category(category_key).is_shelter
    assert Shelter.objects.filter(facility__dataset=dataset).count() == (count if is_shelter else 0)


def test_mp2_importing_the_same_file_again_changes_nothing(staff_user, shelters_dataset):
    import_file(shelters_dataset, TOYONAKA_SHELTERS.read_bytes(), staff_user)
    shelter = Shelter.objects.filter(facility__dataset=shelters_dataset).first()
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff_user)
    pks = set(Facility.objects.values_list("pk", flat=True))

    plan = import_file(shelters_dataset, TOYONAKA_SHELTERS.read_bytes(), staff_user)

    assert plan.counts() == {"new": 0, "changed": 0, "removed": 0, "unchanged": 167, "refused": 0}
    assert set(Facility.objects.values_list("pk", flat=True)) == pks
    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.OPEN  # an import never touches a shelter's status


def test_mp2_new_changed_and_removed_rows_are_previewed_then_applied(staff_user, facilities_dataset):
    header, rows = yaizu_rows()
    import_file(facilities_dataset, csv_bytes(header, rows), staff_user)
    name_col, key_col = header.index("名称"), header.index("NO")
    rows[0][name_col] = "深層水ミュージアム"
    removed_key = rows.pop(1)[key_col]
    rows.append([*rows[2][:key_col], "99999", *rows[2][key_col + 1 :]])
    rows[-1][name_col] = "新しい市民センター"
    content = csv_bytes(header, rows)

    preview = build_plan(facilities_dataset, content)

    assert (len(preview.new), len(preview.changed), len(preview.removed)) == (1, 1, 1)
    assert preview.new[0].values["name"] == "新しい市民センター"
    change = preview.changed[0]
    assert [(f.label, f.after) for f in change.fields] == [("名称", "深層水ミュージアム")]
    assert preview.removed[0].dataset_key == removed_key
    assert Facility.objects.filter(name="新しい市民センター").count() == 0  # a preview changes nothing

    import_file(facilities_dataset, content, staff_user)

    assert (
        Facility.objects.get(dataset=facilities_dataset, dataset_key=rows[0][key_col]).name
        == "深層水ミュージアム"
    )
    assert not Facility.objects.filter(dataset=facilities_dataset, dataset_key=removed_key).exists()
    assert Facility.objects.filter(dataset=facilities_dataset, dataset_key="99999").exists()
    entry = AuditEntry.objects.filter(summary__startswith="ファイルを取り込み").first()
    assert entry.changes["removed_ids"] == [removed_key] and entry.changes["added_ids"] == ["99999"]
    assert entry.department == staff_user.department


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("bad-coordinates", "エラーのある行が 1 行あります"),
        ("missing-column", "エラーがあるため反映できません"),
        ("wrong-encoding", "エラーがあるため反映できません"),
    ],
)
def test_mp2_a_broken_file_applies_nothing(staff_user, facilities_dataset, breakage, message):
    """Without staff's confirmation a refused row stops the import; a file-level error always does."""
    header, rows = yaizu_rows()
    import_file(facilities_dataset, csv_bytes(header, rows), staff_user)
    before = list(Facility.objects.order_by("pk").values())
    rows[0][header.index("名称")] = "変更されてはいけない名前"
    if breakage == "bad-coordinates":
        rows[5][header.index("緯度")] = "不明"
    elif breakage == "missing-column":
        header[header.index("経度")] = "けいど"
    content = csv_bytes(header, rows, encoding="utf-16-le" if breakage == "wrong-encoding" else "utf-8")
    upload = services.facility_import_upload(
        dataset=facilities_dataset, actor=staff_user, filename="x.csv", content=content
    )

    with pytest.raises(ValidationError, match=message):
        services.facility_import_apply(facility_import=upload, actor=staff_user)

    assert list(Facility.objects.order_by("pk").values()) == before
    upload.refresh_from_db()
    assert upload.applied_at is None


def test_mp2_a_shelter_list_cannot_replace_a_facility_list(staff_user, facilities_dataset):
    plan = build_plan(facilities_dataset, TOYONAKA_SHELTERS.read_bytes())

    assert not plan.can_apply
    assert "「指定避難所一覧」の形式です" in plan.errors[0].message


def test_mp2_an_applied_upload_cannot_be_applied_twice(staff_user, facilities_dataset):
    upload = services.facility_import_upload(
        dataset=facilities_dataset, actor=staff_user, filename="a.csv", content=YAIZU_FACILITIES.read_bytes()
    )
    services.facility_import_apply(facility_import=upload, actor=staff_user)

    with pytest.raises(ValidationError, match="反映済み"):
        services.facility_import_apply(facility_import=upload, actor=staff_user)


def test_mp2_another_department_cannot_import_into_a_dataset(other_staff_user, facilities_dataset):
    with pytest.raises(NotYourDepartment, match="他の課のデータは変更できません"):
        services.facility_import_upload(
            dataset=facilities_dataset, actor=other_staff_user, filename="a.csv", content=b"x"
        )


def test_mp2_department_edits_only_its_own_facilities(staff_user, other_staff_user, system_admin):
    facility = FacilityFactory(department=staff_user.department)

    with pytest.raises(NotYourDepartment):
        services.facility_update(facility=facility, actor=other_staff_user, data={"name": "乗っ取り"})
    with pytest.raises(NotYourDepartment):
        services.facility_delete(facility=facility, actor=other_staff_user)

    services.facility_update(facility=facility, actor=system_admin, data={"name": "中央公民館"})
    facility.refresh_from_db()
    assert facility.name == "中央公民館"


def test_mp1_categories_are_kept_by_the_system_administrator_only(staff_user, system_admin):
    library = {"key": "library", "name": "図書館", "icon": "図", "colour": "#336699"}
    with pytest.raises(NotYourDepartment, match="施設の分類はシステム管理者が管理します"):
        services.category_create(actor=staff_user, **library)

    created = services.category_create(actor=system_admin, **library)
    with pytest.raises(NotYourDepartment, match="施設の分類はシステム管理者が管理します"):
        services.category_update(category=created, actor=staff_user, data={"name": "図書室"})

    entry = AuditEntry.objects.get(target_id=str(created.pk))
    assert entry.actor == system_admin and entry.summary == "施設の分類を作成"


def test_mp1_facility_entered_by_hand_in_a_shelter_category_gets_its_disaster_kinds(staff_user):
    data = {"category": category("shelter"), "name": "北公民館", "latitude": 34.8, "longitude": 135.47}

    facility = services.facility_create(
        actor=staff_user, department=staff_user.department, data=data, kinds=["flood", "earthquake"]
    )

    assert [k.value for k in facility.shelter.kinds] == ["flood", "earthquake"]
    assert facility.shelter.status == Shelter.Status.CLOSED
    services.facility_update(
        facility=facility, actor=staff_user, data={"name": "北公民館"}, kinds=["tsunami"]
    )
    facility.shelter.refresh_from_db()
    assert [k.value for k in facility.shelter.kinds] == ["tsunami"]
    entry = AuditEntry.objects.filter(target_id=str(facility.pk)).first()
    assert entry.changes["kinds"] == {"before": ["earthquake", "flood"], "after": ["tsunami"]}


def test_mp1_invalid_facility_data_changes_nothing(staff_user):
    facility = FacilityFactory(department=staff_user.department, name="元の名前")

    with pytest.raises(ValidationError):
        services.facility_update(
            facility=facility, actor=staff_user, data={"name": "新しい名前", "url": "javascript:alert(1)"}
        )

    facility.refresh_from_db()
    assert facility.name == "元の名前"


def test_mp4_shelter_status_change_is_audited_and_renews_the_map_data(staff_user):
    shelter = shelter_at("第一小学校", 100, department=staff_user.department, status=Shelter.Status.CLOSED)
    revision = MapState.current().revision

    services.shelter_status_set(shelter=shelter, status=Shelter.Status.FULL, actor=staff_user)

    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.FULL and shelter.status_changed_at is not None
    assert MapState.current().revision != revision
    entry = AuditEntry.objects.first()
    assert entry.summary == "避難先の開設状況を「満員」に変更"
    assert entry.changes == {"status": {"before": "closed", "after": "full"}}


def test_mp4_another_department_cannot_open_a_shelter(staff_user, other_staff_user):
    shelter = shelter_at("第一小学校", 100, department=staff_user.department, status=Shelter.Status.CLOSED)

    with pytest.raises(NotYourDepartment):
        services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=other_staff_user)


def test_mp4_unknown_status_is_refused(staff_user):
    shelter = shelter_at("第一小学校", 100, department=staff_user.department)

    with pytest.raises(ValidationError):
        services.shelter_status_set(shelter=shelter, status="half-open", actor=staff_user)


def test_mp4_disaster_kind_is_set_by_departments_keeping_shelters(staff_user, other_staff_user, system_admin):
    shelter_at("第一小学校", 100, department=staff_user.department)

    services.disaster_kind_set(kind="flood", actor=staff_user)
    assert MapState.current().disaster_kind == "flood"
    with pytest.raises(NotYourDepartment, match="災害種別は避難先を管理する課だけが設定できます"):
        services.disaster_kind_set(kind="", actor=other_staff_user)
    services.disaster_kind_set(kind="", actor=system_admin)

    assert MapState.current().disaster_kind == ""
    assert AuditEntry.objects.filter(summary__startswith="現在の災害種別").count() == 2


def test_mp2_dataset_delete_removes_its_facilities_only(staff_user, facilities_dataset):
    import_file(facilities_dataset, YAIZU_FACILITIES.read_bytes(), staff_user)
    kept = FacilityFactory(department=staff_user.department)

    count = services.dataset_delete(dataset=facilities_dataset, actor=staff_user)

    assert count == 28
    assert list(Facility.objects.all()) == [kept]
