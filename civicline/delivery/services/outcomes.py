"""What came of a delivery: unfollows after it (the block-rate guard) and LINE's statistics (SD-8)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from civicline.line.models import Friend

from .. import insight
from ..models import (
    Delivery,
    DeliveryAudience,
)

# --- the block-rate guard ---------------------------------------------------------------------------

UNFOLLOW_WINDOW = timedelta(hours=24)


def delivery_unfollows_count(*, delivery: Delivery, now: datetime | None = None) -> int | None:
    """Recipients who unfollowed or blocked the account in the 24 hours after the delivery started
    (LINE reports both as one unfollow event). For a delivery to everyone: every unfollow then."""
    now = now or timezone.now()
    if delivery.started_at is None:
        return None
    until = min(now, delivery.started_at + UNFOLLOW_WINDOW)
    left = Friend.objects.filter(blocked_at__gte=delivery.started_at, blocked_at__lt=until)
    if delivery.audience == Delivery.Audience.SEGMENTS:
        left = left.filter(
            Exists(DeliveryAudience.objects.filter(delivery=delivery, friend_id=OuterRef("pk")))
        )
    count = left.count()
    Delivery.objects.filter(pk=delivery.pk).update(unfollows=count, unfollows_counted_at=now)
    return count


def deliveries_unfollows_count(*, now: datetime | None = None) -> int:
    """Hourly: the unfollow counts of deliveries still inside (or just past) their 24 hours."""
    now = now or timezone.now()
    recent = Delivery.objects.filter(
        started_at__gte=now - UNFOLLOW_WINDOW - timedelta(hours=2), started_at__lte=now
    ).exclude(status__in=Delivery.EDITABLE)
    return sum(1 for d in recent if delivery_unfollows_count(delivery=d, now=now) is not None)


# --- opens and clicks as LINE reports them (SD-8) -------------------------------------------------


def delivery_insight_refresh(*, delivery: Delivery) -> bool:
    """Fetch LINE's statistics of a started delivery; False when LINE gave none (kept as before)."""
    if delivery.started_at is None:
        return False
    if delivery.is_broadcast:
        batch = delivery.batches.select_related("send").first()
        request_id = batch.send.request_id if batch and batch.send else ""
        data = insight.message_event(request_id) if request_id else None
    else:
        data = insight.unit_statistics(
            delivery.aggregation_unit, since=delivery.started_at, now=timezone.now()
        )
    if data is None:
        return False
    Delivery.objects.filter(pk=delivery.pk).update(
        insight=insight.summary(data), insight_fetched_at=timezone.now()
    )
    return True


def deliveries_insight_refresh(*, within: timedelta = timedelta(days=insight.UNIT_SPAN_DAYS)) -> int:
    recent = Delivery.objects.filter(status__in=Delivery.FINISHED, started_at__gte=timezone.now() - within)
    return sum(delivery_insight_refresh(delivery=d) for d in recent.select_related(None))
