"""Email subscriptions: confirmed by a mailed link, ended in one click (SD-9)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import mail
from ..models import (
    EmailSubscriber,
    Topic,
)

EMAIL_RESEND_AFTER = timedelta(minutes=5)
PENDING_EMAIL_LIFETIME = timedelta(days=7)


def email_subscription_request(*, email: str, topics: Sequence[Topic]) -> None:
    """Ask for a subscription: a confirmation link is mailed; nothing changes until it is followed.

    The answer is the same whether the address is known or not, and one address gets at most one
    confirmation mail every few minutes, so the form cannot be used to mail someone repeatedly.
    """
    if not topics:
        raise ValidationError(_("受け取る分野を1つ以上選んでください。"))
    now = timezone.now()
    digest = mail.email_digest(email)
    with transaction.atomic():
        subscriber, created = EmailSubscriber.objects.get_or_create(
            email_digest=digest, defaults={"email": mail.normalized(email), "requested_at": now}
        )
        if not created and subscriber.requested_at > now - EMAIL_RESEND_AFTER:
            return
        EmailSubscriber.objects.filter(pk=subscriber.pk).update(requested_at=now)
    mail.confirmation_send(subscriber, list(topics))


def email_subscription_confirm(*, token: str) -> EmailSubscriber:
    """Follow a confirmation link: the address receives the topics it asked for."""
    try:
        subscriber_id, topic_ids = mail.confirm_read(token)
    except signing.SignatureExpired:
        raise ValidationError(
            _("確認用リンクの有効期限が切れています。お手数ですが、もう一度登録してください。")
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("確認用リンクが正しくありません。メールのリンクをそのまま開いてください。")
        ) from None
    subscriber = EmailSubscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        raise ValidationError(_("この登録は取り消されています。もう一度登録してください。"))
    with transaction.atomic():
        subscriber.status = EmailSubscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at"])
        subscriber.topics.set(Topic.objects.filter(pk__in=topic_ids, is_active=True))
    return subscriber


def email_subscriber_for_unsubscribe(*, token: str) -> EmailSubscriber | None:
    try:
        subscriber_id, digest = mail.unsubscribe_read(token)
    except signing.BadSignature:
        return None
    subscriber = EmailSubscriber.objects.filter(pk=subscriber_id).first()
    return subscriber if subscriber and subscriber.email_digest.startswith(digest) else None


def email_unsubscribe(*, token: str) -> bool:
    """One-click unsubscribe: the address is deleted. False if the link names nobody (already gone)."""
    subscriber = email_subscriber_for_unsubscribe(token=token)
    if subscriber is None:
        return False
    subscriber.delete()
    return True


def email_pending_purge(*, now: datetime | None = None) -> int:
    """Drop addresses never confirmed: nobody asked for mail to them."""
    cutoff = (now or timezone.now()) - PENDING_EMAIL_LIFETIME
    deleted, _rows = EmailSubscriber.objects.filter(
        status=EmailSubscriber.Status.PENDING, requested_at__lt=cutoff
    ).delete()
    return deleted
