"""The chatbot's knowledge (Q&A, scenarios, garbage dictionary) and its question log (CB-1…CB-10).

Every entry belongs to a department (CB-8): its staff edit it, other departments only see what
the resident sees. The question log keeps no personal data: texts are masked before saving and
the asker is kept only as a keyed hash, enough to accept "解決した" from the same person.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core.crypto import EncryptedCharField
from civicline.core.models import Department, Staff
from civicline.core.scoping import DepartmentScopedQuerySet
from civicline.core.translations import TranslationsField


class Status(models.TextChoices):
    PUBLISHED = "published", _("公開")
    DRAFT = "draft", _("下書き")


class FaqEntry(models.Model):
    """A registered question and its answer (AI-style chatbot, CB-1)."""

    class Source(models.TextChoices):
        CONSOLE = "console", _("管理画面")
        IMPORT = "import", _("CSV取込")
        WEB = "web", _("ウェブから取込")
        UNANSWERED = "unanswered", _("未回答の質問から")
        DEMO = "demo", _("サンプル")

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("カテゴリ"), max_length=100, blank=True)
    question = models.CharField(_("質問"), max_length=300)
    answer = models.TextField(_("回答"), max_length=5000)
    # The city's page that explains more (an imported file's URL column, or typed by staff): sent
    # with the answer, so the resident can read the rest where the city keeps it up to date.
    url = models.URLField(_("関連ページのURL"), max_length=1000, blank=True)
    # A Flex Message "contents" object sent after the answer text (LINE's JSON, validated on save).
    flex = models.JSONField(_("Flexカード（JSON）"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    source = models.CharField(_("登録元"), max_length=16, choices=Source.choices, default=Source.CONSOLE)
    # The question and answer in residents' other languages (issue 21): the answer a resident
    # gets, and a question they may ask in their language.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("question", "answer")

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
    # The button and the answer in residents' other languages (issue 21).
    translations = TranslationsField()
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("label", "answer")

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
    # The category and how to put it out, in residents' other languages (issue 21): every item's
    # answer names its category.
    translations = TranslationsField()
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("name", "how_to")

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
    # The item in residents' other languages (issue 21): what they are answered, and the names
    # they ask by ("battery", "plastic bottle"). The reading and the fee are not translated.
    translations = TranslationsField()
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("name", "how_to", "note")

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

    # The department of the answer, or of the nearest candidate for a question left unanswered:
    # only it (and the system administrator) may read the question. None: the administrator only.
    department = models.ForeignKey(
        Department,
        verbose_name=_("回答した課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    # Masked (privacy.mask_personal_data) and sealed: a resident may have typed anything.
    text = EncryptedCharField(_("質問（個人情報を除去）"))
    # A keyed hash of the masked text's ``compact`` form: the same question typed differently is
    # one key, and the key does not give the words away.
    key = models.CharField(max_length=64, db_index=True)
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


class WebSource(models.Model):
    """Pages of the city's website whose Q&A are imported, and imported again to see changes (CB-9)."""

    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="+"
    )
    page_urls = models.JSONField(_("ページのURL"), default=list, blank=True)
    sitemap_url = models.URLField(_("サイトマップのURL"), max_length=1000, blank=True)
    # A sitemap lists the whole site: only its pages whose address contains this are read.
    url_filter = models.CharField(_("URLに含む文字"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Q&Aの取り込み元")
        verbose_name_plural = _("Q&Aの取り込み元")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        first = self.sitemap_url or (self.page_urls[0] if self.page_urls else "")
        others = len(self.page_urls) - (0 if self.sitemap_url else 1)
        return f"{first} ほか {others} ページ" if others > 0 else first


class WebSync(models.Model):
    """One reading of a source's pages, run by the worker; its progress is shown to staff."""

    scope_department_field = "source__department"

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("取得中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    source = models.ForeignKey(WebSource, on_delete=models.CASCADE, related_name="syncs")
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了"), null=True, blank=True)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    # One {"url", "found", "error"} per page read, in order.
    pages = models.JSONField(default=list, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    n_new = models.PositiveIntegerField(_("新規"), default=0)
    n_changed = models.PositiveIntegerField(_("変更"), default=0)
    n_removed = models.PositiveIntegerField(_("削除"), default=0)
    n_unchanged = models.PositiveIntegerField(_("変更なし"), default=0)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Q&Aの取得")
        verbose_name_plural = _("Q&Aの取得")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class WebEntry(models.Model):
    """A Q&A found on the site, waiting for staff's review or linked to the Q&A it became.

    ``question`` / ``answer`` / ``content_hash`` are what the site says now; ``previous_*`` what it
    said when staff last reviewed it, so a change is shown as a before/after. The published Q&A
    (``faq``) may differ from both: staff may edit the text when they accept it.
    """

    scope_department_field = "source__department"

    class State(models.TextChoices):
        NEW = "new", _("新規")
        CHANGED = "changed", _("変更あり")
        REMOVED = "removed", _("サイトから削除")
        ACCEPTED = "accepted", _("反映済み")
        REJECTED = "rejected", _("却下")

    PENDING = (State.NEW, State.CHANGED, State.REMOVED)

    source = models.ForeignKey(WebSource, on_delete=models.CASCADE, related_name="entries")
    url = models.URLField(_("ページ"), max_length=1000)
    key = models.CharField(max_length=300)
    category = models.CharField(_("カテゴリ"), max_length=100, blank=True)
    question = models.CharField(_("質問"), max_length=300)
    answer = models.TextField(_("回答"))
    content_hash = models.CharField(max_length=64)
    previous_question = models.CharField(_("変更前の質問"), max_length=300, blank=True)
    previous_answer = models.TextField(_("変更前の回答"), blank=True)
    faq = models.ForeignKey(
        FaqEntry, verbose_name=_("Q&A"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.NEW)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("取り込んだQ&A")
        verbose_name_plural = _("取り込んだQ&A")
        ordering = ["url", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "url", "key"], name="chatbot_web_entry_unique")
        ]

    def __str__(self) -> str:
        return self.question


class KnowledgeImport(models.Model):
    """A CSV of Q&A or garbage items between its preview and its application (CB-9).

    The uploaded bytes stay in this row, owned by the department they are imported into, until
    staff apply them (then they are cleared) or they expire: another department never sees them,
    and nothing is written to disk under a guessable name.
    """

    class Kind(models.TextChoices):
        FAQ = "faq", _("Q&A")
        GARBAGE = "garbage", _("ごみ分別辞書")

    # Long enough to check a preview over lunch; a forgotten upload does not linger.
    EXPIRES_AFTER = timedelta(hours=24)

    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.CASCADE, related_name="+"
    )
    # Null for an operator's command, or once the staff member is removed (the audit log names them).
    uploaded_by = models.ForeignKey(
        Staff,
        verbose_name=_("アップロードした職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filename = models.CharField(_("ファイル名"), max_length=255)
    content = models.BinaryField(editable=False)
    # How the file is read: the garbage layout (auto / standard / 5374) and staff's column mapping.
    format = models.CharField(_("形式"), max_length=16, blank=True)
    mapping = models.CharField(_("列の対応"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    applied_at = models.DateTimeField(_("取り込み日時"), null=True, blank=True)
    # The counts and the refused rows of the applied file, kept for staff to correct them.
    summary = models.JSONField(default=dict, blank=True)

    objects = DepartmentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("CSVの取り込み")
        verbose_name_plural = _("CSVの取り込み")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename

    @property
    def expired(self) -> bool:
        return self.applied_at is None and self.created_at < timezone.now() - self.EXPIRES_AFTER


class KnowledgeVersion(models.Model):
    """Renewed on every change to the knowledge: every process rebuilds its index then.

    A random token rather than a counter: a change rolled back must not leave an index whose
    number the next change would reuse.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
