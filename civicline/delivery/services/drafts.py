"""Composing a delivery: drafts created, edited and deleted by staff or by the system, and test
sends (SD-1, SD-2, SD-10, SD-12, X-11)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import languages, translations
from civicline.core.audit import Action, audit_record, audited_change, audited_delete
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.line import preview
from civicline.line.models import OutboundSend

from .. import images, line_messages, selectors
from ..line_messages import MessageDraft
from ..models import (
    Delivery,
    DeliveryImage,
    DeliveryMessage,
    Segment,
)
from .links import linker

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
    # Other languages' texts (issue 21): {language: {"title", "text", "alt_text", "label<n>"}}.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class DeliveryInput:
    title: str
    audience: str
    segments: list[Segment]
    combine: str
    email_too: bool
    messages: list[MessageInput]
    emergency: bool = False


def audience_check(actor: Staff, data: DeliveryInput) -> None:
    if data.audience == Delivery.Audience.ALL:
        if not selectors.may_send_to_all(staff=actor):
            raise ValidationError(_("この課には友だち全員への配信が許可されていません。"))
        return
    if not data.segments:
        raise ValidationError(_("配信先のセグメントを選んでください。"))
    usable = set(selectors.segment_usable_by(staff=actor).values_list("pk", flat=True))
    refused = [s.name for s in data.segments if s.pk not in usable]
    if refused:
        raise ValidationError(
            _("使用が許可されていないセグメントです: %(names)s") % {"names": "、".join(refused)}
        )


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
                translations=translations.cleaned(item.translations),
            )
        )
    return drafts


def _old_images(delivery: Delivery) -> dict[int, DeliveryImage | None]:
    return {m.position: m.image for m in delivery.messages.select_related("image")}


def _check_messages(drafts: list[MessageDraft]) -> None:
    if not drafts:
        raise ValidationError(_("メッセージを1つ以上作成してください。"))
    if len(drafts) > line_messages.MAX_MESSAGES:
        raise ValidationError(
            _("一度に送れるメッセージは%(n)d件までです。") % {"n": line_messages.MAX_MESSAGES}
        )
    problems = [
        _("%(i)d件目: %(error)s") % {"i": i, "error": error}
        for i, draft in enumerate(drafts, start=1)
        for error in line_messages.draft_errors(draft)
    ]
    # Each language's version must be one LINE takes too (a translation is often longer).
    names = languages.names()
    for code in line_messages.versions_of(drafts)[1:]:
        problems.extend(
            _("%(i)d件目（%(language)s）: %(error)s") % {"i": i, "language": names[code], "error": error}
            for i, draft in enumerate(drafts, start=1)
            for error in line_messages.draft_errors(draft.in_language(code))
        )
    if problems:
        raise ValidationError(problems)
    try:
        for code in line_messages.versions_of(drafts):
            line_messages.build_all([draft.in_language(code) for draft in drafts])
    except ValueError as exc:
        raise ValidationError(_("LINEで送れない形式のメッセージがあります: %(e)s") % {"e": exc}) from exc


def lock_editable(delivery: Delivery) -> None:
    """Take the delivery's row (see module docstring, step 1); refuse once sending has started."""
    touched = Delivery.objects.filter(pk=delivery.pk, status__in=Delivery.EDITABLE).update(
        updated_at=timezone.now()
    )
    if not touched:
        raise ValidationError(_("配信が始まったため、変更・取り消しはできません。"))


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
            translations=draft.translations,
        )
    unused = [i for i in old_images.values() if i is not None and i.pk not in used]
    DeliveryImage.objects.filter(pk__in=[i.pk for i in unused]).delete()
    return [name for i in unused for name in (i.name, i.preview_name)]


def _compose(delivery: Delivery, data: DeliveryInput) -> list[str]:
    """Write ``data`` into the delivery; returns the files of pictures no longer used."""
    delivery.title = data.title.strip()
    delivery.audience = data.audience
    delivery.combine = data.combine
    delivery.email_too = data.email_too
    delivery.emergency = data.emergency
    delivery.save()
    delivery.segments.set(data.segments if data.audience == Delivery.Audience.SEGMENTS else [])
    return _save_messages(delivery, data.messages)


def delivery_create(*, actor: Staff, data: DeliveryInput) -> Delivery:
    if actor.department_id is None:
        raise ValidationError(_("所属課のない職員は配信を作成できません。"))
    audience_check(actor, data)
    _check_messages(_drafts(data.messages, {}))
    delivery = Delivery(department_id=actor.department_id, created_by=actor)
    with audited_change(actor=actor, obj=delivery, summary=_created(data), fields=Delivery.AUDITED):
        _compose(delivery, data)
    return delivery


