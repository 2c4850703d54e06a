"""Reads for operations: backups on disk, worker heartbeats, alert states.

None of this is department data: only system administrators reach the pages that show it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .backup import BackupFile, archive_files
from .models import AlertState, Heartbeat


def backup_list() -> list[BackupFile]:
    return archive_files()


def latest_backup() -> BackupFile | None:
    backups = archive_files()
    return backups[0] if backups else None


def latest_heartbeat() -> Heartbeat | None:
    return Heartbeat.objects.order_by("-beat_at").first()


def heartbeat_list() -> QuerySet[Heartbeat]:
    return Heartbeat.objects.order_by("-beat_at")


def alert_state_list() -> QuerySet[AlertState]:
    return AlertState.objects.order_by("-active", "key")
