"""Every change to departments, staff accounts and allowed networks, each audited (X-3, X-5, X-15).

Services are keyword-only, run in one transaction and write the audit log with what changed.
They take the acting staff member and, when there is one, the request (for the client address).
"""

from __future__ import annotations

import ipaddress
import secrets
import string
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import Action, audit_record, changes_between
from .middleware import ALLOWED_NETWORKS_CACHE_KEY
from .models import AllowedNetwork, Department, Staff
from .netaddr import whole_families_covered

DEPARTMENT_FIELDS = ("code", "name", "email", "is_active")
STAFF_FIELDS = ("username", "display_name", "email", "department", "role", "is_active")
# No 0/O or 1/l/I: temporary passwords are read off a screen and typed by hand.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def _snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values as the audit log should show them (related objects by their name)."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = str(value) if isinstance(value, models.Model) else value
    return values


def _apply(instance: models.Model, fields: tuple[str, ...], data: Mapping[str, Any]) -> dict:
    """Set the given fields, validate, save, and return the change summary."""
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    before = _snapshot(instance, fields)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=["password"])
    instance.save()
    return changes_between(before, _snapshot(instance, fields))


def _random_password(length: int = 14) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


# --- departments -------------------------------------------------------------------------------


@transaction.atomic
def department_create(
    *,
    actor: Staff,
    request: HttpRequest | None = None,
    code: str,
    name: str,
    email: str = "",
    is_active: bool = True,
) -> Department:
    department = Department(code=code, name=name, email=email, is_active=is_active)
    department.full_clean()
    department.save()
    audit_record(
        action=Action.CREATE,
        actor=actor,
        request=request,
        target=department,
        summary=_("課を作成"),
        changes=changes_between({}, _snapshot(department, DEPARTMENT_FIELDS)),
    )
    return department


@transaction.atomic
def department_update(
    *, department: Department, actor: Staff, request: HttpRequest | None = None, data: Mapping[str, Any]
) -> Department:
    # A fresh copy: a bound ModelForm has already changed the caller's instance in memory.
    department = Department.objects.select_for_update().get(pk=department.pk)
    changes = _apply(department, DEPARTMENT_FIELDS, data)
    if changes:
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            request=request,
            target=department,
            summary=_("課を変更"),
            changes=changes,
        )
    return department


# --- staff accounts ----------------------------------------------------------------------------


def _ensure_an_admin_remains(staff: Staff) -> None:
    """Refuse a change that would leave the city with no active system administrator (X-3)."""
    others = Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, is_active=True).exclude(pk=staff.pk)
    if not others.exists():
        raise ValidationError(_("有効なシステム管理者が1人もいなくなるため、この変更はできません。"))


@transaction.atomic
def staff_create(
    *,
    actor: Staff,
    request: HttpRequest | None = None,
    username: str,
    display_name: str,
    department: Department | None,
    role: str = Staff.Role.DEPARTMENT_STAFF,
    email: str = "",
) -> tuple[Staff, str]:
    """Create an account with a temporary password, returned once to show to the administrator."""
    password = _random_password()
    staff = Staff(
        username=username,
        display_name=display_name,
        department=department,
        role=role,
        email=email,
        must_change_password=True,
    )
    staff.set_password(password)
    staff.full_clean()
    staff.save()
    audit_record(
        action=Action.CREATE,
        actor=actor,
        request=request,
        target=staff,
        summary=_("職員アカウントを作成"),
        changes=changes_between({}, _snapshot(staff, STAFF_FIELDS)),
    )
    return staff, password


@transaction.atomic
def staff_update(
    *, staff: Staff, actor: Staff, request: HttpRequest | None = None, data: Mapping[str, Any]
) -> Staff:
    # A fresh copy: a bound ModelForm has already changed the caller's instance in memory.
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if staff.is_system_admin and (
        data.get("role", staff.role) != Staff.Role.SYSTEM_ADMIN or not data.get("is_active", True)
    ):
        _ensure_an_admin_remains(staff)
    changes = _apply(staff, STAFF_FIELDS, data)
    if changes:
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            request=request,
            target=staff,
            summary=_("職員アカウントを変更"),
            changes=changes,
        )
    return staff


