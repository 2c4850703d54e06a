"""The feature registry: features describe themselves here; core never imports a feature.

A feature package registers one ``Feature`` in its ``AppConfig.ready()``. Core reads the registry
to mount console and LIFF URLs and to build the console navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    system_admin_only: bool = False


@dataclass(frozen=True)
class HistoryItem:
    """One of a resident's records, as staff see it beside a conversation with that resident."""

    at: datetime
    kind: str | Promise  # 「予約」「通報」…
    title: str
    number: str = ""  # the receipt number
    status: str = ""
    url: str = ""  # the record's console page


@dataclass(frozen=True)
class MenuAction:
    """Something a rich-menu tile can do for a feature (RM-6): open a resident page or send a postback.

    Give exactly one of ``liff_path`` (a resident page such as "/liff/reservations/", opened inside
    LINE through the LIFF app), ``uri`` (any other page) or ``postback`` (data in the
    ``feature=<key>&action=<name>`` convention, answered by the feature's handler). ``icon`` names
    the rich-menu editor's suggested icon; the editor ignores names it does not know.
    """

    key: str
    label: str | Promise
    liff_path: str = ""
    uri: str = ""
    postback: str = ""
    icon: str = ""


@dataclass(frozen=True)
class Feature:
    key: str
    label: str | Promise
    console_urls: str | None = None  # dotted module with urlpatterns and app_name, mounted at /console/<key>/
    liff_urls: str | None = None  # mounted at /liff/<key>/
    nav: tuple[NavItem, ...] = field(default_factory=tuple)
    # Called by the demo (idempotently) to give the demo city this feature's sample data.
    demo_seed: Callable[[], None] | None = None
    # A section of the resident's own page (/liff/): HTML about ``request.resident`` only, or "" for none.
    liff_summary: Callable[[HttpRequest], str] | None = None
    # What staff may put on the rich menu for this feature (the editor lists them by label).
    menu_actions: tuple[MenuAction, ...] = field(default_factory=tuple)
    # ``resident_history(fetched_by=staff, friend=friend, department=department)``: the resident's
    # records of that department that ``staff`` may see, as ``HistoryItem``s.
    resident_history: Callable[..., list[HistoryItem]] | None = None
    # Whether this feature's state says the city is in an emergency (the emergency menu is on, a
    # disaster kind is set…); emergency answers then take precedence over every other talk flow.
    emergency_active: Callable[[], bool] | None = None


_features: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    if feature.key in _features and _features[feature.key] != feature:
        raise ValueError(f"feature {feature.key!r} registered twice")
    _features[feature.key] = feature
    return feature


def all_features() -> list[Feature]:
    return list(_features.values())


def city_in_emergency() -> bool:
    """True while any feature reports an emergency (so no feature needs to import another)."""
    return any(f.emergency_active() for f in _features.values() if f.emergency_active is not None)
