"""Counters (窓口), their services (相談種別), special days, bookings and the per-slot lock rows.

Slots are not stored: they follow from a service's schedule (``schedule.py``). Seats taken are
always counted from bookings, never kept in a counter that could drift.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core.crypto import EncryptedCharField, EncryptedJSONField
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField


class Counter(models.Model):
    """A counter (窓口) of a department; residents choose it by category and name."""

    department = models.ForeignKey(
        "core.Department", verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="counters"
    )
    name = models.CharField(_("窓口名"), max_length=100)
    category = models.CharField(
        _("分類"),
        max_length=50,
        help_text=_("住民向けの一覧で、この分類ごとにまとめて表示します（例: 子育て、ごみ・環境）。"),
    )
    place = models.CharField(_("場所"), max_length=200, blank=True)
    description = models.TextField(_("説明"), blank=True)
    is_active = models.BooleanField(_("受付中"), default=True)
    # What residents read, per language (issue 21); the fields above are the Japanese master.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)

    TRANSLATED_FIELDS = ("name", "category", "place", "description")

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("窓口")
        verbose_name_plural = _("窓口")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A kind of appointment (相談種別) at a counter, with its schedule and booking rules."""

    scope_department_field = "counter__department"

    counter = models.ForeignKey(
        Counter, verbose_name=_("窓口"), on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("予約メニュー名"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    is_active = models.BooleanField(_("受付中"), default=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("1枠の長さ（分）"), default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    seats_per_slot = models.PositiveSmallIntegerField(
        _("1枠の定員"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    hours = models.JSONField(_("受付時間"), default=dict, blank=True)
    year_end_closed = models.BooleanField(_("年末年始（12月29日〜1月3日）は休み"), default=True)
    book_from_days = models.PositiveSmallIntegerField(
        _("何日後から予約できるか"), default=1, validators=[MaxValueValidator(365)]
    )
    book_until_days = models.PositiveSmallIntegerField(
        _("何日後まで予約できるか"), default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    book_cutoff = models.TimeField(
        _("締切時刻"),
        null=True,
        blank=True,
        help_text=_("例: 「1日後から」「17:00」なら翌日分は前日17:00まで。空欄ならその日の終わりまで。"),
    )
    cancel_days_before = models.PositiveSmallIntegerField(
        _("何日前まで取消できるか"), default=1, validators=[MaxValueValidator(60)]
    )
    cancel_cutoff = models.TimeField(
        _("取消の締切時刻"), null=True, blank=True, help_text=_("空欄ならその日の終わりまで。")
    )
    max_open_per_resident = models.PositiveSmallIntegerField(
        _("1人あたりの予約数の上限"),
        default=1,
        help_text=_("これからの予約をいくつまで持てるか。0は上限なし。"),
    )
    # The extra questions (RS-13), on the shared form engine; every answer is sealed (all_personal).
    form = models.OneToOneField(
        "forms.Form", verbose_name=_("追加の質問"), on_delete=models.PROTECT, related_name="service"
    )
    allow_photos = models.BooleanField(_("写真の添付を受け付ける"), default=False)
    allow_location = models.BooleanField(_("場所（位置情報）の入力を受け付ける"), default=False)
    notification_email = models.EmailField(_("通知先メールアドレス"), blank=True)
    notify_with_answers = models.BooleanField(
        _("通知メールに追加の質問への回答を含める"),
        default=False,
        help_text=_("氏名・連絡先は含めません。回答に個人情報が含まれない場合だけ有効にしてください。"),
    )
    reminder_time = models.TimeField(_("リマインドの送信時刻（当日）"), default="08:00")
    reminder_text = models.TextField(
        _("リマインドの文面"),
        blank=True,
        max_length=500,
        help_text=_("予約日の朝に送るメッセージに添えます（持ち物など）。個人情報は書かないでください。"),
    )
    # What residents read, per language (issue 21); the fields above are the Japanese master.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("name", "description", "reminder_text")

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["counter__category", "counter__name", "name"]
        verbose_name = _("予約メニュー")
        verbose_name_plural = _("予約メニュー")

    def __str__(self) -> str:
        return self.name

    @property
    def department(self):
        return self.counter.department

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


class SpecialDay(models.Model):
    """A one-off exception to the weekly schedule: a closed day, or an extra day with its own hours."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("臨時休業")
        OPEN = "open", _("臨時開設")

    scope_department_field = "service__counter__department"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField(_("日付"))
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    hours = models.JSONField(_("受付時間"), default=list, blank=True)  # [["09:00", "12:00"], ...] for OPEN
    # Shown to residents as the reason of the day (e.g. 「システム更新のため」), so per language too.
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    translations = TranslationsField()

    TRANSLATED_FIELDS = ("note",)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["service", "date"], name="reservations_one_special_day")
        ]
        verbose_name = _("臨時の休業・開設日")
        verbose_name_plural = _("臨時の休業・開設日")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SlotLock(models.Model):
    """One row per (service, slot start) that has ever been booked: the lock a booking takes.

    Booking locks this row (UPDATE first: a row lock on PostgreSQL, the write lock on SQLite),
    then counts the slot's bookings, so two residents can never both take its last seat.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    touched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "starts_at"], name="reservations_one_slot_lock")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}@{self.starts_at.isoformat()}"


class Booking(models.Model):
    """A resident's booking of one slot; name, contact, answers and location are sealed (X-1, X-16)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("予約中")
        CANCELLED = "cancelled", _("取消")
        ATTENDED = "attended", _("来庁済み")
        NO_SHOW = "no_show", _("無断キャンセル")

    class Channel(models.TextChoices):
        LINE = "line", _("LINE")
        PHONE = "phone", _("電話")

    # Statuses that hold a seat: a no-show still used the slot; only a cancellation frees it.
    SEAT_HOLDING = (Status.BOOKED, Status.ATTENDED, Status.NO_SHOW)

    scope_department_field = "service__counter__department"

    service = models.ForeignKey(
        Service, verbose_name=_("予約メニュー"), on_delete=models.PROTECT, related_name="bookings"
    )
    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("受付方法"), max_length=10, choices=Channel.choices)
    friend = models.ForeignKey(
        "line.Friend",
        verbose_name=_("LINEの友だち"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    starts_at = models.DateTimeField(_("開始日時"))
    ends_at = models.DateTimeField(_("終了日時"))
    name = EncryptedCharField(_("氏名"))
    contact = EncryptedCharField(_("連絡先"), blank=True, default="")
    # The answers to the service's questions, as a response of its form (none when it asked none).
    response = models.OneToOneField(
        "forms.Response",
        verbose_name=_("質問への回答"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booking",
    )
    location = EncryptedJSONField(_("場所"), null=True, blank=True)
    remember_contact = models.BooleanField(_("氏名・連絡先を次回の予約に使う"), default=False)
    capacity_override = models.BooleanField(_("定員を超えて登録"), default=False)
    created_by = models.ForeignKey(
        "core.Staff",
        verbose_name=_("登録した職員"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消理由"), max_length=300, blank=True)
    cancelled_by_staff = models.BooleanField(default=False)
    # Set in the same transaction that records the reminder's LINE send, so a restart never sends twice.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["service", "starts_at", "status"]),
            models.Index(fields=["friend", "status", "starts_at"]),
            models.Index(fields=["status", "starts_at", "reminder_sent_at"]),
        ]
        verbose_name = _("予約")
        verbose_name_plural = _("予約")

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def holds_seat(self) -> bool:
        return self.status in self.SEAT_HOLDING


class BookingPhoto(models.Model):
    """A photo attached at booking (RS-14): re-encoded by Pillow, served only to the department."""

    scope_department_field = "booking__service__counter__department"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="reservations/photos/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name or ""
