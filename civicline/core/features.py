"""The feature registry: features describe themselves here; core never imports a feature.

A feature package registers one ``Feature`` in its ``AppConfig.ready()``. Core reads the registry
to mount console and LIFF URLs and to build the console navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    system_admin_only: bool = False


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


_features: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    if feature.key in _features and _features[feature.key] != feature:
        raise ValueError(f"feature {feature.key!r} registered twice")
    _features[feature.key] = feature
    return feature


def all_features() -> list[Feature]:
    return list(_features.values())
