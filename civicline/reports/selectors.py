"""Reads of photo reports, scoped to the caller: staff see their department's reports (the system
administrator sees all, and the triage queue); residents see their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.core.features import HistoryItem
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.line.direct import direct_message_list_for
from civicline.line.models import Friend

from .models import Category, Report, ReportEvent, ReportPhoto, Status, TalkDraft

HISTORY_LIMIT = 20
MAP_LIMIT = 2000


@dataclass(frozen=True)
class ReportFilters:
    status: str = ""
    category: Category | None = None
    triage: bool = False  # only reports no department has yet


def report_list_for(*, fetched_by: Staff, filters: ReportFilters = ReportFilters()) -> QuerySet[Report]:
    reports = (
        Report.objects.visible_to(fetched_by)
        .select_related("category", "department", "area")
        .annotate(photo_count=Count("photos"))
    )
    if filters.triage:
        reports = reports.filter(department__isnull=True)
    if filters.status:
        reports = reports.filter(status=filters.status)
    if filters.category is not None:
        reports = reports.filter(category=filters.category)
    return reports.order_by("-created_at", "-pk")


def triage_count_for(*, fetched_by: Staff) -> int:
    if not fetched_by.is_system_admin:
        return 0
    return (
        Report.objects.visible_to(fetched_by).filter(department__isnull=True, status=Status.RECEIVED).count()
    )


def access_report(*, fetched_by: Staff, pk: int) -> Report:
    return access_or_404(
        Report.objects.select_related("category", "department", "area", "friend"), fetched_by, pk=pk
    )


def access_report_photo(*, fetched_by: Staff, report_pk: int, pk: int) -> ReportPhoto:
    return access_or_404(ReportPhoto.objects.select_related("report"), fetched_by, pk=pk, report_id=report_pk)


def map_points(reports: QuerySet[Report]) -> list[dict[str, Any]]:
    """What the inbox map draws: no resident data, only where, what and how far along."""
    rows = reports.filter(latitude__isnull=False, longitude__isnull=False)[:MAP_LIMIT]
    return [
        {
            "id": r.pk,
            "lat": r.latitude,
            "lng": r.longitude,
            "number": r.receipt_number,
            "category": r.category.name,
            "status": r.status,
            "statusLabel": r.get_status_display(),
            "url": reverse("reports:report-detail", args=[r.pk]),
        }
        for r in rows
    ]


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str
    kind_label: str
    summary: str
    actor: str
    text: str


def report_history(*, report: Report) -> list[HistoryLine]:
    """The report's events, oldest first (messages to the reporter are events too, with their text)."""
    events = ReportEvent.objects.filter(report=report).select_related("actor").order_by("created_at", "pk")
    return [
        HistoryLine(
            at=e.created_at,
            kind=e.kind,
            kind_label=e.get_kind_display(),
            summary=e.summary,
            actor=str(e.actor) if e.actor else "",
            text=e.text,
        )
        for e in events
    ]


def report_messages(*, report: Report) -> QuerySet:
    """The messages sent to the reporter, with their delivery state (from the line app's log)."""
    return direct_message_list_for(record=report)


def resident_history(*, fetched_by: Staff, friend: Friend, department: Department) -> list[HistoryItem]:
    """The resident's reports at ``department``, for staff talking with them (newest first)."""
    reports = (
        Report.objects.visible_to(fetched_by)
        .filter(friend=friend, department=department)
        .select_related("category")
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    return [
        HistoryItem(
            at=r.created_at,
            kind=_("通報"),
            title=r.category.name,
            number=r.receipt_number,
            status=r.get_status_display(),
            url=reverse("reports:report-detail", args=[r.pk]),
        )
        for r in reports
    ]


# --- residents ------------------------------------------------------------------------------------


def categories_for_residents() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("order", "pk")


def pending_photos_of(*, friend: Friend) -> QuerySet[ReportPhoto]:
    return ReportPhoto.objects.filter(friend=friend, report__isnull=True).order_by("created_at", "pk")


def talk_draft_of(*, friend: Friend) -> TalkDraft | None:
    return TalkDraft.objects.filter(friend=friend).first()


def resident_reports(*, friend: Friend) -> QuerySet[Report]:
    return Report.objects.filter(friend=friend).select_related("category").order_by("-created_at", "-pk")


def resident_report(*, friend: Friend, receipt_number: str) -> Report:
    """One of the resident's own reports; another's number answers like a missing one (404)."""
    return get_object_or_404(resident_reports(friend=friend), receipt_number=receipt_number)
