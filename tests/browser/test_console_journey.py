"""A staff member's journey through the console in a real browser (X-2, X-3, X-15)."""

import pytest

from tests.fixtures.core import StaffFactory


@pytest.mark.django_db(transaction=True)
def test_staff_logs_in_with_password_and_code_and_finds_their_audit_log(staff_browser, shot, department):
    staff = StaffFactory(department=department, display_name="市民 花子")

    page = staff_browser(staff)
    shot(page, "home")
    assert "市民 花子" in page.inner_text("header")

    page.click("text=監査ログ")
    page.wait_for_selector("table")
    shot(page, "audit-log")
    assert "ログイン" in page.inner_text("table")
