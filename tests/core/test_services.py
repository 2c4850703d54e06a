"""Services change departments, accounts and the allowlist, each with an audit entry (X-3, X-8, X-15)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicline.core import services
from civicline.core.audit import verify_chain
from civicline.core.models import AuditEntry, Staff
from civicline.core.permissions import NotYourDepartment
from tests.fixtures.core import SystemAdminFactory

pytestmark = pytest.mark.django_db


def test_department_create_records_all_fields(system_admin):
    department = services.department_create(actor=system_admin, code="kikaku", name="企画課")

    entry = AuditEntry.objects.get(
        action="create", target_id=str(department.pk), target_type="core.department"
    )
    assert entry.changes["name"] == {"before": None, "after": "企画課"}
    assert entry.department == department


def test_department_update_without_changes_writes_nothing(system_admin, department):
    before = AuditEntry.objects.count()

    services.department_update(department=department, actor=system_admin, data={"name": department.name})

    assert AuditEntry.objects.count() == before


def test_invalid_input_changes_nothing(system_admin, department):
    with pytest.raises(ValidationError):
        services.department_create(actor=system_admin, code=department.code, name="重複課")

    assert not AuditEntry.objects.filter(action="create").exists()


def test_disabled_account_keeps_its_history(system_admin, staff_user):
    services.staff_change_password(staff=staff_user, new_password="Sakura-saku-2026!")

    services.staff_disable(staff=staff_user, actor=system_admin)

    staff_user.refresh_from_db()
    assert not staff_user.is_active
    assert AuditEntry.objects.filter(actor=staff_user).exists()
    assert verify_chain().ok


def test_a_system_administrator_may_not_disable_themselves(system_admin):
    with pytest.raises(ValidationError):
        services.staff_disable(staff=system_admin, actor=system_admin)


def test_the_last_active_system_administrator_cannot_be_demoted(system_admin):
    other_admin = SystemAdminFactory(username="admin2")
    services.staff_update(staff=other_admin, actor=system_admin, data={"role": Staff.Role.DEPARTMENT_STAFF})

    with pytest.raises(ValidationError):
        services.staff_update(
            staff=system_admin, actor=system_admin, data={"role": Staff.Role.DEPARTMENT_STAFF}
        )


def test_only_a_system_administrator_changes_departments_and_accounts(staff_user, other_staff_user):
    with pytest.raises(NotYourDepartment, match="システム管理者だけが行えます。"):
        services.department_update(department=staff_user.department, actor=staff_user, data={"name": "X課"})
    with pytest.raises(NotYourDepartment):
        services.staff_disable(staff=other_staff_user, actor=staff_user)

    assert not AuditEntry.objects.exists()


def test_staff_create_returns_a_usable_temporary_password(system_admin, department):
    staff, password = services.staff_create(
        actor=system_admin, username="mori", display_name="森", department=department
    )

    assert staff.check_password(password) and staff.must_change_password
    assert len(password) >= 12


def test_change_password_validates_and_clears_the_temporary_flag(staff_user):
    staff_user.must_change_password = True
    with pytest.raises(ValidationError):
        services.staff_change_password(staff=staff_user, new_password="password")

    services.staff_change_password(staff=staff_user, new_password="Sakura-saku-2026!")

    assert not staff_user.must_change_password
