"""Reads of delivery. Staff reads are scoped to the caller's department (X-4) and to the segments
the system administrator granted it (SD-7); resident reads only ever concern the resident."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import reduce
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.line import client as line_client
from civicline.line.messaging import MULTICAST_MAX_RECIPIENTS as MULTICAST_RECIPIENTS
from civicline.line.models import Friend, OutboundSend

from . import conditions, line_messages
from .models import (
    Area,
    Child,
    Delivery,
    DeliveryAudience,
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


def segment_changeable_by(*, staff: Staff) -> QuerySet[Segment]:
    """Segments the caller may change or delete: its department's (all for the administrator)."""
    return Segment.objects.visible_to(staff)


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
    capped: int = 0  # friends who match but had DELIVERY_WEEKLY_CAP deliveries this week (skipped)
    # Of ``following``, per version of a delivery in several languages: who would get which.
    by_language: dict[str, int] = field(default_factory=dict, compare=False)


def friends_matching(q: Q) -> QuerySet[Friend]:
    return Friend.objects.filter(q)


def segment_q(segment: Segment, *, on: date) -> Q:
    return conditions.q(segment.conditions, on=on)


def audience_q(segments: list[Segment], *, combine: str, on: date) -> Q:
    parts = [segment_q(s, on=on) for s in segments]
    return reduce(lambda a, b: (a & b) if combine == Delivery.Combine.ALL else (a | b), parts)


# Deliveries that count against the weekly cap: those that went out, or are going out.
CAP_COUNTED = (Delivery.Status.SENDING, Delivery.Status.SENT, Delivery.Status.PARTIAL)


def _capped(*, now: datetime, excluding: int | None) -> Exists:
    """Friends who were in the audience of ``DELIVERY_WEEKLY_CAP`` deliveries started in the past 7 days."""
    received = (
        DeliveryAudience.objects.filter(
            friend_id=OuterRef("pk"),
            delivery__started_at__gte=now - timedelta(days=7),
            delivery__status__in=CAP_COUNTED,
        )
        .exclude(delivery_id=excluding)
        .order_by()
        .values("friend_id")
        .annotate(n=Count("friend_id"))
        .filter(n__gte=settings.DELIVERY_WEEKLY_CAP)
    )
    return Exists(received)


def _reach(q: Q | None, *, now: datetime | None, delivery_id: int | None, capped: bool = True) -> Q:
    """Which of the friends selected by ``q`` a delivery reaches: those following, less the capped
    (the weekly cap applies to segment deliveries that are not emergencies: a delivery to everyone
    is LINE's broadcast, which cannot leave anyone out, and an emergency must reach everyone)."""
    reach = Q(state=Friend.State.FOLLOWING)
    if q is not None and capped and settings.DELIVERY_WEEKLY_CAP:
        reach &= ~Q(_capped(now=now or timezone.now(), excluding=delivery_id))
    return reach


def recipients(
    q: Q | None, *, now: datetime | None = None, delivery_id: int | None = None, capped: bool = True
) -> QuerySet[Friend]:
    """The friends a delivery to ``q`` (None: everyone) reaches.

    The count staff see before sending (``audience_count``) and the stream the send walks are this
    selection (``q`` and ``_reach``), so the number shown is the number addressed, unless friends
    follow, block or change their settings in between. ``delivery_id``: the delivery being sent,
    whose own rows do not count to the cap; ``capped=False`` for an emergency delivery.
    """
    friends = Friend.objects.all() if q is None else Friend.objects.filter(q)
    return friends.filter(_reach(q, now=now, delivery_id=delivery_id, capped=capped))


