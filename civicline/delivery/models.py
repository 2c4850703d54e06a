"""Resident attributes (受信設定), segments, deliveries and their batches, email subscribers.

Personal values are sealed (X-16): children's birth dates and email addresses. What segments query
is kept beside them in plain columns that identify nobody on their own: the birth *month* of a child
(cities address check-ups and school years by birth month anyway), the resident's birth *year*, the
area chosen from the city's list, the gender code, topic choices. Conditions on a child's age are
therefore evaluated at month precision (see ``conditions.ChildAge``); exact birth dates are only
ever shown back to the resident who entered them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicline.core import languages
from civicline.core.crypto import EncryptedCharField, EncryptedTextField
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField

from .choices import Gender

# --- the city's lists -----------------------------------------------------------------------------


class Area(models.Model):
    """An area of residence residents choose from (e.g. 北部・中部…, or school districts)."""

    name = models.CharField(_("地域名"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("選択肢に表示"), default=True)
    translations = TranslationsField()  # residents read it in 受信設定, in their language (issue 21)
    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("地域")
        verbose_name_plural = _("地域")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A kind of information residents may ask for (子育て, 検診・予防接種, イベント, 防災, ごみ…)."""

    name = models.CharField(_("分野名"), max_length=40, unique=True)
    description = models.CharField(_("説明"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("選択肢に表示"), default=True)
    translations = TranslationsField()  # residents read it in 受信設定, in their language (issue 21)
    TRANSLATED_FIELDS = ("name", "description")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("受け取る情報の分野")
        verbose_name_plural = _("受け取る情報の分野")

    def __str__(self) -> str:
        return self.name


# --- a resident's settings (LIFF only, X-1) -------------------------------------------------------


class ResidentAttributes(models.Model):
    """What a friend told us about themselves on the 受信設定 page; every field may stay empty."""

    friend = models.OneToOneField("line.Friend", on_delete=models.CASCADE, related_name="delivery_attributes")
    area = models.ForeignKey(
        Area, verbose_name=_("お住まいの地域"), on_delete=models.SET_NULL, null=True, blank=True
    )
    birth_year = models.PositiveSmallIntegerField(_("生まれた年"), null=True, blank=True)
    gender = models.CharField(_("性別"), max_length=12, choices=Gender.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("受信設定")
        verbose_name_plural = _("受信設定")
        indexes = [models.Index(fields=["area", "friend"]), models.Index(fields=["birth_year", "friend"])]

    def __str__(self) -> str:
        return f"attributes of friend {self.friend_id}"


class TopicChoice(models.Model):
    """A friend asked for a topic. One row per (friend, topic): segments query it by topic."""

    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="delivery_topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="choices")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["friend", "topic"], name="delivery_topic_once")]
        indexes = [models.Index(fields=["topic", "friend"])]

    def __str__(self) -> str:
        return f"{self.friend_id}:{self.topic_id}"


class Child(models.Model):
    """A child's birth date: sealed; its month (the first of it) kept plain for segment queries."""

    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="delivery_children")
    birth_date = EncryptedCharField(_("生年月日"))  # ISO date
    birth_month = models.DateField(_("生まれた月"))

    class Meta:
        ordering = ["birth_month", "pk"]
        verbose_name = _("子ども")
        verbose_name_plural = _("子ども")
        indexes = [models.Index(fields=["birth_month", "friend"])]

    def __str__(self) -> str:
        return f"child of friend {self.friend_id}"


# --- segments (SD-3, SD-7, SD-13) -----------------------------------------------------------------


class Segment(models.Model):
    """A named condition tree over residents' settings (see ``conditions``), made by a department.

    Using it for a delivery needs a grant from the system administrator (SD-7), also for the
    department that made it; once granted, only the system administrator changes its conditions.
    """

    department = models.ForeignKey(
        "core.Department", verbose_name=_("作成した課"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("セグメント名"), max_length=80)
    description = models.CharField(_("説明"), max_length=200, blank=True)
    conditions = models.JSONField(_("条件"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("セグメント")
        verbose_name_plural = _("セグメント")

    def __str__(self) -> str:
        return self.name


class SegmentGrant(models.Model):
    """The system administrator lets ``department`` deliver to ``segment`` (SD-7)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="grants")
    department = models.ForeignKey("core.Department", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "department"], name="delivery_grant_once")]

    def __str__(self) -> str:
        return f"{self.segment_id}→{self.department_id}"


class DeliveryPolicy(models.Model):
    """Per department: may it send to every friend (SD-2)? Set by the system administrator."""

    department = models.OneToOneField("core.Department", on_delete=models.CASCADE, related_name="+")
    may_send_to_all = models.BooleanField(_("友だち全員への配信"), default=False)

    def __str__(self) -> str:
        return f"policy of {self.department_id}"


# --- deliveries (SD-1, SD-2, SD-8…SD-12) ----------------------------------------------------------


class Delivery(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        SCHEDULED = "scheduled", _("配信予約")
        SENDING = "sending", _("配信中")
        SENT = "sent", _("配信済み")
        PARTIAL = "partial", _("一部失敗")
        FAILED = "failed", _("失敗")

    class Audience(models.TextChoices):
        ALL = "all", _("友だち全員")
        SEGMENTS = "segments", _("セグメントを指定")

    class Combine(models.TextChoices):
        ANY = "any", _("いずれかに当てはまる人（OR）")
        ALL = "all", _("すべてに当てはまる人（AND）")

    EDITABLE = (Status.DRAFT, Status.SCHEDULED)
    FINISHED = (Status.SENT, Status.PARTIAL, Status.FAILED)

    department = models.ForeignKey(
        "core.Department", verbose_name=_("配信する課"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("件名"), max_length=100, help_text=_("一覧での名前、メールの件名になります。"))
    audience = models.CharField(
        _("配信先"), max_length=10, choices=Audience.choices, default=Audience.SEGMENTS
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("セグメント"), blank=True, related_name="deliveries"
    )
    combine = models.CharField(
        _("複数のセグメントの組み合わせ"), max_length=4, choices=Combine.choices, default=Combine.ANY
    )
    email_too = models.BooleanField(
        _("メール配信登録者にも送る"),
        default=False,
        help_text=_("配信先の条件にある分野をメールで受け取る登録をした方にも、同じ内容をメールで送ります。"),
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("配信日時"), null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Fixed when sending starts: what was sent to whom, as it was then.
    started_at = models.DateTimeField(_("配信開始"), null=True, blank=True)
    planning_since = models.DateTimeField(null=True, blank=True)  # a worker is making the batches
    planned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("配信完了"), null=True, blank=True)
    audience_ready = models.BooleanField(default=False)
    sent_messages = models.JSONField(default=list, blank=True)
    # The other languages' versions, fixed at the start like ``sent_messages`` (the Japanese one):
    # {language: messages}. Empty for a delivery written in Japanese only, which goes out as before.
    sent_versions = models.JSONField(default=dict, blank=True)
    email_body = models.TextField(blank=True)
    audience_summary = models.JSONField(default=dict, blank=True)
    target_count = models.PositiveIntegerField(_("配信対象"), default=0)
    blocked_count = models.PositiveIntegerField(_("ブロック中で除外"), default=0)
    email_count = models.PositiveIntegerField(_("メール配信対象"), default=0)
    error = models.TextField(blank=True)
    insight = models.JSONField(default=dict, blank=True)
    insight_fetched_at = models.DateTimeField(null=True, blank=True)
    # An emergency notice (evacuation, an official alert) reaches everyone it addresses: the weekly
    # cap, meant to keep residents from unfollowing over routine news, never leaves anyone out of it.
    emergency = models.BooleanField(
        _("緊急配信"),
        default=False,
        help_text=_("避難情報など命に関わるお知らせ。1週間の配信上限を適用せず、対象の全員に届けます。"),
    )
    # Friends left out because they had had DELIVERY_WEEKLY_CAP deliveries in the past 7 days.
    capped_count = models.PositiveIntegerField(_("週の上限で除外"), default=0)
    # LINE could not be reached (or kept answering 429): the worker sends the rest again at this time.
    retry_at = models.DateTimeField(null=True, blank=True)
    # Unfollows and blocks of its recipients in the 24 hours after the start (counted hourly).
    unfollows = models.PositiveIntegerField(_("配信後24時間のブロック・友だち削除"), null=True, blank=True)
    unfollows_counted_at = models.DateTimeField(null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("配信")
        verbose_name_plural = _("配信")
        indexes = [models.Index(fields=["status", "scheduled_at"])]

    def __str__(self) -> str:
        return self.title

    # What staff composed, as the audit log records it (core.audit.snapshot reads these by name).
    AUDITED = ["title", "audience", "segment_names", "combine", "email_too", "emergency", "message_contents"]

    @property
    def segment_names(self) -> list[str]:
        return sorted(s.name for s in self.segments.all())

    @property
    def message_contents(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": m.kind,
                "title": m.title,
                "text": m.text,
                "actions": m.actions,
                **({"translations": m.translations} if m.translations else {}),
            }
            for m in self.messages.all()
        ]

    @property
    def is_broadcast(self) -> bool:
        """Sent as LINE's one broadcast: to everyone, in Japanese only. A delivery to everyone that
        has other languages goes as multicasts per language, so that nobody gets another's version."""
        return self.audience == self.Audience.ALL and not self.sent_versions

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def aggregation_unit(self) -> str:
        """LINE's customAggregationUnits name of this delivery ([a-zA-Z0-9_], at most 30)."""
        return f"civicline_delivery_{self.pk}"


class DeliveryImage(models.Model):
    """An uploaded picture, resized and re-encoded for LINE (see ``images``), served by civicline."""

    scope_department_field = "delivery__department"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=200)  # in default_storage; the preview sits beside it
    preview_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    objects = DepartmentScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class DeliveryMessage(models.Model):
    """One of a delivery's (at most five) messages as staff composed it; ``line_messages`` builds the JSON."""

    class Kind(models.TextChoices):
        TEXT = "text", _("テキスト")
        IMAGE = "image", _("画像")
        BUTTONS = "buttons", _("ボタン付きメッセージ")
        CONFIRM = "confirm", _("2択の確認メッセージ")
        CARD = "card", _("カード（Flex）")

    scope_department_field = "delivery__department"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    alt_text = models.CharField(max_length=400, blank=True)
    image = models.ForeignKey(
        DeliveryImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # [{"label": "詳しく見る", "value": "https://…" or a text the resident sends}]
    actions = models.JSONField(default=list, blank=True)
    # Other languages' versions (issue 21): {language: {"title", "text", "alt_text", "label1"…}}, a
    # button's label under "label<n>" for the n-th of ``actions`` (its link or words stay the same).
    translations = TranslationsField()
    TRANSLATED_FIELDS = ("title", "text", "alt_text")

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "position"], name="delivery_message_position")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.position} {self.kind}"


class DeliveryAudience(models.Model):
    """Who a segment delivery went to: a row per friend, with the number of the batch (the one LINE
    request) that addressed them; the friend's outcome is that batch's.

    Written while the send streams the audience query, one statement per batch, and kept once the
    delivery has finished: the weekly cap (DELIVERY_WEEKLY_CAP) and the unfollows after a delivery
    are counted from it.
    """

    # Two million rows are written during a send, 500 per statement, so a row costs as little as it
    # can: its key is (delivery, batch, friend) — the index every lookup by delivery or batch
    # uses — with no surrogate id beside it, and no database foreign keys (their check per row
    # would cost as much as the row; Django still cascades deletes). The friend index serves the
    # weekly cap and the unfollow counts.
    pk = models.CompositePrimaryKey("delivery", "batch", "friend")
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    batch = models.PositiveIntegerField(default=0)
    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="+", db_constraint=False)

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.batch}:{self.friend_id}"


