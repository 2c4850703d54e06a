"""Reads: staff's lists scoped to their department, and the public map and nearest-shelter search.

Facilities are public information, so residents' reads (``facility_nearest``, ``map_geojson``)
are not scoped; everything staff edit is reached through ``visible_to``/``access_*``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from civicline.core import languages
from civicline.core.models import Staff
from civicline.core.scoping import access_or_404
from civicline.core.translations import Translations, translated

from .geo import bounding_box, haversine_m
from .models import (
    DisasterKind,
    Facility,
    FacilityCategory,
    FacilityDataset,
    FacilityImport,
    MapState,
    Need,
    Shelter,
    ShelterCheckIn,
)

# Search radii tried in turn until enough candidates lie within one (metres).
SEARCH_RADII_M = (1_000, 3_000, 10_000, 30_000, 100_000)
MAP_CACHE_SECONDS = 60 * 60
_SOURCE_PREFIX = re.compile(r"^\s*(?:出典|出所|データ出典)\s*[:：]?\s*")


# --- staff ---------------------------------------------------------------------------------------


def category_list() -> QuerySet[FacilityCategory]:
    return FacilityCategory.objects.all()


def dataset_list_for(*, fetched_by: Staff) -> QuerySet[FacilityDataset]:
    return FacilityDataset.objects.visible_to(fetched_by).select_related("department", "category")


def access_dataset(*, fetched_by: Staff, pk: int) -> FacilityDataset:
    return access_or_404(dataset_list_for(fetched_by=fetched_by), fetched_by, pk=pk)


def facility_list_for(
    *,
    fetched_by: Staff,
    category: FacilityCategory | None = None,
    dataset: FacilityDataset | None = None,
    text: str = "",
) -> QuerySet[Facility]:
    facilities = Facility.objects.visible_to(fetched_by).select_related("category", "department", "dataset")
    if category is not None:
        facilities = facilities.filter(category=category)
    if dataset is not None:
        facilities = facilities.filter(dataset=dataset)
    if text:
        facilities = facilities.filter(
            Q(name__icontains=text) | Q(kana__icontains=text) | Q(address__icontains=text)
        )
    return facilities


def access_facility(*, fetched_by: Staff, pk: int) -> Facility:
    return access_or_404(facility_list_for(fetched_by=fetched_by), fetched_by, pk=pk)


def shelter_list_for(*, fetched_by: Staff, status: str = "", text: str = "") -> QuerySet[Shelter]:
    shelters = (
        Shelter.objects.visible_to(fetched_by)
        .filter(facility__category__is_shelter=True)
        .select_related("facility", "facility__category")
        .order_by("facility__kana", "facility__name", "pk")
    )
    if status:
        shelters = shelters.filter(status=status)
    if text:
        shelters = shelters.filter(Q(facility__name__icontains=text) | Q(facility__kana__icontains=text))
    return shelters


def access_shelter(*, fetched_by: Staff, pk: int) -> Shelter:
    return access_or_404(shelter_list_for(fetched_by=fetched_by), fetched_by, pk=pk)


def access_facility_import(*, fetched_by: Staff, pk: int) -> FacilityImport:
    imports = FacilityImport.objects.visible_to(fetched_by).select_related("dataset", "dataset__category")
    return access_or_404(imports, fetched_by, pk=pk)


def can_set_disaster_kind(staff: Staff) -> bool:
    """The system administrator, and departments that keep shelters (危機管理課…)."""
    if not (staff.is_authenticated and staff.is_active):
        return False
    return staff.is_system_admin or Shelter.objects.visible_to(staff).exists()


# --- residents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nearby:
    pk: int
    name: str
    address: str
    latitude: float
    longitude: float
    distance_m: float
    status: str  # "" for a facility that is not a shelter
    # The facility's name and address in other languages: ``translated(nearby, "name")`` (issue 21).
    translations: Translations = field(default_factory=dict)


def shelters_for_kind(kind: str) -> Q:
    """Shelters designated for ``kind``, or designated for no kind in particular (指定避難所)."""
    if not kind:
        return Q()
    no_kind = Q(**{f"shelter__{k.value}": False for k in DisasterKind})
    return Q(**{f"shelter__{kind}": True}) | no_kind


def facility_nearest(
    *,
    latitude: float,
    longitude: float,
    limit: int = 5,
    open_shelters_for: str | None = None,
    categories: list[str] | None = None,
) -> list[Nearby]:
    """The ``limit`` facilities nearest the point, nearest first (within 100 km).

    ``open_shelters_for``: only open shelters for that disaster kind ("" for any kind).
    Candidates come from an indexed latitude/longitude box, widened until enough of them lie
    within its radius, and are ranked by exact distance.
    """
    facilities = Facility.objects.all()
    if categories:
        facilities = facilities.filter(category__key__in=categories)
    if open_shelters_for is not None:
        # 混雑 still receives residents; 満員 and 未開設 are skipped.
        facilities = facilities.filter(
            shelters_for_kind(open_shelters_for),
            category__is_shelter=True,
            shelter__status__in=Shelter.RECEIVING,
        )
    for radius in SEARCH_RADII_M:
        box = bounding_box(latitude, longitude, radius)
        candidates = facilities.filter(
            latitude__range=(box.south, box.north), longitude__range=(box.west, box.east)
        ).values_list("pk", "name", "address", "latitude", "longitude", "shelter__status", "translations")
        ranked = sorted(
            (
                Nearby(
                    pk,
                    name,
                    address,
                    lat,
                    lng,
                    haversine_m(latitude, longitude, lat, lng),
                    status or "",
                    versions or {},
                )
                for pk, name, address, lat, lng, status, versions in candidates
            ),
            key=lambda n: (n.distance_m, n.pk),
        )
        within = [n for n in ranked if n.distance_m <= radius]
        if len(within) >= limit:
            break
    return within[:limit]


def nearest_open_shelters(*, latitude: float, longitude: float, limit: int = 5) -> tuple[list[Nearby], str]:
    """Open shelters for the current disaster kind nearest the point, and that kind ("" for none)."""
    kind = map_state_values()[1]
    return facility_nearest(latitude=latitude, longitude=longitude, limit=limit, open_shelters_for=kind), kind


def disaster_declared() -> bool:
    """A disaster kind is set for the city: shelter answers come before every other talk flow."""
    return bool(map_state_values()[1])


def map_state_values() -> tuple[str, str]:
    """The map data's revision and the disaster kind under way, read afresh in one light query.

    Every map data request (its ETag), every shelter list and every location sent in the talk asks;
    at a disaster's peak that is hundreds a second, so not through the ORM's get_or_create, which
    costs several times the query itself.
    """
    connection = connections[router.db_for_read(MapState)]
    table = connection.ops.quote_name(MapState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT revision, disaster_kind FROM {table} WHERE id = 1")  # noqa: S608 - no input
        row = cursor.fetchone()
    if row is None:  # a fresh database: the row is made on first use
        state = MapState.current()
        return state.revision, state.disaster_kind
    return row[0], row[1]


def map_revision() -> str:
    return map_state_values()[0]


# What is built once per revision, kept in each web process too (latest revision only): the shared
# cache still answers a process that has not built it, but a phone's reload costs no cache round
# trip for the same megabytes. Keyed by the revision, which changes with every change, so never stale.
_per_revision: dict[tuple, Any] = {}


def per_revision(key: tuple, revision: str, build: Callable[[], Any]) -> Any:
    """``build()``'s value for this revision of the map data, built once per process and revision."""
    value = _per_revision.get((*key, revision))
    if value is None:
        value = build()
        # Earlier revisions are dead: dropped (a concurrent thread may put one back; it goes next time).
        for old in [k for k in _per_revision if k[:-1] == key]:
            _per_revision.pop(old, None)
        _per_revision[(*key, revision)] = value
    return value


