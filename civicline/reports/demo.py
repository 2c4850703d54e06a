"""The demo city's report categories, routing and status messages (Toyonaka-like). Idempotent.

Roads and street lights go to 道路管理課, illegal dumping to 環境政策課, parks to a parks section and
water to the waterworks; 「その他」 waits in triage. A keyword rule sends fallen trees on roads to
the parks section, and an area rule sends park reports from the 千里 district to its office.
"""

from __future__ import annotations

from civicline.core.models import Department

from .line_messages import DEFAULT_STATUS_TEXTS
from .models import Area, Category, RoutingRule, StatusTemplate
from .services import report_areas_refresh

# (code, name, email): created when the demo city lacks them.
DEPARTMENTS = [
    ("koen", "公園みどり推進課", "koen@demo-city.example"),
    ("suido", "上下水道局 給排水課", "suido@demo-city.example"),
    ("senri", "千里地域連携センター", "senri@demo-city.example"),
]

# (name, description, department code or None)
CATEGORIES = [
    ("道路", "道路の穴・段差、ガードレールやカーブミラーの破損など", "doro"),
    ("街灯", "街灯・防犯灯の球切れ、点滅、破損", "doro"),
    ("公園", "遊具・ベンチ・フェンスの破損、倒木など", "koen"),
    ("水道", "道路や歩道からの水漏れ、マンホールの異常", "suido"),
    ("不法投棄", "道路・公園・空き地へのごみの不法投棄", "kankyo"),
    ("その他", "上のどれにも当てはまらないもの", None),
]
# The categories in English, as the city's staff would write them (issue 21).
ENGLISH_CATEGORIES = {
    "道路": ("Roads", "Potholes, steps, broken guardrails or traffic mirrors"),
    "街灯": ("Street lights", "Lights out, flickering or broken"),
    "公園": ("Parks", "Broken play equipment, benches or fences, fallen trees"),
    "水道": ("Water", "Water leaking from roads or pavements, manhole problems"),
    "不法投棄": ("Illegal dumping", "Rubbish dumped on roads, in parks or on empty lots"),
    "その他": ("Other", "Anything not listed above"),
}


def _box(west: float, south: float, east: float, north: float) -> dict:
    """A rectangle as a GeoJSON Polygon ([longitude, latitude], closed)."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# A rough box around 千里ニュータウン (lng, lat), enough to show area routing in the demo.
SENRI = _box(135.485, 34.795, 135.515, 34.825)
# The rest of the demo city (Toyonaka) in rough bands that do not overlap, so that every report
# made in the city shows its 「地域」 (the phone's preset places fall in 中部, 千里 and 南部).
AREAS = {
    "千里地域": SENRI,
    "北部地域": _box(135.42, 34.795, 135.485, 34.835),
    "中部地域": _box(135.42, 34.768, 135.52, 34.795),
    "南部地域": _box(135.42, 34.735, 135.52, 34.768),
}


def seed() -> None:
    departments = {d.code: d for d in Department.objects.all()}
    for code, name, email in DEPARTMENTS:
        if code not in departments:
            departments[code], _ = Department.objects.get_or_create(
                code=code, defaults={"name": name, "email": email}
            )
    categories = {}
    for order, (name, description, code) in enumerate(CATEGORIES, start=1):
        english_name, english_description = ENGLISH_CATEGORIES[name]
        categories[name], _ = Category.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "department": departments.get(code),
                "order": order * 10,
                "translations": {"en": {"name": english_name, "description": english_description}},
            },
        )
    areas = {
        name: Area.objects.get_or_create(name=name, defaults={"boundary": shape})[0]
        for name, shape in AREAS.items()
    }
    senri = areas["千里地域"]
    RoutingRule.objects.get_or_create(
        name="道路の倒木は公園みどり推進課",
        defaults={
            "priority": 10,
            "category": categories["道路"],
            "keywords": "倒木、木が倒れ、枝が落ち、街路樹",
            "department": departments["koen"],
        },
    )
    RoutingRule.objects.get_or_create(
        name="千里地域の公園は千里地域連携センター",
        defaults={
            "priority": 20,
            "category": categories["公園"],
            "area": senri,
            "department": departments["senri"],
        },
    )
    for status, text in DEFAULT_STATUS_TEXTS.items():
        StatusTemplate.objects.get_or_create(status=status, defaults={"text": text})
    # Reports of a demo made before these areas existed get theirs too.
    report_areas_refresh()
