"""Writes of delivery: the city's lists, residents' settings, segments and grants, deliveries from
draft to sent, email subscriptions and tracked links. Every staff action is audited.

Sending a delivery, and why it is safe to repeat any step:

1. ``delivery_schedule`` → SCHEDULED (or straight to SENDING for "send now"); until the start it
   can be edited or unscheduled. Edits take the delivery's row first (an UPDATE), so the start,
   itself a conditional UPDATE, waits for them or finds the delivery no longer SCHEDULED.
2. ``delivery_start`` claims a due delivery (SCHEDULED → SENDING) exactly once.
3. ``delivery_send`` (worker) streams the audience query — the same query whose count staff saw —
   in friend order and records it batch by batch: a ``DeliveryBatch`` (its own retry key) and its
   500 ``DeliveryAudience`` rows in one statement each, before the batch's first attempt. Many
   batches are in flight at once (``messaging.BulkSender``) under the token bucket every worker
   shares, at LINE's multicast ceiling less its recommended headroom; outcomes are written in bulk
   as they come back. Memory stays flat: a few thousand friends are held at a time.
   Resuming after the worker was killed, or after LINE was unreachable, resends exactly the
   recorded batches not yet answered with their own keys (LINE answers 409 for any it had already
   accepted, which counts as accepted), then streams on after the highest friend recorded: nobody is
   addressed twice, nobody is left out. A claim on the delivery (renewed while it sends) and the
   (delivery, number) unique constraint keep a second sender out. While LINE cannot be reached the
   delivery stays "sending" (``retry_at``): nothing that will be retried is reported as failed. A
   batch still unanswered 23 hours after its first attempt fails (LINE keeps a retry key 24 hours:
   sending it later could deliver it twice). A broadcast is claimed before it is sent and never
   repeated.
4. ``delivery_finish_check`` settles the status once every batch has an outcome.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from smtplib import SMTPException
from typing import Any, NoReturn

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audit_record, changes_between
from civicline.core.models import Department, Staff
from civicline.line import messaging, preview
from civicline.line.models import Friend, OutboundSend

from . import conditions, images, insight, line_messages, mail, selectors
from .line_messages import MessageDraft
from .models import (
    Area,
    Child,
    Delivery,
    DeliveryAudience,
    DeliveryBatch,
    DeliveryImage,
    DeliveryMessage,
    DeliveryPolicy,
    EmailBatch,
    EmailSubscriber,
    Gender,
    ResidentAttributes,
    Segment,
    SegmentGrant,
    Topic,
    TopicChoice,
    TrackedLink,
)

logger = logging.getLogger(__name__)

MULTICAST_BATCH = messaging.MULTICAST_MAX_RECIPIENTS
MULTICAST_PATH = "/v2/bot/message/multicast"
EMAIL_BATCH_SIZE = 100
MAX_CHILDREN = 10
SCHEDULE_HORIZON = timedelta(days=365)
EMAIL_RESEND_AFTER = timedelta(minutes=5)
PENDING_EMAIL_LIFETIME = timedelta(days=7)
# A sender renews its claim every HEARTBEAT; one silent for STALE_PLANNER is presumed dead.
STALE_PLANNER = timedelta(minutes=2)
HEARTBEAT = timedelta(seconds=20)
# Friends read and recorded at a time while streaming the audience: small enough that recording
# them never keeps the requests in flight waiting for the next (4 batches, a few milliseconds).
SEND_CHUNK = 4 * MULTICAST_BATCH
PLAN_AHEAD = 24  # batches recorded ahead of those in flight (at most 12,000 friends in memory)
RESULTS_FLUSH_SECONDS = 0.25  # outcomes are written together at most this long after they come
RETRY_KEY_LIFETIME = timedelta(hours=23)  # LINE keeps a retry key 24 hours; an hour to spare
RETRY_DELAY_BOUNDS = (30, 600)  # seconds before sending again what LINE did not take
STALE_EMAIL_BATCH = timedelta(minutes=10)
ABANDONED_EMAIL_BATCH = timedelta(minutes=30)


def _refuse(message: str) -> NoReturn:
    raise ValidationError(message)


# --- the city's lists (system administrator) ------------------------------------------------------


def _admin_only(staff: Staff) -> None:
    if not staff.is_system_admin:
        _refuse(_("この操作はシステム管理者だけが行えます。"))


def _list_item_save(
    *,
    staff: Staff,
    model: type[Area] | type[Topic],
    instance: Area | Topic | None,
    data: dict[str, Any],
    request: HttpRequest | None,
) -> Area | Topic:
    _admin_only(staff)
    with transaction.atomic():
        if instance is None:
            instance = model.objects.create(**data)
            audit_record(
                action=Action.CREATE,
                actor=staff,
                request=request,
                target=instance,
                summary=_("%(what)s「%(name)s」を追加")
                % {"what": model._meta.verbose_name, "name": instance},
                changes=data,
            )
            return instance
        before = {k: getattr(instance, k) for k in data}
        for key, value in data.items():
            setattr(instance, key, value)
        instance.save()
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=instance,
            summary=_("%(what)s「%(name)s」を変更") % {"what": model._meta.verbose_name, "name": instance},
            changes=changes_between(before, data),
        )
    return instance


def area_save(
    *, staff: Staff, area: Area | None = None, data: dict[str, Any], request: HttpRequest | None = None
) -> Area:
    return _list_item_save(staff=staff, model=Area, instance=area, data=data, request=request)


def topic_save(
    *, staff: Staff, topic: Topic | None = None, data: dict[str, Any], request: HttpRequest | None = None
) -> Topic:
    return _list_item_save(staff=staff, model=Topic, instance=topic, data=data, request=request)


# --- a resident's settings (SD-1, SD-4, SD-6, SD-14) ----------------------------------------------


def resident_settings_save(
    *,
    friend: Friend,
    area: Area | None,
    birth_year: int | None,
    gender: str,
    topics: Sequence[Topic],
    children: Sequence[date],
) -> None:
    """Replace everything the resident registered with what they submitted (an empty form clears all)."""
    today = timezone.localdate()
    if gender and gender not in Gender.values:
        _refuse(_("性別の選択が正しくありません。"))
    if birth_year is not None and not today.year - 120 <= birth_year <= today.year:
        _refuse(_("生まれた年が正しくありません。"))
    if len(children) > MAX_CHILDREN:
        _refuse(_("お子さんは%(n)d人まで登録できます。") % {"n": MAX_CHILDREN})
    for born in children:
        if born > today or born.year < today.year - 40:
            _refuse(_("お子さんの生年月日が正しくありません。"))
    if area is not None and not area.is_active:
        _refuse(_("選んだ地域は選べなくなりました。もう一度選んでください。"))
    with transaction.atomic():
        if area is None and birth_year is None and not gender:
            ResidentAttributes.objects.filter(friend=friend).delete()
        else:
            ResidentAttributes.objects.update_or_create(
                friend=friend, defaults={"area": area, "birth_year": birth_year, "gender": gender}
            )
        TopicChoice.objects.filter(friend=friend).exclude(topic__in=topics).delete()
        TopicChoice.objects.bulk_create(
            [TopicChoice(friend=friend, topic=t) for t in topics], ignore_conflicts=True
        )
        Child.objects.filter(friend=friend).delete()
        Child.objects.bulk_create(
            Child(friend=friend, birth_date=born.isoformat(), birth_month=born.replace(day=1))
            for born in sorted(set(children))
        )


def resident_settings_clear(*, friend: Friend) -> None:
    """Forget everything the resident registered (SD-6)."""
    with transaction.atomic():
        ResidentAttributes.objects.filter(friend=friend).delete()
        TopicChoice.objects.filter(friend=friend).delete()
        Child.objects.filter(friend=friend).delete()


# --- segments and grants (SD-3, SD-7) -------------------------------------------------------------


def _segment_values(segment: Segment) -> dict[str, Any]:
    return {"name": segment.name, "description": segment.description, "conditions": segment.conditions}


def segment_create(
    *,
    staff: Staff,
    name: str,
    description: str = "",
    tree: dict[str, Any],
    request: HttpRequest | None = None,
) -> Segment:
    if staff.department_id is None:
        _refuse(_("所属課のない職員はセグメントを作成できません。"))
    tree = conditions.clean(tree)
    with transaction.atomic():
        segment = Segment.objects.create(
            department_id=staff.department_id,
            name=name.strip(),
            description=description.strip(),
            conditions=tree,
            created_by=staff,
        )
        audit_record(
            action=Action.CREATE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を作成") % {"name": segment.name},
            changes={**_segment_values(segment), "description_text": conditions.describe(tree)},
        )
    return segment


def segment_update(
    *,
    staff: Staff,
    segment: Segment,
    name: str,
    description: str = "",
    tree: dict[str, Any],
    request: HttpRequest | None = None,
) -> Segment:
    """Change a segment; once granted to a department, its conditions are the administrator's to change."""
    tree = conditions.clean(tree)
    if not staff.is_system_admin and (segment.department_id != staff.department_id):
        _refuse(_("他の課が作成したセグメントは変更できません。"))
    if tree != segment.conditions and not staff.is_system_admin and segment.grants.exists():
        _refuse(_("配信に使うことが許可されたセグメントの条件は、システム管理者だけが変更できます。"))
    before = _segment_values(segment)
    with transaction.atomic():
        segment.name, segment.description, segment.conditions = name.strip(), description.strip(), tree
        segment.save()
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を変更") % {"name": segment.name},
            changes=changes_between(before, _segment_values(segment)),
        )
    return segment


