"""Every state change of conversations: topics and canned replies (staff, audited), conversations
opened and written to by residents, replies, notes, status and assignment by staff (audited).

A staff reply reaches LINE only through ``civicline.line.direct.direct_message_send``: the recipient
is the conversation's own resident, and staff have confirmed its receipt number (PH-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.audit import (
    Action,
    audit_record,
    audited_create,
    audited_delete,
    audited_update,
    changes_between,
)
from civicline.core.images import image_store
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.core.receipts import ReceiptPrefix, receipt_number_new
from civicline.line.direct import DirectMessageRefused, direct_message_send, receipt_key
from civicline.line.languages import speaking_to
from civicline.line.models import Friend, MessageContent
from civicline.line.services import message_content_save

from . import hours, line_messages, selectors
from .models import CannedReply, Conversation, Message, Topic

MAX_TEXT = 2000
# A resident with the chat page open sees a reply at once; LINE need not tell them.
PAGE_OPEN_SECONDS = 30

Status = Conversation.Status


# --- configuration (X-8) -------------------------------------------------------------------------


@transaction.atomic
def topic_create(*, actor: Staff, department: Department, data: dict[str, Any]) -> Topic:
    require_department(actor, department)
    topic = Topic(department=department, **data)
    return audited_create(actor=actor, obj=topic, summary=_("相談の種類を作成"), fields=list(data))


@transaction.atomic
def topic_update(*, actor: Staff, topic: Topic, data: dict[str, Any]) -> Topic:
    require_department(actor, topic)
    return audited_update(actor=actor, obj=topic, data=data, summary=_("相談の種類を変更"))


@transaction.atomic
def canned_reply_create(*, actor: Staff, department: Department, data: dict[str, Any]) -> CannedReply:
    require_department(actor, department)
    canned = CannedReply(department=department, **data)
    return audited_create(actor=actor, obj=canned, summary=_("定型文を作成"), fields=list(data))


@transaction.atomic
def canned_reply_update(*, actor: Staff, canned: CannedReply, data: dict[str, Any]) -> CannedReply:
    require_department(actor, canned)
    return audited_update(actor=actor, obj=canned, data=data, summary=_("定型文を変更"))


@transaction.atomic
def canned_reply_delete(*, actor: Staff, canned: CannedReply) -> None:
    require_department(actor, canned)
    audited_delete(actor=actor, obj=canned, summary=_("定型文を削除"), fields=("title", "body"))


# --- residents ------------------------------------------------------------------------------------


def conversation_start(*, friend: Friend, topic: Topic, channel: str) -> Conversation:
    """Open a conversation for the resident, or give back the one already open there.

    In the talk that is the resident's one open talk conversation, whatever its topic (the caller
    compares); on the LIFF page, the open one of this topic.
    """
    existing = selectors.open_conversation(friend=friend, topic=topic, channel=channel)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                department=topic.department,
                topic=topic,
                friend=friend,
                channel=channel,
                receipt_number=receipt_number_new(prefix=ReceiptPrefix.CONVERSATION, model=Conversation),
            )
    except IntegrityError:
        # Two taps at once: the partial unique index let one of them open it.
        existing = selectors.open_conversation(friend=friend, topic=topic, channel=channel)
        if existing is None:
            raise
        return existing


def conversation_start_on_page(
    *, friend: Friend, topic: Topic, text: str, photo: UploadedFile | None = None
) -> Conversation:
    """A conversation opened on the LIFF page together with its first message (both or neither)."""
    stored = _photo_store(photo)
    with transaction.atomic():
        conversation = conversation_start(friend=friend, topic=topic, channel=Conversation.Channel.LIFF)
        _page_messages(conversation, text, stored)
    return conversation


def page_message_receive(*, conversation: Conversation, text: str, photo: UploadedFile | None = None) -> None:
    """What the resident sent from the page: a text, a photo, or both; nothing if either is refused."""
    stored = _photo_store(photo)
    with transaction.atomic():
        _page_messages(conversation, text, stored)


def _photo_store(photo: UploadedFile | None) -> str:
    if photo is None:
        return ""
    # Re-encoded by Pillow: whatever else the file carried (EXIF with the phone's position…) is gone.
    return image_store(photo, folder=timezone.localdate().strftime("conversations/photos/%Y/%m")).name


def _page_messages(conversation: Conversation, text: str, photo: str) -> None:
    if not text.strip() and not photo:
        raise ValidationError(_("メッセージを入力するか、写真を選んでください。"))
    if text.strip():
        message_receive(conversation=conversation, text=text)
    if photo:
        message_receive(conversation=conversation, kind=Message.Kind.IMAGE, photo=photo)


@dataclass(frozen=True)
class Received:
    message: Message
    first: bool  # the resident's first message in this conversation
    auto_answer: str  # the out-of-hours answer to give, or ""
    duplicate: bool = False  # LINE delivered this message before
    # The resident has been quiet a while: remind them that this talk goes to staff, not the bot.
    reminder_due: bool = False


# After this long without writing, a resident may have forgotten the conversation is still open.
REMINDER_AFTER = timedelta(minutes=30)


def _auto_answer_due(conversation: Conversation, now: datetime) -> bool:
    """Closed now, and not answered yet in this closed period (an opening came since the last answer)."""
    topic = conversation.topic
    if hours.is_open(topic, now):
        return False
    last = conversation.auto_answered_at
    if last is None:
        return True
    opening = hours.next_opening(topic, last)
    return opening is not None and opening <= now


def message_receive(
    *,
    conversation: Conversation,
    kind: str = Message.Kind.TEXT,
    text: str = "",
    location: dict[str, Any] | None = None,
    content: MessageContent | None = None,
    photo: str = "",
    line_message_id: str | None = None,
    now: datetime | None = None,
) -> Received:
    """Keep what the resident sent; outside the hours, also the automatic answer they are given."""
    now = now or timezone.now()
    if not conversation.is_open:
        raise ValidationError(_("この相談は終了しています。"))
    if kind == Message.Kind.TEXT:
        text = text.strip()
        if not text:
            raise ValidationError(_("メッセージを入力してください。"))
        if len(text) > MAX_TEXT:
            raise ValidationError(_("メッセージは%(n)s文字までです。") % {"n": MAX_TEXT})
    fields = {
        "author": Message.Author.RESIDENT,
        "kind": kind,
        "text": text,
        "location": location,
        "content": content,
        "photo": photo,
    }
    with transaction.atomic():
        if line_message_id:
            message, created = Message.objects.get_or_create(
                line_message_id=line_message_id, defaults={"conversation": conversation, **fields}
            )
            if not created:
                return Received(message=message, first=False, auto_answer="", duplicate=True)
        else:
            message = Message.objects.create(conversation=conversation, **fields)
        previous = conversation.last_resident_message_at
        first = previous is None
        conversation.last_message_at = conversation.last_resident_message_at = now
        update = ["last_message_at", "last_resident_message_at"]
        auto_answer = ""
        if _auto_answer_due(conversation, now):
            auto_answer = line_messages.out_of_hours_text(conversation.topic, now)
            Message.objects.create(conversation=conversation, author=Message.Author.AUTO, text=auto_answer)
            conversation.auto_answered_at = now
            update.append("auto_answered_at")
        conversation.save(update_fields=update)
        if first:
            # The department hears of a conversation when there is something to read, as for
            # bookings and reports; a topic chosen and left empty bothers nobody.
            from .tasks import conversation_notify_department_task

            conversation_id = conversation.pk
            transaction.on_commit(lambda: conversation_notify_department_task(conversation_id), robust=True)
    reminder_due = previous is not None and now - previous >= REMINDER_AFTER
    return Received(message=message, first=first, auto_answer=auto_answer, reminder_due=reminder_due)


def message_image_fetch(*, message: Message) -> Message:
    """Copy the image a resident sent out of LINE (it keeps it only for a while)."""
    if message.content_id is None and message.line_message_id:
        content = message_content_save(
            message_id=message.line_message_id, user_id=message.conversation.friend.user_id
        )
        Message.objects.filter(pk=message.pk).update(content=content)
        message.content = content
    return message


def conversation_end_by_resident(*, conversation: Conversation, now: datetime | None = None) -> Conversation:
    now = now or timezone.now()
    with transaction.atomic():
        if (
            not Conversation.objects.filter(pk=conversation.pk)
            .exclude(status=Status.CLOSED)
            .update(status=Status.CLOSED, closed_at=now, closed_by_resident=True, last_message_at=now)
        ):
            raise ValidationError(_("この相談はすでに終了しています。"))
        Message.objects.create(
            conversation=conversation, author=Message.Author.AUTO, text=_("住民が相談を終了しました。")
        )
    conversation.refresh_from_db()
    return conversation


def conversation_resident_seen(*, conversation: Conversation, now: datetime | None = None) -> None:
    """The resident has the chat page open (a reply needs no LINE notice now)."""
    now = now or timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(resident_seen_at=now)
    conversation.resident_seen_at = now


# --- staff ------------------------------------------------------------------------------------------


def _notice_due(conversation: Conversation, now: datetime) -> bool:
    """A LIFF reply is announced on LINE unless the page is open or an earlier notice is unread."""
    seen, notified = conversation.resident_seen_at, conversation.resident_notified_at
    if seen is not None and seen >= now - timedelta(seconds=PAGE_OPEN_SECONDS):
        return False
    return notified is None or (seen is not None and seen > notified)


def conversation_reply(
    *,
    actor: Staff,
    conversation: Conversation,
    text: str,
    confirmed_receipt_number: str,
    now: datetime | None = None,
) -> Message:
    """Answer the resident: pushed to them alone in the talk, or shown on their LIFF page with a notice.

    Raises ``DirectMessageRefused`` (wrong receipt number, blocked…) or ``ValidationError``, and then
    nothing is kept or sent. The first reply takes the conversation (対応中, and its assignee).
    """
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise ValidationError(_("返信を入力してください。"))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("返信は%(n)s文字までです。") % {"n": MAX_TEXT})
    if not conversation.is_open:
        raise ValidationError(
            _("完了した相談には返信できません。状態を「対応中」に戻してから返信してください。")
        )
    if receipt_key(confirmed_receipt_number) != receipt_key(conversation.receipt_number):
        # Checked here too: a page reply that needs no LINE notice never reaches direct_message_send.
        raise DirectMessageRefused(
            _("確認のため入力された受付番号がこの相談の番号と一致しません。送信していません。")
        )
    send = None
    notify = conversation.channel == Conversation.Channel.TALK or _notice_due(conversation, now)
    if notify:
        # Pushed before anything is written: direct_message_send refuses (and sends nothing) first.
        with speaking_to(conversation.friend):  # the notice's words in the resident's language (issue 21)
            reply = line_messages.staff_reply(conversation, text)
        sent = direct_message_send(
            record=conversation,
            recipient_friend=conversation.friend,
            messages=reply,
            confirmed_receipt_number=confirmed_receipt_number,
            actor=actor,
            purpose=_("相談への返信"),
        )
        send = sent.send
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, author=Message.Author.STAFF, staff=actor, text=text, send=send
        )
        before = {"status": conversation.status, "assignee": conversation.assignee_id}
        conversation.last_message_at = now
        if conversation.status == Status.NEW:
            conversation.status = Status.OPEN
        if conversation.assignee_id is None:
            conversation.assignee = actor
        update = ["last_message_at", "status", "assignee"]
        if notify and conversation.channel == Conversation.Channel.LIFF:
            conversation.resident_notified_at = now
            update.append("resident_notified_at")
        conversation.save(update_fields=update)
        audit_record(
            action=Action.SEND,
            actor=actor,
            target=conversation,
            summary=_("相談 %(number)s に返信") % {"number": conversation.receipt_number},
            changes={
                "message": message.pk,
                "notified_on_line": notify,
                **changes_between(
                    before, {"status": conversation.status, "assignee": conversation.assignee_id}
                ),
            },
        )
    return message


def conversation_note_add(
    *, actor: Staff, conversation: Conversation, text: str
) -> Message:
    """An internal note: seen by the department's staff, never by the resident."""
    text = text.strip()
    if not text:
        raise ValidationError(_("メモを入力してください。"))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("メモは%(n)s文字までです。") % {"n": MAX_TEXT})
    with transaction.atomic():
        note = Message.objects.create(
            conversation=conversation, author=Message.Author.NOTE, staff=actor, text=text
        )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            target=conversation,
            summary=_("相談 %(number)s に内部メモを追加") % {"number": conversation.receipt_number},
            changes={"message": note.pk},
        )
    return note


