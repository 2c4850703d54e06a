"""The form engine's records: forms and their versions, residents' drafts, responses and answers.

A response belongs to the version it answered, and versions are never edited once answered, so
changing a live form never alters what earlier answers meant. Answers are one row per question
(one per chosen item for a multiple choice), so results are counted by the database. An answer to
a question marked personal keeps its value only sealed (X-16), in ``sealed``; the plain columns of
that row stay empty and it is never aggregated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicline.core.crypto import EncryptedJSONField
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField


class Form(models.Model):
    """The questions of one survey, consultation… owned by a department (X-4)."""

    department = models.ForeignKey(
        "core.Department", verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="forms"
    )
    title = models.CharField(_("名前"), max_length=200)
    current_version = models.ForeignKey(
        "FormVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Every answer is personal data when each response belongs to a named person (a booking's
    # questions): then every question is sealed whatever its row in the builder says.
    all_personal = models.BooleanField(_("すべての回答を個人情報として扱う"), default=False)
    # The number of the next question key (q1, q2…); it only grows, so no key is ever reused.
    key_counter = models.PositiveIntegerField(default=1)
    # The title in other languages (issue 21); its questions carry theirs in the version's schema.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)

    TRANSLATED_FIELDS = ("title",)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("入力フォーム")
        verbose_name_plural = _("入力フォーム")

    def __str__(self) -> str:
        return self.title

    @property
    def questions(self) -> list[dict]:
        return self.current_version.schema if self.current_version else []


class FormVersion(models.Model):
    scope_department_field = "form__department"

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    schema = models.JSONField(_("質問"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["form", "number"]
        constraints = [models.UniqueConstraint(fields=["form", "number"], name="forms_one_version_number")]

    def __str__(self) -> str:
        return f"{self.form} 第{self.number}版"


class Draft(models.Model):
    """A resident's answers so far, kept on the server: closing LINE loses nothing (one per form)."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="drafts")
    friend = models.ForeignKey("line.Friend", on_delete=models.CASCADE, related_name="form_drafts")
    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="+")
    answers = EncryptedJSONField(default=dict)
    # The question the talk screen is waiting for (PC-5); "" while the resident is not answering there.
    talk_question = models.CharField(max_length=20, blank=True)
    # Whether any answer came from the talk screen (the owner may record how a response was made).
    via_talk = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["form", "friend"], name="forms_one_draft_per_resident")
        ]
        indexes = [models.Index(fields=["friend", "talk_question"])]

    def __str__(self) -> str:
        return f"draft {self.form_id}/{self.friend_id}"


class Response(models.Model):
    """One submitted set of answers."""

    scope_department_field = "form__department"

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="responses")
    friend = models.ForeignKey(
        "line.Friend", on_delete=models.PROTECT, null=True, blank=True, related_name="form_responses"
    )
    submitted_at = models.DateTimeField(_("回答日時"), db_index=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["form", "friend"]), models.Index(fields=["form", "submitted_at"])]
        verbose_name = _("回答")
        verbose_name_plural = _("回答")

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(models.Model):
    """The answer to one question (one row per item chosen in a multiple choice)."""

    scope_department_field = "form__department"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # Copied from the response so that counting one question's answers needs no join.
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=20)
    choice = models.CharField(max_length=100, blank=True)  # single, multiple, dropdown
    number = models.FloatField(null=True, blank=True)  # number, scale
    text = models.TextField(blank=True)  # texts, date (ISO), place of a location
    data = models.JSONField(null=True, blank=True)  # a location's coordinates, a photo's file
    sealed = EncryptedJSONField(null=True, blank=True)  # the whole value, for a personal question
    # Content words of a text answer, space-separated, for the results' word list.
    terms = models.TextField(blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["form", "question", "choice"]),
            models.Index(fields=["form", "question", "number"]),
            models.Index(fields=["response", "question"]),
        ]

    def __str__(self) -> str:
        return f"{self.question} of {self.response_id}"