def segment_delete(*, staff: Staff, segment: Segment, request: HttpRequest | None = None) -> None:
    if not staff.is_system_admin and segment.department_id != staff.department_id:
        _refuse(_("他の課が作成したセグメントは削除できません。"))
    if segment.deliveries.filter(status__in=Delivery.EDITABLE).exists():
        _refuse(_("下書きまたは配信予約中の配信で使われているため削除できません。"))
    with transaction.atomic():
        audit_record(
            action=Action.DELETE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を削除") % {"name": segment.name},
            changes=_segment_values(segment),
        )
        segment.delete()


def grants_set(
    *,
    staff: Staff,
    department: Department,
    segments: Sequence[Segment],
    may_send_to_all: bool,
    request: HttpRequest | None = None,
) -> None:
    """Which segments ``department`` may deliver to, and whether to everyone (SD-7)."""
    _admin_only(staff)
    with transaction.atomic():
        before = sorted(
            SegmentGrant.objects.filter(department=department).values_list("segment__name", flat=True)
        )
        policy, _created = DeliveryPolicy.objects.get_or_create(department=department)
        was_all = policy.may_send_to_all
        SegmentGrant.objects.filter(department=department).exclude(segment__in=segments).delete()
        SegmentGrant.objects.bulk_create(
            [SegmentGrant(segment=s, department=department) for s in segments], ignore_conflicts=True
        )
        policy.may_send_to_all = may_send_to_all
        policy.save()
        after = sorted(s.name for s in segments)
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=department,
            summary=_("「%(dept)s」の配信権限を変更") % {"dept": department.name},
            changes=changes_between(
                {"segments": before, "may_send_to_all": was_all},
                {"segments": after, "may_send_to_all": may_send_to_all},
            ),
        )


# --- composing a delivery (SD-1, SD-2, SD-12) -----------------------------------------------------


