"""Photo report benchmark: what a resident's photo costs the server, and what routing costs.

    .venv/bin/python -m bench.reports [--photos 10] [--rules 50] [--areas 20] [--reports 500]

* Photo check and re-encode (``civicline.core.images.image_store``) of a 12-megapixel phone photo
  (4032×3024 JPEG with EXIF GPS, noisy so that it compresses like a real one): milliseconds per
  photo, stored size; and of the same picture as PNG.
* Routing (``routing.route_for``) against N rules and M areas (polygons around the city),
  milliseconds per report — it runs once per filed report, inside its transaction.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

SEED = 20251125
CENTRE = (34.7812, 135.4699)  # 豊中市役所


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _phone_photo(fmt: str) -> bytes:
    from PIL import Image

    # Noise at 1/8 scale, enlarged: detail a JPEG encoder has to work for, like a street scene.
    small = Image.effect_noise((504, 378), 64).convert("RGB")
    image = small.resize((4032, 3024))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (34.0, 46.0, 52.3), 3: "E", 4: (135.0, 28.0, 11.6)}
    buffer = BytesIO()
    image.save(buffer, format=fmt, **({"exif": exif, "quality": 92} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _time_photos(count: int) -> None:
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicline.core.images import image_store

    for fmt in ("JPEG", "PNG"):
        data = _phone_photo(fmt)
        times, stored_size = [], 0
        for _ in range(count):
            started = time.perf_counter()
            stored = image_store(
                SimpleUploadedFile(f"p.{fmt.lower()}", data), folder="bench", thumbnail_edge=320
            )
            times.append((time.perf_counter() - started) * 1000)
            stored_size = default_storage.size(stored.name)
        print(
            f"photo {fmt} 4032x3024 ({len(data) / 1e6:.1f} MB in): "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms; "
            f"stored {stored.width}x{stored.height} {stored_size / 1e3:.0f} kB + thumbnail; "
            f"GPS read {stored.location}"
        )


def _time_routing(rules: int, areas: int, reports: int) -> None:
    from civicline.core.models import Department
    from civicline.reports.models import Area, Category, RoutingRule
    from civicline.reports.routing import route_for

    rng = random.Random(SEED)
    departments = [Department.objects.create(code=f"d{i}", name=f"課{i}") for i in range(10)]
    categories = [Category.objects.create(name=f"種類{i}", department=departments[i % 10]) for i in range(8)]
    area_rows = []
    for i in range(areas):
        lat = CENTRE[0] + rng.uniform(-0.05, 0.05)
        lng = CENTRE[1] + rng.uniform(-0.05, 0.05)
        ring = [[lng, lat], [lng + 0.01, lat], [lng + 0.012, lat + 0.01], [lng, lat + 0.012], [lng, lat]]
        area_rows.append(
            Area.objects.create(name=f"地域{i}", boundary={"type": "Polygon", "coordinates": [ring]})
        )
    for i in range(rules):
        RoutingRule.objects.create(
            name=f"ルール{i}",
            priority=i,
            category=rng.choice([None, *categories]),
            area=rng.choice([None, None, *area_rows]),
            keywords=rng.choice(["", "倒木、枝", "ごみ、ゴミ", "水漏れ"]),
            department=rng.choice(departments),
        )
    times = []
    for _ in range(reports):
        started = time.perf_counter()
        route_for(
            category=rng.choice(categories),
            message=rng.choice(["歩道に穴", "道路に倒木", "公園にごみ", "水漏れしています"]),
            latitude=CENTRE[0] + rng.uniform(-0.06, 0.06),
            longitude=CENTRE[1] + rng.uniform(-0.06, 0.06),
        )
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"routing {rules} rules, {areas} areas, {reports} reports: "
        f"median {statistics.median(times):.2f} ms, p99 {times[int(len(times) * 0.99) - 1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--areas", type=int, default=20)
    parser.add_argument("--reports", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicline-bench-") as var:
        _setup(Path(var))
        from django.conf import settings

        settings.MEDIA_ROOT = Path(var) / "media"
        _time_photos(args.photos)
        _time_routing(args.rules, args.areas, args.reports)


if __name__ == "__main__":
    main()
