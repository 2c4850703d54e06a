"""The e-mail that tells a department a resident has started a conversation with it.

Like the other features' department e-mails it names the topic and the receipt number and links
to the console; it never carries what the resident wrote (that stays behind the console's login).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Conversation


def department_email_send(*, conversation_id: int) -> list[str]:
    conversation = Conversation.objects.select_related("department", "topic").get(pk=conversation_id)
    recipient = conversation.department.email
    if not recipient:
        return []
    context = {
        "conversation": conversation,
        "received": timezone.localtime(conversation.created_at),
        "url": settings.SITE_URL + reverse("conversations:conversation-detail", args=[conversation.pk]),
    }
    subject = f"【相談】新しい相談: {conversation.topic.name}（{conversation.receipt_number}）"
    body = render_to_string("conversations/email/department.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    return [recipient]
