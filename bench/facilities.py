"""Nearest-facility search benchmark (MP-4): latency over 10,000 synthetic facilities, no spatial DB.

    .venv/bin/python -m bench.facilities [--facilities 10000] [--queries 2000]

Fills a fresh SQLite database (or DATABASE_URL's) under a temporary directory with facilities
scattered over a city-sized area (dense centre, sparse edges), half of them shelters with random
statuses and disaster kinds, then times ``selectors.facility_nearest`` — latitude/longitude box on
an index, widened until enough candidates, exact haversine ranking — from random points:

* nearest 5 facilities of any kind;
* nearest 5 open shelters for a disaster kind (what a resident's location message asks);
* a full scan (every row, haversine, sort) for comparison.

Also reports the size and build time of the map page's GeoJSON for the same data.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

SEED = 20251125
CENTRE = (34.7812, 135.4699)  # 豊中市役所
CITY_RADIUS_M = 12_000


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _point(rng: random.Random) -> tuple[float, float]:
    """A point in the city: distance from the centre ~ uniform in sqrt, so the centre is denser."""
    distance = CITY_RADIUS_M * math.sqrt(rng.random()) * rng.uniform(0.3, 1.0)
    bearing = rng.uniform(0, 2 * math.pi)
    lat = CENTRE[0] + distance * math.cos(bearing) / 111_195
    lng = CENTRE[1] + distance * math.sin(bearing) / (111_195 * math.cos(math.radians(CENTRE[0])))
    return lat, lng


def _fill(count: int, rng: random.Random) -> None:
    from civicline.core.models import Department
    from civicline.facilities.models import DisasterKind, Facility, FacilityCategory, Shelter

    department = Department.objects.create(code="bench", name="ベンチ課")
    categories = list(FacilityCategory.objects.all())
    facilities = []
    for n in range(count):
        lat, lng = _point(rng)
        category = rng.choice(categories)
        facilities.append(
            Facility(
                department=department,
                category=category,
                name=f"施設{n}",
                address=f"豊中市{n}丁目",
                latitude=lat,
                longitude=lng,
            )
        )
    created = Facility.objects.bulk_create(facilities, batch_size=2000)
    statuses = [Shelter.Status.OPEN, Shelter.Status.CLOSED, Shelter.Status.FULL]
    Shelter.objects.bulk_create(
        (
            Shelter(
                facility=f, status=rng.choice(statuses), **{k.value: rng.random() < 0.4 for k in DisasterKind}
            )
            for f in created
            if f.category.is_shelter
        ),
        batch_size=2000,
    )


def _full_scan(lat: float, lng: float, limit: int) -> list:
    from civicline.facilities.geo import haversine_m
    from civicline.facilities.models import Facility

    rows = Facility.objects.values_list("pk", "latitude", "longitude")
    return sorted((haversine_m(lat, lng, a, b), pk) for pk, a, b in rows)[:limit]


def _time(fn, points: list[tuple[float, float]]) -> list[float]:
    for lat, lng in points[:20]:
        fn(lat, lng)  # warm-up: connections, statement caches
    latencies = []
    for lat, lng in points:
        start = time.perf_counter()
        fn(lat, lng)
        latencies.append((time.perf_counter() - start) * 1000)
    return sorted(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=2_000)
    options = parser.parse_args()
    rng = random.Random(SEED)

    with tempfile.TemporaryDirectory(prefix="civicline-bench-") as var_dir:
        _setup(Path(var_dir))
        from django.db import connection

        from civicline.facilities import selectors

        _fill(options.facilities, rng)
        points = [_point(rng) for _ in range(options.queries)]
        kinds = ["flood", "earthquake", ""]

        def nearest_any(lat: float, lng: float) -> list:
            return selectors.facility_nearest(latitude=lat, longitude=lng, limit=5)

        def nearest_open(lat: float, lng: float) -> list:
            kind = kinds[int(lat * 1e6) % len(kinds)]
            return selectors.facility_nearest(latitude=lat, longitude=lng, limit=5, open_shelters_for=kind)

        # The searches must agree with the full scan, or their speed means nothing.
        for lat, lng in points[:50]:
            assert [n.pk for n in nearest_any(lat, lng)] == [pk for _, pk in _full_scan(lat, lng, 5)]

        rows = [
            ("nearest 5 facilities", _time(nearest_any, points)),
            ("nearest 5 open shelters", _time(nearest_open, points)),
            (
                "full scan (baseline)",
                _time(lambda a, b: _full_scan(a, b, 5), points[: max(50, len(points) // 10)]),
            ),
        ]
        start = time.perf_counter()
        data = selectors._build_map_geojson(selectors.MapState.current())
        build_ms = (time.perf_counter() - start) * 1000

        vendor = connection.vendor
    print(
        f"nearest-facility benchmark — {options.facilities} facilities, {options.queries} queries, "
        f"{vendor}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    print(f"{'search':<28}{'queries':>9}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}")
    for name, latencies in rows:
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"{name:<28}{len(latencies):>9}{statistics.median(latencies):>11.2f}{p95:>9.2f}{p99:>9.2f}")
    print(
        f"map GeoJSON: {len(data) / 1024:.0f} KiB ({len(gzip.compress(data)) / 1024:.0f} KiB gzipped), "
        f"built in {build_ms:.0f} ms (then cached until the next change)"
    )
    print("target: median well under 100 ms without a spatial database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
