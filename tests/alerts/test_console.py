"""The console: the banner on every page, the timeline and its buttons, the settings for the
system administrator only."""

from __future__ import annotations

import pytest

from civicline.alerts import services
from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import AlertAction, AlertSettings, AreaCode, Policy

from .factories import city, policy, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def special_warning(stub_actions, department):
    current = AlertSettings.current()
    current.department = department
    current.save()
    city(CodeType.CITY, "2920100", "奈良市")
    policy(Kind.WARNING, 5, emergency_menu="suggest", disaster_kind="auto")
    services.report_ingest(data=sample("15_08_01_130412_VPWW53.xml"), source="test")
    return stub_actions


def test_banner_shows_on_every_console_page_while_the_alert_is_in_force(special_warning, staff_client):
    page = staff_client.get("/console/").content.decode()

    assert 'id="alert-banner"' in page and "大雨特別警報" in page and "確認待ち 1 件" in page


def test_timeline_and_one_button_execute_and_undo(special_warning, staff_client):
    suggested = AlertAction.objects.get(action_key="emergency_menu")
    automatic = AlertAction.objects.get(action_key="disaster_kind")
    detail = staff_client.get(f"/console/alerts/events/{suggested.event_id}/").content.decode()
    assert "実行待ち" in detail and "元に戻す" in detail and "奈良県気象警報・注意報" in detail

    staff_client.post(f"/console/alerts/actions/{suggested.pk}/execute/")
    staff_client.post(f"/console/alerts/actions/{automatic.pk}/undo/")

    suggested.refresh_from_db()
    automatic.refresh_from_db()
    assert suggested.status == AlertAction.Status.DONE
    assert automatic.status == AlertAction.Status.REVERTED
    assert [key for key, _data in special_warning.undone] == ["disaster_kind"]


def test_other_departments_read_the_timeline_but_cannot_press(
    special_warning, console_client, other_staff_user
):
    other = console_client(other_staff_user)
    action = AlertAction.objects.get(action_key="emergency_menu")

    assert other.get(f"/console/alerts/events/{action.event_id}/").status_code == 200
    assert other.post(f"/console/alerts/actions/{action.pk}/execute/").status_code == 403
    action.refresh_from_db()
    assert action.status == AlertAction.Status.SUGGESTED


def test_settings_are_for_the_system_administrator(staff_client, system_admin_client):
    assert staff_client.get("/console/alerts/settings/").status_code == 403

    system_admin_client.post(
        "/console/alerts/settings/",
        {
            "add_area": "1",
            "a-code_type": "city",
            "a-code": "2720300",
            "a-name": "豊中市",
            "a-resident_areas": "",
        },
    )
    response = system_admin_client.post(
        "/console/alerts/settings/policies/new/",
        {
            "threshold": "quake:6",
            "notify": "on",
            "action_emergency_menu": "auto",
            "action_disaster_kind": "suggest",
        },
    )

    assert response.status_code == 302
    assert AreaCode.objects.get().name == "豊中市"
    saved = Policy.objects.get()
    assert (saved.kind, saved.min_level, saved.actions) == (
        "quake",
        6,
        {"emergency_menu": "auto", "disaster_kind": "suggest"},
    )
    assert "震度5強以上" in system_admin_client.get("/console/alerts/settings/").content.decode()
