"""Staff preview (X-11): test devices, and drafts sent to them only.

A draft reaches LINE through ``preview_message_send`` alone, whose recipient is looked up among
the caller's department's test devices: a resident can never receive a preview, whatever the
request says. A device gets there only by pairing: its owner has the console issue a one-time
code and sends it from that phone to the official account (``pairing_on_message``), so nobody
can make someone else's LINE account a test device. Pairing, unpairing and every send are audited
with the device's owner named.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from linebot.v3.messaging import Message
from pydantic.v1 import ValidationError as ModelValidationError

from civicline.core.audit import Action, audit_record, audited_change, audited_create, audited_delete
from civicline.core.models import Staff
from civicline.core.permissions import NotYourDepartment
from civicline.core.scoping import access_or_404

from .messaging import MAX_MESSAGES_PER_REQUEST, message_push
from .models import Friend, OutboundSend, PreviewPairingCode, PreviewRecipient

if TYPE_CHECKING:
    from .registry import LineContext

MAX_TEXT_LENGTH = 5000  # LINE's limit for a text message
# A Flex Simulator's "View as JSON" gives the container, not the message around it.
FLEX_CONTAINER_TYPES = {"bubble", "carousel"}
# Pairing codes: 10^8 codes against a few attempts per account, and a short life.
PAIRING_CODE_DIGITS = 8
PAIRING_CODE_LIFETIME = timedelta(minutes=10)
PAIRING_CODE_KEPT = timedelta(days=1)
# First of all message handlers (the emergency answer is 15, open conversations' capture 50): it
# consumes the event, so that no feature records a code. Nothing else reads a 「ペアリング…」 text.
PAIRING_PRIORITY = 10
# What the console tells staff to send; not translated, since it is what the handler looks for
# (``PAIRING_MESSAGE`` also takes other spellings).
PAIRING_KEYWORD = "ペアリング"
PAIRING_HASH_SALT = "civicline.line.preview.pairing"
# Per LINE account; PREVIEW_PAIRING_RATE_LIMITS in settings overrides (``limits`` syntax).
PAIRING_RATE_LIMITS = "5/10 minutes;20/day"
# After NFKC: the keyword (katakana, hiragana or English), an optional 「コード」 and separator, digits.
PAIRING_MESSAGE = re.compile(
    r"^(?:ペアリング|ぺありんぐ|pairing)(?:\s*(?:コード|code))?\s*[:=]?\s*"
    r"(?P<code>[0-9][0-9\s\-‐‑–—―−ー]*)?[\s。.!]*$",
    re.IGNORECASE,
)


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


# --- test devices ---------------------------------------------------------------------------------


def preview_recipient_list_for(*, fetched_by: Staff) -> QuerySet[PreviewRecipient]:
    recipients = PreviewRecipient.objects.visible_to(fetched_by)
    return recipients.select_related("friend", "department", "owner")


# Every entry about a device names whose phone it is (the owner, by id), whoever acted.
DEVICE_FIELDS = ("label", "owner", "department", "friend")


def preview_recipient_can_unpair(*, actor: Staff, recipient: PreviewRecipient) -> bool:
    """A device is someone's own phone: only they, or a system administrator, take it off."""
    return actor.is_system_admin or (actor.is_active and recipient.owner_id == actor.pk)


def preview_recipient_delete(*, actor: Staff, recipient_id: int) -> None:
    """Unpair a test device: 404 outside the caller's department, 403 for a colleague's device."""
    with transaction.atomic():
        recipient = access_or_404(
            PreviewRecipient.objects.select_related("friend", "owner", "department"), actor, pk=recipient_id
        )
        if not preview_recipient_can_unpair(actor=actor, recipient=recipient):
            raise NotYourDepartment(
                _("このテスト端末の登録を解除できるのは、所有者（%(owner)s）とシステム管理者だけです。")
                % {"owner": recipient.owner}
            )
        audited_delete(
            actor=actor,
            obj=recipient,
            summary=_("テスト端末「%(label)s」（所有者：%(owner)s）の登録を解除")
            % {"label": recipient.label, "owner": recipient.owner},
            fields=DEVICE_FIELDS,
        )


