"""Worker jobs of the line app: processing received events, sending, and sweeping up leftovers."""

from __future__ import annotations

from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import db_periodic_task, db_task

from . import messaging, services
from .models import OutboundSend

EVENT_RETRIES = services.EVENT_MAX_ATTEMPTS - 1
SEND_RETRIES = 4


class EventsFailedError(Exception):
    """Some events of a batch failed; raising makes huey retry the batch (done ones are skipped)."""


class SendNotFinishedError(Exception):
    """A send is waiting for LINE (429/5xx/network); raising makes huey retry it later."""


@db_task(retries=EVENT_RETRIES, retry_delay=10)
def webhook_events_process_task(webhook_event_ids: list[str]) -> None:
    failed = services.webhook_events_process(webhook_event_ids=webhook_event_ids)
    if failed:
        raise EventsFailedError(f"{len(failed)} LINE event(s) failed: {', '.join(failed[:10])}")


@db_periodic_task(crontab(minute="*"))
def webhook_events_sweep_task() -> None:
    """Catch what a lost enqueue, a crashed worker or exhausted huey retries left behind."""
    stale = services.webhook_events_stale()
    for start in range(0, len(stale), 100):
        webhook_events_process_task(stale[start : start + 100])


@db_task(retries=SEND_RETRIES, retry_delay=60, context=True)
def outbound_send_task(send_id: int, task: Task | None = None) -> None:
    final = task is None or not task.retries
    send = messaging.outbound_send_execute(send_id=send_id, final=final)
    if send.status == OutboundSend.Status.RETRYING:
        raise SendNotFinishedError(f"LINE send {send_id} not accepted yet: {send.error}")


@db_periodic_task(crontab(minute="*/5"))
def outbound_sends_sweep_task() -> None:
    requeue, last_try = messaging.outbound_sends_sweep()
    for send_id in requeue:
        outbound_send_task(send_id)
    for send_id in last_try:
        messaging.outbound_send_execute(send_id=send_id, final=True)