def map_geojson(
    *, compressed: bool = False, revision: str | None = None, language: str | None = None
) -> bytes:
    """All facilities as compact GeoJSON for the map page, cached until the data's next change.

    ``compressed``: gzipped once per revision, not per request — at a disaster's peak thousands
    of phones ask for the same megabytes within minutes. ``revision``: the one just read for the
    ETag, if any. ``language``: the residents' language the names are in (default: the one being
    spoken); each language is built and cached on its own (issue 21).
    """
    revision = revision or map_revision()
    language = language or languages.current()

    def from_cache() -> bytes:
        state = MapState.current()
        key = f"facilities:map:{state.revision}:{language}:{'gz' if compressed else 'raw'}"
        data = cache.get(key)
        if data is None:
            data = _build_map_geojson(state, language)
            if compressed:
                data = gzip.compress(data, compresslevel=6, mtime=0)
            cache.set(key, data, MAP_CACHE_SECONDS)
        return data

    return per_revision(("geojson", language, compressed), revision, from_cache)


# Short property names keep the payload small on a phone's connection.
_PROPERTIES = (
    ("n", "name"),
    ("k", "kana"),
    ("a", "address"),
    ("t", "phone"),
    ("h", "hours"),
    ("u", "url"),
    ("cap", "capacity"),
    ("acc", "accessibility"),
    ("d", "description"),
)


