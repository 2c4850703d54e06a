"""Console pages of core: audit log scoping and export (X-4, X-15), administration (X-3, X-8), CSRF."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from civicline.core.audit import audit_record
from civicline.core.models import AuditEntry, Department, Staff
from tests.fixtures.core import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries_of_two_departments(staff_user, other_staff_user):
    mine = audit_record(action="update", actor=staff_user, summary="子育ての記録")
    theirs = audit_record(action="update", actor=other_staff_user, summary="環境の記録")
    return mine, theirs


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["console:department-list", "console:department-create", "console:staff-list", "console:staff-create"],
)
def test_administration_is_for_the_system_administrator_only(staff_client, system_admin_client, url_name):
    """X-3: department staff get 403; the system administrator gets the page."""
    assert staff_client.get(reverse(url_name)).status_code == 403
    assert system_admin_client.get(reverse(url_name)).status_code == 200


def test_console_pages_render_in_japanese_with_navigation(system_admin_client):
    html = system_admin_client.get(reverse("console:home")).content.decode()

    assert '<html lang="ja">' in html
    for label in ("監査ログ", "課の管理", "職員アカウント", "接続許可IP範囲", "ログアウト"):
        assert label in html
    assert "/static/core/console.css" in html


def test_department_staff_do_not_see_administration_links(staff_client):
    html = staff_client.get(reverse("console:home")).content.decode()

    assert "課の管理" not in html and "監査ログ" in html


def test_csrf_is_enforced_on_console_posts(console_client, system_admin):
    client = console_client(system_admin, enforce_csrf_checks=True)

    response = client.post(reverse("console:department-create"), {"code": "x", "name": "X課"})

    assert response.status_code == 403
    assert not Department.objects.filter(code="x").exists()


# --- audit log -----------------------------------------------------------------------------------


def test_department_staff_see_only_their_departments_entries(staff_client, entries_of_two_departments):
    """X-4: lists never contain another department's rows."""
    html = staff_client.get(reverse("console:audit-list")).content.decode()

    assert "子育ての記録" in html and "環境の記録" not in html


def test_another_departments_entry_answers_404(staff_client, entries_of_two_departments):
    mine, theirs = entries_of_two_departments

    assert staff_client.get(reverse("console:audit-detail", args=[mine.sequence])).status_code == 200
    assert staff_client.get(reverse("console:audit-detail", args=[theirs.sequence])).status_code == 404


def test_system_administrator_sees_all_entries(system_admin_client, entries_of_two_departments):
    html = system_admin_client.get(reverse("console:audit-list")).content.decode()

    assert "子育ての記録" in html and "環境の記録" in html


def test_audit_list_filters(system_admin_client, entries_of_two_departments, other_department):
    url = reverse("console:audit-list")

    by_department = system_admin_client.get(url, {"department": other_department.pk}).content.decode()
    by_text = system_admin_client.get(url, {"text": "子育て"}).content.decode()
    by_action = system_admin_client.get(url, {"action": "export"}).content.decode()

    assert "環境の記録" in by_department and "子育ての記録" not in by_department
    assert "子育ての記録" in by_text and "環境の記録" not in by_text
    assert "子育ての記録" not in by_action


def test_audit_list_paginates(system_admin_client, system_admin):
    for i in range(60):
        audit_record(action="update", actor=system_admin, summary=f"記録{i}")

    page2 = system_admin_client.get(reverse("console:audit-list"), {"page": 2})

    assert page2.status_code == 200
    assert page2.context["page"].number == 2
    assert "前へ" in page2.content.decode()


