"""Alert conditions (X-17, X-19): each check reads the current state and says what is wrong, or "".

``services.alerts_evaluate`` runs them and mails system administrators on changes only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from civicline.core.audit import Action, verify_chain
from civicline.core.models import AuditEntry
from civicline.line.models import WebhookEvent

from . import selectors
from .conf import setting
from .models import SecurityEventCount


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    evaluate: Callable[[datetime], str]


def _window(now: datetime) -> tuple[datetime, int]:
    minutes = setting("ALERT_WINDOW_MINUTES")
    return now - timedelta(minutes=minutes), minutes


def _security_events(kind: str, threshold_setting: str, what: str) -> Callable[[datetime], str]:
    def evaluate(now: datetime) -> str:
        since, minutes = _window(now)
        count = (
            SecurityEventCount.objects.filter(kind=kind, minute__gte=since).aggregate(n=Sum("count"))["n"]
            or 0
        )
        if count >= setting(threshold_setting):
            return f"直近{minutes}分間に{what}が {count} 件ありました。"
        return ""

    return evaluate


def _login_failures(now: datetime) -> str:
    since, minutes = _window(now)
    count = AuditEntry.objects.filter(action=Action.LOGIN_FAILED, created_at__gte=since).count()
    if count >= setting("ALERT_LOGIN_FAILURES"):
        return (
            f"直近{minutes}分間に管理画面へのログイン失敗が {count} 件ありました。"
            "監査ログで接続元を確認してください。"
        )
    return ""


def _worker_stopped(now: datetime) -> str:
    latest = selectors.latest_heartbeat()
    limit = timedelta(minutes=setting("ALERT_HEARTBEAT_MINUTES"))
    if latest is None:
        return "バックグラウンド処理（ワーカー）が一度も応答していません。"
    if now - latest.beat_at > limit:
        at = timezone.localtime(latest.beat_at)
        return f"バックグラウンド処理（ワーカー）の最終応答が {at:%Y-%m-%d %H:%M} です（{latest.name}）。"
    return ""


def _queue_backlog(now: datetime) -> str:
    problems = []
    pending = HUEY.pending_count()
    if pending >= setting("ALERT_QUEUE_BACKLOG"):
        problems.append(f"処理待ちのジョブが {pending} 件あります。")
    # A resident's message still waiting this long is answered by push, not reply: the worker is
    # not keeping up, and someone should know.
    minutes = setting("ALERT_EVENT_WAIT_MINUTES")
    waiting = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.PROCESSING, WebhookEvent.Status.FAILED],
        received_at__lt=now - timedelta(minutes=minutes),
    ).count()
    if waiting:
        problems.append(
            f"{minutes:g}分以上処理されていないLINEのイベントが {waiting} 件あります"
            "（返信の期限を過ぎた分はプッシュで回答します）。"
        )
    return "".join(problems)


def _audit_chain(now: datetime) -> str:
    report = verify_chain()
    if report.ok:
        return ""
    return (
        f"監査ログの改ざん検知: 通番 {report.broken_sequence} で連鎖が切れています（{report.reason}）。"
        "python manage.py verify_audit_chain で確認してください。"
    )


def _backup_missing(now: datetime) -> str:
    latest = selectors.latest_backup()
    hours = setting("BACKUP_MAX_AGE_HOURS")
    if latest is None:
        return f"バックアップがありません（保存先: {setting('BACKUP_DIR')}）。"
    if now - latest.created_at > timedelta(hours=hours):
        return f"最新のバックアップ {latest.name} は {hours:g} 時間以上前のものです。"
    return ""


CHECKS: tuple[Check, ...] = (
    Check(
        "signature_failures",
        "Webhook署名の不一致の急増",
        _security_events(
            SecurityEventCount.Kind.SIGNATURE_FAILURE,
            "ALERT_SIGNATURE_FAILURES",
            "LINE Webhookの署名の不一致（なりすましの疑い）",
        ),
    ),
    Check("login_failures", "ログイン失敗の急増", _login_failures),
    Check(
        "allowlist_denials",
        "許可外アドレスからの接続",
        _security_events(
            SecurityEventCount.Kind.ALLOWLIST_DENIAL,
            "ALERT_ALLOWLIST_DENIALS",
            "許可されていないアドレスからの管理画面への接続",
        ),
    ),
    Check("worker_stopped", "ワーカー停止", _worker_stopped),
    Check("queue_backlog", "処理の滞留", _queue_backlog),
    Check("audit_chain", "監査ログの改ざん検知", _audit_chain),
    Check("backup_missing", "バックアップの欠落", _backup_missing),
)
# Verifying the chain reads the whole audit log: it runs hourly, the rest every few minutes.
SLOW_CHECKS = frozenset({"audit_chain"})


def checks_by_key() -> dict[str, Check]:
    return {check.key: check for check in CHECKS}
