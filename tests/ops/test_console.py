"""The 運用状況 page (X-17, X-19): alerts, workers, backups and the access-log export, admins only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicline.ops import services
from civicline.ops.models import AlertState

pytestmark = pytest.mark.django_db


def test_status_page_shows_alerts_workers_and_backups(system_admin_client, ops_settings):
    services.backup_create()
    services.heartbeat_beat(name="worker-host-1")
    AlertState.objects.create(
        key="queue_backlog", active=True, message="<b>処理待ち</b> 900 件", raised_at=timezone.now()
    )
    body = system_admin_client.get("/console/ops/").content.decode()
    assert "worker-host-1" in body and ".backup" in body
    assert "&lt;b&gt;処理待ち&lt;/b&gt; 900 件" in body  # escaped
    assert 'action="/console/audit/export.csv"' in body


def test_status_page_is_for_system_administrators_only(staff_client):
    assert staff_client.get("/console/ops/").status_code == 403


def test_nav_shows_operations_to_system_administrators_only(system_admin_client, staff_client):
    assert "運用状況" in system_admin_client.get("/console/").content.decode()
    assert "運用状況" not in staff_client.get("/console/").content.decode()
