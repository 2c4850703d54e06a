"""Worker jobs of the line app: processing received events, sending, and sweeping up leftovers."""

from __future__ import annotations

import logging

from django.conf import settings
from huey.api import Task
from huey.contrib.djhuey import db_task

from . import messaging, services
from .liff import keys
from .models import OutboundSend

logger = logging.getLogger(__name__)

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


def outbound_sends_sweep_task() -> None:
    requeue, last_try = messaging.outbound_sends_sweep()
    for send_id in requeue:
        outbound_send_task(send_id)
    for send_id in last_try:
        messaging.outbound_send_execute(send_id=send_id, final=True)


def _verifies_locally() -> bool:
    return settings.LIFF_TOKEN_VERIFICATION == "local" and bool(settings.LIFF_CHANNEL_ID)


def liff_jwks_refresh_task() -> None:
    """LINE's public keys for LIFF ID tokens, fetched again: a rotated key is known before residents
    present it, a withdrawn one is refused from now on."""
    if not _verifies_locally():
        return
    try:
        keys.jwks_refresh()
    except keys.KeysUnavailable as exc:
        # The keys already cached keep verifying; the next run tries again.
        logger.warning("LINE's ID token keys not refreshed: %s", exc)


def liff_jwks_at_startup() -> None:
    """A worker starting on an empty cache fetches LINE's keys at once, not at the next period."""
    if _verifies_locally() and keys.jwks_needs_refresh():
        liff_jwks_refresh_task()
