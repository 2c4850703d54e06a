"""The chatbot's knowledge (Q&A, scenarios, garbage dictionary) and its question log (CB-1…CB-10).

Every entry belongs to a department (CB-8): its staff edit it, other departments only see what
the resident sees. The question log keeps no personal data: texts are masked before saving and
the asker is kept only as a keyed hash, enough to accept "解決した" from the same person.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicline.core.models import Department
from civicline.core.scoping import DepartmentScopedQuerySet


class Status(models.TextChoices):
    PUBLISHED = "published", _("公開")
    DRAFT = "draft", _("下書き")


class FaqEntry(models.Model):
    """A registered question and its answer (AI-style chatbot, CB-1)."""

    class Source(models.TextChoices):
        CONSOLE = "console", _("管理画面")
        IMPORT = "import", _("CSV取込")
        UNANSWERED = "unanswered", _("未回答の質問から")
        DEMO = "demo", _("サンプル")

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("カテゴリ"), max_length=100, blank=True)
    question = models.CharField(_("質問"), max_length=300)
    answer = models.TextField(_("回答"), max_length=5000)
    # A Flex Message "contents" object sent after the answer text (LINE's JSON, validated on save).
    flex = models.JSONField(_("Flexカード（JSON）"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    source = models.CharField(_("登録元"), max_length=16, choices=Source.choices, default=Source.CONSOLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Q&A")
        verbose_name_plural = _("Q&A")
        ordering = ["category", "question"]

    def __str__(self) -> str:
        return self.question


class FaqPhrasing(models.Model):
    """Another way residents ask the same question."""

    scope_department_field = "entry__department"

    entry = models.ForeignKey(FaqEntry, on_delete=models.CASCADE, related_name="phrasings")
    text = models.CharField(_("言い換え"), max_length=300)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("言い換え")
        verbose_name_plural = _("言い換え")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class ScenarioNode(models.Model):
    """One step of a scenario tree (CB-1): a category with children, or an answer (a leaf)."""

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("親の項目"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    # Shown as a quick reply button, whose label LINE limits to 20 characters.
    label = models.CharField(_("ボタンの文言"), max_length=20)
    answer = models.TextField(_("回答"), max_length=5000, blank=True)
    order = models.PositiveIntegerField(_("表示順"), default=0)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("シナリオ")
        verbose_name_plural = _("シナリオ")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label

    def path_labels(self) -> list[str]:
        labels, node = [], self
        while node is not None:
            labels.append(node.label)
            node = node.parent
        return labels[::-1]


class GarbageCategory(models.Model):
    """A sorting category of the city (可燃ごみ, 粗大ごみ…) and how to put such garbage out."""

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("分別区分"), max_length=100)
    how_to = models.TextField(_("出し方"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("分別区分")
        verbose_name_plural = _("分別区分")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="chatbot_garbage_category_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_oversized(self) -> bool:
        # 粗大ごみ is collected on reservation, whatever else the city calls the category.
        return "粗大" in self.name


class GarbageItem(models.Model):
    """An entry of the garbage sorting dictionary (CB-2)."""

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("品目"), max_length=200)
    reading = models.CharField(_("よみがな"), max_length=200, blank=True)
    category = models.ForeignKey(
        GarbageCategory,
        verbose_name=_("分別区分"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    how_to = models.TextField(_("出し方・注意点"), max_length=2000, blank=True)
    note = models.TextField(_("備考"), max_length=2000, blank=True)
    fee = models.CharField(_("粗大ごみ手数料"), max_length=100, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ごみ分別品目")
        verbose_name_plural = _("ごみ分別品目")
        ordering = ["reading", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="chatbot_garbage_item_unique")
        ]

    def __str__(self) -> str:
        return self.name


class QuestionLog(models.Model):
    """One question a resident asked and how the chatbot answered it (CB-4, CB-5)."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("回答")
        CANDIDATES = "candidates", _("候補を提示")
        UNANSWERED = "unanswered", _("回答なし")

    # Unanswered questions belong to no department: every department may adopt them (CB-6).
    department = models.ForeignKey(
        Department,
        verbose_name=_("回答した課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    text = models.CharField(_("質問（個人情報を除去）"), max_length=500)
    # ``compact`` form of the text: counts the same question typed differently as one.
    key = models.CharField(max_length=500, db_index=True)
    outcome = models.CharField(_("結果"), max_length=16, choices=Outcome.choices)
    answer_kind = models.CharField(_("回答の種類"), max_length=16, blank=True)
    answer_id = models.PositiveBigIntegerField(null=True, blank=True)
    answer_title = models.CharField(_("回答した項目"), max_length=300, blank=True)
    score = models.FloatField(_("確信度"), default=0)
    resolved = models.BooleanField(_("解決した"), null=True, blank=True)
    asker_key = models.CharField(max_length=64, blank=True)
    # Set when staff turned the question into a Q&A or a phrasing: no longer "unanswered work".
    handled = models.BooleanField(_("対応済み"), default=False)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("質問ログ")
        verbose_name_plural = _("質問ログ")
        ordering = ["-asked_at"]
        indexes = [models.Index(fields=["outcome", "handled"])]

    def __str__(self) -> str:
        return self.text

    @property
    def reached_answer(self) -> bool:
        return self.outcome == self.Outcome.ANSWERED and self.resolved is not False


class KnowledgeVersion(models.Model):
    """Renewed on every change to the knowledge: every process rebuilds its index then.

    A random token rather than a counter: a change rolled back must not leave an index whose
    number the next change would reuse.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
