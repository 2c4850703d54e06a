"""The demo city's 受信設定 lists, a few segments granted to the departments that use them, a draft
delivery, and settings for the demo's virtual residents once they have followed. Idempotent."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from civicline.core.models import Department
from civicline.line.models import Friend

from .models import (
    Area,
    Child,
    Delivery,
    DeliveryMessage,
    DeliveryPolicy,
    ResidentAttributes,
    Segment,
    SegmentGrant,
    Topic,
    TopicChoice,
)

AREAS = ["北部", "中部", "南部", "東部", "西部"]
TOPICS = [
    ("子育て", "子育て支援・保育・児童手当などのお知らせ"),
    ("検診・予防接種", "乳幼児健診・がん検診・予防接種のお知らせ"),
    ("イベント", "市のイベント・講座・催しのお知らせ"),
    ("防災", "防災訓練・避難情報・災害への備え"),
    ("ごみ・リサイクル", "収集日の変更・粗大ごみ・リサイクルのお知らせ"),
    ("市政・広報", "市報・市長の記者会見・計画への意見募集"),
]


CHECKUP_TITLE = "1歳6か月児健診のご案内"
# The demo delivery's versions: its heading, text and button in English, Vietnamese and easy Japanese.
CHECKUP_VERSIONS = {
    "en": {
        "title": "18-month health check-up",
        "text": "The check-up form was mailed to you. Please see the dates.",
        "label1": "See the dates",
    },
    "vi": {
        "title": "Khám sức khỏe trẻ 18 tháng",
        "text": "Phiếu khám đã được gửi qua bưu điện. Vui lòng xem lịch khám.",
        "label1": "Xem lịch khám",
    },
    "ja-easy": {
        "title": "1さい6かげつの けんしん",
        "text": "こどもの けんしんの かみを ゆうびんで おくりました。ひにちを みてください。",
        "label1": "ひにちを みる",
    },
}


def _topic(name: str) -> int:
    return Topic.objects.get(name=name).pk


def _area(name: str) -> int:
    return Area.objects.get(name=name).pk


def _segments() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(department code, name, description, conditions)."""
    return [
        (
            "kosodate",
            "0〜2歳の子どもがいる子育て世帯",
            "乳幼児健診・育児教室の案内に",
            {
                "op": "and",
                "negate": False,
                "items": [
                    {"kind": "topic", "negate": False, "topics": [_topic("子育て")]},
                    {"kind": "child_age", "negate": False, "min": 0, "max": 2},
                ],
            },
        ),
        (
            "kosodate",
            "就学前の子どもがいる世帯",
            "保育・幼稚園・就学前健診の案内に",
            {
                "op": "and",
                "negate": False,
                "items": [{"kind": "child_age", "negate": False, "min": 0, "max": 5}],
            },
        ),
        (
            "kikikanri",
            "防災情報の希望者",
            "防災訓練・備えの案内に",
            {
                "op": "and",
                "negate": False,
                "items": [{"kind": "topic", "negate": False, "topics": [_topic("防災")]}],
            },
        ),
        (
            "kankyo",
            "ごみ・リサイクル（北部）",
            "北部の収集日変更の案内に",
            {
                "op": "and",
                "negate": False,
                "items": [
                    {"kind": "topic", "negate": False, "topics": [_topic("ごみ・リサイクル")]},
                    {"kind": "area", "negate": False, "areas": [_area("北部")]},
                ],
            },
        ),
        (
            "koho",
            "イベント情報の希望者",
            "",
            {
                "op": "or",
                "negate": False,
                "items": [
                    {"kind": "topic", "negate": False, "topics": [_topic("イベント"), _topic("市政・広報")]}
                ],
            },
        ),
    ]


# display name → (topics, area, birth year, children's birth dates relative to today in months)
RESIDENTS = {
    "豊中 はなこ": (["子育て", "検診・予防接種"], "中部", 1991, [14]),
    "千里 けんた": (["防災", "イベント"], "北部", 1985, []),
    "庄内 さち": (["ごみ・リサイクル", "検診・予防接種"], "南部", 1958, []),
}


def _months_ago(months: int) -> date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, min(today.day, 28))


def _residents() -> None:
    """Settings for the demo's virtual residents (their Friends exist once they have followed)."""
    names = {friend.display_name: friend for friend in Friend.objects.all()[:500]}
    for name, (topics, area, year, children) in RESIDENTS.items():
        friend = names.get(name)
        if friend is None or ResidentAttributes.objects.filter(friend=friend).exists():
            continue
        ResidentAttributes.objects.create(friend=friend, area=Area.objects.get(name=area), birth_year=year)
        TopicChoice.objects.bulk_create(
            TopicChoice(friend=friend, topic=Topic.objects.get(name=t)) for t in topics
        )
        for months in children:
            born = _months_ago(months)
            Child.objects.create(friend=friend, birth_date=born.isoformat(), birth_month=born.replace(day=1))


def seed() -> None:
    for position, name in enumerate(AREAS, start=1):
        Area.objects.get_or_create(name=name, defaults={"position": position})
    for position, (name, description) in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(name=name, defaults={"position": position, "description": description})
    departments = {d.code: d for d in Department.objects.all()}
    for code, name, description, tree in _segments():
        department = departments.get(code)
        if department is None:
            continue
        segment, _created = Segment.objects.get_or_create(
            department=department, name=name, defaults={"description": description, "conditions": tree}
        )
        SegmentGrant.objects.get_or_create(segment=segment, department=department)
    for code in ("koho", "kikikanri"):
        if code in departments:
            DeliveryPolicy.objects.update_or_create(
                department=departments[code], defaults={"may_send_to_all": True}
            )
    kosodate = departments.get("kosodate")
    if kosodate is not None and not Delivery.objects.filter(department=kosodate).exists():
        delivery = Delivery.objects.create(department=kosodate, title=CHECKUP_TITLE)
        delivery.segments.set(Segment.objects.filter(department=kosodate, name__startswith="0〜2歳"))
        DeliveryMessage.objects.create(
            delivery=delivery,
            position=1,
            kind=DeliveryMessage.Kind.BUTTONS,
            title="1歳6か月児健診",
            text="対象のお子さんに受診票を郵送しました。日程をご確認ください。",
            actions=[{"label": "日程を見る", "value": "https://www.city.toyonaka.osaka.jp/"}],
        )
    # The city sees a delivery written in several languages (issue 21); a demo made before gets them too.
    DeliveryMessage.objects.filter(delivery__title=CHECKUP_TITLE, position=1, translations={}).update(
        translations=CHECKUP_VERSIONS
    )
    _residents()
