"""Reads of the alerts feature: the timeline, the banner, and who may press its buttons.

Alerts are public information about the whole city: every staff member may read them.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from civicline.core.models import Staff

from .models import AlertAction, AlertEvent, AlertReport, AlertSettings, AreaCode, FeedState, Policy

# A situation stays on the console's banner this long after its last report (an earthquake's
# reports never "lift").
BANNER_HOURS = 24


def _active(staff: Staff) -> bool:
    return bool(staff.is_authenticated and staff.is_active)


def can_act(staff: Staff) -> bool:
    """Carry out, dismiss or undo an action: the system administrator and the responsible department."""
    if not _active(staff):
        return False
    if staff.is_system_admin:
        return True
    department_id = AlertSettings.current().department_id
    return department_id is not None and staff.department_id == department_id


def event_list_for(*, fetched_by: Staff) -> QuerySet[AlertEvent]:
    if not _active(fetched_by):
        return AlertEvent.objects.none()
    # Ordered here: Meta.ordering is not applied to a query with an aggregate.
    return AlertEvent.objects.annotate(
        waiting=Count("actions", filter=Q(actions__status=AlertAction.Status.SUGGESTED))
    ).order_by("-updated_at", "-pk")


def access_event(*, fetched_by: Staff, pk: int) -> AlertEvent:
    event = event_list_for(fetched_by=fetched_by).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def access_action(*, fetched_by: Staff, pk: int) -> AlertAction:
    if not _active(fetched_by):
        raise Http404
    action = AlertAction.objects.select_related("event").filter(pk=pk).first()
    if action is None:
        raise Http404
    return action


def report_list(event: AlertEvent) -> QuerySet[AlertReport]:
    return event.reports.order_by("received_at", "pk")


def action_list(event: AlertEvent) -> QuerySet[AlertAction]:
    return event.actions.select_related("done_by", "reverted_by", "policy")


def current_events() -> QuerySet[AlertEvent]:
    """Situations in force for the banner: open, at a level, and heard of within BANNER_HOURS."""
    since = timezone.now() - timedelta(hours=BANNER_HOURS)
    return (
        AlertEvent.objects.filter(closed_at__isnull=True, level__gt=0, updated_at__gte=since)
        .annotate(waiting=Count("actions", filter=Q(actions__status=AlertAction.Status.SUGGESTED)))
        .order_by("-updated_at", "-pk")
    )


def area_code_list() -> QuerySet[AreaCode]:
    return AreaCode.objects.all()


def access_area_code(*, fetched_by: Staff, pk: int) -> AreaCode:
    if not (_active(fetched_by) and fetched_by.is_system_admin):
        raise Http404
    found = AreaCode.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def policy_list() -> QuerySet[Policy]:
    return Policy.objects.all()


def access_policy(*, fetched_by: Staff, pk: int) -> Policy:
    if not (_active(fetched_by) and fetched_by.is_system_admin):
        raise Http404
    found = Policy.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def feed_states() -> QuerySet[FeedState]:
    return FeedState.objects.order_by("url")