def _set_active(*, staff: Staff, actor: Staff, request: HttpRequest | None, active: bool) -> Staff:
    if not active and staff.pk == actor.pk:
        raise ValidationError(_("自分自身のアカウントは無効にできません。"))
    if not active and staff.is_system_admin:
        _ensure_an_admin_remains(staff)
    if staff.is_active == active:
        return staff
    staff.is_active = active
    staff.save(update_fields=["is_active"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        request=request,
        target=staff,
        summary=_("アカウントを有効化") if active else _("アカウントを無効化"),
        changes=changes_between({"is_active": not active}, {"is_active": active}),
    )
    return staff


@transaction.atomic
def staff_disable(*, staff: Staff, actor: Staff, request: HttpRequest | None = None) -> Staff:
    """The account can no longer log in (its open sessions end too); its history stays."""
    return _set_active(staff=staff, actor=actor, request=request, active=False)


@transaction.atomic
def staff_enable(*, staff: Staff, actor: Staff, request: HttpRequest | None = None) -> Staff:
    return _set_active(staff=staff, actor=actor, request=request, active=True)


@transaction.atomic
def staff_reset_password(*, staff: Staff, actor: Staff, request: HttpRequest | None = None) -> str:
    """Set a temporary password, returned once; the staff member must choose a new one at login."""
    password = _random_password()
    staff.set_password(password)
    staff.must_change_password = True
    staff.save(update_fields=["password", "must_change_password"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        request=request,
        target=staff,
        summary=_("パスワードを初期化（仮パスワードを発行）"),
    )
    return password


@transaction.atomic
def staff_reset_totp(*, staff: Staff, actor: Staff, request: HttpRequest | None = None) -> int:
    """Remove the staff member's authenticator; they register a new one at their next login."""
    count, _unused = TOTPDevice.objects.filter(user=staff).delete()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        request=request,
        target=staff,
        summary=_("二要素認証（認証アプリ）の登録を解除"),
        changes={"removed_devices": count},
    )
    return count


@transaction.atomic
def staff_change_password(*, staff: Staff, new_password: str, request: HttpRequest | None = None) -> Staff:
    validate_password(new_password, user=staff)
    staff.set_password(new_password)
    staff.must_change_password = False
    staff.save(update_fields=["password", "must_change_password"])
    audit_record(
        action=Action.UPDATE, actor=staff, request=request, target=staff, summary=_("パスワードを変更")
    )
    return staff


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, request: HttpRequest | None = None) -> TOTPDevice:
    """Mark a newly registered authenticator as confirmed after its first correct code."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        action=Action.CREATE,
        actor=device.user,
        request=request,
        target=device.user,
        summary=_("二要素認証（認証アプリ）を登録"),
    )
    return device


# --- console allowlist -------------------------------------------------------------------------


def _normalised_cidr(cidr: str) -> str:
    """ "10.1.2.3/16" becomes "10.1.0.0/16", so one range cannot be stored twice under two spellings."""
    try:
        return str(ipaddress.ip_network(cidr.strip(), strict=False))
    except ValueError:
        return cidr.strip()  # left for the model's validator to reject with its message


def _forget_cached_networks() -> None:
    # Cleared now (so this process sees the change at once) and again after commit (so a request
    # that re-read the old list meanwhile does not keep it for the cache's lifetime).
    cache.delete(ALLOWED_NETWORKS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(ALLOWED_NETWORKS_CACHE_KEY))


@transaction.atomic
def allowed_network_add(
    *, actor: Staff, request: HttpRequest | None = None, cidr: str, note: str = ""
) -> AllowedNetwork:
    network = AllowedNetwork(cidr=_normalised_cidr(cidr), note=note)
    network.full_clean()
    existing = [*settings.CONSOLE_ALLOWED_NETWORKS, *AllowedNetwork.objects.values_list("cidr", flat=True)]
    if whole_families_covered([*existing, network.cidr]):
        # Split into parts or not, letting every address in is turning the allowlist off.
        raise ValidationError(
            _("この範囲を加えると、すべてのIPアドレスから管理画面に接続できるようになるため追加できません。")
        )
    network.save()
    audit_record(
        action=Action.CREATE,
        actor=actor,
        request=request,
        target=network,
        summary=_("管理画面への接続を許可するIP範囲を追加"),
        changes={"cidr": network.cidr, "note": note},
    )
    _forget_cached_networks()
    return network


@transaction.atomic
def allowed_network_delete(
    *, network: AllowedNetwork, actor: Staff, request: HttpRequest | None = None
) -> None:
    audit_record(
        action=Action.DELETE,
        actor=actor,
        request=request,
        target=network,
        summary=_("管理画面への接続を許可するIP範囲を削除"),
        changes={"cidr": network.cidr},
    )
    network.delete()
    _forget_cached_networks()


# --- audit log ---------------------------------------------------------------------------------


def audit_export_record(*, actor: Staff, request: HttpRequest | None, filters: Mapping[str, Any]) -> None:
    """Exports are themselves audited: who took which part of the log out (X-15)."""
    described = {
        key: str(value) if isinstance(value, models.Model) else value
        for key, value in filters.items()
        if value not in (None, "")
    }
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        request=request,
        summary=_("監査ログをCSVでエクスポート"),
        changes={"filters": described},
    )
