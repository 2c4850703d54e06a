"""The demo city's report categories, routing and status messages (Toyonaka-like). Idempotent.

Roads and street lights go to 道路管理課, illegal dumping to 環境政策課, parks to a parks section and
water to the waterworks; 「その他」 waits in triage. A keyword rule sends fallen trees on roads to
the parks section, and an area rule sends park reports from the 千里 district to its office.
"""

from __future__ import annotations

from civicline.core.models import Department

from .line_messages import DEFAULT_STATUS_TEXTS
from .models import Area, Category, RoutingRule, StatusTemplate

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

# A rough box around 千里ニュータウン (lng, lat), enough to show area routing in the demo.
SENRI = {
    "type": "Polygon",
    "coordinates": [
        [[135.485, 34.795], [135.515, 34.795], [135.515, 34.825], [135.485, 34.825], [135.485, 34.795]]
    ],
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
        categories[name], _ = Category.objects.get_or_create(
            name=name,
            defaults={"description": description, "department": departments.get(code), "order": order * 10},
        )
    senri, _ = Area.objects.get_or_create(name="千里地域", defaults={"boundary": SENRI})
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
