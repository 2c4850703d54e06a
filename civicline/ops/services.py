"""Operations' state changes: backups, restores, the handover export, heartbeats, alerts.

Backups, restores and exports are audited (they copy or replace every record). Heartbeats, event
counts and alert states are the monitor's own bookkeeping, written every minute: auditing them
would bury the staff actions the audit log exists for.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from civicline.core.audit import Action, audit_record, checkpoint_create, checkpoints_supersede
from civicline.core.models import AuditChainHead, Staff

from .alerts import CHECKS, Check
from .backup import BackupFile, BackupResult, archive_files, restore_archive, write_archive
from .conf import setting
from .models import AlertState, Heartbeat, SecurityEventCount

logger = logging.getLogger(__name__)

EVENT_COUNT_RETENTION = timedelta(days=7)


# --- backups (X-13) -----------------------------------------------------------------------------


def backup_create(*, keep: int | None = None, actor_label: str = "system") -> BackupResult:
    """Write an encrypted archive of the database and media, then drop all but the newest ``keep``."""
    result = write_archive(directory=setting("BACKUP_DIR"), now=timezone.now())
    backups_prune(keep=setting("BACKUP_KEEP") if keep is None else keep)
    audit_record(
        action=Action.EXPORT,
        actor_label=actor_label,
        summary=f"バックアップを作成: {result.archive.name}",
        changes={
            "archive": result.archive.name,
            "bytes": result.archive.size,
            "database": result.vendor,
            "media_files": result.media_files,
        },
    )
    return result


def backups_prune(*, keep: int) -> list[BackupFile]:
    """Delete archives beyond the newest ``keep`` (at least one is always kept); return those deleted."""
    doomed = archive_files()[max(keep, 1) :]
    for backup in doomed:
        backup.path.unlink(missing_ok=True)
    return doomed


def backup_restore(*, archive: Path, actor_label: str = "system") -> dict:
    """Replace the database and media with the archive's; the restore itself is then audited
    in the restored log, so the chain shows when the data was put back and from what."""
    manifest = restore_archive(archive=archive)
    # The restored log ends before later checkpoints: set those aside, or verification would
    # (rightly) report the tail they name as cut off.
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first() or 0
    superseded = checkpoints_supersede(after_sequence=head)
    audit_record(
        action=Action.UPDATE,
        actor_label=actor_label,
        summary=f"バックアップから復元: {archive.name}（{manifest['created_at']} 作成）",
        changes={
            "archive": archive.name,
            "created_at": manifest["created_at"],
            "checkpoints_superseded": [path.name for path in superseded],
        },
    )
    return manifest


# --- audit checkpoints (X-15) ---------------------------------------------------------------------


def audit_checkpoint_take(*, mail: bool, now: datetime | None = None) -> bool:
    """Sign the audit chain's head into a checkpoint file; with ``mail``, also send it to the
    system administrators, whose mailboxes keep a copy no one with the servers can rewrite."""
    checkpoint = checkpoint_create()
    if checkpoint is None or not mail:
        return checkpoint is not None
    return _notify(
        "監査ログのチェックポイント",
        "監査ログの改ざん検知に使うチェックポイントです。このメールを削除せず保管してください。\n"
        "確認するときは、下の内容をファイルに保存し、\n"
        "  python manage.py verify_audit_chain --checkpoint ファイル名\n"
        "を実行します。\n\n" + checkpoint.to_json(),
        now or timezone.now(),
    )


# --- handover export (X-20) ---------------------------------------------------------------------


def handover_export_record(
    *, actor: Staff | None = None, request: HttpRequest | None = None, actor_label: str = "", destination: str
) -> None:
    """Audit the export before it starts: an interrupted download still copied personal data."""
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        request=request,
        actor_label=actor_label,
        summary=f"全データの引き渡し用エクスポート（{destination}）",
        changes={"destination": destination},
    )


# --- monitoring (X-17, X-19) --------------------------------------------------------------------


def heartbeat_beat(*, name: str, at: datetime | None = None) -> Heartbeat:
    at = at or timezone.now()
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": at})
    # Workers come and go (scaling, new hosts); a week-old name is a machine that no longer exists.
    Heartbeat.objects.filter(beat_at__lt=at - timedelta(days=7)).delete()
    return heartbeat


def security_event_count(*, kind: str, at: datetime | None = None) -> None:
    """Add one event to its minute's counter: one row per minute however heavy an attack is."""
    minute = (at or timezone.now()).replace(second=0, microsecond=0)
    if SecurityEventCount.objects.filter(kind=kind, minute=minute).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            SecurityEventCount.objects.create(kind=kind, minute=minute, count=1)
    except IntegrityError:  # another process created the row first
        SecurityEventCount.objects.filter(kind=kind, minute=minute).update(count=F("count") + 1)


def security_event_counts_purge(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - EVENT_COUNT_RETENTION
    return SecurityEventCount.objects.filter(minute__lt=cutoff).delete()[0]


def alert_recipients() -> list[str]:
    admins = (
        get_user_model()
        .objects.filter(role=Staff.Role.SYSTEM_ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted({*admins, *setting("ALERT_EMAILS")})


def alerts_evaluate(*, checks: tuple[Check, ...] = CHECKS, now: datetime | None = None) -> list[AlertState]:
    """Run the checks; mail when an alert starts, is still on after the reminder interval, or ends.

    Returns the alerts whose state changed or that were re-notified.
    """
    now = now or timezone.now()
    changed = []
    for check in checks:
        try:
            message = check.evaluate(now)
        except Exception as exc:  # a check that cannot run is itself worth an alert
            logger.exception("alert check failed", extra={"check": check.key})
            message = f"確認処理が失敗しました: {exc}"
        if _alert_update(check, message, now):
            changed.append(AlertState.objects.get(key=check.key))
    return changed


def _alert_update(check: Check, message: str, now: datetime) -> bool:
    renotify = timedelta(hours=setting("ALERT_RENOTIFY_HOURS"))
    with transaction.atomic():
        AlertState.objects.get_or_create(key=check.key)
        state = AlertState.objects.select_for_update().get(key=check.key)
        if message and not state.active:
            state.active, state.raised_at, state.resolved_at = True, now, None
            subject = f"【警報】{check.label}"
        elif message and (state.notified_at is None or now - state.notified_at >= renotify):
            subject = f"【警報・継続中】{check.label}"
        elif not message and state.active:
            state.active, state.resolved_at = False, now
            subject = f"【解消】{check.label}"
        else:
            if message != state.message and message:
                AlertState.objects.filter(pk=state.pk).update(message=message)
            return False
        state.message = message or state.message
        if _notify(subject, message or f"{check.label}は解消しました。（前回の内容: {state.message}）", now):
            state.notified_at = now
        state.save()
    return True


def _notify(subject: str, body: str, now: datetime) -> bool:
    recipients = alert_recipients()
    if not recipients:
        logger.warning(
            "no alert recipients: set a system administrator's e-mail or ALERT_EMAILS",
            extra={"subject": subject},
        )
        return False
    text = f"{body}\n\n発生確認: {timezone.localtime(now):%Y-%m-%d %H:%M}\n対応手順: docs/runbook.md\n"
    try:
        send_mail(f"[civicline] {subject}", text, None, recipients)
    except Exception:
        logger.exception("alert mail could not be sent", extra={"subject": subject})
        return False
    return True