def _created(data: DeliveryInput) -> str:
    return _("配信「%(title)s」を作成") % {"title": data.title.strip()}


def delivery_update(*, actor: Staff, delivery: Delivery, data: DeliveryInput) -> Delivery:
    require_department(actor, delivery)
    audience_check(actor, data)
    _check_messages(_drafts(data.messages, _old_images(delivery)))
    summary = _("配信「%(title)s」を変更") % {"title": data.title.strip()}
    with audited_change(actor=actor, obj=delivery, summary=summary, fields=Delivery.AUDITED):
        lock_editable(delivery)
        unused = _compose(delivery, data)
        transaction.on_commit(lambda: images.image_delete(*unused))
    return delivery


def delivery_delete(*, actor: Staff, delivery: Delivery) -> None:
    require_department(actor, delivery)
    if delivery.status != Delivery.Status.DRAFT:
        raise ValidationError(_("削除できるのは下書きだけです。配信予約は先に取り消してください。"))
    names = [n for i in delivery.images.all() for n in (i.name, i.preview_name)]
    with transaction.atomic():
        lock_editable(delivery)
        audited_delete(
            actor=actor,
            obj=delivery,
            summary=_("配信の下書き「%(title)s」を削除") % {"title": delivery.title},
            fields=Delivery.AUDITED,
        )
        transaction.on_commit(lambda: images.image_delete(*names))


# --- test send (SD-10, X-11) ----------------------------------------------------------------------


def drafts_of(delivery: Delivery) -> list[MessageDraft]:
    return [MessageDraft.of(m) for m in delivery.messages.select_related("image")]


def versions_build(
    drafts: Sequence[MessageDraft], link: line_messages.Linker, codes: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """LINE's messages of each language in ``codes``, built speaking it (a default alt text too)."""
    built = {}
    for code in codes:
        with languages.speaking(code):
            built[code] = line_messages.build_all([draft.in_language(code) for draft in drafts], link)
    return built


def delivery_test_send(
    *, actor: Staff, delivery: Delivery, recipient_ids: Sequence[int], language: str = ""
) -> list[OutboundSend]:
    """Push the delivery to the chosen test devices of the caller's department, and to nobody else.

    Each device gets the version in ``language``, or, when none is chosen, the one its LINE account
    would get as a resident.
    """
    require_department(actor, delivery)
    if not recipient_ids:
        raise ValidationError(_("テスト送信先のテスト端末を選んでください。"))
    if language and language not in languages.resident_languages():
        raise ValidationError(_("選べない言語です。一覧から選んでください。"))
    drafts = drafts_of(delivery)
    versions = line_messages.versions_of(drafts)
    built: dict[str, list[dict[str, Any]]] = {}
    sends, sent_in = [], []
    for recipient_id in recipient_ids:
        reader = language or _device_language(actor, recipient_id)
        code = line_messages.version_for(versions, reader)
        if code not in built:
            built.update(versions_build(drafts, linker(delivery, preview=True), [code]))
        _recipient, send = preview.preview_message_send(
            actor=actor, recipient_id=recipient_id, messages=built[code]
        )
        sends.append(send)
        sent_in.append(code)
    audit_record(
        action=Action.SEND,
        actor=actor,
        target=delivery,
        summary=_("配信「%(title)s」をテスト端末%(n)d台にテスト送信")
        % {"title": delivery.title, "n": len(sends)},
        changes={"send_ids": [s.pk for s in sends], "languages": sent_in},
    )
    return sends


def _device_language(actor: Staff, recipient_id: int) -> str:
    """The language a test device's LINE account reads (Japanese for a device not the caller's:
    ``preview_message_send`` refuses it right after)."""
    device = preview.preview_recipient_list_for(fetched_by=actor).filter(pk=recipient_id).first()
    return device.friend.resident_language if device else languages.JAPANESE


# --- deliveries made by the system (the city's alert policy: emergency actions) ------------------


def delivery_create_system(*, actor: Staff | None, department: Department, data: DeliveryInput) -> Delivery:
    """A draft the system makes for ``department`` (an emergency delivery from an official alert).

    No staff member's grants are checked here: the system administrator's alert policy decided;
    sending still needs the department's grants (SD-7), as any delivery does. ``actor`` is the staff
    member who asked for it, or None when the policy acted by itself (the audit context names it).
    """
    _check_messages(_drafts(data.messages, {}))
    delivery = Delivery(department=department, created_by=None)
    with audited_change(actor=actor, obj=delivery, summary=_created(data), fields=Delivery.AUDITED):
        _compose(delivery, data)
    return delivery
