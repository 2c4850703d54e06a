"""Reads of the rich menu console, and who may do what with the account's menus.

Menus are account-wide (every friend sees the same menu), so every staff member may look at them;
changing them is for the system administrator and the departments the administrator granted it
(``MenuEditorGrant``), see ``models``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from civicline.core import languages
from civicline.core.models import Staff
from civicline.line.models import PreviewRecipient
from civicline.line.preview import preview_recipient_list_for

from .models import (
    AccountMenuState,
    EmergencySwitch,
    Menu,
    MenuEditorGrant,
    MenuPreview,
    MenuTab,
    MenuVersion,
)

# A switch that has not moved for this long was interrupted (the worker stopped): it may be resumed.
SWITCH_STALE_AFTER = timedelta(minutes=5)


def _active(staff: Staff) -> bool:
    return bool(staff.is_authenticated and staff.is_active)


def _grant_scope(staff: Staff) -> str | None:
    if not _active(staff) or staff.department_id is None:
        return None
    grant = MenuEditorGrant.objects.filter(department_id=staff.department_id).only("scope").first()
    return grant.scope if grant else None


def can_edit(staff: Staff) -> bool:
    """Edit, preview, publish, roll back (and switch the emergency menu)."""
    return _active(staff) and (staff.is_system_admin or _grant_scope(staff) == MenuEditorGrant.Scope.EDIT)


def can_switch_emergency(staff: Staff) -> bool:
    return _active(staff) and (staff.is_system_admin or _grant_scope(staff) is not None)


def account_state() -> AccountMenuState:
    return AccountMenuState.objects.get_or_create(pk=1)[0]


def emergency_menu_on() -> bool:
    return AccountMenuState.objects.filter(pk=1, emergency_menu__isnull=False).exists()


def _live_versions() -> Prefetch:
    return Prefetch("versions", queryset=MenuVersion.objects.filter(is_live=True), to_attr="live_versions")


def menu_list_for(*, fetched_by: Staff) -> QuerySet[Menu]:
    if not _active(fetched_by):
        return Menu.objects.none()
    return Menu.objects.prefetch_related("tabs__tiles", _live_versions())


def access_menu(*, fetched_by: Staff, pk: int) -> Menu:
    menu = menu_list_for(fetched_by=fetched_by).filter(pk=pk).first()
    if menu is None:
        raise Http404
    return menu


def access_tab(*, fetched_by: Staff, menu: Menu, position: int) -> MenuTab:
    tab = menu.tabs.filter(position=position).prefetch_related("tiles").first()
    if tab is None or not _active(fetched_by):
        raise Http404
    return tab


def access_version(*, fetched_by: Staff, pk: int) -> MenuVersion:
    version = MenuVersion.objects.filter(pk=pk).select_related("menu").first()
    if version is None or not _active(fetched_by):
        raise Http404
    return version


def language_menus(version: MenuVersion) -> list[dict[str, Any]]:
    """Per language drawn in ``version``: its name, its tabs, and the languages that share it."""
    names = languages.names()
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "tabs": version.tabs_in(code),
            "shared_by": [
                names.get(other, other)
                for other, seen in version.seen_as.items()
                if seen == code and other != code
            ],
        }
        for code in version.menu_languages
    ]


def live_version(menu: Menu) -> MenuVersion | None:
    return menu.versions.filter(is_live=True).prefetch_related("tabs").first()


def version_list(menu: Menu) -> QuerySet[MenuVersion]:
    return menu.versions.select_related("published_by", "restored_from").prefetch_related("tabs")


def rollback_target(menu: Menu) -> MenuVersion | None:
    """The version published before the live one: what "roll back" restores."""
    live = live_version(menu)
    if live is None:
        return None
    return menu.versions.filter(number__lt=live.number).order_by("-number").first()


def prepared_emergency_menus() -> QuerySet[Menu]:
    """Emergency menus already on LINE (published), ready to be switched on in one action."""
    return Menu.objects.filter(purpose=Menu.Purpose.EMERGENCY, versions__is_live=True).distinct()


def switch_list(limit: int = 20) -> QuerySet[EmergencySwitch]:
    return EmergencySwitch.objects.select_related("requested_by")[:limit]


def running_switch() -> EmergencySwitch | None:
    return EmergencySwitch.objects.filter(status=EmergencySwitch.Status.RUNNING).first()


def stale_switches() -> QuerySet[EmergencySwitch]:
    return EmergencySwitch.objects.filter(
        status=EmergencySwitch.Status.RUNNING, updated_at__lt=timezone.now() - SWITCH_STALE_AFTER
    )


def is_stale(switch: EmergencySwitch) -> bool:
    return (
        switch.status == EmergencySwitch.Status.RUNNING
        and switch.updated_at < timezone.now() - SWITCH_STALE_AFTER
    )


def test_devices_for(*, fetched_by: Staff) -> QuerySet[PreviewRecipient]:
    return preview_recipient_list_for(fetched_by=fetched_by)


def active_previews(menu: Menu) -> QuerySet[MenuPreview]:
    return menu.previews.filter(is_active=True).select_related("recipient", "recipient__friend")


def grant_list_for(*, fetched_by: Staff) -> QuerySet[MenuEditorGrant]:
    if not (_active(fetched_by) and fetched_by.is_system_admin):
        return MenuEditorGrant.objects.none()
    return MenuEditorGrant.objects.select_related("department", "granted_by")
