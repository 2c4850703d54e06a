"""Every change to departments, staff accounts and allowed networks, each audited (X-3, X-5, X-15).

Services are keyword-only, run in one transaction, check the actor's right first and write through
the audited helpers of ``civicline.core.audit``; the audit context supplies the request.
"""

from __future__ import annotations

import ipaddress
import secrets
import string
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import Action, audit_record, audited_change, audited_create, audited_delete, audited_update
from .middleware import ALLOWED_NETWORKS_CACHE_KEY
from .models import AllowedNetwork, Department, Staff
from .netaddr import whole_families_covered
from .permissions import require_system_admin
from .translations import cleaned

DEPARTMENT_FIELDS = ("code", "name", "email", "is_active", "translations")
STAFF_FIELDS = ("username", "display_name", "email", "department", "role", "is_active")
NETWORK_FIELDS = ("cidr", "note")
# No 0/O or 1/l/I: temporary passwords are read off a screen and typed by hand.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def _random_password(length: int = 14) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


# --- departments -------------------------------------------------------------------------------


@transaction.atomic
def department_create(
    *,
    actor: Staff | None,
    code: str,
    name: str,
    email: str = "",
    is_active: bool = True,
    translations: Mapping[str, Any] | None = None,
) -> Department:
    require_system_admin(actor)
    department = Department(
        code=code, name=name, email=email, is_active=is_active, translations=cleaned(translations)
    )
    return audited_create(actor=actor, obj=department, summary=_("課を作成"), fields=DEPARTMENT_FIELDS)


@transaction.atomic
def department_update(*, department: Department, actor: Staff, data: Mapping[str, Any]) -> Department:
    require_system_admin(actor)
    # A fresh copy: a bound ModelForm has already changed the caller's instance in memory.
    department = Department.objects.select_for_update().get(pk=department.pk)
    return audited_update(
        actor=actor, obj=department, data=data, summary=_("課を変更"), fields=DEPARTMENT_FIELDS
    )


# --- staff accounts ----------------------------------------------------------------------------


def _ensure_an_admin_remains(staff: Staff) -> None:
    """Refuse a change that would leave the city with no active system administrator (X-3)."""
    others = Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, is_active=True).exclude(pk=staff.pk)
    if not others.exists():
        raise ValidationError(_("有効なシステム管理者が1人もいなくなるため、この変更はできません。"))


@transaction.atomic
def staff_create(
    *,
    actor: Staff | None,
    username: str,
    display_name: str,
    department: Department | None,
    role: str = Staff.Role.DEPARTMENT_STAFF,
    email: str = "",
) -> tuple[Staff, str]:
    """Create an account with a temporary password, returned once to show to the administrator."""
    require_system_admin(actor)
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
    audited_create(actor=actor, obj=staff, summary=_("職員アカウントを作成"), fields=STAFF_FIELDS)
    return staff, password


@transaction.atomic
def staff_update(*, staff: Staff, actor: Staff, data: Mapping[str, Any]) -> Staff:
    require_system_admin(actor)
    # A fresh copy: a bound ModelForm has already changed the caller's instance in memory.
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if staff.is_system_admin and (
        data.get("role", staff.role) != Staff.Role.SYSTEM_ADMIN or not data.get("is_active", True)
    ):
        _ensure_an_admin_remains(staff)
    return audited_update(
        actor=actor, obj=staff, data=data, summary=_("職員アカウントを変更"), fields=STAFF_FIELDS
    )


def _set_active(*, staff: Staff, actor: Staff, active: bool) -> Staff:
    require_system_admin(actor)
    if not active and staff.pk == actor.pk:
        raise ValidationError(_("自分自身のアカウントは無効にできません。"))
    if not active and staff.is_system_admin:
        _ensure_an_admin_remains(staff)
    summary = _("アカウントを有効化") if active else _("アカウントを無効化")
    with audited_change(actor=actor, obj=staff, summary=summary, fields=["is_active"]):
        if staff.is_active != active:
            staff.is_active = active
            staff.save(update_fields=["is_active"])
    return staff


@transaction.atomic
def staff_disable(*, staff: Staff, actor: Staff) -> Staff:
    """The account can no longer log in (its open sessions end too); its history stays."""
    return _set_active(staff=staff, actor=actor, active=False)


@transaction.atomic
def staff_enable(*, staff: Staff, actor: Staff) -> Staff:
    return _set_active(staff=staff, actor=actor, active=True)


@transaction.atomic
def staff_reset_password(*, staff: Staff, actor: Staff) -> str:
    """Set a temporary password, returned once; the staff member must choose a new one at login."""
    require_system_admin(actor)
    password = _random_password()
    staff.set_password(password)
    staff.must_change_password = True
    staff.save(update_fields=["password", "must_change_password"])
    audit_record(
        action=Action.UPDATE, actor=actor, target=staff, summary=_("パスワードを初期化（仮パスワードを発行）")
    )
    return password


@transaction.atomic
def staff_reset_totp(*, staff: Staff, actor: Staff) -> int:
    """Remove the staff member's authenticator; they register a new one at their next login."""
    require_system_admin(actor)
    count, _unused = TOTPDevice.objects.filter(user=staff).delete()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=staff,
        summary=_("二要素認証（認証アプリ）の登録を解除"),
        changes={"removed_devices": count},
    )
    return count


@transaction.atomic
def staff_change_password(*, staff: Staff, new_password: str) -> Staff:
    validate_password(new_password, user=staff)
    staff.set_password(new_password)
    staff.must_change_password = False
    staff.save(update_fields=["password", "must_change_password"])
    audit_record(action=Action.UPDATE, actor=staff, target=staff, summary=_("パスワードを変更"))
    return staff


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice) -> TOTPDevice:
    """Mark a newly registered authenticator as confirmed after its first correct code."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    summary = _("二要素認証（認証アプリ）を登録")
    audit_record(action=Action.CREATE, actor=device.user, target=device.user, summary=summary)
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
def allowed_network_add(*, actor: Staff, cidr: str, note: str = "") -> AllowedNetwork:
    require_system_admin(actor)
    network = AllowedNetwork(cidr=_normalised_cidr(cidr), note=note)
    network.full_clean()
    existing = [*settings.CONSOLE_ALLOWED_NETWORKS, *AllowedNetwork.objects.values_list("cidr", flat=True)]
    if whole_families_covered([*existing, network.cidr]):
        # Split into parts or not, letting every address in is turning the allowlist off.
        raise ValidationError(
            _("この範囲を加えると、すべてのIPアドレスから管理画面に接続できるようになるため追加できません。")
        )
    audited_create(
        actor=actor, obj=network, summary=_("管理画面への接続を許可するIP範囲を追加"), fields=NETWORK_FIELDS
    )
    _forget_cached_networks()
    return network


@transaction.atomic
def allowed_network_delete(*, network: AllowedNetwork, actor: Staff) -> None:
    require_system_admin(actor)
    audited_delete(
        actor=actor, obj=network, summary=_("管理画面への接続を許可するIP範囲を削除"), fields=NETWORK_FIELDS
    )
    _forget_cached_networks()


# --- audit log ---------------------------------------------------------------------------------


def audit_export_record(*, actor: Staff, filters: Mapping[str, Any]) -> None:
    """Exports are themselves audited: who took which part of the log out (X-15)."""
    described = {
        key: str(value) if isinstance(value, models.Model) else value
        for key, value in filters.items()
        if value not in (None, "")
    }
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        summary=_("監査ログをCSVでエクスポート"),
        changes={"filters": described},
    )
