"""Reads of delivery. Staff reads are scoped to the caller's department (X-4) and to the segments
the system administrator granted it (SD-7); resident reads only ever concern the resident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.line.models import Friend, OutboundSend, SendRecipient

from . import conditions
from .models import (
    Area,
    Child,
    Delivery,
    DeliveryBatch,
    DeliveryPolicy,
    EmailBatch,
    EmailSubscriber,
    ResidentAttributes,
    Segment,
    SegmentGrant,
    Topic,
    TopicChoice,
)

# --- the city's lists -----------------------------------------------------------------------------


def area_list(*, active_only: bool = False) -> QuerySet[Area]:
    return Area.objects.filter(is_active=True) if active_only else Area.objects.all()


def topic_list(*, active_only: bool = False) -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True) if active_only else Topic.objects.all()


def topic_list_with_counts() -> QuerySet[Topic]:
    """Topics with how many friends and confirmed email subscribers asked for each."""
    return Topic.objects.annotate(
        friend_count=Count("choices", distinct=True),
        email_count=Count(
            "email_subscribers",
            filter=Q(email_subscribers__status=EmailSubscriber.Status.CONFIRMED),
            distinct=True,
        ),
    )


# --- segments -------------------------------------------------------------------------------------


def segment_list_for(*, fetched_by: Staff) -> QuerySet[Segment]:
    """Segments the caller may see: made by its department or granted to it (all for the administrator)."""
    segments = Segment.objects.select_related("department").prefetch_related("grants__department")
    if fetched_by.is_system_admin:
        return segments
    own = Segment.objects.visible_to(fetched_by).values("pk")
    granted = segment_usable_by(staff=fetched_by).values("pk")
    return segments.filter(Q(pk__in=own) | Q(pk__in=granted))


def access_segment(*, fetched_by: Staff, pk: int) -> Segment:
    """A segment the caller may see; missing and not-yours answer alike (404)."""
    try:
        return segment_list_for(fetched_by=fetched_by).get(pk=pk)
    except Segment.DoesNotExist as exc:
        raise Http404 from exc


def access_own_segment(*, fetched_by: Staff, pk: int) -> Segment:
    """A segment the caller's department made (any, for the administrator): the ones it may change."""
    return access_or_404(Segment.objects.select_related("department"), fetched_by, pk=pk)


def segment_usable_by(*, staff: Staff) -> QuerySet[Segment]:
    """Segments the caller may deliver to (SD-7)."""
    if staff.is_system_admin:
        return Segment.objects.all()
    return department_segments(department_id=staff.department_id)


def department_segments(*, department_id: int | None) -> QuerySet[Segment]:
    """Segments granted to a department."""
    granted = SegmentGrant.objects.filter(department_id=department_id, segment=OuterRef("pk"))
    return Segment.objects.filter(Exists(granted))


def may_send_to_all(*, staff: Staff) -> bool:
    return staff.is_system_admin or department_may_send_to_all(department_id=staff.department_id)


def department_may_send_to_all(*, department_id: int | None) -> bool:
    return DeliveryPolicy.objects.filter(department_id=department_id, may_send_to_all=True).exists()


def grant_overview() -> list[dict[str, Any]]:
    """Per active department: its segments granted and whether it may send to everyone."""
    policies = dict(DeliveryPolicy.objects.values_list("department_id", "may_send_to_all"))
    grants: dict[int, list[str]] = {}
    for department_id, name in SegmentGrant.objects.order_by("segment__name").values_list(
        "department_id", "segment__name"
    ):
        grants.setdefault(department_id, []).append(name)
    return [
        {"department": d, "segments": grants.get(d.pk, []), "may_send_to_all": policies.get(d.pk, False)}
        for d in Department.objects.filter(is_active=True)
    ]


@dataclass(frozen=True)
class AudienceCount:
    following: int  # friends who would receive a delivery today
    blocked: int  # friends who match but have blocked the account (skipped, counted)


def friends_matching(q: Q) -> QuerySet[Friend]:
    return Friend.objects.filter(q)


def segment_q(segment: Segment, *, on: date) -> Q:
    return conditions.q(segment.conditions, on=on)


def audience_q(segments: list[Segment], *, combine: str, on: date) -> Q:
    parts = [segment_q(s, on=on) for s in segments]
    return reduce(lambda a, b: (a & b) if combine == Delivery.Combine.ALL else (a | b), parts)


def audience_count(q: Q | None) -> AudienceCount:
    """Friends selected by ``q`` (None: everyone), in two COUNT queries whatever their number (SD-13)."""
    friends = Friend.objects.all() if q is None else Friend.objects.filter(q)
    counts = dict(friends.order_by().values_list("state").annotate(n=Count("pk")))
    return AudienceCount(
        following=counts.get(Friend.State.FOLLOWING, 0), blocked=counts.get(Friend.State.BLOCKED, 0)
    )


def segment_count(segment: Segment, *, on: date | None = None) -> AudienceCount:
    return audience_count(segment_q(segment, on=on or timezone.localdate()))


def email_topic_ids(delivery: Delivery) -> set[int] | None:
    """The topics whose email subscribers get this delivery; None for a delivery to everyone."""
    if delivery.audience == Delivery.Audience.ALL:
        return None
    return set().union(*(conditions.topic_ids(s.conditions) for s in delivery.segments.all()))


def email_subscribers_for(topic_ids: set[int] | None) -> QuerySet[EmailSubscriber]:
    subscribers = EmailSubscriber.objects.filter(status=EmailSubscriber.Status.CONFIRMED)
    if topic_ids is None:
        return subscribers
    chosen = EmailSubscriber.topics.through.objects.filter(
        emailsubscriber_id=OuterRef("pk"), topic_id__in=topic_ids
    )
    return subscribers.filter(Exists(chosen))


