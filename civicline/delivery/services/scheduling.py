"""Scheduling and starting deliveries (SD-11): steps 1 and 2 of the package docstring."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audited_change
from civicline.core.models import Staff
from civicline.core.permissions import require_department

from ..models import (
    Delivery,
)
from .drafts import DeliveryInput, audience_check, lock_editable

SCHEDULE_HORIZON = timedelta(days=365)


def delivery_schedule(*, actor: Staff, delivery: Delivery, at: datetime | None) -> Delivery:
    """Send now (``at`` None) or at ``at``; the audience must still be allowed to the caller."""
    require_department(actor, delivery)
    now = timezone.now()
    if at is not None and at <= now:
        raise ValidationError(_("配信日時には、これから先の日時を指定してください。"))
    if at is not None and at > now + SCHEDULE_HORIZON:
        raise ValidationError(_("配信日時は1年以内で指定してください。"))
    if not delivery.messages.exists():
        raise ValidationError(_("メッセージがありません。"))
    audience_check(
        actor,
        DeliveryInput(
            title=delivery.title,
            audience=delivery.audience,
            segments=list(delivery.segments.all()),
            combine=delivery.combine,
            email_too=delivery.email_too,
            messages=[],
        ),
    )
    from ..tasks import delivery_send_task, delivery_start_task

    if at is None:
        action, summary = Action.SEND, _("配信「%(title)s」を今すぐ配信") % {"title": delivery.title}
    else:
        action = Action.UPDATE
        summary = _("配信「%(title)s」を%(at)sに予約") % {
            "title": delivery.title,
            "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
        }
    with audited_change(actor=actor, obj=delivery, summary=summary, fields=["scheduled_at"], action=action):
        lock_editable(delivery)
        fields = {"scheduled_at": at or now, "scheduled_by": actor, "error": ""}
        if at is None:
            fields.update(status=Delivery.Status.SENDING, started_at=now)
            transaction.on_commit(lambda: delivery_send_task(delivery.pk))
        else:
            fields.update(status=Delivery.Status.SCHEDULED)
            # The periodic task starts it anyway; this one is only for punctuality.
            transaction.on_commit(lambda: delivery_start_task.schedule((delivery.pk,), eta=at), robust=True)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        delivery.refresh_from_db()
    return delivery


def delivery_unschedule(*, actor: Staff, delivery: Delivery) -> Delivery:
    """Take back a scheduled delivery before it starts: it becomes a draft again."""
    require_department(actor, delivery)
    summary = _("配信「%(title)s」の予約を取り消し") % {"title": delivery.title}
    with audited_change(actor=actor, obj=delivery, summary=summary, fields=["status", "scheduled_at"]):
        touched = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SCHEDULED).update(
            status=Delivery.Status.DRAFT, scheduled_at=None, scheduled_by=None, updated_at=timezone.now()
        )
        if not touched:
            raise ValidationError(_("配信が始まったため、取り消しはできません。"))
        delivery.refresh_from_db()
    return delivery


def delivery_start(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Start a scheduled delivery whose time has come; True for the one caller that did."""
    from ..tasks import delivery_send_task

    now = now or timezone.now()
    with transaction.atomic():
        claimed = Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.SCHEDULED, scheduled_at__lte=now
        ).update(status=Delivery.Status.SENDING, started_at=now)
        if claimed:
            transaction.on_commit(lambda: delivery_send_task(delivery_id))
    return bool(claimed)


def deliveries_start_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = Delivery.objects.filter(status=Delivery.Status.SCHEDULED, scheduled_at__lte=now)
    return [pk for pk in due.values_list("pk", flat=True) if delivery_start(delivery_id=pk, now=now)]


def delivery_send_system(*, actor: Staff | None, delivery: Delivery) -> Delivery:
    """Send a system-made draft now (the policy said so for the most severe alerts)."""
    from ..tasks import delivery_send_task

    now = timezone.now()
    summary = _("配信「%(title)s」を今すぐ配信") % {"title": delivery.title}
    fields = ["scheduled_at"]
    with audited_change(actor=actor, obj=delivery, summary=summary, fields=fields, action=Action.SEND):
        lock_editable(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(
            scheduled_at=now, scheduled_by=None, error="", status=Delivery.Status.SENDING, started_at=now
        )
        delivery.refresh_from_db()
        transaction.on_commit(lambda: delivery_send_task(delivery.pk))
    return delivery