@dataclass
class MessageInput:
    """A composed message from the form: a new picture already stored, or the one at this place kept."""

    kind: str
    text: str = ""
    title: str = ""
    alt_text: str = ""
    actions: list[dict[str, str]] = field(default_factory=list)
    new_image: images.StoredImage | None = None
    keep_image: bool = True
    slot: int | None = None  # the form's place (1–5): a kept picture is that place's


@dataclass
class DeliveryInput:
    title: str
    audience: str
    segments: list[Segment]
    combine: str
    email_too: bool
    messages: list[MessageInput]


def _check_audience(staff: Staff, data: DeliveryInput) -> None:
    if data.audience == Delivery.Audience.ALL:
        if not selectors.may_send_to_all(staff=staff):
            _refuse(_("この課には友だち全員への配信が許可されていません。"))
        return
    if not data.segments:
        _refuse(_("配信先のセグメントを選んでください。"))
    usable = set(selectors.segment_usable_by(staff=staff).values_list("pk", flat=True))
    refused = [s.name for s in data.segments if s.pk not in usable]
    if refused:
        _refuse(_("使用が許可されていないセグメントです: %(names)s") % {"names": "、".join(refused)})


def _drafts(inputs: list[MessageInput], old_images: dict[int, DeliveryImage | None]) -> list[MessageDraft]:
    """The inputs as drafts; a kept picture is the one the same form slot had before."""
    drafts = []
    for position, item in enumerate(inputs, start=1):
        kept = old_images.get(item.slot or position) if item.keep_image else None
        drafts.append(
            MessageDraft(
                kind=item.kind,
                text=item.text,
                title=item.title,
                alt_text=item.alt_text,
                image=item.new_image or kept,
                actions=item.actions,
            )
        )
    return drafts


def _old_images(delivery: Delivery) -> dict[int, DeliveryImage | None]:
    return {m.position: m.image for m in delivery.messages.select_related("image")}


def _check_messages(drafts: list[MessageDraft]) -> None:
    if not drafts:
        _refuse(_("メッセージを1つ以上作成してください。"))
    if len(drafts) > line_messages.MAX_MESSAGES:
        _refuse(_("一度に送れるメッセージは%(n)d件までです。") % {"n": line_messages.MAX_MESSAGES})
    problems = [
        _("%(i)d件目: %(error)s") % {"i": i, "error": error}
        for i, draft in enumerate(drafts, start=1)
        for error in line_messages.draft_errors(draft)
    ]
    if problems:
        raise ValidationError(problems)
    try:
        line_messages.build_all(drafts)
    except ValueError as exc:
        raise ValidationError(_("LINEで送れない形式のメッセージがあります: %(e)s") % {"e": exc}) from exc


def _lock_editable(delivery: Delivery) -> None:
    """Take the delivery's row (see module docstring, step 1); refuse once sending has started."""
    touched = Delivery.objects.filter(pk=delivery.pk, status__in=Delivery.EDITABLE).update(
        updated_at=timezone.now()
    )
    if not touched:
        _refuse(_("配信が始まったため、変更・取り消しはできません。"))


def _values(delivery: Delivery) -> dict[str, Any]:
    return {
        "title": delivery.title,
        "audience": delivery.audience,
        "segments": sorted(s.name for s in delivery.segments.all()),
        "combine": delivery.combine,
        "email_too": delivery.email_too,
        "messages": [
            {"kind": m.kind, "title": m.title, "text": m.text, "actions": m.actions}
            for m in delivery.messages.all()
        ],
    }


def _save_messages(delivery: Delivery, inputs: list[MessageInput]) -> list[str]:
    """Replace the delivery's messages; returns the files of pictures no longer used."""
    old_images = _old_images(delivery)
    drafts = _drafts(inputs, old_images)
    delivery.messages.all().delete()
    used: set[int] = set()
    for position, (item, draft) in enumerate(zip(inputs, drafts, strict=True), start=1):
        image = draft.image
        if item.new_image is not None:
            image = DeliveryImage.objects.create(delivery=delivery, **vars(item.new_image))
        if image is not None:
            used.add(image.pk)
        DeliveryMessage.objects.create(
            delivery=delivery,
            position=position,
            kind=item.kind,
            title=item.title.strip(),
            text=item.text.strip(),
            alt_text=item.alt_text.strip(),
            image=image,
            actions=item.actions,
        )
    unused = [i for i in old_images.values() if i is not None and i.pk not in used]
    DeliveryImage.objects.filter(pk__in=[i.pk for i in unused]).delete()
    return [name for i in unused for name in (i.name, i.preview_name)]


def _apply(delivery: Delivery, data: DeliveryInput) -> list[str]:
    delivery.title = data.title.strip()
    delivery.audience = data.audience
    delivery.combine = data.combine
    delivery.email_too = data.email_too
    delivery.save()
    delivery.segments.set(data.segments if data.audience == Delivery.Audience.SEGMENTS else [])
    return _save_messages(delivery, data.messages)


def delivery_create(*, staff: Staff, data: DeliveryInput, request: HttpRequest | None = None) -> Delivery:
    if staff.department_id is None:
        _refuse(_("所属課のない職員は配信を作成できません。"))
    _check_audience(staff, data)
    _check_messages(_drafts(data.messages, {}))
    with transaction.atomic():
        delivery = Delivery.objects.create(
            department_id=staff.department_id, title=data.title.strip(), created_by=staff
        )
        _apply(delivery, data)
        audit_record(
            action=Action.CREATE,
            actor=staff,
            request=request,
            target=delivery,
            summary=_("配信「%(title)s」を作成") % {"title": delivery.title},
            changes=_values(delivery),
        )
    return delivery


def delivery_update(
    *, staff: Staff, delivery: Delivery, data: DeliveryInput, request: HttpRequest | None = None
) -> Delivery:
    _check_audience(staff, data)
    _check_messages(_drafts(data.messages, _old_images(delivery)))
    with transaction.atomic():
        _lock_editable(delivery)
        before = _values(delivery)
        unused = _apply(delivery, data)
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=delivery,
            summary=_("配信「%(title)s」を変更") % {"title": delivery.title},
            changes=changes_between(before, _values(delivery)),
        )
        transaction.on_commit(lambda: images.image_delete(*unused))
    return delivery


