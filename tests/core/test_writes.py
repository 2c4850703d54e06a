"""The one door for writes: department checks, audited create / update / change, and the request id
every audit entry carries (issue 19, X-4, X-15)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from huey.contrib.djhuey import task

from civicline.core.audit import audited_change, audited_update
from civicline.core.models import AuditEntry, Department
from civicline.core.permissions import NotYourDepartment, require_department, require_system_admin
from civicline.line.models import PreviewRecipient
from civicline.reservations.models import Counter, Service
from tests.fixtures.core import DepartmentFactory, StaffFactory
from tests.fixtures.line import FriendFactory

pytestmark = pytest.mark.django_db


def _booking_menu_of(department: Department) -> Service:
    # Unsaved: the check follows the objects in memory and needs no rows.
    return Service(name="子育て相談", counter=Counter(name="相談窓口", department=department))


def _entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("sequence"))


# --- require_department ---------------------------------------------------------------------------


def test_staff_may_change_their_own_departments_data(staff_user, department):
    require_department(staff_user, department)
    require_department(staff_user, _booking_menu_of(department))


def test_staff_may_not_change_another_departments_data_found_through_a_nested_path(
    staff_user, other_department
):
    # A booking menu's department is its counter's: the path reads use (visible_to) decides here too.
    service = _booking_menu_of(other_department)

    with pytest.raises(NotYourDepartment) as refused:
        require_department(staff_user, service)

    assert str(refused.value) == "他の課のデータは変更できません。"


def test_a_system_administrator_may_change_every_departments_data(system_admin, other_department):
    require_department(system_admin, _booking_menu_of(other_department))
    require_system_admin(system_admin)


def test_a_refusal_can_say_why_in_the_services_words(staff_user, other_department):
    with pytest.raises(NotYourDepartment, match="この窓口は変更できません。"):
        require_department(staff_user, other_department, message="この窓口は変更できません。")
    with pytest.raises(NotYourDepartment, match="システム管理者だけが行えます。"):
        require_system_admin(staff_user)


def test_a_disabled_account_changes_nothing_even_in_its_own_department(staff_user, department):
    staff_user.is_active = False

    with pytest.raises(NotYourDepartment):
        require_department(staff_user, department)


def test_a_refusal_reaches_the_console_as_a_japanese_error(console_client, staff_user, department):
    # A test device is its owner's phone: a colleague of the same department may not unpair it.
    device = PreviewRecipient.objects.create(
        department=department, friend=FriendFactory(), label="田中のiPhone", owner=staff_user
    )
    colleague = StaffFactory(department=department)

    response = console_client(colleague).post(f"/console/preview/devices/{device.pk}/delete/")

    assert response.status_code == 403
    assert "このテスト端末の登録を解除できるのは、所有者（田中 花子）とシステム管理者だけです。" in (
        response.content.decode()
    )
    assert PreviewRecipient.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


# --- audited_update / audited_change ----------------------------------------------------------------


def test_an_update_records_only_the_fields_that_changed(system_admin, department):
    audited_update(
        actor=system_admin,
        obj=department,
        data={"name": "こども家庭課", "email": department.email},
        summary="課を変更",
    )

    (entry,) = _entries()
    assert entry.action == "update"
    assert entry.changes == {"name": {"before": "子育て支援課", "after": "こども家庭課"}}
    assert Department.objects.get(pk=department.pk).name == "こども家庭課"


def test_an_update_that_changes_nothing_writes_no_entry(system_admin, department):
    audited_update(actor=system_admin, obj=department, data={"name": department.name}, summary="課を変更")

    assert _entries() == []


def test_an_invalid_update_is_refused_and_leaves_the_log_alone(system_admin, department):
    with pytest.raises(ValidationError) as refused:
        audited_update(actor=system_admin, obj=department, data={"email": "no address"}, summary="課を変更")

    assert "email" in refused.value.message_dict

    assert _entries() == []


def test_a_change_block_records_a_create_for_a_new_object_and_an_update_for_a_saved_one(system_admin):
    department = Department(code="bousai", name="防災課")
    with audited_change(actor=system_admin, obj=department, summary="課を作成", fields=["code", "name"]):
        department.save()
    with audited_change(actor=system_admin, obj=department, summary="課を変更", fields=["code", "name"]):
        department.name = "危機管理課"
        department.save()

    created, updated = _entries()
    assert (created.action, created.target_id) == ("create", str(department.pk))
    assert created.changes["name"] == {"before": None, "after": "防災課"}
    assert updated.action == "update"
    assert updated.changes == {"name": {"before": "防災課", "after": "危機管理課"}}
    assert created.department_id == updated.department_id == department.pk


def test_a_change_block_that_fails_leaves_neither_the_change_nor_an_entry(system_admin, department):
    change = audited_change(actor=system_admin, obj=department, summary="課を変更", fields=["name"])
    with pytest.raises(RuntimeError), change:
        Department.objects.filter(pk=department.pk).update(name="途中")
        department.name = "途中"
        raise RuntimeError("LINE did not answer")

    assert Department.objects.get(pk=department.pk).name == "子育て支援課"
    assert _entries() == []


def test_foreign_keys_are_recorded_by_id(system_admin, staff_user, department, other_department):
    audited_update(actor=system_admin, obj=staff_user, data={"department": other_department}, summary="異動")

    (entry,) = _entries()
    assert entry.changes == {"department": {"before": department.pk, "after": other_department.pk}}


# --- who, where and which request ------------------------------------------------------------------


def test_an_entry_written_in_a_console_request_has_actor_address_and_request_id(console_client, system_admin):
    client = console_client(system_admin)

    response = client.post(
        "/console/departments/new/",
        {"code": "bousai", "name": "防災課", "email": "", "is_active": "on"},
        REMOTE_ADDR="127.0.0.7",
        HTTP_X_REQUEST_ID="req-writes-1",
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="create", target_type="core.department")
    assert entry.actor == system_admin
    assert (entry.client_address, entry.request_id) == ("127.0.0.7", "req-writes-1")


def test_an_entry_written_in_a_worker_task_has_the_tasks_id(department):
    @task(name="tests.writes_probe")
    def rename() -> None:
        audited_update(actor=None, obj=department, data={"name": "こども家庭課"}, summary="自動で改名")

    result = rename()

    (entry,) = _entries()
    assert entry.request_id == f"task-{result.id}"
    assert entry.actor_label == "自動処理（tests.writes_probe）"


def test_entries_written_outside_any_request_still_get_an_id_each(system_admin):
    first, second = DepartmentFactory(), DepartmentFactory()
    for department in (first, second):
        audited_update(actor=system_admin, obj=department, data={"name": department.name + "改"}, summary="")

    ids = [entry.request_id for entry in _entries()]
    assert all(ids) and ids[0] != ids[1]
