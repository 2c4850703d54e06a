"""Worker jobs of reservations: the morning reminders (RS-12) and the department's emails (RS-15)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import notifications, services


def booking_reminders_task() -> None:
    services.booking_reminders_send()


@db_task(retries=3, retry_delay=120)
def booking_notify_department_task(booking_id: int, event: str) -> None:
    notifications.department_email_send(booking_id=booking_id, event=event)