def preview_message_send(
    *, actor: Staff, recipient_id: int, messages: list[Mapping[str, Any]]
) -> tuple[PreviewRecipient, OutboundSend]:
    """Push a draft to one of the caller's department's test devices; 404 for anything else."""
    devices = PreviewRecipient.objects.select_related("friend", "owner")
    recipient = access_or_404(devices, actor, pk=recipient_id)
    send = message_push(to=recipient.friend.user_id, messages=list(messages))
    audit_record(
        action=Action.SEND,
        actor=actor,
        target=recipient,
        summary=_("テスト端末「%(label)s」（所有者：%(owner)s）へプレビューを送信")
        % {"label": recipient.label, "owner": recipient.owner},
        changes={
            "send_id": send.pk,
            "status": send.status,
            "message_types": [m.get("type") for m in messages],
            "line_user_id": recipient.friend.user_id,
            "owner": recipient.owner_id,
        },
    )
    return recipient, send


def preview_recipient_seed_demo(*, owner: Staff, user_id: str, label: str) -> PreviewRecipient:
    """The demo city's test device: ``owner``'s own phone in the emulator (seeding is not a staff action).

    Idempotent. A virtual phone of the emulator stands for the owner's phone, so no pairing code
    is needed; real accounts only ever get in through ``preview_recipient_pair``.
    """
    if owner.department_id is None:
        raise ValueError("a demo test device needs an owner with a department")
    now = timezone.now()
    friend = Friend.objects.get_or_create(user_id=user_id, defaults={"first_seen": now, "last_seen": now})[0]
    return PreviewRecipient.objects.get_or_create(
        department_id=owner.department_id, friend=friend, defaults={"label": label, "owner": owner}
    )[0]


# --- pairing: the owner proves the device is theirs ----------------------------------------------------


def _pairing_hash(code: str) -> str:
    # Keyed: 10^8 codes are quickly tried against a plain hash, not against one without the key.
    return salted_hmac(PAIRING_HASH_SALT, code, algorithm="sha256").hexdigest()


