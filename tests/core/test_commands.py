"""Commands an operator runs on a new installation."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicline.core.models import AuditEntry, Staff


@pytest.mark.django_db
def test_first_system_administrator_gets_a_temporary_password_and_an_audited_account():
    out = StringIO()
    call_command("create_system_admin", "admin", "--name", "デジタル 太郎", stdout=out)

    staff = Staff.objects.get(username="admin")
    password = out.getvalue().split("temporary password (shown once): ")[1].strip()
    assert staff.is_system_admin and staff.department.name == "デジタル戦略課"
    assert staff.check_password(password) and staff.must_change_password
    assert AuditEntry.objects.filter(action="create", target_id=str(staff.pk)).exists()


@pytest.mark.django_db
def test_an_existing_username_is_refused_and_nothing_changes():
    call_command("create_system_admin", "admin", "--name", "A", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_system_admin", "admin", "--name", "B", stdout=StringIO())
    assert Staff.objects.get(username="admin").display_name == "A"
