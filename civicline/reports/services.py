"""Every state change of photo reports: residents filing, staff handling, the city's settings.

Residents' writes (photos, reports, talk drafts) are rate-limited per resident. Staff writes are
audited; a message to a reporter goes only through ``civicline.line.direct`` (PH-4, PH-5).
A photo that fails never takes the rest of the report with it: photos are stored one by one as
they arrive and wait for the report, and a filed report takes more photos later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from civicline.core.audit import Action, audit_record, audited_create, audited_delete, audited_update
from civicline.core.images import image_store
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_system_admin
from civicline.core.receipts import ReceiptPrefix, receipt_number_new
from civicline.line.direct import (
    DirectMessageRefused,
    direct_message_confirmation,
    direct_message_send,
    receipt_key,
)
from civicline.line.languages import speaking_to
from civicline.line.messaging import message_multicast
from civicline.line.models import DirectMessage, Friend, MessageContent
from civicline.line.services import message_content_save

from . import line_messages
from .models import (
    Area,
    Category,
    Channel,
    PhotoSource,
    Report,
    ReportEvent,
    ReportPhoto,
    Status,
    TalkDraft,
)
from .routing import area_at, area_shapes, route_for

logger = logging.getLogger(__name__)

MAX_PHOTOS = 5
MAX_UPLOAD_BYTES = 15 * 1024 * 1024  # phones' full-size photos; stored re-encoded at 2048 px
THUMBNAIL_EDGE = 320
MAX_MESSAGE_LENGTH = 2000
# Photos waiting for their report this long are dropped (with their files).
PENDING_PHOTO_DAYS = 7
# A location or photos sent in the talk belong to a report being made for this long.
TALK_WINDOW = timedelta(hours=2)
# Per resident; REPORTS_RATE_LIMITS in settings overrides (``limits`` syntax, ";" between windows).
RATE_LIMITS = {"report": "10/hour;30/day", "photo": "60/hour;200/day"}


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    source: str  # LocationSource


# --- rate limits --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def _rate_limit_take(kind: str, friend: Friend) -> None:
    """Count one ``kind`` for the resident, or refuse (ValidationError) without counting."""
    limiter = _limiter(settings.REDIS_URL or "memory://")
    spec = settings.REPORTS_RATE_LIMITS.get(kind) or RATE_LIMITS[kind]
    items = parse_many(spec)
    if not all(limiter.test(item, "reports", kind, friend.user_id) for item in items):
        raise ValidationError(
            _("短い時間に多くの送信がありました。しばらく時間をおいてからもう一度お試しください。"),
            code="rate_limited",
        )
    for item in items:
        limiter.hit(item, "reports", kind, friend.user_id)


def rate_limits_reset() -> None:
    """Forget every resident's counts (tests; after changing REPORTS_RATE_LIMITS)."""
    _limiter(settings.REDIS_URL or "memory://").storage.reset()


# --- residents: photos, reports ------------------------------------------------------------------


def _pending(friend: Friend) -> models.QuerySet[ReportPhoto]:
    return ReportPhoto.objects.filter(friend=friend, report__isnull=True)


def _store(
    friend: Friend, upload: File, *, source: str, report: Report | None = None, **extra: Any
) -> ReportPhoto:
    stored = image_store(
        upload,
        folder=timezone.localdate().strftime("reports/photos/%Y/%m"),
        max_bytes=MAX_UPLOAD_BYTES,
        thumbnail_edge=THUMBNAIL_EDGE,
    )
    return ReportPhoto.objects.create(
        report=report,
        friend=friend,
        image=stored.name,
        thumbnail=stored.thumbnail,
        width=stored.width,
        height=stored.height,
        source=source,
        # Kept only until the resident chooses a location: the stored file has no EXIF at all.
        exif_location=list(stored.location) if stored.location and report is None else None,
        **extra,
    )