def _open_codes() -> QuerySet[PreviewPairingCode]:
    return PreviewPairingCode.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def pairing_code_issue(*, actor: Staff, label: str) -> tuple[PreviewPairingCode, str]:
    """A new one-time code for ``staff`` to send from their phone; returns the record and the code.

    The code itself is returned once, to be shown to its owner, and never stored. Issuing a code
    withdraws the staff member's earlier open ones, so at most one of theirs can be guessed at.
    """
    if actor.department_id is None:
        raise ValidationError(_("所属課のない職員はテスト端末を登録できません。"))
    label = label.strip()
    if not label:
        raise ValidationError(_("テスト端末の名前を入力してください。"))
    now = timezone.now()
    with transaction.atomic():
        PreviewPairingCode.objects.filter(owner=actor, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        # Spent codes are of no further use (the audit log keeps the story).
        PreviewPairingCode.objects.filter(expires_at__lt=now - PAIRING_CODE_KEPT).delete()
        while True:
            code = f"{secrets.randbelow(10**PAIRING_CODE_DIGITS):0{PAIRING_CODE_DIGITS}d}"
            code_hash = _pairing_hash(code)
            # Two open codes alike would pair a phone to whichever came first.
            if not _open_codes().filter(code_hash=code_hash).exists():
                break
        pairing = PreviewPairingCode(
            department_id=actor.department_id,
            owner=actor,
            label=label,
            code_hash=code_hash,
            expires_at=now + PAIRING_CODE_LIFETIME,
        )
        audited_create(
            actor=actor,
            obj=pairing,
            summary=_("テスト端末「%(label)s」のペアリングコードを発行") % {"label": label},
            fields=("label", "owner", "department", "expires_at"),
        )
    return pairing, code


def access_pairing_code(*, staff: Staff, pk: int) -> PreviewPairingCode:
    """A code is its issuer's alone: colleagues and administrators get 404 like for a missing one."""
    codes = PreviewPairingCode.objects.select_related("recipient", "department")
    return access_or_404(codes.filter(owner_id=staff.pk), staff, pk=pk)


def pairing_code_state(pairing: PreviewPairingCode) -> str:
    """``paired``, ``expired`` (or withdrawn, or its device since unpaired) or ``waiting``."""
    if pairing.used_at is not None:
        return "paired" if pairing.recipient_id is not None else "expired"
    return "waiting" if pairing.expires_at > timezone.now() else "expired"


def pairing_code_in(text: str) -> str | None:
    """The digits of a pairing message (「ペアリング 1234 5678」, full width or not), else None.

    A message that only starts with the keyword gives "" (the sender meant to pair but sent no
    code). Bare digits are not taken: a resident may well send a number, and must never become
    someone's test device by chance.
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    match = PAIRING_MESSAGE.match(normalized)
    if match is None:
        return None
    return re.sub(r"\D", "", match.group("code") or "")


def _pairing_rate_limit_take(user_id: str) -> None:
    limiter = _pairing_limiter(settings.REDIS_URL or "memory://")
    spec = settings.PREVIEW_PAIRING_RATE_LIMITS or PAIRING_RATE_LIMITS
    items = parse_many(spec)
    if not all(limiter.test(item, "preview-pairing", user_id) for item in items):
        raise ValidationError(
            _("ペアリングの試行が多すぎます。しばらく時間をおいてから、もう一度お試しください。"),
            code="rate_limited",
        )
    for item in items:
        limiter.hit(item, "preview-pairing", user_id)


@lru_cache(maxsize=4)
def _pairing_limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def pairing_rate_limits_reset() -> None:
    """Forget every account's attempts (tests; after changing PREVIEW_PAIRING_RATE_LIMITS)."""
    _pairing_limiter(settings.REDIS_URL or "memory://").storage.reset()


def preview_recipient_pair(*, friend: Friend, code: str) -> PreviewRecipient:
    """Pair ``friend`` (the account that sent ``code``) as the code owner's department's test device.

    Every attempt counts against the account's limit, so that guessing is hopeless within a
    code's life. Raises ``ValidationError`` (Japanese, for the talk) and changes nothing when the
    code is unknown, spent or expired, or the account is already a device of that department.
    """
    _pairing_rate_limit_take(friend.user_id)
    invalid = ValidationError(
        _(
            "ペアリングコードが正しくないか、有効期限が切れています。"
            "管理画面で新しいコードを発行して、もう一度送ってください。"
        ),
        code="invalid",
    )
    if len(code) != PAIRING_CODE_DIGITS:
        raise invalid
    candidates = _open_codes().select_related("owner", "department")
    pairing = candidates.filter(code_hash=_pairing_hash(code)).first()
    if pairing is None or not pairing.owner.is_active or pairing.owner.department_id != pairing.department_id:
        raise invalid
    now = timezone.now()
    try:
        with transaction.atomic():
            # Claimed by a conditional update, so that of two phones sending the code at once one wins.
            claimed = PreviewPairingCode.objects.filter(
                pk=pairing.pk, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
            if not claimed:
                raise invalid
            recipient = PreviewRecipient(
                department=pairing.department, friend=friend, label=pairing.label, owner=pairing.owner
            )
            # The owner acts, from their phone: the entry is theirs, not the worker's.
            with audited_change(
                actor=pairing.owner,
                obj=recipient,
                summary=_("テスト端末「%(label)s」（所有者：%(owner)s）をペアリングで登録")
                % {"label": recipient.label, "owner": pairing.owner},
                fields=DEVICE_FIELDS,
            ):
                recipient.save()
            PreviewPairingCode.objects.filter(pk=pairing.pk).update(recipient=recipient)
    except IntegrityError as exc:
        raise ValidationError(
            _("このLINEアカウントは既に%(department)sのテスト端末として登録されています。")
            % {"department": pairing.department},
            code="duplicate",
        ) from exc
    return recipient


def pairing_on_message(ctx: LineContext) -> None:
    """A pairing message from LINE: claimed before any other feature sees it (open talks, chatbot)."""
    if ctx.text is None:
        return
    code = pairing_code_in(ctx.text)
    if code is None:
        return
    # Consumed, not just handled: an open conversation records even handled messages, and a code
    # (or an attempt at one) belongs in no staff inbox.
    ctx.consume()
    if ctx.friend is None or getattr(ctx.event.source, "type", None) != "user":
        ctx.reply(_("ペアリングコードは、公式アカウントとの1対1のトークで送ってください。"))
        return
    if not code:
        ctx.reply(
            _(
                "管理画面に表示された%(digits)d桁のペアリングコードを続けて送ってください"
                "（例：ペアリング 12345678）。"
            )
            % {"digits": PAIRING_CODE_DIGITS}
        )
        return
    try:
        recipient = preview_recipient_pair(friend=ctx.friend, code=code)
    except ValidationError as exc:
        ctx.reply(exc.messages[0])
        return
    ctx.reply(
        _("テスト端末として登録しました（%(department)s / %(owner)s）")
        % {"department": recipient.department, "owner": recipient.owner}
    )
