"""Official alerts (気象庁防災情報XML) the city follows, its policy for them, and what was done.

Everything here is city-wide and public information (an alert concerns everyone in the city), so
no row is department data: any staff member may read the timeline; the system administrator sets
the area codes and the policy; the responsible department (危機管理課…) and the system
administrator carry out or undo actions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicline.core.translations import TranslationsField

from .jma import CodeType, Kind, level_label

ACTOR_LABEL = "自動処理（気象庁情報）"
DEFAULT_TEMPLATE = (
    "【{title}】{time} {areas}に{title}が発表されました。\n"
    "{headline}\n"
    "身の安全を確保し、市の避難情報に注意してください。避難所の開設状況: {shelter_url}"
)


class AlertSettings(models.Model):
    """The one row of settings: who is told and owns what is prepared, and the message template."""

    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("担当課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("緊急配信の下書きを持ち、通知メールを受け取る課（例: 危機管理課）。"),
    )
    notify_emails = models.TextField(
        _("通知先メールアドレス"),
        blank=True,
        help_text=_("当番職員などのアドレスを1行に1つ。担当課のアドレスにも送ります。"),
    )
    topic_name = models.CharField(
        _("優先して届ける分野"),
        max_length=40,
        default="防災",
        help_text=_("受信設定でこの分野を選んだ住民と、対象地域に住む住民に先に届けます。"),
    )
    message_template = models.TextField(
        _("緊急配信の文面"),
        default=DEFAULT_TEMPLATE,
        help_text=_(
            "使える差し込み: {title}（情報の名前）{areas}（地域）{time}（発表時刻）"
            "{headline}（見出し文）{level}（レベル）{shelter_url}（避難所一覧のURL）"
        ),
    )
    # The message in residents' other languages: each resident is sent theirs, by the city's
    # fallbacks (issue 21). The alert's own words ({title}, {headline}, {areas}) stay as published.
    translations = TranslationsField()
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("message_template",)

    class Meta:
        verbose_name = _("防災情報の設定")

    def __str__(self) -> str:
        return str(_("防災情報の設定"))

    @classmethod
    def current(cls) -> AlertSettings:
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def email_list(self) -> list[str]:
        return [line.strip() for line in self.notify_emails.splitlines() if line.strip()]


class AreaCode(models.Model):
    """One of the city's areas by JMA's code: a report naming it concerns the city."""

    code_type = models.CharField(_("コードの種類"), max_length=10, choices=CodeType.CHOICES)
    code = models.CharField(
        _("コード"),
        max_length=20,
        validators=[RegexValidator(r"^[0-9]{3,17}$", _("半角数字で入力してください。"))],
    )
    name = models.CharField(_("名前"), max_length=60)
    resident_areas = models.CharField(
        _("受信設定の地域"),
        max_length=300,
        blank=True,
        help_text=_("このコードの範囲に当たる、住民が受信設定で選ぶ地域名（読点区切り）。空欄は市全域。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code_type", "code"]
        verbose_name = _("対象地域のコード")
        verbose_name_plural = _("対象地域のコード")
        constraints = [models.UniqueConstraint(fields=["code_type", "code"], name="alerts_area_code_once")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def resident_area_names(self) -> list[str]:
        return [n.strip() for n in self.resident_areas.replace(",", "、").split("、") if n.strip()]


class Policy(models.Model):
    """What the city does when an alert of ``kind`` reaches ``min_level`` in its areas.

    ``actions`` maps an emergency action's key (from the features' manifests: the emergency menu,
    the disaster kind, the emergency delivery) to "suggest" (staff carry it out with one button on
    the timeline; a delivery is left as a draft) or "auto" (done at once by the worker).
    """

    class Mode(models.TextChoices):
        OFF = "", _("しない")
        SUGGEST = "suggest", _("職員が確認して実行（配信は下書きを用意）")
        AUTO = "auto", _("自動で実行")

    kind = models.CharField(_("情報の種類"), max_length=20, choices=Kind.CHOICES)
    min_level = models.PositiveSmallIntegerField(_("レベル（以上）"))
    notify = models.BooleanField(_("職員に通知（管理画面の表示・メール）"), default=True)
    actions = models.JSONField(_("行うこと"), default=dict, blank=True)
    delivery_everyone = models.BooleanField(
        _("緊急配信は友だち全員に（対象地域の住民を先に）"),
        default=False,
        help_text=_("外すと、対象地域の住民と優先分野を選んだ住民だけに届けます。"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "min_level"]
        verbose_name = _("対応方針")
        verbose_name_plural = _("対応方針")
        constraints = [models.UniqueConstraint(fields=["kind", "min_level"], name="alerts_policy_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.level_display}"

    @property
    def level_display(self) -> str:
        return level_label(self.kind, self.min_level) + str(_("以上"))


class AlertEvent(models.Model):
    """One situation: a warning period of an office, an earthquake, a tsunami, a river's forecast.

    Reports of the same situation update it; each policy acts at most once per situation (the
    unique constraint on ``AlertAction``), so a report seen twice or a later report at the same
    level never acts again.
    """

    key = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(_("情報の種類"), max_length=20, choices=Kind.CHOICES)
    title = models.CharField(_("情報"), max_length=200)
    level = models.PositiveSmallIntegerField(_("現在のレベル"), default=0)
    max_level = models.PositiveSmallIntegerField(_("最高レベル"), default=0)
    # {source: level}: in the revised warning system each phenomenon comes in its own report.
    levels = models.JSONField(default=dict, blank=True)
    phenomena = models.JSONField(default=list, blank=True)
    areas = models.JSONField(_("対象地域"), default=list, blank=True)
    opened_at = models.DateTimeField(_("開始"))
    updated_at = models.DateTimeField(_("更新"))
    closed_at = models.DateTimeField(_("終了"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("防災情報の事象")
        verbose_name_plural = _("防災情報の事象")

    def __str__(self) -> str:
        return self.title

    @property
    def level_display(self) -> str:
        return level_label(self.kind, self.level)

    @property
    def max_level_display(self) -> str:
        return level_label(self.kind, self.max_level)


class AlertReport(models.Model):
    """One report received (from the feed, a file or the command) that concerned the city."""

    class Outcome(models.TextChoices):
        ISSUED = "issued", _("発表・更新")
        CORRECTED = "corrected", _("訂正")
        LIFTED = "lifted", _("解除")
        CANCELLED = "cancelled", _("取消")
        NOT_CONCERNED = "not_concerned", _("対象外")

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, null=True, related_name="reports")
    dedupe_key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("情報の種類"), max_length=20, choices=Kind.CHOICES)
    control_title = models.CharField(max_length=200)
    head_title = models.CharField(_("標題"), max_length=200)
    office = models.CharField(_("発表官署"), max_length=100)
    jma_event_id = models.CharField("EventID", max_length=100, blank=True)
    serial = models.CharField(max_length=20, blank=True)
    info_type = models.CharField(_("情報形態"), max_length=10)
    report_datetime = models.DateTimeField(_("発表時刻"), null=True)
    headline = models.TextField(_("見出し"), blank=True)
    level = models.PositiveSmallIntegerField(_("レベル"), default=0)
    areas = models.JSONField(_("対象地域"), default=list, blank=True)
    outcome = models.CharField(_("扱い"), max_length=20, choices=Outcome.choices)
    source = models.CharField(_("取得元"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("受信"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("受信した防災情報")
        verbose_name_plural = _("受信した防災情報")

    def __str__(self) -> str:
        return self.head_title

    @property
    def level_display(self) -> str:
        return level_label(self.kind, self.level)


class AlertAction(models.Model):
    """One thing the policy did or suggested for a situation, and its undoing."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("実行待ち")
        DONE = "done", _("実行済み")
        FAILED = "failed", _("失敗")
        REVERTED = "reverted", _("元に戻した")
        DISMISSED = "dismissed", _("見送り")

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="actions")
    report = models.ForeignKey(AlertReport, on_delete=models.SET_NULL, null=True, related_name="actions")
    policy = models.ForeignKey(Policy, on_delete=models.SET_NULL, null=True, related_name="+")
    action_key = models.CharField(max_length=40)
    label = models.CharField(_("内容"), max_length=100)
    mode = models.CharField(_("方法"), max_length=10, choices=Policy.Mode.choices)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices)
    # What the request was (title, text, areas…), so that 実行 later does what was suggested.
    request = models.JSONField(default=dict, blank=True)
    summary = models.CharField(_("結果"), max_length=500, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    undo_data = models.JSONField(null=True, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("実行"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reverted_at = models.DateTimeField(_("元に戻した日時"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("自動対応")
        verbose_name_plural = _("自動対応")
        constraints = [
            # The never-twice guarantee: one action per policy and situation.
            models.UniqueConstraint(fields=["event", "policy", "action_key"], name="alerts_action_once")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def can_undo(self) -> bool:
        return self.status == self.Status.DONE and self.undo_data is not None


class FeedState(models.Model):
    """A feed's conditional-request state, so that an unchanged feed costs a 304 and nothing more."""

    url = models.CharField(max_length=500, unique=True)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    ok_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.url


class SeenEntry(models.Model):
    """A feed entry already fetched (short and long feeds list the same entries): never fetched twice."""

    entry_id = models.CharField(max_length=500, unique=True)
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.entry_id
