"""Reads of photo reports are scoped to the caller (X-4)."""

from __future__ import annotations

import pytest

from civicline.reports import selectors
from civicline.reports.models import Status
from tests.fixtures.core import StaffFactory, SystemAdminFactory
from tests.fixtures.line import FriendFactory
from tests.reports.factories import CategoryFactory, ReportFactory

pytestmark = pytest.mark.django_db


def test_x4_lists_and_map_points_hold_only_the_callers_department(department, other_department):
    mine = ReportFactory(category=CategoryFactory(department=department))
    theirs = ReportFactory(category=CategoryFactory(department=other_department))
    waiting = ReportFactory(category=CategoryFactory(department=None))
    staff = StaffFactory(department=department)

    reports = selectors.report_list_for(fetched_by=staff)

    assert list(reports) == [mine]
    assert [p["number"] for p in selectors.map_points(reports)] == [mine.receipt_number]
    admin = SystemAdminFactory()
    assert set(selectors.report_list_for(fetched_by=admin)) == {mine, theirs, waiting}
    assert list(
        selectors.report_list_for(fetched_by=admin, filters=selectors.ReportFilters(triage=True))
    ) == [waiting]
    assert (
        selectors.triage_count_for(fetched_by=admin) == 1
        and selectors.triage_count_for(fetched_by=staff) == 0
    )


def test_map_points_carry_no_resident_data(department):
    ReportFactory(category=CategoryFactory(department=department), message="山田宅の前", contact="090")

    (point,) = selectors.map_points(selectors.report_list_for(fetched_by=StaffFactory(department=department)))

    assert set(point) == {"id", "lat", "lng", "number", "category", "status", "statusLabel", "url"}


def test_resident_history_for_a_conversation_is_the_departments_reports_of_that_resident(
    department, other_department
):
    friend = FriendFactory()
    mine = ReportFactory(friend=friend, category=CategoryFactory(department=department), status=Status.DONE)
    ReportFactory(friend=friend, category=CategoryFactory(department=other_department))
    ReportFactory(category=CategoryFactory(department=department))

    (item,) = selectors.resident_history(
        fetched_by=StaffFactory(department=department), friend=friend, department=department
    )

    assert (item.number, item.status, item.url) == (
        mine.receipt_number,
        "完了",
        f"/console/reports/{mine.pk}/",
    )
    outsider = StaffFactory(department=other_department)
    assert selectors.resident_history(fetched_by=outsider, friend=friend, department=department) == []
