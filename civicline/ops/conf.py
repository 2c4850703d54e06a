"""Operations settings (X-13, X-17): read from Django settings when set there, else the environment.

They live here rather than in ``civicline/settings.py`` so that the operations package stays
self-contained; tests override them with pytest-django's ``settings`` fixture like any setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from civicline.settings import env, env_list

DEFAULTS: dict[str, Any] = {
    # Fernet keys for backup archives, newest first; deliberately separate from FIELD_ENCRYPTION_KEYS.
    "BACKUP_ENCRYPTION_KEY": lambda: env_list("BACKUP_ENCRYPTION_KEY"),
    "BACKUP_DIR": lambda: Path(env("BACKUP_DIR", str(settings.VAR_DIR / "backups"))),
    # Five crontab fields (minute hour day month weekday); empty: no scheduled backups.
    "BACKUP_SCHEDULE": lambda: env("BACKUP_SCHEDULE"),
    "BACKUP_KEEP": lambda: int(env("BACKUP_KEEP", "14")),
    "BACKUP_MAX_AGE_HOURS": lambda: float(env("BACKUP_MAX_AGE_HOURS", "26")),
    # Extra addresses for operations alerts, beside every active system administrator's e-mail.
    "ALERT_EMAILS": lambda: env_list("ALERT_EMAILS"),
    "ALERT_WINDOW_MINUTES": lambda: int(env("ALERT_WINDOW_MINUTES", "10")),
    "ALERT_SIGNATURE_FAILURES": lambda: int(env("ALERT_SIGNATURE_FAILURES", "20")),
    "ALERT_LOGIN_FAILURES": lambda: int(env("ALERT_LOGIN_FAILURES", "10")),
    "ALERT_ALLOWLIST_DENIALS": lambda: int(env("ALERT_ALLOWLIST_DENIALS", "10")),
    "ALERT_QUEUE_BACKLOG": lambda: int(env("ALERT_QUEUE_BACKLOG", "500")),
    "ALERT_HEARTBEAT_MINUTES": lambda: int(env("ALERT_HEARTBEAT_MINUTES", "5")),
    "ALERT_EVENT_WAIT_MINUTES": lambda: float(env("ALERT_EVENT_WAIT_MINUTES", "2")),
    "ALERT_RENOTIFY_HOURS": lambda: float(env("ALERT_RENOTIFY_HOURS", "24")),
}


def setting(name: str) -> Any:
    if hasattr(settings, name):
        value = getattr(settings, name)
        if name == "BACKUP_ENCRYPTION_KEY" and isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return Path(value) if name == "BACKUP_DIR" else value
    return DEFAULTS[name]()