def delivery_delete(*, staff: Staff, delivery: Delivery, request: HttpRequest | None = None) -> None:
    if delivery.status != Delivery.Status.DRAFT:
        _refuse(_("削除できるのは下書きだけです。配信予約は先に取り消してください。"))
    names = [n for i in delivery.images.all() for n in (i.name, i.preview_name)]
    with transaction.atomic():
        _lock_editable(delivery)
        audit_record(
            action=Action.DELETE,
            actor=staff,
            request=request,
            target=delivery,
            summary=_("配信の下書き「%(title)s」を削除") % {"title": delivery.title},
            changes=_values(delivery),
        )
        delivery.delete()
        transaction.on_commit(lambda: images.image_delete(*names))


# --- tracked links (SD-8) -------------------------------------------------------------------------


def tracked_url(link: TrackedLink) -> str:
    return settings.SITE_URL + reverse("delivery_liff:link", args=[link.token])


def _linker(delivery: Delivery, *, preview: bool = False) -> line_messages.Linker:
    """Links through civicline's counting redirect; a preview's clicks are not counted."""

    def link(url: str) -> str:
        if len(url) > TrackedLink._meta.get_field("url").max_length:
            return url
        tracked, _created = TrackedLink.objects.get_or_create(
            delivery=delivery, url=url, defaults={"token": secrets.token_urlsafe(12)}
        )
        return tracked_url(tracked) + ("?preview=1" if preview else "")

    return link


def link_follow(*, token: str, count: bool) -> str | None:
    """Where a tracked link leads (None if unknown), counting the click unless it is a preview's."""
    tracked = TrackedLink.objects.filter(token=token).first()
    if tracked is None:
        return None
    if count:
        TrackedLink.objects.filter(pk=tracked.pk).update(clicks=F("clicks") + 1)
    return tracked.url


# --- test send (SD-10, X-11) ----------------------------------------------------------------------


def _drafts_of(delivery: Delivery) -> list[MessageDraft]:
    return [MessageDraft.of(m) for m in delivery.messages.select_related("image")]


def delivery_test_send(
    *, staff: Staff, delivery: Delivery, recipient_ids: Sequence[int], request: HttpRequest | None = None
) -> list[OutboundSend]:
    """Push the delivery to the chosen test devices of the caller's department, and to nobody else."""
    if not recipient_ids:
        _refuse(_("テスト送信先のテスト端末を選んでください。"))
    messages = line_messages.build_all(_drafts_of(delivery), _linker(delivery, preview=True))
    sends = []
    for recipient_id in recipient_ids:
        _recipient, send = preview.preview_message_send(
            staff=staff, recipient_id=recipient_id, messages=messages, request=request
        )
        sends.append(send)
    audit_record(
        action=Action.SEND,
        actor=staff,
        request=request,
        target=delivery,
        summary=_("配信「%(title)s」をテスト端末%(n)d台にテスト送信")
        % {"title": delivery.title, "n": len(sends)},
        changes={"send_ids": [s.pk for s in sends]},
    )
    return sends


# --- scheduling and starting (SD-11) --------------------------------------------------------------


def delivery_schedule(
    *, staff: Staff, delivery: Delivery, at: datetime | None, request: HttpRequest | None = None
) -> Delivery:
    """Send now (``at`` None) or at ``at``; the audience must still be allowed to the caller."""
    now = timezone.now()
    if at is not None and at <= now:
        _refuse(_("配信日時には、これから先の日時を指定してください。"))
    if at is not None and at > now + SCHEDULE_HORIZON:
        _refuse(_("配信日時は1年以内で指定してください。"))
    if not delivery.messages.exists():
        _refuse(_("メッセージがありません。"))
    _check_audience(
        staff,
        DeliveryInput(
            title=delivery.title,
            audience=delivery.audience,
            segments=list(delivery.segments.all()),
            combine=delivery.combine,
            email_too=delivery.email_too,
            messages=[],
        ),
    )
    from .tasks import delivery_send_task, delivery_start_task

    with transaction.atomic():
        _lock_editable(delivery)
        fields = {"scheduled_at": at or now, "scheduled_by": staff, "error": ""}
        if at is None:
            fields.update(status=Delivery.Status.SENDING, started_at=now)
        else:
            fields.update(status=Delivery.Status.SCHEDULED)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        delivery.refresh_from_db()
        if at is None:
            summary = _("配信「%(title)s」を今すぐ配信") % {"title": delivery.title}
            transaction.on_commit(lambda: delivery_send_task(delivery.pk))
        else:
            summary = _("配信「%(title)s」を%(at)sに予約") % {
                "title": delivery.title,
                "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
            }
            # The periodic task starts it anyway; this one is only for punctuality.
            transaction.on_commit(lambda: delivery_start_task.schedule((delivery.pk,), eta=at), robust=True)
        audit_record(
            action=Action.SEND if at is None else Action.UPDATE,
            actor=staff,
            request=request,
            target=delivery,
            summary=summary,
            changes={"scheduled_at": fields["scheduled_at"]},
        )
    return delivery


def delivery_unschedule(*, staff: Staff, delivery: Delivery, request: HttpRequest | None = None) -> Delivery:
    """Take back a scheduled delivery before it starts: it becomes a draft again."""
    with transaction.atomic():
        touched = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SCHEDULED).update(
            status=Delivery.Status.DRAFT, scheduled_at=None, scheduled_by=None, updated_at=timezone.now()
        )
        if not touched:
            _refuse(_("配信が始まったため、取り消しはできません。"))
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=delivery,
            summary=_("配信「%(title)s」の予約を取り消し") % {"title": delivery.title},
        )
    delivery.refresh_from_db()
    return delivery