@contextmanager
def friend_order_plans() -> Iterator[None]:
    """Plan segment queries on PostgreSQL as merge joins in friend order, in this block.

    Every condition is "the friend has a row in a table indexed by (value, friend)", so the friends
    of a condition come out of an index already in friend order, and a segment is a merge of such
    streams with the friends themselves: no hash table of a million friends to build (spilling
    past ``work_mem`` on a server set up for the console's small queries), no parallel workers to
    start. On two million friends this counts a segment in well under a second where the default
    plan takes two to three; the send's stream, read in friend order, needs no sort either. The
    results are the same whatever the plan: only their cost changes.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SET enable_hashjoin = off; SET max_parallel_workers_per_gather = 0; SET work_mem = '128MB'"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_hashjoin; RESET max_parallel_workers_per_gather; RESET work_mem")


def audience_count(q: Q | None, *, capped: bool = True, readers: dict[str, Q] | None = None) -> AudienceCount:
    """Friends a delivery to ``q`` (None: everyone) would reach and leave out, whatever their number,
    in one COUNT query (SD-13): under a second over two million friends. ``readers`` (a delivery in
    several languages, ``readers_of``): those reached are counted per version in the same query."""
    matching = Friend.objects.all() if q is None else Friend.objects.filter(q)
    with friend_order_plans():
        counts = _counts(matching, q, capped=capped, readers=readers or {})
    return AudienceCount(
        following=counts["reached"],
        blocked=counts["blocked"],
        capped=counts["following"] - counts["reached"],
        by_language={code: counts[f"reads_{i}"] for i, code in enumerate(readers or {})},
    )


def _counts(
    matching: QuerySet[Friend], q: Q | None, *, capped: bool = True, readers: dict[str, Q]
) -> dict[str, int]:
    reach = _reach(q, now=None, delivery_id=None, capped=capped)
    return matching.aggregate(
        reached=Count("pk", filter=reach),
        following=Count("pk", filter=Q(state=Friend.State.FOLLOWING)),
        blocked=Count("pk", filter=Q(state=Friend.State.BLOCKED)),
        **{f"reads_{i}": Count("pk", filter=reach & version) for i, version in enumerate(readers.values())},
    )


def readers_of(versions: list[str]) -> dict[str, Q]:
    """Per version of a delivery (``versions``: its languages, Japanese first): which friends read it,
    as a condition on Friend's own language columns, to add to the audience query (issue 21).

    A friend's language is what they chose in 受信設定, else their LINE app's (``languages.choose``):
    the few distinct pairs of those two columns among followers are read once and each pair's version
    decided here, so the audience query stays one set-based query per version whatever the number of
    friends. Japanese is the rest: a friend whose pair appeared meanwhile is never left out.
    """
    if len(versions) <= 1:
        return {languages.JAPANESE: Q()}
    pairs = (
        Friend.objects.filter(state=Friend.State.FOLLOWING)
        .order_by()
        .values_list("language", "preferred_language")
        .distinct()
    )
    by_version: dict[str, list[Q]] = {}
    for line_tag, preferred in pairs:
        reads = languages.choose(preferred=preferred, line_language=line_tag)
        version = line_messages.version_for(versions, reads)
        if version != languages.JAPANESE:
            by_version.setdefault(version, []).append(Q(language=line_tag, preferred_language=preferred))
    others = {code: reduce(operator.or_, parts) for code, parts in by_version.items()}
    japanese = ~reduce(operator.or_, others.values()) if others else Q()
    return {languages.JAPANESE: japanese, **{code: others[code] for code in versions if code in others}}


def delivery_language_counts(delivery: Delivery) -> dict[str, int]:
    """Friends a started multicast delivery addressed, per language version (Japanese first)."""
    rows = delivery.batches.order_by().values_list("language").annotate(n=Sum("size"))
    counts = {language: n or 0 for language, n in rows}
    return {
        code: counts[code]
        for code in [languages.JAPANESE, *languages.translation_languages()]
        if code in counts
    }


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
    drafts = [line_messages.MessageDraft.of(m) for m in delivery.messages.select_related("image")]
    versions = line_messages.versions_of(drafts)
    readers = readers_of(versions) if len(versions) > 1 else None
    return Estimate(audience_count(q, readers=readers), emails, topics, on)


# --- deliveries -----------------------------------------------------------------------------------


def delivery_list_for(*, fetched_by: Staff, status: str = "") -> QuerySet[Delivery]:
    deliveries = Delivery.objects.visible_to(fetched_by).select_related("department", "created_by")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.prefetch_related("segments", "messages__image")


def access_delivery(*, fetched_by: Staff, pk: int) -> Delivery:
    return access_or_404(
        Delivery.objects.select_related("department", "created_by", "scheduled_by"), fetched_by, pk=pk
    )


class Phase(StrEnum):
    """What staff are told about a delivery that has started."""

    SENDING = "sending"  # 送信中
    RETRYING = "retrying"  # LINEに接続できず（混み合っていて）再試行中: nothing is lost, it goes later
    DONE = "done"  # 完了
    PARTIAL = "partial"  # some of it LINE refused: those are not retried
    FAILED = "failed"


@dataclass
class Progress:
    """Outcome of a delivery's LINE requests in a fixed number of queries, whatever their number.

    A friend counts as ``retrying`` while their batch waits for LINE to come back (network, 5xx,
    429): that is not a failure and is never shown as one. ``failed`` is only what LINE refused
    (a 4xx) or what could not be sent within the 24 hours a retry key is valid.
    """

    phase: Phase
    target: int
    accepted: int
    pending: int  # addressed but not answered yet, or not yet in a batch
    retrying: int
    failed: int
    requests: int
    problems: list[DeliveryBatch]  # batches waiting for a retry or failed, the first ones
    last_error: str
    limited: bool  # the last retryable error was LINE's 429
    retry_at: datetime | None
    seconds_left: int | None
    email_batches: list[EmailBatch]
    emails_sent: int
    emails_failed: int

    @property
    def done_percent(self) -> int:
        total = self.accepted + self.failed + self.pending + self.retrying
        return round(100 * (self.accepted + self.failed) / total) if total else 100

    @property
    def headline(self) -> str:
        if self.phase == Phase.RETRYING:
            if self.limited:
                return _("LINEが混み合っているため再試行中")
            return _("LINEに接続できず再試行中")
        return {
            Phase.SENDING: _("送信中"),
            Phase.DONE: _("完了"),
            Phase.PARTIAL: _("一部の人に届けられませんでした"),
            Phase.FAILED: _("配信できませんでした"),
        }[self.phase]

    @property
    def time_left(self) -> str:
        """「残り約…」 while sending; "" otherwise."""
        if self.seconds_left is None:
            return ""
        if self.seconds_left < 60:
            return _("残り約%(n)d秒") % {"n": max(self.seconds_left, 1)}
        return _("残り約%(n)d分") % {"n": round(self.seconds_left / 60)}

    @property
    def advice(self) -> str:
        """What staff should do now, in the city's words ("" when nothing)."""
        if self.phase == Phase.RETRYING:
            return _(
                "届かなかった分は自動で送り直します（同じ人に二重に届くことはありません）。"
                "このまま待ってください。24時間つながらない場合は送信を打ち切り、ここでお知らせします。"
            )
        if self.phase in (Phase.PARTIAL, Phase.FAILED):
            if any(b.http_status is None and b.status == DeliveryBatch.Status.FAILED for b in self.problems):
                return _(
                    "LINEに24時間つながらなかったため、二重送信を避けて送信を打ち切りました。"
                    "LINEの障害情報を確認し、届いていない人には配信を複製して送り直してください。"
                )
            return _(
                "LINEが受け付けなかった送信があります（下の内訳の理由を確認してください）。"
                "メッセージの内容や配信先を直してから、配信を複製して送り直してください。"
                "解決しない場合はシステム管理者に内訳の画面を見せて相談してください。"
            )
        return ""