def report_photo_upload(*, friend: Friend, upload: File, source: str = PhotoSource.LIFF) -> ReportPhoto:
    """One photo for the report the resident is making; ValidationError (Japanese) if refused."""
    if _pending(friend).count() >= MAX_PHOTOS:
        raise ValidationError(_("写真は%(n)s枚までです。"), code="too_many", params={"n": MAX_PHOTOS})
    _rate_limit_take("photo", friend)
    return _store(friend, upload, source=source)


def report_photo_discard(*, friend: Friend, photo_id: int) -> None:
    """The resident takes back a photo not yet part of a report (someone else's id: nothing happens)."""
    for photo in _pending(friend).filter(pk=photo_id):
        _photo_delete(photo)


def _photo_delete(photo: ReportPhoto) -> None:
    names = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    storage = photo.image.storage
    # Files go once the row is gone for good; a rollback must not leave a row without its file.
    transaction.on_commit(lambda: [storage.delete(name) for name in names if name])


def report_submit(
    *,
    friend: Friend,
    category: Category,
    message: str,
    photo_ids: Sequence[int] = (),
    location: Location | None = None,
    place_note: str = "",
    contact_name: str = "",
    contact: str = "",
) -> Report:
    """File the resident's report (PH-1, PH-2) with the photos they uploaded for it, routed (PH-3).

    The department is emailed and the resident gets the receipt in the talk once it is committed.
    """
    if not category.is_active:
        raise ValidationError(_("この種類の通報は現在受け付けていません。"), code="category")
    message = message.strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("内容は%(n)s文字以内で入力してください。"), code="too_long", params={"n": MAX_MESSAGE_LENGTH}
        )
    _rate_limit_take("report", friend)
    draft = TalkDraft.objects.filter(friend=friend).first()
    from_talk = _pending(friend).filter(source=PhotoSource.TALK).exists() or draft is not None
    with transaction.atomic():
        route = route_for(
            category=category,
            message=message,
            latitude=location.latitude if location else None,
            longitude=location.longitude if location else None,
        )
        report = Report.objects.create(
            receipt_number=receipt_number_new(prefix=ReceiptPrefix.REPORT, model=Report),
            friend=friend,
            category=category,
            department=route.department,
            channel=Channel.TALK if from_talk else Channel.LIFF,
            message=message,
            latitude=location.latitude if location else None,
            longitude=location.longitude if location else None,
            location_source=location.source if location else "",
            place_note=place_note.strip(),
            area=route.area,
            contact_name=contact_name.strip(),
            contact=contact.strip(),
            routing_note=route.note[:200],
        )
        chosen = list(_pending(friend).filter(pk__in=list(photo_ids)).order_by("created_at")[:MAX_PHOTOS])
        ReportPhoto.objects.filter(pk__in=[p.pk for p in chosen]).update(report=report, exif_location=None)
        if draft is not None:
            draft.delete()
        _event(
            report,
            ReportEvent.Kind.CREATED,
            _("%(channel)sから受付（写真%(n)s枚）")
            % {"channel": report.get_channel_display(), "n": len(chosen)},
        )
        _event(report, ReportEvent.Kind.ROUTED, _routed_summary(report, route.note))
        _notify(report, "created")
        if friend.is_following:
            with speaking_to(friend):  # the resident's language wherever the report came from
                receipt = line_messages.received(report)
            message_multicast(to=[friend.user_id], messages=[receipt], background=True)
    return report


def report_photo_add(*, friend: Friend, report: Report, upload: File) -> ReportPhoto:
    """A photo added to a filed report (one that failed before); only its reporter, while it is open."""
    if report.friend_id != friend.pk:
        raise ValidationError(_("この通報には写真を追加できません。"), code="not_yours")
    if not report.is_open:
        raise ValidationError(_("対応が終わった通報には写真を追加できません。"), code="closed")
    if report.photos.count() >= MAX_PHOTOS:
        raise ValidationError(_("写真は%(n)s枚までです。"), code="too_many", params={"n": MAX_PHOTOS})
    _rate_limit_take("photo", friend)
    with transaction.atomic():
        photo = _store(friend, upload, source=PhotoSource.LIFF, report=report)
        _event(report, ReportEvent.Kind.PHOTO, _("送信者が写真を追加"))
    return photo