def delivery_start(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Start a scheduled delivery whose time has come; True for the one caller that did."""
    from .tasks import delivery_send_task

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


# --- sending (worker) -----------------------------------------------------------------------------


def _permission_refusal(delivery: Delivery) -> str:
    """Why the delivery may no longer go out as scheduled (a grant was withdrawn meanwhile), or ""."""
    by = delivery.scheduled_by
    if by is not None and by.is_system_admin:
        return ""
    if delivery.audience == Delivery.Audience.ALL:
        allowed = selectors.department_may_send_to_all(department_id=delivery.department_id)
        return "" if allowed else _("この課には友だち全員への配信が許可されていません。")
    granted = set(
        selectors.department_segments(department_id=delivery.department_id).values_list("pk", flat=True)
    )
    refused = [s.name for s in delivery.segments.all() if s.pk not in granted]
    return (
        _("使用が許可されていないセグメントです: %(names)s") % {"names": "、".join(refused)}
        if refused
        else ""
    )


def _fail(delivery: Delivery, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, error=error, finished_at=timezone.now()
    )
    logger.warning("delivery %s failed before sending: %s", delivery.pk, error)


def _prepare(delivery: Delivery) -> None:
    """Fix what goes out and to whom: messages with tracked links, the audience, the counts."""
    on = timezone.localdate(delivery.started_at)
    drafts = _drafts_of(delivery)
    link = _linker(delivery)
    messages = line_messages.build_all(drafts, link)
    segments = list(delivery.segments.all())
    topic_ids = selectors.email_topic_ids(delivery)
    with transaction.atomic():
        # The count is the count of the very query the send streams (``_recipients``); the final
        # number addressed is written when the stream ends.
        if delivery.audience == Delivery.Audience.ALL:
            count = selectors.audience_count(None)
        else:
            count = selectors.audience_count(selectors.audience_q(segments, combine=delivery.combine, on=on))
        email_count = selectors.email_subscribers_for(topic_ids).count() if delivery.email_too else 0
        names = conditions.Names()
        summary = {
            "on": on.isoformat(),
            "combine": delivery.combine,
            "segments": [
                {"name": s.name, "description": conditions.describe(s.conditions, names)} for s in segments
            ],
            "email_topics": sorted(Topic.objects.filter(pk__in=topic_ids).values_list("name", flat=True))
            if topic_ids is not None
            else [],
        }
        Delivery.objects.filter(pk=delivery.pk).update(
            sent_messages=messages,
            email_body=mail.body_text(drafts, link) if delivery.email_too else "",
            target_count=count.following,
            blocked_count=count.blocked,
            capped_count=count.capped,
            email_count=email_count,
            audience_summary=summary,
            audience_ready=True,
        )
    delivery.refresh_from_db()


def _recipients(delivery: Delivery) -> QuerySet[Friend]:
    """The friends a segment delivery goes to, judged on its start date (the count's query)."""
    on = timezone.localdate(delivery.started_at)
    q = selectors.audience_q(list(delivery.segments.all()), combine=delivery.combine, on=on)
    return selectors.recipients(q, now=delivery.started_at, delivery_id=delivery.pk)


def _audience_rows_insert(delivery: Delivery, first_batch: int, friend_ids: list[int]) -> None:
    """The audience rows of consecutive full batches (the last may be short), in one statement.

    The ids go as one text parameter: the driver's own list encoding checks every element and cost
    more than the insert itself at 180 batches a second.
    """
    table = connection.ops.quote_name(DeliveryAudience._meta.db_table)
    if connection.vendor == "postgresql":
        select = "SELECT %s, %s + (o - 1) / %s, f FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(f, o)"
        ids = "{" + ",".join(map(str, friend_ids)) + "}"
    else:
        select = "SELECT %s, %s + key / %s, value FROM json_each(%s)"
        ids = "[" + ",".join(map(str, friend_ids)) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (delivery_id, batch, friend_id) {select}",
            [delivery.pk, first_batch, MULTICAST_BATCH, ids],
        )


@dataclass
class _Stream:
    """The requests of a segment delivery: first the recorded batches LINE has not answered, then
    the rest of the audience, recorded as it is read. ``done`` once the audience is exhausted."""

    delivery: Delivery
    body: dict[str, Any]
    done: bool = False
    now: datetime = field(default_factory=timezone.now)

    def requests(self) -> Iterator[messaging.BulkRequest]:
        yield from self._unanswered()
        yield from self._new()
        self.done = True

    def _request(self, batch_pk: int, attempts: int, user_ids: list[str], key: Any) -> messaging.BulkRequest:
        return messaging.BulkRequest((batch_pk, attempts), {**self.body, "to": user_ids}, str(key))

    def _unanswered(self) -> Iterator[messaging.BulkRequest]:
        waiting = list(
            self.delivery.batches.filter(
                status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING], send=None
            )
            .order_by("number")
            .values_list("pk", "number", "retry_key", "attempts", "created_at")
        )
        for pk, number, key, attempts, created_at in waiting:
            if created_at < self.now - RETRY_KEY_LIFETIME:
                DeliveryBatch.objects.filter(pk=pk).update(
                    status=DeliveryBatch.Status.FAILED,
                    http_status=None,
                    error=_("LINEが24時間受け付けなかったため、二重送信を避けて送信を打ち切りました。"),
                    updated_at=timezone.now(),
                )
                continue
            audience = DeliveryAudience.objects.filter(delivery=self.delivery, batch=number)
            yield self._request(pk, attempts, list(audience.values_list("friend__user_id", flat=True)), key)

    def _new(self) -> Iterator[messaging.BulkRequest]:
        progress = self.delivery.batches.aggregate(last=Max("last_friend_id"), number=Max("number"))
        last, number = progress["last"] or 0, progress["number"] or 0
        friends = _recipients(self.delivery).filter(pk__gt=last).order_by("pk").values_list("pk", "user_id")
        # One query for the whole audience, read a chunk at a time (a server-side cursor on
        # PostgreSQL): memory holds one chunk, and the database evaluates the segment once.
        with selectors.friend_order_plans():
            stream = friends.iterator(chunk_size=SEND_CHUNK)
            rows = list(islice(stream, SEND_CHUNK))
        while rows:
            chunks = [rows[i : i + MULTICAST_BATCH] for i in range(0, len(rows), MULTICAST_BATCH)]
            with transaction.atomic():
                batches = DeliveryBatch.objects.bulk_create(
                    DeliveryBatch(
                        delivery=self.delivery,
                        number=number + i,
                        size=len(chunk),
                        last_friend_id=chunk[-1][0],
                    )
                    for i, chunk in enumerate(chunks, start=1)
                )
                _audience_rows_insert(self.delivery, number + 1, [pk for pk, _user_id in rows])
            number += len(chunks)
            for batch, chunk in zip(batches, chunks, strict=True):
                yield self._request(batch.pk, 0, [user_id for _pk, user_id in chunk], batch.retry_key)
            rows = list(islice(stream, SEND_CHUNK))