PROBLEMS_SHOWN = 50


def _seconds_left(delivery: Delivery, accepted: int, left: int, now: datetime) -> int | None:
    """Time to send the rest: at the rate seen so far, and never faster than LINE's ceiling allows."""
    if left <= 0:
        return 0
    ceiling = line_client.bucket("multicast")
    at_ceiling = left / MULTICAST_RECIPIENTS * ceiling.interval
    if not accepted or delivery.started_at is None:
        return round(at_ceiling)
    elapsed = max((now - delivery.started_at).total_seconds(), 0.001)
    return round(max(left * elapsed / accepted, at_ceiling))


def delivery_progress(delivery: Delivery, *, now: datetime | None = None) -> Progress:
    """Where a delivery that has started stands, from its batches' outcomes (one aggregate query)."""
    now = now or timezone.now()
    sizes = dict.fromkeys(DeliveryBatch.Status.values, 0)
    counts = dict.fromkeys(DeliveryBatch.Status.values, 0)
    rows = delivery.batches.order_by().values_list("status").annotate(n=Count("pk"), size=Sum("size"))
    for status, n, size in rows:
        counts[status], sizes[status] = n, size or 0
    problems = list(
        delivery.batches.filter(status__in=[DeliveryBatch.Status.RETRYING, DeliveryBatch.Status.FAILED])
        .select_related("send")
        .order_by("number")[:PROBLEMS_SHOWN]
    )
    if delivery.is_broadcast:
        sizes = _broadcast_sizes(delivery)
    addressed = sum(sizes.values())
    not_batched = (
        max(delivery.target_count - addressed, 0) if delivery.status == Delivery.Status.SENDING else 0
    )
    accepted, failed = sizes[DeliveryBatch.Status.ACCEPTED], sizes[DeliveryBatch.Status.FAILED]
    retrying, pending = (
        sizes[DeliveryBatch.Status.RETRYING],
        sizes[DeliveryBatch.Status.PENDING] + not_batched,
    )
    last = next((b for b in reversed(problems) if b.status == DeliveryBatch.Status.RETRYING), None)
    if delivery.status == Delivery.Status.SENDING:
        phase = Phase.RETRYING if retrying or delivery.retry_at else Phase.SENDING
    elif delivery.status == Delivery.Status.SENT:
        phase = Phase.DONE
    else:
        phase = Phase.PARTIAL if delivery.status == Delivery.Status.PARTIAL else Phase.FAILED
    email_batches = list(delivery.email_batches.all())
    return Progress(
        phase=phase,
        target=delivery.target_count,
        accepted=accepted,
        pending=pending,
        retrying=retrying,
        failed=failed,
        requests=sum(counts.values()),
        problems=problems,
        last_error=last.error if last else "",
        limited=bool(last and last.http_status == 429),
        retry_at=delivery.retry_at,
        seconds_left=(
            _seconds_left(delivery, accepted, pending + retrying, now) if phase == Phase.SENDING else None
        ),
        email_batches=email_batches,
        emails_sent=sum(b.sent_count for b in email_batches),
        emails_failed=sum(
            b.size - b.sent_count for b in email_batches if b.status == EmailBatch.Status.FAILED
        ),
    )


