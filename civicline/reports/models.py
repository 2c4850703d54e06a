"""Photo reports (通報) of damage in the city: categories, routing rules, areas, reports and their history.

A report belongs to one department (or to none while it waits in the system administrator's
triage queue). Its photos, its history and the messages sent to its reporter follow it when it
is reassigned. Statuses are a fixed list the city's app already uses (受付 / 対応中 / 完了 / 対応不可);
the message a resident gets for each status is data (``StatusTemplate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicline.core.crypto import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField

if TYPE_CHECKING:
    from civicline.line.models import Friend


class Category(models.Model):
    """What a resident reports (道路, 公園…); it names the department that usually handles it (PH-3)."""

    name = models.CharField(_("種類"), max_length=40, unique=True)
    description = models.CharField(
        _("説明"),
        max_length=200,
        blank=True,
        help_text=_("住民の画面に表示します。例: 道路の穴・段差、ガードレールやカーブミラーの破損など"),
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("空欄にすると、この種類の通報はシステム管理者の振り分け待ちになります。"),
    )
    notification_email = models.EmailField(
        _("通知先メールアドレス"),
        blank=True,
        help_text=_("空欄なら担当課の通知先メールアドレスに送ります。"),
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("受付中"), default=True)
    # The name and description in residents' other languages (the form, the receipt) (issue 21).
    translations = TranslationsField()

    TRANSLATED_FIELDS = ("name", "description")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("通報の種類")
        verbose_name_plural = _("通報の種類")

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """A part of the city drawn on the map, used by routing rules (e.g. a district's road office)."""

    name = models.CharField(_("地域名"), max_length=60, unique=True)
    # A GeoJSON Polygon or MultiPolygon geometry, coordinates [longitude, latitude] as GeoJSON has them.
    boundary = models.JSONField(_("範囲"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("地域")
        verbose_name_plural = _("地域")

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Send reports matching every condition given (category, area, a keyword) to a department.

    Rules are tried in priority order before the category's own department; the first match wins.
    """

    name = models.CharField(_("ルール名"), max_length=80)
    priority = models.PositiveIntegerField(
        _("優先順位"), default=100, help_text=_("小さい数字のルールから順に確かめます。")
    )
    category = models.ForeignKey(
        Category, verbose_name=_("種類"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("地域"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    keywords = models.CharField(
        _("キーワード"),
        max_length=300,
        blank=True,
        help_text=_("内容にどれか1つが含まれていれば当てはまります。読点（、）またはカンマで区切ります。"),
    )
    department = models.ForeignKey(
        "core.Department", verbose_name=_("振り分け先の課"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("振り分けルール")
        verbose_name_plural = _("振り分けルール")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("report status", "受付")
    IN_PROGRESS = "in_progress", _("対応中")
    DONE = "done", _("完了")
    REJECTED = "rejected", _("対応不可")


class LocationSource(models.TextChoices):
    PHOTO = "photo", _("写真の撮影場所")
    DEVICE = "device", _("スマートフォンの現在地")
    PIN = "pin", _("地図で指定")
    TALK = "talk", _("トークで送られた位置情報")


class Channel(models.TextChoices):
    LIFF = "liff", _("通報フォーム")
    TALK = "talk", _("トーク＋通報フォーム")


class Report(models.Model):
    """One report from one resident; ``receipt_number`` is what they and staff refer to."""

    scope_department_field = "department"

    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True)
    friend = models.ForeignKey(
        "line.Friend", verbose_name=_("送信者"), on_delete=models.PROTECT, related_name="reports"
    )
    category = models.ForeignKey(Category, verbose_name=_("種類"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("状況"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField(_("受付経路"), max_length=8, choices=Channel.choices, default=Channel.LIFF)
    # What residents type may hold anything personal: sealed.
    message = EncryptedTextField(_("内容"), blank=True)
    latitude = models.FloatField(_("緯度"), null=True, blank=True)
    longitude = models.FloatField(_("経度"), null=True, blank=True)
    location_source = models.CharField(
        _("場所の指定方法"), max_length=8, choices=LocationSource.choices, blank=True
    )
    place_note = EncryptedCharField(_("場所の目印"), blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("地域"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact_name = EncryptedCharField(_("お名前"), blank=True)
    contact = EncryptedCharField(_("連絡先"), blank=True)
    routing_note = models.CharField(_("振り分けの理由"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通報")
        verbose_name_plural = _("通報")
        indexes = [
            models.Index(fields=["department", "status", "created_at"]),
            models.Index(fields=["friend", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def direct_message_friend(self) -> Friend:
        """The one resident ``civicline.line.direct`` may message about this report (PH-5)."""
        return self.friend

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def is_open(self) -> bool:
        return self.status in {Status.RECEIVED, Status.IN_PROGRESS}


class PhotoSource(models.TextChoices):
    LIFF = "liff", _("通報フォーム")
    TALK = "talk", _("トーク")


class ReportPhoto(models.Model):
    """A checked, re-encoded photo; without a report it waits for its resident to finish one."""

    scope_department_field = "report__department"

    report = models.ForeignKey(
        Report, verbose_name=_("通報"), on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="+")
    image = models.FileField(upload_to="reports/photos/%Y/%m/")
    thumbnail = models.FileField(upload_to="reports/photos/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=8, choices=PhotoSource.choices, default=PhotoSource.LIFF)
    # The LINE message it came in (talk photos), so that an event processed twice stores it once.
    line_message_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Where the photo says it was taken, until the resident chooses; cleared once the report is filed.
    exif_location = EncryptedJSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("通報の写真")
        verbose_name_plural = _("通報の写真")
        indexes = [models.Index(fields=["friend", "report"])]

    def __str__(self) -> str:
        return self.image.name


class TalkDraft(models.Model):
    """What a resident sent in the talk (a location) before opening the report form."""

    friend = models.OneToOneField("line.Friend", on_delete=models.CASCADE, related_name="+")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address = EncryptedCharField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("トークの通報下書き")
        verbose_name_plural = _("トークの通報下書き")

    def __str__(self) -> str:
        return f"draft of {self.friend_id}"


class ReportEvent(models.Model):
    """One line of a report's history, as staff see it on the report."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("report status", "受付")
        ROUTED = "routed", _("振り分け")
        NOTIFIED = "notified", _("通知メール")
        STATUS = "status", _("状況の変更")
        REASSIGNED = "reassigned", _("担当課の変更")
        NOTE = "note", _("内部メモ")
        MESSAGE = "message", _("送信者へのメッセージ")
        PHOTO = "photo", _("写真の追加")

    scope_department_field = "report__department"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        "core.Staff",
        verbose_name=_("職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("概要"), max_length=300)
    # Notes and messages staff write may name people: sealed like the report's own text.
    text = EncryptedTextField(_("本文"), blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("通報の履歴")
        verbose_name_plural = _("通報の履歴")

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"


class StatusTemplate(models.Model):
    """The message a reporter may be sent when their report reaches a status (editable by staff)."""

    status = models.CharField(_("状況"), max_length=16, choices=Status.choices, unique=True)
    text = models.TextField(
        _("メッセージ"),
        max_length=1000,
        help_text=_(
            "{receipt_number}（受付番号）と {category}（種類）が使えます。個人情報は書かないでください。"
        ),
    )
    # The message in residents' other languages: each reporter is sent theirs (issue 21).
    translations = TranslationsField()

    TRANSLATED_FIELDS = ("text",)

    class Meta:
        ordering = ["status"]
        verbose_name = _("状況のお知らせ文")
        verbose_name_plural = _("状況のお知らせ文")

    def __str__(self) -> str:
        return self.get_status_display()