def conversation_status_set(
    *,
    actor: Staff,
    conversation: Conversation,
    status: str,
    confirmed_receipt_number: str = "",
    now: datetime | None = None,
) -> bool:
    """Change the status; on 完了 the resident is told (if they still follow). Returns whether told.

    The notice goes out first, through the PH-5 check: if it is refused, the status stays.
    """
    now = now or timezone.now()
    if status not in Status.values:
        raise ValidationError(_("状態を選んでください。"))
    before = conversation.status
    if status == before:
        return False
    told = False
    if status == Status.CLOSED and conversation.friend.is_following:
        with speaking_to(conversation.friend):  # the resident's language, not the clerk's (issue 21)
            notice = line_messages.closed_notice(conversation)
        direct_message_send(
            record=conversation,
            recipient_friend=conversation.friend,
            messages=notice,
            confirmed_receipt_number=confirmed_receipt_number,
            actor=actor,
            purpose=_("相談の終了"),
        )
        told = True
    conversation.status = status
    conversation.closed_at = now if status == Status.CLOSED else None
    conversation.closed_by_resident = False
    try:
        with transaction.atomic():
            conversation.save(update_fields=["status", "closed_at", "closed_by_resident"])
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                target=conversation,
                summary=_("相談 %(number)s の状態を変更") % {"number": conversation.receipt_number},
                changes={"status": {"before": before, "after": status}, "resident_told": told},
            )
    except IntegrityError as exc:
        conversation.refresh_from_db()
        raise ValidationError(
            _(
                "この住民は別の相談を続けているため、この相談は再開できません"
                "（トークでは一度に1件、専用画面では相談の種類ごとに1件まで）。"
            )
        ) from exc
    return told


