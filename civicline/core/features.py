"""The feature registry: features describe themselves here; core never imports a feature.

A feature package registers one ``Feature`` in its ``AppConfig.ready()``. Core reads the registry
to mount console and LIFF URLs and to build the console navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.functional import Promise

if TYPE_CHECKING:
    from .models import Staff


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
class EmergencyRequest:
    """What the city's alert policy asks a feature to do, and why (an official alert, RM-4/MP-4/SD-*).

    ``actor`` is the staff member who pressed 実行 on a suggested action, or None when the policy
    acts by itself: the feature then acts on the city's behalf without a staff member's grants
    (the system administrator set the policy) and audits with ``actor_label``.
    ``prepare_only``: make it ready for staff (a delivery left as a draft) instead of doing it.
    """

    title: str  # the alert as residents would read it (「大雨特別警報」)
    text: str  # the message prepared from the city's template
    disaster_kind: str  # facilities' DisasterKind value the alert means ("" when none applies)
    area_names: tuple[str, ...] = ()  # residents' areas (受信設定) affected; empty: the whole city
    everyone: bool = False  # reach every friend, the affected areas first
    department_id: int | None = None  # the department that owns what is made (危機管理課…)
    topic_name: str = ""  # the topic whose residents are reached first (防災)
    prepare_only: bool = False
    actor: Staff | None = None
    actor_label: str = ""


@dataclass(frozen=True)
class EmergencyOutcome:
    """What a feature did: a line for the timeline, the data its ``undo`` needs, a console link."""

    summary: str
    undo_data: dict[str, Any] | None = None  # None: nothing to undo (already so, or not undoable)
    url: str = ""


@dataclass(frozen=True)
class EmergencyAction:
    """Something a feature can do when an official alert concerns the city, run by the alerts policy.

    ``run`` raises ``ValidationError``/``PermissionDenied`` with a message for staff when it cannot;
    ``undo(data, actor, actor_label)`` puts back what ``run`` changed and returns a line for the
    timeline. Registered in the feature's manifest, so the policy never imports the feature.
    """

    key: str
    label: str | Promise
    run: Callable[[EmergencyRequest], EmergencyOutcome]
    undo: Callable[[dict[str, Any], Staff | None, str], str] | None = None
    order: int = 100  # the order actions run in (a menu switch before a delivery that mentions it)
    # "suggest" runs it with ``prepare_only`` (a delivery's draft is made); else it waits for staff.
    prepares: bool = False
    # Acts again when a situation reaches a higher policy's level (a new message); else once.
    per_level: bool = False


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
    # What this feature can do when an official alert concerns the city (see ``EmergencyAction``).
    emergency_actions: tuple[EmergencyAction, ...] = field(default_factory=tuple)
    # HTML shown at the top of every console page for ``request.user`` (an alert in force…), or "".
    console_banner: Callable[[HttpRequest], str] | None = None


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


def emergency_actions() -> dict[str, EmergencyAction]:
    """Every feature's emergency actions by key, in the order they run."""
    found = [a for f in _features.values() for a in f.emergency_actions]
    return {a.key: a for a in sorted(found, key=lambda a: (a.order, a.key))}


def console_banners(request: HttpRequest) -> list[str]:
    """The banners features show at the top of the console for this request (HTML, already escaped)."""
    banners = []
    for feature in _features.values():
        if feature.console_banner is not None:
            html = feature.console_banner(request)
            if html:
                banners.append(html)
    return banners