class _Outcomes:
    """Batch outcomes written in bulk (one UPDATE for whatever came back together), and the
    delivery's claim renewed while it sends."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.rows: list[tuple[int, str, str, int | None, int, str]] = []
        self.flushed = self.beat = time.monotonic()

    def add(self, result: messaging.BulkOutcome) -> None:
        (batch_pk, attempts), outcome = result.request.key, result.outcome
        if outcome.accepted:
            status = DeliveryBatch.Status.ACCEPTED
        else:
            status = DeliveryBatch.Status.RETRYING if outcome.retryable else DeliveryBatch.Status.FAILED
        error = "" if outcome.accepted else outcome.error[:2000]
        self.rows.append(
            (
                batch_pk,
                status,
                outcome.request_id[:64],
                outcome.http_status,
                attempts + outcome.attempts,
                error,
            )
        )
        if time.monotonic() - self.flushed >= RESULTS_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            _outcomes_write(self.rows)
            self.rows = []
        self.flushed = time.monotonic()
        if self.flushed - self.beat >= HEARTBEAT.total_seconds():
            Delivery.objects.filter(pk=self.delivery.pk).update(planning_since=timezone.now())
            self.beat = self.flushed


def _outcomes_write(rows: list[tuple[int, str, str, int | None, int, str]]) -> None:
    """One UPDATE … FROM (VALUES …) for many batches (PostgreSQL and SQLite alike): the ORM's
    bulk_update builds a CASE per field per row, a cost the sending thread pays 180 times a second."""
    table = connection.ops.quote_name(DeliveryBatch._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = "(CAST(%s AS BIGINT), %s, %s, CAST(%s AS INTEGER), CAST(%s AS INTEGER), %s)"
    values = ", ".join([row] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = v.column2, request_id = v.column3, http_status = v.column4, "  # noqa: S608
            f"attempts = v.column5, error = v.column6, updated_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            [now, *(value for r in rows for value in r)],
        )


class _Ahead:
    """The stream's batches, recorded in a thread (and database connection) of their own, a few
    batches ahead of those in flight: a slow answer from the database never holds up the requests
    to LINE, whose pace the worker's one thread could not otherwise keep at 180 a second.

    Not inside a transaction (tests): another connection would not see its rows; the stream then
    runs in the caller's thread.
    """

    _END = object()

    def __init__(self, requests: Iterator[messaging.BulkRequest], ahead: int = PLAN_AHEAD) -> None:
        self._requests = requests
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delivery-planner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for request in self._requests:
                if not self._put(request):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the sending thread, which raises it
            self._put(exc)
        finally:
            connection.close()  # this thread's own

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[messaging.BulkRequest]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _send_multicasts(delivery: Delivery) -> bool:
    """Send what is left of a segment delivery; True once every batch has been answered."""
    body: dict[str, Any] = {
        "messages": delivery.sent_messages,
        # LINE's statistics per delivery (SD-8): every request carries the delivery's unit.
        "customAggregationUnits": [delivery.aggregation_unit],
    }
    stream = _Stream(delivery, body)
    sender = messaging.BulkSender("multicast", MULTICAST_PATH)
    outcomes = _Outcomes(delivery)
    requests = _Ahead(stream.requests()) if not connection.in_atomic_block else stream.requests()
    try:
        for result in sender.run(requests):
            outcomes.add(result)
    finally:
        if isinstance(requests, _Ahead):
            requests.close()
        outcomes.flush()
    unanswered = delivery.batches.filter(
        status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
    )
    return stream.done and not unanswered.exists()


def _retry_later(delivery: Delivery) -> None:
    """LINE did not take everything (unreachable, 5xx, 429): send the rest again in a while."""
    from .tasks import delivery_send_task

    oldest = (
        delivery.batches.filter(status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    waited = (timezone.now() - oldest).total_seconds() if oldest else 0
    low, high = RETRY_DELAY_BOUNDS
    delay = min(max(waited / 2, low), high)
    Delivery.objects.filter(pk=delivery.pk).update(
        planning_since=None, retry_at=timezone.now() + timedelta(seconds=delay)
    )
    transaction.on_commit(lambda: delivery_send_task.schedule((delivery.pk,), delay=delay), robust=True)
    logger.warning(
        "delivery %s: LINE did not take every batch; sending the rest in %.0f s", delivery.pk, delay
    )


def _plan_broadcast(delivery: Delivery) -> None:
    if delivery.batches.exists():
        return  # claimed before: sent, or its outcome unknown — never a second broadcast
    with transaction.atomic():
        batch = DeliveryBatch.objects.create(delivery=delivery, number=1, size=delivery.target_count)
    send = messaging.message_broadcast(messages=delivery.sent_messages)
    DeliveryBatch.objects.filter(pk=batch.pk).update(send=send)


def _plan_emails(delivery: Delivery) -> None:
    from .tasks import email_batch_task

    topic_ids = selectors.email_topic_ids(delivery)
    subscribers = selectors.email_subscribers_for(topic_ids).order_by("pk")
    progress = delivery.email_batches.aggregate(last=Max("last_subscriber_id"), number=Max("number"))
    last, number = progress["last"] or 0, (progress["number"] or 0)
    while True:
        ids = list(subscribers.filter(pk__gt=last).values_list("pk", flat=True)[:EMAIL_BATCH_SIZE])
        if not ids:
            return
        number += 1
        with transaction.atomic():
            batch = EmailBatch.objects.create(
                delivery=delivery,
                number=number,
                first_subscriber_id=ids[0],
                last_subscriber_id=ids[-1],
                size=len(ids),
            )
            transaction.on_commit(lambda pk=batch.pk: email_batch_task(pk))
        last = ids[-1]


def delivery_send(*, delivery_id: int) -> Delivery:
    """The worker's part of a delivery that has started: audience, batches, mails (resumable)."""
    delivery = Delivery.objects.select_related("scheduled_by").get(pk=delivery_id)
    if delivery.status != Delivery.Status.SENDING or delivery.planned_at is not None:
        return delivery_finish_check(delivery_id=delivery_id)
    now = timezone.now()
    claimed = Delivery.objects.filter(
        Q(planning_since=None) | Q(planning_since__lt=now - STALE_PLANNER),
        pk=delivery_id,
        status=Delivery.Status.SENDING,
        planned_at=None,
    ).update(planning_since=now, retry_at=None)
    if not claimed:
        return delivery  # another worker is sending it
    try:
        if not delivery.audience_ready:
            refusal = _permission_refusal(delivery)
            if refusal:
                _fail(delivery, refusal)
                return Delivery.objects.get(pk=delivery_id)
            _prepare(delivery)
        if delivery.audience == Delivery.Audience.ALL:
            _plan_broadcast(delivery)
        elif not _send_multicasts(delivery):
            _retry_later(delivery)
            return Delivery.objects.get(pk=delivery_id)
        if delivery.email_too:
            _plan_emails(delivery)
    except IntegrityError:
        # A sender presumed dead came back: it recorded this batch; leave the rest to whichever runs on.
        logger.warning("delivery %s: two senders met; this one stops", delivery_id)
        return Delivery.objects.get(pk=delivery_id)
    except Exception:
        # Let the task's retry resume at once from the batches recorded.
        Delivery.objects.filter(pk=delivery_id).update(planning_since=None)
        raise
    fields: dict[str, Any] = {"planned_at": timezone.now(), "planning_since": None, "retry_at": None}
    if delivery.audience == Delivery.Audience.SEGMENTS:
        # The number addressed; the count at the start differs only if friends changed meanwhile.
        fields["target_count"] = sum(delivery.batches.values_list("size", flat=True))
    Delivery.objects.filter(pk=delivery_id).update(**fields)
    return delivery_finish_check(delivery_id=delivery_id)