def _broadcast_sizes(delivery: Delivery) -> dict[str, int]:
    """LINE reports no per-user outcome of a broadcast: the request's outcome is everyone's."""
    sizes = dict.fromkeys(DeliveryBatch.Status.values, 0)
    batch = delivery.batches.select_related("send").first()
    if batch is None:
        return sizes
    status = batch.send.status if batch.send is not None else None
    if status == OutboundSend.Status.SENT:
        sizes[DeliveryBatch.Status.ACCEPTED] = delivery.target_count
    elif status is None or status in (OutboundSend.Status.FAILED, OutboundSend.Status.PARTIAL):
        # Claimed but not known to be sent (the worker died mid-request): never sent again.
        sizes[DeliveryBatch.Status.FAILED] = delivery.target_count
    elif status == OutboundSend.Status.RETRYING:
        sizes[DeliveryBatch.Status.RETRYING] = delivery.target_count
    else:
        sizes[DeliveryBatch.Status.PENDING] = delivery.target_count
    return sizes


# --- the block-rate guard (SD-*) --------------------------------------------------------------------


@dataclass(frozen=True)
class BlockRate:
    delivery: Delivery
    title: str  # "" when the caller may not see the delivery (another department's)
    reached: int
    unfollows: int | None

    @property
    def percent(self) -> float | None:
        if self.unfollows is None or not self.reached:
            return None
        return 100 * self.unfollows / self.reached


RECENT_FOR_GUARD = 5


def recent_block_rates(*, fetched_by: Staff, limit: int = RECENT_FOR_GUARD) -> list[BlockRate]:
    """The account's latest deliveries and the unfollows in the 24 hours after each (any department:
    blocks hurt every department's reach; other departments' titles stay hidden)."""
    latest = list(
        Delivery.objects.filter(status__in=Delivery.FINISHED, started_at__isnull=False)
        .select_related("department")
        .order_by("-started_at")[:limit]
    )
    # Only the shown deliveries are checked, not every delivery the caller may see.
    shown = Delivery.objects.visible_to(fetched_by).filter(pk__in=[d.pk for d in latest])
    visible = set(shown.values_list("pk", flat=True))
    return [BlockRate(d, d.title if d.pk in visible else "", d.target_count, d.unfollows) for d in latest]


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
