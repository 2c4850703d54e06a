"""The email that tells a department a report is theirs (PH-3).

It names the category, the receipt number, the area and why it was routed there, and links to the
console; it never carries the photos, the resident's words, their contact or the exact location.
A report nobody could route goes to the system administrators.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from civicline.core.models import Staff

from . import services
from .models import Report

SUBJECTS = {"created": "新しい通報", "reassigned": "担当課が変更された通報"}


def recipients_for(report: Report) -> list[str]:
    if report.department is None:
        return sorted(
            set(
                Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
    category = report.category
    if category.notification_email and category.department_id == report.department_id:
        return [category.notification_email]
    return [report.department.email] if report.department.email else []


def department_email_send(*, report_id: int, event: str) -> list[str]:
    report = Report.objects.select_related("category", "department", "area").get(pk=report_id)
    recipients = recipients_for(report)
    if not recipients or event not in SUBJECTS:
        return []
    heading = SUBJECTS[event] if report.department else "振り分け待ちの通報"
    context = {
        "heading": heading,
        "report": report,
        "received": timezone.localtime(report.created_at),
        "url": settings.SITE_URL + reverse("reports:report-detail", args=[report.pk]),
    }
    subject = f"【通報】{heading}: {report.category.name}（{report.receipt_number}）"
    body = render_to_string("reports/email/department.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    services.report_notified(report=report, recipients=recipients, event=event)
    return recipients