class DeliveryBatch(models.Model):
    """One LINE request of a delivery: a multicast to at most 500 friends, or the broadcast.

    A multicast batch is recorded (with its retry key and its audience rows) before its first
    attempt, so a send that was interrupted resends exactly the recorded batches with the same keys
    (LINE answers 409 for those it had accepted) and nobody is addressed twice. Status: pending
    (not answered yet), retrying (LINE unreachable, 5xx or 429: it will be sent again), accepted,
    failed (LINE refused it, or its retry key expired unanswered: not sent again).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        RETRYING = "retrying", _("再試行待ち")
        ACCEPTED = "accepted", _("LINEが受付")
        FAILED = "failed", _("失敗")

    scope_department_field = "delivery__department"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    # A broadcast's request (None only for one claimed but not known to be sent: never sent again).
    send = models.OneToOneField(
        "line.OutboundSend", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    # The batch's highest friend id: a resumed send streams the audience on from the highest of all.
    last_friend_id = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The version its friends read (a delivery in several languages sends each its own batches).
    language = models.CharField(max_length=16, default=languages.JAPANESE)
    retry_key = models.UUIDField(default=uuid.uuid4, editable=False)
    request_id = models.CharField(max_length=64, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)  # LINE keeps a retry key 24 hours from here
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="delivery_batch_once")]
        indexes = [models.Index(fields=["delivery", "status"], name="delivery_batch_status")]

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.number}"


class EmailBatch(models.Model):
    """Up to ``EMAIL_BATCH_SIZE`` email subscribers of a delivery, sent over one SMTP connection."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("失敗")

    scope_department_field = "delivery__department"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="email_batches")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    number = models.PositiveIntegerField()
    first_subscriber_id = models.BigIntegerField()
    last_subscriber_id = models.BigIntegerField()
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_email_batch_once")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}/mail{self.number}"


class TrackedLink(models.Model):
    """A link in a delivery, sent as civicline's redirect so that clicks can be counted (SD-8).

    Counts are totals only: the same message goes to everyone, so nobody's click is attributable.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=1000)
    token = models.CharField(max_length=24, unique=True)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["delivery", "url"], name="delivery_link_once")]

    def __str__(self) -> str:
        return self.url


# --- email co-delivery (SD-9) ---------------------------------------------------------------------


class EmailSubscriber(models.Model):
    """Someone without LINE who receives deliveries of chosen topics by email (double opt-in).

    The address is sealed; ``email_digest`` (a keyed hash of the normalised address) finds it again.
    Unsubscribing deletes the row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("確認待ち")
        CONFIRMED = "confirmed", pgettext_lazy("email subscription", "登録済み")

    email = EncryptedTextField(_("メールアドレス"))
    email_digest = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    topics = models.ManyToManyField(Topic, blank=True, related_name="email_subscribers")
    requested_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"email subscriber {self.pk}"