def test_export_is_scoped_audited_and_excel_friendly(staff_client, staff_user, entries_of_two_departments):
    """X-15: the export contains only the caller's department and is itself recorded."""
    response = staff_client.get(reverse("console:audit-export"), {"text": "記録"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["通番", "日時", "操作者"]
    summaries = [row[9] for row in rows[1:]]
    assert summaries == ["子育ての記録"]
    export = AuditEntry.objects.get(action="export")
    assert export.actor == staff_user and export.changes == {"filters": {"text": "記録"}}


def test_system_administrator_export_contains_every_department(
    system_admin_client, entries_of_two_departments
):
    rows = read_csv(system_admin_client.get(reverse("console:audit-export"), {"text": "記録"}))

    assert {row[9] for row in rows[1:]} == {"子育ての記録", "環境の記録"}


def test_export_escapes_formulas(system_admin_client, system_admin):
    audit_record(action="update", actor=system_admin, summary='=HYPERLINK("http://evil")')

    rows = read_csv(system_admin_client.get(reverse("console:audit-export")))

    assert '\'=HYPERLINK("http://evil")' in [row[9] for row in rows]


# --- departments and staff ------------------------------------------------------------------------


def test_create_and_edit_a_department_is_audited(system_admin_client):
    response = system_admin_client.post(
        reverse("console:department-create"),
        {"code": "shimin", "name": "市民課", "email": "shimin@city.example.jp", "is_active": "on"},
    )
    assert response.status_code == 302
    department = Department.objects.get(code="shimin")

    system_admin_client.post(
        reverse("console:department-update", args=[department.pk]),
        {"code": "shimin", "name": "市民窓口課", "email": "shimin@city.example.jp", "is_active": "on"},
    )

    department.refresh_from_db()
    assert department.name == "市民窓口課"
    update = AuditEntry.objects.get(action="update", target_type="core.department")
    assert update.changes == {"name": {"before": "市民課", "after": "市民窓口課"}}
    assert AuditEntry.objects.filter(action="create", target_type="core.department").exists()


def test_create_staff_shows_a_temporary_password_once(system_admin_client, department):
    response = system_admin_client.post(
        reverse("console:staff-create"),
        {
            "username": "kimura",
            "display_name": "木村 学",
            "department": department.pk,
            "role": "department_staff",
        },
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    staff = Staff.objects.get(username="kimura")
    assert staff.check_password(response.context["password"])
    assert staff.must_change_password
    entry = AuditEntry.objects.get(action="create", target_type="core.staff")
    assert response.context["password"] not in str(entry.changes)


def test_edit_staff_role_and_department(system_admin_client, staff_user, department, other_department):
    system_admin_client.post(
        reverse("console:staff-update", args=[staff_user.pk]),
        {
            "username": "tanaka",
            "display_name": "田中 花子",
            "department": other_department.pk,
            "role": "department_staff",
            "is_active": "on",
        },
    )

    staff_user.refresh_from_db()
    assert staff_user.department == other_department
    entry = AuditEntry.objects.get(action="update", target_type="core.staff")
    # By id: a department renamed later still names the same department in the log.
    assert entry.changes["department"] == {"before": department.pk, "after": other_department.pk}


def test_disable_and_enable_an_account(system_admin_client, staff_user):
    system_admin_client.post(reverse("console:staff-disable", args=[staff_user.pk]))
    staff_user.refresh_from_db()
    assert not staff_user.is_active

    system_admin_client.post(reverse("console:staff-enable", args=[staff_user.pk]))
    staff_user.refresh_from_db()
    assert staff_user.is_active
    summaries = list(
        AuditEntry.objects.filter(target_id=str(staff_user.pk)).values_list("summary", flat=True)
    )
    assert {"アカウントを無効化", "アカウントを有効化"} <= set(summaries)


def test_the_last_system_administrator_cannot_be_disabled(system_admin_client, system_admin):
    response = system_admin_client.post(reverse("console:staff-disable", args=[system_admin.pk]), follow=True)

    system_admin.refresh_from_db()
    assert system_admin.is_active
    assert "自分自身" in response.content.decode()


def test_reset_password_and_totp(system_admin_client, staff_user, console_client):
    console_client(staff_user)  # gives the staff member a TOTP device

    reset = system_admin_client.post(reverse("console:staff-reset-password", args=[staff_user.pk]))
    system_admin_client.post(reverse("console:staff-reset-totp", args=[staff_user.pk]))

    staff_user.refresh_from_db()
    assert staff_user.check_password(reset.context["password"])
    assert not staff_user.totpdevice_set.exists()


def test_staff_list_search(system_admin_client):
    StaffFactory(username="nakamura", display_name="中村")
    StaffFactory(username="ogawa", display_name="小川", department=DepartmentFactory())

    html = system_admin_client.get(reverse("console:staff-list"), {"q": "中村"}).content.decode()

    assert "nakamura" in html and "ogawa" not in html
