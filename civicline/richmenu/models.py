"""Rich menus (RM-1…RM-6): drafts staff edit, versions published to LINE, previews, the emergency switch.

A menu is account-wide (every friend of the city's account sees it), so it belongs to no department.
Who may change it is decided per department by the system administrator (``MenuEditorGrant``):
the system administrator always may; a department granted "edit" (the city's 広報 section) edits,
previews, publishes, rolls back and switches the emergency menu; a department granted "emergency"
(危機管理) only switches the emergency menu on and off. Every other staff member may look.

The draft is ``Menu`` + ``MenuTab`` + ``MenuTile``. Publishing freezes it into a ``MenuVersion``
(the LINE objects and the JPEG of each tab, ``PublishedTab``), so a rollback re-publishes exactly
what residents saw before, whatever the draft has become since.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core import languages
from civicline.core.models import Department
from civicline.core.translations import TranslationsField

from . import layouts
from .actions import ActionType

DEFAULT_THEME = "#0b5cad"


class MenuEditorGrant(models.Model):
    """A department allowed to change the account's rich menus (given by the system administrator)."""

    class Scope(models.TextChoices):
        EDIT = "edit", _("編集・公開・緊急切替")
        EMERGENCY = "emergency", _("緊急メニューの切替のみ")

    department = models.OneToOneField(
        Department, verbose_name=_("課"), on_delete=models.CASCADE, related_name="richmenu_grant"
    )
    scope = models.CharField(_("できること"), max_length=16, choices=Scope.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department__code"]
        verbose_name = _("メニュー担当の課")
        verbose_name_plural = _("メニュー担当の課")

    def __str__(self) -> str:
        return f"{self.department}（{self.get_scope_display()}）"


class Menu(models.Model):
    class Purpose(models.TextChoices):
        NORMAL = "normal", _("通常メニュー")
        EMERGENCY = "emergency", _("緊急メニュー")

    name = models.CharField(_("管理用の名前"), max_length=60, unique=True)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices, default=Purpose.NORMAL)
    size = models.CharField(
        _("大きさ"),
        max_length=16,
        choices=[(s.key, s.label) for s in layouts.SIZES.values()],
        default="large",
    )
    chat_bar_text = models.CharField(_("メニューバーの文字"), max_length=14, default="メニュー")
    theme_colour = models.CharField(_("テーマ色（タブ・見出し）"), max_length=7, default=DEFAULT_THEME)
    heading = models.CharField(_("見出し（タブが1つのとき上部に表示）"), max_length=20, blank=True)
    opens_by_default = models.BooleanField(_("トーク画面を開いたときにメニューを開いておく"), default=True)
    # The texts residents read, per language (issue 21); tiles and tabs keep their own.
    translations = TranslationsField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["purpose", "name"]
        verbose_name = _("リッチメニュー")
        verbose_name_plural = _("リッチメニュー")

    def __str__(self) -> str:
        return self.name

    @property
    def size_spec(self) -> layouts.Size:
        return layouts.SIZES[self.size]

    TRANSLATED_FIELDS = ("chat_bar_text", "heading")

    def alias_id(self, tab_index: int, language: str = languages.JAPANESE) -> str:
        """The tab's rich menu alias, the same in every version so tabs keep working across publishes;
        each language's menu has its own (a tab tapped in the English menu stays English)."""
        if language == languages.JAPANESE:
            return f"cl-m{self.pk}-t{tab_index + 1}"
        return f"cl-m{self.pk}-{language}-t{tab_index + 1}"


class MenuTab(models.Model):
    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="tabs")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("タブ名"), max_length=10)
    layout = models.CharField(_("レイアウト"), max_length=20)
    # A designer's finished image (from the downloaded SVG), used instead of the drawn one.
    design_image = models.FileField(_("デザイン画像"), upload_to="richmenu/designs/%Y/%m/", blank=True)
    translations = TranslationsField()

    TRANSLATED_FIELDS = ("title",)

    class Meta:
        ordering = ["menu", "position"]
        constraints = [models.UniqueConstraint(fields=["menu", "position"], name="richmenu_tab_position")]

    def __str__(self) -> str:
        return f"{self.menu} / {self.title}"

    @property
    def template(self) -> layouts.Template:
        return layouts.TEMPLATES[self.layout]


class MenuTile(models.Model):
    tab = models.ForeignKey(MenuTab, on_delete=models.CASCADE, related_name="tiles")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("表示する文字"), max_length=24)
    icon = models.CharField(_("アイコン"), max_length=20, blank=True)
    image = models.FileField(_("画像"), upload_to="richmenu/tiles/%Y/%m/", blank=True)
    colour = models.CharField(_("色"), max_length=7, default=DEFAULT_THEME)
    action_type = models.CharField(_("タップしたときの動作"), max_length=16, choices=ActionType.choices)
    action_value = models.CharField(_("動作の内容"), max_length=1000)
    # The label per language; an uploaded image and the action are the same in every language.
    translations = TranslationsField()

    TRANSLATED_FIELDS = ("label",)

    class Meta:
        ordering = ["tab", "position"]
        constraints = [models.UniqueConstraint(fields=["tab", "position"], name="richmenu_tile_position")]

    def __str__(self) -> str:
        return self.label


