"""Worker jobs of delivery. Each calls a service that is safe to run twice (see services' docstring)."""

from __future__ import annotations

from huey.api import Task
from huey.contrib.djhuey import db_task

from . import services

EMAIL_RETRIES = 3


@db_task()
def delivery_start_task(delivery_id: int) -> None:
    """Queued for the scheduled time when staff schedule; ``deliveries_due_task`` is the safety net."""
    services.delivery_start(delivery_id=delivery_id)


def deliveries_due_task() -> None:
    services.deliveries_start_due()


@db_task(retries=3, retry_delay=60)
def delivery_send_task(delivery_id: int) -> None:
    """Sends until LINE has answered every batch; while LINE cannot be reached the service queues
    this task again for later itself (``retry_at``), so huey's retries are only for crashes."""
    services.delivery_send(delivery_id=delivery_id)


@db_task(retries=EMAIL_RETRIES, retry_delay=120, context=True)
def email_batch_task(batch_id: int, task: Task | None = None) -> None:
    services.email_batch_send(batch_id=batch_id, final=task is None or not task.retries)


def deliveries_sweep_task() -> None:
    services.deliveries_sweep()


def deliveries_insight_task() -> None:
    """LINE updates its statistics over the days after a send; hourly is plenty. The unfollows in
    the 24 hours after each recent delivery are counted at the same time (the block-rate guard)."""
    services.deliveries_insight_refresh()
    services.deliveries_unfollows_count()


def email_pending_purge_task() -> None:
    services.email_pending_purge()
