"""Departments (課), staff accounts, the console's extra allowed networks and the audit log."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import DepartmentScopedQuerySet
from .translations import TranslationsField, translated

GENESIS_HASH = "0" * 64


class Department(models.Model):
    """A department (課) of the city; it owns the resident data its features collect (X-4)."""

    code = models.SlugField(_("課コード"), max_length=40, unique=True)
    name = models.CharField(_("課名"), max_length=100, unique=True)
    email = models.EmailField(_("通知先メールアドレス"), blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Residents read the department's name on cards and pages: written per language (issue 21).
    translations = TranslationsField()
    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["code"]
        verbose_name = _("課")
        verbose_name_plural = _("課")

    def __str__(self) -> str:
        return self.name

    @property
    def resident_name(self) -> str:
        """The name in the language being spoken to a resident (the city's fallbacks, else Japanese)."""
        return translated(self, "name")


class Staff(AbstractUser):
    """A city employee using the console: a system administrator or a department's staff (X-3)."""

    class Role(models.TextChoices):
        SYSTEM_ADMIN = "system_admin", _("システム管理者")
        DEPARTMENT_STAFF = "department_staff", _("所属課職員")

    department = models.ForeignKey(
        Department, verbose_name=_("所属課"), on_delete=models.PROTECT, null=True, related_name="staff"
    )
    role = models.CharField(_("権限"), max_length=20, choices=Role.choices, default=Role.DEPARTMENT_STAFF)
    display_name = models.CharField(_("氏名"), max_length=100, blank=True)
    # Set when an administrator issues a temporary password; the console asks for a new one first.
    must_change_password = models.BooleanField(_("パスワード変更が必要"), default=False)

    class Meta:
        verbose_name = _("職員アカウント")
        verbose_name_plural = _("職員アカウント")

    if TYPE_CHECKING:
        # Set on each request's user by django_otp's OTPMiddleware (django_otp has no type hints).
        otp_device: Any

        def is_verified(self) -> bool: ...

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_system_admin(self) -> bool:
        return self.is_active and self.role == self.Role.SYSTEM_ADMIN


def validate_cidr(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(_("「%(value)s」はIPアドレス範囲（CIDR）として正しくありません。"),
                              params={"value": value}) from exc


class AllowedNetwork(models.Model):
    """An address range the system administrator allows into the console, beside the configured ones."""

    cidr = models.CharField(
        _("許可するIP範囲（CIDR）"), max_length=64, unique=True, validators=[validate_cidr]
    )
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cidr"]
        verbose_name = _("許可IP範囲")
        verbose_name_plural = _("許可IP範囲")

    def __str__(self) -> str:
        return self.cidr


class AuditEntryQuerySet(DepartmentScopedQuerySet):
    """The audit log is append-only: bulk updates and deletes are refused here.

    Only the purge service removes expired entries, through ``_purge_delete``; PostgreSQL enforces
    the same rule with a trigger (migration 0003), so a bypass of the ORM is refused too.
    """

    def update(self, **kwargs):
        raise PermissionDenied("audit entries cannot be changed")

    def delete(self):
        raise PermissionDenied("audit entries can only be removed by the purge service")

    def _purge_delete(self) -> int:
        return super().delete()[0]


class AuditEntry(models.Model):
    """One link of the tamper-evident audit chain (X-15).

    ``hash`` is an HMAC-SHA256 (key ``key_id`` of ``AUDIT_HMAC_KEYS``, held outside the database)
    over the canonical JSON of the entry including ``prev_hash``, so changing, inserting or removing
    a row breaks every later link and cannot be re-sealed without the key; ``verify_audit_chain``
    finds the first. Entries with an empty ``key_id`` predate keys and carry a plain SHA-256.
    Foreign keys PROTECT their targets: a cascade or SET NULL would rewrite history.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("ログイン")
        LOGOUT = "logout", _("ログアウト")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        CREATE = "create", _("作成")
        UPDATE = "update", _("変更")
        DELETE = "delete", _("削除")
        VIEW_PERSONAL = "view_personal", _("個人情報の閲覧")
        EXPORT = "export", _("エクスポート")
        SEND = "send", _("送信")
        PURGE = "purge", _("保存期間経過ログの削除")

    sequence = models.PositiveBigIntegerField(_("通番"), unique=True)
    created_at = models.DateTimeField(_("日時"), db_index=True)
    actor = models.ForeignKey(
        Staff, verbose_name=_("操作者"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("操作者（記録時）"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("課"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_address = models.CharField(_("接続元アドレス"), max_length=64, blank=True)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=40, db_index=True)
    target_type = models.CharField(_("対象の種類"), max_length=100, blank=True)
    target_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    target_repr = models.CharField(_("対象"), max_length=200, blank=True)
    summary = models.CharField(_("概要"), max_length=500, blank=True)
    changes = models.JSONField(_("変更内容"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=16, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionDenied("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit entries can only be removed by the purge service")

    @property
    def action_label(self) -> str:
        try:
            return str(self.Action(self.action).label)
        except ValueError:
            return self.action

    @property
    def change_rows(self) -> list[tuple[str, object, object, bool]]:
        """(field, before, after, is_diff) for display; non-diff values come in ``before``."""
        rows = []
        for key, value in (self.changes or {}).items():
            if isinstance(value, dict) and set(value) == {"before", "after"}:
                rows.append((key, value["before"], value["after"], True))
            else:
                rows.append((key, value, None, False))
        return rows


class AuditChainHead(models.Model):
    """The single row every append locks, so that two appends can never share a predecessor.

    ``anchor_*`` name the last entry removed by a purge: the oldest remaining entry links to it.
    """

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    anchor_sequence = models.PositiveBigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("監査ログの連鎖の先頭")

    def __str__(self) -> str:
        return f"audit chain head #{self.last_sequence}"