def _settle_legacy_batches(delivery: Delivery) -> None:
    """Multicast batches recorded before batches carried their own outcome: their OutboundSend,
    retried by the line worker, decides."""
    legacy = delivery.batches.exclude(send=None).filter(
        status__in=[DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
    )
    outcome = {OutboundSend.Status.SENT: DeliveryBatch.Status.ACCEPTED}
    for batch in legacy.select_related("send"):
        if batch.send.is_finished:
            status = outcome.get(batch.send.status, DeliveryBatch.Status.FAILED)
            DeliveryBatch.objects.filter(pk=batch.pk).update(status=status, error=batch.send.error)


def delivery_finish_check(*, delivery_id: int) -> Delivery:
    """Settle a delivery once every LINE request and mail batch has an outcome."""
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.status != Delivery.Status.SENDING or delivery.planned_at is None:
        return delivery
    if delivery.audience == Delivery.Audience.ALL:
        batches = list(delivery.batches.select_related("send"))
        if any(b.send is not None and not b.send.is_finished for b in batches):
            return delivery
        unknown = any(b.send is None for b in batches)
    else:
        _settle_legacy_batches(delivery)
        waiting = [DeliveryBatch.Status.PENDING, DeliveryBatch.Status.RETRYING]
        if delivery.batches.filter(status__in=waiting).exists():
            return delivery
        unknown = False
    if delivery.email_batches.exclude(status__in=[EmailBatch.Status.SENT, EmailBatch.Status.FAILED]).exists():
        return delivery
    progress = selectors.delivery_progress(delivery)
    failed = progress.failed or progress.emails_failed or unknown
    reached = progress.accepted or progress.emails_sent
    if not failed:
        status = Delivery.Status.SENT
    elif reached:
        status = Delivery.Status.PARTIAL
    else:
        status = Delivery.Status.FAILED
    error = (
        _(
            "一斉送信の結果が確認できませんでした（二重送信を避けるため再送していません）。"
            "友だちに届いたかをLINE公式アカウントの管理画面で確かめ、届いていなければ配信を複製して送り直してください。"
        )
        if unknown
        else ""
    )
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=status, finished_at=timezone.now(), error=error or delivery.error
    )
    return Delivery.objects.get(pk=delivery_id)