class MenuVersion(models.Model):
    """One publish of a menu: what residents see while it is live, kept for rollback afterwards."""

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    # The draft as published (tabs, tiles, actions in staff's words), shown in the history.
    content = models.JSONField(default=dict)
    # {resident language: the language of the tabs they see}: a language without a translation of
    # its own sees its fallback's menu (issue 21). Empty for versions published before: Japanese.
    seen_as = models.JSONField(default=dict)
    is_live = models.BooleanField(_("公開中"), default=False)
    restored_from = models.ForeignKey(
        "self", verbose_name=_("戻した版"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("公開日時"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公開した職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("公開終了日時"), null=True, blank=True)

    class Meta:
        ordering = ["menu", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "number"], name="richmenu_version_number"),
            models.UniqueConstraint(
                fields=["menu"], condition=models.Q(is_live=True), name="richmenu_one_live_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.menu} v{self.number}"

    def menu_language(self, language: str) -> str:
        """The language of the tabs a resident reading ``language`` sees in this version."""
        for code in languages.fallback_chain(language):
            if code in self.seen_as:
                return str(self.seen_as[code])
        return languages.JAPANESE

    def tabs_in(self, language: str = languages.JAPANESE) -> list[PublishedTab]:
        """This version's tabs drawn in ``language`` (a menu language), in order (reads a prefetch)."""
        return [tab for tab in self.tabs.all() if tab.language == language]

    @property
    def japanese_tabs(self) -> list[PublishedTab]:
        return self.tabs_in(languages.JAPANESE)

    @property
    def menu_languages(self) -> list[str]:
        """The languages drawn in this version, Japanese first."""
        drawn = {tab.language for tab in self.tabs.all()}
        return sorted(drawn, key=lambda code: (code != languages.JAPANESE, code))


class PublishedTab(models.Model):
    """One tab of a version as LINE holds it: the rich menu object, its image, and its id on LINE."""

    version = models.ForeignKey(MenuVersion, on_delete=models.CASCADE, related_name="tabs")
    # The language this copy of the tab is drawn in; the Japanese one is LINE's default menu.
    language = models.CharField(max_length=16, default=languages.JAPANESE)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=40)
    body = models.JSONField()  # the rich menu object sent to LINE
    image = models.FileField(upload_to="richmenu/published/%Y/%m/")
    # Set while the rich menu exists on LINE; cleared once it has been deleted there.
    line_rich_menu_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["version", "position", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language", "position"], name="richmenu_published_tab_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} / {self.title}"


class MenuPreview(models.Model):
    """A draft shown on one test device only (X-11): LINE menus linked to that user, not the default."""

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="previews")
    # Kept when the device is unregistered, so that its menus on LINE are still cleaned up.
    recipient = models.ForeignKey(
        "line.PreviewRecipient",
        verbose_name=_("テスト端末"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    line_rich_menu_ids = models.JSONField(default=list)
    # False once its LINE menus and aliases are deleted (a newer preview or a publish replaced it).
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.menu} → {self.recipient}"

    def alias_id(self, tab_index: int) -> str:
        return f"cl-p{self.pk}-t{tab_index + 1}"


class AccountMenuState(models.Model):
    """The account's one row: which menu friends see, and the lock that serialises changes to it."""

    default_menu = models.ForeignKey(
        Menu,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("通常時に表示するメニュー"),
    )
    # Set while the emergency menu is switched on: every friend sees it instead of the default one.
    emergency_menu = models.ForeignKey(
        Menu,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("表示中の緊急メニュー"),
    )
    # A publish or a switch in progress holds the lock (token + time); a stale one expires.
    lock_token = models.CharField(max_length=40, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    LOCK_TTL = timedelta(minutes=10)

    def __str__(self) -> str:
        return "rich menu state"


class EmergencySwitch(models.Model):
    """One switch to the emergency menu or back (RM-4), timed until every friend has it."""

    class Direction(models.TextChoices):
        ON = "on", _("緊急メニューに切替")
        OFF = "off", _("通常メニューに戻す")

    class Status(models.TextChoices):
        RUNNING = "running", _("切替中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    class Method(models.TextChoices):
        BATCH = "batch", _("LINEの一括操作")
        EACH = "each", _("500人ずつ解除")

    direction = models.CharField(_("切替"), max_length=8, choices=Direction.choices)
    menu = models.ForeignKey(
        Menu, verbose_name=_("切替後のメニュー"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    menu_name = models.CharField(_("切替後のメニュー"), max_length=60)  # kept if the menu is deleted later
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作した職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("開始"))
    default_set_at = models.DateTimeField(_("既定メニュー切替"), null=True, blank=True)
    finished_at = models.DateTimeField(_("全員に反映"), null=True, blank=True)
    friends_total = models.PositiveIntegerField(_("対象の友だち"), default=0)
    friends_done = models.PositiveIntegerField(_("反映済み"), default=0)
    requests = models.PositiveIntegerField(_("LINEへの一括解除の回数"), default=0)
    # Friends are unlinked in primary-key order; a resumed switch continues after this one.
    last_friend_pk = models.BigIntegerField(default=0)
    # How per-user menus were removed: one batch request LINE works through (2023-07's endpoint), or
    # bulk unlinks of 500 friends each when the batch could not be used (3 an hour).
    method = models.CharField(_("方法"), max_length=8, choices=Method.choices, blank=True)
    line_request_id = models.CharField(max_length=64, blank=True)  # of the batch request
    line_accepted_at = models.DateTimeField(_("LINEが受付"), null=True, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("緊急メニューの切替")
        verbose_name_plural = _("緊急メニューの切替")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    @property
    def seconds_until_default(self) -> float | None:
        return (self.default_set_at - self.started_at).total_seconds() if self.default_set_at else None

    @property
    def seconds_until_everyone(self) -> float | None:
        return self.duration.total_seconds() if self.duration else None

    @property
    def seconds_of_civicline(self) -> float | None:
        """civicline's own part: until LINE accepted the batch (or, one by one, until everyone)."""
        if self.line_accepted_at:
            return (self.line_accepted_at - self.started_at).total_seconds()
        return self.seconds_until_everyone

    @property
    def progress_percent(self) -> int:
        if not self.friends_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.friends_done / self.friends_total))
