from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .features import NavItem, all_features, console_banners

CORE_NAV = (
    NavItem(_("ホーム"), "console:home"),
    NavItem(_("監査ログ"), "console:audit-list"),
)
ADMIN_NAV = (
    NavItem(_("課の管理"), "console:department-list", system_admin_only=True),
    NavItem(_("職員アカウント"), "console:staff-list", system_admin_only=True),
    NavItem(_("接続許可IP範囲"), "console:network-list", system_admin_only=True),
)


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    active: bool


def _links(items: list[NavItem], current: str) -> list[NavLink]:
    # "console:staff-list" is the entry for every "console:staff-*" page, so it stays highlighted.
    def active(url_name: str) -> bool:
        section = url_name.rsplit("-", 1)[0] if "-" in url_name else url_name
        return current == url_name or current.startswith(section + "-")

    return [NavLink(i.label, reverse(i.url_name), active(i.url_name)) for i in items]


def console(request: HttpRequest) -> dict:
    if not request.path.startswith("/console/"):
        return {}
    user = getattr(request, "user", None)
    is_admin = bool(user and user.is_authenticated and user.is_system_admin)
    nav = [item for f in all_features() for item in f.nav if is_admin or not item.system_admin_only]
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return {
        "feature_nav": nav,
        "core_nav_links": _links(list(CORE_NAV), current),
        "admin_nav_links": _links(list(ADMIN_NAV), current) if is_admin else [],
        "feature_nav_links": _links(nav, current),
        "city_name": settings.CITY_NAME,
        "console_languages": [(code, dict(settings.LANGUAGES)[code]) for code in settings.CONSOLE_LANGUAGES],
        # Features render their banners from templates (autoescaped); only signed-in staff see them.
        "console_banners": [mark_safe(b) for b in console_banners(request)]  # noqa: S308
        if user is not None and user.is_authenticated
        else [],
    }
