"""BACKUP_SCHEDULE: a crontab line in the city's local time, turned into huey's schedule test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from huey import crontab


def crontab_from(line: str) -> Callable[[datetime], bool]:
    """``"0 3 * * *"`` → huey's crontab test; ``ValueError`` names what is wrong."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)


def due(schedule: str, when: datetime, *, utc: bool) -> bool:
    """Whether a job scheduled by ``schedule`` runs at ``when`` (huey's naive clock, UTC if ``utc``)."""
    if not schedule:
        return False
    if utc:
        when = when.replace(tzinfo=UTC).astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    return crontab_from(schedule)(when)
