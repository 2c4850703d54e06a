"""Monitoring (X-15, X-17, X-19): /metrics, security event counts, alert mails without repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from civicline.core.audit import audit_record, checkpoint_files
from civicline.core.models import AuditChainHead, AuditEntry
from civicline.line.models import WebhookEvent
from civicline.ops import alerts, services
from civicline.ops.middleware import SIGNATURE_REFUSAL
from civicline.ops.models import AlertState, Heartbeat, SecurityEventCount
from civicline.ops.scheduling import due
from tests.fixtures.line import post_webhook, text_event

pytestmark = pytest.mark.django_db
OUTSIDE = "203.0.113.9"


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _count(kind: str) -> int:
    return sum(SecurityEventCount.objects.filter(kind=kind).values_list("count", flat=True))


@pytest.fixture
def admin_with_mail(system_admin):
    system_admin.email = "admin@city.example.jp"
    system_admin.save()
    return system_admin


def _check(key: str) -> tuple[alerts.Check, ...]:
    return (alerts.checks_by_key()[key],)


# --- /metrics -----------------------------------------------------------------------------------


def test_metrics_answer_the_console_networks_only(client, ops_settings):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    for name in (
        "civicline_http_requests_total",
        "civicline_http_request_duration_seconds_bucket",
        "civicline_webhook_lag_seconds",
        "civicline_queue_pending",
        "civicline_line_sends",
        "civicline_worker_heartbeat_age_seconds",
        "civicline_backup_age_seconds",
        "civicline_login_failures_total",
        "civicline_webhook_signature_failures_total",
    ):
        assert name in body
    assert 'route="healthz"' in body
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 403


def test_webhook_lag_is_measured_from_received_to_processed(client, ops_settings):
    now = timezone.now()
    for n, seconds in enumerate([0.2, 0.4, 3.0]):
        WebhookEvent.objects.create(
            webhook_event_id=f"e{n}",
            event_type="message",
            payload={},
            received_at=now - timedelta(seconds=10),
            status=WebhookEvent.Status.DONE,
            processed_at=now - timedelta(seconds=10 - seconds),
        )
    body = client.get("/metrics").content.decode()
    assert 'civicline_webhook_lag_seconds{quantile="1.0"} 3.0' in body
    assert 'civicline_webhook_lag_seconds{quantile="0.5"} 0.4' in body


# --- security events ----------------------------------------------------------------------------


def test_bad_webhook_signatures_are_counted(client):
    before = _sample("civicline_webhook_signature_failures_total")
    response = post_webhook(client, [text_event("U" + "1" * 32, "hi")], signature="bad")
    assert response.status_code == 400
    assert response.content == SIGNATURE_REFUSAL  # the line app's wording, which the middleware matches
    assert _sample("civicline_webhook_signature_failures_total") == before + 1
    assert _count(SecurityEventCount.Kind.SIGNATURE_FAILURE) == 1
    post_webhook(client, [text_event("U" + "1" * 32, "hi")])  # a good one is not counted
    assert _count(SecurityEventCount.Kind.SIGNATURE_FAILURE) == 1


def test_console_requests_from_outside_the_allowlist_are_counted(client, staff_client):
    assert client.get("/console/", REMOTE_ADDR=OUTSIDE).status_code == 403
    assert _count(SecurityEventCount.Kind.ALLOWLIST_DENIAL) == 1
    assert staff_client.get("/console/ops/").status_code == 403  # refused for its role, from inside
    assert _count(SecurityEventCount.Kind.ALLOWLIST_DENIAL) == 1


def test_failed_logins_are_counted(client, staff_user):
    before = _sample("civicline_login_failures_total")
    client.post(reverse("console:login"), {"username": staff_user.username, "password": "wrong"})
    assert _sample("civicline_login_failures_total") == before + 1


# --- alerts -------------------------------------------------------------------------------------


def test_an_alert_mails_once_reminds_later_and_mails_when_resolved(admin_with_mail, ops_settings):
    now = timezone.now()
    SecurityEventCount.objects.create(
        kind=SecurityEventCount.Kind.SIGNATURE_FAILURE, minute=now.replace(second=0, microsecond=0), count=25
    )
    services.alerts_evaluate(checks=_check("signature_failures"), now=now)
    services.alerts_evaluate(checks=_check("signature_failures"), now=now + timedelta(minutes=5))
    assert len(mail.outbox) == 1
    assert "【警報】Webhook署名の不一致の急増" in mail.outbox[0].subject
    assert "25 件" in mail.outbox[0].body and mail.outbox[0].to == ["admin@city.example.jp"]
    assert AlertState.objects.get(key="signature_failures").active

    ops_settings.ALERT_RENOTIFY_HOURS = 0.1
    services.alerts_evaluate(checks=_check("signature_failures"), now=now + timedelta(minutes=7))
    assert "継続中" in mail.outbox[1].subject

    services.alerts_evaluate(checks=_check("signature_failures"), now=now + timedelta(hours=1))
    assert "【解消】" in mail.outbox[2].subject
    assert not AlertState.objects.get(key="signature_failures").active
    assert len(mail.outbox) == 3


def test_login_failure_spike(admin_with_mail, ops_settings):
    ops_settings.ALERT_LOGIN_FAILURES = 3
    for _ in range(3):
        audit_record(action=AuditEntry.Action.LOGIN_FAILED, actor_label="guess")
    assert [s.key for s in services.alerts_evaluate(checks=_check("login_failures"))] == ["login_failures"]


def test_allowlist_denials(client, admin_with_mail, ops_settings):
    ops_settings.ALERT_ALLOWLIST_DENIALS = 2
    for _ in range(2):
        client.get("/console/", REMOTE_ADDR=OUTSIDE)
    assert services.alerts_evaluate(checks=_check("allowlist_denials"))[0].active


def test_worker_stopped_until_a_heartbeat_arrives(admin_with_mail, ops_settings):
    now = timezone.now()
    Heartbeat.objects.create(name="worker-1", beat_at=now - timedelta(minutes=30))
    assert services.alerts_evaluate(checks=_check("worker_stopped"), now=now)[0].active
    services.heartbeat_beat(name="worker-1", at=now)
    assert not services.alerts_evaluate(checks=_check("worker_stopped"), now=now)[0].active


def test_queue_backlog_of_unprocessed_webhook_events(admin_with_mail, ops_settings):
    WebhookEvent.objects.create(
        webhook_event_id="old",
        event_type="message",
        payload={},
        received_at=timezone.now() - timedelta(minutes=20),
    )
    state = services.alerts_evaluate(checks=_check("queue_backlog"))[0]
    assert state.active and "1 件" in state.message


def test_events_waiting_longer_than_the_set_time_alert_the_operators(admin_with_mail, ops_settings):
    ops_settings.ALERT_EVENT_WAIT_MINUTES = 3
    for minutes, event_id in ((1, "recent"), (4, "waiting")):
        WebhookEvent.objects.create(
            webhook_event_id=event_id,
            event_type="message",
            payload={},
            received_at=timezone.now() - timedelta(minutes=minutes),
        )

    state = services.alerts_evaluate(checks=_check("queue_backlog"))[0]

    assert state.active and "3分以上処理されていないLINEのイベントが 1 件" in state.message
    assert "【警報】処理の滞留" in mail.outbox[-1].subject


def test_audit_chain_broken(admin_with_mail, ops_settings):
    entry = audit_record(action="create", summary="正しい記録")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending FK checks
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
        cursor.execute("UPDATE core_auditentry SET summary = '改ざん' WHERE id = %s", [entry.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")
    state = services.alerts_evaluate(checks=_check("audit_chain"))[0]
    assert state.active and f"通番 {entry.sequence}" in state.message


def test_backup_missing_then_made(admin_with_mail, ops_settings):
    assert services.alerts_evaluate(checks=_check("backup_missing"))[0].active
    services.backup_create()
    assert not services.alerts_evaluate(checks=_check("backup_missing"))[0].active


def test_without_recipients_nothing_is_lost_the_alert_is_retried(system_admin, ops_settings):
    services.alerts_evaluate(checks=_check("backup_missing"))
    state = AlertState.objects.get(key="backup_missing")
    assert state.active and state.notified_at is None and mail.outbox == []


# --- tasks --------------------------------------------------------------------------------------


def test_heartbeat_task_records_this_worker(ops_settings):
    from civicline.ops.tasks import heartbeat_task

    heartbeat_task()
    assert Heartbeat.objects.count() == 1


def test_backup_schedule_is_in_local_time():
    """BACKUP_SCHEDULE "0 3 * * *" is 03:00 in Japan, i.e. 18:00 UTC on huey's UTC clock."""
    assert due("0 3 * * *", datetime(2025, 1, 1, 18, 0), utc=True)
    assert not due("0 3 * * *", datetime(2025, 1, 1, 3, 0), utc=True)
    assert not due("", datetime(2025, 1, 1, 18, 0, tzinfo=UTC).replace(tzinfo=None), utc=True)


