"""Staff preview (X-11): test devices, and drafts sent to them only.

A draft reaches LINE through ``preview_message_send`` alone, whose recipient is looked up among
the caller's department's test recipients: a resident can never receive a preview, whatever the
request says. Every registration, removal and send is audited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from linebot.v3.messaging import Message
from pydantic.v1 import ValidationError as ModelValidationError

from civicline.core.audit import Action, audit_record
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404

from .messaging import MAX_MESSAGES_PER_REQUEST, message_push
from .models import Friend, OutboundSend, PreviewRecipient

MAX_TEXT_LENGTH = 5000  # LINE's limit for a text message
# A Flex Simulator's "View as JSON" gives the container, not the message around it.
FLEX_CONTAINER_TYPES = {"bubble", "carousel"}
# Staff pick their own account among those active this recently (they have just followed from it).
RECENT_FRIEND_MINUTES = 60
RECENT_FRIEND_LIMIT = 20


# --- drafts ---------------------------------------------------------------------------------------


def draft_messages_parse(text: str, *, alt_text: str = "") -> list[dict[str, Any]]:
    """The messages a draft stands for, checked against LINE's message models.

    Plain text is one text message. Text starting with ``{`` or ``[`` is JSON: a message object, a
    list of up to 5, or a bare Flex container (bubble / carousel, as the Flex Simulator shows it),
    which becomes a Flex message with ``alt_text``. Raises ``ValidationError`` in Japanese.
    """
    text = text.strip()
    if not text:
        raise ValidationError(_("メッセージを入力してください。"))
    if text[0] not in "{[":
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationError(_("テキストは%(limit)d文字までです。") % {"limit": MAX_TEXT_LENGTH})
        return [{"type": "text", "text": text}]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _(
                "JSONとして読み取れません（%(line)d行目 %(column)d文字目）。"
                "Flex Message Simulatorからコピーした内容をそのまま貼り付けてください。"
            )
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or len(items) > MAX_MESSAGES_PER_REQUEST:
        raise ValidationError(_("一度に送れるメッセージは1〜5件です。"))
    return [_checked_message(item, index, alt_text) for index, item in enumerate(items, start=1)]


def _checked_message(item: Any, index: int, alt_text: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValidationError(
            _("%(index)d件目がメッセージのオブジェクト（{…}）ではありません。") % {"index": index}
        )
    if item.get("type") in FLEX_CONTAINER_TYPES:
        item = {"type": "flex", "altText": alt_text or _("プレビュー"), "contents": item}
    if not isinstance(item.get("type"), str) or Message.get_discriminator_value(item) is None:
        raise ValidationError(
            _("%(index)d件目のメッセージの種類（type: %(type)s）はLINEにありません。")
            % {"index": index, "type": json.dumps(item.get("type"), ensure_ascii=False)}
        )
    try:
        Message.from_dict(item)
    except (ModelValidationError, ValueError, TypeError, KeyError) as exc:
        raise ValidationError(
            _("%(index)d件目の形式が正しくありません: %(detail)s")
            % {"index": index, "detail": _describe(exc)}
        ) from exc
    # What staff wrote goes to LINE as written (the SDK's copy drops fields it does not know),
    # so LINE's own validation judges the same JSON a real send would carry.
    return item


def _describe(exc: Exception) -> str:
    if not isinstance(exc, ModelValidationError):
        # A nested object of an unknown type (e.g. a Flex component) fails the SDK's lookup.
        return _("中の要素の種類（type）が正しくないか、足りません")
    model = exc.model.__name__
    parts = []
    for error in exc.errors()[:3]:
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        if error.get("type") in {"type_error.none.not_allowed", "value_error.missing"}:
            parts.append(_("%(model)sの「%(field)s」がありません") % {"model": model, "field": field})
        else:
            parts.append(
                _("%(model)sの「%(field)s」が正しくありません（%(detail)s）")
                % {"model": model, "field": field, "detail": error.get("msg", "")}
            )
    return "、".join(parts)


# --- test recipients ----------------------------------------------------------------------------


def preview_recipient_list_for(*, fetched_by: Staff) -> QuerySet[PreviewRecipient]:
    recipients = PreviewRecipient.objects.visible_to(fetched_by)
    return recipients.select_related("friend", "department", "registered_by")


def friend_list_recent() -> QuerySet[Friend]:
    """Accounts that followed or talked very recently: where staff find the device they just used."""
    since = timezone.now() - timedelta(minutes=RECENT_FRIEND_MINUTES)
    return Friend.objects.filter(last_seen__gte=since).order_by("-last_seen")[:RECENT_FRIEND_LIMIT]


def preview_recipient_create(
    *, staff: Staff, friend: Friend, label: str, request: HttpRequest | None = None
) -> PreviewRecipient:
    """Register ``friend`` (staff's own LINE account) as a test device of staff's department."""
    if staff.department_id is None:
        raise ValidationError(_("所属課のない職員はテスト端末を登録できません。"))
    try:
        with transaction.atomic():
            recipient = PreviewRecipient.objects.create(
                department=staff.department, friend=friend, label=label.strip(), registered_by=staff
            )
            audit_record(
                action=Action.CREATE,
                actor=staff,
                request=request,
                target=recipient,
                summary=_("テスト端末「%(label)s」を登録") % {"label": recipient.label},
                changes={"label": recipient.label, "line_user_id": friend.user_id},
            )
    except IntegrityError as exc:
        raise ValidationError(_("このLINEアカウントは既に課のテスト端末として登録されています。")) from exc
    return recipient


def preview_recipient_delete(*, staff: Staff, recipient_id: int, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        recipient = access_or_404(PreviewRecipient.objects.select_related("friend"), staff, pk=recipient_id)
        audit_record(
            action=Action.DELETE,
            actor=staff,
            request=request,
            target=recipient,
            summary=_("テスト端末「%(label)s」の登録を解除") % {"label": recipient.label},
            changes={"label": recipient.label, "line_user_id": recipient.friend.user_id},
        )
        recipient.delete()


def preview_message_send(
    *,
    staff: Staff,
    recipient_id: int,
    messages: list[Mapping[str, Any]],
    request: HttpRequest | None = None,
) -> tuple[PreviewRecipient, OutboundSend]:
    """Push a draft to one of the caller's department's test devices; 404 for anything else."""
    recipient = access_or_404(PreviewRecipient.objects.select_related("friend"), staff, pk=recipient_id)
    send = message_push(to=recipient.friend.user_id, messages=list(messages))
    audit_record(
        action=Action.SEND,
        actor=staff,
        request=request,
        target=recipient,
        summary=_("テスト端末「%(label)s」へプレビューを送信") % {"label": recipient.label},
        changes={
            "send_id": send.pk,
            "status": send.status,
            "message_types": [m.get("type") for m in messages],
        },
    )
    return recipient, send


def preview_recipient_seed_demo(*, department: Department, user_id: str, label: str) -> PreviewRecipient:
    """The demo city's test device for ``department`` (idempotent; seeding is not a staff action)."""
    friend = Friend.objects.get_or_create(
        user_id=user_id, defaults={"first_seen": timezone.now(), "last_seen": timezone.now()}
    )[0]
    return PreviewRecipient.objects.get_or_create(
        department=department, friend=friend, defaults={"label": label}
    )[0]
