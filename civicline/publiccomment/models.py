"""Public comment procedures (意見公募の案件, PC-3), their documents, and the submissions residents
made (PC-1), each with its receipt number (PC-9). The answers are the shared form engine's.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core.models import Department
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField
from civicline.line.models import Friend


class Consultation(models.Model):
    """A consultation (案件) of a department: what is consulted on, its documents, period, questions."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("準備中")
        OPEN = "open", _("公開中")
        CLOSED = "closed", _("終了")

    scope_department_field = "form__department"

    form = models.OneToOneField("forms.Form", on_delete=models.PROTECT, related_name="consultation")
    title = models.CharField(_("案件名"), max_length=150)
    summary = models.TextField(_("概要"), max_length=4000, help_text=_("意見を募集する内容の説明です。"))
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("募集開始"))
    closes_at = models.DateTimeField(_("募集終了"))
    notification_email = models.EmailField(
        _("通知先メールアドレス"), blank=True, help_text=_("空欄なら担当課のアドレスに通知します。")
    )
    talk_enabled = models.BooleanField(
        _("トーク画面で答えられるようにする"),
        default=True,
        help_text=_(
            "個人情報でない質問を、LINEのトーク画面で1問ずつ答えられます。個人情報は入力画面で尋ねます。"
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The title and summary in residents' other languages (issue 21); the documents stay as published.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    TRANSLATED_FIELDS = ("title", "summary")

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("意見募集の案件")
        verbose_name_plural = _("意見募集の案件")

    def __str__(self) -> str:
        return self.title

    @property
    def department(self) -> Department:
        return self.form.department

    def is_accepting(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at

    @property
    def is_public(self) -> bool:
        """Residents may see it (open, or closed after having been open), not while in preparation."""
        return self.status != self.Status.DRAFT


class Document(models.Model):
    """A document of a consultation: a link to the city's page, or a PDF uploaded here."""

    scope_department_field = "consultation__form__department"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("資料名"), max_length=150)
    url = models.URLField(_("リンク先"), max_length=500, blank=True)
    file = models.FileField(_("PDFファイル"), upload_to="publiccomment/documents/%Y/%m/", blank=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    # The title in residents' other languages (issue 21); the document itself stays as published.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    TRANSLATED_FIELDS = ("title",)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("資料")
        verbose_name_plural = _("資料")

    def __str__(self) -> str:
        return self.title


class Submission(models.Model):
    """A resident's submitted comment: the engine's response, with its receipt number (PC-9)."""

    scope_department_field = "consultation__form__department"

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="submissions"
    )
    response = models.OneToOneField("forms.Response", on_delete=models.PROTECT, related_name="submission")
    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True)
    friend = models.ForeignKey(
        "line.Friend",
        verbose_name=_("LINEの友だち"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_comments",
    )
    # Whether part of it was answered in the talk screen (PC-5), for the department's statistics.
    used_talk = models.BooleanField(_("トーク画面で入力"), default=False)
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["consultation", "created_at"])]
        verbose_name = _("意見")
        verbose_name_plural = _("意見")

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def department(self) -> Department:
        return self.consultation.form.department

    @property
    def direct_message_friend(self) -> Friend | None:
        """The one resident a staff message about this submission may reach (PC-8, line.direct)."""
        return self.friend
