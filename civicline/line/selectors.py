"""Reads of the line app. Friends and sends hold no department's data, so these take no staff user;
features scope their own records that point at them."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Friend, OutboundSend, SendRecipient, WebhookEvent


def friend_get(*, user_id: str) -> Friend | None:
    return Friend.objects.filter(user_id=user_id).first()


def friend_list_following() -> QuerySet[Friend]:
    return Friend.objects.filter(state=Friend.State.FOLLOWING).order_by("pk")


def send_recipient_list(*, send: OutboundSend, status: str | None = None) -> QuerySet[SendRecipient]:
    recipients = send.recipients.order_by("chunk", "pk")
    return recipients.filter(status=status) if status else recipients


def webhook_event_list_failed() -> QuerySet[WebhookEvent]:
    return WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).order_by("-received_at")
