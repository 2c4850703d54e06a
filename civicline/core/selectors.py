"""Reads for the console, already scoped to the staff member asking (X-4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AllowedNetwork, AuditEntry, Department, Staff
from .scoping import access_or_404


@dataclass(frozen=True)
class AuditFilters:
    date_from: date | None = None
    date_to: date | None = None
    actor: Staff | None = None
    department: Department | None = None
    action: str = ""
    text: str = ""


def audit_entry_list_for(*, fetched_by: Staff, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """Entries ``fetched_by`` may see (their department's; everything for the administrator)."""
    f = filters or AuditFilters()
    entries = AuditEntry.objects.visible_to(fetched_by).select_related("actor", "department")
    if f.date_from:
        entries = entries.filter(created_at__gte=_local_midnight(f.date_from))
    if f.date_to:
        entries = entries.filter(created_at__lt=_local_midnight(f.date_to + timedelta(days=1)))
    if f.actor:
        entries = entries.filter(actor=f.actor)
    if f.department:
        entries = entries.filter(department=f.department)
    if f.action:
        entries = entries.filter(action=f.action)
    if f.text:
        entries = entries.filter(
            Q(summary__icontains=f.text)
            | Q(target_repr__icontains=f.text)
            | Q(actor_label__icontains=f.text)
            | Q(client_address__icontains=f.text)
        )
    return entries.order_by("-sequence")


def access_audit_entry(*, fetched_by: Staff, sequence: int) -> AuditEntry:
    return access_or_404(
        AuditEntry.objects.select_related("actor", "department"), fetched_by, sequence=sequence
    )


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def department_list() -> QuerySet[Department]:
    return Department.objects.all()


def department_choices_for(*, fetched_by: Staff) -> QuerySet[Department]:
    """Departments the staff member may filter by: all for the administrator, else their own."""
    if fetched_by.is_system_admin:
        return Department.objects.all()
    if fetched_by.department_id is None:
        return Department.objects.none()
    return Department.objects.filter(pk=fetched_by.department_id)


def staff_list(*, text: str = "", department: Department | None = None) -> QuerySet[Staff]:
    staff = Staff.objects.select_related("department").order_by("department__code", "username")
    if department:
        staff = staff.filter(department=department)
    if text:
        staff = staff.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    return staff


def staff_choices_for(*, fetched_by: Staff) -> QuerySet[Staff]:
    """Staff the staff member may filter the audit log by (their colleagues, or everyone)."""
    if fetched_by.is_system_admin:
        return staff_list()
    if fetched_by.department_id is None:
        return Staff.objects.none()
    return staff_list().filter(department_id=fetched_by.department_id)


def allowed_network_list() -> QuerySet[AllowedNetwork]:
    return AllowedNetwork.objects.all()
