"""Worker jobs of photo reports: the department's email (PH-3) and the clean-up of unused photos."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import notifications, services


@db_task(retries=3, retry_delay=120)
def report_notify_task(report_id: int, event: str) -> None:
    notifications.department_email_send(report_id=report_id, event=event)


def pending_photos_expire_task() -> None:
    services.pending_photos_expire()


@db_task()
def report_areas_refresh_task() -> None:
    """After an area is drawn, redrawn or deleted: the reports' 「地域」 follow (off the request)."""
    services.report_areas_refresh()
