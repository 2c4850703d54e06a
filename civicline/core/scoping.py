"""Department scoping in one place (X-4).

Every model holding residents' data for a department uses ``DepartmentScopedQuerySet`` and names
the path to its department in ``scope_department_field``. Views and exports reach such rows only
through ``visible_to(staff)`` / ``access_or_404``; nothing filters by department by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from .models import Staff

M = TypeVar("M", bound=models.Model)


class DepartmentScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, staff: Staff) -> Self:
        if not staff.is_authenticated or not staff.is_active:
            return self.none()
        if staff.is_system_admin:
            return self
        if staff.department_id is None:
            return self.none()
        field = getattr(self.model, "scope_department_field", "department")
        return self.filter(**{field: staff.department_id})


def access_or_404(queryset: DepartmentScopedQuerySet[M], staff: Staff, **lookup: Any) -> M:
    """The one object ``staff`` may see; missing and not-yours answer alike (404)."""
    try:
        return queryset.visible_to(staff).get(**lookup)
    except ObjectDoesNotExist as exc:  # the model's own DoesNotExist, which the types do not know
        raise Http404 from exc