def _routed_summary(report: Report, note: str) -> str:
    if report.department is None:
        return note
    return _("%(department)sへ振り分け（%(why)s）") % {"department": report.department.name, "why": note}


def _event(
    report: Report, kind: str, summary: str, *, actor: Staff | None = None, text: str = ""
) -> ReportEvent:
    return ReportEvent.objects.create(report=report, kind=kind, actor=actor, summary=summary[:300], text=text)


def _notify(report: Report, event: str) -> None:
    from .tasks import report_notify_task

    transaction.on_commit(lambda: report_notify_task(report.pk, event), robust=True)


def report_notified(*, report: Report, recipients: Sequence[str], event: str) -> None:
    """Record on the report that its department (or triage) was emailed (called by the worker)."""
    _event(
        report,
        ReportEvent.Kind.NOTIFIED,
        _("通知メールを送信（%(to)s）") % {"to": ", ".join(recipients)},
    )


# --- residents: the talk ------------------------------------------------------------------------


def talk_photo_receive(*, friend: Friend, message_id: str) -> ReportPhoto:
    """An image the resident sent in the talk, copied out of LINE and kept for their report.

    Idempotent per LINE message id (events may be processed twice). The raw copy LINE gave us
    still carries EXIF; it is deleted once our re-encoded copy exists.
    """
    existing = ReportPhoto.objects.filter(line_message_id=message_id).first()
    if existing:
        return existing
    if _pending(friend).count() >= MAX_PHOTOS:
        raise ValidationError(_("写真は%(n)s枚までです。"), code="too_many", params={"n": MAX_PHOTOS})
    _rate_limit_take("photo", friend)
    content = message_content_save(message_id=message_id, user_id=friend.user_id)
    try:
        with content.file.open("rb") as raw:
            photo = _store(
                friend, File(raw, name=content.file.name), source=PhotoSource.TALK, line_message_id=message_id
            )
    finally:
        _raw_content_discard(content)
    return photo


def _raw_content_discard(content: MessageContent) -> None:
    content.file.delete(save=False)
    content.delete()


def talk_location_receive(
    *, friend: Friend, latitude: float, longitude: float, address: str = ""
) -> TalkDraft:
    draft, _created = TalkDraft.objects.update_or_create(
        friend=friend, defaults={"latitude": latitude, "longitude": longitude, "address": address[:200]}
    )
    return draft


def talk_report_in_progress(*, friend: Friend) -> bool:
    """Whether the resident sent report photos in the talk lately (so a location they send is for it)."""
    since = timezone.now() - TALK_WINDOW
    return _pending(friend).filter(source=PhotoSource.TALK, created_at__gte=since).exists()


def pending_photos_expire(*, now: Any = None) -> int:
    """Drop photos nobody filed a report with, and stale talk drafts; returns the photos dropped."""
    now = now or timezone.now()
    old = list(
        ReportPhoto.objects.filter(
            report__isnull=True, created_at__lt=now - timedelta(days=PENDING_PHOTO_DAYS)
        )
    )
    with transaction.atomic():
        for photo in old:
            _photo_delete(photo)
        TalkDraft.objects.filter(updated_at__lt=now - timedelta(days=PENDING_PHOTO_DAYS)).delete()
    return len(old)


# --- staff: handling ----------------------------------------------------------------------------


def report_view_record(
    *, actor: Staff, report: Report, what: str = ""
) -> None:
    """Staff saw a report's personal data or photos (X-15): who, which report, what."""
    audit_record(
        action=Action.VIEW_PERSONAL,
        actor=actor,
        target=report,
        summary=what or _("通報の詳細を表示"),
    )


