"""The department's email for each new booking and cancellation (RS-15).

The mail names the service, the time and the receipt number and links to the console; it never
carries the resident's name or contact. Answers to the extra questions are added only where the
department switched that on for the service.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import line_messages, selectors
from .models import Booking

SUBJECTS = {"created": "新しい予約", "cancelled": "予約の取消"}


def department_email_send(*, booking_id: int, event: str) -> None:
    # The department reads Japanese, whichever resident's request queued this (issue 21).
    with translation.override(settings.LANGUAGE_CODE):
        _department_email_send(booking_id=booking_id, event=event)


def _department_email_send(*, booking_id: int, event: str) -> None:
    booking = Booking.objects.select_related("service__counter__department").get(pk=booking_id)
    service = booking.service
    recipient = service.notification_email or service.department.email
    if not recipient or event not in SUBJECTS:
        return
    context = {
        "event": SUBJECTS[event],
        "booking": booking,
        "service": service,
        "when": line_messages.when(booking),
        "answers": selectors.booking_answers(booking) if service.notify_with_answers else [],
        "url": settings.SITE_URL + reverse("reservations:booking-detail", args=[booking.pk]),
    }
    subject = f"【予約】{SUBJECTS[event]}: {service.name} {context['when']}（{booking.receipt_number}）"
    body = render_to_string("reservations/email/department.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