def test_the_daily_checkpoint_mail_lets_an_administrator_catch_a_truncated_log(admin_with_mail, tmp_path):
    """X-15: the mailed checkpoint alone proves entries were cut off after it, even if the server's
    own checkpoint files are gone too."""
    for n in range(3):
        audit_record(action="update", actor=admin_with_mail, summary=f"#{n}")
    services.audit_checkpoint_take(mail=True)

    assert "監査ログのチェックポイント" in mail.outbox[-1].subject
    body = mail.outbox[-1].body
    mailed = tmp_path / "checkpoint.json"
    mailed.write_text(body[body.index("{") : body.rindex("}") + 1])
    for path in checkpoint_files():
        path.unlink()
    last = AuditEntry.objects.order_by("-sequence").first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending FK checks
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
        cursor.execute("DELETE FROM core_auditentry WHERE sequence = %s", [last.sequence])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")
    AuditChainHead.objects.filter(pk=1).update(last_sequence=last.sequence - 1, last_hash=last.prev_hash)

    with pytest.raises(CommandError, match="after a checkpoint"):
        call_command("verify_audit_chain", "--checkpoint", str(mailed))


def test_the_hourly_checkpoint_is_written_without_mail(admin_with_mail):
    audit_record(action="update", actor=admin_with_mail)
    sent = len(mail.outbox)

    assert services.audit_checkpoint_take(mail=False)

    assert len(checkpoint_files()) == 1 and len(mail.outbox) == sent
