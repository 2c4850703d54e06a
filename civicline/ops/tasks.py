"""Worker jobs of operations: heartbeat, scheduled backups, alert checks, audit checkpoints
(X-13, X-15, X-17, X-19).

Periodic jobs are enqueued by every consumer that schedules them: run extra workers with
``run_huey --no-periodic`` (deploy/compose.yaml does), so that each runs once.
"""

from __future__ import annotations

import socket
from datetime import datetime

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from . import alerts, services
from .conf import setting
from .scheduling import due


def backup_due(when: datetime) -> bool:
    return due(setting("BACKUP_SCHEDULE"), when, utc=HUEY.utc)


def heartbeat_task() -> None:
    """Proof that a worker takes jobs off the queue; its absence is the "worker stopped" alert."""
    services.heartbeat_beat(name=socket.gethostname())


def backup_task() -> None:
    services.backup_create(actor_label="scheduled backup")


def alerts_task() -> None:
    services.alerts_evaluate(checks=tuple(c for c in alerts.CHECKS if c.key not in alerts.SLOW_CHECKS))


def slow_alerts_task() -> None:
    services.alerts_evaluate(checks=tuple(c for c in alerts.CHECKS if c.key in alerts.SLOW_CHECKS))
    services.security_event_counts_purge()


# Mailed once a day (the morning's first checkpoint), written to disk every hour.
CHECKPOINT_MAIL_HOUR = 6


def audit_checkpoint_task() -> None:
    services.audit_checkpoint_take(mail=timezone.localtime().hour == CHECKPOINT_MAIL_HOUR)
