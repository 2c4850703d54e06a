"""LINE friends, received webhook events and outbound sends.

Every inbound event is stored before it is acknowledged and every outbound request is recorded
with its retry key, so that neither a resident's message nor a delivery's outcome is ever lost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicline.core import languages
from civicline.core.crypto import EncryptedCharField, EncryptedJSONField
from civicline.core.scoping import DepartmentScopedQuerySet


class Friend(models.Model):
    """A LINE user who has talked to, followed or blocked the city's account."""

    class State(models.TextChoices):
        FOLLOWING = "following", _("友だち")
        BLOCKED = "blocked", _("ブロック中")

    user_id = models.CharField(_("LINEユーザーID"), max_length=64, unique=True)
    # The profile is personal data: stored sealed, so it is shown but never searched on.
    display_name = EncryptedCharField(_("表示名"), blank=True, default="")
    picture_url = EncryptedCharField(_("プロフィール画像URL"), blank=True, default="")
    language = models.CharField(_("LINEの言語"), max_length=16, blank=True)  # as LINE's profile gives it
    # What the resident chose in 受信設定; blank: follow their LINE app's language (issue 21).
    preferred_language = models.CharField(_("表示言語"), max_length=16, blank=True)
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.FOLLOWING)
    followed_at = models.DateTimeField(_("友だち追加日時"), null=True, blank=True)
    blocked_at = models.DateTimeField(_("ブロック日時"), null=True, blank=True)
    # None until the profile API answered; a later event retries the fetch.
    profile_fetched_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(_("初回"))
    last_seen = models.DateTimeField(_("最終利用"))

    class Meta:
        verbose_name = _("友だち")
        verbose_name_plural = _("友だち")
        indexes = [models.Index(fields=["state", "last_seen"])]

    def __str__(self) -> str:
        return self.user_id

    @property
    def is_following(self) -> bool:
        return self.state == self.State.FOLLOWING

    @property
    def resident_language(self) -> str:
        """The language everything this resident sees is in (``civicline.core.languages``)."""
        return languages.choose(preferred=self.preferred_language, line_language=self.language)


class WebhookEvent(models.Model):
    """One event as LINE sent it; stored once whatever the number of deliveries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未処理")
        PROCESSING = "processing", _("処理中")
        DONE = "done", _("処理済み")
        FAILED = "failed", _("失敗")

    webhook_event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    user_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Residents may type anything into a talk, so the raw event is sealed like other personal data.
    payload = EncryptedJSONField()
    # LINE's own flag on the first copy we stored (it resends when an earlier answer was not 2xx).
    is_redelivery = models.BooleanField(default=False)
    redelivery_count = models.PositiveIntegerField(default=0)
    last_redelivered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Webhookイベント")
        verbose_name_plural = _("Webhookイベント")
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id}"


class OutboundSend(models.Model):
    """One logical send (reply, push, multicast, broadcast, narrowcast) and how it ended."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("応答")
        PUSH = "push", _("プッシュ")
        MULTICAST = "multicast", _("マルチキャスト")
        BROADCAST = "broadcast", _("一斉送信")
        NARROWCAST = "narrowcast", _("ナローキャスト")

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        RETRYING = "retrying", _("再送待ち")
        SENT = "sent", _("送信済み")
        PARTIAL = "partial", _("一部失敗")
        FAILED = "failed", _("失敗")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Sent as X-Line-Retry-Key on every attempt, so LINE delivers a request at most once (409 = done).
    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    messages = models.JSONField()
    # The rest of the request body (reply token, narrowcast recipient/filter/limit, notificationDisabled).
    options = EncryptedJSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("送信")
        verbose_name_plural = _("送信")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.retry_key}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SENT, self.Status.PARTIAL, self.Status.FAILED}


class SendRecipient(models.Model):
    """A user a send was addressed to, and whether LINE accepted the request that carried them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未送信")
        ACCEPTED = "accepted", _("受付済み")
        FAILED = "failed", _("失敗")

    send = models.ForeignKey(OutboundSend, on_delete=models.CASCADE, related_name="recipients")
    user_id = models.CharField(max_length=64)
    # Multicast requests carry at most 500 users; recipients sharing a chunk share one request.
    chunk = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    request_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("送信先")
        verbose_name_plural = _("送信先")
        constraints = [
            models.UniqueConstraint(fields=["send", "user_id"], name="line_recipient_once_per_send")
        ]
        indexes = [models.Index(fields=["send", "chunk", "status"]), models.Index(fields=["user_id"])]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.status})"


class MessageContent(models.Model):
    """A file (image, video, audio, file) a resident sent, copied out of LINE into our storage."""

    message_id = models.CharField(max_length=64, unique=True)
    user_id = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to="line/content/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("受信ファイル")
        verbose_name_plural = _("受信ファイル")

    def __str__(self) -> str:
        return self.message_id


class PreviewRecipient(models.Model):
    """A staff member's own LINE account, paired as their department's test device (X-11).

    Drafts are previewed by sending them to these accounts only, never to residents. A row exists
    only once its owner proved the account is theirs, by sending a one-time pairing code from it
    (``preview.preview_recipient_pair``); there is no other way in.
    """

    scope_department_field = "department"

    department = models.ForeignKey(
        "core.Department", verbose_name=_("課"), on_delete=models.PROTECT, related_name="+"
    )
    friend = models.ForeignKey(
        Friend, verbose_name=_("LINEアカウント"), on_delete=models.CASCADE, related_name="test_registrations"
    )
    label = models.CharField(_("テスト端末の名前"), max_length=60)
    # The staff member whose phone this is: a device is personal, so it goes with its owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("所有者"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("テスト端末")
        verbose_name_plural = _("テスト端末")
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "friend"], name="line_preview_recipient_once_per_department"
            )
        ]

    def __str__(self) -> str:
        return self.label


class PreviewPairingCode(models.Model):
    """A one-time code a staff member sends from their own LINE to pair it as a test device.

    Only a keyed hash of the code is kept: whoever reads the database cannot send it.
    """

    scope_department_field = "department"

    department = models.ForeignKey(
        "core.Department", verbose_name=_("課"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("発行した職員"), on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(_("テスト端末の名前"), max_length=60)
    code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("使用日時"), null=True, blank=True)
    recipient = models.ForeignKey(
        PreviewRecipient, verbose_name=_("登録したテスト端末"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("テスト端末のペアリングコード")
        verbose_name_plural = _("テスト端末のペアリングコード")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        # Never the code: it is not stored, and this text ends up in the audit log.
        return _("ペアリングコード（%(label)s）") % {"label": self.label}


class DirectMessage(models.Model):
    """A message staff sent to the one resident of a record (report, comment…), logged on that record.

    Written only by ``direct.direct_message_send``, which checked the receipt number staff confirmed.
    """

    scope_department_field = "department"

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    department = models.ForeignKey(
        "core.Department", verbose_name=_("課"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    friend = models.ForeignKey(Friend, verbose_name=_("送信先"), on_delete=models.PROTECT, related_name="+")
    receipt_number = models.CharField(_("受付番号"), max_length=40)
    purpose = models.CharField(_("種別"), max_length=60, blank=True)
    messages = EncryptedJSONField(_("メッセージ"))
    send = models.ForeignKey(
        OutboundSend, verbose_name=_("送信記録"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送信した職員"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("送信日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("個別メッセージ")
        verbose_name_plural = _("個別メッセージ")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.receipt_number} → {self.friend_id}"
