"""Departments (課), staff accounts and the console's extra allowed networks."""

from __future__ import annotations

import ipaddress

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A department (課) of the city; it owns the resident data its features collect (X-4)."""

    code = models.SlugField(_("課コード"), max_length=40, unique=True)
    name = models.CharField(_("課名"), max_length=100, unique=True)
    email = models.EmailField(_("通知先メールアドレス"), blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("課")
        verbose_name_plural = _("課")

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        verbose_name = _("職員アカウント")
        verbose_name_plural = _("職員アカウント")

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

    cidr = models.CharField(_("許可するIP範囲（CIDR）"), max_length=64, unique=True, validators=[validate_cidr])
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cidr"]
        verbose_name = _("許可IP範囲")
        verbose_name_plural = _("許可IP範囲")

    def __str__(self) -> str:
        return self.cidr
