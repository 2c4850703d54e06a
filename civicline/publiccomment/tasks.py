"""Background jobs of public comments: the department's email for each submission (PC-10)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import notifications


@db_task(retries=3, retry_delay=60)
def submission_notify_department_task(submission_id: int) -> None:
    notifications.department_email_send(submission_id=submission_id)
