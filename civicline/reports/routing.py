"""Which department a report goes to (PH-3): routing rules first, then the category's department.

A rule matches when every condition it has holds: its category, its area (the report's point
inside the area's boundary), one of its keywords in the message (compared ignoring width, case
and hiragana/katakana). No rule and no category department: the report waits in triage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jaconv
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from civicline.core.models import Department

from .models import Area, Category, RoutingRule

KEYWORD_SEPARATORS = re.compile(r"[,、，\n]+")


@dataclass(frozen=True)
class Route:
    department: Department | None
    area: Area | None
    note: str  # why, for staff


def normalized(text: str) -> str:
    return jaconv.kata2hira(unicodedata.normalize("NFKC", text or "").casefold())


def keywords_of(rule: RoutingRule) -> list[str]:
    return [normalized(k.strip()) for k in KEYWORD_SEPARATORS.split(rule.keywords or "") if k.strip()]


def boundary_geometry(boundary: dict) -> BaseGeometry:
    """The area's shape; ValidationError (Japanese) when it is not a valid polygon."""
    try:
        geometry = shape(boundary)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValidationError(_("範囲はGeoJSONのPolygonまたはMultiPolygonで指定してください。")) from exc
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(_("範囲はGeoJSONのPolygonまたはMultiPolygonで指定してください。"))
    if geometry.is_empty or not geometry.is_valid:
        raise ValidationError(_("範囲の線が交差しているか、3点未満です。地図で描き直してください。"))
    return geometry


Shapes = list[tuple[Area, BaseGeometry]]


def area_shapes() -> Shapes:
    """Every area with its shape, by name; read once when many points are placed (a refresh)."""
    shapes = []
    for area in Area.objects.all():
        try:
            shapes.append((area, boundary_geometry(area.boundary)))
        except ValidationError:
            continue  # saved before validation existed or edited by hand: never matches
    return shapes


def area_at(latitude: float | None, longitude: float | None, shapes: Shapes | None = None) -> Area | None:
    """The first area (by name) holding the point; areas are few, so each is checked in turn."""
    if latitude is None or longitude is None:
        return None
    point = Point(longitude, latitude)
    for area, geometry in area_shapes() if shapes is None else shapes:
        if geometry.covers(point):
            return area
    return None


def route_for(*, category: Category, message: str, latitude: float | None, longitude: float | None) -> Route:
    area = area_at(latitude, longitude)
    text = normalized(message)
    rules = RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related(
        "department", "area"
    )
    for rule in rules:
        if rule.category_id and rule.category_id != category.pk:
            continue
        if rule.area_id and (area is None or not _inside(rule.area, latitude, longitude)):
            continue
        keywords = keywords_of(rule)
        if keywords and not any(k in text for k in keywords):
            continue
        if not (rule.category_id or rule.area_id or keywords):
            continue  # a rule without conditions would swallow every report
        return Route(rule.department, area, _("振り分けルール「%(name)s」") % {"name": rule.name})
    if category.department_id and category.department.is_active:
        return Route(category.department, area, _("種類「%(name)s」の担当課") % {"name": category.name})
    return Route(None, area, _("振り分け先が決まらないため、振り分け待ち"))


def _inside(area: Area, latitude: float | None, longitude: float | None) -> bool:
    try:
        return boundary_geometry(area.boundary).covers(Point(longitude, latitude))
    except ValidationError:
        return False
