"""Message one resident about one record (PH-4, PH-5): the only way staff write to a single resident.

Contract (shared by photo reports, public comments and staff conversations):

* A *record* is any model instance that offers
    - ``receipt_number: str`` — the number the resident was given; staff must type it to confirm;
    - ``direct_message_friend -> Friend | None`` — the resident the record belongs to (a property
      or a field; None when the record has no LINE resident);
    - a ``department`` (or the path named by its ``scope_department_field``): the sender must be
      of that department (``require_department``) or a system administrator.
* ``direct_message_send(*, record, recipient_friend, messages, confirmed_receipt_number, actor,
  purpose="") -> DirectMessage`` pushes ``messages`` (≤ 5, as for
  ``messaging.message_push``) to ``record.direct_message_friend`` and nobody else. It raises
  ``DirectMessageRefused`` (``str(exc)`` is a Japanese sentence for staff) and sends nothing when the
  confirmed receipt number is not the record's (compared ignoring width, case, spaces and
  hyphens), when ``recipient_friend`` is not the record's resident, when the resident has blocked
  the account, or when the messages are not sendable; ``NotYourDepartment`` when the record is
  another department's.
  Otherwise it logs a ``DirectMessage`` on the record and writes an audit entry (action SEND).
  The recipient is never taken from a request: callers pass the friend they read from the record.
* ``direct_message_list_for(*, record)`` — the record's log, newest first, for its history.
* ``confirmation_remember(request, record, number)`` / ``confirmation_remembered(request, record)``
  / ``confirmation_forget(request, record)`` — once staff have confirmed a record's receipt number,
  further messages about the same case go without retyping it while they keep working on it
  (``CONFIRMATION_IDLE_MINUTES``); opening another case starts over. The service still checks the
  number at every send.
* ``direct_message_confirmation(*, record, thumbnail_url="", messages=None) -> Confirmation`` —
  what the confirmation screen shows. Render it with
  ``{% include "line/direct/confirm.html" with confirmation=confirmation form=form %}`` inside the
  caller's ``<form>``: receipt number, thumbnail, masked name, the text of ``messages`` exactly as
  they will be sent, and the receipt-number input of ``DirectMessageConfirmForm`` (or a subclass
  carrying the caller's own fields as hidden inputs).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core.audit import Action, audit_record
from civicline.core.models import Staff
from civicline.core.permissions import department_of, require_department

from .messaging import Messages, message_push, normalize_messages
from .models import DirectMessage, Friend

MASK = "＊"


class DirectMessageRecord(Protocol):
    pk: Any
    receipt_number: str

    @property
    def direct_message_friend(self) -> Friend | None: ...


class DirectMessageRefused(Exception):
    """The message was not sent; ``str(exc)`` tells staff why, in Japanese."""


@dataclass(frozen=True)
class Confirmation:
    receipt_number: str
    masked_name: str
    thumbnail_url: str = ""
    can_send: bool = True
    reason: str = ""  # why it cannot be sent, when it cannot
    preview: list[str] = field(default_factory=list)  # the messages' text, as the resident will read it


# Staff confirm a case's resident once, then keep writing about it; after this long without a
# message, or once they confirm another case, they confirm again.
CONFIRMATION_IDLE_MINUTES = 30
_CONFIRMED_SESSION_KEY = "direct_message.confirmed"


def _case_key(record: models.Model) -> str:
    return f"{record._meta.label_lower}:{record.pk}"


def confirmation_remember(request: HttpRequest, record: models.Model, number: str) -> None:
    # One case at a time: remembering this one forgets any other.
    request.session[_CONFIRMED_SESSION_KEY] = {"case": _case_key(record), "number": number, "at": time.time()}


def confirmation_remembered(request: HttpRequest, record: models.Model) -> str:
    """The receipt number staff confirmed for this case, if still fresh (refreshed by each use)."""
    entry = request.session.get(_CONFIRMED_SESSION_KEY) or {}
    if entry.get("case") != _case_key(record):
        return ""
    if time.time() - entry.get("at", 0) > CONFIRMATION_IDLE_MINUTES * 60:
        confirmation_forget(request, record)
        return ""
    return str(entry.get("number", ""))


def confirmation_forget(request: HttpRequest, record: models.Model) -> None:
    if (request.session.get(_CONFIRMED_SESSION_KEY) or {}).get("case") == _case_key(record):
        del request.session[_CONFIRMED_SESSION_KEY]


def receipt_key(value: str) -> str:
    """A receipt number as compared: full-width, case, spaces and any dash or hyphen do not matter."""
    # ー: the long-vowel mark a Japanese keyboard gives for "-" in kana mode.
    return re.sub(r"[\W_ー]", "", unicodedata.normalize("NFKC", value or "")).upper()


def mask_name(name: str) -> str:
    """Each word's first character, the rest masked: enough to recognise, not enough to identify."""
    words = (name or "").split()
    if not words:
        return MASK * 2
    return " ".join(word[0] + MASK * max(len(word) - 1, 1) for word in words)


