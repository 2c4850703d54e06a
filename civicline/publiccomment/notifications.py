"""The department's email for each new comment (PC-10).

The mail names the consultation, the receipt number and the time, and links to the console; it
never carries the comment or anything the resident entered, which staff read in the console.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Submission


def department_email_send(*, submission_id: int) -> None:
    submission = Submission.objects.select_related("consultation__form__department").get(pk=submission_id)
    consultation = submission.consultation
    recipient = consultation.notification_email or consultation.department.email
    if not recipient:
        return
    context = {
        "submission": submission,
        "consultation": consultation,
        "count": consultation.submissions.count(),
        "url": settings.SITE_URL + reverse("publiccomment:submission-detail", args=[submission.pk]),
    }
    subject = f"【意見募集】新しい意見: {consultation.title}（{submission.receipt_number}）"
    body = render_to_string("publiccomment/email/department.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
