"""Surveys (アンケート): a form of the shared engine with a period, an answer policy (SV-4) and the
residents invited to it (SV-5). Responses are the engine's ``forms.Response`` rows of the survey's form.
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

# What a survey thanks residents with unless staff write their own: each resident reads it in their
# language from the catalogue (issue 21).
DEFAULT_THANKS = "ご協力ありがとうございました。"


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("準備中")
        OPEN = "open", _("公開中")
        CLOSED = "closed", _("終了")

    class Policy(models.TextChoices):
        ONCE = "once", _("1人1回（2回目は受け付けない）")
        REPLACE = "replace", _("1人1回（回答し直すと前の回答を置き換える）")
        MANY = "many", _("何度でも回答できる")

    scope_department_field = "form__department"

    form = models.OneToOneField("forms.Form", on_delete=models.PROTECT, related_name="survey")
    title = models.CharField(_("アンケート名"), max_length=100)
    description = models.TextField(
        _("説明"), blank=True, max_length=2000, help_text=_("回答の前に住民に表示します。")
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("回答受付の開始"), null=True, blank=True)
    closes_at = models.DateTimeField(_("回答受付の終了"), null=True, blank=True)
    answer_policy = models.CharField(
        _("回答できる回数"), max_length=10, choices=Policy.choices, default=Policy.ONCE
    )
    invited_only = models.BooleanField(
        _("依頼した人だけが回答できる"),
        default=False,
        help_text=_("オフにすると、リンクを知っている友だちなら誰でも回答できます。"),
    )
    thanks_text = models.TextField(_("回答後のお礼の文"), blank=True, max_length=1000, default=DEFAULT_THANKS)
    # The title, description and thanks in residents' other languages (issue 21).
    translations = TranslationsField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    TRANSLATED_FIELDS = ("title", "description", "thanks_text")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("アンケート")
        verbose_name_plural = _("アンケート")

    def __str__(self) -> str:
        return self.title

    @property
    def department(self) -> Department:
        return self.form.department

    def is_accepting(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )


class Invitation(models.Model):
    """A resident a survey was sent to: who may answer an invitation-only survey, and the response rate."""

    scope_department_field = "survey__form__department"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="survey_invitations")
    invited_at = models.DateTimeField(_("依頼日時"))

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "friend"], name="surveys_invited_once")]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.friend_id}"


class Send(models.Model):
    """One sending of a survey's invitation (to segments or everyone), and the delivery that carries it."""

    scope_department_field = "survey__form__department"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sends")
    audience = models.CharField(_("依頼先"), max_length=300)
    recipients = models.PositiveIntegerField(_("依頼した人数"), default=0)
    delivery = models.ForeignKey(
        "delivery.Delivery",
        verbose_name=_("配信"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.survey_id} → {self.audience}"