def _refusal(record: DirectMessageRecord, recipient_friend: Friend | None) -> str:
    friend = record.direct_message_friend
    if friend is None:
        return _("この受付はLINEから届いたものではないため、LINEでは返信できません。")
    if recipient_friend is None or recipient_friend.pk != friend.pk:
        return _("送信先がこの受付の送信者と一致しません。送信を中止しました。")
    if not friend.is_following:
        return _("送信者がLINE公式アカウントをブロックしているため、送信できません。")
    return ""


def direct_message_confirmation(
    *, record: DirectMessageRecord, thumbnail_url: str = "", messages: Messages | None = None
) -> Confirmation:
    friend = record.direct_message_friend
    reason = _refusal(record, friend)
    return Confirmation(
        receipt_number=record.receipt_number,
        masked_name=mask_name(friend.display_name) if friend else "",
        thumbnail_url=thumbnail_url,
        can_send=not reason,
        reason=reason,
        preview=message_texts(messages) if messages else [],
    )


def direct_message_send(
    *,
    record: DirectMessageRecord,
    recipient_friend: Friend | None,
    messages: Messages,
    confirmed_receipt_number: str,
    actor: Staff,
    purpose: str = "",
) -> DirectMessage:
    """Push ``messages`` to the record's resident only, once staff confirmed its receipt number."""
    if not receipt_key(confirmed_receipt_number) or receipt_key(confirmed_receipt_number) != receipt_key(
        record.receipt_number
    ):
        raise DirectMessageRefused(
            _("確認のため入力された受付番号がこの受付の番号と一致しません。送信していません。")
        )
    # Every record is a model (a report, a comment, a conversation) keeping the contract above.
    model = cast(models.Model, record)
    require_department(actor, model, message=_("この受付を扱う権限がありません。"))
    reason = _refusal(record, recipient_friend)
    if reason:
        raise DirectMessageRefused(reason)
    try:
        payload = normalize_messages(messages)
    except ValueError as exc:
        raise DirectMessageRefused(_("送信できるメッセージは1〜5件です。")) from exc
    friend = record.direct_message_friend
    assert friend is not None  # _refusal has refused a record without one
    department = department_of(model)
    # Sent before the log is written, outside any transaction: a push may wait out LINE's backoff,
    # and its own OutboundSend row records the attempt whatever happens next.
    send = message_push(to=friend.user_id, messages=payload)
    with transaction.atomic():
        logged = DirectMessage.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_id=str(record.pk),
            department=department,
            friend=friend,
            receipt_number=record.receipt_number,
            purpose=purpose[:60],
            messages=payload,
            send=send,
            sent_by=actor,
        )
        audit_record(
            action=Action.SEND,
            actor=actor,
            target=model,
            department=department,
            summary=_("受付番号 %(number)s の送信者へLINEメッセージを送信（%(purpose)s）")
            % {"number": record.receipt_number, "purpose": purpose or _("返信")},
            changes={"direct_message": logged.pk, "outbound_send": send.pk, "status": send.status},
        )
    return logged


def direct_message_list_for(*, record: models.Model) -> QuerySet[DirectMessage]:
    return DirectMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).select_related("send", "sent_by")


def message_texts(messages: Messages) -> list[str]:
    """What a resident reads of each message (text, or a Flex/template message's alternative text)."""
    return [item.get("text") or item.get("altText") or "" for item in normalize_messages(messages)]


class DirectMessageConfirmForm(forms.Form):
    """The receipt number staff type on the confirmation screen; callers subclass it to add fields."""

    required_css_class = "required"
    confirmed_receipt_number = forms.CharField(
        label=gettext_lazy("確認のため受付番号を入力"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "receipt-input"}
        ),
    )


__all__ = [
    "Confirmation",
    "DirectMessageConfirmForm",
    "DirectMessageRecord",
    "DirectMessageRefused",
    "direct_message_confirmation",
    "direct_message_list_for",
    "direct_message_send",
    "mask_name",
    "message_texts",
    "receipt_key",
]