def conversation_assign(
    *, actor: Staff, conversation: Conversation, assignee: Staff | None
) -> Conversation:
    if (
        assignee is not None
        and not selectors.assignable_staff(conversation=conversation).filter(pk=assignee.pk).exists()
    ):
        raise ValidationError(_("この課の職員を選んでください。"))
    before = conversation.assignee_id
    with transaction.atomic():
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=conversation,
            summary=_("相談 %(number)s の担当者を変更") % {"number": conversation.receipt_number},
            changes={"assignee": {"before": before, "after": assignee.pk if assignee else None}},
        )
    return conversation


def conversation_mark_read(*, conversation: Conversation, now: datetime | None = None) -> None:
    """Staff have the conversation open: its resident messages are no longer new to the department."""
    now = now or timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(staff_read_at=now)
    conversation.staff_read_at = now


def conversation_view_record(
    *, actor: Staff, conversation: Conversation, what: str = ""
) -> None:
    """Every look at a conversation's content leaves an audit entry (X-15)."""
    audit_record(
        action=Action.VIEW_PERSONAL,
        actor=actor,
        target=conversation,
        summary=what or _("相談の内容を表示"),
    )


def conversation_export_record(
    *, actor: Staff, filters: dict[str, Any], count: int
) -> None:
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        department=actor.department,
        summary=_("相談の記録をCSVで出力（%(n)s件）") % {"n": count},
        changes={"filters": filters},
    )
