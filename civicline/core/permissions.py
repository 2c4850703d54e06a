"""Who may change what: the write side's one department check (X-3, X-4).

Reads are scoped by ``DepartmentScopedQuerySet.visible_to``; writes ask ``require_department``,
which follows the same ``scope_department_field`` path, so "yours" means the same thing on both
sides. Both checks raise ``NotYourDepartment``; it is a ``PermissionDenied``, so views that report
a service's refusal as an error message keep working, and a view that does not catch it answers 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .models import Department

if TYPE_CHECKING:
    from .models import Staff


class NotYourDepartment(PermissionDenied):
    """The actor may not change this: another department's data, or a system administrator's task."""

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = str(message or _("他の課のデータは変更できません。"))
        super().__init__(self.message)


def department_of(obj: models.Model | None) -> Department | None:
    """The department owning ``obj``: itself, or along its model's ``scope_department_field``."""
    if obj is None or isinstance(obj, Department):
        return obj
    value: Any = obj
    for part in getattr(type(obj), "scope_department_field", "department").split("__"):
        try:
            value = getattr(value, part, None)
        except ObjectDoesNotExist:  # a relation not set yet on an unsaved object
            return None
        if value is None:
            return None
    return value if isinstance(value, Department) else None


def require_department(
    actor: Staff | None, obj_or_department: models.Model, *, message: str | Promise | None = None
) -> None:
    """Refuse unless ``actor`` belongs to the department owning ``obj_or_department``.

    System administrators pass. ``actor=None`` is the system itself (a worker task, a management
    command), which acts for every department. An object with no department belongs to none:
    only a system administrator may change it.
    """
    if actor is None or _is_admin(actor):
        return
    department = department_of(obj_or_department)
    own = getattr(actor, "department_id", None) if getattr(actor, "is_active", False) else None
    if department is None or own is None or own != department.pk:
        raise NotYourDepartment(message)


def require_system_admin(actor: Staff | None, *, message: str | Promise | None = None) -> None:
    """Refuse unless ``actor`` is an active system administrator (or the system itself)."""
    if actor is None or _is_admin(actor):
        return
    raise NotYourDepartment(message or _("システム管理者だけが行えます。"))


def _is_admin(actor: Staff) -> bool:
    # AnonymousUser has no role: getattr keeps a view's unauthenticated user a plain refusal.
    return bool(getattr(actor, "is_system_admin", False))


__all__ = ["NotYourDepartment", "department_of", "require_department", "require_system_admin"]
