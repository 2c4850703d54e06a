"""What operations monitoring remembers between runs (X-17, X-19): heartbeats, counts, alert states."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a worker process proved it was running jobs."""

    name = models.CharField(_("ワーカー"), max_length=200, unique=True)
    beat_at = models.DateTimeField(_("最終応答"))

    class Meta:
        verbose_name = _("ワーカーの稼働確認")
        verbose_name_plural = _("ワーカーの稼働確認")
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return self.name


class SecurityEventCount(models.Model):
    """Security events per minute, shared by every web process (alerts need totals, not one process's)."""

    class Kind(models.TextChoices):
        SIGNATURE_FAILURE = "signature_failure", _("Webhook署名の不一致")
        ALLOWLIST_DENIAL = "allowlist_denial", _("許可外アドレスからの管理画面接続")

    kind = models.CharField(_("種類"), max_length=40, choices=Kind.choices)
    minute = models.DateTimeField(_("時刻（分）"))
    count = models.PositiveIntegerField(_("件数"), default=0)

    class Meta:
        verbose_name = _("セキュリティイベント件数")
        verbose_name_plural = _("セキュリティイベント件数")
        constraints = [models.UniqueConstraint(fields=["kind", "minute"], name="ops_event_count_per_minute")]

    def __str__(self) -> str:
        return f"{self.kind} {timezone.localtime(self.minute):%Y-%m-%d %H:%M} ×{self.count}"


class AlertState(models.Model):
    """One alert condition and whether system administrators were told: a mail when it starts,
    a reminder while it lasts, a mail when it ends — never one per check."""

    key = models.CharField(_("警報"), max_length=60, unique=True)
    active = models.BooleanField(_("発生中"), default=False)
    message = models.TextField(_("内容"), blank=True)
    raised_at = models.DateTimeField(_("発生日時"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知日時"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解消日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("運用警報")
        verbose_name_plural = _("運用警報")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