def _refuse_unless_sendable(report: Report, confirmed_receipt_number: str) -> None:
    if receipt_key(confirmed_receipt_number) != receipt_key(report.receipt_number):
        raise DirectMessageRefused(
            _("確認のため入力された受付番号がこの受付の番号と一致しません。送信していません。")
        )
    confirmation = direct_message_confirmation(record=report)
    if not confirmation.can_send:
        raise DirectMessageRefused(confirmation.reason)


@dataclass(frozen=True)
class StatusChange:
    report: Report
    message: DirectMessage | None


def report_status_change(
    *,
    actor: Staff,
    report: Report,
    status: str,
    note: str = "",
    notify: bool = False,
    confirmed_receipt_number: str = "",
) -> StatusChange:
    """Move the report to ``status``; with ``notify`` the reporter gets the status's message (PH-4).

    A notice needs the receipt number confirmed (PH-5); if it is wrong nothing changes at all.
    """
    if status not in Status.values:
        raise ValidationError(_("状況を選んでください。"))
    if status == report.status:
        raise ValidationError(_("すでに「%(s)s」です。") % {"s": report.get_status_display()})
    if notify:
        _refuse_unless_sendable(report, confirmed_receipt_number)
    before = report.get_status_display()
    with transaction.atomic():
        report.status = status
        report.closed_at = None if report.is_open else timezone.now()
        report.save(update_fields=["status", "closed_at", "updated_at"])
        summary = _("状況を「%(a)s」から「%(b)s」に変更") % {"a": before, "b": report.get_status_display()}
        _event(report, ReportEvent.Kind.STATUS, summary, actor=actor, text=note.strip())
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=report,
            summary=summary,
            changes={"status": {"before": before, "after": report.get_status_display()}},
        )
    message = None
    if notify:
        with speaking_to(report.friend):  # the reporter's language, not the clerk's (issue 21)
            notice = line_messages.status_message(report, status)
        message = _message_send(
            actor=actor,
            report=report,
            message=notice,
            confirmed_receipt_number=confirmed_receipt_number,
            purpose=_("状況のお知らせ"),
        )
    return StatusChange(report=report, message=message)


def report_message_send(
    *,
    actor: Staff,
    report: Report,
    text: str,
    confirmed_receipt_number: str,
) -> DirectMessage:
    """Message the one reporter of ``report`` (PH-4) once staff confirmed its receipt number (PH-5)."""
    if not text.strip():
        raise ValidationError(_("メッセージを入力してください。"))
    with speaking_to(report.friend):  # the heading in the reporter's language (issue 21)
        reply = line_messages.reply_message(report, text)
    return _message_send(
        actor=actor,
        report=report,
        message=reply,
        confirmed_receipt_number=confirmed_receipt_number,
        purpose=_("返信"),
    )


def _message_send(
    *,
    actor: Staff,
    report: Report,
    message: dict[str, Any],
    confirmed_receipt_number: str,
    purpose: str,
) -> DirectMessage:
    sent = direct_message_send(
        record=report,
        recipient_friend=report.friend,
        messages=[message],
        confirmed_receipt_number=confirmed_receipt_number,
        actor=actor,
        purpose=purpose,
    )
    _event(
        report,
        ReportEvent.Kind.MESSAGE,
        _("送信者へ%(purpose)sを送信") % {"purpose": purpose},
        actor=actor,
        text=message["text"],
    )
    return sent


def report_reassign(
    *,
    actor: Staff,
    report: Report,
    department: Department,
    reason: str = "",
) -> Report:
    """Hand the report to another department (or take it out of triage); it is emailed there."""
    if not department.is_active:
        raise ValidationError(_("この課は現在使われていません。"))
    if department.pk == report.department_id:
        raise ValidationError(_("すでに%(d)sの担当です。") % {"d": department.name})
    before = report.department.name if report.department else _("振り分け待ち")
    with transaction.atomic():
        report.department = department
        report.save(update_fields=["department", "updated_at"])
        summary = _("担当課を%(a)sから%(b)sに変更") % {"a": before, "b": department.name}
        _event(report, ReportEvent.Kind.REASSIGNED, summary, actor=actor, text=reason.strip())
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=report,
            department=department,
            summary=summary,
            changes={"department": {"before": before, "after": department.name}, "reason": reason.strip()},
        )
        _notify(report, "reassigned")
    return report


