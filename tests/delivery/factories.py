"""Factories and builders for delivery's tests: topics, areas, residents with settings, segments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import factory

from civicline.delivery import services
from civicline.delivery.models import Area, Delivery, DeliveryMessage, Segment, SegmentGrant, Topic
from civicline.line.models import Friend
from tests.fixtures.core import DepartmentFactory
from tests.fixtures.line import FriendFactory


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"分野{n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"地域{n}")


def resident(
    *,
    topics: Sequence[Topic] = (),
    area: Area | None = None,
    birth_year: int | None = None,
    gender: str = "",
    children: Sequence[date] = (),
    blocked: bool = False,
    **friend: Any,
) -> Friend:
    """A friend with these 受信設定 (saved through the service, as the LIFF page does)."""
    person = FriendFactory(state=Friend.State.BLOCKED if blocked else Friend.State.FOLLOWING, **friend)
    services.resident_settings_save(
        friend=person,
        area=area,
        birth_year=birth_year,
        gender=gender,
        topics=list(topics),
        children=list(children),
    )
    return person


def topic_leaf(*topics: Topic, negate: bool = False) -> dict[str, Any]:
    return {"kind": "topic", "negate": negate, "topics": [t.pk for t in topics]}


def area_leaf(*areas: Area, negate: bool = False) -> dict[str, Any]:
    return {"kind": "area", "negate": negate, "areas": [a.pk for a in areas]}


def child_age_leaf(low: int | None, high: int | None, negate: bool = False) -> dict[str, Any]:
    return {"kind": "child_age", "negate": negate, "min": low, "max": high}


def group(*items: dict[str, Any], op: str = "and", negate: bool = False) -> dict[str, Any]:
    return {"op": op, "negate": negate, "items": list(items)}


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"セグメント{n}")
    conditions = factory.LazyFunction(lambda: group(topic_leaf(TopicFactory(name="子育て"))))


def granted(segment: Segment, *departments: Any) -> Segment:
    for department in departments or (segment.department,):
        SegmentGrant.objects.get_or_create(segment=segment, department=department)
    return segment


def make_delivery(
    *,
    department: Any,
    segments: Sequence[Segment] = (),
    audience: str = Delivery.Audience.SEGMENTS,
    email_too: bool = False,
    text: str = "1歳6か月児健診のご案内です。https://www.city.example.jp/kenshin",
    title: str = "健診のご案内",
    combine: str = Delivery.Combine.ANY,
) -> Delivery:
    delivery = Delivery.objects.create(
        department=department, title=title, audience=audience, email_too=email_too, combine=combine
    )
    delivery.segments.set(segments)
    DeliveryMessage.objects.create(delivery=delivery, position=1, kind=DeliveryMessage.Kind.TEXT, text=text)
    return delivery
