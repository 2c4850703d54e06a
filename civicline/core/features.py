"""The feature registry: features describe themselves here; core never imports a feature.

A feature package declares everything it contributes in one manifest, ``FEATURE = Feature(...)`` in
its ``feature`` module, and its app config (a ``FeatureConfig``) registers it when Django is ready.
Importing a feature's modules registers nothing: core and the line app read the manifests to mount
console and LIFF URLs, build the console navigation and the LINE dispatch, and ``register`` is the
one place that hands a manifest's signals, system checks and worker jobs to Django and Huey.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.core import checks
from django.http import HttpRequest
from django.utils.functional import Promise
from huey.contrib.djhuey import HUEY, db_periodic_task

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
    # ``text`` in residents' other languages, {language: {"text": …}} (issue 21): each resident
    # gets theirs by the city's fallbacks; a language without one gets the fallback's.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


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


DEFAULT_HANDLER_PRIORITY = 100


@dataclass(frozen=True)
class OnEvent:
    """Run ``handler`` for every LINE event of ``event_type`` ("follow", "message", …); lower
    ``priority`` first, then in the order the manifests list them (see ``civicline.line.registry``)."""

    event_type: str
    handler: Callable[[Any], Any]
    priority: int = DEFAULT_HANDLER_PRIORITY


@dataclass(frozen=True)
class OnText:
    """Route a text message matching ``pattern`` (``re.search``) to ``handler``: the first match by
    priority, then manifest order, takes it."""

    pattern: str | re.Pattern[str]
    handler: Callable[[Any], Any]
    priority: int = DEFAULT_HANDLER_PRIORITY


@dataclass(frozen=True)
class OnPostback:
    """Route postbacks ``feature=<feature>[&action=<action>]`` to ``handler``; a per-action handler
    wins over one for the whole feature (``action=""``)."""

    feature: str
    handler: Callable[[Any], Any]
    action: str = ""


LineHandler = OnEvent | OnText | OnPostback


@dataclass(frozen=True)
class PeriodicTask:
    """A job the worker runs on a schedule: ``schedule(datetime)`` says whether it is due (Huey's
    ``crontab(...)`` or any such function). ``run`` is a plain function; ``register`` makes it
    Huey's periodic task under the function's own module and name."""

    run: Callable[[], None]
    schedule: Callable[[datetime], bool]


@dataclass(frozen=True)
class SystemCheck:
    """A Django system check (``manage.py check``); ``deploy``: only with ``--deploy``."""

    run: Callable[..., list[checks.CheckMessage]]
    tags: tuple[str, ...] = ()
    deploy: bool = False


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
    # Given line's ResidentRequest, which core may not name (it imports no other package).
    liff_summary: Callable[..., str] | None = None
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
    # The LINE events this feature answers, read by the line app's dispatch.
    line_handlers: tuple[LineHandler, ...] = field(default_factory=tuple)
    # What an event of a type gets when no feature handled it (the line app's greeting…).
    line_default_replies: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    # Audience conditions this feature offers segments (``civicline.delivery.conditions.ConditionType``).
    segment_conditions: tuple[Any, ...] = field(default_factory=tuple)
    periodic_tasks: tuple[PeriodicTask, ...] = field(default_factory=tuple)
    # Run by each worker as it starts (before it takes jobs), e.g. to fill a cache.
    worker_startup: tuple[Callable[[], None], ...] = field(default_factory=tuple)
    # Functions that connect this feature's Django signal receivers (with a ``dispatch_uid``).
    signals: tuple[Callable[[], None], ...] = field(default_factory=tuple)
    system_checks: tuple[SystemCheck, ...] = field(default_factory=tuple)


_features: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    """Make ``feature`` known, and hand what it lists to Django and the worker (once per feature)."""
    known = _features.get(feature.key)
    if known is not None:
        if known != feature:
            raise ValueError(f"feature {feature.key!r} registered twice")
        return known
    for connect in feature.signals:
        connect()
    for check in feature.system_checks:
        checks.register(check.run, *check.tags, deploy=check.deploy)
    for job in feature.periodic_tasks:
        db_periodic_task(job.schedule)(job.run)
    for startup in feature.worker_startup:
        HUEY.on_startup()(startup)
    _features[feature.key] = feature
    return feature


class FeatureConfig(AppConfig):
    """The app config of a feature package: when Django is ready, the manifest in its ``feature``
    module (``FEATURE``) is registered; nothing else of the package runs.

    Subclass it as ``features.FeatureConfig`` (import the module, not the class): Django takes the
    one ``AppConfig`` subclass an ``apps`` module holds as the app's, and would find two.
    """

    def ready(self) -> None:
        register(import_module(f"{self.name}.feature").FEATURE)


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