def report_note_add(
    *, actor: Staff, report: Report, text: str
) -> ReportEvent:
    """An internal note on the report: seen by staff only, never sent to the resident."""
    text = text.strip()
    if not text:
        raise ValidationError(_("メモを入力してください。"))
    with transaction.atomic():
        event = _event(report, ReportEvent.Kind.NOTE, _("内部メモを追加"), actor=actor, text=text)
        # The note itself stays out of the audit log (it may name people); the log says one was added.
        audit_record(
            action=Action.CREATE, actor=actor, target=report, summary=_("内部メモを追加")
        )
    return event


# --- staff: the city's settings (system administrator) -------------------------------------------


AREA_REFRESH_BATCH = 500


def report_areas_refresh() -> int:
    """Each located report's 「地域」 from the areas as they are drawn now; the number changed.

    A report gets its area when it is filed; without this, one filed before its area was drawn (or
    after the area was redrawn or deleted) kept 「—」 or a wrong area for good. Only the area label
    changes: the department a report was routed to stays (staff reassign by hand).
    """
    shapes = area_shapes()
    changed: list[Report] = []
    located = Report.objects.exclude(latitude=None).exclude(longitude=None)
    for report in located.only("pk", "latitude", "longitude", "area_id").iterator(chunk_size=2000):
        area = area_at(report.latitude, report.longitude, shapes)
        if report.area_id != (area.pk if area else None):
            report.area = area
            changed.append(report)
    for start in range(0, len(changed), AREA_REFRESH_BATCH):
        Report.objects.bulk_update(changed[start : start + AREA_REFRESH_BATCH], ["area"])
    return len(changed)


def _areas_changed() -> None:
    from .tasks import report_areas_refresh_task

    transaction.on_commit(report_areas_refresh_task)


# The city's settings (categories, areas, routing rules, status messages) are the system
# administrator's; each change is audited with what changed.


def _setting_summary(obj: models.Model, name: object, verb: str) -> str:
    return _("%(kind)s「%(name)s」を%(verb)s") % {"kind": obj._meta.verbose_name, "name": name, "verb": verb}


@transaction.atomic
def setting_create(*, actor: Staff, obj: models.Model) -> models.Model:
    """Save the new setting ``obj``."""
    require_system_admin(actor)
    if isinstance(obj, Area):
        _areas_changed()
    return audited_create(actor=actor, obj=obj, summary=_setting_summary(obj, obj, _("作成")))


@transaction.atomic
def setting_update(*, actor: Staff, obj: models.Model, data: dict[str, Any]) -> models.Model:
    """Change the setting ``obj`` to ``data``."""
    require_system_admin(actor)
    if isinstance(obj, Area):
        _areas_changed()
    # Named as it will be saved (a renamed setting by its new name); a status message by its status.
    summary = _setting_summary(obj, data.get("name", obj), _("変更"))
    return audited_update(actor=actor, obj=obj, data=data, summary=summary)


def setting_delete(*, actor: Staff, obj: models.Model) -> None:
    require_system_admin(actor)
    try:
        with transaction.atomic():
            audited_delete(
                actor=actor,
                obj=obj,
                summary=_setting_summary(obj, obj, _("削除")),
                fields=[field.name for field in obj._meta.concrete_fields],
            )
            if isinstance(obj, Area):
                _areas_changed()
    except ProtectedError as exc:
        raise ValidationError(
            _("「%(name)s」は使われているため削除できません。先に使っている設定を変更してください。")
            % {"name": obj}
        ) from exc
