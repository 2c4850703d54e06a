"""Topics residents choose, canned replies, conversations and their messages.

A conversation belongs to the department of the topic it was opened for (X-4). What residents and
staff write is sealed like any personal data (X-16); a conversation about a personal topic happens
on a LIFF page only, so its words never pass through LINE's talk (X-1).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicline.core.crypto import EncryptedJSONField, EncryptedTextField
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField


class Topic(models.Model):
    """What a resident wants to talk about (相談の種類), the department that answers, and when."""

    department = models.ForeignKey(
        "core.Department", verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(
        _("相談の種類"),
        max_length=40,
        help_text=_("住民が選ぶ名前です。LINEのボタンには最初の20文字が表示されます。"),
    )
    description = models.TextField(_("説明"), blank=True, max_length=500)
    is_personal = models.BooleanField(
        _("個人的な内容の相談（専用画面で受け付ける）"),
        default=True,
        help_text=_(
            "氏名・住所・家庭の事情など個人的な内容を伺う相談は、LINEのトークではなく専用画面（LIFF）で"
            "やり取りします。一般的な問い合わせだけのときはチェックを外すと、トークでやり取りできます。"
        ),
    )
    # Weekly hours as the city's calendar keeps them (civicline.core.calendar).
    hours = models.JSONField(_("受付時間"), default=dict, blank=True)
    year_end_closed = models.BooleanField(_("年末年始（12月29日〜1月3日）は休み"), default=True)
    closed_message = models.TextField(
        _("受付時間外の自動応答に添える文"),
        blank=True,
        max_length=500,
        help_text=_(
            "例: お急ぎの場合は代表電話 06-0000-0000 へおかけください。個人情報は書かないでください。"
        ),
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("受付中"), default=True)
    # The name, description and out-of-hours words in residents' other languages (issue 21).
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    TRANSLATED_FIELDS = ("name", "description", "closed_message")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("相談の種類")
        verbose_name_plural = _("相談の種類")

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A reply a department writes once and inserts often (定型文)."""

    department = models.ForeignKey(
        "core.Department", verbose_name=_("課"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("見出し"), max_length=60)
    body = models.TextField(_("本文"), max_length=2000)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("定型文")
        verbose_name_plural = _("定型文")

    def __str__(self) -> str:
        return self.title


class Conversation(models.Model):
    """One resident's request to talk with a department's staff, from the first message to 完了."""

    class Status(models.TextChoices):
        NEW = "new", _("未対応")
        OPEN = "open", _("対応中")
        CLOSED = "closed", _("完了")

    class Channel(models.TextChoices):
        TALK = "talk", _("LINEトーク")
        LIFF = "liff", _("専用画面")

    department = models.ForeignKey(
        "core.Department", verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("相談の種類"), on_delete=models.PROTECT, related_name="conversations"
    )
    friend = models.ForeignKey(
        "line.Friend", verbose_name=_("住民"), on_delete=models.PROTECT, related_name="conversations"
    )
    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True)
    channel = models.CharField(_("やり取りの場所"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        "core.Staff",
        verbose_name=_("担当者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("最終メッセージ"), null=True, blank=True)
    last_resident_message_at = models.DateTimeField(null=True, blank=True)
    # When staff last looked: later resident messages are new to the department.
    staff_read_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    closed_by_resident = models.BooleanField(default=False)
    # The last out-of-hours answer: one per closed period, not one per message.
    auto_answered_at = models.DateTimeField(null=True, blank=True)
    # LIFF conversations: when the resident last had the page open, and when LINE last told them
    # of a reply; a reply is announced again only once they have seen the previous one.
    resident_seen_at = models.DateTimeField(null=True, blank=True)
    resident_notified_at = models.DateTimeField(null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("相談")
        verbose_name_plural = _("相談")
        indexes = [
            models.Index(fields=["department", "status", "last_message_at"]),
            models.Index(fields=["friend", "channel", "status"]),
        ]
        constraints = [
            # The talk can carry one conversation at a time: it decides where a resident's text goes.
            models.UniqueConstraint(
                fields=["friend"],
                condition=Q(channel="talk") & ~Q(status="closed"),
                name="conversations_one_open_talk_per_friend",
            ),
            models.UniqueConstraint(
                fields=["friend", "topic"],
                condition=Q(channel="liff") & ~Q(status="closed"),
                name="conversations_one_open_liff_per_topic",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def direct_message_friend(self):
        """The one resident a staff message about this conversation may reach (PH-5 contract)."""
        return self.friend

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def has_unread(self) -> bool:
        return self.last_resident_message_at is not None and (
            self.staff_read_at is None or self.staff_read_at < self.last_resident_message_at
        )


class Message(models.Model):
    """One entry of a conversation: what the resident sent, a staff reply, an automatic answer, a note."""

    class Author(models.TextChoices):
        RESIDENT = "resident", _("住民")
        STAFF = "staff", _("職員")
        AUTO = "auto", _("自動応答")
        NOTE = "note", _("内部メモ")

    class Kind(models.TextChoices):
        TEXT = "text", _("文字")
        IMAGE = "image", _("画像")
        LOCATION = "location", _("位置情報")
        OTHER = "other", _("その他")

    scope_department_field = "conversation__department"

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    author = models.CharField(_("発信者"), max_length=10, choices=Author.choices)
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    staff = models.ForeignKey(
        "core.Staff",
        verbose_name=_("職員"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = EncryptedTextField(_("本文"), blank=True, default="")
    location = EncryptedJSONField(_("位置情報"), null=True, blank=True)
    # An image sent in the talk (copied out of LINE), or a photo uploaded on the page (re-encoded).
    content = models.ForeignKey(
        "line.MessageContent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    photo = models.FileField(_("写真"), upload_to="conversations/photos/", blank=True)
    # LINE's message id: a retried webhook event records its message once.
    line_message_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The push that told the resident (a talk reply itself, or the notice of a LIFF reply).
    send = models.ForeignKey(
        "line.OutboundSend", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("相談のメッセージ")
        verbose_name_plural = _("相談のメッセージ")

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.pk} {self.author}"

    @property
    def has_image(self) -> bool:
        return self.content_id is not None or bool(self.photo)