def _build_map_geojson(state: MapState, language: str) -> bytes:
    categories = list(FacilityCategory.objects.all())
    kinds = [kind.value for kind in DisasterKind]
    columns = [name for _short, name in _PROPERTIES]
    rows = Facility.objects.order_by("pk").values_list(
        "pk",
        "latitude",
        "longitude",
        "category__key",
        "category__is_shelter",
        "shelter__status",
        "translations",
        *columns,
        *(f"shelter__{kind}" for kind in kinds),
    )
    features = []
    for pk, lat, lng, category_key, is_shelter, status, versions, *rest in rows.iterator(chunk_size=2000):
        values, flags = rest[: len(columns)], rest[len(columns) :]
        if versions:  # the resident's language where staff wrote it, else the fallbacks (issue 21)
            facility = SimpleNamespace(translations=versions, **dict(zip(columns, values, strict=True)))
            values = [
                translated(facility, name, language) if name in Facility.TRANSLATED_FIELDS else value
                for name, value in zip(columns, values, strict=True)
            ]
        properties: dict[str, Any] = {"c": category_key}
        properties.update(
            {short: value for (short, _name), value in zip(_PROPERTIES, values, strict=True) if value}
        )
        if is_shelter and status:
            properties["s"] = status
            properties["dk"] = [kind for kind, flag in zip(kinds, flags, strict=True) if flag]
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]},
                "properties": properties,
            }
        )
    # The page prefixes 「出典:」 itself; staff often type it into the attribution too.
    attributions = sorted(
        {
            _SOURCE_PREFIX.sub("", a)
            for a in FacilityDataset.objects.exclude(attribution="").values_list("attribution", flat=True)
        }
    )
    payload = {
        "type": "FeatureCollection",
        "revision": state.revision,
        "disasterKind": state.disaster_kind,
        "categories": [
            {
                "key": c.key,
                "name": translated(c, "name", language),
                "icon": c.icon,
                "colour": c.colour,
                "shelter": c.is_shelter,
            }
            for c in categories
        ],
        "attributions": attributions,
        "features": features,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def map_url(*, facility_pk: int | None = None, language: str | None = None) -> str:
    """The map page's path, opened on one facility when given, in ``language`` when given.

    The page needs no sign-in, so it cannot know the resident: a link sent to one names their
    language (issue 21); without it the page follows the LINE app's.
    """
    query = {"facility": facility_pk or None, "lang": language}
    params = urlencode({name: value for name, value in query.items() if value})
    url = reverse("facilities_liff:map")
    return f"{url}?{params}" if params else url


# --- shelter check-in (MP-4) ----------------------------------------------------------------------


def shelter_by_checkin_key(key: str) -> Shelter | None:
    """The shelter of a poster's QR code (public: the key is printed on the shelter's door)."""
    return Shelter.objects.select_related("facility").filter(checkin_key=key).first()


def open_checkin_of(friend: Any) -> ShelterCheckIn | None:
    """The resident's own open check-in, if any (only ever shown to that resident)."""
    return (
        ShelterCheckIn.objects.select_related("shelter__facility")
        .filter(friend=friend, checked_out_at__isnull=True)
        .first()
    )


def shelter_people(shelter: Shelter) -> int:
    """People inside now (the sum of open check-ins' household sizes)."""
    total = ShelterCheckIn.objects.filter(shelter=shelter, checked_out_at__isnull=True).aggregate(
        n=Sum("household_size")
    )["n"]
    return total or 0


@dataclass(frozen=True)
class Occupancy:
    shelter: Shelter
    people: int
    households: int
    needs: dict[str, int]  # Need value → households needing it

    @property
    def capacity(self) -> int | None:
        return self.shelter.facility.capacity

    @property
    def percent(self) -> int | None:
        return round(self.people * 100 / self.capacity) if self.capacity else None

    @property
    def need_rows(self) -> list[tuple[str, int]]:
        return [(str(need.label), self.needs.get(need.value, 0)) for need in Need]


def shelter_occupancy_for(
    *, fetched_by: Staff, status: str = "", text: str = "", shelter_id: int | None = None
) -> list[Occupancy]:
    """Occupancy against capacity and needs per shelter the staff member keeps (HQ and the desk).

    Needs are sealed per household, so they are counted here, not in SQL: a city's open check-ins
    are thousands at most.
    """
    scoped = shelter_list_for(fetched_by=fetched_by, status=status, text=text)
    if shelter_id is not None:
        scoped = scoped.filter(pk=shelter_id)
    shelters = list(
        scoped.annotate(
            people=Sum("checkins__household_size", filter=Q(checkins__checked_out_at__isnull=True)),
            households=Count("checkins", filter=Q(checkins__checked_out_at__isnull=True)),
        )
    )
    needs: dict[int, dict[str, int]] = {s.pk: {} for s in shelters}
    open_checkins = ShelterCheckIn.objects.visible_to(fetched_by).filter(
        shelter_id__in=list(needs), checked_out_at__isnull=True
    )
    for shelter_id, values in open_checkins.values_list("shelter_id", "needs"):
        for need in values or []:
            needs[shelter_id][need] = needs[shelter_id].get(need, 0) + 1
    return [Occupancy(s, s.people or 0, s.households or 0, needs[s.pk]) for s in shelters]


def checkin_list_for(*, fetched_by: Staff, shelter: Shelter) -> QuerySet[ShelterCheckIn]:
    """The households inside a shelter, for the department keeping it and the system administrator."""
    return (
        ShelterCheckIn.objects.visible_to(fetched_by)
        .filter(shelter=shelter, checked_out_at__isnull=True)
        .order_by("checked_in_at", "pk")
    )


def access_checkin(*, fetched_by: Staff, pk: int) -> ShelterCheckIn:
    checkins = ShelterCheckIn.objects.select_related("shelter__facility__department")
    return access_or_404(checkins, fetched_by, pk=pk)


def public_shelter_list(*, kind: str | None = None) -> list[Shelter]:
    """Every shelter with its status, for the public list (no LINE needed): receiving ones first."""
    shelters = Shelter.objects.filter(facility__category__is_shelter=True).select_related(
        "facility", "facility__category"
    )
    if kind:
        shelters = shelters.filter(
            Q(**{kind: True}) | Q(**{k.value: False for k in DisasterKind})
        )
    order = {Shelter.Status.OPEN: 0, Shelter.Status.CROWDED: 1, Shelter.Status.FULL: 2}
    return sorted(shelters, key=lambda s: (order.get(s.status, 9), s.facility.kana or s.facility.name, s.pk))