def deliveries_sweep(*, now: datetime | None = None) -> None:
    """What the queue may have lost: finish deliveries whose sends ended in the line worker, send
    again where a sender died or LINE's retry time has passed, send mail batches never picked up,
    give up on interrupted ones."""
    from .tasks import delivery_send_task, email_batch_task

    now = now or timezone.now()
    for delivery_id in Delivery.objects.filter(status=Delivery.Status.SENDING).values_list("pk", flat=True):
        delivery = delivery_finish_check(delivery_id=delivery_id)
        if delivery.status != Delivery.Status.SENDING or delivery.planned_at is not None:
            continue
        if delivery.retry_at is not None:
            # Its own task is queued for retry_at; this is the safety net if that entry was lost.
            due = delivery.retry_at < now - timedelta(minutes=1)
        else:
            due = (delivery.planning_since or delivery.started_at) < now - STALE_PLANNER
        if due:
            delivery_send_task(delivery_id)
    waiting = EmailBatch.objects.filter(
        status=EmailBatch.Status.PENDING, created_at__lt=now - STALE_EMAIL_BATCH
    )
    for batch_id in waiting.values_list("pk", flat=True)[:100]:
        email_batch_task(batch_id)
    # Interrupted mid-send: some mails may have gone; sending again could mail people twice.
    abandoned = EmailBatch.objects.filter(
        status=EmailBatch.Status.SENDING, claimed_at__lt=now - ABANDONED_EMAIL_BATCH
    )
    for batch in abandoned:
        EmailBatch.objects.filter(pk=batch.pk, status=EmailBatch.Status.SENDING).update(
            status=EmailBatch.Status.FAILED,
            error=_("送信中に中断しました（二重送信を避けるため再送していません）。"),
        )
        delivery_finish_check(delivery_id=batch.delivery_id)


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


def email_batch_send(*, batch_id: int, final: bool = True) -> EmailBatch:
    """Mail one batch of subscribers (those still subscribed to the topics when it runs)."""
    claimed = EmailBatch.objects.filter(pk=batch_id, status=EmailBatch.Status.PENDING).update(
        status=EmailBatch.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    batch = EmailBatch.objects.select_related("delivery").get(pk=batch_id)
    if not claimed:
        return batch
    delivery = batch.delivery
    subscribers = selectors.email_subscribers_for(selectors.email_topic_ids(delivery)).filter(
        pk__gte=batch.first_subscriber_id, pk__lte=batch.last_subscriber_id
    )
    topics_label = "、".join(delivery.audience_summary.get("email_topics") or []) or _("すべての分野")
    title = " ".join(delivery.title.split())  # a header: a forged line break must not reach it
    subject = f"【{settings.CITY_NAME}】{title}" if settings.CITY_NAME else title
    mails = [
        mail.delivery_mail(subject=subject, body=delivery.email_body, subscriber=s, topics=topics_label)
        for s in subscribers
    ]
    try:
        sent = mail.mails_send(mails) if mails else 0
    except (SMTPException, OSError) as exc:
        status = EmailBatch.Status.FAILED if final else EmailBatch.Status.PENDING
        EmailBatch.objects.filter(pk=batch_id).update(status=status, error=str(exc)[:1000])
        logger.warning("delivery %s mail batch %s failed: %s", delivery.pk, batch.number, exc)
        if not final:
            raise
    else:
        EmailBatch.objects.filter(pk=batch_id).update(
            status=EmailBatch.Status.SENT,
            sent_count=sent,
            size=len(mails),
            error="",
            finished_at=timezone.now(),
        )
    delivery_finish_check(delivery_id=delivery.pk)
    return EmailBatch.objects.get(pk=batch_id)


# --- opens and clicks as LINE reports them (SD-8) -------------------------------------------------


def delivery_insight_refresh(*, delivery: Delivery) -> bool:
    """Fetch LINE's statistics of a started delivery; False when LINE gave none (kept as before)."""
    if delivery.started_at is None:
        return False
    if delivery.audience == Delivery.Audience.ALL:
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


# --- email subscriptions (SD-9) -------------------------------------------------------------------


def email_subscription_request(*, email: str, topics: Sequence[Topic]) -> None:
    """Ask for a subscription: a confirmation link is mailed; nothing changes until it is followed.

    The answer is the same whether the address is known or not, and one address gets at most one
    confirmation mail every few minutes, so the form cannot be used to mail someone repeatedly.
    """
    if not topics:
        _refuse(_("受け取る分野を1つ以上選んでください。"))
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


# --- deliveries made by the system (the city's alert policy: emergency actions) ------------------


def delivery_create_system(*, department: Department, data: DeliveryInput, actor_label: str) -> Delivery:
    """A draft the system makes for ``department`` (an emergency delivery from an official alert).

    No staff member's grants are checked here: the system administrator's alert policy decided;
    sending still needs the department's grants (SD-7), as any delivery does.
    """
    _check_messages(_drafts(data.messages, {}))
    with transaction.atomic():
        delivery = Delivery.objects.create(department=department, title=data.title.strip(), created_by=None)
        _apply(delivery, data)
        audit_record(
            action=Action.CREATE,
            actor_label=actor_label,
            target=delivery,
            summary=_("配信「%(title)s」を作成") % {"title": delivery.title},
            changes=_values(delivery),
        )
    return delivery


def delivery_send_system(*, delivery: Delivery, actor_label: str) -> Delivery:
    """Send a system-made draft now (the policy said so for the most severe alerts)."""
    from .tasks import delivery_send_task

    now = timezone.now()
    with transaction.atomic():
        _lock_editable(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(
            scheduled_at=now, scheduled_by=None, error="", status=Delivery.Status.SENDING, started_at=now
        )
        delivery.refresh_from_db()
        transaction.on_commit(lambda: delivery_send_task(delivery.pk))
        audit_record(
            action=Action.SEND,
            actor_label=actor_label,
            target=delivery,
            summary=_("配信「%(title)s」を今すぐ配信") % {"title": delivery.title},
            changes={"scheduled_at": now},
        )
    return delivery