@dataclass(frozen=True)
class Estimate:
    count: AudienceCount
    emails: int
    email_topics: list[str]
    on: date


def delivery_estimate(delivery: Delivery) -> Estimate | None:
    """Who the delivery would reach if it went out on its date (today for drafts); None without audience."""
    on = timezone.localdate(delivery.scheduled_at) if delivery.scheduled_at else timezone.localdate()
    segments = list(delivery.segments.all())
    if delivery.audience == Delivery.Audience.SEGMENTS and not segments:
        return None
    q = None
    if delivery.audience == Delivery.Audience.SEGMENTS:
        q = audience_q(segments, combine=delivery.combine, on=on)
    topic_ids = email_topic_ids(delivery)
    emails, topics = 0, []
    if delivery.email_too:
        emails = email_subscribers_for(topic_ids).count()
        if topic_ids is not None:
            topics = list(Topic.objects.filter(pk__in=topic_ids).values_list("name", flat=True))
    return Estimate(audience_count(q), emails, topics, on)


# --- deliveries -----------------------------------------------------------------------------------


def delivery_list_for(*, fetched_by: Staff, status: str = "") -> QuerySet[Delivery]:
    deliveries = Delivery.objects.visible_to(fetched_by).select_related("department", "created_by")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.prefetch_related("segments")


def access_delivery(*, fetched_by: Staff, pk: int) -> Delivery:
    return access_or_404(
        Delivery.objects.select_related("department", "created_by", "scheduled_by"), fetched_by, pk=pk
    )


@dataclass
class BatchRow:
    batch: DeliveryBatch
    accepted: int
    failed: int
    pending: int


@dataclass
class Progress:
    batches: list[BatchRow]
    accepted: int
    failed: int
    pending: int  # addressed but not answered yet, or not yet put in a batch
    email_batches: list[EmailBatch]
    emails_sent: int
    emails_failed: int

    @property
    def done_percent(self) -> int:
        total = self.accepted + self.failed + self.pending
        return round(100 * (self.accepted + self.failed) / total) if total else 100


def _broadcast_row(batch: DeliveryBatch, target: int) -> BatchRow:
    # LINE reports no per-user outcome of a broadcast: the request's outcome is everyone's.
    status = batch.send.status if batch.send is not None else OutboundSend.Status.FAILED
    if status == OutboundSend.Status.SENT:
        return BatchRow(batch, target, 0, 0)
    if status in (OutboundSend.Status.FAILED, OutboundSend.Status.PARTIAL):
        return BatchRow(batch, 0, target, 0)
    return BatchRow(batch, 0, 0, target)


def delivery_progress(delivery: Delivery) -> Progress:
    """Per-batch and total outcomes of a delivery that has started, in a fixed number of queries."""
    batches = list(delivery.batches.select_related("send"))
    counts: dict[int, dict[str, int]] = {}
    rows = (
        SendRecipient.objects.filter(send_id__in=[b.send_id for b in batches if b.send_id])
        .order_by()
        .values_list("send_id", "status")
        .annotate(n=Count("pk"))
    )
    for send_id, status, n in rows:
        counts.setdefault(send_id, {})[status] = n
    if delivery.audience == Delivery.Audience.ALL:
        table = [_broadcast_row(b, delivery.target_count) for b in batches]
    else:
        table = [
            BatchRow(
                b,
                counts.get(b.send_id, {}).get(SendRecipient.Status.ACCEPTED, 0),
                counts.get(b.send_id, {}).get(SendRecipient.Status.FAILED, 0),
                counts.get(b.send_id, {}).get(SendRecipient.Status.PENDING, 0),
            )
            for b in batches
        ]
    if delivery.audience == Delivery.Audience.ALL:
        addressed = delivery.target_count if batches else 0
    else:
        addressed = sum(b.size for b in batches)
    not_batched = (
        max(delivery.target_count - addressed, 0) if delivery.status == Delivery.Status.SENDING else 0
    )
    email_batches = list(delivery.email_batches.all())
    return Progress(
        batches=table,
        accepted=sum(r.accepted for r in table),
        failed=sum(r.failed for r in table),
        pending=sum(r.pending for r in table) + not_batched,
        email_batches=email_batches,
        emails_sent=sum(b.sent_count for b in email_batches),
        emails_failed=sum(
            b.size - b.sent_count for b in email_batches if b.status == EmailBatch.Status.FAILED
        ),
    )


# --- residents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentSettings:
    area_id: int | None
    birth_year: int | None
    gender: str
    topic_ids: list[int]
    children: list[date]

    @property
    def is_empty(self) -> bool:
        return not (self.area_id or self.birth_year or self.gender or self.topic_ids or self.children)


def resident_settings(*, friend: Friend) -> ResidentSettings:
    """What the resident registered (birth dates unsealed: shown to the resident only)."""
    attributes = ResidentAttributes.objects.filter(friend=friend).first()
    return ResidentSettings(
        area_id=attributes.area_id if attributes else None,
        birth_year=attributes.birth_year if attributes else None,
        gender=attributes.gender if attributes else "",
        topic_ids=list(TopicChoice.objects.filter(friend=friend).values_list("topic_id", flat=True)),
        children=sorted(date.fromisoformat(c.birth_date) for c in Child.objects.filter(friend=friend)),
    )


def resident_has_settings(*, friend: Friend) -> bool:
    return (
        ResidentAttributes.objects.filter(friend=friend).exists()
        or TopicChoice.objects.filter(friend=friend).exists()
        or Child.objects.filter(friend=friend).exists()
    )
